"""Query + passages -> the evidence quoted: every quotable sentence of the
best passages scored as an answer, then the best one chosen with the
sentences that go with it.

A sentence's score: the IDF-weighted share of the question's terms it holds
(with and without its section's words), the model's question-sentence
cosine (from Passage.sentences), the passage's standing, and a cue of the
asked type (a figure, a date, a name...); short lines and labels are
penalised. The weights are ComposeParams, tuned on the dev split.
"""

from __future__ import annotations

import math
from typing import Callable, Collection, Mapping, Sequence

from ..config import ComposeParams
from ..query.lexicon import spells_out
from ..retrieve.lexical import terms as _terms
from ..text.spans import is_field, quotable_sentences
from ..types import Evidence, Passage, Query, Sentence
from .cues import cue, is_label
from .extend import continues, with_items
from .facts import CorpusFacts
from .years import year_test

# Words that ask for a definition rather than say what it is of: a sentence
# is no better an answer to "Define temporary protection" for containing
# "as defined in Art. 9". (Dropping "how", "many", "what" too cost two
# answers on the evaluation set: the weights were tuned with them in.)
_QUESTION_FORM = "define defined definition mean meaning means stand stands exactly"


# A learned scorer's pass over the candidates: (query, candidates, admits) ->
# the same candidates with new scores (answer.reader.ReaderScorer.rescore).
Rescore = Callable[[Query, Sequence[Evidence], Callable[[Evidence], bool] | None], list[Evidence]]


def choose_evidence(
    query: Query,
    passages: Sequence[Passage],
    facts: CorpusFacts,
    params: ComposeParams = ComposeParams(),
    rescore: Rescore | None = None,
) -> list[Evidence]:
    """The answering stage's selection: the candidates (`candidates`),
    scored again by `rescore` when given (the lead ranker or the answer
    reader), and, of those a question naming a year admits (sentences near
    that year, ComposeParams.year_window), the quotes."""
    return choose_both(query, passages, facts, params, rescore)[0]


def choose_both(
    query: Query,
    passages: Sequence[Passage],
    facts: CorpusFacts,
    params: ComposeParams = ComposeParams(),
    rescore: Rescore | None = None,
) -> tuple[list[Evidence], list[Evidence]]:
    """The quotes as `choose_evidence` chooses them, and those the
    hand-written score alone chooses (the same list without `rescore`): the
    abstention rules judge both."""
    admits = _remembered(year_test(query.years, facts, params.year_window)) if params.year_filter else None
    found = candidates(query, passages, facts, params)
    hand = pick(found, query.qtype, _terms, params, admits)
    if rescore is None:
        return hand, hand
    return pick(rescore(query, found, admits), query.qtype, _terms, params, admits), hand


def candidates(
    query: Query,
    passages: Sequence[Passage],
    facts: CorpusFacts,
    params: ComposeParams = ComposeParams(),
) -> list[Evidence]:
    """Every sentence of the best passages scored as an answer, in passage
    and reading order (`score_sentences`). A what-is
    question about a name the lexicon knows is answered by a sentence
    spelling the name out; in a follow-up, the words the user typed weigh
    more."""
    defines = (lambda sentence: any(spells_out(sentence, g) for g in query.names)) if query.names else None
    focus = set(_terms(query.asked)) if query.text != query.asked else None
    return score_sentences(query.text, query.qtype, passages, _terms, facts.idf, params, defines, focus, facts.persons)


def select_evidence(
    question: str,
    qtype: str,
    hits: Sequence[Passage],
    terms: Callable[[str], list[str]],
    idf: Mapping[str, float],
    params: ComposeParams = ComposeParams(),
    defines: Callable[[str], bool] | None = None,
    admits: Callable[[Evidence], bool] | None = None,
    focus: Collection[str] | None = None,
    persons: Callable[[str], list[str]] | None = None,
) -> list[Evidence]:
    """The quotes for a question, best first, from the sentences of the
    first ComposeParams.passages passages (`score_sentences`). Only
    sentences `admits` accepts (all, when None) are quoted; the sentence
    after one may still join it as its continuation. `defines(sentence)`
    tells a sentence that says what the asked term is (an acronym spelled
    out); `focus`, in a follow-up, the terms the user typed: they weigh
    ComposeParams.focus_weight times those carried from the conversation;
    `persons(sentence)`, the people a sentence names: to a who-question
    asking for the holder of a post ("Who is the new head of Fedasil?"), a
    sentence naming someone the question does not is the cue."""
    found = score_sentences(question, qtype, hits, terms, idf, params, defines, focus, persons)
    return pick(found, qtype, terms, params, admits)


def pick(
    candidates: list[Evidence],
    qtype: str,
    terms: Callable[[str], list[str]],
    params: ComposeParams = ComposeParams(),
    admits: Callable[[Evidence], bool] | None = None,
) -> list[Evidence]:
    """The quotes from scored candidates (in reading order): the best one
    `admits`, the sentence after it when it continues it, further quotes
    close to the best, a list's items."""
    if not candidates:
        return []
    following = _following(candidates)
    candidates = sorted(candidates, key=lambda e: -e.score)
    if admits is not None:
        candidates = [c for c in candidates if admits(c)]
        if not candidates:
            return []
    return _choose(candidates, following, qtype, terms, params)


