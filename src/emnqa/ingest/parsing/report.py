"""Classifying units of the annual report (and of slides), and rejoining
sentences that a page break or a box cut in two."""

from __future__ import annotations

import re

from .cues import (
    BOX,
    BULLET,
    CAPTION,
    CUE_WINDOW,
    DEFINITION_CUE,
    FOOTNOTE,
    MARKDOWN_HEADING,
    NUMBERED_HEADING,
    PART_HEADING,
    PROSE_OPENERS,
    TERMINAL,
    Unit,
    clean_label,
    footnote_number,
    heading_like,
    is_caps_title,
    is_figure_data,
)


def classify_report(units: list[Unit], source: str) -> None:
    in_contents = False
    i = 0
    while i < len(units):
        unit = units[i]
        text = unit.text(source)
        nxt = units[i + 1] if i + 1 < len(units) else None
        if is_caps_title(unit):
            unit.kind = "heading"
            unit.meta = {"level": 1, "label": " ".join(l.text.strip() for l in unit.lines), "caps": True}
            in_contents = "CONTENTS" in unit.meta["label"]
        elif in_contents:
            unit.kind = "paragraph"
        elif text.count("\t") >= 2 or (unit.lines[0].text.count("\t") >= 2):
            unit.kind = "table"
        elif FOOTNOTE.match(unit.first):
            unit.kind = "footnote"
            unit.meta = {"number": footnote_number(unit.first)}
        elif CAPTION.match(unit.first):
            unit.kind = "caption"
        elif is_figure_data(text):
            unit.kind = "figure_data"
        elif m := MARKDOWN_HEADING.match(unit.first):
            unit.kind = "heading"
            unit.meta = {"level": len(m.group(1)), "label": m.group(2).strip()}
        elif BOX.match(unit.first) and len(unit.lines) == 1:
            unit.kind = "heading"
            unit.meta = {"box": True, "label": clean_label(unit.first)}
        elif (m := NUMBERED_HEADING.match(unit.first)) and heading_like(unit, max_words=16):
            unit.kind = "heading"
            number = tuple(int(n) for n in m.group(1).split("."))
            unit.meta = {"number": number, "label": clean_label(m.group(2))}
        elif BULLET.match(unit.first):
            unit.kind = "list_item"
        elif heading_like(unit, max_words=8) and nxt is not None and _is_definition_body(nxt, source, unit.start):
            i = _absorb_definition(units, i, source)
            continue
        elif heading_like(unit) and nxt is not None and _opens_section(nxt, source):
            unit.kind = "heading"
            unit.meta = {"label": clean_label(unit.first)}
        i += 1


def classify_slides(units: list[Unit]) -> None:
    for unit in units:
        if PART_HEADING.match(unit.first):
            unit.kind = "heading"
            unit.meta = {"level": 1, "label": clean_label(unit.first)}
        elif BULLET.match(unit.first):
            unit.kind = "list_item"
        elif unit.first.count("\t") >= 2:
            unit.kind = "table"


def _opens_section(unit: Unit, source: str) -> bool:
    """The unit after a heading: a list, or a real paragraph."""
    if BULLET.match(unit.first):
        return True
    if unit.kind != "paragraph" or not unit.first[:1].isupper():
        return False
    words = unit.text(source).split()
    opener = words[0].lower().strip(",")
    text = unit.text(source)
    sentence = bool(re.search(r"[.!?](?:\s|$)", text))
    return sentence and ((opener in PROSE_OPENERS and len(words) >= 6) or len(words) >= 12)


def _is_definition_body(unit: Unit, source: str, term_start: int) -> bool:
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
    if words[0].lower().strip(",") in PROSE_OPENERS:
        return False
    if DEFINITION_CUE.search(source, max(0, term_start - CUE_WINDOW), term_start):
        return True
    first_sentence = re.split(r"(?<=[.;:])\s", text, maxsplit=1)[0]
    return words[0] in ("A", "An") and not re.search(r"\d", first_sentence)


def _absorb_definition(units: list[Unit], i: int, source: str) -> int:
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
        if FOOTNOTE.match(units[j].first) or CAPTION.match(units[j].first):
            break
    merged = Unit(lines, "definition", {"term": clean_label(term.first)})
    units[i:j] = [merged]
    return i + 1


_PROSE = ("paragraph", "list_item")
_ASIDE = ("footnote", "definition", "caption", "figure_data")


def join_continuations(units: list[Unit], source: str) -> list[list[Unit]]:
    """Group units so that a sentence broken by a page break, or by a
    definition box or footnotes dropped into it, is read as one block.

    A prose unit that ends without terminal punctuation is continued by the
    next prose unit when that one starts in lower case, or when only asides
    (footnotes, definitions, graph material) stand between them.
    """
    groups: list[list[Unit]] = []
    open_group: list[Unit] | None = None
    asides_since = False
    for unit in units:
        if unit.kind in _PROSE and open_group is not None:
            first = unit.first
            lowercase_start = first[:1].islower() or first[:1] in "(,"
            if (lowercase_start or asides_since) and not BULLET.match(first):
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


def _unfinished(unit: Unit, source: str) -> bool:
    text = unit.text(source).rstrip()
    if len(text.split()) < 6:
        return False
    return not TERMINAL.search(text)
