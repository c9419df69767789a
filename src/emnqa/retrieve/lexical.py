"""BM25 over chunks, with bm25s (sparse-matrix BM25, fast, no pickle).

The only module that imports bm25s. The index is built in memory from the
chunk store when a retriever opens (about a second for the default corpus).
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from ..types import Chunk, embedding_text


@lru_cache(maxsize=1)
def _bm25s():
    import bm25s

    # bm25s sets its own logger to DEBUG on import, which would print through
    # any root handler.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, English stop words removed, Snowball-stemmed tokens.

    >>> tokenize(["How many applications were lodged?"])
    [['how', 'mani', 'applic', 'were', 'lodg']]
    """
    return _bm25s().tokenize(list(texts), stopwords="en", stemmer=_stemmer(), show_progress=False, return_ids=False)


_WORD = re.compile(r"(?u)\b\w\w+\b")


def terms(text: str) -> list[str]:
    """The tokens `tokenize` gives one text, without its per-call set-up
    (the answer composer tokenizes hundreds of sentences per question).

    >>> terms("How many applications were lodged?") == tokenize(["How many applications were lodged?"])[0]
    True
    """
    stop = _stopwords()
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in stop]


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


class BM25Index:
    """BM25 scores of a query against every chunk's title, section and text."""

    def __init__(
        self, chunks: Sequence[Chunk], titles: dict[str, str], context: Mapping[int, Sequence[str]] | None = None
    ):
        """`context`, by chunk position: more text a chunk is found by (the
        sentences citing a chunk of footnotes), not part of what it shows."""
        self.size = len(chunks)
        self._bm25 = _bm25s().BM25()
        context = context or {}
        texts = [
            "\n".join([embedding_text(titles.get(c.doc_id, ""), c.section_path, c.text), *context.get(i, ())])
            for i, c in enumerate(chunks)
        ]
        tokens = tokenize(texts)
        self._bm25.index(tokens, show_progress=False)
        # The same IDF as BM25's, for weighting question terms in sentences.
        df = Counter(t for doc in tokens for t in set(doc))
        n = max(len(tokens), 1)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every chunk for `query` (0 where no term matches)."""
        tokens = terms(query)
        if not tokens or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """(chunk position, score) best first; chunks scoring 0 are left out."""
        k = min(k, self.size)
        if k <= 0:
            return []
        tokens = tokenize([query])
        if not tokens[0]:
            return []
        positions, scores = self._bm25.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        return [(int(p), float(s)) for p, s in zip(positions[0], scores[0]) if s > 0 and np.isfinite(s)]
