"""What the answering stage knows of the corpus, as data: built once from the
index, then read by pure functions (no callbacks into the assistant)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..text.spans import years_in
from ..types import Chunk

_LETTERS = re.compile(r"[^\W\d_]+")
_PARTICLES = frozenset({"de", "van", "le", "der", "den"})
_NAME_WORD = r"[A-Z][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)?"  # Pieter, Jean-Marc
_PERSON = re.compile(rf"\b{_NAME_WORD}(?: (?:(?:de|van|Van|De|le|der|den) )?{_NAME_WORD}){{1,2}}\b")


def fold(text: str) -> str:
    """Lower case, runs of white space and hyphens as one space (a PDF
    line break splits "so-\\ncial"), curly apostrophes straight.

    >>> fold("So-\\ncial  Welfare’s")
    "so cial welfare's"
    """
    return re.sub(r"[\s\-‐–]+", " ", text.lower().replace("’", "'"))


@dataclass(frozen=True)
class CorpusFacts:
    """The corpus's vocabulary (BM25's stemmed terms, sorted), its text
    folded, the words it writes in lower case somewhere, and each document's
    year.

    >>> facts = CorpusFacts.build([], ["africa", "asylum"], {"d": "2024"})
    >>> facts.known("asylum"), facts.known("african"), facts.known("canadian")
    (True, True, False)
    """

    vocabulary: tuple[str, ...]
    folded: str
    doc_years: Mapping[str, str] = field(default_factory=dict)
    lower_words: frozenset[str] = frozenset()
    idf: Mapping[str, float] = field(default_factory=dict, compare=False)  # BM25's weight of each term

    @classmethod
    def build(cls, chunks: Sequence[Chunk], terms: Iterable[str], doc_years: Mapping[str, str]) -> "CorpusFacts":
        """`terms` may be BM25's idf table (term -> weight): it is kept."""
        return cls(
            idf=dict(terms) if isinstance(terms, Mapping) else {},
            vocabulary=tuple(sorted(terms)),
            folded="\n".join(fold(c.text) for c in chunks),
            doc_years=dict(doc_years),
            lower_words=frozenset(w for c in chunks for w in _LETTERS.findall(c.text) if w.islower()),
        )

    def known(self, term: str) -> bool:
        """A corpus term, or one sharing its first letters with a corpus term
        (african: africa), found by bisecting the sorted vocabulary."""
        at = bisect.bisect_left(self.vocabulary, term)
        if at < len(self.vocabulary) and self.vocabulary[at] == term:
            return True
        if len(term) < 6:
            return False
        stem = term[: max(5, len(term) - 3)]
        at = bisect.bisect_left(self.vocabulary, stem)
        return at < len(self.vocabulary) and self.vocabulary[at].startswith(stem)

    def context_years(self, chunk: Chunk, text: bool = True) -> set[str]:
        """The years a passage is about: named in its text (with `text`), its
        section path or its document's year (not a web address's or an
        access date's)."""
        return years_in(" ".join((chunk.text if text else "", *chunk.section_path, self.doc_years.get(chunk.doc_id, ""))))

    def persons(self, text: str) -> list[str]:
        """The people a text names: two or three capitalised words (with
        "de", "van"...) none of which the corpus ever writes in lower case
        ("Pieter Spinnewijn", "Sophie Van Balberghe"; not "Child Focus",
        "Immigration Office").

        >>> facts = CorpusFacts((), "", {}, frozenset({"child", "focus", "office"}))
        >>> facts.persons("Pieter Spinnewijn met Child Focus and Nicole de Moor.")
        ['Pieter Spinnewijn', 'Nicole de Moor']
        """
        out = []
        for match in _PERSON.finditer(text):
            words = [w for w in re.split(r"[\s-]+", match.group(0)) if w.lower() not in _PARTICLES]
            if len(words) >= 2 and not any(w.lower() in self.lower_words for w in words):
                out.append(match.group(0))
        return out
