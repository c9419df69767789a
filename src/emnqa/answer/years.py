"""The years a question names, held against passages and quotes: a figure
for 2022 never answers a question about 2024, however well its other words
match. Pure functions over the query's years and the corpus facts."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..text.spans import years_in
from ..types import Evidence, Passage
from .extend import around
from .facts import CorpusFacts


def passages_naming(years: Sequence[str], hits: Sequence[Passage], facts: CorpusFacts, limit: int) -> list[Passage]:
    """Of the first `limit` passages, those whose text, section or document
    year names every asked year (all passages when the question names none):
    a passage further down that names 2024 may answer where the first,
    about 2022, may not.

    >>> from emnqa.types import Chunk, Passage
    >>> hits = [Passage.of(Chunk(f"d:{i}", "d", text, (), 0, 9, 3), 1.0, i) for i, text in enumerate(["In 2022, 5.", "In 2024, 7."])]
    >>> [h.text for h in passages_naming(["2024"], hits, CorpusFacts((), "", {}), 5)]
    ['In 2024, 7.']
    """
    if not years:
        return list(hits)
    return [h for h in hits[:limit] if facts.context_years(h).issuperset(years)]


def year_test(years: Sequence[str], facts: CorpusFacts, window: int) -> Callable[[Evidence], bool] | None:
    """For a question naming a year, a test of a candidate quote: is the
    year named within `window` sentences of it, in its section or by its
    document? None when the question names no year."""
    if not years:
        return None
    return lambda evidence: names_years(evidence, years, window, facts)


def names_years(evidence: Evidence, years: Sequence[str], window: int, facts: CorpusFacts) -> bool:
    """Whether the asked years are named within `window` sentences of the
    quote, or (unless the quote names another year) by its section or its
    document: a figure for 2022 never answers a question about 2023.

    >>> from emnqa.types import Chunk, Passage
    >>> text = "In 2022, 10 came. Then 2023 began."
    >>> e = Evidence(Passage.of(Chunk("d:1", "d", text, (), 0, len(text), 9), 1.0, 1, "T"), 0, 17, 1.0, 1.0)
    >>> facts = CorpusFacts.build([], [], {"d": "2023"})
    >>> names_years(e, ["2023"], 1, facts), names_years(e, ["2023"], 0, facts)
    (True, False)
    """
    near = years_in(around(evidence, window))
    if near.issuperset(years):
        return True
    own = years_in(evidence.text)
    if own and not own & set(years):
        return False  # "In 2022, ..." is not about 2023, whatever its document's year
    return (near | facts.context_years(evidence.passage, text=False)).issuperset(years)
