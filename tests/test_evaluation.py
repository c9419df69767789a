"""The evaluation harness on hand-checkable cases: metrics from ranx,
follow-ups apart, unanswerable questions unscored, the files it writes."""

import json

import pytest

from emnqa.eval_report import write_run
from emnqa.evaluation import relevant_chunks, run_mode
from emnqa.questions import Question, QuestionSetError, Turn, load_questions
from emnqa.types import Chunk


def chunk(cid, text):
    return Chunk(cid, "doc", text, ("S",), 0, len(text), 1)


CHUNKS = [
    chunk("a", "In 2024, 39 615 people applied."),
    chunk("b", "The CALL received 23 159 appeals."),
    chunk("c", "Voluntary returns: 3 371."),
    chunk("d", "Again: 39\n615 applicants in all."),
]
Q_NUM = Question("q1", "How many applied?", ("39 615",), "doc", True, "numeric")
Q_WHO = Question("q2", "Who handles appeals?", ("23 159",), "doc", True, "who")
Q_FOLLOW = Question(
    "q3", "And returns?", ("3 371",), "doc", True, "numeric",
    (Turn("user", "How many applied?"), Turn("assistant", "39 615 [1]")),
)
Q_NONE = Question("q4", "How many in 2031?", (), None, False, "numeric")
QUESTIONS = [Q_NUM, Q_WHO, Q_FOLLOW, Q_NONE]
# What a pretend retriever returns for each question.
RANKINGS = {
    "How many applied?": ["b", "a", "c", "d"],  # first relevant at rank 2
    "Who handles appeals?": ["c", "a", "d", "b"],  # first relevant at rank 4
    "And returns?": ["c"],  # rank 1
    "How many in 2031?": ["a"],
}


def search(query, k):
    return RANKINGS[query][:k]


def test_relevance_is_containing_a_gold_string_case_and_space_folded():
    assert relevant_chunks(Q_NUM, CHUNKS) == {"a", "d"}
    assert relevant_chunks(Q_NONE, CHUNKS) == set()


def test_metrics_are_hand_checkable():
    result = run_mode("fake", search, QUESTIONS, CHUNKS, k=10)
    q1 = next(r for r in result.runs if r.question.id == "q1")
    assert q1.first_relevant_rank == 2
    assert q1.metrics["hit@1"] == 0 and q1.metrics["hit@3"] == 1
    assert q1.metrics["mrr@10"] == pytest.approx(0.5)
    assert q1.metrics["recall@10"] == pytest.approx(1.0)
    q2 = next(r for r in result.runs if r.question.id == "q2")
    assert q2.metrics["mrr@10"] == pytest.approx(0.25)
    # Single-turn means: q1 and q2 only.
    assert result.single_turn["hit@3"] == pytest.approx(0.5)
    assert result.single_turn["hit@5"] == pytest.approx(1.0)
    assert result.single_turn["mrr@10"] == pytest.approx(0.375)
    # Follow-ups reported apart; the unanswerable question is not scored.
    assert result.followups["hit@1"] == pytest.approx(1.0)
    assert result.counts == {"questions": 4, "scored": 3, "single_turn": 2, "followups": 1, "unanswerable": 1}
    assert set(result.by_type) == {"numeric", "who"}
    assert result.by_type["who"]["hit@1"] == 0 and result.by_type["who"]["n"] == 1
    assert result.curve["hit@2"] == pytest.approx(0.5) and result.curve["hit@4"] == pytest.approx(1.0)
    assert result.latency["p95"] >= result.latency["p50"] >= 0


def test_cutoff_k_limits_what_counts():
    result = run_mode("fake", search, QUESTIONS, CHUNKS, k=3)
    assert result.single_turn["hit@10"] == pytest.approx(0.5)  # q2's rank 4 is cut


def test_query_of_decides_what_is_searched():
    seen = []

    def recording(query, k):
        seen.append(query)
        return ["c"]

    run_mode("fake", recording, [Q_FOLLOW], CHUNKS, query_of=lambda q: q.history[0].content + " " + q.question)
    assert seen == ["How many applied? And returns?"]


def test_run_files_hold_one_row_per_question(tmp_path):
    result = run_mode("fake", search, QUESTIONS, CHUNKS, k=10)
    paths = write_run([result], tmp_path / "run", {"questions": "q.jsonl", "k": 10})
    data = json.loads(paths["results"].read_text(encoding="utf-8"))
    assert [row["id"] for row in data["questions"]] == ["q1", "q2", "q3", "q4"]
    row = data["questions"][0]
    assert row["modes"]["fake"]["first_relevant_rank"] == 2
    assert row["modes"]["fake"]["retrieved"] == ["b", "a", "c", "d"]
    assert data["modes"]["fake"]["single_turn"]["mrr@10"] == pytest.approx(0.375)
    report = paths["report"].read_text(encoding="utf-8")
    assert "| mrr@10 | 0.375 |" in report and "fake (0): none" in report
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "line, message",
    [
        ("{not json", "line 1 is not JSON"),
        ('{"id": "x", "question": "q", "answerable": true, "type": "numeric", "answers": []}', "needs at least one gold"),
        ('{"id": "x", "question": "q", "answerable": false, "type": "numeric", "answers": ["1"]}', "must have no 'answers'"),
        ('{"id": "x", "question": "q", "answerable": true, "type": "guess", "answers": ["1"]}', "type 'guess'"),
        ('{"id": "x", "question": "", "answerable": true, "type": "what", "answers": ["1"]}', "non-empty string"),
        (
            '{"id": "x", "question": "q", "answerable": true, "type": "what", "answers": ["1"],'
            ' "history": [{"role": "bot", "content": "hi"}]}',
            "history turn",
        ),
    ],
)
def test_bad_question_lines_are_named(tmp_path, line, message):
    path = tmp_path / "q.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match=message):
        load_questions(path)


def test_duplicate_ids_are_refused(tmp_path):
    line = '{"id": "x", "question": "q", "answerable": true, "type": "what", "answers": ["1"]}'
    path = tmp_path / "q.jsonl"
    path.write_text(line + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match="line 2: id 'x' is used twice"):
        load_questions(path)
