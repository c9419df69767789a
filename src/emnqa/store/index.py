"""Chunks + vectors -> an index directory on disk, and back; exact search.

An index is a directory you can read:

    index/
      CURRENT               name of the active build, replaced atomically
      build-<utc>-<hex>/    vectors.faiss, chunks.jsonl, documents.json, manifest.json
      cache/                the embedding cache (not touched here)

A build is written under a `.tmp-` name and renamed when complete, and only
then does CURRENT switch to it, so a crash at any step leaves the previous
index loadable. This is the only module that imports faiss, lazily, so that
`read_manifest` stays cheap.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import EmnqaError, IndexCorrupt, IndexIncompatible, IndexMissing, InvalidQuery
from ..types import Chunk

# 2: sentence vectors (sentences.npy) beside the chunk vectors.
FORMAT_VERSION = 2
# Settings.faiss_index -> the manifest's index_type. HNSW and IVF keep the
# vectors themselves (IndexHNSWFlat, IndexIVFFlat with a direct map), so
# reconstruct() works for each.
INDEX_TYPES = {"flat": "flat_ip", "hnsw": "hnsw_ip", "ivf": "ivf_ip"}
INDEX_TYPE = INDEX_TYPES["flat"]
HNSW_NEIGHBOURS = 32  # M: links per vector
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96  # candidates searched per query; recall@10 vs exact in docs/PERFORMANCE.md


def ivf_lists(n: int) -> int:
    """IVF cells for n vectors: about 4 * sqrt(n), with at least 39 training
    vectors per cell (FAISS's minimum) and at least one cell.

    >>> [ivf_lists(n) for n in (0, 50, 713, 71_300)]
    [1, 1, 18, 1068]
    """
    return max(1, min(int(4 * n**0.5), n // 39))


def ivf_probes(lists: int) -> int:
    """Cells searched per query: one in 16, at least 16 (all of a small
    index). Measured recall@10 against exact search in docs/PERFORMANCE.md.

    >>> [ivf_probes(n) for n in (1, 18, 1068)]
    [1, 16, 66]
    """
    return min(lists, max(16, lists // 16))

CURRENT = "CURRENT"
VECTORS, CHUNKS, DOCUMENTS, MANIFEST = "vectors.faiss", "chunks.jsonl", "documents.json", "manifest.json"
# One row per quotable sentence, in chunk order; each chunk's meta["sentences"]
# holds the (start, end) of its sentences in its text.
SENTENCES = "sentences.npy"
DOCUMENT_FIELDS = ("doc_id", "title", "year", "kind", "language", "path", "publisher")
_BUILD_PREFIX = "build-"
_TMP_PREFIX = ".tmp-"
_REBUILD = "Rebuild with `emnqa index --rebuild`."


@dataclass
class ChunkIndex:
    """Chunks in vector order, their documents by doc_id, and the faiss index."""

    chunks: list[Chunk]
    documents: dict[str, dict]
    manifest: dict
    faiss_index: Any
    path: Path | None = None
    sentence_vectors: np.ndarray | None = None

    def sentence_rows(self, position: int) -> tuple[int, int]:
        """The rows of `sentence_vectors` that belong to chunk `position`."""
        if self._offsets is None:
            counts = [len(c.meta.get("sentences", ())) for c in self.chunks]
            self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(int)
        return int(self._offsets[position]), int(self._offsets[position + 1])

    _offsets: Any = field(default=None, repr=False, compare=False)

    @property
    def ntotal(self) -> int:
        return int(self.faiss_index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self.faiss_index.d)

    def search(self, query_vectors: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """Per query row, up to k (chunk position, inner product), best first."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
            raise InvalidQuery(f"k must be a whole number greater than 0. Currently it is {k!r}.")
        queries = np.asarray(query_vectors, dtype=np.float32)
        if queries.ndim == 1:
            queries = queries[None, :]
        if queries.ndim != 2 or queries.shape[1] != self.dimension:
            raise ValueError(
                f"Query vectors must have shape (n, {self.dimension}). Currently {queries.shape}."
            )
        if self.ntotal == 0 or len(queries) == 0:
            return [[] for _ in queries]
        scores, positions = self.faiss_index.search(
            np.ascontiguousarray(queries), min(int(k), self.ntotal)
        )
        return [
            [(int(p), float(s)) for p, s in zip(row_p, row_s) if p >= 0]
            for row_p, row_s in zip(positions, scores)
        ]

    def vectors_of(self, positions: Sequence[int]) -> np.ndarray:
        """The stored vectors of some chunks (rows in `positions` order)."""
        if not len(positions):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.faiss_index.reconstruct(int(p)) for p in positions])

    def __repr__(self) -> str:
        model = self.manifest.get("model", {}).get("name")
        return f"ChunkIndex({self.ntotal} chunks, {len(self.documents)} documents, model={model!r})"


