"""The facade: `Assistant.ask(question, history) -> Answer`.

Interpret a follow-up from the conversation, expand acronyms, retrieve
(hybrid), merge adjacent passages, pick the sentences that answer, decide
whether the evidence is strong enough, and compose the cited answer.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from .compose import ComposeParams, Evidence, compose_answer, detect_question_type, select_evidence
from .config import Settings
from .conversation import interpret_followup
from .embedding import Embedder
from .expansion import expand_query, mine_lexicon, name_usage
from .index import ChunkIndex
from .lexical import tokenize
from .retrieval import HybridRetriever, check_query, make_retriever, open_index
from .types import Answer, Chunk, Hit, Turn

_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")


@dataclass(frozen=True)
class Filters:
    """Restrict answers to some documents, years or kinds (None: no limit)."""

    doc_ids: frozenset[str] | None = None
    years: frozenset[str] | None = None
    kinds: frozenset[str] | None = None

    def admits(self, chunk: Chunk, document: dict) -> bool:
        if self.doc_ids and chunk.doc_id not in self.doc_ids:
            return False
        if self.years and not any(y in str(document.get("year", "")) for y in self.years):
            return False
        return not (self.kinds and document.get("kind") not in self.kinds)


class Assistant:
    """Answers questions about the indexed corpus, citing every statement."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        index_path: Path | str | None = None,
        embedder: Embedder | None = None,
        params: ComposeParams = ComposeParams(),
        index: ChunkIndex | None = None,
    ):
        self.settings = settings or Settings.from_env(index_dir=index_path)
        if index is None or embedder is None:
            index, embedder = open_index(self.settings, embedder)
        self.index = index
        retriever = make_retriever("hybrid", index, embedder, self.settings.top_k)
        assert isinstance(retriever, HybridRetriever)
        self.retriever = retriever
        self.idf = retriever.lexical.bm25.idf
        self.lexicon = mine_lexicon(c.text for c in index.chunks)
        self.name_usage = name_usage(self.lexicon, (c.text for c in index.chunks))
        self.params = params
        self.years = {doc_id: str(d.get("year", "")) for doc_id, d in index.documents.items()}
        self._positions = {c.chunk_id: i for i, c in enumerate(index.chunks)}

    def ask(
        self,
        question: str,
        history: Sequence[Turn | dict] | None = None,
        *,
        k: int | None = None,
        filters: Filters | None = None,
    ) -> Answer:
        started = time.perf_counter()
        question = check_query(question)
        interpreted = self.interpret(question, history)
        k = k or self.settings.top_k
        hits = self.search(interpreted, k, filters)
        qtype = detect_question_type(interpreted)
        similarities = self.sentence_similarities(interpreted, hits[: self.params.passages])
        evidence = select_evidence(interpreted, qtype, hits, _terms, self.idf, self.params, similarities)
        abstain = self.weak(interpreted, evidence)
        answer = compose_answer(question, interpreted, qtype, evidence, hits, abstain, self.years)
        return replace(answer, latency_ms=(time.perf_counter() - started) * 1000)

    def interpret(self, question: str, history: Sequence[Turn | dict] | None = None) -> str:
        """The question made self-contained from the conversation before it."""
        turns = [t if isinstance(t, Turn) else Turn(t["role"], t["content"]) for t in history or []]
        return interpret_followup(question, turns).query

    def expand(self, query: str) -> str:
        """The query with other names of the bodies it names (CGVS -> CGRS ...)."""
        return expand_query(query, self.lexicon, self.name_usage)

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        """Hybrid retrieval of the expanded query, filtered, adjacent
        chunks of one section merged."""
        depth = k * 4 if filters else k + 5
        hits = self.retriever.search(query, depth, lexical_query=self.expand(query))
        if filters:
            hits = [h for h in hits if filters.admits(h.chunk, self.index.documents.get(h.chunk.doc_id, {}))]
        merged = merge_adjacent(hits, self._positions)
        return [replace(h, rank=i) for i, h in enumerate(merged[:k], start=1)]

    def sentence_similarities(self, query: str, hits: Sequence[Hit]) -> dict[str, list[tuple[int, int, float]]]:
        """Per passage, (start, end, cosine to the query) of each sentence,
        from the sentence vectors stored in the index. Sentences of merged
        passages are located in the merged text."""
        vectors = self.index.sentence_vectors
        if vectors is None:
            return {}
        query_vector = self.retriever.dense.vector(query)
        out: dict[str, list[tuple[int, int, float]]] = {}
        for hit in hits:
            spans: dict[int, tuple[int, int, float]] = {}
            for chunk_id in hit.chunk.chunk_id.split("+"):
                position = self._positions.get(chunk_id)
                if position is None:
                    continue
                chunk = self.index.chunks[position]
                first, last = self.index.sentence_rows(position)
                for (a, b), score in zip(chunk.meta.get("sentences", ()), vectors[first:last] @ query_vector):
                    at = hit.chunk.text.find(chunk.text[a:b])
                    if at >= 0:
                        spans.setdefault(at, (at, at + b - a, float(score)))
            out[hit.chunk.chunk_id] = sorted(spans.values())
        return out

    def weak(self, question: str, evidence: Sequence[Evidence]) -> bool:
        """Whether to say "not covered": the best sentence covers too little
        of the question, or the question names a year its passage never
        mentions, or a name the corpus does not know at all."""
        if not evidence:
            return True
        best = evidence[0]
        if best.coverage < self.params.min_coverage:
            return True
        chunk = best.passage.chunk
        context = " ".join((chunk.text, *chunk.section_path, self.years.get(chunk.doc_id, "")))
        if any(year not in context for year in _YEAR.findall(question)):
            return True
        return bool(self.unknown_names(question))

    def unknown_names(self, question: str) -> list[str]:
        """Capitalised words of the question (past its first word) that occur
        nowhere in the corpus: a country, body or person it does not cover."""
        words = _CAPITALISED.findall(question)[1:] if question[:1].isupper() else _CAPITALISED.findall(question)
        return [w for w in words if all(t not in self.idf for t in _terms(w))  and _terms(w)]


