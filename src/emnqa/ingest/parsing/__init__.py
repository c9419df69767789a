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

from ...types import LAYOUTS, Block, Document
from .cues import split_units
from .news import parse_news
from .report import classify_report, classify_slides, join_continuations
from .sections import assign_sections



def parse_document(doc: Document, layout: str = "report") -> list[Block]:
    """Split a document into Blocks carrying section paths and source spans.

    >>> d = Document("d", "T", "1.1 Scope\\n\\nIt applies.\\n")
    >>> [(b.kind, b.section) for b in parse_document(d)]
    [('heading', ('1.1 Scope',)), ('paragraph', ('1.1 Scope',))]
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}; got {layout!r}")
    if layout == "news":
        return parse_news(doc)
    units = split_units(doc.text)
    if layout == "slides":
        classify_slides(units)
    else:
        classify_report(units, doc.text)
    groups = join_continuations(units, doc.text)
    return assign_sections(groups, doc.text)