def build_index(
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    *,
    documents: Sequence[dict],
    model_name: str,
    dimension: int,
    chunking: dict,
    corpus_fingerprint: str,
    sentence_vectors: np.ndarray | None = None,
    faiss_index: str = "flat",
    backend: str | None = None,
) -> ChunkIndex:
    """An in-memory inner-product index over L2-normalised `vectors`: exact
    ("flat") or approximate ("hnsw").

    `sentence_vectors`, when given, has one row per entry of the chunks'
    meta["sentences"], in order. `backend` is how the model ran (torch,
    onnx, onnx-int8; None for an embedder that does not say), recorded so
    queries are embedded the same way.
    """
    if faiss_index not in INDEX_TYPES:
        raise EmnqaError(
            f"faiss_index must be one of {', '.join(INDEX_TYPES)}. Currently it is {faiss_index!r}; "
            "set EMNQA_FAISS_INDEX to flat, hnsw or ivf."
        )
    if not isinstance(vectors, np.ndarray) or vectors.dtype != np.float32:
        raise ValueError(
            f"vectors must be a float32 numpy array. Currently {getattr(vectors, 'dtype', type(vectors))}."
        )
    if vectors.ndim != 2 or vectors.shape != (len(chunks), dimension):
        raise ValueError(
            f"vectors must have one row of {dimension} values per chunk, shape "
            f"({len(chunks)}, {dimension}). Currently {vectors.shape}."
        )
    if not np.isfinite(vectors).all():
        raise ValueError("vectors contain NaN or infinite values; check the embedder.")
    store = _new_faiss_index(faiss_index, dimension, np.ascontiguousarray(vectors))
    docs = {d["doc_id"]: {f: d.get(f, "") for f in DOCUMENT_FIELDS} for d in documents}
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": {"name": model_name, "dimension": int(dimension), "backend": backend},
        "index_type": INDEX_TYPES[faiss_index],
        "chunking": dict(chunking),
        "corpus_fingerprint": corpus_fingerprint,
        "counts": {
            "documents": len(docs),
            "chunks": len(chunks),
            "tokens": sum(c.token_count for c in chunks),
        },
        "files": {},  # filled by save_index, once the bytes exist
        "versions": _versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "build_seconds": None,
    }
    if sentence_vectors is not None:
        expected = sum(len(c.meta.get("sentences", ())) for c in chunks)
        if sentence_vectors.dtype != np.float32 or sentence_vectors.shape != (expected, dimension):
            raise ValueError(
                f"sentence_vectors must be float32 of shape ({expected}, {dimension}), one row per "
                f"chunk sentence. Currently {sentence_vectors.dtype} {sentence_vectors.shape}."
            )
    return ChunkIndex(list(chunks), docs, manifest, store, sentence_vectors=sentence_vectors)


def _new_faiss_index(kind: str, dimension: int, vectors: np.ndarray) -> Any:
    """A FAISS index of `kind` holding `vectors`."""
    faiss = _faiss()
    if kind == "hnsw":
        store = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        store.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        store.hnsw.efSearch = HNSW_EF_SEARCH
    elif kind == "ivf" and len(vectors):
        lists = ivf_lists(len(vectors))
        store = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, lists, faiss.METRIC_INNER_PRODUCT)
        store.cp.min_points_per_centroid = 1  # a small corpus: no warning for few points per cell
        store.train(vectors)
        store.nprobe = ivf_probes(lists)
        store.make_direct_map()  # reconstruct(): the reranker reads stored vectors
    else:  # flat, or an IVF index of nothing (it cannot be trained)
        store = faiss.IndexFlatIP(dimension)
    if len(vectors):
        store.add(vectors)
    return store


