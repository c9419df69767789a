"""The lead ranker: which candidate sentence leads the answer, learned.

A LightGBM lambdarank model (`lead.txt`) over the candidates of a question
that the year filter admits, fitted on the train split by
`eval/train_lead.py` and chosen on dev; its card, with the figures, is
`lead.json`. It reads each candidate's hand-written score (select.py), its
lead over the others and its parts, whether it spells out a name the
question asks about, the answer matcher's cosine (store.matcher: the question read by
an encoder fine-tuned to point at answering sentences, out of fold in
training), where the candidate stands against the others of its question,
its passage's rank and score, the sentence before it, the sentence's kind
(a footnote, a label such as a heading or caption), and the question's
type.

Only the lead changes: the candidate ranked first is promoted to lead the
answer, and every other keeps its hand score, so what else is quoted beside
it, and the abstention rules' thresholds, work on the scale they were
written for.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..config import MODEL_NAME
from ..errors import ModelUnavailable
from ..store import boosters
from ..store.matcher import DIMENSION, Matcher, load_matcher
from ..query.lexicon import spells_out
from ..query.qtype import QUESTION_TYPES
from ..types import Evidence, Query
from .cues import is_label

LEAD_MODEL = Path(__file__).with_name("lead.txt")
LEAD_CARD = Path(__file__).with_name("lead.json")
_FIT_HINT = "Fit it again: .venv/bin/python eval/train_lead.py, or set EMNQA_LEAD=hand."

FEATURES = (
    "score_share", "score_rank", "score_margin", "spells_out", "match", "match_margin", "match_rank", "similarity", "coverage", "cue",
    "passage_rank", "passage_score", "previous_similarity", "after_best", "figure", "words", "note", "label", "qtype",
)
CATEGORICAL = ("qtype",)
_DIGIT = re.compile(r"\d")  # a figure, a date, a year: what many questions ask for


def lead_features(query: Query, candidates: Sequence[Evidence], quotable: Sequence[int]) -> np.ndarray:
    """One row of FEATURES for each candidate `quotable` names (indices into
    `candidates`, which are in passage and reading order): ranks and shares
    are among the quotable ones, "previous" is the sentence before in the
    same passage, quotable or not.

    >>> from emnqa.types import Chunk, Passage
    >>> text = "Asylum in Belgium. In 2024, 39 615 persons applied."
    >>> p = Passage.of(Chunk("d:1", "d", text, ("Asylum",), 0, len(text), 9), 2.0, 1, "T")
    >>> q = Query("How many applied?", "How many applied?", "quantity", ())
    >>> c = [Evidence(p, 0, 18, 1.0, 0.5, 0.6, 0.0, 0.2), Evidence(p, 19, len(text), 0.8, 0.4, 0.5, 1.0, 0.7)]
    >>> rows = dict(zip(FEATURES, lead_features(q, c, [0, 1])[1].round(3).tolist()))
    >>> [rows[k] for k in ("score_share", "score_rank", "score_margin", "match_rank", "match_margin", "after_best", "figure")]
    [0.8, 1.0, -0.2, 0.0, 0.5, 1.0, 1.0]
    """
    if not quotable:
        return np.zeros((0, len(FEATURES)))
    chosen = [candidates[i] for i in quotable]
    scores = np.array([e.score for e in chosen])
    top = max(float(scores.max()), 1e-9)
    margins = _margins(scores) / top
    matches = np.array([e.match if e.match is not None else e.similarity for e in chosen])
    score_rank, match_rank = _ranks(scores), _ranks(matches)
    match_margins = _margins(matches)
    best = quotable[int(np.argmax(scores))]
    qtype = float(QUESTION_TYPES.index(query.qtype)) if query.qtype in QUESTION_TYPES else float(len(QUESTION_TYPES))
    rows = []
    for n, i in enumerate(quotable):
        e = candidates[i]
        before = candidates[i - 1] if i > 0 and candidates[i - 1].passage.chunk_ids == e.passage.chunk_ids else None
        rows.append([
            e.score / top,
            score_rank[n],
            margins[n],
            float(any(spells_out(e.text, group) for group in query.names)),
            matches[n],
            match_margins[n],
            match_rank[n],
            e.similarity,
            e.coverage,
            e.cue,
            float(e.passage.rank),
            e.passage.score,
            before.similarity if before is not None else -1.0,
            float(before is not None and i - 1 == best),
            float(bool(_DIGIT.search(e.text))),
            float(len(e.text.split())),
            float(e.passage.kind == "footnotes"),
            float(is_label(e.text, e.passage, query.qtype)),
            qtype,
        ])
    return np.array(rows, dtype=np.float64)


def _margins(values: np.ndarray) -> np.ndarray:
    """Each value less the best of the others: positive for the best alone,
    by how far it leads; for the others, how far behind the best they are.

    >>> _margins(np.array([3.0, 1.0, 2.0])).tolist()
    [1.0, -2.0, -1.0]
    """
    if len(values) < 2:
        return np.zeros(len(values))
    order = np.sort(values)
    best, second = order[-1], order[-2]
    return np.where(values == best, values - second, values - best)


def _ranks(values: np.ndarray) -> np.ndarray:
    """0 for the largest value, 1 for the next... (ties: the earlier first)."""
    order = np.argsort(-values, kind="stable")
    out = np.empty(len(values))
    out[order] = np.arange(len(values))
    return out


class LeadRanker:
    """The fitted ranker's say in selection (`rescore`, the hook of
    answer.select.choose_evidence)."""

    name = "lead"  # `emnqa eval --ablate` lists it as model:lead

    def __init__(self, booster: Any):
        if list(booster.feature_name()) != list(FEATURES):
            raise ModelUnavailable(f"The lead ranker at {LEAD_MODEL} was fitted on other features. {_FIT_HINT}")
        self.booster = booster

    @classmethod
    def load(cls, path: Path = LEAD_MODEL) -> "LeadRanker":
        if not Path(path).is_file():
            raise ModelUnavailable(f"No lead ranker at {path}. {_FIT_HINT}")
        return cls(boosters.load(str(path)))

    def scores(self, query: Query, candidates: Sequence[Evidence], quotable: Sequence[int]) -> np.ndarray:
        rows = lead_features(query, candidates, quotable)
        return boosters.predict(self.booster, rows) if len(rows) else np.zeros(0)

    def rescore(
        self, query: Query, candidates: Sequence[Evidence], admits: Callable[[Evidence], bool] | None = None
    ) -> list[Evidence]:
        """The candidates, in the same order; the one ranked first among those
        `admits` accepts now has the best score (just above the best hand
        score), the others keep theirs. Where the hand score's best spells
        out a name the question asks about (an acronym table's row), it
        stays the lead."""
        quotable = [i for i, e in enumerate(candidates) if admits is None or admits(e)]
        if len(quotable) < 2:
            return list(candidates)
        top = max(e.score for e in candidates)
        best = max(quotable, key=lambda i: candidates[i].score)
        if any(spells_out(candidates[best].text, group) for group in query.names):
            # "What is Fedasil?" answered by the line spelling the name out
            # (the acronym table): the ranker saw four such questions in train.
            return list(candidates)
        ranked = self.scores(query, candidates, quotable)
        lead = quotable[int(np.argmax(ranked))]  # ties: the first in reading order
        lifted = top + max(abs(top) * 1e-6, 1e-9)
        return [replace(e, score=lifted) if i == lead else e for i, e in enumerate(candidates)]


def learned_lead(settings: Any, index: Any) -> tuple[Matcher | None, LeadRanker | None]:
    """The answer matcher and the lead ranker when Settings.lead is
    "learned" and the index holds sentence vectors of the bundled model (the
    matcher's vectors are compared with them); (None, None) otherwise: the
    hand-written score leads."""
    vectors = index.sentence_vectors
    model = index.manifest.get("model", {})
    if settings.lead != "learned" or vectors is None or model.get("name") != MODEL_NAME or vectors.shape[1] != DIMENSION:
        return None, None
    return load_matcher(settings.embed_backend, settings.model_cache_dir), LeadRanker.load()


def card(path: Path = LEAD_CARD) -> dict[str, Any]:
    """The lead ranker's and the matcher's model card: data, features, figures."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

