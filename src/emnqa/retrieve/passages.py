"""Chunks -> the passages shown and quoted: each retrieved chunk widened
with its neighbours of the same section, every chunk shown at most once.

Chunks are small so that retrieval is precise, but a fact often sits one
chunk away from the words the question shares with the text (a table after
its heading, a figure in the sentence after the one naming the topic). The
passage a user sees, and the composer quotes from, is therefore the chunk
plus its neighbours in the same section, up to a token budget.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

import numpy as np

from ..types import Chunk, Passage, Sentence


def window(position: int, chunks: Sequence[Chunk], budget: int, taken: set[int] = frozenset()) -> list[int]:
    """Positions of the passage around chunk `position`: neighbours of the
    same document, section and kind, the next one first, while the passage
    stays within `budget` tokens (the chunk itself always fits).

    >>> from emnqa.types import Chunk
    >>> cs = [Chunk(f"c{i}", "d", "t", ("S",) if i < 4 else ("T",), 0, 1, 10) for i in range(6)]
    >>> window(1, cs, 30), window(3, cs, 100), window(4, cs, 30), window(1, cs, 30, taken={2})
    ([0, 1, 2], [0, 1, 2, 3], [4, 5], [0, 1])
    """
    anchor = chunks[position]
    used = anchor.token_count
    out = [position]
    before, after = position - 1, position + 1
    while True:
        grown = False
        for side in ("after", "before"):
            p = after if side == "after" else before
            if not (0 <= p < len(chunks)) or p in taken or not _same_section(anchor, chunks[p]):
                continue
            if used + chunks[p].token_count > budget:
                continue
            used += chunks[p].token_count
            out.append(p)
            grown = True
            if side == "after":
                after += 1
            else:
                before -= 1
        if not grown:
            return sorted(out)


def passages(ranked: Sequence[int], chunks: Sequence[Chunk], budget: int, k: int) -> list[tuple[int, list[int]]]:
    """The first `k` passages, as (the retrieved chunk, the passage's chunks),
    for chunk positions ranked best first; a chunk already inside a better
    passage is not shown again.

    >>> from emnqa.types import Chunk
    >>> cs = [Chunk(f"c{i}", "d", "t", ("S",), 0, 1, 10) for i in range(5)]
    >>> passages([1, 2, 4, 0], cs, 20, 3)
    [(1, [1, 2]), (4, [3, 4]), (0, [0])]
    """
    taken: set[int] = set()
    out: list[tuple[int, list[int]]] = []
    for position in ranked:
        if position in taken:
            continue
        group = window(position, chunks, budget, taken)
        taken.update(group)
        out.append((position, group))
        if len(out) == k:
            break
    return out


def join(
    chunks: Sequence[Chunk], score: float = 0.0, rank: int = 0, title: str = "", positions: Sequence[int] = ()
) -> Passage:
    """The passage of consecutive chunks: their text with the sentence two
    neighbours share (the chunker's overlap) kept once, and a table's header
    row, which every chunk of the table repeats, once.

    >>> from emnqa.types import Chunk
    >>> j = join([Chunk("a", "d", "One. Two.", ("S",), 0, 9, 4), Chunk("b", "d", "Two. Three.", ("S",), 5, 16, 4)])
    >>> j.chunk_ids, j.text
    (('a', 'b'), 'One. Two. Three.')
    >>> rows = [Chunk(c, "d", f"Region\\tA\\n{r}", ("T",), 0, 1, 4, kind="table") for c, r in (("a", "x"), ("b", "y"))]
    >>> join(rows).text
    'Region\\tA\\nx\\ny'
    """
    first = chunks[0]
    text = first.text
    header = first.text.split("\n", 1)[0] if first.kind == "table" else None
    for chunk in chunks[1:]:
        body = chunk.text
        if header and body.startswith(header + "\n"):
            body = body[len(header) + 1 :]
        overlap = _overlap(text, body)
        rest = body[overlap:]
        if rest.strip():
            text += (" " if overlap and not rest.startswith("\n") else "\n") + rest.lstrip(" \n")
    return Passage(tuple(chunks), text, score, rank, title, tuple(positions))


def sentence_spans(passage: Passage, chunks: Sequence[Chunk], rows: Callable[[int], tuple[int, int]]) -> list[tuple[int, int, int]]:
    """The passage's sentences located in its text, each with the row of its
    vector in the index's sentence vectors: (start, end, row), in reading
    order; a sentence two member chunks share (their overlap) once."""
    spans: dict[int, tuple[int, int, int]] = {}
    for position in passage.positions:
        chunk = chunks[position]
        first, _ = rows(position)
        for row, (a, b) in enumerate(chunk.meta.get("sentences", ()), start=first):
            at = passage.text.find(chunk.text[a:b])
            if at >= 0:
                spans.setdefault(at, (at, at + b - a, row))
    return sorted(spans.values())


def scored_sentences(
    passage: Passage,
    chunks: Sequence[Chunk],
    rows: Callable[[int], tuple[int, int]],
    vectors: np.ndarray,
    query: np.ndarray,
    match: np.ndarray | None = None,
) -> Passage:
    """The passage with its sentences' cosines to the query: each member
    chunk's sentence vectors (rows `rows(position)` of `vectors`, stored in
    the index) against the query's vectors (one per column; the better
    cosine counts), the sentences located in the passage's text. `match`,
    the answer matcher's vectors of the question (one per column, as
    `query`'s: the better cosine counts), gives each its Sentence.match."""
    spans = sentence_spans(passage, chunks, rows)  # in reading order
    if not spans:
        return replace(passage, sentences=())
    picked = vectors[[row for _, _, row in spans]]
    cosines = (picked @ query).max(axis=1)
    matches = [None] * len(spans) if match is None else [float(m) for m in np.atleast_2d((picked @ match).T).max(axis=0)]
    return replace(passage, sentences=tuple(Sentence(a, b, float(c), m) for (a, b, _), c, m in zip(spans, cosines, matches)))


_MAX_OVERLAP = 1500  # characters: the chunker overlaps one sentence


def _same_section(a: Chunk, b: Chunk) -> bool:
    return a.doc_id == b.doc_id and a.section_path == b.section_path and a.kind == b.kind


def _overlap(a: str, b: str) -> int:
    """Length of the longest suffix of `a` that starts `b` (the sentence
    consecutive chunks share), ending at a line or sentence boundary of `b`.

    >>> _overlap("One. Two.", "Two. Three."), _overlap("One. Two.", "Three."), _overlap("ab", "abc")
    (4, 0, 0)
    >>> _overlap("x Two.", "Two.")
    4
    """
    if not a or not b:
        return 0
    # The suffixes of `a` that `b` may start with begin where `a` has b's
    # first character: tried longest first, as every length would be.
    first, at = b[0], a.find(b[0], len(a) - min(len(a), len(b), _MAX_OVERLAP))
    while at >= 0:
        size = len(a) - at
        if b.startswith(a[at:]) and (size == len(b) or b[size] in "\n "):
            return size
        at = a.find(first, at + 1)
    return 0