def score_sentences(
    question: str,
    qtype: str,
    hits: Sequence[Passage],
    terms: Callable[[str], list[str]],
    idf: Mapping[str, float],
    params: ComposeParams = ComposeParams(),
    defines: Callable[[str], bool] | None = None,
    focus: Collection[str] | None = None,
    persons: Callable[[str], list[str]] | None = None,
) -> list[Evidence]:
    """Every quotable sentence of the first ComposeParams.passages passages,
    scored as an answer, in passage and reading order."""
    form = set(terms(_QUESTION_FORM)) if params.form_words_out else set()
    default = max(idf.values(), default=1.0)
    wanted = {
        t: idf.get(t, default) * (params.focus_weight if focus and t in focus else 1.0)
        for t in terms(question) if t not in form
    }
    total = sum(wanted.values()) or 1.0
    candidates = []
    top = max((h.score for h in hits[: params.passages]), default=0.0)
    for position, hit in enumerate(hits[: params.passages]):
        context = set(terms(" ".join(hit.section_path)))
        sentences = hit.sentences if hit.sentences is not None else [Sentence(a, b) for a, b in quotable_sentences(hit.text)]
        # The passage's standing: its ranking score against the best one's
        # (a close second counts nearly as much, a distant tenth hardly), or
        # else its rank.
        prior = math.exp(min(0.0, hit.score - top) / params.prior_scale) if params.score_prior else 1 / (1 + position)
        term: tuple[float, float] | None = None  # (coverage, own) of a term line just before
        for s in sentences:
            sentence = hit.text[s.start : s.end]
            present = set(terms(sentence))
            coverage = sum(w for t, w in wanted.items() if t in present or t in context) / total
            own = sum(w for t, w in wanted.items() if t in present) / total
            found = cue(qtype, sentence, hit, question, defines, persons)
            label = is_label(sentence, hit, qtype)
            if term is not None and not label:
                # A glossary entry: the term on its own line, then its
                # definition, which is what a what-is question asks for.
                coverage, own, found = max(coverage, term[0]), max(own, term[1]), 1.0
            term = (coverage, own) if qtype == "definition" and label and own > 0 and hit.kind == "definition" else None
            score = 0.5 * coverage + 0.5 * own + params.rank_weight * prior
            score += params.similarity_weight * s.cosine + params.cue_weight * found
            if len(sentence.split()) < 5 and not is_field(sentence):  # a title or a term, not a field with its value
                score *= params.short_penalty
            if label:
                score *= params.label_penalty
            candidates.append(Evidence(hit, s.start, s.end, score, coverage, s.cosine, found, s.match))
    return candidates


def _choose(
    candidates: list[Evidence],
    following: Mapping[int, Evidence],
    qtype: str,
    terms: Callable[[str], list[str]],
    params: ComposeParams,
) -> list[Evidence]:
    """The best candidate, the sentence after it when it continues it,
    further quotes close enough to the best, a list's items."""
    chosen = [candidates[0]]
    # An answer often continues in the next sentence ("To compensate, ...",
    # "Before, this amount was ...", "The court imposed ..."): quote it too
    # when it is relevant enough and leans on the best quote; a next sentence
    # that stands on its own competes with the others.
    after = following.get(id(candidates[0]))
    defined = params.same_cue and qtype == "definition" and chosen[0].cue >= 1.0
    if after is not None and after.score >= params.neighbour_ratio * chosen[0].score and (
        not params.linked_neighbour or continues(after.text, chosen[0].text, terms)
    ):
        if not (defined and after.cue < 1.0):  # a definition's next line (a table's next row) is no continuation
            chosen.append(after)
    for candidate in candidates[1:]:
        if len(chosen) >= params.max_quotes or candidate.score < params.second_ratio * chosen[0].score:
            break
        if defined and candidate.cue < 1.0:
            continue  # the best quote is the definition; a sentence that is not one only adds noise
        if not any(_overlaps(candidate, c) for c in chosen):
            chosen.append(candidate)
    if params.list_items:
        chosen = with_items(chosen, params.list_items)
    return chosen


def _remembered(admits: Callable[[Evidence], bool] | None) -> Callable[[Evidence], bool] | None:
    """`admits`, asked once per sentence (by passage and span): the year test
    reads the sentence's surroundings, and both the rescorer and `pick` ask."""
    if admits is None:
        return None
    seen: dict[tuple, bool] = {}

    def remembered(e: Evidence) -> bool:
        key = (e.passage.chunk_ids, e.start, e.end)
        if key not in seen:
            seen[key] = admits(e)
        return seen[key]

    return remembered


def _following(candidates: list[Evidence]) -> dict[int, Evidence]:
    """Each candidate's next sentence in the same passage (by object id)."""
    by_passage: dict[tuple[str, ...], list[Evidence]] = {}
    for e in candidates:
        by_passage.setdefault(e.passage.chunk_ids, []).append(e)
    out: dict[int, Evidence] = {}
    for group in by_passage.values():
        group.sort(key=lambda e: e.start)
        for first, second in zip(group, group[1:]):
            out[id(first)] = second
    return out


def _overlaps(a: Evidence, b: Evidence) -> bool:
    """The same sentence twice: one span inside the other in one passage,
    or the same words in two passages (chunks overlap by a sentence)."""
    if a.passage.chunk_ids == b.passage.chunk_ids:
        return a.start < b.end and b.start < a.end
    return " ".join(a.text.split()) == " ".join(b.text.split())
