"""Query -> ranked Hits: dense (FAISS), lexical (BM25) or a fusion of both."""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from ..config import Settings
from ..store.embedding import Embedder, backend_of, embedder_for
from ..errors import InvalidQuery
from ..store.index import ChunkIndex, load_index
from .rerank import Candidate
from ..types import Hit

MAX_QUERY_CHARS = 2000
MODES = ("bm25", "dense", "hybrid")


class Retriever(Protocol):
    def search(self, query: str, k: int | None = None) -> list[Hit]: ...


class _Ranked:
    """Shared by the retrievers: turns (position, score) pairs into Hits."""

    def __init__(self, index: ChunkIndex, default_k: int):
        self.index = index
        self.default_k = default_k

    def _k(self, k: int | None) -> int:
        k = self.default_k if k is None else k
        if not isinstance(k, int) or k <= 0:
            raise InvalidQuery(f"k must be greater than 0. Currently it is {k}.")
        return k

    def _hits(self, ranked: list[tuple[int, float]]) -> list[Hit]:
        hits = []
        for rank, (position, score) in enumerate(ranked, start=1):
            chunk = self.index.chunks[position]
            title = self.index.documents.get(chunk.doc_id, {}).get("title", chunk.doc_id)
            hits.append(Hit(chunk, float(score), rank, title))
        return hits


class DenseRetriever(_Ranked):
    """Cosine similarity between the query and chunk vectors (exact search)."""

    def __init__(self, index: ChunkIndex, embedder: Embedder, default_k: int = 10):
        super().__init__(index, default_k)
        self.embedder = embedder
        self._last: tuple[str, np.ndarray] | None = None

    def vector(self, query: str) -> np.ndarray:
        """The query's unit vector; the last one is kept, since the answer
        composer needs the same vector right after retrieval."""
        if self._last is None or self._last[0] != query:
            self._last = (query, self.embedder.embed([query])[0])
        return self._last[1]

    def ranked(self, query: str, k: int) -> list[tuple[int, float]]:
        return self.index.search(self.vector(query)[None, :], k)[0]

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        return self._hits(self.ranked(check_query(query), self._k(k)))


class LexicalRetriever(_Ranked):
    """BM25 over title, section path and text of each chunk."""

    def __init__(self, index: ChunkIndex, default_k: int = 10):
        from ..ingest.footnotes import Footnotes
        from .lexical import BM25Index

        super().__init__(index, default_k)
        titles = {doc_id: d.get("title", "") for doc_id, d in index.documents.items()}
        self.bm25 = BM25Index(index.chunks, titles, Footnotes(index.chunks).citing_sentences())

    def ranked(self, query: str, k: int) -> list[tuple[int, float]]:
        return self.bm25.top(query, k)

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        return self._hits(self.ranked(check_query(query), self._k(k)))


