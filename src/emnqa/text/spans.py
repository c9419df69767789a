"""Small pure helpers over text with character offsets: lines, sentences, tokens.

Sentences come from sentencex (rule-based, fast, no model download); tokens
from tiktoken's offline cl100k encoding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..config import TOKEN_ENCODING

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


# The glyphs that open a bulleted line in the corpus's text.
BULLETS = "-•➤➢✓▪●◦·*>"
_LEADING_MARK = re.compile(rf"^(?:[{re.escape(BULLETS)}]\s*)+")
# A footnote mark the splitter left at the start of the next sentence
# ("... minors. ⁶¹ These decisions ..."): it belongs to the sentence before.
_STRAY_MARK = re.compile(rf"^(?:[{SUPERSCRIPT_DIGITS}]+|⁽[{SUPERSCRIPT_DIGITS}\d]+⁾|\(\d{{1,2}}\))(?=\s|$)")
# A footnote number the PDF lost the superscript of, alone after a line's
# last sentence: "... aged 18 to 21. 63".
_LOST_MARK = re.compile(r"\d{1,3}")


_OPEN_END = re.compile(r"[^.:;!?…\s]\s*$")
_CONTINUES = re.compile(r"^[a-z(]")
# A field's label on a line of its own, its value on the next: "Publication
# Date:" / "Thu 19 Sep 2024", "Responsible publisher" / "Philippe Rosseel".
# The label (up to three words and a colon, or two or three words in
# sentence case) and a short value (up to six words, no bullet, not itself
# a sentence or a label) are one statement.
_FIELD_LABEL = re.compile(r"^\s*(?:[^\W\d_][\w'’-]*(?: [\w'’()-]+){0,2}:|[A-Z][a-z]+(?: [a-z]+){1,2})\s*$")
_FIELD_VALUE = re.compile(r"^\s*[^\W_][^\t]*$")


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines, with a line that stops mid-sentence (no closing punctuation,
    the next line going on in lower case: a slide's or a PDF's wrapped line)
    joined to the next one, and a field's label joined to its value
    (`_FIELD_LABEL`). (offset, text) pairs; the text keeps its newline."""
    out: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        if out and (_wraps(out[-1][1], line) or _labels(out[-1][1], line)):
            start, before = out[-1]
            out[-1] = (start, before + "\n" + line)
        else:
            out.append((pos, line))
        pos += len(line) + 1
    return out


# A date broken across two lines: "... a draft report on 8" / "March 2023. ..."
_DAY_AT_END = re.compile(r"(?<![\d.,])\b\d{1,2}\s*$")
_MONTH_AT_START = re.compile(
    r"^\s*(January|February|March|April|May|June|July|August|September|October|November|December)\b"
)


def _wraps(line: str, following: str) -> bool:
    """Whether `following` goes on with the sentence `line` breaks off: it
    opens in lower case after a line without closing punctuation, or it
    opens with the month of a day that ends `line`."""
    if "\t" in line + following:
        return False
    return bool(_OPEN_END.search(line) and _CONTINUES.match(following)) or bool(
        _DAY_AT_END.search(line) and _MONTH_AT_START.match(following)
    )


def _labels(line: str, following: str) -> bool:
    """Whether `line` is a field's label and `following` its value."""
    return (
        "\n" not in line
        and bool(_FIELD_LABEL.match(line) and _FIELD_VALUE.match(following))
        and len(following.split()) <= 6
        and not re.search(r"[.:;!?]\s*$", following)  # a sentence after a heading is no value
    )


def is_field(sentence: str) -> bool:
    """Whether a quotable sentence is a field's label with its value on the
    next line ("Responsible publisher" / "Philippe Rosseel"): short, yet a
    statement, not a title.

    >>> is_field("Responsible publisher\\nPhilippe Rosseel"), is_field("Legal migration")
    (True, False)
    """
    label, newline, value = sentence.partition("\n")
    return bool(newline) and _labels(label, value)


