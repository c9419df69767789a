"""Documents -> Blocks: headings, paragraphs, list items, boxes, definitions,
footnotes, captions, graph numbers, tables and news items, each with the
section path it belongs to and its exact source spans.

The EMN annual report is text extracted from a PDF, so structure has to be
recovered from cues (see ../shared/docs/CORPUS.md): numbered headings, ALL-CAPS
chapter titles, "Box n:" inserts, definition boxes dropped into the middle of
a sentence, footnote lines starting with superscript digits, runs of graph
numbers, sentences broken across a page break. Rules here are about layout,
never about particular documents or questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .textspans import SUPERSCRIPT_DIGITS, Line, split_lines
from .types import Block, Document

LAYOUTS = ("report", "plain", "slides", "news")

_BULLET = re.compile(r"^\s*(?:[-•➤➢✓▪●◦·*]|>(?!\S)|\d{1,2}[.)](?=\s)|[a-h][.)](?=\s))")
_NUMBERED_HEADING = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2}){1,3})\.?\s+([A-Z].*)$")
_MARKDOWN_HEADING = re.compile(r"^\s*(#{1,6})\s+(\S.*)$")
_PART_HEADING = re.compile(r"^\s*PART\s+\d+\s*:\s*\S")
_BOX = re.compile(r"^\s*Box\s+\d+\s*:\s*\S")
_CAPTION = re.compile(r"^\s*(?:Graph|Table|Map|Figure|Chart)\s+\d+\s*[:.]|^\s*Source\s*:")
_FOOTNOTE = re.compile(
    rf"^\s*(?:[{SUPERSCRIPT_DIGITS}]+|\$\^\{{\^?\{{?(?:\\scriptscriptstyle\s*)?\d+\}}?\}}\$|⁽\d+⁾)"
)
_FOOTNOTE_NUMBER = re.compile(rf"[{SUPERSCRIPT_DIGITS}]+|\d+")
_TERMINAL = re.compile(r"[.!?:;)\]\"'”’»]\s*(?:[{}]+|\d{{1,3}})?\s*$".format(SUPERSCRIPT_DIGITS))
_TRAILING_MARK = re.compile(rf"(?:\s*[{SUPERSCRIPT_DIGITS}]+|\s+\d{{1,3}})\s*$")
_NUMBER_TOKEN = re.compile(r"^[\d.,%€+\-–()]+$")
_WORD = re.compile(r"[A-Za-zÀ-ÿ]+")

# Words a section's first sentence opens with but a glossary definition never does.
_PROSE_OPENERS = frozenset(
    "on in from since until during after before at by as with for following under "
    "throughout despite while when although between over within this these its their "
    "it there to according".split()
)
_DEFINITION_CUE = re.compile(r"see\W{0,3}definition", re.IGNORECASE)
_CUE_WINDOW = 4000
_SUPERSCRIPT_TABLE = str.maketrans(SUPERSCRIPT_DIGITS, "0123456789")


@dataclass
class _Unit:
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


def parse_document(doc: Document, layout: str = "report") -> list[Block]:
    """Split a document into Blocks carrying section paths and source spans.

    >>> d = Document("d", "T", "1.1 Scope\\n\\nIt applies.\\n")
    >>> [(b.kind, b.section) for b in parse_document(d)]
    [('heading', ('1.1 Scope',)), ('paragraph', ('1.1 Scope',))]
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}; got {layout!r}")
    if layout == "news":
        return _parse_news(doc)
    units = _units(doc.text)
    if layout == "slides":
        _classify_slides(units)
    else:
        _classify_report(units, doc.text)
    groups = _join_continuations(units, doc.text)
    return _assign_sections(groups, doc.text)


# -- units -----------------------------------------------------------------


def _units(text: str) -> list[_Unit]:
    """Group non-blank lines into units: a bullet, footnote, caption or table
    row starts a new unit; other lines continue the current one."""
    units: list[_Unit] = []
    current: _Unit | None = None
    for line in split_lines(text):
        if line.blank:
            current = None
            continue
        starts_new = current is None or _starts_unit(line.text) or _starts_unit(current.lines[-1].text, table_only=True)
        if starts_new:
            current = _Unit([line])
            units.append(current)
        else:
            current.lines.append(line)
    return units


def _starts_unit(line: str, table_only: bool = False) -> bool:
    if line.count("\t") >= 2:
        return True
    if table_only:
        return False
    return bool(_BULLET.match(line) or _FOOTNOTE.match(line) or _CAPTION.match(line))


