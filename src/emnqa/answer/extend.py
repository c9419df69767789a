"""Quote extension: what joins a chosen quote so that it reads on its own.
The sentence after it when it leans on it, the items of a list it
announces, the footnotes it cites that bear on the question, a table's
header row above a row of figures, a news item's date line. Pure functions
over evidence; each step is switched by ComposeParams or by the caller."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Mapping, Sequence

from ..config import ComposeParams
from ..ingest.footnotes import Footnotes
from ..retrieve.lexical import terms as _terms
from ..text.spans import BULLETS, quotable_sentences, trim_span
from ..types import Chunk, Evidence, Passage, Query
from .cues import cue

def with_items(chosen: list[Evidence], most: int) -> list[Evidence]:
    """A quote announcing a list ("The airport police invested in both
    policy and operational improvements related to identity fraud:", "More
    than 100 000 persons applied for protection:") is quoted with the items
    that follow it (bulleted lines, `most` of them at most, blank lines
    between allowed), as one verbatim span; quotes inside it are dropped.
    Without them it says nothing."""
    out: list[Evidence] = []
    for e in chosen:
        if e.text.rstrip().endswith(":"):
            e = replace(e, end=_items_end(e.passage.text, e.end, most))
        out.append(e)
    def inside(e: Evidence, o: Evidence) -> bool:
        wider = o.end - o.start > e.end - e.start
        return o is not e and o.passage is e.passage and o.start <= e.start and e.end <= o.end and wider

    return [e for e in out if not any(inside(e, o) for o in out)]


def _items_end(text: str, end: int, most: int) -> int:
    """The end of the run of bulleted lines (at most `most`) right after
    offset `end` of `text`; `end` itself when none follows."""
    at = end
    for _ in range(most):
        item = _NEXT_ITEM.match(text, at)
        if item is None:
            break
        at = item.end()
    return at


# The next line (blank lines skipped) when it is a bulleted item: its end.
_NEXT_ITEM = re.compile(rf"[ \t]*\n(?:[ \t]*\n)*[ \t]*[{re.escape(BULLETS)}][ \t]*\S[^\n]*?(?=[ \t]*(?:\n|$))")


# Words opening a sentence that goes on from the one before it.
_LINKS = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|such|however|moreover|in addition|additionally|also|furthermore|"
    r"before|previously|thus|therefore|as a result|to compensate|in this|the latter|hence|consequently|similarly|"
    r"likewise|instead|meanwhile|nevertheless|yet|but|and|still|then|since then|in that|at the same time|"
    r"in response|on the other hand|in contrast|by contrast|for this|to this end|accordingly|in particular|notably)\b",
    re.IGNORECASE,
)


def continues(sentence: str, before: str, terms: Callable[[str], list[str]]) -> bool:
    """Whether a sentence leans on the one before it: it opens on a link
    ("This", "However", "As a result" ...) or on "The <thing>" the sentence
    before named ("... the Correctional Court of Antwerp convicted ..." /
    "The court imposed prison sentences of up to 18 years")."""
    if _LINKS.match(sentence):
        return True
    head = re.match(r"^the\s+([^\W\d_]+)", sentence, re.IGNORECASE)
    return bool(head) and bool(set(terms(head.group(1))) & set(terms(before)))


def adds_to(question: str, qtype: str, quote: Evidence, note: Evidence, terms: Callable[[str], list[str]]) -> bool:
    """Whether a footnote the quote cites bears on the question: it shares a
    term with the question, or it has the asked kind of fact (a figure, a
    date, a name...) when the quote has none. A note that only gives the
    web address of a source the question does not name is left out."""
    asked = set(terms(question))
    if asked & set(terms(note.text)):
        return True
    return bool(cue(qtype, note.text, note.passage, question)) and not cue(qtype, quote.text, quote.passage, question)


def with_table_headers(evidence: Sequence[Evidence]) -> list[Evidence]:
    """The evidence with, before the first quote of each table passage, the
    table's header row when the passage opens with one (cells without a
    figure) and the quoted row holds figures: "Executives € 78 259 € 86 110
    …" says which figure is whose only with the header's regions above it.

    >>> from emnqa.types import Chunk, Passage
    >>> text = "\\tFlemish Region\\tWalloon Region\\nExecutives\\t€ 78 259\\t€ 86 110"
    >>> hit = Passage.of(Chunk("d:1", "d", text, ("Table 1",), 0, len(text), 9, kind="table"), 1.0, 1, "T")
    >>> [e.text for e in with_table_headers([Evidence(hit, 31, len(text), 1.0, 1.0)])]
    ['Flemish Region\\tWalloon Region', 'Executives\\t€ 78 259\\t€ 86 110']
    """
    out: list[Evidence] = []
    headed: set[str] = set()
    for item in evidence:
        passage = item.passage
        line = passage.text.split("\n", 1)[0]
        # Only above a row of figures: a row of names ("CALL  Council for
        # Alien Law Litigation ...") carries its own meaning.
        header = passage.kind == "table" and "\t" in line and not re.search(r"\d", line)
        if header and line not in headed and re.search(r"\d", item.text):
            headed.add(line)
            start, end = trim_span(passage.text, 0, len(line))
            if item.start >= len(line) and end > start:
                out.append(Evidence(item.passage, start, end, 0.0, 0.0))
        out.append(item)
    return out


def with_item_dates(evidence: Sequence[Evidence], qtype: str) -> list[Evidence]:
    """To a when-question, a quote from a dated news item is followed by the
    item's date line ("When17 March 2021") when the quote does not give that
    date itself: the item's date is when what it reports happened.

    >>> from emnqa.types import Chunk, Passage
    >>> text = "Georgia and Moldova joined the EMN in March 2021.\\nWhen17 March 2021\\nMain theme: EU"
    >>> item = Chunk("n:1", "n", text, ("News item 6",), 0, len(text), 9, kind="news", meta={"date": "17 March 2021"})
    >>> news = Passage.of(item, 1.0, 1, "T")
    >>> [e.text for e in with_item_dates([Evidence(news, 0, 49, 1.0, 1.0)], "date")]
    ['Georgia and Moldova joined the EMN in March 2021.', 'When17 March 2021']
    """
    if qtype != "date":
        return list(evidence)
    out: list[Evidence] = []
    dated: set[tuple[str, ...]] = set()
    for item in evidence:
        out.append(item)
        passage = item.passage
        date = str(passage.meta.get("date") or "")
        if passage.kind != "news" or not date or date in item.text or passage.chunk_ids in dated:
            continue
        line = re.search(rf"(?m)^[ \t]*When[ \t]*{re.escape(date)}[ \t]*$", passage.text)
        if line is not None:
            dated.add(passage.chunk_ids)
            start, end = trim_span(passage.text, line.start(), line.end())
            out.append(Evidence(item.passage, start, end, 0.0, 0.0))
    return out


def around(evidence: Evidence, window: int) -> str:
    """The evidence's sentence with up to `window` sentences either side of
    it in its passage.

    >>> from emnqa.types import Chunk, Passage
    >>> text = "One. In 2024, two. Three. Four."
    >>> hit = Passage.of(Chunk("d:1", "d", text, (), 0, len(text), 9), 1.0, 1, "T")
    >>> around(Evidence(hit, 19, 25, 1.0, 1.0), 1)
    'In 2024, two. Three. Four.'
    """
    text = evidence.passage.text
    spans = quotable_sentences(text)
    inside = [i for i, (a, b) in enumerate(spans) if a < evidence.end and evidence.start < b]
    if not inside:
        return evidence.text
    first, last = max(0, inside[0] - window), min(len(spans) - 1, inside[-1] + window)
    return text[spans[first][0] : spans[last][1]]


def with_notes(
    query: Query,
    evidence: Sequence[Evidence],
    footnotes: Footnotes,
    chunks: Sequence[Chunk],
    titles: Mapping[str, str],
    params: ComposeParams = ComposeParams(),
) -> list[Evidence]:
    """The evidence with, after each quote, the footnotes it cites
    (ComposeParams.notes: all of them, or those that bear on the question,
    `adds_to`). The report keeps detail there: the number and date of a
    ruling, who a network's partners are, a caveat."""
    if params.notes == "none":
        return list(evidence)
    out: list[Evidence] = []
    seen: set[tuple[int, int]] = set()
    # A note the passage itself held may be quoted already, as evidence.
    quoted = {" ".join(e.text.split()) for e in evidence}
    for item in evidence:
        out.append(item)
        for note in _notes_of(item, footnotes, chunks):
            if (note.position, note.start) in seen:
                continue
            seen.add((note.position, note.start))
            chunk = chunks[note.position]
            cited = Passage.of(chunk, 0.0, 0, titles.get(chunk.doc_id, chunk.doc_id), note.position)
            extra = Evidence(cited, note.start, note.end, 0.0, 0.0)
            if " ".join(extra.text.split()) in quoted:
                continue
            if params.notes == "all" or adds_to(query.text, query.qtype, item, extra, _terms):
                out.append(extra)
    return out


def _notes_of(item: Evidence, footnotes: Footnotes, chunks: Sequence[Chunk]):
    """The notes the quote cites, looked up in the member chunk holding it."""
    passage = item.passage
    for position in passage.positions:
        chunk = chunks[position]
        if item.text in chunk.text or len(passage.positions) == 1:
            return footnotes.cited_by(item.text, chunk.doc_id, position, chunk.section_path)
    return []
