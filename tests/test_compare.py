"""Two runs compared: differences per split and metric, paired p-values, the
questions that changed (held-out ones counted, never named)."""

import json

import pytest

from emnqa.evaluation.compare import RunError, compare_runs, load_run, render, to_json


def row(qid, split, answerable, at1=False, any_=False, abstained=False, hit5=1.0):
    answer = {"abstained": abstained, "answer@1": at1, "answer@any": any_, "citation_precision": 0.5 if answerable else None}
    return {"id": qid, "split": split, "answerable": answerable,
            "modes": {"assistant": {"metrics": {"hit@1": hit5, "hit@5": hit5, "mrr@10": hit5}}} if answerable else {},
            "answer": answer}


def run(rows):
    return {"meta": {}, "questions": rows}


def test_a_large_consistent_gain_is_significant_and_one_question_is_not():
    a = run([row(f"d{i}", "dev", True) for i in range(40)])
    b = run([row(f"d{i}", "dev", True, at1=True, any_=True) for i in range(40)])
    differences, changes, _ = compare_runs(a, b)
    at1 = next(d for d in differences if d.metric == "answer@1")
    assert (at1.a, at1.b, at1.delta, at1.n) == (0.0, 1.0, 1.0, 40) and at1.p_value < 0.001
    one = run([row("d0", "dev", True, at1=True, any_=True)] + [row(f"d{i}", "dev", True) for i in range(1, 40)])
    differences, changes, _ = compare_runs(a, one)
    at1 = next(d for d in differences if d.metric == "answer@1")
    assert at1.delta == pytest.approx(1 / 40) and at1.p_value > 0.9  # one flip: nothing to conclude
    assert [(c.question_id, c.what) for c in changes] == [("d0", "answer@1 gained"), ("d0", "answer@any gained")]


def test_unanswerable_questions_count_for_abstention_and_splits_are_apart():
    a = run([row("d1", "dev", False, abstained=False), row("t1", "test", False, abstained=False)])
    b = run([row("d1", "dev", False, abstained=True), row("t1", "test", False, abstained=True)])
    differences, changes, _ = compare_runs(a, b)
    assert {(d.split, d.metric, d.b) for d in differences} == {("dev", "abstention_recall", 1.0),
                                                               ("test", "abstention_recall", 1.0)}
    text = render(differences, changes, [])
    assert "d1: abstention_recall gained" in text
    assert "t1" not in text and "test: 1 changes (1 gained, 0 lost); held out, not named" in text
    assert all("id" not in c for c in to_json(differences, changes, [])["changes"] if c["split"] == "test")


def test_questions_in_one_run_only_are_left_out_with_a_note():
    a = run([row("d1", "dev", True), row("d2", "dev", True)])
    b = run([row("d1", "dev", True)])
    _, _, notes = compare_runs(a, b)
    assert notes == ["1 questions only in A and 0 only in B are left out; 1 are paired."]
    with pytest.raises(RunError, match="share no question id"):
        compare_runs(a, run([row("x", "dev", True)]))


def test_unreadable_runs_say_what_to_pass(tmp_path):
    with pytest.raises(RunError, match="No evaluation run at"):
        load_run(tmp_path / "missing")
    (tmp_path / "results.json").write_text("{", encoding="utf-8")
    with pytest.raises(RunError, match="not valid JSON"):
        load_run(tmp_path)
    (tmp_path / "results.json").write_text(json.dumps({"modes": {}}), encoding="utf-8")
    with pytest.raises(RunError, match="no per-question rows"):
        load_run(tmp_path)
