"""The footnotes a quoted sentence points to.

The 2024 overview puts much of its detail in footnotes: the number and date
of a ruling ("⁶¹ … Council of State, 260.988, 10 October 2024"), the members
of a network ("¹²¹ A network of partners …"), the source of a figure. The
chunker keeps a section's footnotes in chunks of their own, so the note a
sentence cites is usually not in the passage the sentence was found in.
`Footnotes` finds it by its mark: the footnote line with the same number in
the same document, nearest to the citing chunk (boxes number their notes
⁽¹⁾, ⁽²⁾ … afresh, so a number can recur).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ..text.spans import SUPERSCRIPT_DIGITS
from ..types import Chunk

_MARK = re.compile(rf"⁽[{SUPERSCRIPT_DIGITS}]+⁾|[{SUPERSCRIPT_DIGITS}]+")
# Boxes often cite their notes ⁽¹⁾, ⁽²⁾ … in plain brackets right after a
# punctuation mark: "... legislative section. (1)", "DEI ECPAT Belgium,(2)".
# (Not "Article 4(1)" or a slide's "Measures to curb crisis (1)".)
_PLAIN_MARK = re.compile(
    r"(?<=[.,;:'’\"”])\s?\((\d{1,2})\)(?=\s|$|[A-Z])"
    # ... and a number the PDF lost the superscript of, closing a line after
    # the sentence's last punctuation: "... young adults aged 18 to 21. 63"
    r"|(?<=[.;:)'’\"”])[ \t](\d{1,3})(?=[ \t]*(?:\n|$))"
)
_DIGITS = str.maketrans(SUPERSCRIPT_DIGITS + "⁽⁾", "0123456789" + "  ")
_NOTE_LINE = re.compile(rf"^\s*({_MARK.pattern})\s")


@dataclass(frozen=True)
class Note:
    """A footnote: the chunk at `position` in the index, and the span of the
    note inside that chunk's text."""

    number: str
    position: int
    start: int
    end: int


def marks(text: str) -> list[str]:
    """The footnote numbers a text cites, in order, once each.

    >>> marks("Rulings clarified it. ⁶¹ Then ⁽¹⁾ and ⁶¹ again.")
    ['61', '1']
    >>> marks("²¹ A note of its own, citing ²².")
    ['22']
    >>> marks("It should have gone to the legislative section. (1)"), marks("Under Article 4(1) of the Directive.")
    (['1'], [])
    >>> marks("A policy for young adults aged 18 to 21. 63\\nNext line"), marks("In 2024, 63 arrived.")
    (['63'], [])
    """
    found = [(m.start(), m.group(0).translate(_DIGITS).strip()) for m in _MARK.finditer(text)]
    found += [(m.start(), m.group(1) or m.group(2)) for m in _PLAIN_MARK.finditer(text)]
    out: list[str] = []
    for start, number in sorted(found):
        if not text[:start].strip():
            continue  # a footnote's own number, not a citation
        if number and number not in out:
            out.append(number)
    return out


def note_spans(text: str, wrapped: bool = True) -> list[tuple[str, int, int]]:
    """(number, start, end) of each footnote in a chunk: from a line that
    starts with a mark to the next such line or the chunk's end; just that
    line when not `wrapped` (notes of boxes, marked ⁽¹⁾, stay in the box's
    own text, among other lines).

    >>> t = "¹ First note,\\nwrapped.\\n⁽²⁾ Second."
    >>> [(n, t[a:b]) for n, a, b in note_spans(t)]
    [('1', '¹ First note,\\nwrapped.'), ('2', '⁽²⁾ Second.')]
    """
    starts: list[tuple[str, int, int]] = []
    pos = 0
    for line in text.split("\n"):
        m = _NOTE_LINE.match(line)
        if m:
            starts.append((m.group(1).translate(_DIGITS).strip(), pos, pos + len(line)))
        pos += len(line) + 1
    out = []
    for i, (number, start, line_end) in enumerate(starts):
        end = (starts[i + 1][1] if i + 1 < len(starts) else len(text)) if wrapped else line_end
        end = len(text[:end].rstrip())
        if number:
            out.append((number, start, end))
    return out


class Footnotes:
    """Every footnote of an index's chunks, by document and number."""

    def __init__(self, chunks: Sequence[Chunk]):
        self._chunks = chunks
        self._notes: dict[tuple[str, str], list[Note]] = {}
        for position, chunk in enumerate(chunks):
            for number, start, end in note_spans(chunk.text, wrapped=chunk.kind == "footnotes"):
                self._notes.setdefault((chunk.doc_id, number), []).append(Note(number, position, start, end))

    def cited_by(self, text: str, doc_id: str, position: int, section: Sequence[str] = ()) -> list[Note]:
        """The notes `text` (found in the chunk at `position`) cites: for each
        mark, the note of that number in the document, preferring the citing
        section, then the nearest note after the citing chunk."""
        out = []
        section = tuple(section)
        for number in marks(text):
            found = self._notes.get((doc_id, number))
            if not found:
                continue
            out.append(
                min(
                    found,
                    key=lambda n: (
                        self._chunks[n.position].section_path != section,
                        n.position < position,
                        abs(n.position - position),
                    ),
                )
            )
        return out

    def citing_sentences(self) -> dict[int, list[str]]:
        """For each chunk of footnotes (by position), the sentences of the
        text that cite its notes: what a note is about is often said only
        there ("59 new protection officers ²⁴" for "²⁴ This is the official
        term for case workers at the CGRS ..."), so searching the notes
        reads them too."""
        from ..text.spans import quotable_sentences

        out: dict[int, list[str]] = {}
        for position, chunk in enumerate(self._chunks):
            if chunk.kind == "footnotes" or not marks(chunk.text):
                continue
            for a, b in quotable_sentences(chunk.text):
                sentence = chunk.text[a:b]
                if _NOTE_LINE.match(sentence):
                    continue  # a note itself, not a sentence citing one
                for note in self.cited_by(sentence, chunk.doc_id, position, chunk.section_path):
                    if self._chunks[note.position].kind == "footnotes":
                        cited = out.setdefault(note.position, [])
                        if sentence not in cited:
                            cited.append(sentence)
        return out

    def text(self, note: Note) -> str:
        return self._chunks[note.position].text[note.start : note.end]
