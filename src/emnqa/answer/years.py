"""The years a question names, held against passages and quotes: a figure
for 2022 never answers a question about 2024, however well its other words
match. Pure functions over the query's years and the corpus facts."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..types import Evidence, Hit
from .abstain import names_years
from .facts import CorpusFacts


def passages_naming(years: Sequence[str], hits: Sequence[Hit], facts: CorpusFacts, limit: int) -> list[Hit]:
    """Of the first `limit` passages, those whose text, section or document
    year names every asked year (all passages when the question names none):
    a passage further down that names 2024 may answer where the first,
    about 2022, may not.

    >>> from emnqa.types import Chunk
    >>> hits = [Hit(Chunk(f"d:{i}", "d", text, (), 0, 9, 3), 1.0, i) for i, text in enumerate(["In 2022, 5.", "In 2024, 7."])]
    >>> [h.chunk.text for h in passages_naming(["2024"], hits, CorpusFacts((), "", {}), 5)]
    ['In 2024, 7.']
    """
    if not years:
        return list(hits)
    return [h for h in hits[:limit] if facts.context_years(h.chunk).issuperset(years)]


def year_test(years: Sequence[str], facts: CorpusFacts, window: int) -> Callable[[Evidence], bool] | None:
    """For a question naming a year, a test of a candidate quote: is the
    year named within `window` sentences of it, in its section or by its
    document? None when the question names no year."""
    if not years:
        return None
    return lambda evidence: names_years(evidence, years, window, facts)
