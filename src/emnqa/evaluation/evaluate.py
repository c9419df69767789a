"""Score retrieval on a question set: per-question rows and means.

Relevance: a chunk is relevant to a question when it contains one of the
question's gold strings (case and white space folded); a passage of several
chunks (id "a+b+c") when one of its chunks is. Metrics come from ranx,
whose implementations are validated against trec_eval; they speak the
vocabulary "hit@5", "mrr@10", "ndcg@10", "recall@10".
"""

from __future__ import annotations

import statistics
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .questions import Question, contains_gold
from .selective import aurc, risk_coverage
from ..types import Chunk

# The retrievers, and "assistant": what the assistant shows, i.e. hybrid
# candidates reranked and widened into passages.
EVAL_MODES = ("bm25", "dense", "hybrid", "assistant")
METRICS = ("hit@1", "hit@3", "hit@5", "hit@10", "recall@10", "mrr@10", "ndcg@10")
CURVE = tuple(f"hit@{k}" for k in range(1, 11))
_RANX_NAME = {"hit": "hit_rate", "mrr": "mrr", "ndcg": "ndcg", "recall": "recall"}


@dataclass
class QuestionRun:
    """One question through one retriever."""

    question: Question
    query: str
    retrieved: list[str]  # chunk ids, best first
    relevant: set[str]  # chunk ids holding a gold string
    latency_ms: float
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def first_relevant_rank(self) -> int | None:
        return next((rank for rank, cid in enumerate(self.retrieved, 1) if cid in self.relevant), None)


@dataclass
class ModeResult:
    """All questions through one retriever, with means."""

    mode: str
    runs: list[QuestionRun]
    single_turn: dict[str, float] = field(default_factory=dict)
    followups: dict[str, float] = field(default_factory=dict)
    by_type: dict[str, dict[str, float]] = field(default_factory=dict)
    curve: dict[str, float] = field(default_factory=dict)
    latency: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    # grouping -> group -> means over its answerable questions (single-turn
    # and follow-ups together, except under "turn"), with "n"
    groups: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


def relevant_chunks(question: Question, chunks: Sequence[Chunk]) -> set[str]:
    """Ids of the chunks holding one of the question's gold strings."""
    if not question.answers:
        return set()
    return {c.chunk_id for c in chunks if contains_gold(c.text, question.answers)}


def run_mode(
    mode: str,
    search: Callable[[str, int], list[str]],
    questions: Sequence[Question],
    chunks: Sequence[Chunk],
    *,
    k: int = 10,
    query_of: Callable[[Question], str] = lambda q: q.question,
    progress: Callable[[int, int], None] | None = None,
) -> ModeResult:
    """Run every question through `search(query, k) -> chunk ids` and score.

    `query_of` turns a question (with its history) into the text searched:
    the question alone by default.
    """
    runs = []
    for n, question in enumerate(questions, start=1):
        query = query_of(question)
        started = time.perf_counter()
        retrieved = search(query, k)
        latency = (time.perf_counter() - started) * 1000
        relevant = relevant_chunks(question, chunks)
        runs.append(QuestionRun(question, query, [_as_relevant(r, relevant) for r in retrieved], relevant, latency))
        if progress:
            progress(n, len(questions))
    return score(mode, runs)


def _as_relevant(retrieved: str | tuple[str, ...], relevant: set[str]) -> str:
    """A retrieved chunk's id; for a passage (its chunks' ids), the id of a
    relevant chunk inside it, else of its first chunk.

    >>> _as_relevant(("c1", "c2"), {"c2"}), _as_relevant(("c1", "c2"), set()), _as_relevant("c3", {"c3"})
    ('c2', 'c1', 'c3')
    """
    ids = (retrieved,) if isinstance(retrieved, str) else retrieved
    return next((part for part in ids if part in relevant), ids[0])


