"""The answer as the reader sees it: fixed framing words by question type,
each quote verbatim with its [n] marker, then the Sources list; or the
"not covered" sentence with the closest passages. No language model writes
anything here: every statement shown is a quote."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..types import Answer, Citation, Evidence, Passage
from ..language.messages import message
from .cues import short_answer

NOT_COVERED = message("en", "not_covered")


def compose_answer(
    question: str,
    interpreted_query: str,
    qtype: str,
    evidence: Sequence[Evidence],
    passages: Sequence[Passage],
    abstain: bool,
    years: Mapping[str, str] | None = None,
    reading_order: bool = False,
    language: str = "en",
) -> Answer:
    """Render the answer markdown from quoted evidence, or the abstention.
    The quotes are shown best first, as chosen (the continuation of the best
    right after it); with `reading_order`, those of an answer from one
    passage in the passage's order instead (ComposeParams.reading_order:
    off since 2026-12-04, eval/README.md). The framing words are in
    `language` (the question's); the quotes stay as the documents word them."""
    years = years or {}
    if abstain or not evidence:
        return Answer(question, interpreted_query, _not_covered(passages, years, language), True, (), tuple(passages), qtype)
    evidence = _once(evidence)
    if reading_order and len({e.passage.chunk_ids for e in evidence}) == 1:
        evidence = sorted(evidence, key=lambda e: e.start)  # quotes of one passage read in its order
    citations: list[Citation] = []
    numbers: dict[tuple[str, ...], int] = {}
    for item in evidence:
        n = numbers.setdefault(item.passage.chunk_ids, len(numbers) + 1)
        citations.append(Citation(n, item.passage, item.text))
    # The first thing shown is the answer: to a figure, date or who question,
    # the short answer in bold (a span of the first quote), then the quotes.
    short = short_answer(qtype, citations[0].quote, interpreted_query)
    if short is not None:
        lines = [f"**{_inline(citations[0].quote[short[0] : short[1]])}** [{citations[0].n}]", ""]
    else:
        lines = [message(language, f"lead.{qtype}", default=message(language, "lead.other")), ""]
    for c in citations:
        lines += [f"> {_shown(c.quote, c.passage)} [{c.n}]", ""]
    lines += [f"**{message(language, 'sources')}**", ""]
    for n in sorted(set(numbers.values())):
        cited = [c for c in citations if c.n == n]
        lines.append(f"[{n}] {_source(cited[0].passage, years)}")
        lines += [f"  - “{_inline(c.quote)}”" for c in cited]
    lines.append("")
    return Answer(question, interpreted_query, "\n".join(lines).rstrip() + "\n", False, tuple(citations), tuple(passages), qtype)


def _once(evidence: Sequence[Evidence]) -> list[Evidence]:
    """The evidence without near-duplicate quotes: the executive summary and
    the chapter often say the same in the same words; the first is kept.

    >>> from emnqa.types import Chunk, Passage
    >>> a = Passage.of(Chunk("a", "d", "In 2024, 39 615 persons applied for protection.", (), 0, 47, 9))
    >>> b = Passage.of(Chunk("b", "d", "In 2024, 39 615 persons applied for international protection.", (), 0, 61, 9))
    >>> [e.text for e in _once([Evidence(a, 0, 47, 1.0, 1.0), Evidence(b, 0, 61, 0.9, 1.0)])]
    ['In 2024, 39 615 persons applied for protection.']
    """
    out: list[Evidence] = []
    for item in evidence:
        words = _words(item.text)
        if not any(_similar(words, _words(kept.text)) for kept in out):
            out.append(item)
    return out


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _similar(a: set[str], b: set[str]) -> bool:
    """Near-duplicates: at least five words, and nearly all of them shared."""
    return min(len(a), len(b)) >= 5 and len(a & b) / len(a | b) >= 0.8


def _not_covered(passages: Sequence[Passage], years: Mapping[str, str], language: str = "en") -> str:
    lines = [message(language, "not_covered")]
    if passages:
        lines += ["", message(language, "related"), ""]
        for hit in passages[:3]:
            excerpt = _inline(hit.text)
            excerpt = excerpt if len(excerpt) <= 220 else excerpt[:217].rsplit(" ", 1)[0] + " …"
            lines.append(f"- {_source(hit, years)}: {excerpt}")
    return "\n".join(lines) + "\n"


def _source(hit: Passage, years: Mapping[str, str]) -> str:
    year = years.get(hit.doc_id)
    title = f"{hit.title} ({year})" if year and year not in hit.title else hit.title
    section = hit.section
    return f"{title} — {section}" if section else title


def _inline(text: str) -> str:
    """One line for markdown: white space folded, nothing else changed."""
    return re.sub(r"\s+", " ", text).strip()


# Languages of a table's columns, as a reader of Belgian documents writes them.
_LANGUAGES = {"english": "EN", "dutch": "NL", "french": "FR", "german": "DE"}
# A word broken at a line end in the PDF ("Asi- elzoekers"); not "pre- and post-".
_BROKEN_WORD = re.compile(r"(?<=[a-zà-ÿ])- (?=[a-zà-ÿ])(?!(?:and|or|en|et|of|ou)\b)")


def _shown(quote: str, passage: Passage) -> str:
    r"""A quote as one line. A row of a table of names under a header row
    (the list of acronyms: "In text / English / Dutch / French") reads as a
    definition, its cells verbatim but for words the PDF broke at a line end:

    >>> from emnqa.types import Chunk
    >>> text = "In text\tEnglish\tDutch\tFrench\t\nFedasil\tFederal Agency\tFederaal Agent- schap\tAgence fédérale\t"
    >>> _shown(text.split("\n")[1], Passage.of(Chunk("t", "d", text, (), 0, len(text), 9, kind="table")))
    'Fedasil: Federal Agency; NL Federaal Agentschap; FR Agence fédérale'
    """
    header = passage.text.split("\n", 1)[0]
    cells = [c.strip() for c in quote.strip().split("\t") if c.strip()]
    names = [c.strip() for c in header.split("\t") if c.strip()]
    if passage.kind != "table" or quote.strip() == header.strip() or len(cells) < 3 or len(cells) != len(names) \
            or re.search(r"\d", quote + header):
        return _inline(quote)
    cells = [_BROKEN_WORD.sub("", c) for c in cells]
    rest = [f"{_LANGUAGES.get(name.casefold(), name)} {cell}" for name, cell in zip(names[2:], cells[2:])]
    return _inline(f"{cells[0]}: {'; '.join([cells[1], *rest])}")
