"""Two evaluation runs side by side: per-metric differences, a paired
significance test, and the questions that changed.

A change is judged on evidence, not on a one-question move: for every metric
the per-question values of the two runs are paired on the question id and a
two-sided paired randomisation test (scipy's `permutation_test`, swapping the
two runs' values within each pair) gives the p-value of the mean difference.
Questions of a held-out split are counted but never named.

    emnqa eval --compare eval/runs/A eval/runs/B
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EmnqaError
from .splits import HELD_OUT, split_order

RETRIEVAL = ("hit@1", "hit@5", "mrr@10")
ANSWERS = ("answer@1", "answer@any", "citation_precision", "false_abstention", "abstention_recall")


class RunError(EmnqaError):
    """An evaluation run that cannot be read or compared."""


@dataclass(frozen=True)
class Difference:
    split: str
    metric: str  # "assistant hit@5", "answer@1" ...
    n: int  # questions paired
    a: float
    b: float
    p_value: float

    @property
    def delta(self) -> float:
        return self.b - self.a


@dataclass(frozen=True)
class Change:
    question_id: str
    split: str
    what: str  # "answer@1 gained", "hit@5 lost (assistant)" ...


def load_run(path: Path) -> dict:
    """A run's results.json, from the run's directory or the file itself."""
    path = Path(path)
    file = path / "results.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"No evaluation run at {path}: pass a directory `emnqa eval` wrote (it holds results.json).") from None
    except json.JSONDecodeError as exc:
        raise RunError(f"{file} is not valid JSON ({exc.msg}); was the run interrupted?") from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise RunError(f"{file} holds no per-question rows; it is not an `emnqa eval` results file.")
    return data


def per_question(run: dict) -> dict[str, dict[str, float]]:
    """question id -> metric -> value, for every metric the row has."""
    out: dict[str, dict[str, float]] = {}
    for row in run["questions"]:
        values: dict[str, float] = {}
        for mode, scored in (row.get("modes") or {}).items():
            for metric in RETRIEVAL:
                if metric in (scored.get("metrics") or {}):
                    values[f"{mode} {metric}"] = float(scored["metrics"][metric])
        answer = row.get("answer")
        if answer is not None:
            if row.get("answerable"):
                if "answer@1" in answer:
                    values["answer@1"] = float(answer["answer@1"])
                any_ = answer.get("answer@any", answer.get("has_gold"))
                if any_ is not None:
                    values["answer@any"] = float(any_)
                if answer.get("citation_precision") is not None:
                    values["citation_precision"] = float(answer["citation_precision"])
                values["false_abstention"] = float(answer["abstained"])
            else:
                values["abstention_recall"] = float(answer["abstained"])
        out[row["id"]] = values
    return out


def paired_p_value(a: np.ndarray, b: np.ndarray, resamples: int = 10_000, seed: int = 0) -> float:
    """Two-sided p-value of mean(b - a) under the paired randomisation test.

    >>> paired_p_value(np.zeros(30), np.ones(30)) < 0.001
    True
    >>> paired_p_value(np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    1.0
    """
    if len(a) < 2 or np.array_equal(a, b):
        return 1.0  # nothing to test: no pairs, one pair, or no difference
    from scipy.stats import permutation_test

    result = permutation_test(
        (b, a),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        permutation_type="samples",
        vectorized=True,
        n_resamples=resamples,
        alternative="two-sided",
        random_state=seed,
    )
    return float(min(1.0, result.pvalue))


def compare_runs(run_a: dict, run_b: dict) -> tuple[list[Difference], list[Change], list[str]]:
    """Differences per split and metric, the questions that changed, and
    notes (questions in one run only)."""
    qa, qb = per_question(run_a), per_question(run_b)
    split_of = {row["id"]: row.get("split") or "-" for row in run_a["questions"] + run_b["questions"]}
    shared = [qid for qid in qa if qid in qb]
    notes = []
    if len(shared) < len(qa) or len(shared) < len(qb):
        notes.append(
            f"{len(qa) - len(shared)} questions only in A and {len(qb) - len(shared)} only in B are left out; "
            f"{len(shared)} are paired."
        )
    if not shared:
        raise RunError("The two runs share no question id: they are not runs of the same questions.")
    splits = sorted({split_of[q] for q in shared}, key=split_order)
    metrics = sorted({m for q in shared for m in qa[q]} & {m for q in shared for m in qb[q]}, key=_metric_order)
    differences = []
    for split in splits:
        ids = [q for q in shared if split_of[q] == split]
        for metric in metrics:
            pairs = [(qa[q][metric], qb[q][metric]) for q in ids if metric in qa[q] and metric in qb[q]]
            if not pairs:
                continue
            a, b = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
            differences.append(Difference(split, metric, len(pairs), float(a.mean()), float(b.mean()), paired_p_value(a, b)))
    changes = []
    for q in shared:
        for metric in ("answer@1", "answer@any", "abstention_recall", "false_abstention", "assistant hit@5", "assistant hit@1"):
            if metric in qa[q] and metric in qb[q] and qa[q][metric] != qb[q][metric]:
                gained = qb[q][metric] > qa[q][metric]
                if metric == "false_abstention":
                    gained = not gained
                changes.append(Change(q, split_of[q], f"{metric} {'gained' if gained else 'lost'}"))
    return differences, changes, notes


def _metric_order(metric: str) -> tuple[int, str]:
    order = [*ANSWERS, *(f"assistant {m}" for m in RETRIEVAL)]
    return (order.index(metric) if metric in order else len(order), metric)


def render(differences: list[Difference], changes: list[Change], notes: list[str], alpha: float = 0.05) -> str:
    """A plain-text table, then the changed questions (held-out ones counted, not named)."""
    lines = [f"{'split':<6} {'metric':<24} {'n':>5} {'A':>7} {'B':>7} {'B-A':>7} {'p':>7}"]
    for d in differences:
        mark = " *" if d.p_value < alpha else ""
        lines.append(f"{d.split:<6} {d.metric:<24} {d.n:>5} {d.a:>7.3f} {d.b:>7.3f} {d.delta:>+7.3f} {d.p_value:>7.3f}{mark}")
    lines.append(f"* p < {alpha}: paired randomisation test, two-sided, 10 000 resamples")
    by_split: dict[str, list[Change]] = {}
    for c in changes:
        by_split.setdefault(c.split, []).append(c)
    for split, items in by_split.items():
        if split in HELD_OUT:
            gained = sum(c.what.endswith("gained") for c in items)
            lines.append(f"{split}: {len(items)} changes ({gained} gained, {len(items) - gained} lost); held out, not named")
        else:
            lines.append(f"{split}: {len(items)} changes")
            lines += [f"  {c.question_id}: {c.what}" for c in items]
    return "\n".join(lines + notes)


def to_json(differences: list[Difference], changes: list[Change], notes: list[str]) -> dict:
    return {
        "differences": [
            {"split": d.split, "metric": d.metric, "n": d.n, "a": d.a, "b": d.b, "delta": d.delta, "p_value": d.p_value}
            for d in differences
        ],
        "changes": [
            {"id": c.question_id, "split": c.split, "what": c.what} if c.split not in HELD_OUT else {"split": c.split, "what": c.what}
            for c in changes
        ],
        "notes": notes,
    }
