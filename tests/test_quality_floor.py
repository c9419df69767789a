"""The CI quality guard, on the held-out test split: retrieval and answers on
the real index with the real model must stay within the floors and ceilings
in eval/floors.json (set from measured values, one question's move below
them; they only ever tighten). Only aggregate figures are compared: a
failure names the metric, never a test question."""

import json
from pathlib import Path

import pytest

from emnqa.assistant import Assistant
from emnqa.config import Settings
from emnqa.evaluation.evaluate import evaluate_answers, evaluate_index
from emnqa.evaluation.splits import load_splits

EVAL = Path(__file__).resolve().parents[1] / "eval"
LIMITS = json.loads((EVAL / "floors.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def test_split():
    return load_splits([LIMITS["split"]], EVAL)


@pytest.mark.model
def test_retrieval_stays_above_the_floors(real_index_dir, real_embedder, test_split):
    floors = LIMITS["modes"]
    settings = Settings.from_env(index_dir=real_index_dir)
    modes, _ = evaluate_index(settings, test_split, list(floors), embedder=real_embedder)
    results = {r.mode: r for r in modes}
    below = [
        f"{mode} {metric}: {results[mode].single_turn[metric]:.3f} < floor {floor:.3f}"
        for mode, metrics in floors.items()
        for metric, floor in metrics.items()
        if results[mode].single_turn[metric] < floor
    ]
    assert not below, "; ".join(below)


@pytest.mark.model
def test_answers_stay_above_the_floors(real_index_dir, real_embedder, test_split):
    limits = LIMITS["answers"]
    assistant = Assistant(Settings.from_env(index_dir=real_index_dir), embedder=real_embedder)
    result = evaluate_answers(assistant, test_split)
    overall, english = result.overall, result.groups["lang"]["en"]
    wrong = [f"{m}: {overall[m]:.3f} < floor {v:.3f}" for m, v in limits["floors"].items() if overall[m] < v]
    wrong += [f"{m} (English): {english[m]:.3f} < floor {v:.3f}" for m, v in limits.get("english", {}).items() if english[m] < v]
    wrong += [f"{m}: {overall[m]:.3f} > ceiling {v:.3f}" for m, v in limits["ceilings"].items() if overall[m] > v]
    assert not wrong, "; ".join(wrong)
