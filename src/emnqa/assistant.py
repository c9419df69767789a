"""The facade: `Assistant.ask(question, history) -> Answer`.

Interpret a follow-up from the conversation, expand acronyms, retrieve
(hybrid), merge adjacent passages, pick the sentences that answer, decide
whether the evidence is strong enough, and compose the cited answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from .answer.abstain import Query, decide
from .answer.facts import CorpusFacts
from .answer.years import passages_naming, year_test
from .answer.render import compose_answer
from .answer.compose import (
    ComposeParams, adds_to, detect_question_type, select_evidence, with_item_dates, with_table_headers,
)
from .config import Settings
from .query.conversation import interpret_followup
from .store.embedding import Embedder
from .query.lexicon import expand_query, mine_lexicon, name_usage, reword, spells_out, with_synonyms
from .ingest.footnotes import Footnotes
from .retrieve.glossary import Glossary
from .store.index import ChunkIndex
from .retrieve.lexical import terms
from .query.names import NameLookup
from .retrieve.passages import join, passages
from .retrieve.rerank import Reranker, RerankModel
from .retrieve.retrievers import HybridRetriever, check_query, make_retriever, open_index
from .types import Answer, Chunk, Evidence, Hit, Turn



@dataclass(frozen=True)
class SearchParams:
    """How passages are found; tuned on eval/questions.jsonl (eval/README.md)."""

    depth: int = 30  # candidates: the union of BM25's and the dense ranking's top `depth`
    passage_tokens: int = 400  # a passage: the retrieved chunk and its section neighbours up to this size
    rerank: bool = True  # order candidates by the fitted reranker (else by rank fusion)
    glossary: bool = True  # a what-is question naming a glossary box's term gets the box first
    name_lookup: bool = True  # ... and "What is Fedasil?", the passage spelling the name out (the acronym table)


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
        search_params: SearchParams = SearchParams(),
        rerank_model: RerankModel | None = None,
    ):
        self.settings = settings or Settings.from_env(index_dir=index_path)
        if index is None or embedder is None:
            index, embedder = open_index(self.settings, embedder)
        self.index = index
        retriever = make_retriever("hybrid", index, embedder, self.settings.top_k)
        assert isinstance(retriever, HybridRetriever)
        self.retriever = retriever
        self.idf = retriever.lexical.bm25.idf
        self.lexicon = with_synonyms(mine_lexicon(c.text for c in index.chunks))
        self.name_usage = name_usage(self.lexicon, (c.text for c in index.chunks))
        self.params = params
        self.search_params = search_params
        self.reranker = Reranker(index, _terms, self.idf, rerank_model) if search_params.rerank else None
        self.years = {doc_id: str(d.get("year", "")) for doc_id, d in index.documents.items()}
        self._positions = {c.chunk_id: i for i, c in enumerate(index.chunks)}
        self.footnotes = Footnotes(index.chunks)
        self.glossary = Glossary(index.chunks)
        self.names = NameLookup(self.lexicon, index.chunks)
        # What the abstention rules know of the corpus; `abstain_off` names
        # rules switched off (`emnqa eval --ablate`).
        self.facts = CorpusFacts.build(index.chunks, self.idf, self.years)
        self.abstain_off: frozenset[str] = frozenset()

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
        query = Query.read(question, interpreted)  # read once: its type and years serve every step below
        qtype = query.qtype
        sources = passages_naming(query.years, hits, self.facts, self.params.passages)
        if qtype == "definition" and self.search_params.glossary and hits and self._is_named_box(interpreted, hits[0]):
            sources = hits[:1]  # the report's own definition of the term asked about
        similarities = self.sentence_similarities(interpreted, sources[: self.params.passages])
        evidence = select_evidence(
            interpreted, qtype, sources, _terms, self.idf, self.params, similarities,
            self.definer(interpreted, qtype),
            year_test(query.years, self.facts, self.params.year_window) if self.params.year_filter else None,
            focus=set(_terms(question)) if interpreted != question else None, persons=self.facts.persons,
        )
        verdict = decide(query, evidence, self.facts, self.params, self.abstain_off)
        confidence = evidence[0].score if evidence else 0.0
        evidence = with_item_dates(with_table_headers(self.with_notes(interpreted, qtype, evidence)), qtype)
        answer = compose_answer(question, interpreted, qtype, evidence, hits, verdict.abstain, self.years)
        return replace(
            answer, latency_ms=(time.perf_counter() - started) * 1000, confidence=confidence,
            abstain_reasons=verdict.reasons,
        )

    def interpret(self, question: str, history: Sequence[Turn | dict] | None = None) -> str:
        """The question made self-contained from the conversation before it."""
        turns = [t if isinstance(t, Turn) else Turn(t["role"], t["content"]) for t in history or []]
        return interpret_followup(question, turns).query

    def expand(self, query: str) -> str:
        """The query with other names of the bodies it names (CGVS -> CGRS ...)."""
        return expand_query(query, self.lexicon, self.name_usage)

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[Hit]:
        """The best `k` passages: BM25 (query with acronyms expanded) and
        dense candidates, filtered, reranked, each widened with its section
        neighbours (a chunk is shown once)."""
        depth = max(self.search_params.depth, k) * (4 if filters else 1)
        candidates = self.retriever.candidates(query, depth, lexical_query=self.expand(query))
        if filters:
            documents = self.index.documents
            chunks = self.index.chunks
            candidates = [c for c in candidates if filters.admits(chunks[c.position], documents.get(chunks[c.position].doc_id, {}))]
        qtype = detect_question_type(query)
        if self.reranker is not None:
            vector = self.retriever.dense.vector(query)
            ranked = self.reranker.order(self.expand(query), qtype, vector, candidates)
        else:
            ranked = [(c.position, self.retriever.fused(c)) for c in candidates]
        if self.search_params.glossary and qtype == "definition":
            ranked = self._glossary_first(query, ranked, filters)
        scores = dict(ranked)
        hits = []
        for rank, (anchor, group) in enumerate(
            passages([p for p, _ in ranked], self.index.chunks, self.search_params.passage_tokens, k), start=1
        ):
            hits.append(self._hit(join([self.index.chunks[p] for p in group]), scores[anchor], rank))
        return hits

    def _hit(self, chunk: Chunk, score: float, rank: int) -> Hit:
        return Hit(chunk, score, rank, self.index.documents.get(chunk.doc_id, {}).get("title", chunk.doc_id))

    def _is_named_box(self, question: str, hit: Hit) -> bool:
        """Whether the passage is the glossary box of a term the question names."""
        named = {self.index.chunks[p].chunk_id for p in self.glossary.named_in(question)}
        return hit.chunk.kind == "definition" and bool(named & set(hit.chunk.chunk_id.split("+")))

    def _glossary_first(self, query: str, ranked: list[tuple[int, float]], filters: Filters | None) -> list[tuple[int, float]]:
        """A what-is question naming a term of the report's glossary boxes
        gets the box first."""
        chunks, documents = self.index.chunks, self.index.documents
        named = self.glossary.named_in(query)
        if self.search_params.name_lookup:
            for group in self.names.asked(query, whole=True):
                named += [p for p in self.names.spelling_out(group) if p not in named]
        named = [p for p in named if not filters or filters.admits(chunks[p], documents.get(chunks[p].doc_id, {}))]
        if not named:
            return ranked
        top = max((s for _, s in ranked), default=0.0) + 1.0
        return [(p, top) for p in named] + [(p, s) for p, s in ranked if p not in named]

    def sentence_similarities(self, query: str, hits: Sequence[Hit]) -> dict[str, list[tuple[int, int, float]]]:
        """Per passage, (start, end, cosine to the query) of each sentence,
        from the sentence vectors stored in the index; the cosine is the
        better of the query's and the query's in the report's words
        ("sought asylum" -> "applications for international protection").
        Sentences of merged passages are located in the merged text."""
        vectors = self.index.sentence_vectors
        if vectors is None:
            return {}
        query_vectors = [self.retriever.dense.vector(query)]
        reworded = reword(query, self.lexicon, self.name_usage)
        if reworded != query:
            query_vectors.append(self.retriever.dense.embedder.embed([reworded])[0])
        query_vector = np.stack(query_vectors, axis=1)
        out: dict[str, list[tuple[int, int, float]]] = {}
        for hit in hits:
            spans: dict[int, tuple[int, int, float]] = {}
            for chunk_id in hit.chunk.chunk_id.split("+"):
                position = self._positions.get(chunk_id)
                if position is None:
                    continue
                chunk = self.index.chunks[position]
                first, last = self.index.sentence_rows(position)
                cosines = (vectors[first:last] @ query_vector).max(axis=1)
                for (a, b), score in zip(chunk.meta.get("sentences", ()), cosines):
                    at = hit.chunk.text.find(chunk.text[a:b])
                    if at >= 0:
                        spans.setdefault(at, (at, at + b - a, float(score)))
            out[hit.chunk.chunk_id] = sorted(spans.values())
        return out

    def definer(self, question: str, qtype: str):
        """For a what-is question about a name the lexicon knows (CALL,
        CGVS, Fedasil...), a test of a sentence: does it spell the name out
        (the acronym with its long name)? None otherwise."""
        if qtype != "definition":
            return None
        # Only the name asked about: "What is the EES in EU border control?"
        # asks about the EES, not the EU.
        groups = self.names.asked(question)
        if not groups:
            return None
        return lambda sentence: any(spells_out(sentence, g) for g in groups)

    def with_notes(self, question: str, qtype: str, evidence: Sequence[Evidence]) -> list[Evidence]:
        """The evidence with, after each quote, the footnotes it cites
        (ComposeParams.notes: all of them, or those that bear on the
        question, `adds_to`). The report keeps detail there: the number and
        date of a ruling, who a network's partners are, a caveat."""
        if self.params.notes == "none":
            return list(evidence)
        out: list[Evidence] = []
        seen: set[tuple[int, int]] = set()
        # A note the passage itself held may be quoted already, as evidence.
        quoted = {" ".join(e.text.split()) for e in evidence}
        for item in evidence:
            out.append(item)
            for note in self._notes_of(item):
                if (note.position, note.start) in seen:
                    continue
                seen.add((note.position, note.start))
                extra = Evidence(self._hit(self.index.chunks[note.position], 0.0, 0), note.start, note.end, 0.0, 0.0)
                if " ".join(extra.text.split()) in quoted:
                    continue
                if self.params.notes == "all" or adds_to(question, qtype, item, extra, _terms):
                    out.append(extra)
        return out

    def _notes_of(self, item: Evidence):
        ids = item.passage.chunk.chunk_id.split("+")
        text = item.text
        for chunk_id in ids:
            position = self._positions.get(chunk_id)
            if position is None:
                continue
            chunk = self.index.chunks[position]
            if text in chunk.text or len(ids) == 1:
                return self.footnotes.cited_by(text, chunk.doc_id, position, chunk.section_path)
        return []


def _terms(text: str) -> list[str]:
    return terms(text)
