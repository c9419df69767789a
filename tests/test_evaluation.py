"""The evaluation harness on hand-checkable cases: metrics from ranx,
follow-ups apart, unanswerable questions unscored, the files it writes."""

import json

import pytest

from emnqa.evaluation.report import write_run
from emnqa.evaluation.evaluate import relevant_chunks, run_mode
from emnqa.evaluation.questions import Question, QuestionSetError, Turn, load_questions
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


# Answers: what the reader sees first, and the groups figures are broken down by.

from emnqa.evaluation.evaluate import GROUPINGS, judge_answer, score_answers  # noqa: E402
from emnqa.types import Answer, Citation, Passage  # noqa: E402


def answer(question, quotes, abstained=False, confidence=0.5):
    citations = tuple(Citation(n, Passage.of(chunk(f"c{n}", quote), 1.0, n), quote) for n, quote in enumerate(quotes, 1))
    text = "\n".join(f"> {q} [{c.n}]" for q, c in zip(quotes, citations)) or "not covered"
    return Answer(question.question, question.question, text, abstained, citations, (), question.type,
                  confidence=confidence)


def test_answer_at_1_reads_the_first_quote_and_answer_at_any_every_quote():
    first = judge_answer(Q_NUM, answer(Q_NUM, ["In 2024, 39 615 people applied.", "Other."]))
    later = judge_answer(Q_NUM, answer(Q_NUM, ["5 692 Palestinians applied.", "In 2024, 39\n615 people applied."]))
    assert (first.answer_at_1, first.answer_any) == (True, True)
    assert (later.answer_at_1, later.answer_any) == (False, True)
    assert later.citation_precision == pytest.approx(0.5)
    declined = judge_answer(Q_NUM, answer(Q_NUM, [], abstained=True))
    assert (declined.answer_at_1, declined.answer_any, declined.right) == (False, False, False)
    wrongly_answered = judge_answer(Q_NONE, answer(Q_NONE, ["In 2024, 39 615 people applied."]))
    assert not wrongly_answered.right


def test_answer_figures_are_broken_down_by_split_language_turn_and_type():
    from dataclasses import replace

    fr = replace(Q_NUM, id="q5", lang="fr", split="test")
    runs = [
        judge_answer(replace(Q_NUM, split="dev"), answer(Q_NUM, ["39 615 applied."], confidence=0.9)),
        judge_answer(fr, answer(fr, ["Nothing here."], confidence=0.2)),
        judge_answer(replace(Q_NONE, split="test"), answer(Q_NONE, [], abstained=True)),
    ]
    result = score_answers(runs)
    assert set(result.groups) == set(GROUPINGS)
    assert result.groups["lang"]["fr"]["answer@1"] == 0 and result.groups["lang"]["en"]["answer@1"] == 1
    assert result.groups["split"]["test"]["abstention_recall"] == 1.0
    assert result.overall["answer@1"] == pytest.approx(0.5)
    # The two answers given: the confident one right, the other wrong.
    assert result.overall["aurc"] == pytest.approx((1 / 3 * 0 + 1 / 3 * 0.5) / (2 / 3))
    assert result.overall["coverage"] == pytest.approx(2 / 3)


def test_a_held_out_split_is_reported_without_question_ids(tmp_path):
    from dataclasses import replace

    questions = [replace(q, split="test") for q in QUESTIONS] + [replace(Q_NUM, id="d1", split="dev")]
    rankings = dict(RANKINGS)
    result = run_mode("fake", lambda query, k: rankings[query][:k], questions, CHUNKS, k=10)
    answers = score_answers([judge_answer(q, answer(q, ["Nothing."])) for q in questions])
    paths = write_run([result], tmp_path / "run", {"questions": "splits", "k": 10}, answers)
    report = paths["report"].read_text(encoding="utf-8")
    assert "## By split" in report and "## Split `test` (held out" in report
    held_out = report.split("## Split `test`")[1]
    assert not any(q.id in held_out for q in QUESTIONS)
    assert "d1" in report.split("## Split `test`")[0]  # dev's misses are named
    assert paths["risk_coverage"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(paths["results"].read_text(encoding="utf-8"))
    assert set(data["splits"]) == {"dev", "test"}
