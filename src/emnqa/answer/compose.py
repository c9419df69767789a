"""Question + retrieved passages -> a cited answer, by templates.

No language model writes anything: the answer is made of sentences quoted
verbatim from the passages, each followed by its [n] marker, inside fixed
framing words, and a Sources list. When the evidence is weak the reply says
the documents do not cover the question and lists the closest passages as
possibly related, not as an answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Callable, Collection, Mapping, Sequence

from ..text.spans import BULLETS, YEAR, is_field, quotable_sentences, trim_span
from ..types import Evidence, Hit

QUESTION_TYPES = ("quantity", "date", "who", "definition", "list", "why", "yesno", "other")

_QUANTITY_NOUNS = (r"(number|amount|budget|income|salary|salaries|pay|wage|rate|fee|fees|cost|costs|price|share|"
                   r"percentage|proportion|total|threshold|sum|quota|capacity)")
_BODY_NOUNS = (r"(organi[sz]ation|body|bodies|authority|authorities|agency|court|minister|ministry|person|institution|"
               r"service|ngo|association|office|company|administration|department|commission|council|post|official)")
# Tried in order, first match wins. "why" comes twice: a question that
# starts "Why ..."/"What explains ..." is a why-question whatever nouns follow
# ("why ... how many"), while a "why" further in only decides when nothing
# more specific matched.
_TYPE_PATTERNS = (
    ("why", r"^\s*(why|how come|for what reason|what explains|what'?s the point|what is the point|what (is|was) the (reason|purpose|point|aim|goal))\b"),
    ("date", r"^\s*(when|since when|until when|by when|what (date|year|month|day))\b"
     r"|\b(on what (?:date|day)|in what year|which year|what date|which date|which day|the date of|(by|from|since|until) (when|what|which) (date|deadline|day|month|year)|(from|since|until) when)\b"),
    ("quantity", r"\bhow (many|much|long|often|large|big|high|old)\b"
     rf"|^\s*(what|which)( is| was| are| were|'s)?( the)?( \w+){{0,4}} {_QUANTITY_NOUNS}\b"
     r"|\b(number of|percentage|per cent|proportion)\b"),
    ("who", rf"^\s*(who|whom|whose)\b|\bwho (is|was|are|were|did|does|runs?|ran|leads?|led|heads?|took|is in charge)\b"
     rf"|\b(which|what)( \w+){{0,2}} {_BODY_NOUNS}\b"),
    ("definition", r"^\s*(what (is|are|was|were) (an? |the )?[^?]{1,60}\??$|what does [^?]+ (mean|stand for)|define|definition of|meaning of)"
     r"|\b(stand for|mean by|meant by|defined as|definition|define|defines|glossary|terminology|what exactly is)\b|\bwhat makes [^?]+ an? "
     r"|\bwhat (is|are) (an? |the )?[^?]{1,40}\bcalled\b|,\s*what (is|are) [^?]{1,40}\??$"),
    ("list", r"^\s*(which|what) (are the |were the )?\w*\s*(countries|measures|categories|groups|projects|bodies|regions|organi[sz]ations|ones|developments|steps|changes|conditions)\b|^\s*(list|name|enumerate)\b"
     r"|\b(which|what)( [\w-]+){0,3} (countries|cities|laws|relatives|embassies|posts|ngos|organi[sz]ations|services|parts|ways|developments|measures|categories|groups|members|states|regions|nationalities|projects|partners)\b"),
    ("why", r"\b(reason|purpose|aim) (of|for|behind)\b|\bwhy\b"),
    ("yesno", r"^\s*(is|are|was|were|does|do|did|can|could|has|have|had|will|would|should|must)\b"),
)
_NUMBER = re.compile(r"\d[\d ,.]*\d|\d")
_MONTHS = (r"(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
           # French and Dutch, in the report's references to Belgian law
           r"|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
           r"|januari|februari|maart|mei|juni|juli|augustus|oktober)")
_DATE = re.compile(rf"\b\d{{1,2}}(st|nd|rd|th)? {_MONTHS}\b|\b{_MONTHS} \d{{4}}\b|\b\d{{2}}\.\d{{2}}\.\d{{4}}\b|\b(19|20)\d{{2}}\b")
# Numbers that are not amounts: dates, a law's or ruling's number, a
# reference to a section, box, graph or footnote, a web address.
_NOT_AMOUNT = re.compile(
    rf"https?://\S+|www\.\S+|{_DATE.pattern}"
    r"|\b(Directive|Regulation|Decision|Law|Act|Decree|Article|Art\.|Articles|Box|Graph|Table|Figure|Annex|Chapter|section|sections|see|n°|nr\.?|no\.|ruling|judgment|Court|Council of State|COM|Part)\s*\(?(EU|EC)?\)?\s*[\d./–-]*\d\w*((,\s*|\s+and\s+)\d[\d./–-]*\w*)*"
    r"|\b\d+/\d+(/\d+)?\b|\(\d+(\.\d+)*\)|§\s*\d+"  # ... a paragraph of a law: §3
    r"|\b[^\W\d_]+\d\w*|\b\d+[^\W\d_]\w*"  # a code or level glued to letters: A2, COVID-19, 9ter, 1st
)
# An amount written out: "two months", "three years", "a dozen", "half".
_WORD_AMOUNT = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|dozens?|half|twice|double)\b",
    re.I,
)
_NAME = re.compile(r"\b[A-Z][a-zà-ÿ]+(?: (?:de |van |of |for |the )?[A-Z][a-zà-ÿ]+)+|\b[A-Z]{2,}\b")


def detect_question_type(question: str) -> str:
    """The kind of answer a question asks for.

    >>> [detect_question_type(q) for q in ("How many people applied?", "When did it start?",
    ...  "Who runs Fedasil?", "What is a subsequent application?", "Why was it suspended?")]
    ['quantity', 'date', 'who', 'definition', 'why']
    """
    text = question.strip().lower()
    for name, pattern in _TYPE_PATTERNS:
        if re.search(pattern, text):
            return name
    return "other"


@dataclass(frozen=True)
class ComposeParams:
    """Weights and thresholds, tuned by grid search on eval/questions.jsonl
    (answer contains a gold string; abstention on unanswerable questions)."""

    passages: int = 5  # passages whose sentences compete
    max_quotes: int = 3  # sentences quoted at most
    second_ratio: float = 0.6  # a further quote needs this share of the best score
    rank_weight: float = 0.15  # prior for sentences of better-ranked passages
    cue_weight: float = 0.25  # bonus when a sentence has what the type asks for
    similarity_weight: float = 0.5  # weight of the model's question-sentence similarity
    short_penalty: float = 0.5  # score kept by a "sentence" of under 5 words (a title, a term; not a field's value)
    neighbour_ratio: float = 0.5  # the sentence after the best one joins the quote above this share
    label_penalty: float = 0.5  # score kept by a label: a heading, a caption, a question the text asks
    year_window: int = 1  # a year the question names must be this many sentences from the best quote, at most
    year_filter: bool = True  # quote only sentences within year_window of the asked year (else: abstain when the best is not)
    need_amount: bool = True  # a how-many question whose best quote (or the next sentence, quoted) has no figure: abstain
    form_words_out: bool = True  # words asking for a definition (define, mean, stand for) are not terms a sentence should share
    score_prior: bool = True  # the passage prior follows its ranking score (exp of the gap to the best), not its rank
    prior_scale: float = 2.0  # ... falling by a factor e for every 2 points of ranking score below the best
    same_cue: bool = True  # to a what-is question whose best quote defines, further quotes must define too
    notes: str = "useful"  # footnotes a quote cites, quoted after it: "all", "useful" (adds_to) or "none"
    focus_weight: float = 4.0  # in a follow-up, a word the user typed weighs this many times one carried over
    list_items: int = 6  # a quote announcing a list ("...:") comes with this many of its bulleted items
    linked_neighbour: bool = True  # ... only when it leans on the best ("This", "However", "The court" after a court)
    same_place: bool = True  # a country or Belgian region the user names must be named by the best quote's passage
    no_reference_answers: bool = True  # abstain when the best quote is a footnote referencing a source (a web address)
    figure_year_window: int = 0  # a how-many quote's own sentence (or its section, its document) names the asked year


def select_evidence(
    question: str,
    qtype: str,
    hits: Sequence[Hit],
    terms: Callable[[str], list[str]],
    idf: Mapping[str, float],
    params: ComposeParams = ComposeParams(),
    similarities: Mapping[str, Sequence[tuple[int, int, float]]] | None = None,
    defines: Callable[[str], bool] | None = None,
    admits: Callable[["Evidence"], bool] | None = None,
    focus: Collection[str] | None = None,
    persons: Callable[[str], list[str]] | None = None,
) -> list[Evidence]:
    """Sentences of the best passages ranked by how well they answer:
    the model's question-sentence similarity (when `similarities` gives it,
    per chunk id: (start, end, cosine) of each sentence), the IDF-weighted
    share of the question's terms they contain, the passage's rank, and cues
    of the asked type (a number, a date, a name...). `defines(sentence)`,
    when given, tells a sentence that says what the asked term is (an
    acronym spelled out): a definition cue for what-is questions. Only
    sentences `admits` accepts (all, when None) are quoted; the sentence
    after one may still join it as its continuation. `focus`, for a
    follow-up, holds the terms the user typed: they weigh
    ComposeParams.focus_weight times those carried from the conversation
    ("Who is exempted from it (civic integration ...)?" asks about the
    exemption, not about civic integration). `persons(sentence)`, when
    given, names the people a sentence names: to a who-question asking for
    the holder of a post ("Who is the new head of Fedasil?"), a sentence
    naming someone the question does not is the cue, not any capitalised
    name."""
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
        context = set(terms(" ".join(hit.chunk.section_path)))
        scored = (similarities or {}).get(hit.chunk.chunk_id)
        if scored is None:
            scored = [(a, b, 0.0) for a, b in quotable_sentences(hit.chunk.text)]
        term: tuple[float, float] | None = None  # (coverage, own) of a term line just before
        for start, end, similarity in scored:
            sentence = hit.chunk.text[start:end]
            present = set(terms(sentence))
            coverage = sum(w for t, w in wanted.items() if t in present or t in context) / total
            own = sum(w for t, w in wanted.items() if t in present) / total
            cue = _cue(qtype, sentence, hit, question, defines, persons)
            label = _is_label(sentence, hit, qtype)
            if term is not None and not label:
                # A glossary entry: the term on its own line, then its
                # definition, which is what a what-is question asks for.
                coverage, own, cue = max(coverage, term[0]), max(own, term[1]), 1.0
            term = (coverage, own) if qtype == "definition" and label and own > 0 and hit.chunk.kind == "definition" else None
            # The passage's standing: its ranking score against the best
            # one's (a close second counts nearly as much, a distant tenth
            # hardly), or else its rank.
            prior = math.exp(min(0.0, hit.score - top) / params.prior_scale) if params.score_prior else 1 / (1 + position)
            score = 0.5 * coverage + 0.5 * own + params.rank_weight * prior
            score += params.similarity_weight * similarity + params.cue_weight * cue
            if len(sentence.split()) < 5 and not is_field(sentence):  # a title or a term, not a field with its value
                score *= params.short_penalty
            if label:
                score *= params.label_penalty
            candidates.append(Evidence(hit, start, end, score, coverage, similarity, cue))
    if not candidates:
        return []
    following = _following(candidates)
    candidates.sort(key=lambda e: -e.score)
    if admits is not None:
        candidates = [c for c in candidates if admits(c)]
        if not candidates:
            return []
    chosen = [candidates[0]]
    # An answer often continues in the next sentence ("To compensate, ...",
    # "Before, this amount was ...", "The court imposed ..."): quote it too
    # when it is relevant enough and leans on the best quote; a next sentence
    # that stands on its own competes with the others.
    after = following.get(id(candidates[0]))
    defined = params.same_cue and qtype == "definition" and chosen[0].cue >= 1.0
    if after is not None and after.score >= params.neighbour_ratio * chosen[0].score and (
        not params.linked_neighbour or _continues(after.text, chosen[0].text, terms)
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
        chosen = _with_items(chosen, params.list_items)
    return chosen


def _with_items(chosen: list[Evidence], most: int) -> list[Evidence]:
    """A quote announcing a list ("The airport police invested in both
    policy and operational improvements related to identity fraud:", "More
    than 100 000 persons applied for protection:") is quoted with the items
    that follow it (bulleted lines, `most` of them at most, blank lines
    between allowed), as one verbatim span; quotes inside it are dropped.
    Without them it says nothing."""
    out: list[Evidence] = []
    for e in chosen:
        if e.text.rstrip().endswith(":"):
            e = replace(e, end=_items_end(e.passage.chunk.text, e.end, most))
        out.append(e)
    def inside(e: Evidence, o: Evidence) -> bool:
        wider = o.end - o.start > e.end - e.start
        return o is not e and o.passage is e.passage and o.start <= e.start and e.end <= o.end and wider

    return [e for e in out if not any(inside(e, o) for o in out)]


def _items_end(text: str, end: int, most: int) -> int:
    """The end of the run of bulleted lines (at most `most`) right after
    offset `end` of `text`; `end` itself when none follows."""
    at = end
    for _ in range(most):
        item = _NEXT_ITEM.match(text, at)
        if item is None:
            break
        at = item.end()
    return at


# The next line (blank lines skipped) when it is a bulleted item: its end.
_NEXT_ITEM = re.compile(rf"[ \t]*\n(?:[ \t]*\n)*[ \t]*[{re.escape(BULLETS)}][ \t]*\S[^\n]*?(?=[ \t]*(?:\n|$))")


# Words opening a sentence that goes on from the one before it.
_LINKS = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|such|however|moreover|in addition|additionally|also|furthermore|"
    r"before|previously|thus|therefore|as a result|to compensate|in this|the latter|hence|consequently|similarly|"
    r"likewise|instead|meanwhile|nevertheless|yet|but|and|still|then|since then|in that|at the same time|"
    r"in response|on the other hand|in contrast|by contrast|for this|to this end|accordingly|in particular|notably)\b",
    re.IGNORECASE,
)


def _continues(sentence: str, before: str, terms: Callable[[str], list[str]]) -> bool:
    """Whether a sentence leans on the one before it: it opens on a link
    ("This", "However", "As a result" ...) or on "The <thing>" the sentence
    before named ("... the Correctional Court of Antwerp convicted ..." /
    "The court imposed prison sentences of up to 18 years")."""
    if _LINKS.match(sentence):
        return True
    head = re.match(r"^the\s+([^\W\d_]+)", sentence, re.IGNORECASE)
    return bool(head) and bool(set(terms(head.group(1))) & set(terms(before)))


_CAPTION = re.compile(r"^(Table|Graph|Figure|Box|Chart|Map|Annex)\s*\d*\s*[:.–-]", re.I)


def _is_label(sentence: str, hit: Hit, qtype: str = "other") -> bool:
    """A line that names something rather than states it: a question the
    document asks (slides list them), a table, graph or box caption, or a
    heading of the passage's own section path. It rarely answers anything.
    To a what-is question, a short line without a figure or closing
    punctuation is the term or a title, not its definition.

    >>> from emnqa.types import Chunk
    >>> text = "Reception\\nFedasil opened 1 174 places."
    >>> hit = Hit(Chunk("d:1", "d", text, ("Reception",), 0, len(text), 9), 1.0, 1, "T")
    >>> [_is_label(s, hit) for s in ("What will Fedasil do in 2023?", "Table 1: Places", "Reception", "Fedasil opened 1 174 places.")]
    [True, True, True, False]
    >>> [_is_label(s, hit, "definition") for s in ("Subsequent application", "A further application.")]
    [True, False]
    """
    text = " ".join(sentence.split())
    if text.endswith("?") or _CAPTION.match(text):
        return True
    if qtype == "definition" and len(text.split()) <= 8 and not re.search(r"[\d.;:!?…]$|\d", text):
        return True
    folded = text.rstrip(" .:").lower()
    return any(folded == " ".join(h.split()).rstrip(" .:").lower() for h in hit.chunk.section_path)


def _following(candidates: list[Evidence]) -> dict[int, Evidence]:
    """Each candidate's next sentence in the same passage (by object id)."""
    by_passage: dict[str, list[Evidence]] = {}
    for e in candidates:
        by_passage.setdefault(e.passage.chunk.chunk_id, []).append(e)
    out: dict[int, Evidence] = {}
    for group in by_passage.values():
        group.sort(key=lambda e: e.start)
        for first, second in zip(group, group[1:]):
            out[id(first)] = second
    return out


def _new_figures(pattern: re.Pattern, sentence: str, question: str) -> list[str]:
    """Matches of `pattern` in the sentence that the question does not
    already contain: the figure asked for, not the year it was asked about."""
    return [m.group(0) for m in _new_matches(pattern, sentence, question)]


def _new_matches(pattern: re.Pattern, sentence: str, question: str) -> list[re.Match[str]]:
    asked = {" ".join(m.group(0).split()) for m in pattern.finditer(question)}
    return [m for m in pattern.finditer(sentence) if " ".join(m.group(0).split()) not in asked]


def amounts(sentence: str, question: str = "", words: bool = True) -> list[str]:
    """The figures of a sentence that can answer a how-many or how-much
    question: numbers outside dates, references and web addresses, that the
    question does not already name; with `words`, amounts written out too.

    >>> amounts("On 1 May 2024, the GMMI was increased to € 2 070,48 (see 2.2).")
    ['2 070,48']
    >>> amounts("It transposed Directive 2021/1883 under the Law of 15 December 1980.")
    []
    >>> amounts("It violates Articles 10, 11, 22 and 22bis of the Constitution.")
    []
    >>> amounts("Illiterate persons need only oral French at level A2 from the 1st of June.")
    []
    >>> amounts("Code de la nationalité belge du 28 juin 1984 / Wetboek van 28 juni 1984")
    []
    >>> amounts("Of the 39 615 applicants in 2024, 31% were women.", "How many applied in 2024?")
    ['39 615', '31']
    >>> amounts("They must leave the LOI within two months.")
    ['two']
    """
    return [m.group(0) for m in _amount_matches(sentence, question, words)[1]]


def _amount_matches(sentence: str, question: str, words: bool = True) -> tuple[str, list[re.Match[str]]]:
    """The sentence with dates, references and web addresses blanked out, and
    the matches of its amounts (`amounts`) in it."""
    kept = _NOT_AMOUNT.sub(" ", sentence)
    written = list(_WORD_AMOUNT.finditer(kept)) if words else []
    return kept, _new_matches(_NUMBER, kept, question) + written


# The kind of figure a quantity question asks for: a sum of money, a share,
# or a count of things (which a duration is not).
_ASKS_MONEY = re.compile(
    r"\b(cost|costs|pay|paid|salary|salaries|income|wage|wages|fee|fees|price|budget|euros?|funding|spend|spent)\b",
    re.I,
)
_ASKS_SHARE = re.compile(r"\b(rate|percentage|per ?cent|share|proportion)\b", re.I)
_HOW_MANY = re.compile(r"\bhow many (\w+)", re.I)
# "\in" is how the report's text renders the euro sign in places ("\in 803 net").
_MONEY = re.compile(r"€|\\in(?= ?\d)|\bEUR\b|\beuros?\b", re.I)
_SHARE = re.compile(r"%|\bper ?cent\b", re.I)
_DURATION = re.compile(r"\s*(?:days?|weeks?|months?|years?|hours?)\b", re.I)


def gives_amount(sentence: str, question: str) -> bool:
    """Whether a sentence has what a how-many/how-much question asks for: a
    figure (`amounts`) of the asked kind (a sum of money to "how much does it
    cost", a percentage to "what share", a count, not a duration, to "how
    many cards"), or, to a how-long question, a span of dates ("from
    September 2024 to September 2028").

    >>> gives_amount("Running from September 2024 to September 2028, the project ...", "How long does it run?")
    True
    >>> gives_amount("Fedasil partnered with the Red Cross in 2024.", "How many places in 2024?")
    False
    >>> gives_amount("Holders can move after 12 months.", "How many Blue Cards were issued?")
    False
    """
    kept, figures = _amount_matches(sentence, question)
    if re.search(r"\bhow long\b", question, re.I):
        return bool(figures) or len(_DATE.findall(sentence)) >= 2
    if not figures:
        return False
    counted = _HOW_MANY.search(question)
    if counted is None:
        if _ASKS_SHARE.search(question):  # "what income tax rate": a share, though of money
            return bool(_SHARE.search(sentence))
        if _ASKS_MONEY.search(question):
            return bool(_MONEY.search(sentence))
        return True
    if _DURATION.fullmatch(counted.group(1)):
        return True  # "how many months": a duration is the answer
    return any(not _DURATION.match(kept, m.end()) for m in figures)


# A who-question asking for the holder of a post: a person is the answer.
_ASKS_PERSON = re.compile(
    r"\b(head|director|chair|chairman|chairwoman|commissioner|minister|secretary|publisher|president|leader|"
    r"spokesperson|coordinator|appointed|named)\b",
    re.I,
)


# Words that ask for a definition rather than say what it is of: a sentence
# is no better an answer to "Define temporary protection" for containing
# "as defined in Art. 9". (Dropping "how", "many", "what" too cost two
# answers on the evaluation set: the weights were tuned with them in.)
_QUESTION_FORM = "define defined definition mean meaning means stand stands exactly"


def _cue(
    qtype: str,
    sentence: str,
    hit: Hit,
    question: str = "",
    defines: Callable[[str], bool] | None = None,
    persons: Callable[[str], list[str]] | None = None,
) -> float:
    """How far a sentence has what the question type asks for (0 to 1);
    `defines` and `persons` as in `select_evidence`."""
    if qtype == "quantity":
        # Figures only: "two pillars" is not the count a how-many question wants.
        return 1.0 if amounts(sentence, question, words=False) else 0.0
    if qtype == "date":
        found = _new_figures(_DATE, sentence, question)
        return 1.0 if any(not YEAR.fullmatch(f) for f in found) else 0.5 if found else 0.0
    if qtype == "who":
        if persons is not None and _ASKS_PERSON.search(question):
            return 1.0 if any(p.casefold() not in question.casefold() for p in persons(sentence)) else 0.0
        return 1.0 if _NAME.search(sentence[1:]) else 0.0
    if qtype == "definition":
        return 1.0 if hit.chunk.kind == "definition" or (defines is not None and defines(sentence)) else 0.0
    if qtype == "list":
        return 1.0 if sentence.count(",") >= 2 or hit.chunk.text.count("\n") >= 3 else 0.0
    if qtype == "why":
        return 1.0 if _GIVES_CAUSE.search(sentence) else 0.0
    return 0.0


# Words that give a cause, a reason or a purpose: what a why-question asks.
_GIVES_CAUSE = re.compile(
    r"\b(because|due to|owing to|in order to|to ensure|aim|aims|so that|as a result|reasons?|since|following|"
    r"responds? to|responded to|in response to|motivated by|prompted by|driven by|caused by|explained by|"
    r"attribut\w+ (?:\w+ )*?to|result of|considered that|given that)\b",
    re.I,
)


def adds_to(question: str, qtype: str, quote: Evidence, note: Evidence, terms: Callable[[str], list[str]]) -> bool:
    """Whether a footnote the quote cites bears on the question: it shares a
    term with the question, or it has the asked kind of fact (a figure, a
    date, a name...) when the quote has none. A note that only gives the
    web address of a source the question does not name is left out."""
    asked = set(terms(question))
    if asked & set(terms(note.text)):
        return True
    return bool(_cue(qtype, note.text, note.passage, question)) and not _cue(qtype, quote.text, quote.passage, question)


def with_table_headers(evidence: Sequence[Evidence]) -> list[Evidence]:
    """The evidence with, before the first quote of each table passage, the
    table's header row when the passage opens with one (cells without a
    figure) and the quoted row holds figures: "Executives € 78 259 € 86 110
    …" says which figure is whose only with the header's regions above it.

    >>> from emnqa.types import Chunk
    >>> text = "\\tFlemish Region\\tWalloon Region\\nExecutives\\t€ 78 259\\t€ 86 110"
    >>> hit = Hit(Chunk("d:1", "d", text, ("Table 1",), 0, len(text), 9, kind="table"), 1.0, 1, "T")
    >>> [e.text for e in with_table_headers([Evidence(hit, 31, len(text), 1.0, 1.0)])]
    ['Flemish Region\\tWalloon Region', 'Executives\\t€ 78 259\\t€ 86 110']
    """
    out: list[Evidence] = []
    headed: set[str] = set()
    for item in evidence:
        chunk = item.passage.chunk
        line = chunk.text.split("\n", 1)[0]
        # Only above a row of figures: a row of names ("CALL  Council for
        # Alien Law Litigation ...") carries its own meaning.
        header = chunk.kind == "table" and "\t" in line and not re.search(r"\d", line)
        if header and line not in headed and re.search(r"\d", item.text):
            headed.add(line)
            start, end = trim_span(chunk.text, 0, len(line))
            if item.start >= len(line) and end > start:
                out.append(Evidence(item.passage, start, end, 0.0, 0.0))
        out.append(item)
    return out


def with_item_dates(evidence: Sequence[Evidence], qtype: str) -> list[Evidence]:
    """To a when-question, a quote from a dated news item is followed by the
    item's date line ("When17 March 2021") when the quote does not give that
    date itself: the item's date is when what it reports happened.

    >>> from emnqa.types import Chunk
    >>> text = "Georgia and Moldova joined the EMN in March 2021.\\nWhen17 March 2021\\nMain theme: EU"
    >>> item = Chunk("n:1", "n", text, ("News item 6",), 0, len(text), 9, kind="news", meta={"date": "17 March 2021"})
    >>> news = Hit(item, 1.0, 1, "T")
    >>> [e.text for e in with_item_dates([Evidence(news, 0, 49, 1.0, 1.0)], "date")]
    ['Georgia and Moldova joined the EMN in March 2021.', 'When17 March 2021']
    """
    if qtype != "date":
        return list(evidence)
    out: list[Evidence] = []
    dated: set[str] = set()
    for item in evidence:
        out.append(item)
        chunk = item.passage.chunk
        date = str(chunk.meta.get("date") or "")
        if chunk.kind != "news" or not date or date in item.text or chunk.chunk_id in dated:
            continue
        line = re.search(rf"(?m)^[ \t]*When[ \t]*{re.escape(date)}[ \t]*$", chunk.text)
        if line is not None:
            dated.add(chunk.chunk_id)
            start, end = trim_span(chunk.text, line.start(), line.end())
            out.append(Evidence(item.passage, start, end, 0.0, 0.0))
    return out


def around(evidence: Evidence, window: int) -> str:
    """The evidence's sentence with up to `window` sentences either side of
    it in its passage.

    >>> from emnqa.types import Chunk
    >>> text = "One. In 2024, two. Three. Four."
    >>> hit = Hit(Chunk("d:1", "d", text, (), 0, len(text), 9), 1.0, 1, "T")
    >>> around(Evidence(hit, 19, 25, 1.0, 1.0), 1)
    'In 2024, two. Three. Four.'
    """
    text = evidence.passage.chunk.text
    spans = quotable_sentences(text)
    inside = [i for i, (a, b) in enumerate(spans) if a < evidence.end and evidence.start < b]
    if not inside:
        return evidence.text
    first, last = max(0, inside[0] - window), min(len(spans) - 1, inside[-1] + window)
    return text[spans[first][0] : spans[last][1]]


def _overlaps(a: Evidence, b: Evidence) -> bool:
    """The same sentence twice: one span inside the other in one passage,
    or the same words in two passages (chunks overlap by a sentence)."""
    if a.passage.chunk.chunk_id == b.passage.chunk.chunk_id:
        return a.start < b.end and b.start < a.end
    return " ".join(a.text.split()) == " ".join(b.text.split())
