"""The user's question (and the conversation before it) -> the Query every
stage after retrieval reads: made self-contained, typed, its years and the
names it asks about read once.

>>> read_question("And in 2023?", "How many applied in 2023?")
Query(asked='And in 2023?', text='How many applied in 2023?', qtype='quantity', years=('2023',))
"""

from __future__ import annotations

from ..text.spans import YEAR
from ..types import Query
from .names import NameLookup
from .qtype import detect_question_type


def read_question(
    asked: str, text: str | None = None, names: NameLookup | None = None, language: str = "en"
) -> Query:
    """The Query of the user's words `asked` (in English: a French or Dutch
    question comes translated, its `language` kept), interpreted as `text`
    (the same when None); with `names`, a what-is question's name groups."""
    text = asked if text is None else text
    qtype = detect_question_type(text)
    # Only the name asked about: "What is the EES in EU border control?"
    # asks about the EES, not the EU.
    groups = tuple(names.asked(text)) if names is not None and qtype == "definition" else ()
    return Query(asked, text, qtype, tuple(YEAR.findall(text)), groups, language)
