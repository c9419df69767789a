"""What each abstention rule and quote-extension step earns: the answers
scored with everything on, then with each one switched off in turn.

The first column, `net`, is what a reader gets: +1 for an answer whose
quotes hold the fact, 0 for "not covered", -1 for an answer that does not
hold it (to an answerable question, or any answer to an unanswerable one).
A rule that declines answerable questions is not at fault when the answers
it withholds were wrong: `net` counts that, false abstention does not. A
rule or step earns its place when switching it off lowers `net`. Every difference
comes with the p-value of a paired randomisation test over the questions
(emnqa.evaluation.compare), so a one-question move is seen as the noise it is.

    emnqa eval --ablate [--split dev|test|...]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..answer.abstain import RULES
from .compare import paired_p_value
from .evaluate import AnswerRun, judge_answer
from .questions import Question

# Quote-extension steps with a switch in ComposeParams, and the value that
# turns each off.
EXTENSIONS = {"notes": "none", "list_items": 0, "reading_order": False}
METRICS = ("net", "abstention_recall", "false_abstention", "answer@1", "answer@any")


@dataclass(frozen=True)
class Ablation:
    switched_off: str  # "rule:no_figure", "extension:notes", "model:reader"
    split: str
    metric: str
    n: int
    on: float  # with everything on
    off: float  # with this one switched off
    p_value: float

    @property
    def earns(self) -> float:
        """What the rule or step adds: on - off, signed so that a positive
        figure is a gain (for false abstention, on - off is a cost)."""
        return self.off - self.on if self.metric == "false_abstention" else self.on - self.off


def per_question(runs: Sequence[AnswerRun]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for r in runs:
        declined = r.answer.abstained
        if r.question.answerable:
            out[r.question.id] = {"answer@1": float(r.answer_at_1), "answer@any": float(r.answer_any),
                                  "false_abstention": float(declined),
                                  "net": 0.0 if declined else (1.0 if r.answer_any else -1.0)}
        else:
            out[r.question.id] = {"abstention_recall": float(declined), "net": 0.0 if declined else -1.0}
    return out


def ablate(assistant, questions: Sequence[Question], say: Callable[[str], None] = lambda _: None) -> list[Ablation]:
    """Answer every question with everything on, then once per rule and
    extension step switched off; the assistant is left as it was."""

    def answer_all() -> dict[str, dict[str, float]]:
        return per_question([judge_answer(q, assistant.ask(q.question, q.history)) for q in questions])

    base_params, base_off, base_scorer = assistant.params, assistant.abstain_off, getattr(assistant, "scorer", None)
    say(f"Answering {len(questions)} questions with every rule and step on ...")
    baseline = answer_all()
    variants = [(f"rule:{name}", {"abstain_off": base_off | {name}}) for name in RULES]
    variants += [(f"extension:{name}", {"params": replace(base_params, **{name: value})})
                 for name, value in EXTENSIONS.items()]
    if base_scorer is not None:
        # the hand-written sentence score alone, without the reader or the lead ranker
        variants.append((f"model:{getattr(base_scorer, 'name', 'reader')}", {"scorer": None}))
    results: list[Ablation] = []
    split_of = {q.id: q.split or "-" for q in questions}
    try:
        for label, change in variants:
            say(f"... without {label}")
            assistant.abstain_off = change.get("abstain_off", base_off)
            assistant.params = change.get("params", base_params)
            assistant.scorer = change["scorer"] if "scorer" in change else base_scorer
            scored = answer_all()
            for split in dict.fromkeys(split_of.values()):
                for metric in METRICS:
                    ids = [q for q in baseline if split_of[q] == split and metric in baseline[q]]
                    if not ids:
                        continue
                    on = np.array([baseline[q][metric] for q in ids])
                    off = np.array([scored[q][metric] for q in ids])
                    results.append(Ablation(label, split, metric, len(ids), float(on.mean()), float(off.mean()),
                                            paired_p_value(on, off)))
    finally:
        assistant.params, assistant.abstain_off, assistant.scorer = base_params, base_off, base_scorer
    return results


def render(results: Sequence[Ablation], alpha: float = 0.05) -> str:
    """One line per switched-off rule or step and split: what it earns on
    each metric (positive: it helps), with p-values."""
    lines = [f"{'switched off':<24} {'split':<6} " + " ".join(f"{m:>21}" for m in METRICS)]
    keyed: dict[tuple[str, str], dict[str, Ablation]] = {}
    for r in results:
        keyed.setdefault((r.switched_off, r.split), {})[r.metric] = r
    for (label, split), by_metric in keyed.items():
        cells = []
        for m in METRICS:
            r = by_metric.get(m)
            cells.append(f"{'':>21}" if r is None else
                         f"{r.earns:>+7.3f} (p {r.p_value:.2f}){' *' if r.p_value < alpha else '  '}".rjust(21))
        lines.append(f"{label:<24} {split:<6} " + " ".join(cells))
    lines.append(
        "Each cell: what the rule or step earns (with it on, minus switched off; for false abstention, the "
        "abstentions it costs, negated). net: +1 an answer holding the fact, 0 not covered, -1 an answer that "
        f"does not (any answer to an unanswerable question). * p < {alpha}, paired randomisation test."
    )
    return "\n".join(lines)