# -- classification ----------------------------------------------------------


def _classify_report(units: list[_Unit], source: str) -> None:
    in_contents = False
    i = 0
    while i < len(units):
        unit = units[i]
        text = unit.text(source)
        nxt = units[i + 1] if i + 1 < len(units) else None
        if _is_caps_title(unit):
            unit.kind = "heading"
            unit.meta = {"level": 1, "label": " ".join(l.text.strip() for l in unit.lines), "caps": True}
            in_contents = "CONTENTS" in unit.meta["label"]
        elif in_contents:
            unit.kind = "paragraph"
        elif text.count("\t") >= 2 or (unit.lines[0].text.count("\t") >= 2):
            unit.kind = "table"
        elif _FOOTNOTE.match(unit.first):
            unit.kind = "footnote"
            unit.meta = {"number": _footnote_number(unit.first)}
        elif _CAPTION.match(unit.first):
            unit.kind = "caption"
        elif _is_figure_data(text):
            unit.kind = "figure_data"
        elif m := _MARKDOWN_HEADING.match(unit.first):
            unit.kind = "heading"
            unit.meta = {"level": len(m.group(1)), "label": m.group(2).strip()}
        elif _BOX.match(unit.first) and len(unit.lines) == 1:
            unit.kind = "heading"
            unit.meta = {"box": True, "label": _clean_label(unit.first)}
        elif (m := _NUMBERED_HEADING.match(unit.first)) and _heading_like(unit, max_words=16):
            unit.kind = "heading"
            number = tuple(int(n) for n in m.group(1).split("."))
            unit.meta = {"number": number, "label": _clean_label(m.group(2))}
        elif _BULLET.match(unit.first):
            unit.kind = "list_item"
        elif _heading_like(unit, max_words=8) and nxt is not None and _is_definition_body(nxt, source, unit.start):
            i = _absorb_definition(units, i, source)
            continue
        elif _heading_like(unit) and nxt is not None and _opens_section(nxt, source):
            unit.kind = "heading"
            unit.meta = {"label": _clean_label(unit.first)}
        i += 1


def _classify_slides(units: list[_Unit]) -> None:
    for unit in units:
        if _PART_HEADING.match(unit.first):
            unit.kind = "heading"
            unit.meta = {"level": 1, "label": _clean_label(unit.first)}
        elif _BULLET.match(unit.first):
            unit.kind = "list_item"
        elif unit.first.count("\t") >= 2:
            unit.kind = "table"


def _is_caps_title(unit: _Unit) -> bool:
    """An ALL-CAPS title, possibly spread over a few short lines."""
    if len(unit.lines) > 8:
        return False
    letters = [c for l in unit.lines for c in l.text if c.isalpha()]
    words = _WORD.findall(" ".join(l.text for l in unit.lines))
    if len(letters) < 6 or len(words) < 1 or any(len(l.text) > 90 for l in unit.lines):
        return False
    if any(_BULLET.match(l.text) or "\t" in l.text for l in unit.lines):
        return False
    upper = sum(c.isupper() for c in letters)
    return upper / len(letters) > 0.9 and (len(words) >= 2 or len(letters) >= 6)


def _is_figure_data(text: str) -> bool:
    """A run of graph numbers: mostly numeric tokens, no sentence."""
    tokens = text.split()
    if len(tokens) < 5:
        return False
    numeric = sum(bool(_NUMBER_TOKEN.match(t)) for t in tokens)
    return numeric / len(tokens) >= 0.6


def _heading_like(unit: _Unit, max_words: int = 12) -> bool:
    text = unit.first
    if len(unit.lines) != 1 or not text or len(text) > 120:
        return False
    if not (text[0].isupper() or text[0].isdigit()) or "\t" in text:
        return False
    stripped = _TRAILING_MARK.sub("", text).rstrip()
    if re.search(r"[.,;:]$", stripped):
        return False
    return len(stripped.split()) <= max_words


def _opens_section(unit: _Unit, source: str) -> bool:
    """The unit after a heading: a list, or a real paragraph."""
    if _BULLET.match(unit.first):
        return True
    if unit.kind != "paragraph" or not unit.first[:1].isupper():
        return False
    words = unit.text(source).split()
    opener = words[0].lower().strip(",")
    text = unit.text(source)
    sentence = bool(re.search(r"[.!?](?:\s|$)", text))
    return sentence and ((opener in _PROSE_OPENERS and len(words) >= 6) or len(words) >= 12)


