"""Query -> ranked Hits. Dense retrieval over the FAISS index for now."""

from __future__ import annotations

from typing import Protocol

from .config import Settings
from .embedding import Embedder
from .errors import InvalidQuery
from .index import ChunkIndex, load_index
from .types import Hit

MAX_QUERY_CHARS = 2000


class Retriever(Protocol):
    def search(self, query: str, k: int | None = None) -> list[Hit]: ...


class DenseRetriever:
    """Cosine similarity between the query and chunk vectors (exact search)."""

    def __init__(self, index: ChunkIndex, embedder: Embedder, default_k: int = 10):
        self.index = index
        self.embedder = embedder
        self.default_k = default_k

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        query = check_query(query)
        k = self.default_k if k is None else k
        if k <= 0:
            raise InvalidQuery(f"k must be greater than 0. Currently it is {k}.")
        vector = self.embedder.embed([query])
        ranked = self.index.search(vector, k)[0]
        hits = []
        for rank, (position, score) in enumerate(ranked, start=1):
            chunk = self.index.chunks[position]
            title = self.index.documents.get(chunk.doc_id, {}).get("title", chunk.doc_id)
            hits.append(Hit(chunk, float(score), rank, title))
        return hits


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


def open_dense_retriever(settings: Settings, embedder: Embedder | None = None) -> DenseRetriever:
    """Load the saved index and the model that must match it."""
    if embedder is None:
        from .embedding import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder(settings.model_name, batch_size=settings.embed_batch_size)
    index = load_index(settings.index_dir, model_name=embedder.model_name, dimension=embedder.dimension)
    return DenseRetriever(index, embedder, settings.top_k)