def quotable_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a passage that can be quoted on their own: one
    per sentence of each line (a wrapped line continues on the next),
    leading bullet glyphs left out.

    >>> t = "- ➤ Fedasil opened 1 174 places. Most were new.\\nBox 6: A title"
    >>> [t[a:b] for a, b in quotable_sentences(t)]
    ['Fedasil opened 1 174 places.', 'Most were new.', 'Box 6: A title']
    >>> t = "Integration became mandatory as\\nof 01.06.2022 for newcomers.\\nNext"
    >>> [t[a:b] for a, b in quotable_sentences(t)]
    ['Integration became mandatory as\\nof 01.06.2022 for newcomers.', 'Next']
    >>> t = "Publication Date:\\nThu 19 Sep 2024\\nResponsible publisher\\nPhilippe Rosseel\\nLegal aid\\nIt rose."
    >>> [t[a:b] for a, b in quotable_sentences(t)]
    ['Publication Date:\\nThu 19 Sep 2024', 'Responsible publisher\\nPhilippe Rosseel', 'Legal aid', 'It rose.']
    >>> t = "It submitted a report on 8\\nMarch 2023. It is a draft."
    >>> [t[a:b] for a, b in quotable_sentences(t)]
    ['It submitted a report on 8\\nMarch 2023.', 'It is a draft.']
    >>> t = "It targets young adults aged 18 to 21. 63\\nNext."
    >>> [t[a:b] for a, b in quotable_sentences(t)]
    ['It targets young adults aged 18 to 21. 63', 'Next.']
    >>> t = "Details are in this report.⁴\\nNext."
    >>> [t[a:b] for a, b in quotable_sentences(t)]
    ['Details are in this report.⁴', 'Next.']
    >>> t = "Rulings clarified it. ⁶¹ These decisions followed.\\n⁶¹ Council of State, 10 October 2024."
    >>> [t[a:b] for a, b in quotable_sentences(t)]
    ['Rulings clarified it. ⁶¹', 'These decisions followed.', '⁶¹ Council of State, 10 October 2024.']
    """
    return list(_quotable(text))


@lru_cache(maxsize=4096)
def _quotable(text: str) -> tuple[tuple[int, int], ...]:
    # Cached: the answer composer asks for the sentences of the same
    # passages again for each candidate quote (the year window around it).
    spans: list[tuple[int, int]] = []
    for pos, line in _logical_lines(text):
        previous: int | None = None  # index in spans of this line's sentence before
        for a, b in sentence_spans(line):
            m = _LEADING_MARK.match(line[a:b])
            a = a + m.end() if m else a
            mark = _STRAY_MARK.match(line[a:b]) if previous is not None else None
            if mark and not line[spans[previous][1] - pos : a].strip():
                spans[previous] = (spans[previous][0], pos + a + mark.end())
                a += mark.end()
            a, b = trim_span(line, a, b)
            if previous is not None and _LOST_MARK.fullmatch(line[a:b]) and b == len(line.rstrip()):
                # "... aged 18 to 21. 63": a footnote number that lost its superscript
                spans[previous] = (spans[previous][0], pos + b)
                continue
            if b - a >= 3:
                spans.append((pos + a, pos + b))
                previous = len(spans) - 1
    return tuple(spans)


def normalise_space(text: str) -> str:
    """Collapse runs of white space to one space.

    >>> normalise_space(" a\\n\\n b ")
    'a b'
    """
    return _WS.sub(" ", text).strip()


# A year, the one definition every module uses.
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# Years that date a reference, not a fact: a web address, "last accessed on
# 28 May 2025", a law's number (Regulation (EU) 604/2013).
_REFERENCE = re.compile(
    r"https?://\S+|www\.\S+|\b\d+/\d+(?:/\w+)?\b"
    r"|\b(?:last )?accessed(?: on)?:? \d{1,2}(?:st|nd|rd|th)? [A-Za-z]+ \d{4}",
    re.IGNORECASE,
)


def years_in(text: str) -> set[str]:
    """The years a text names as the time of what it says, leaving out those
    of web addresses, access dates and law numbers.

    >>> sorted(years_in("In 2024, 3 270 returns (Regulation 604/2013), https://x.be/2023/a, accessed on 2 June 2025."))
    ['2024']
    """
    return set(_years_in(text))


@lru_cache(maxsize=16384)
def _years_in(text: str) -> frozenset[str]:
    # Remembered: answering asks again and again about the same passages'
    # sentences and contexts (about 35 texts a question).
    return frozenset(YEAR.findall(_REFERENCE.sub(" ", text)))


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken

    return tiktoken.get_encoding(TOKEN_ENCODING)


def count_tokens(text: str) -> int:
    """tiktoken tokens of `text` (cl100k, bundled offline)."""
    return len(_encoding().encode(text, disallowed_special=()))
