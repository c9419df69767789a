"""Cues of an answer: whether a sentence has what the question type asks
for (a figure of the asked kind, a date, a name or a person, a definition,
a list, a cause), and whether a line only names something (a label: a
heading, a caption, a question the text asks)."""

from __future__ import annotations

import re
from typing import Callable

from ..text.spans import YEAR
from ..types import Passage

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


_CAPTION = re.compile(r"^(Table|Graph|Figure|Box|Chart|Map|Annex)\s*\d*\s*[:.–-]", re.I)


def is_label(sentence: str, hit: Passage, qtype: str = "other") -> bool:
    """A line that names something rather than states it: a question the
    document asks (slides list them), a table, graph or box caption, or a
    heading of the passage's own section path. It rarely answers anything.
    To a what-is question, a short line without a figure or closing
    punctuation is the term or a title, not its definition.

    >>> from emnqa.types import Chunk, Passage
    >>> text = "Reception\\nFedasil opened 1 174 places."
    >>> hit = Passage.of(Chunk("d:1", "d", text, ("Reception",), 0, len(text), 9), 1.0, 1, "T")
    >>> [is_label(s, hit) for s in ("What will Fedasil do in 2023?", "Table 1: Places", "Reception", "Fedasil opened 1 174 places.")]
    [True, True, True, False]
    >>> [is_label(s, hit, "definition") for s in ("Subsequent application", "A further application.")]
    [True, False]
    """
    text = " ".join(sentence.split())
    if text.endswith("?") or _CAPTION.match(text):
        return True
    if qtype == "definition" and len(text.split()) <= 8 and not re.search(r"[\d.;:!?…]$|\d", text):
        return True
    folded = text.rstrip(" .:").lower()
    return any(folded == " ".join(h.split()).rstrip(" .:").lower() for h in hit.section_path)


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


def cue(
    qtype: str,
    sentence: str,
    hit: Passage,
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
        return 1.0 if hit.kind == "definition" or (defines is not None and defines(sentence)) else 0.0
    if qtype == "list":
        return 1.0 if sentence.count(",") >= 2 or hit.text.count("\n") >= 3 else 0.0
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


# A figure's unit or sign written next to it: "€ 2 070,48", "31%", "15 per cent".
_BEFORE_FIGURE = re.compile(r"(?:€|EUR)\s?$")
_AFTER_FIGURE = re.compile(r"^\s?(?:%|per ?cent\b|euros?\b)", re.I)


def short_answer(qtype: str, sentence: str, question: str) -> tuple[int, int] | None:
    """The span of a quote that answers a figure, date or who question in
    brief: the first figure (with its sign or unit) the question does not
    already name, the first date, the first name; None for other types or
    when the quote has none. Always a span of `sentence` itself.

    >>> s = "In 2024, 39 615 individuals applied for international protection in Belgium."
    >>> a, b = short_answer("quantity", s, "How many applied in 2024?"); s[a:b]
    '39 615'
    >>> s = "The threshold rose to € 2 070,48 on 1 May 2024."
    >>> [s[a:b] for a, b in (short_answer("quantity", s, "How much?"), short_answer("date", s, "When?"))]
    ['€ 2 070,48', '1 May 2024']
    >>> s = "Fedasil appointed Pieter Spinnewijn as Director General."
    >>> a, b = short_answer("who", s, "Who heads Fedasil?"); s[a:b]
    'Pieter Spinnewijn'
    >>> short_answer("why", s, "Why?") is None
    True
    """
    if qtype == "quantity":
        # Dates, references and addresses blanked out, offsets kept.
        kept = _NOT_AMOUNT.sub(lambda m: " " * len(m.group(0)), sentence)
        found = _new_matches(_NUMBER, kept, question)
        if not found:
            return None
        start, end = found[0].span()
        before = _BEFORE_FIGURE.search(sentence[:start])
        after = _AFTER_FIGURE.match(sentence[end:])
        return (before.start() if before else start), end + (after.end() if after else 0)
    if qtype == "date":
        found = _new_matches(_DATE, sentence, question)
        exact = [m for m in found if not YEAR.fullmatch(m.group(0))]
        best = (exact or found or [None])[0]
        if best is None:
            return None
        year = re.match(r",? (?:19|20)\d{2}\b", sentence[best.end() :])  # "1 May" "2024"
        return best.start(), best.end() + (year.end() if year else 0)
    if qtype == "who":
        asked = question.casefold()
        for m in _NAME.finditer(sentence, 1):
            if m.group(0).casefold() not in asked:
                return m.span()
    return None