def _is_definition_body(unit: _Unit, source: str, term_start: int) -> bool:
    """Glossary style: a noun phrase opening a text that is at least a few
    words long (or ends in ':'), where the report points the reader to a
    definition shortly before ("(see definition)"), or that opens with an
    indefinite article and cites no figures."""
    text = unit.text(source)
    words = text.split()
    if not words or not unit.first[0].isupper() or unit.kind != "paragraph":
        return False
    if len(words) < 5 and not text.rstrip().endswith(":"):
        return False
    if words[0].lower().strip(",") in _PROSE_OPENERS:
        return False
    if _DEFINITION_CUE.search(source, max(0, term_start - _CUE_WINDOW), term_start):
        return True
    first_sentence = re.split(r"(?<=[.;:])\s", text, maxsplit=1)[0]
    return words[0] in ("A", "An") and not re.search(r"\d", first_sentence)


def _absorb_definition(units: list[_Unit], i: int, source: str) -> int:
    """Merge a term line and its definition into one 'definition' unit.

    A definition whose text so far ends with ':' or ';' continues into the
    next paragraph ("A minor: / Who arrives ..., or; / Who is left ...").
    Returns the index of the next unit to classify.
    """
    term = units[i]
    lines = list(term.lines)
    j = i + 1
    while j < len(units):
        lines.extend(units[j].lines)
        body = source[units[j].start : units[j].end].rstrip()
        j += 1
        if not body.endswith((":", ";")) or j >= len(units):
            break
        if _FOOTNOTE.match(units[j].first) or _CAPTION.match(units[j].first):
            break
    merged = _Unit(lines, "definition", {"term": _clean_label(term.first)})
    units[i:j] = [merged]
    return i + 1


def _footnote_number(line: str) -> str:
    m = _FOOTNOTE.match(line)
    digits = _FOOTNOTE_NUMBER.findall(m.group(0).translate(_SUPERSCRIPT_TABLE)) if m else []
    return digits[0].translate(_SUPERSCRIPT_TABLE) if digits else ""


def _clean_label(text: str) -> str:
    """A heading as shown in a section path: no footnote marks or markup.

    >>> _clean_label("Key statistics on international protection ²²")
    'Key statistics on international protection'
    """
    text = text.replace("**", "").replace("\t", " ").strip()
    text = _TRAILING_MARK.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


# -- continuations -----------------------------------------------------------

_PROSE = ("paragraph", "list_item")
_ASIDE = ("footnote", "definition", "caption", "figure_data")


def _join_continuations(units: list[_Unit], source: str) -> list[list[_Unit]]:
    """Group units so that a sentence broken by a page break, or by a
    definition box or footnotes dropped into it, is read as one block.

    A prose unit that ends without terminal punctuation is continued by the
    next prose unit when that one starts in lower case, or when only asides
    (footnotes, definitions, graph material) stand between them.
    """
    groups: list[list[_Unit]] = []
    open_group: list[_Unit] | None = None
    asides_since = False
    for unit in units:
        if unit.kind in _PROSE and open_group is not None:
            first = unit.first
            lowercase_start = first[:1].islower() or first[:1] in "(,"
            if (lowercase_start or asides_since) and not _BULLET.match(first):
                open_group.append(unit)
                open_group = open_group if _unfinished(unit, source) else None
                asides_since = False
                continue
        if unit.kind in _ASIDE and open_group is not None:
            groups.append([unit])
            asides_since = True
            continue
        groups.append([unit])
        open_group = groups[-1] if unit.kind in _PROSE and _unfinished(unit, source) else None
        asides_since = False
    return groups


def _unfinished(unit: _Unit, source: str) -> bool:
    text = unit.text(source).rstrip()
    if len(text.split()) < 6:
        return False
    return not _TERMINAL.search(text)


# -- sections ---------------------------------------------------------------


def _assign_sections(groups: list[list[_Unit]], source: str) -> list[Block]:
    case_map = _case_map(source)
    stack: list[tuple[int, str]] = []  # (level, label)
    numbers: dict[int, tuple[int, ...]] = {}
    blocks: list[Block] = []
    for group in groups:
        head = group[0]
        if head.kind == "heading":
            level, label = _heading_level(head.meta, stack, numbers, case_map)
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, label))
        spans = tuple((u.start, u.end) for u in group)
        text = _joined_text(spans, source)
        meta = dict(head.meta)
        if head.kind == "heading" and "number" in meta:
            meta["number"] = ".".join(map(str, meta["number"]))
        blocks.append(Block(head.kind, text, spans, tuple(label for _, label in stack), meta))
    return blocks


