"""Section paths: heading levels, garbled numbering repaired, ALL-CAPS
titles made readable, and the Blocks that carry them."""

from __future__ import annotations

from ...types import Block
from .cues import WORD, Unit, clean_label


def assign_sections(groups: list[list[Unit]], source: str) -> list[Block]:
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
    for word in WORD.findall(source):
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
    return clean_label(" ".join(out))
