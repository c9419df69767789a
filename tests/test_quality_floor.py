"""The CI quality guard: retrieval and answers on the real index with the
real model must stay within the floors and ceilings in eval/floors.json (set
from measured values; they only ever tighten)."""

import json
from pathlib import Path

import pytest

from emnqa.assistant import Assistant
from emnqa.config import Settings
from emnqa.evaluation import evaluate_answers, evaluate_index
from emnqa.questions import load_questions

EVAL = Path(__file__).resolve().parents[1] / "eval"


@pytest.mark.model
def test_retrieval_stays_above_the_floors(real_index_dir, real_embedder):
    floors = json.loads((EVAL / "floors.json").read_text(encoding="utf-8"))["modes"]
    settings = Settings.from_env(index_dir=real_index_dir)
    questions = load_questions(EVAL / "questions.jsonl")
    modes, _ = evaluate_index(settings, questions, list(floors), embedder=real_embedder)
    results = {r.mode: r for r in modes}
    below = [
        f"{mode} {metric}: {results[mode].single_turn[metric]:.3f} < floor {floor:.3f}"
        for mode, metrics in floors.items()
        for metric, floor in metrics.items()
        if results[mode].single_turn[metric] < floor
    ]
    assert not below, "; ".join(below)


@pytest.mark.model
def test_answers_stay_above_the_floors(real_index_dir, real_embedder):
    limits = json.loads((EVAL / "floors.json").read_text(encoding="utf-8"))["answers"]
    assistant = Assistant(Settings.from_env(index_dir=real_index_dir), embedder=real_embedder)
    overall = evaluate_answers(assistant, load_questions(EVAL / "questions.jsonl")).overall
    wrong = [f"{m}: {overall[m]:.3f} < floor {v:.3f}" for m, v in limits["floors"].items() if overall[m] < v]
    wrong += [f"{m}: {overall[m]:.3f} > ceiling {v:.3f}" for m, v in limits["ceilings"].items() if overall[m] > v]
    assert not wrong, "; ".join(wrong)
