"""The kind of answer a question asks for: a figure, a date, a person or
body, a definition, a list, a reason, yes or no, or other. The answering
stage reads it from the Query (built once), never from the text again."""

from __future__ import annotations

import re

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
