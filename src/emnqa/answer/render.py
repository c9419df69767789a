"""The answer as the reader sees it: fixed framing words by question type,
each quote verbatim with its [n] marker, then the Sources list; or the
"not covered" sentence with the closest passages. No language model writes
anything here: every statement shown is a quote."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ..types import Answer, Citation, Evidence, Passage

_LEADS = {
    "quantity": "The EMN Belgium documents give these figures:",
    "date": "The EMN Belgium documents date it as follows:",
    "who": "According to the EMN Belgium documents:",
    "definition": "The EMN Belgium documents define it as follows:",
    "list": "The EMN Belgium documents list:",
    "why": "The EMN Belgium documents explain:",
    "yesno": "The EMN Belgium documents say:",
    "other": "According to the EMN Belgium documents:",
}
NOT_COVERED = "The EMN Belgium documents in the corpus do not cover this question."


def compose_answer(
    question: str,
    interpreted_query: str,
    qtype: str,
    evidence: Sequence[Evidence],
    passages: Sequence[Passage],
    abstain: bool,
    years: Mapping[str, str] | None = None,
) -> Answer:
    """Render the answer markdown from quoted evidence, or the abstention."""
    years = years or {}
    if abstain or not evidence:
        return Answer(question, interpreted_query, _not_covered(passages, years), True, (), tuple(passages), qtype)
    if len({e.passage.chunk_ids for e in evidence}) == 1:
        evidence = sorted(evidence, key=lambda e: e.start)  # quotes of one passage read in its order
    citations: list[Citation] = []
    numbers: dict[tuple[str, ...], int] = {}
    lines = [_LEADS.get(qtype, _LEADS["other"]), ""]
    for item in evidence:
        ids = item.passage.chunk_ids
        if ids not in numbers:
            numbers[ids] = len(numbers) + 1
        n = numbers[ids]
        quote = item.text
        citations.append(Citation(n, item.passage, quote))
        lines.append(f"> {_inline(quote)} [{n}]")
        lines.append("")
    lines.append("**Sources**")
    lines.append("")
    for c in citations:
        lines.append(f"[{c.n}] {_source(c.passage, years)} — “{_inline(c.quote)}”")
    lines.append("")
    return Answer(question, interpreted_query, "\n".join(lines).rstrip() + "\n", False, tuple(citations), tuple(passages), qtype)


def _not_covered(passages: Sequence[Passage], years: Mapping[str, str]) -> str:
    lines = [NOT_COVERED]
    if passages:
        lines += ["", "Possibly related passages (they do not answer the question):", ""]
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
