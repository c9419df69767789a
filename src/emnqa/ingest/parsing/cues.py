"""Layout cues of PDF-extracted text: what a bullet, a footnote, a caption, a
heading or a run of graph numbers looks like, and the units of lines they
start. Pure functions over strings and offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...text.spans import SUPERSCRIPT_DIGITS, Line, split_lines

BULLET = re.compile(r"^\s*(?:[-•➤➢✓▪●◦·*]|>(?!\S)|\d{1,2}[.)](?=\s)|[a-h][.)](?=\s))")
NUMBERED_HEADING = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2}){1,3})\.?\s+([A-Z].*)$")
MARKDOWN_HEADING = re.compile(r"^\s*(#{1,6})\s+(\S.*)$")
PART_HEADING = re.compile(r"^\s*PART\s+\d+\s*:\s*\S")
BOX = re.compile(r"^\s*Box\s+\d+\s*:\s*\S")
CAPTION = re.compile(r"^\s*(?:Graph|Table|Map|Figure|Chart)\s+\d+\s*[:.]|^\s*Source\s*:")
FOOTNOTE = re.compile(
    rf"^\s*(?:[{SUPERSCRIPT_DIGITS}]+|\$\^\{{\^?\{{?(?:\\scriptscriptstyle\s*)?\d+\}}?\}}\$|⁽\d+⁾)"
)
FOOTNOTE_NUMBER = re.compile(rf"[{SUPERSCRIPT_DIGITS}]+|\d+")
TERMINAL = re.compile(r"[.!?:;)\]\"'”’»]\s*(?:[{}]+|\d{{1,3}})?\s*$".format(SUPERSCRIPT_DIGITS))
TRAILING_MARK = re.compile(rf"(?:\s*[{SUPERSCRIPT_DIGITS}]+|\s+\d{{1,3}})\s*$")
NUMBER_TOKEN = re.compile(r"^[\d.,%€+\-–()]+$")
WORD = re.compile(r"[A-Za-zÀ-ÿ]+")

# Words a section's first sentence opens with but a glossary definition never does.
PROSE_OPENERS = frozenset(
    "on in from since until during after before at by as with for following under "
    "throughout despite while when although between over within this these its their "
    "it there to according".split()
)
DEFINITION_CUE = re.compile(r"see\W{0,3}definition", re.IGNORECASE)
CUE_WINDOW = 4000
SUPERSCRIPT_TABLE = str.maketrans(SUPERSCRIPT_DIGITS, "0123456789")


@dataclass
class Unit:
    """A run of source lines that forms one candidate block."""

    lines: list[Line]
    kind: str = "paragraph"
    meta: dict = field(default_factory=dict)

    @property
    def start(self) -> int:
        return self.lines[0].start

    @property
    def end(self) -> int:
        return self.lines[-1].end

    @property
    def first(self) -> str:
        return self.lines[0].text.strip()

    def text(self, source: str) -> str:
        return source[self.start : self.end]


def split_units(text: str) -> list[Unit]:
    """Group non-blank lines into units: a bullet, footnote, caption or table
    row starts a new unit; other lines continue the current one."""
    units: list[Unit] = []
    current: Unit | None = None
    for line in split_lines(text):
        if line.blank:
            current = None
            continue
        starts_new = current is None or starts_unit(line.text) or starts_unit(current.lines[-1].text, table_only=True)
        if starts_new:
            current = Unit([line])
            units.append(current)
        else:
            current.lines.append(line)
    return units


def starts_unit(line: str, table_only: bool = False) -> bool:
    if line.count("\t") >= 2:
        return True
    if table_only:
        return False
    return bool(BULLET.match(line) or FOOTNOTE.match(line) or CAPTION.match(line))


def is_caps_title(unit: Unit) -> bool:
    """An ALL-CAPS title, possibly spread over a few short lines."""
    if len(unit.lines) > 8:
        return False
    letters = [c for l in unit.lines for c in l.text if c.isalpha()]
    words = WORD.findall(" ".join(l.text for l in unit.lines))
    if len(letters) < 6 or len(words) < 1 or any(len(l.text) > 90 for l in unit.lines):
        return False
    if any(BULLET.match(l.text) or "\t" in l.text for l in unit.lines):
        return False
    upper = sum(c.isupper() for c in letters)
    return upper / len(letters) > 0.9 and (len(words) >= 2 or len(letters) >= 6)


def is_figure_data(text: str) -> bool:
    """A run of graph numbers: mostly numeric tokens, no sentence."""
    tokens = text.split()
    if len(tokens) < 5:
        return False
    numeric = sum(bool(NUMBER_TOKEN.match(t)) for t in tokens)
    return numeric / len(tokens) >= 0.6


def heading_like(unit: Unit, max_words: int = 12) -> bool:
    text = unit.first
    if len(unit.lines) != 1 or not text or len(text) > 120:
        return False
    if not (text[0].isupper() or text[0].isdigit()) or "\t" in text:
        return False
    stripped = TRAILING_MARK.sub("", text).rstrip()
    if re.search(r"[.,;:]$", stripped):
        return False
    return len(stripped.split()) <= max_words


def footnote_number(line: str) -> str:
    m = FOOTNOTE.match(line)
    digits = FOOTNOTE_NUMBER.findall(m.group(0).translate(SUPERSCRIPT_TABLE)) if m else []
    return digits[0].translate(SUPERSCRIPT_TABLE) if digits else ""


def clean_label(text: str) -> str:
    """A heading as shown in a section path: no footnote marks or markup.

    >>> clean_label("Key statistics on international protection ²²")
    'Key statistics on international protection'
    """
    text = text.replace("**", "").replace("\t", " ").strip()
    text = TRAILING_MARK.sub("", text)
    return re.sub(r"\s+", " ", text).strip()
