"""Small pure helpers over text with character offsets: lines, sentences, tokens.

Sentences come from sentencex (rule-based, fast, no model download); tokens
from tiktoken's offline cl100k encoding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .config import TOKEN_ENCODING

SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Line:
    """One line of a text: its content without the newline, and its offsets."""

    text: str
    start: int
    end: int

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def split_lines(text: str) -> list[Line]:
    """Lines with offsets; `end` excludes the newline.

    >>> [(l.text, l.start) for l in split_lines("ab\\ncd")]
    [('ab', 0), ('cd', 3)]
    """
    lines, pos = [], 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        lines.append(Line(body, pos, pos + len(body)))
        pos += len(raw)
    return lines


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink (start, end) so that text[start:end] has no outer whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets inside text[start:end], whitespace trimmed.

    >>> t = "Art. 9 applies, e.g. here. Then 39 615 people applied."
    >>> [t[a:b] for a, b in sentence_spans(t)]
    ['Art. 9 applies, e.g. here.', 'Then 39 615 people applied.']
    """
    import sentencex

    end = len(text) if end is None else end
    spans, pos = [], start
    for sentence in sentencex.segment("en", text[start:end]):
        a, b = trim_span(text, pos, pos + len(sentence))
        if b > a:
            spans.append((a, b))
        pos += len(sentence)
    return spans


_LEADING_MARK = re.compile(r"^(?:[-•➤➢✓▪●◦·*>]\s*)+")


def quotable_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a passage that can be quoted on their own: one
    per sentence of each line, leading bullet glyphs left out.

    >>> t = "- ➤ Fedasil opened 1 174 places. Most were new.\\nBox 6: A title"
    >>> [t[a:b] for a, b in quotable_sentences(t)]
    ['Fedasil opened 1 174 places.', 'Most were new.', 'Box 6: A title']
    """
    spans = []
    pos = 0
    for line in text.split("\n"):
        for a, b in sentence_spans(line):
            m = _LEADING_MARK.match(line[a:b])
            a = a + m.end() if m else a
            a, b = trim_span(line, a, b)
            if b - a >= 3:
                spans.append((pos + a, pos + b))
        pos += len(line) + 1
    return spans


def normalise_space(text: str) -> str:
    """Collapse runs of white space to one space.

    >>> normalise_space(" a\\n\\n b ")
    'a b'
    """
    return _WS.sub(" ", text).strip()


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken

    return tiktoken.get_encoding(TOKEN_ENCODING)


def count_tokens(text: str) -> int:
    """tiktoken tokens of `text` (cl100k, bundled offline)."""
    return len(_encoding().encode(text, disallowed_special=()))
