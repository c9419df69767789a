"""The names a what-is question asks about, and the passage that spells a
name out: "What is Fedasil?", "What does CALL stand for?" are answered from
the report's acronym table, which gives the long name, rather than from one
of the hundreds of passages that only use the name.

>>> from emnqa.types import Chunk
>>> table = Chunk("t:1", "d", "Fedasil\\tFederal Agency for the Reception of Asylum Seekers", (), 0, 60, 9, kind="table")
>>> from emnqa.query.lexicon import Lexicon
>>> lookup = NameLookup(Lexicon((frozenset({"Fedasil", "Federal Agency for the Reception of Asylum Seekers"}),)), [table])
>>> groups = lookup.asked("What is Fedasil?", whole=True)
>>> [sorted(g) for g in groups], lookup.spelling_out(groups[0])
([['Fedasil', 'Federal Agency for the Reception of Asylum Seekers']], [0])
>>> lookup.asked("What is Fedasil's budget?", whole=True)
[]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .lexicon import Lexicon, names_in, spells_out, starts_with_name
from ..types import Chunk

# The thing a what-is question asks about: "What does (the acronym) CALL
# stand for", "What is the CGVS", "define X", "the meaning of X".
_SUBJECT = re.compile(
    r"\b(?:what(?:'s|\s+is|\s+are|\s+was|\s+does|\s+do)|define|definition of|meaning of|stands? for)\s+"
    r"(?:the\s+|an?\s+)?(?:(?:acronym|abbreviation|term|name)\s+)?(?P<name>[^?,]+)",
    re.I,
)


class NameLookup:
    """The lexicon's name groups (an acronym with its long names) over the
    chunks of an index; which chunk spells a group out is found once."""

    def __init__(self, lexicon: Lexicon, chunks: Sequence[Chunk]):
        self.lexicon = lexicon
        self.chunks = chunks
        self._spelled: dict[frozenset[str], list[int]] = {}

    def asked(self, question: str, whole: bool = False) -> list[frozenset[str]]:
        """The lexicon groups a what-is question asks about; with `whole`,
        only when the name is all it asks about ("What is Fedasil?", "What
        does CALL stand for?", not "What is the EMN Asylum and Migration
        Glossary?")."""
        subject = _SUBJECT.search(question)
        if subject is None:
            return []
        head = subject.group("name")
        if whole:
            head = re.sub(r"\s+(stands?\s+for|mean|means)\s*$", "", head.strip().rstrip("?. "), flags=re.I)
        groups = [g for g in names_in(head, self.lexicon) if any(starts_with_name(head, name) for name in g)]
        if whole:
            groups = [g for g in groups if any(" ".join(head.split()).lower() == " ".join(n.split()).lower() for n in g)]
        return groups

    def spelling_out(self, group: frozenset[str]) -> list[int]:
        """The position of the chunk that spells a name out (its acronym and
        its long name together), the report's acronym table first."""
        if group not in self._spelled:
            found = [i for i, c in enumerate(self.chunks) if spells_out(c.text, group)]
            self._spelled[group] = sorted(found, key=lambda i: self.chunks[i].kind != "table")[:1]
        return self._spelled[group]
