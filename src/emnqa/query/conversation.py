"""Follow-up questions made self-contained from the conversation, by rule.

No language model runs here: a follow-up is recognised from its wording (a cue
such as "And ...", a pronoun with no antecedent, a relative year, too few content
words) and completed from the previous user question and the last answer.

>>> h = [Turn("user", "How many visas did Belgium issue in 2023?"), Turn("assistant", "About 200 000 [1].")]
>>> interpret_followup("And in 2022?", h).query
'How many visas did Belgium issue in 2022?'
>>> interpret_followup("How many visas did Belgium refuse in 2023?", h).rewritten
False
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..config import HISTORY_WINDOW, MAX_INTERPRETED_CHARS
from ..text.spans import YEAR
from ..types import Turn


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD = re.compile(r"[\w’'-]+")
_CUE = re.compile(r"^(?:and|but|so|also|then|plus|what about|how about|what of|as for)\b[\s,]*", re.IGNORECASE)
_ABOUT = re.compile(r"^(?:what|how) about\s+|^as for\s+", re.IGNORECASE)
# Relative years and the offset they mean from the year under discussion.
_RELATIVE_YEAR = [
    (
        re.compile(
            r"\b(?:in )?(?:the|a) year (?:before|earlier)|\b(?:in )?the (?:previous|preceding|prior) year",
            re.IGNORECASE,
        ),
        -1,
    ),
    (re.compile(r"\b(?:in )?(?:the|a) year (?:after|later)|\b(?:in )?the (?:following|next) year", re.IGNORECASE), 1),
    (re.compile(r"\b(?:in )?(?:that|the same|that same) year", re.IGNORECASE), 0),
]
# Phrases that point back in time without naming it: always a follow-up signal.
_BACKREF = re.compile(
    r"\b(?:before|after|since|until) (?:that|then)\b|\bthe same\b|\bthen\?*$|\bearlier\?*$", re.IGNORECASE
)

_QUESTION = _words("what which who whom whose when where why how many much long often far")
_AUX = _words("is are was were do does did has have had can could will would should may might must be been")
_STOP = _words(
    "a an the of in on at to for from by with about as into over under between and or but so also than then "
    "not no any some all each more most other such own same just only very too there here up down out off "
    "per via during before after since until compared according actually really now still yet ever"
)
_PRONOUNS = _words("it its they them their theirs she her hers he him his this that these those there")
_PERSONAL = {"she", "he", "her", "him", "his", "hers"}
# Verbs that say little about the topic, so they do not make a question self-contained.
_LIGHT_VERBS = _words("get got make made use used give given take taken happen happened say said mean go")
# Words that make a capitalised run a title or an institution rather than a person's name.
_NOT_NAME = _words(
    "minister director general secretary state prime vice president commissioner chair head office service "
    "agency court council region community ministry department government federal national european union "
    "commission parliament committee centre center fund programme program report act law decree directive "
    "regulation network campaign january february march april may june july august september october "
    "november december monday tuesday wednesday thursday friday saturday sunday"
)
_NAME = re.compile(r"\b[A-Z][\w’'-]+(?:\s+(?:(?:van|de|der|den|von|du|la|le)\s+)*[A-Z][\w’'-]+)+")
# Auxiliaries dropped from a carried subject; modals and "have to" carry meaning, so they stay.
_AUXES = "do|does|did|is|are|was|were"
_DANGLING_END = _words("a an the of in on at to for from by with as and or")
# All a pure ellipsis may hold besides a year: "And how many was that in 2023?"
_FILLER = _QUESTION | _AUX | _PRONOUNS | _words("in for on of the about and so then")


@dataclass(frozen=True)
class Interpretation:
    """The question to search and answer, and what was carried into it."""

    query: str
    rewritten: bool
    carried: tuple[str, ...] = ()


def clean_turn(text: str) -> str:
    """Turn text without markdown, citation markers or quotation marks.

    >>> clean_turn('**Fedasil** ran "31 centres" [1][2].')
    'Fedasil ran 31 centres.'
    """
    text = re.sub(r"\[\d+(?:[,–-]\s*\d+)*\]", "", text)  # [1], [1, 2], [1-3]
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [label](url) -> label
    text = re.sub(r"[*_`#>\"“”„]+|^\s*[-+] ", "", text, flags=re.MULTILINE)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s+([.,;:?!])", r"\1", text)


def _content_words(text: str) -> list[str]:
    ignored = _QUESTION | _AUX | _STOP | _PRONOUNS | _LIGHT_VERBS
    return [w for w in _WORD.findall(text) if w.lower() not in ignored]


def _has_entity(text: str) -> bool:
    """True when a word after the first is capitalised, or any is a number or acronym."""
    words = _WORD.findall(text)
    return any(w[0].isupper() or w[0].isdigit() for w in words[1:]) or any(w.isupper() and len(w) > 1 for w in words)


def _dangling_pronouns(text: str) -> list[str]:
    """Pronouns and demonstratives of `text` with no antecedent earlier in `text`.

    >>> _dangling_pronouns("How many of them were minors?")
    ['them']
    >>> _dangling_pronouns("When was the Reception Act adopted and what did it change?")
    []
    """
    words, found = _WORD.findall(text), []
    for i, word in enumerate(words):
        low, before = word.lower(), " ".join(words[:i])
        if low not in _PRONOUNS:
            continue
        if low in ("that", "this") and i and words[i - 1].lower() not in _QUESTION | _AUX | _STOP:
            continue  # "the rule that applies", "said that": a relative or a conjunction
        if low == "there" and i and words[i - 1].lower() in _AUX:
            continue  # existential "are there"
        if low in ("those", "these") and words[i + 1 : i + 2] in (["who"], ["which"], ["that"]):
            continue  # "those who applied" names its own group
        # An antecedent is taken to exist when a name, or (for it/they) a few content words, come before.
        if _has_entity(before) or (low not in _PERSONAL and len(_content_words(before)) >= 3):
            continue
        found.append(low)
    return found


def _topic(question: str) -> str:
    """The previous question reduced to its subject: question words and auxiliaries dropped.

    >>> _topic("How many workers were recruited through the THAMM project (2023-2024)?")
    'workers recruited through the THAMM project 2023-2024'
    """
    text = re.sub(r"[()?]", " ", clean_turn(question))
    lead = r"^(?:(?:at|in|on|for|from|since|until|to|by|of|and)\s+)?"
    text = re.sub(lead + rf"(?:(?:{'|'.join(sorted(_QUESTION))})\b[\s,]*(?:and\s+)?)+", "", text, flags=re.IGNORECASE)
    text = re.sub(rf"\b(?:{_AUXES})\b", " ", text, flags=re.IGNORECASE)
    seen, kept = set(), []
    for word in text.split():  # a topic carried through several follow-ups repeats words
        if word.lower() not in seen or word.lower() in _STOP:
            kept.append(word)
        seen.add(word.lower())
    while kept and kept[-1].lower() in _DANGLING_END:  # "... minors in" once a repeated year is gone
        kept.pop()
    return " ".join(kept[:25]).strip(" ,;:")


def _person(answer: str, question: str) -> str | None:
    """The first person's name in `answer` that the question did not already name.

    >>> _person("Jan Peeters took over as Director General of the Office on 1 May.", "Who heads it?")
    'Jan Peeters'
    """
    asked = {w.lower() for w in _WORD.findall(question)}
    for match in _NAME.finditer(answer):
        words = [w.lower() for w in match.group().split()]
        if not any(w in _NOT_NAME or w in asked or w in _STOP for w in words):
            return match.group()
    return None


def _shift_years(text: str, year: int | None) -> tuple[str, bool]:
    """Replace relative years ("the year before") by the year they mean, given the year under discussion."""
    changed = False
    for pattern, offset in _RELATIVE_YEAR:
        if year is not None and pattern.search(text):
            text, changed = pattern.sub(f"in {year + offset}", text), True
    return text, changed


def interpret_followup(question: str, history: Sequence[Turn] | None) -> Interpretation:
    """Make `question` self-contained from `history`, or leave it exactly as typed.

    Only the last HISTORY_WINDOW turns are read (a follow-up of a follow-up
    reaches back four exchanges at most): the work is bounded however long a
    conversation a client sends; a reading over MAX_INTERPRETED_CHARS is
    given up for the question as typed.

    >>> h = [Turn("user", "How many people were returned to Albania in 2023?"), Turn("assistant", "1 200 [1].")]
    >>> interpret_followup("How many of them were minors?", h).query
    'How many of the people returned to Albania in 2023 were minors?'
    >>> interpret_followup("Why was that?", h).query
    'Why was that (people returned to Albania in 2023)?'
    """
    history = list(history or ())[-HISTORY_WINDOW:]
    users = [i for i, t in enumerate(history) if t.role == "user" and t.content.strip()]
    if not users:
        return Interpretation(question, False)
    # The previous question, itself interpreted from the turns before it (follow-up after follow-up).
    last = users[-1]
    previous = interpret_followup(clean_turn(history[last].content), history[:last]).query
    answer = " ".join(clean_turn(t.content) for t in history[last + 1 :] if t.role == "assistant")
    rewritten = _rewrite(question, previous, answer)
    if rewritten is None or len(rewritten.query) > MAX_INTERPRETED_CHARS:
        return Interpretation(question, False)
    return rewritten


def _rewrite(question: str, previous: str, answer: str) -> Interpretation | None:
    text = clean_turn(question)
    cue = _CUE.match(text)
    dangling = _dangling_pronouns(text)
    relative = any(p.search(text) for p, _ in _RELATIVE_YEAR) or bool(_BACKREF.search(text))
    content = _content_words(_CUE.sub("", text))
    thin = len(content) <= 1 or (len(content) <= 2 and not _has_entity(text))
    if not (cue or dangling or relative or thin):
        return None  # stands on its own: searched exactly as typed

    years = YEAR.findall(previous) or YEAR.findall(answer)
    year = int(years[-1]) if years else None
    topic = _topic(previous)
    about = _ABOUT.match(text)
    focus, rest = (re.split(r"\s*,\s*", text[about.end() :], maxsplit=1) + [""])[:2] if about else ("", "")
    focus = focus.rstrip("?!. ")
    body, shifted = _shift_years(_CUE.sub("", rest or text), year)
    new_years = YEAR.findall(body)

    # Pure ellipsis ("And in 2023?", "What about 2022?", "And the year before?"):
    # nothing but a new year is left, so the previous question is asked again for that year.
    leftover = [w for w in _WORD.findall(YEAR.sub("", body)) if w.lower() not in _FILLER]
    if year is not None and (new_years or shifted) and not leftover:
        return Interpretation(YEAR.sub(new_years[-1], previous), True, (topic,))

    if about and not rest:  # "What about the Walloon Region?" -> swap it for the phrase it parallels
        heads = {w.lower() for w in _content_words(focus)}
        for match in re.finditer(r"\b(?:the )?[A-Z][\w’'-]*(?:[ -][A-Z][\w’'-]*)*", previous):
            if heads & {w.lower() for w in _WORD.findall(match.group())} and match.start() > 0:
                return Interpretation(previous.replace(match.group(), focus), True, (focus,))
        return Interpretation(f"{previous.rstrip('?. ')} — {focus}?", True, (topic,))

    carried: list[str] = []
    if about:  # "What about Wallonia, what did its government decide?": the pronoun means Wallonia
        body = re.sub(r"\b(?:its|their)\b", f"{focus}'s", body)
        body = re.sub(r"\b(?:it|they|them)\b", focus, body)
        carried.append(focus)
    person = _person(answer, previous) if _PERSONAL & set(dangling) else None
    if person:
        body = re.sub(r"\b(?:his|her)\b(?= [a-z])(?! (?:from|to|by|with|for|as)\b)", f"{person}'s", body)
        body = re.sub(r"\b(?:she|he|him|her)\b", person, body)
        carried.append(person)
    if re.search(r"\bof (?:them|those|these)\b", body, re.IGNORECASE):  # "How many of them ..." names the group
        body = re.sub(r"\bof (?:them|those|these)\b", f"of the {topic}", body, flags=re.IGNORECASE)
        carried.append(topic)
    if shifted:
        carried.append(str(year))
    body = body[:1].upper() + body[1:]
    # Carry the previous subject unless the question already holds most of it.
    wanted = {w.lower() for w in _content_words(topic)}
    present = wanted & {w.lower() for w in _WORD.findall(body)}
    if wanted and len(present) < 0.6 * len(wanted):
        context = f" — {topic}" if "(" in body else f" ({topic})"  # no nested-looking brackets
        body = body.rstrip("?. ") + context + ("?" if body.rstrip().endswith("?") else "")
        carried.append(topic)
    return Interpretation(body, True, tuple(dict.fromkeys(carried)))