class HybridRetriever(_Ranked):
    """Weighted reciprocal-rank fusion of BM25 and dense rankings.

    score(chunk) = sum over retrievers of weight / (rrf_k + rank); each
    retriever contributes its top `depth` chunks.
    """

    def __init__(
        self,
        dense: DenseRetriever,
        lexical: LexicalRetriever,
        *,
        # Tuned by grid search on eval/questions.jsonl (eval/README.md):
        # BM25 counts twice as much as the dense ranking, and a small k
        # lets the top ranks of each dominate.
        dense_weight: float = 0.5,
        lexical_weight: float = 1.0,
        rrf_k: int = 5,
        depth: int = 100,
        default_k: int = 10,
    ):
        super().__init__(dense.index, default_k)
        self.dense, self.lexical = dense, lexical
        self.weights = (dense_weight, lexical_weight)
        self.rrf_k, self.depth = rrf_k, depth

    @classmethod
    def over(cls, index: ChunkIndex, embedder: Embedder, default_k: int = 10) -> "HybridRetriever":
        """The hybrid retriever of an index, with the tuned fusion."""
        return cls(DenseRetriever(index, embedder, default_k), LexicalRetriever(index, default_k), default_k=default_k)

    def ranked(self, query: str, k: int, lexical_query: str | None = None) -> list[tuple[int, float]]:
        depth = max(self.depth, k)
        rankings = (self.dense.ranked(query, depth), self.lexical.ranked(lexical_query or query, depth))
        ranks: dict[int, list[int | None]] = {}
        for which, ranking in enumerate(rankings):
            for rank, (position, _) in enumerate(ranking, start=1):
                ranks.setdefault(position, [None, None])[which] = rank
        fused = {position: self.rrf(r) for position, r in ranks.items()}
        return sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]

    def candidates(self, query: str, depth: int, lexical_query: str | None = None) -> list[Candidate]:
        """The union of both rankings' top `depth`, best fused first, each
        with its cosine, BM25 score and ranks: the input of a reranker."""
        dense = self.dense.ranked(query, depth)
        bm25 = self.lexical.bm25.scores(lexical_query or query)
        lexical = _top(bm25, depth)
        found: dict[int, dict] = {}
        for rank, (position, score) in enumerate(dense, start=1):
            found[position] = {"dense": score, "dense_rank": rank}
        for rank, (position, score) in enumerate(lexical, start=1):
            found.setdefault(position, {}).update(bm25_rank=rank)
        for position, f in found.items():
            f["bm25"] = float(bm25[position]) if len(bm25) else 0.0
        missing = [p for p, f in found.items() if "dense" not in f]
        if missing:
            cosines = self.index.vectors_of(missing) @ self.dense.vector(query)
            for position, cosine in zip(missing, cosines):
                found[position]["dense"] = float(cosine)
        candidates = [Candidate(p, **f) for p, f in found.items()]
        return sorted(candidates, key=lambda c: (-self.fused(c), c.position))

    def fused(self, candidate: Candidate) -> float:
        """The candidate's reciprocal-rank fusion score."""
        return self.rrf((candidate.dense_rank, candidate.bm25_rank))

    def rrf(self, ranks: Sequence[int | None]) -> float:
        """Weighted reciprocal-rank fusion of a chunk's (dense, BM25) ranks,
        None where a ranking does not hold it: the one fusion formula, for
        `ranked` (search, eval) and `fused` (the assistant's candidates)."""
        return sum(w / (self.rrf_k + r) for w, r in zip(self.weights, ranks) if r is not None)

    def search(self, query: str, k: int | None = None, lexical_query: str | None = None) -> list[Hit]:
        """`lexical_query` (e.g. with acronyms expanded) goes to BM25 only:
        long lists of alternative names would pull the dense vector off topic."""
        return self._hits(self.ranked(check_query(query), self._k(k), lexical_query))


def _top(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(position, score) of the `k` best positive scores, best first.

    >>> _top(np.array([0.0, 2.0, 1.0, 3.0]), 2)
    [(3, 3.0), (1, 2.0)]
    """
    if not len(scores):
        return []
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(p), float(scores[p])) for p in best if scores[p] > 0]


def check_query(query: str) -> str:
    """The query stripped, or InvalidQuery when it cannot be searched."""
    if not isinstance(query, str) or not query.strip():
        raise InvalidQuery("The question is empty. Type a question, e.g. 'How many people applied for asylum in 2024?'")
    query = query.strip()
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidQuery(
            f"The question is {len(query)} characters long; the limit is {MAX_QUERY_CHARS}. Shorten it."
        )
    return query


def open_index(settings: Settings, embedder: Embedder | None = None) -> tuple[ChunkIndex, Embedder]:
    """Load the saved index and the model that must match it."""
    if embedder is None:
        embedder = embedder_for(settings)
    index = load_index(
        settings.index_dir, model_name=embedder.model_name, dimension=embedder.dimension, backend=backend_of(embedder)
    )
    return index, embedder


def make_retriever(mode: str, index: ChunkIndex, embedder: Embedder, default_k: int = 10) -> Retriever:
    """A retriever of the given mode over a loaded index."""
    if mode == "dense":
        return DenseRetriever(index, embedder, default_k)
    if mode == "bm25":
        return LexicalRetriever(index, default_k)
    if mode == "hybrid":
        return HybridRetriever.over(index, embedder, default_k)
    raise InvalidQuery(f"mode must be one of {', '.join(MODES)}. Currently it is {mode!r}.")


def open_dense_retriever(settings: Settings, embedder: Embedder | None = None) -> DenseRetriever:
    index, embedder = open_index(settings, embedder)
    return DenseRetriever(index, embedder, settings.top_k)