def score(mode: str, runs: list[QuestionRun]) -> ModeResult:
    """Per-question metrics from ranx, then means overall, per type, for
    follow-ups apart, and latency percentiles."""
    scored = [r for r in runs if r.question.answerable]
    per_question = _ranx(scored, METRICS + CURVE)
    for run in scored:
        run.metrics = {m: per_question[m][run.question.id] for m in METRICS + CURVE}
    single = [r for r in scored if not r.question.is_followup]
    follow = [r for r in scored if r.question.is_followup]
    result = ModeResult(mode, runs)
    result.single_turn = _mean(single, METRICS)
    result.followups = _mean(follow, METRICS)
    result.curve = _mean(single, CURVE)
    for qtype in sorted({r.question.type for r in single}):
        of_type = [r for r in single if r.question.type == qtype]
        result.by_type[qtype] = {**_mean(of_type, METRICS), "n": len(of_type)}
    result.groups = {
        grouping: {
            name: {**_mean(members, METRICS), "n": len(members)}
            for name in sorted({group_of(r.question, grouping) for r in scored})
            for members in [[r for r in scored if group_of(r.question, grouping) == name]]
        }
        for grouping in GROUPINGS
    }
    latencies = sorted(r.latency_ms for r in runs)
    result.latency = {"p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95)}
    result.counts = {
        "questions": len(runs),
        "scored": len(scored),
        "single_turn": len(single),
        "followups": len(follow),
        "unanswerable": len(runs) - len(scored),
    }
    return result


def _ranx(runs: list[QuestionRun], metrics: Sequence[str]) -> dict[str, dict[str, float]]:
    if not runs:
        return {m: {} for m in metrics}
    from ranx import Qrels, Run, evaluate

    qrels = Qrels({r.question.id: {cid: 1 for cid in r.relevant} or {"<none>": 1} for r in runs})
    # A question nothing was retrieved for still needs an entry (ranx refuses
    # an empty ranking): a placeholder that is never relevant.
    ranking = Run(
        {
            r.question.id: {cid: float(len(r.retrieved) - i) for i, cid in enumerate(r.retrieved)} or {"<no hit>": 0.0}
            for r in runs
        }
    )
    names = {m: _ranx_name(m) for m in metrics}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety chatter
        evaluate(qrels, ranking, list(names.values()), make_comparable=True)
    return {m: {qid: float(v) for qid, v in ranking.scores[names[m]].items()} for m in metrics}


def _ranx_name(metric: str) -> str:
    """'hit@5' -> 'hit_rate@5'.

    >>> _ranx_name("hit@5"), _ranx_name("ndcg@10")
    ('hit_rate@5', 'ndcg@10')
    """
    name, cutoff = metric.split("@")
    return f"{_RANX_NAME[name]}@{cutoff}"


def _mean(runs: list[QuestionRun], metrics: Sequence[str]) -> dict[str, float]:
    if not runs:
        return {}
    return {m: statistics.fmean(r.metrics[m] for r in runs) for m in metrics}


def _percentile(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def evaluate_index(
    settings,
    questions: Sequence[Question],
    modes: Sequence[str],
    *,
    k: int = 10,
    embedder=None,
    answers: bool = False,
    say: Callable[[str], None] = lambda _: None,
) -> tuple[list[ModeResult], "AnswerResult | None"]:
    """Every mode over the saved index, the model loaded once.

    Every mode searches what the assistant would: the question interpreted
    from its conversation, with acronyms expanded. With `answers`, the
    assistant also answers every question and the answers are scored.
    """
    from ..assistant import Assistant
    from ..retrieve.retrievers import make_retriever, open_index

    index, embedder = open_index(settings, embedder)
    assistant = Assistant(settings, embedder=embedder, index=index)
    interpreted = {q.id: assistant.interpret(q.question, q.history) for q in questions}
    results = []
    for mode in modes:
        if mode == "assistant":
            assistant.search(questions[0].question, k)  # warm-up: first-call costs are not latency
        else:
            retriever = assistant.retriever if mode == "hybrid" else make_retriever(mode, index, embedder, k)
            retriever.search(questions[0].question, k)
        say(f"Evaluating {mode} retrieval on {len(questions)} questions ...")
        if mode == "assistant":
            def search(query, n):
                return [h.chunk_ids for h in assistant.search(query, n)]
        elif mode == "hybrid":
            def search(query, n):
                return [h.chunk.chunk_id for h in retriever.search(query, n, lexical_query=assistant.expand(query))]
        elif mode == "bm25":
            def search(query, n):
                return [h.chunk.chunk_id for h in retriever.search(assistant.expand(query), n)]
        else:
            def search(query, n):
                return [h.chunk.chunk_id for h in retriever.search(query, n)]
        results.append(
            run_mode(mode, search, questions, index.chunks, k=k, query_of=lambda q: interpreted[q.id])
        )
    answer_result = None
    if answers:
        say(f"Answering {len(questions)} questions ...")
        answer_result = evaluate_answers(assistant, questions)
    return results, answer_result


# The groups every figure is broken down by: the split, the question's
# language, single-turn or follow-up, and its type.
GROUPINGS = ("split", "lang", "turn", "type")


def group_of(question: Question, grouping: str) -> str:
    """The question's group under a grouping.

    >>> q = Question("q", "Et en 2023 ?", ("1",), "d", True, "numeric", lang="fr", split="test")
    >>> [group_of(q, g) for g in GROUPINGS]
    ['test', 'fr', 'single-turn', 'numeric']
    """
    if grouping == "turn":
        return "follow-up" if question.is_followup else "single-turn"
    return getattr(question, grouping) or "-"


@dataclass
class AnswerRun:
    """One question through the assistant."""

    question: Question
    answer: object  # emnqa.types.Answer
    latency_ms: float
    answer_at_1: bool  # the first quote holds a gold string: what a reader sees first
    answer_any: bool  # some quote holds a gold string
    citation_precision: float | None
    quote_fidelity: float | None

    @property
    def confidence(self) -> float | None:
        return getattr(self.answer, "confidence", None)

    @property
    def right(self) -> bool:
        """An answer a reader can rely on: the first quote holds the answer
        to an answerable question; any answer to an unanswerable one is wrong."""
        return self.question.answerable and self.answer_at_1


@dataclass
class AnswerResult:
    runs: list[AnswerRun]
    single_turn: dict[str, float] = field(default_factory=dict)
    followups: dict[str, float] = field(default_factory=dict)
    by_type: dict[str, dict[str, float]] = field(default_factory=dict)
    overall: dict[str, float] = field(default_factory=dict)
    # grouping -> group -> means, e.g. groups["lang"]["fr"]["answer@1"]
    groups: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    latency: dict[str, float] = field(default_factory=dict)


def quote_is_verbatim(quote: str, passage: str) -> bool:
    """A quote is faithful when it is a span of its passage (white space folded).

    >>> quote_is_verbatim("39 615 people", "In 2024,\\n39  615 people applied.")
    True
    >>> quote_is_verbatim("39 616 people", "In 2024, 39 615 people applied.")
    False
    """
    fold = lambda s: " ".join(s.split())  # noqa: E731
    return fold(quote) in fold(passage)


def judge_answer(question: Question, answer) -> AnswerRun:
    """Score one answer: a gold string in the first quote and in any quote,
    citations that hold a gold string, quotes that are verbatim spans of
    their passages."""
    citations = list(answer.citations)
    answered = (not answer.abstained) and bool(question.answers)
    at_1 = answered and bool(citations) and contains_gold(citations[0].quote, question.answers)
    at_any = answered and contains_gold(answer.text, question.answers)
    precision = None
    if citations and question.answerable:
        precision = sum(contains_gold(c.passage.text, question.answers) for c in citations) / len(citations)
    fidelity = None
    if citations:
        fidelity = sum(quote_is_verbatim(c.quote, c.passage.text) for c in citations) / len(citations)
    return AnswerRun(question, answer, answer.latency_ms, at_1, at_any, precision, fidelity)


def answer_means(group: Sequence[AnswerRun]) -> dict[str, float]:
    """The answer metrics of a group of questions: answer@1, answer@any,
    citation precision and false abstention over its answerable questions,
    abstention recall over its unanswerable ones, quote fidelity over every
    answer given, and the AURC of the answers given, by confidence."""
    answerable = [r for r in group if r.question.answerable]
    unanswerable = [r for r in group if not r.question.answerable]
    out: dict[str, float] = {"n": len(answerable), "unanswerable_n": len(unanswerable)}
    if answerable:
        out["answer@1"] = statistics.fmean(r.answer_at_1 for r in answerable)
        out["answer@any"] = statistics.fmean(r.answer_any for r in answerable)
        out["false_abstention"] = statistics.fmean(r.answer.abstained for r in answerable)
        precisions = [r.citation_precision for r in answerable if r.citation_precision is not None]
        if precisions:
            out["citation_precision"] = statistics.fmean(precisions)
    if unanswerable:
        out["abstention_recall"] = statistics.fmean(r.answer.abstained for r in unanswerable)
    fidelities = [r.quote_fidelity for r in group if r.quote_fidelity is not None]
    if fidelities:
        out["quote_fidelity"] = statistics.fmean(fidelities)
    curve = answer_curve(group)
    if curve:
        out["aurc"] = aurc(curve)
        out["coverage"] = curve[-1][0]
    return out


def given_answers(group: Sequence[AnswerRun]) -> list[AnswerRun]:
    """The answers the system gave (not "not covered") that carry a confidence."""
    return [r for r in group if not r.answer.abstained and r.confidence is not None]


def answer_curve(group: Sequence[AnswerRun]) -> list[tuple[float, float]]:
    """The risk-coverage curve of the answers given."""
    given = given_answers(group)
    return risk_coverage([r.confidence for r in given], [r.right for r in given], total=len(group))


def score_answers(runs: list[AnswerRun]) -> AnswerResult:
    result = AnswerResult(runs)
    answerable = [r for r in runs if r.question.answerable]
    result.single_turn = answer_means([r for r in answerable if not r.question.is_followup])
    result.followups = answer_means([r for r in answerable if r.question.is_followup])
    for qtype in sorted({r.question.type for r in answerable}):
        result.by_type[qtype] = answer_means(
            [r for r in answerable if r.question.type == qtype and not r.question.is_followup]
        )
    overall = answer_means(runs)
    overall.setdefault("quote_fidelity", 1.0)
    overall.setdefault("abstention_recall", 0.0)
    result.overall = overall
    result.groups = {
        grouping: {
            name: answer_means([r for r in runs if group_of(r.question, grouping) == name])
            for name in sorted({group_of(r.question, grouping) for r in runs})
        }
        for grouping in GROUPINGS
    }
    latencies = sorted(r.latency_ms for r in runs)
    result.latency = {"p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95)}
    return result


def evaluate_answers(assistant, questions: Sequence[Question]) -> AnswerResult:
    """Ask every question (with its history) and score the answers."""
    if questions:
        assistant.ask(questions[0].question)  # warm-up
    return score_answers([judge_answer(q, assistant.ask(q.question, q.history)) for q in questions])