def merge_adjacent(hits: Sequence[Hit], positions: dict[str, int]) -> list[Hit]:
    """Join a hit to a better-ranked hit of the chunk just before or after it
    in the same section and stream, so one passage is not shown twice."""
    out: list[Hit] = []
    for hit in hits:
        pos = positions.get(hit.chunk.chunk_id)
        for i, kept in enumerate(out):
            first = positions.get(kept.chunk.chunk_id.split("+")[0])
            last = positions.get(kept.chunk.chunk_id.split("+")[-1])
            same = kept.chunk.section_path == hit.chunk.section_path and kept.chunk.kind == hit.chunk.kind
            if same and pos is not None and first is not None and last is not None:
                if pos == last + 1:
                    out[i] = replace(kept, chunk=_join(kept.chunk, hit.chunk))
                    break
                if pos == first - 1:
                    out[i] = replace(kept, chunk=_join(hit.chunk, kept.chunk))
                    break
        else:
            out.append(hit)
    return out


def _join(first: Chunk, second: Chunk) -> Chunk:
    """One passage from two consecutive chunks, their shared overlap once."""
    overlap = _overlap(first.text, second.text)
    text = first.text + ("\n" + second.text[overlap:].lstrip("\n") if overlap < len(second.text) else "")
    return replace(
        first,
        chunk_id=f"{first.chunk_id}+{second.chunk_id}",
        text=text,
        end=max(first.end, second.end),
        spans=tuple(sorted(set(first.spans) | set(second.spans))),
        token_count=first.token_count + second.token_count,
    )


def _overlap(a: str, b: str) -> int:
    """Length of the longest suffix of `a` that starts `b` (the sentence
    consecutive chunks share), at line or sentence boundaries."""
    for size in range(min(len(a), len(b)), 0, -1):
        if a.endswith(b[:size]) and (size == len(b) or b[size] in "\n "):
            return size
    return 0


def _terms(text: str) -> list[str]:
    return tokenize([text])[0]
