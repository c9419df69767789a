"""The evaluation question set itself: format, coverage, and gold strings that
really are in their documents and are distinctive."""

from collections import Counter
from pathlib import Path

import pytest

from emnqa.evaluation.questions import QUESTION_LABELS, contains_gold, load_questions, normalise

QUESTIONS = Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl"
MAX_CHUNKS_PER_GOLD = 4


@pytest.fixture(scope="module")
def questions():
    return load_questions(QUESTIONS)


def test_size_types_followups_and_unanswerable(questions):
    assert len(questions) >= 150
    types = Counter(q.type for q in questions)
    assert set(types) == set(QUESTION_LABELS)
    followups = [q for q in questions if q.is_followup]
    assert len(followups) >= 15
    assert all(q.history[0].role == "user" for q in followups)
    unanswerable = [q for q in questions if not q.answerable]
    assert len(unanswerable) >= 20
    assert all(not q.answers and q.doc is None for q in unanswerable)


def test_ids_are_unique(questions):
    ids = [q.id for q in questions]
    assert len(ids) == len(set(ids))


def test_every_document_is_asked_about(questions, real_corpus):
    asked = Counter(q.doc for q in questions if q.answerable)
    for doc in real_corpus.documents:
        assert asked[doc.doc_id] >= 4, doc.doc_id


def test_gold_strings_occur_in_their_document(questions, real_corpus):
    texts = {d.doc_id: normalise(d.text) for d in real_corpus.documents}
    missing = [
        (q.id, gold) for q in questions if q.answerable for gold in q.answers if normalise(gold) not in texts[q.doc]
    ]
    assert not missing


def test_gold_strings_are_in_some_chunk_and_distinctive(questions, real_chunks):
    problems = []
    for q in questions:
        for gold in q.answers:
            holders = sum(contains_gold(c.text, [gold]) for c in real_chunks)
            if not 1 <= holders <= MAX_CHUNKS_PER_GOLD:
                problems.append((q.id, gold, holders))
    assert not problems
