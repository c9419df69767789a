"""The facade: `Assistant.ask(question, history) -> Answer`.

One way through the stages, each a module of its own:

    question, history --language----------> in English (detected, translated)
                      --query.conversation--> interpreted text
                      --query.read----------> Query (type, years, names: read once)
                      --retrieve.search-----> passages (hybrid, reranked, widened)
                      --answer.select-------> evidence (scored sentences, the quotes)
                      --answer.abstain------> Verdict (the rules' reasons; the confidence)
                      --answer.extend-------> evidence with notes, table headers, dates
                      --answer.render-------> Answer (quotes with [n], Sources)
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from .answer.abstain import decide
from .answer.answerable import abstention_judge
from .answer.confidence import Confidence, features
from .answer.extend import with_item_dates, with_notes, with_table_headers
from .answer.facts import CorpusFacts
from .answer.lead import LeadRanker, learned_lead
from .answer.reader import ReaderScorer
from .answer.render import compose_answer
from .answer.select import choose_both
from .answer.years import passages_naming
from .config import ComposeParams, SearchParams, Settings
from .ingest.footnotes import Footnotes
from .language.lexicon import TrilingualLexicon
from .language.understand import Understood, to_english, warm_up
from .query.conversation import interpret_followup
from .query.lexicon import mine_lexicon, with_synonyms
from .query.names import NameLookup
from .query.read import read_question
from .retrieve.rerank import RerankModel
from .retrieve.retrievers import HybridRetriever, check_query, open_index
from .retrieve.search import PassageSearch
from .store.embedding import Embedder
from .store.index import ChunkIndex
from .types import Answer, Evidence, Filters, Passage, Query, Turn, Verdict


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
        scorer: ReaderScorer | LeadRanker | None = None,
        trilingual: TrilingualLexicon | None = None,
    ):
        if trilingual is None:
            warm_up()  # the shipped lexicon and the language identifier, read in the background meanwhile
        self.settings = settings or Settings.from_env(index_dir=index_path)
        if index is None or embedder is None:
            index, embedder = open_index(self.settings, embedder)
        self.index = index
        self.retriever = HybridRetriever.over(index, embedder, self.settings.top_k)
        lexicon = with_synonyms(mine_lexicon(c.text for c in index.chunks))
        self.names = NameLookup(lexicon, index.chunks)
        matcher, lead = learned_lead(self.settings, index)  # the learned lead (answer.lead); EMNQA_LEAD=hand: none
        self.passages = PassageSearch(index, self.retriever, lexicon, self.names, search_params, rerank_model, matcher)
        self.params, self.years = params, {doc_id: str(d.get("year", "")) for doc_id, d in index.documents.items()}
        self.footnotes = Footnotes(index.chunks)
        # What the answering stage knows of the corpus; `abstain_off`: rules switched off (`eval --ablate`).
        self.facts = CorpusFacts.build(index.chunks, self.passages.idf, self.years)
        self.abstain_off: frozenset[str] = frozenset()
        self.confidence = Confidence.load()
        self.judge = abstention_judge(self.settings.abstention, self.confidence)
        self.scorer = scorer or ReaderScorer.from_settings(self.settings) or lead  # picks the lead quote: reader, else lead ranker
        self.trilingual = trilingual  # French and Dutch questions' lexicon; None: the shipped one (emnqa.language)

    def ask(
        self, question: str, history: Sequence[Turn | dict] | None = None, *, k: int | None = None, filters: Filters | None = None
    ) -> Answer:
        started = time.perf_counter()
        question = check_query(question)
        understood = to_english(question, history, self.trilingual)  # detected, French and Dutch translated
        if not understood.supported:  # one sentence saying which languages are answered
            return replace(understood.declined(), latency_ms=(time.perf_counter() - started) * 1000)
        query, found, sources = self._read(understood, k, filters)
        evidence, hand = choose_both(query, sources, self.facts, self.params, self.scorer and self.scorer.rescore)
        verdict = decide(query, evidence, self.facts, self.params, self.abstain_off, hand)  # the rules judge both leads
        row = features(query, evidence, found, verdict, self.facts)
        confidence = self.confidence.probability(row)  # the calibrated probability that the first quote answers
        verdict = self.judge(row, confidence, verdict)  # Settings.abstention: the rules, with the confidence, or the classifier
        answer = replace(self.compose(query, found, evidence, verdict), question=question, confidence=confidence)
        return replace(answer, latency_ms=(time.perf_counter() - started) * 1000)

    def compose(self, query: Query, found: Sequence[Passage], evidence: Sequence[Evidence], verdict: Verdict) -> Answer:
        """The answer from the chosen quotes: each with the footnotes it
        cites, a table's header row, a news item's date, then rendered."""
        evidence = with_notes(query, evidence, self.footnotes, self.index.chunks, self.passages.titles, self.params)
        evidence = with_item_dates(with_table_headers(evidence), query.qtype)
        answer = compose_answer(query.asked, query.text, query.qtype, evidence, found, verdict.abstain, self.years,
                                self.params.reading_order, query.language)
        return replace(answer, abstain_reasons=verdict.reasons, language=query.language)

    def read(
        self, question: str, history: Sequence[Turn | dict] | None = None, *, k: int | None = None, filters: Filters | None = None
    ) -> tuple[Query, list[Passage], list[Passage]]:
        """The question read and searched: its Query, the passages found, and
        those the quotes may come from (with their sentences' cosines)."""
        return self._read(to_english(check_query(question), history, self.trilingual), k, filters)

    def _read(self, understood: Understood, k: int | None, filters: Filters | None) -> tuple[Query, list[Passage], list[Passage]]:
        interpreted = self._interpreted(understood)
        matching = self.passages.start_matching(interpreted)  # the answer matcher's vector, computed meanwhile
        query = read_question(understood.question, interpreted, self.names, understood.language)
        found = self.passages.search(query, k or self.settings.top_k, filters)
        sources = passages_naming(query.years, found, self.facts, self.params.passages)
        if query.qtype == "definition" and self.passages.params.glossary and found and self.passages.is_named_box(interpreted, found[0]):
            sources = found[:1]  # the report's own definition of the term asked about
        return query, found, self.passages.with_cosines(interpreted, sources[: self.params.passages], matching)

    def interpret(self, question: str, history: Sequence[Turn | dict] | None = None) -> str:
        """The question in English, made self-contained from the conversation before it."""
        return self._interpreted(to_english(question, history, self.trilingual))

    def _interpreted(self, understood: Understood) -> str:
        return interpret_followup(understood.question, list(understood.history)).query

    def search(self, query: Query | str, k: int, filters: Filters | None = None) -> list[Passage]:
        """The best `k` passages for an interpreted question (retrieve.search)."""
        return self.passages.search(query, k, filters)

    def expand(self, query: str) -> str:
        """The query with other names of the bodies it names (CGVS -> CGRS ...)."""
        return self.passages.expand(query)

    @property
    def search_params(self) -> SearchParams:
        return self.passages.params

    @property
    def reranker(self):
        return self.passages.reranker
