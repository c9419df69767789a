"""How likely the first quote answers the question: a classifier fitted on
the train split (eval/train_confidence.py), calibrated on dev (Platt
scaling). Its probability is the answer's confidence; with
EMNQA_ABSTENTION=learned, below a threshold chosen on dev (the best net
among those that, with the questions the rules decline, decline no more
than 3% of dev's answerable questions) the answer is "not covered" too. Each abstention rule that fires is one of its features, beside the
evidence's scores, the passages' retrieval scores, the question's type and
how much of its wording the corpus knows, and the answer matcher's cosine
of the first quote. The rules still decide as well:
fitted on train and measured out of fold, the classifier alone declined far
fewer unanswerable questions than the rules at the same false abstention
(eval/README.md, "Learned confidence").

The model (`confidence.txt`, a LightGBM text file) and its calibration and
threshold (`confidence.json`, with the model card's figures) ship beside
this module.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from ..errors import ModelUnavailable
from ..query.qtype import QUESTION_TYPES
from ..retrieve.lexical import terms
from ..store import boosters
from ..types import Evidence, Passage, Query, Verdict
from .abstain import RULES
from .cues import gives_amount
from .facts import CorpusFacts

MODEL_PATH = Path(__file__).with_name("confidence.txt")
CARD_PATH = Path(__file__).with_name("confidence.json")

FEATURES = (
    "evidence", "top_score", "second_score", "score_margin", "top_cosine", "top_match", "top_coverage", "top_cue",
    "quotes", "quote_passage_rank", "passage1_score", "passage_gap", "passages",
    "years_asked", "question_words", "known_share", "follow_up", "gives_amount",
    *(f"rule_{name}" for name in RULES),
    "qtype",
)
CATEGORICAL = ("qtype",)


def features(query: Query, evidence: Sequence[Evidence], found: Sequence[Passage], verdict: Verdict, facts: CorpusFacts) -> list[float]:
    """One row of FEATURES for a question: its evidence (best first), the
    passages found and the rules' verdict.

    >>> from emnqa.types import Chunk
    >>> text = "In 2024, 39 615 persons applied for international protection."
    >>> p = Passage.of(Chunk("d:1", "d", text, ("Asylum",), 0, len(text), 9), 2.0, 1, "T")
    >>> q = Query("How many applied in 2024?", "How many applied in 2024?", "quantity", ("2024",))
    >>> row = dict(zip(FEATURES, features(q, [Evidence(p, 0, len(text), 1.1, 0.6, 0.7, 1.0)], [p], Verdict(False), CorpusFacts((), "", {}))))
    >>> row["top_score"], row["gives_amount"], row["rule_no_figure"], row["known_share"]
    (1.1, 1.0, 0.0, 0.0)
    """
    fired = {reason.split(":", 1)[0] for reason in verdict.reasons}
    asked = terms(query.text)
    best = evidence[0] if evidence else None
    scores = [e.score for e in evidence]
    passage_scores = [p.score for p in found]
    return [
        float(bool(evidence)),
        scores[0] if scores else 0.0,
        scores[1] if len(scores) > 1 else 0.0,
        scores[0] - scores[1] if len(scores) > 1 else scores[0] if scores else 0.0,
        best.similarity if best else 0.0,
        (best.similarity if best.match is None else best.match) if best else 0.0,
        best.coverage if best else 0.0,
        best.cue if best else 0.0,
        float(len(evidence)),
        float(best.passage.rank) if best else 0.0,
        passage_scores[0] if passage_scores else 0.0,
        passage_scores[0] - passage_scores[1] if len(passage_scores) > 1 else 0.0,
        float(len(found)),
        float(len(query.years)),
        float(len(query.text.split())),
        sum(facts.known(t) for t in asked) / len(asked) if asked else 0.0,
        float(query.asked != query.text),
        float(bool(best) and gives_amount(best.text, query.text)),
        *(float(name in fired) for name in RULES),
        float(QUESTION_TYPES.index(query.qtype)),
    ]


class Calibrated:
    """A LightGBM classifier over FEATURES, with its Platt calibration and
    threshold: the model file and its card (`model`, `card`) ship beside the
    module that names them; `what` and `fit` go into the errors."""

    model: Path = MODEL_PATH
    card: Path = CARD_PATH
    what = "confidence model"
    fit = "Fit it again: .venv/bin/python eval/train_confidence.py"

    def __init__(self, booster, a: float, b: float, threshold: float):
        if list(booster.feature_name()) != list(FEATURES):
            raise ModelUnavailable(f"The {self.what} at {self.model} was fitted on other features. {self.fit}")
        self.booster, self.a, self.b, self.threshold = booster, a, b, threshold

    @classmethod
    def load(cls, model: Path | None = None, card: Path | None = None):
        model, card = model or cls.model, card or cls.card
        if not model.exists() or not card.exists():
            raise ModelUnavailable(f"No {cls.what} at {model}. {cls.fit}")
        data = json.loads(card.read_text(encoding="utf-8"))
        return cls(boosters.load(str(model)), data["platt"]["a"], data["platt"]["b"], data["threshold"])

    def probability(self, row: Sequence[float]) -> float:
        """The calibrated probability for a question's row."""
        import numpy as np

        raw = float(boosters.predict(self.booster, np.asarray([row], dtype=np.float64), raw_score=True)[0])
        return calibrated(raw, self.a, self.b)


class Confidence(Calibrated):
    """The probability that the first quote answers, and its threshold."""

    def judge(self, probability: float, verdict: Verdict) -> Verdict:
        """The rules' verdict, and abstention below the threshold too.

        >>> c = Confidence.__new__(Confidence); c.threshold = 0.2
        >>> c.judge(0.1, Verdict(False)), c.judge(0.5, Verdict(True, ("no_figure",)))
        (Verdict(abstain=True, reasons=('low_confidence: 0.10',)), Verdict(abstain=True, reasons=('no_figure',)))
        """
        if probability < self.threshold:
            return Verdict(True, (*verdict.reasons, f"low_confidence: {probability:.2f}"))
        return verdict


def calibrated(raw: float, a: float, b: float) -> float:
    """Platt scaling of a raw score: 1 / (1 + exp(-(a * raw + b))).

    >>> round(calibrated(0.0, 1.0, 0.0), 2), round(calibrated(2.0, 1.5, -1.0), 3)
    (0.5, 0.881)
    """
    return 1.0 / (1.0 + math.exp(-(a * raw + b)))

