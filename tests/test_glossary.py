"""Glossary boxes looked up by the term a what-is question names."""

from emnqa.retrieve.glossary import Glossary
from emnqa.types import Chunk


def _box(term, definition="A definition."):
    text = f"{term}\n\n{definition}"
    return Chunk("", "overview-2024", text, ("Minors",), 0, len(text), 9, kind="definition", meta={"term": term})


CHUNKS = [
    _box("Unaccompanied minor"),
    _box("Subsequent application for international protection"),
    Chunk("", "overview-2024", "Unaccompanied minor figures rose.", ("Minors",), 0, 9, 9, kind="text"),
    _box("Definitions of key abbreviations"),
]


def test_a_question_naming_a_term_finds_its_box():
    glossary = Glossary(CHUNKS)
    assert glossary.named_in("How does the EMN glossary define an unaccompanied minor?") == [0]
    assert glossary.named_in("What are unaccompanied minors?") == [0]  # plural
    assert glossary.named_in("What is a subsequent application?") == [1]  # the term's first words
    assert glossary.named_in("What is a subsequent-application?") == [1]


def test_other_words_find_nothing():
    glossary = Glossary(CHUNKS)
    assert glossary.named_in("What is an application?") == []
    assert glossary.named_in("Which definitions of key terms are used?") == []  # not a defined term
    assert glossary.named_in("What is a minor?") == []
