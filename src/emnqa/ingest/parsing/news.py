"""News lists: one Block per item, with its date, theme and keywords."""

from __future__ import annotations

import re

from ...text.spans import split_lines
from ...types import Block, Document

_NEWS_META = re.compile(r"^\s*(When|Main theme:|Keywords:|Publication date:|Publication Date:)\s*(.*)$")


def parse_news(doc: Document) -> list[Block]:
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