def save_index(index: ChunkIndex, root: Path, *, build_seconds: float | None = None) -> Path:
    """Write `index` as a new build under `root`, make it active; returns its directory.

    Also sets `index.path` and the manifest's files and build_seconds. Keeps
    the previously active build (a way back) and deletes older ones.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    previous = _current_name(root)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = f"{_BUILD_PREFIX}{stamp}-{secrets.token_hex(4)}"
    tmp = root / f"{_TMP_PREFIX}{name}"
    manifest = dict(index.manifest, build_seconds=build_seconds)
    try:
        tmp.mkdir()
        manifest["files"] = _write_build_files(index, tmp)
        _write_json(tmp / MANIFEST, manifest)
        os.rename(tmp, root / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _write_current(root, name)
    index.manifest, index.path = manifest, root / name
    _prune_builds(root, keep={name, previous})
    return root / name


def load_index(
    root: Path, *, model_name: str | None = None, dimension: int | None = None, backend: str | None = None
) -> ChunkIndex:
    """The active index under `root`, checked against its manifest.

    `model_name`/`dimension`/`backend`, when given, must match the ones it was
    built with.
    """
    build = active_build_dir(root)
    manifest = _read_manifest_file(build)
    _check_compatible(manifest, build, model_name, dimension)
    _check_backend(manifest, build, backend)
    _check_files(manifest, build)
    faiss_index = _read_faiss(build / VECTORS)
    if hasattr(faiss_index, "hnsw"):  # the search depth is a setting of this code, not of the file
        faiss_index.hnsw.efSearch = HNSW_EF_SEARCH
    if hasattr(faiss_index, "nprobe"):
        faiss_index.nprobe = ivf_probes(faiss_index.nlist)
        faiss_index.make_direct_map()
    chunks = _read_chunks(build / CHUNKS)
    documents = _read_documents(build / DOCUMENTS)
    expected_dim = manifest["model"]["dimension"]
    if faiss_index.d != expected_dim:
        raise IndexCorrupt(
            f"{build / VECTORS} holds {faiss_index.d}-dim vectors but the manifest says "
            f"{expected_dim}. {_REBUILD}"
        )
    if faiss_index.ntotal != len(chunks):
        raise IndexCorrupt(
            f"{build / VECTORS} holds {faiss_index.ntotal} vectors but {build / CHUNKS} has "
            f"{len(chunks)} chunks. {_REBUILD}"
        )
    sentence_vectors = _read_sentences(build, manifest, chunks, expected_dim)
    return ChunkIndex(chunks, documents, manifest, faiss_index, path=build, sentence_vectors=sentence_vectors)


def read_manifest(root: Path) -> dict:
    """The active build's manifest, reading nothing else (no faiss, no chunks)."""
    build = active_build_dir(root)
    manifest = _read_manifest_file(build)
    _check_compatible(manifest, build, None, None)
    return manifest


def active_build_dir(root: Path) -> Path:
    """The build directory CURRENT names; raises IndexMissing when there is none."""
    root = Path(root)
    missing = IndexMissing(f"No index at {root}. Build it with `emnqa index`.")
    if not root.is_dir():
        raise missing
    name = _current_name(root)
    if name is None:
        # CURRENT lost but one complete build left: it can only be that one.
        complete = [d for d in _build_dirs(root) if (d / MANIFEST).is_file()]
        if len(complete) == 1:
            return complete[0]
        raise missing
    build = root / name
    if "/" in name or "\\" in name or not name.startswith(_BUILD_PREFIX) or not build.is_dir():
        raise IndexMissing(
            f"No index at {root}: CURRENT names {name!r}, which is not a build directory there. "
            "Build it with `emnqa index --rebuild`."
        )
    return build


# --- writing -----------------------------------------------------------------


def _write_build_files(index: ChunkIndex, directory: Path) -> dict[str, str]:
    """Write the three data files; returns their sha256 for the manifest."""
    _faiss().write_index(index.faiss_index, str(directory / VECTORS))
    with open(directory / CHUNKS, "w", encoding="utf-8", newline="\n") as f:
        for chunk in index.chunks:
            f.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    _write_json(directory / DOCUMENTS, list(index.documents.values()))
    names = [VECTORS, CHUNKS, DOCUMENTS]
    if index.sentence_vectors is not None:
        np.save(directory / SENTENCES, index.sentence_vectors, allow_pickle=False)
        names.append(SENTENCES)
    return {name: _sha256(directory / name) for name in names}


