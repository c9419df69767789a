"""The train and test splits: sizes and shares, gold strings and evidence that
really are in the corpus, no evidence shared between train and test, and the
test split frozen at its pinned checksum."""

from collections import Counter
from pathlib import Path

import pytest

from emnqa.evaluation.question_checks import evidence_problems, gold_problems, leakage
from emnqa.evaluation.questions import QUESTION_LABELS, normalise
from emnqa.evaluation.splits import file_sha256, load_splits, pinned, split_path

EVAL = Path(__file__).resolve().parents[1] / "eval"
SIZES = {"train": 1200, "test": 350}


@pytest.fixture(scope="module")
def splits():
    return {name: load_splits([name], EVAL) for name in ("train", "dev", "test")}


@pytest.mark.parametrize("name", ["train", "test"])
def test_sizes_and_shares(splits, name):
    questions = splits[name]
    n = len(questions)
    assert n >= SIZES[name]
    assert sum(not q.answerable for q in questions) / n >= 0.25
    assert sum(q.is_followup for q in questions) / n >= 0.15
    assert set(Counter(q.type for q in questions)) == set(QUESTION_LABELS)
    assert all(q.history[0].role == "user" and q.history[-1].role == "assistant" for q in questions if q.is_followup)
    assert all(q.doc is None and not q.answers for q in questions if not q.answerable)


def test_french_and_dutch_questions_across_train_and_test(splits):
    langs = Counter(q.lang for name in ("train", "test") for q in splits[name])
    assert langs["fr"] >= 150 and langs["nl"] >= 150
    for name in ("train", "test"):
        of_split = Counter(q.lang for q in splits[name])
        assert of_split["fr"] and of_split["nl"], name
        assert any(not q.answerable for q in splits[name] if q.lang != "en")


@pytest.mark.parametrize("name", ["train", "test"])
def test_every_document_is_asked_about(splits, name, real_corpus):
    asked = Counter(q.doc for q in splits[name] if q.answerable)
    for doc in real_corpus.documents:
        assert asked[doc.doc_id] >= 3, (name, doc.doc_id)


@pytest.mark.parametrize("name", ["train", "test"])
def test_gold_strings_are_verbatim_and_distinctive(splits, name, real_corpus, real_chunks):
    assert gold_problems(splits[name], real_corpus.documents, real_chunks) == []


@pytest.mark.parametrize("name", ["train", "test"])
def test_evidence_is_the_corpus_text_at_its_offsets_and_unanswerable_items_record_searches(splits, name, real_corpus):
    assert evidence_problems(splits[name], real_corpus.documents) == []


def test_no_evidence_sentence_is_in_both_train_and_test(splits):
    assert leakage(splits["train"], splits["test"]) == []


def _asked(q):
    """A question with the conversation before it: "And in 2023?" after two
    different questions is two questions."""
    return (normalise(q.question), tuple(normalise(t.content) for t in q.history))


def test_no_test_question_repeats_a_train_or_dev_question(splits):
    seen = {_asked(q) for name in ("train", "dev") for q in splits[name]}
    assert [q.id for q in splits["test"] if _asked(q) in seen] == []


def test_ids_are_unique_across_splits():
    assert len(load_splits(["train", "dev", "test"], EVAL)) == sum(
        len(load_splits([n], EVAL)) for n in ("train", "dev", "test")
    )


def test_the_test_split_is_frozen_at_its_pinned_checksum():
    pin = pinned(EVAL)["test"]
    path = split_path("test", EVAL)
    assert file_sha256(path) == pin["sha256"], (
        "eval/test.jsonl changed. The test split is frozen: a new version needs a new pin in eval/splits.json "
        "(version + 1) and a line in eval/README.md saying why."
    )
    assert len(load_splits(["test"], EVAL)) == pin["questions"]
    readme = (EVAL / "README.md").read_text(encoding="utf-8")
    assert f"test.jsonl v{pin['version']}" in readme
