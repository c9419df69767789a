"""Selective answering: how well an answer's confidence tells right from wrong.

The standard view of a system that may decline (El-Yaniv & Wiener 2010;
Geifman & El-Yaniv 2017): order the answers it gives by confidence, most
confident first; answering only the top share of them (coverage) leaves a
share of wrong ones among them (risk). A confidence that puts the wrong
answers last gives a low risk at every coverage: the area under the
risk-coverage curve (AURC, lower is better) sums that up. Here an answer is
right when its first quote holds a gold string, and any answer to an
unanswerable question is wrong; a question the system declines is not on the
curve, so the curve ends at the system's own coverage.

>>> points = risk_coverage([0.9, 0.8, 0.2, 0.1], [True, False, True, False], total=5)
>>> [(round(c, 2), round(r, 2)) for c, r in points]
[(0.2, 0.0), (0.4, 0.5), (0.6, 0.33), (0.8, 0.5)]
>>> round(aurc(points), 3)
0.333
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def risk_coverage(confidence: Sequence[float], correct: Sequence[bool], total: int | None = None) -> list[tuple[float, float]]:
    """(coverage, risk) after each answer, most confident first; coverage is
    a share of `total` questions (default: the answers given). Ties in
    confidence are taken together, so their order does not matter."""
    if len(confidence) != len(correct):
        raise ValueError(f"confidence and correct differ in length: {len(confidence)} != {len(correct)}")
    total = total or len(confidence)
    order = sorted(range(len(confidence)), key=lambda i: -confidence[i])
    points: list[tuple[float, float]] = []
    wrong = 0
    for n, i in enumerate(order, start=1):
        wrong += not correct[i]
        last_of_tie = n == len(order) or confidence[order[n]] != confidence[i]
        if last_of_tie:
            points.append((n / total, wrong / n))
    return points


def aurc(points: Sequence[tuple[float, float]]) -> float | None:
    """Mean risk over the curve's answers (the area under it, divided by its
    coverage, so that curves ending at different coverages compare)."""
    if not points:
        return None
    area, previous = 0.0, 0.0
    for coverage, risk in points:
        area += (coverage - previous) * risk
        previous = coverage
    return area / previous


def calibration(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean confidence, share right, count) for equal-count bins of answers.

    >>> calibration([0.1, 0.2, 0.8, 0.9], [False, False, True, True], bins=2)
    [(0.15, 0.0, 2), (0.85, 1.0, 2)]
    """
    order = sorted(range(len(confidence)), key=lambda i: confidence[i])
    out = []
    for b in range(bins):
        members = order[b * len(order) // bins : (b + 1) * len(order) // bins]
        if members:
            mean = round(sum(confidence[i] for i in members) / len(members), 6)
            out.append((mean, sum(correct[i] for i in members) / len(members), len(members)))
    return out


def plot(curves: dict[str, Sequence[tuple[float, float]]], bins: dict[str, list[tuple[float, float, int]]], path: Path) -> None:
    """Risk-coverage curves and a calibration plot side by side, one line per split."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    for name, points in curves.items():
        if points:
            left.plot([c for c, _ in points], [r for _, r in points], label=f"{name} (AURC {aurc(points):.3f})")
    left.set_xlabel("coverage (share of questions answered)")
    left.set_ylabel("risk (share of those answers wrong)")
    left.set_xlim(0, 1)
    left.set_ylim(0, 1)
    left.grid(alpha=0.3)
    left.legend()
    left.set_title("Risk-coverage, answers ordered by confidence")
    for name, rows in bins.items():
        if rows:
            right.plot([c for c, _, _ in rows], [a for _, a, _ in rows], marker="o", label=name)
    every = [c for rows in bins.values() for c, _, _ in rows]
    if every and 0 <= min(every) and max(every) <= 1:
        right.plot([0, 1], [0, 1], linestyle=":", color="grey", label="calibrated")
    right.set_xlabel("confidence (bin mean)")
    right.set_ylabel("share of answers right")
    right.set_ylim(0, 1)
    right.grid(alpha=0.3)
    right.legend()
    right.set_title("Calibration (equal-count bins)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