def _write_current(root: Path, name: str) -> None:
    tmp = root / f"{_TMP_PREFIX}{CURRENT}-{secrets.token_hex(4)}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, root / CURRENT)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _prune_builds(root: Path, keep: set[str | None]) -> None:
    # Leftovers of interrupted saves; `emnqa index` holds a lock, so no other
    # writer can be using them.
    for path in root.glob(f"{_TMP_PREFIX}*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    for build in _build_dirs(root):
        if build.name not in keep:
            shutil.rmtree(build, ignore_errors=True)


def _write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.write("\n")


# --- reading -----------------------------------------------------------------


def _read_manifest_file(build: Path) -> dict:
    path = build / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorrupt(f"{path} is missing. {_REBUILD}") from None
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{path} cannot be read as JSON ({exc}). {_REBUILD}") from None
    if not isinstance(manifest, dict):
        raise IndexCorrupt(f"{path} must hold a JSON object. {_REBUILD}")
    return manifest


def _check_compatible(
    manifest: dict, build: Path, model_name: str | None, dimension: int | None
) -> None:
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexIncompatible(
            f"The index at {build} has format version {version!r}; this emnqa reads "
            f"version {FORMAT_VERSION}. {_REBUILD}"
        )
    model = manifest.get("model")
    if not isinstance(model, dict) or "name" not in model or "dimension" not in model:
        raise IndexCorrupt(f"{build / MANIFEST} has no model name and dimension. {_REBUILD}")
    wanted_name = model_name if model_name is not None else model["name"]
    wanted_dim = dimension if dimension is not None else model["dimension"]
    if (model["name"], model["dimension"]) != (wanted_name, wanted_dim):
        raise IndexIncompatible(
            f"The index was built with model {model['name']} (dim {model['dimension']}); "
            f"this emnqa uses {wanted_name} (dim {wanted_dim}). {_REBUILD}"
        )


def built_backend(manifest: dict) -> str | None:
    """The backend an index was embedded with; indexes from before backends
    were recorded were all embedded by torch."""
    return manifest.get("model", {}).get("backend", "torch")


def _check_backend(manifest: dict, build: Path, backend: str | None) -> None:
    built = built_backend(manifest)
    if backend is None or built is None or built == backend:
        return
    raise IndexIncompatible(
        f"The index at {build} was embedded with the {built} encoder; this emnqa is set to embed "
        f"questions with {backend} (EMNQA_EMBED_BACKEND). Rebuild with `emnqa index`, "
        f"or set EMNQA_EMBED_BACKEND={built}."
    )


def _check_files(manifest: dict, build: Path) -> None:
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise IndexCorrupt(f"{build / MANIFEST} lists no file checksums. {_REBUILD}")
    for name in (VECTORS, CHUNKS, DOCUMENTS, *([SENTENCES] if SENTENCES in files else [])):
        path = build / name
        if name not in files:
            raise IndexCorrupt(f"{build / MANIFEST} has no checksum for {name}. {_REBUILD}")
        if not path.is_file():
            raise IndexCorrupt(f"{path} is missing. {_REBUILD}")
        actual = _sha256(path)
        if actual != files[name]:
            raise IndexCorrupt(
                f"{path} has changed since the index was built: its sha256 is "
                f"{actual[:12]}…, the manifest says {str(files[name])[:12]}…. {_REBUILD}"
            )


def _read_sentences(build: Path, manifest: dict, chunks: list[Chunk], dimension: int) -> np.ndarray | None:
    if SENTENCES not in manifest.get("files", {}):
        return None
    path = build / SENTENCES
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{path} cannot be read ({exc}). {_REBUILD}") from None
    expected = sum(len(c.meta.get("sentences", ())) for c in chunks)
    if vectors.ndim != 2 or vectors.shape != (expected, dimension):
        raise IndexCorrupt(
            f"{path} holds {vectors.shape} sentence vectors but the chunks list {expected} sentences "
            f"of dimension {dimension}. {_REBUILD}"
        )
    return vectors


def _read_faiss(path: Path) -> Any:
    try:
        return _faiss().read_index(str(path))
    except RuntimeError as exc:  # faiss reports every read problem as RuntimeError
        # faiss prefixes its C++ source location; the reason is after the last ": ".
        reason = str(exc).strip().rsplit(": ", 1)[-1]
        raise IndexCorrupt(f"{path} cannot be read by faiss ({reason}). {_REBUILD}") from None


def _read_chunks(path: Path) -> list[Chunk]:
    chunks = []
    # Read as bytes: a damaged file may not even decode as UTF-8.
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                chunks.append(Chunk.from_dict(json.loads(line.decode("utf-8"))))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise IndexCorrupt(
                    f"{path} line {number} is not a valid chunk ({exc!r}). {_REBUILD}"
                ) from None
    return chunks


def _read_documents(path: Path) -> dict[str, dict]:
    try:
        documents = json.loads(path.read_text(encoding="utf-8"))
        return {d["doc_id"]: d for d in documents}
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorrupt(f"{path} is not a list of documents ({exc!r}). {_REBUILD}") from None


def _current_name(root: Path) -> str | None:
    try:
        return (root / CURRENT).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:  # a damaged pointer names no build
        return "(unreadable)"


def _build_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.glob(f"{_BUILD_PREFIX}*") if p.is_dir())


# --- helpers -----------------------------------------------------------------


def _faiss() -> Any:
    import faiss

    return faiss


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str | None]:
    """Library versions for the manifest; a missing one is recorded as None."""
    from importlib import metadata

    versions: dict[str, str | None] = {"python": platform.python_version()}
    for key, dist in (
        ("emnqa", "emnqa"),
        ("faiss", "faiss-cpu"),
        ("sentence_transformers", "sentence-transformers"),
        ("numpy", "numpy"),
    ):
        try:
            versions[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[key] = None
    return versions