def _heading_level(meta, stack, numbers, case_map) -> tuple[int, str]:
    deepest_numbered = max((lvl for lvl, _ in stack if lvl in numbers), default=1)
    if meta.get("caps"):
        numbers.clear()
        return 1, _sentence_case(meta["label"], case_map)
    if "level" in meta:
        if meta["level"] == 1:
            numbers.clear()
        return meta["level"], meta["label"]
    if "number" in meta:
        number = meta["number"]
        parent = number[:-1]
        level = len(number)
        # PDF extraction sometimes garbles a sub-number ("1.1.1" under "2.1"):
        # when it names another chapter than the open section, hang it there.
        open_parent = numbers.get(level - 1)
        if len(parent) >= 2 and open_parent and parent != open_parent and number[0] != open_parent[0]:
            number = open_parent + number[-1:]
        meta["number"] = number
        for lvl in [k for k in numbers if k >= level]:
            del numbers[lvl]
        numbers[level] = number
        return level, f"{'.'.join(map(str, number))} {meta['label']}"
    if meta.get("box"):
        base = max((lvl for lvl, _ in stack), default=0)
        base = base if not any(l.startswith("Box ") for _, l in stack[-1:]) else base - 1
        return base + 1, meta["label"]
    return deepest_numbered + 1, meta["label"]


def _joined_text(spans: tuple[tuple[int, int], ...], source: str) -> str:
    """Text of spans: a hyphen-broken word is closed up, else one space."""
    parts = [source[a:b] for a, b in spans]
    text = parts[0]
    for part in parts[1:]:
        text += part if text.endswith("-") else " " + part
    return text


def _case_map(source: str) -> dict[str, str]:
    """How each word is usually written in running text, to turn ALL-CAPS
    titles into readable ones ("BORDERS, VISA AND SCHENGEN" -> "Borders,
    visa and Schengen")."""
    counts: dict[str, dict[str, int]] = {}
    for word in _WORD.findall(source):
        if word.isupper() and len(word) > 1:
            continue
        forms = counts.setdefault(word.lower(), {})
        forms[word] = forms.get(word, 0) + 1
    return {low: max(forms, key=lambda f: (forms[f], f.islower())) for low, forms in counts.items()}


def _sentence_case(label: str, case_map: dict[str, str]) -> str:
    words = label.split()
    out = []
    for n, word in enumerate(words):
        core = word.strip(",:;()")
        low = core.lower()
        usual = case_map.get(low, low)
        if n == 0:
            usual = usual[:1].upper() + usual[1:]
        elif usual[:1].isupper() and low in ("and", "the", "of", "in", "to", "for"):
            usual = low
        out.append(word.replace(core, usual) if core else word)
    return _clean_label(" ".join(out))


# -- news --------------------------------------------------------------------

_NEWS_META = re.compile(r"^\s*(When|Main theme:|Keywords:|Publication date:|Publication Date:)\s*(.*)$")


def _parse_news(doc: Document) -> list[Block]:
    """One block per news item, with date, theme and keywords as metadata.

    Items are lines of prose; "When<date>", "Main theme:" and "Keywords:"
    lines after an item belong to it; a "Publication date:" line belongs to
    the item that follows it.
    """
    blocks: list[Block] = []
    item: dict | None = None
    pending_date, pending_start = "", None

    def close() -> None:
        if item is None:
            return
        spans = ((item["start"], item["end"]),)
        meta = {k: v for k, v in item.items() if k in ("date", "theme", "keywords") and v}
        n = len(blocks) + 1
        blocks.append(Block("news_item", doc.text[item["start"] : item["end"]], spans, (f"News item {n}",), meta))

    for line in split_lines(doc.text):
        if line.blank:
            continue
        m = _NEWS_META.match(line.text)
        if m and m.group(1).lower().startswith("publication"):
            close()
            item, pending_date, pending_start = None, m.group(2).strip(), line.start
            continue
        if m and item is not None:
            key = {"When": "date", "Main theme:": "theme", "Keywords:": "keywords"}[m.group(1)]
            item[key] = m.group(2).strip()
            item["end"] = line.end
            continue
        if item is not None and (line.text[:1].islower() or m):
            item["end"] = line.end  # a wrapped line, or metadata before any item
            continue
        close()
        start = line.start if pending_start is None else pending_start
        item = {"start": start, "end": line.end, "date": pending_date}
        pending_date, pending_start = "", None
    close()
    return blocks
