"""Query text -> the passages the answer is read from: BM25 (with the
query's acronyms expanded) and dense candidates, filtered, reranked, a
named glossary box first, each widened with its section neighbours.

`emnqa search` (default mode), `ask`, the chat and `emnqa eval`'s assistant
mode all rank through `PassageSearch.search`.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from typing import Sequence

import numpy as np

from ..config import SearchParams
from ..query.lexicon import Lexicon, expand_query, name_usage, reword
from ..query.names import NameLookup
from ..query.read import read_question
from ..store.index import ChunkIndex
from ..store.matcher import Matcher
from ..types import Filters, Passage, Query
from .glossary import Glossary
from .lexical import terms
from .passages import join, passages, scored_sentences
from .rerank import Candidate, Reranker, RerankModel
from .retrievers import HybridRetriever


class PassageSearch:
    """The assistant's retrieval over one index."""

    def __init__(
        self,
        index: ChunkIndex,
        retriever: HybridRetriever,
        lexicon: Lexicon,
        names: NameLookup,
        params: SearchParams = SearchParams(),
        rerank_model: RerankModel | None = None,
        matcher: Matcher | None = None,
    ):
        self.index = index
        self.matcher = matcher  # the answer matcher: each sentence's Sentence.match (None: not scored)
        self._matching: ThreadPoolExecutor | None = None  # runs it meanwhile (start_matching)
        self.retriever = retriever
        self.lexicon = lexicon
        self.name_usage = name_usage(lexicon, (c.text for c in index.chunks))
        # The first stage and the reranker both read a question's names
        # expanded; the reranker, start_matching and with_cosines its
        # rewording, the reranker and with_cosines its vector: each worked
        # out once.
        self.expand = lru_cache(maxsize=256)(self._expand)
        self.reworded = lru_cache(maxsize=256)(self._reworded)
        self.reworded_vector = lru_cache(maxsize=64)(self._reworded_vector)
        self.names = names
        self.params = params
        self.idf = retriever.lexical.bm25.idf
        self.reranker = Reranker(index, terms, self.idf, rerank_model) if params.rerank else None
        self.glossary = Glossary(index.chunks)
        self.titles = {doc_id: d.get("title", doc_id) for doc_id, d in index.documents.items()}

    def _expand(self, query: str) -> str:
        """The query with other names of the bodies it names (CGVS -> CGRS ...)."""
        return expand_query(query, self.lexicon, self.name_usage)

    def search(self, query: Query | str, k: int, filters: Filters | None = None) -> list[Passage]:
        """The best `k` passages for the question (its Query, or the
        interpreted text, read here); a chunk is shown once."""
        query = read_question(query) if isinstance(query, str) else query
        text, qtype = query.text, query.qtype
        depth = max(self.params.depth, k) * (4 if filters else 1)
        candidates = self.candidates(text, depth, filters)
        if self.reranker is not None:
            ranked = self.reranker.order(candidates, self.features(text, qtype, candidates))
        else:
            ranked = [(c.position, self.retriever.fused(c)) for c in candidates]
        if self.params.glossary and qtype == "definition":
            ranked = self._glossary_first(text, ranked, filters)
        scores = dict(ranked)
        chunks = self.index.chunks
        found = passages([p for p, _ in ranked], chunks, self.params.passage_tokens, k)
        return [
            join([chunks[p] for p in group], scores[anchor], rank,
                 self.titles.get(chunks[anchor].doc_id, chunks[anchor].doc_id), group)
            for rank, (anchor, group) in enumerate(found, start=1)
        ]

    def candidates(self, text: str, depth: int, filters: Filters | None = None) -> list[Candidate]:
        """The first stage's candidates for an interpreted question: the union
        of BM25's (names expanded) and the dense ranking's top `depth`, those
        the filters admit."""
        candidates = self.retriever.candidates(text, depth, lexical_query=self.expand(text))
        return [c for c in candidates if self._admits(filters, c.position)] if filters else candidates

    def features(self, text: str, qtype: str, candidates: Sequence[Candidate]) -> np.ndarray:
        """The reranker's FEATURES of the candidates, one row each (what
        eval/train_reranker.py fits it on)."""
        return self.reranker.features.matrix(self.expand(text), qtype, self.retriever.dense.vector(text), candidates,
                                             self.reworded_vector(text))

    def is_named_box(self, query: str, passage: Passage) -> bool:
        """Whether the passage is the glossary box of a term the question names."""
        named = {self.index.chunks[p].chunk_id for p in self.glossary.named_in(query)}
        return passage.kind == "definition" and bool(named & set(passage.chunk_ids))

    def _reworded(self, query: str) -> str:
        """The query in the report's words ("sought asylum" -> "applications
        for international protection"; query.lexicon.reword)."""
        return reword(query, self.lexicon, self.name_usage)

    def _reworded_vector(self, query: str) -> np.ndarray | None:
        """The vector of the query in the report's words; None when it reads the same."""
        reworded = self.reworded(query)
        return None if reworded == query else self.retriever.dense.embedder.embed([reworded])[0]

    def start_matching(self, query: str) -> "Future[np.ndarray] | None":
        """The answer matcher's vectors of the question and of its rewording
        (when it differs), computed in the background while the passages are
        searched (onnxruntime runs it off the GIL, on the other core: it
        would add about 7 ms to an answer); None without a matcher."""
        if self.matcher is None:
            return None
        if self._matching is None:
            self._matching = ThreadPoolExecutor(max_workers=2, thread_name_prefix="emnqa-matcher")
        return self._matching.submit(self.matcher.vectors, _with_rewording(query, self.reworded(query)))

    def with_cosines(self, query: str, found: Sequence[Passage], matching: "Future[np.ndarray] | None" = None) -> list[Passage]:
        """The passages with each sentence's cosine to the query: the better
        of the query's and the query's in the report's words ("sought
        asylum" -> "applications for international protection"), from the
        sentence vectors stored in the index (unscored without them); with
        the answer matcher, each sentence's match too (from `matching`, the
        vector start_matching began, when given)."""
        vectors = self.index.sentence_vectors
        if vectors is None:
            return list(found)
        query_vectors = [self.retriever.dense.vector(query)]
        reworded_vector = self.reworded_vector(query)
        if reworded_vector is not None:
            query_vectors.append(reworded_vector)
        matrix = np.stack(query_vectors, axis=1)
        match = None
        if self.matcher is not None and found:
            match = (matching.result() if matching is not None else self.matcher.vectors(_with_rewording(query, self.reworded(query)))).T
        return [scored_sentences(p, self.index.chunks, self.index.sentence_rows, vectors, matrix, match) for p in found]

    def _admits(self, filters: Filters, position: int) -> bool:
        chunk = self.index.chunks[position]
        return filters.admits(chunk, self.index.documents.get(chunk.doc_id, {}))

    def _glossary_first(self, query: str, ranked: list[tuple[int, float]], filters: Filters | None) -> list[tuple[int, float]]:
        """A what-is question naming a term of the report's glossary boxes
        (or, with SearchParams.name_lookup, a name the acronym table spells
        out: "What is Fedasil?") gets that passage first."""
        named = self.glossary.named_in(query)
        if self.params.name_lookup:
            for group in self.names.asked(query, whole=True):
                named += [p for p in self.names.spelling_out(group) if p not in named]
        named = [p for p in named if not filters or self._admits(filters, p)]
        if not named:
            return ranked
        top = max((s for _, s in ranked), default=0.0)
        return [(p, top + 1.0) for p in named] + [(p, s) for p, s in ranked if p not in named]


def _with_rewording(query: str, reworded: str) -> list[str]:
    """What the answer matcher reads: the question, and its rewording when it
    differs (a sentence's match is the better of the two cosines, as its
    cosine is; eval/train_lead.py computes them so).

    >>> _with_rewording("a", "a"), _with_rewording("a", "b")
    (['a'], ['a', 'b'])
    """
    return [query] if reworded == query else [query, reworded]
