"""Whether the documents answer a question at all: a classifier fitted on
the train split's answerable and unanswerable questions
(eval/train_answerable.py), over the same row as the confidence
(emnqa.answer.confidence.features: the evidence's scores, the passages'
retrieval scores, the question's type and wording, and every abstention rule
as a feature). It decides "not covered" (EMNQA_ABSTENTION=classifier, the
default): below its threshold the answer is declined, above it the answer
is given even when a rule fired, with one exception (BINDING). Calibration
(Platt) and threshold are chosen out of fold on train: the threshold is the
highest whose out-of-fold false abstention stays at or below 3% (issue 16's
bound). Out of fold on train it declines more unanswerable questions than
the rules at a lower false abstention, and held out too (eval/README.md,
"The answerability classifier").

The model (`answerable.txt`, LightGBM) and its card (`answerable.json`:
calibration, threshold, data, figures) ship beside this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..types import Verdict
from .confidence import Calibrated

MODEL_PATH = Path(__file__).with_name("answerable.txt")
CARD_PATH = Path(__file__).with_name("answerable.json")


# Rules whose decline stands whatever the classifier says: a phrase the user
# quotes that the documents never use cannot be answered by them. A bound of
# logic, not a fitted one: it fires on no train question, so the classifier
# cannot learn it (as a constraint beside it, neutral out of fold).
BINDING = ("unknown_phrase",)


class Answerability(Calibrated):
    """The probability that the documents answer the question, and its threshold."""

    model, card = MODEL_PATH, CARD_PATH
    what = "answerability model"
    fit = "Fit it again: .venv/bin/python eval/train_answerable.py, or set EMNQA_ABSTENTION=rules."

    def judge(self, probability: float, verdict: Verdict) -> Verdict:
        """Declined below the threshold (with the rules that fired, as
        reasons), answered above it, whatever the rules said.

        >>> c = Answerability.__new__(Answerability); c.threshold = 0.3
        >>> c.judge(0.1, Verdict(True, ("no_figure",))), c.judge(0.1, Verdict(False))
        (Verdict(abstain=True, reasons=('no_figure', 'unlikely_answerable: 0.10')), Verdict(abstain=True, reasons=('unlikely_answerable: 0.10',)))
        >>> c.judge(0.8, Verdict(True, ("no_figure",)))
        Verdict(abstain=False, reasons=())
        >>> c.judge(0.8, Verdict(True, ("no_figure", "unknown_phrase: golden visa")))
        Verdict(abstain=True, reasons=('unknown_phrase: golden visa',))
        """
        if probability < self.threshold:
            return Verdict(True, (*verdict.reasons, f"unlikely_answerable: {probability:.2f}"))
        bound = tuple(reason for reason in verdict.reasons if reason.split(":", 1)[0] in BINDING)
        return Verdict(bool(bound), bound)


# (the confidence's row, the confidence, the rules' verdict) -> the verdict.
Judge = Callable[[Sequence[float], float, Verdict], Verdict]


def abstention_judge(mode: str, confidence) -> Judge:
    """Who decides "not covered" (Settings.abstention): "rules", the
    abstention rules alone; "learned", the rules and the confidence below
    its threshold; "classifier", the answerability classifier alone (the
    rules are its features).

    >>> abstention_judge("rules", None)([0.0], 0.1, Verdict(True, ("no_figure",)))
    Verdict(abstain=True, reasons=('no_figure',))
    """
    if mode == "classifier":
        model = Answerability.load()
        return lambda row, p, verdict: model.judge(model.probability(row), verdict)
    if mode == "learned":
        return lambda row, p, verdict: confidence.judge(p, verdict)
    return lambda row, p, verdict: verdict
