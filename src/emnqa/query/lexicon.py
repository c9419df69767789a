"""Acronym and synonym expansion mined from the corpus itself.

Users type CGVS, CGRA or the English name while the text says CGRS, or the
other way round. The corpus teaches the equivalences in three ways, and each
is mined here without a hand-kept list:

- glossary lines: "EEA European Economic Area";
- an acronym table, one tab-separated row per body: "CALL<TAB>Council for
  Alien Law Litigation<TAB>Raad voor Vreemdelin- genbetwistingen (RvV)...";
- inline definitions: "the Council for Alien Law Litigation (CALL)".

Everyday words for the field's terms ("asylum" where the reports say
"international protection", "deportation" for "forced return") are rarely
spelled out in the corpus; `GLOSSARY_SYNONYMS`, from the synonyms the EMN
Asylum and Migration Glossary gives for its entries, adds those.

>>> lexicon = mine_lexicon(["The Entry/Exit System (EES) starts soon."])
>>> expand_query("When does the EES start?", lexicon)
'When does the EES start? Entry/Exit System'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

# PDF extraction sometimes yields Cyrillic look-alikes ("СОСОМ" for COCOM).
_CYRILLIC = str.maketrans("СОМАЕРНКТВХсоаерх", "COMAEPHKTBXcoaepx")
# Words an acronym may leave out of its long name ("Trafficking in Human Beings").
_SMALL_WORDS = frozenset(
    {"a", "an", "and", "to", "on", "in", "of", "for", "the", "et", "aux", "au", "de", "du", "des", "la", "le", "les"}
    | {"voor", "van", "der", "het", "en"}
)
# A hyphen before one of these is an ellipsis ("Inlichtingen- en Opsporingsdienst").
_CONJUNCTIONS = r"(?:en|et|and|or|ou|of|und)\b"
_BREAK = re.compile(rf"([^\W\d_])- (?!{_CONJUNCTIONS})([a-zà-ÿ])")
# 2-10 characters, at least two capitals: CALL, RvV, ECtHR, DT4E, MPI-Europe, IDPs.
_ACRONYM = re.compile(r"(?=(?:[^A-Z]*[A-Z]){2})[A-Z][A-Za-z0-9&-]{1,9}")
# A one-word name such as Fedasil, accepted after a long capitalised name.
_PROPER_NAME = re.compile(r"[A-Z][a-z]{3,11}")
_WORD = re.compile(r"[^\W_][\w'’]*")
_INLINE = re.compile(r"\(([^()]{2,21})\)")
_GLOSSARY_LINE = re.compile(r"([A-Z][A-Za-z]{1,9}) ([A-Z][^\t.;:?!]*)")


# Synonym groups after the EMN Asylum and Migration Glossary ("asylum seeker:
# see applicant for international protection"; "removal", "deportation" and
# "forced return"; ...): the everyday words and the terms EMN reports use.
# Lower-case names match in any case. Domain vocabulary, not answers.
GLOSSARY_SYNONYMS: tuple[frozenset[str], ...] = tuple(
    frozenset(group)
    for group in (
        {"asylum seeker", "applicant for international protection"},
        {"asylum seekers", "asylum applicants", "applicants for international protection"},
        {"asylum application", "asylum claim", "asylum request", "application for international protection"},
        # Applying and the applications made: one group, because the stemmer
        # keeps "applied" (appli) apart from "applications" (applic), and the
        # report counts the people who sought asylum in "applications for
        # international protection".
        {"apply for asylum", "seek asylum", "ask for asylum", "apply for international protection",
         "applied for asylum", "sought asylum", "asked for asylum", "applied for international protection",
         "applying for asylum", "seeking asylum", "asking for asylum", "applying for international protection",
         "asylum applications", "asylum claims", "asylum requests", "applications for international protection"},
        {"asylum procedure", "international protection procedure"},
        {"deportation", "deportations", "deport", "deported", "deporting", "forced return", "forced returns", "removal"},
        {"undocumented migrants", "irregular migrants", "irregularly staying third-country nationals"},
        {"unaccompanied children", "separated children", "unaccompanied minors"},
        {"naturalisation", "naturalization", "acquisition of nationality"},
    )
)


@dataclass(frozen=True)
class Lexicon:
    """Groups of names for one thing each: acronyms and long names, any language.

    >>> lexicon = Lexicon((frozenset({"CALL", "Council for Alien Law Litigation"}),))
    >>> lexicon.equivalents("council for alien law litigation")
    {'CALL'}
    >>> lexicon.equivalents("call")
    set()
    """

    groups: tuple[frozenset[str], ...]

    def equivalents(self, name: str) -> set[str]:
        """The other names of the thing `name` names; empty when unknown."""
        key = _key(name)
        for group in self.groups:
            if key in {_key(other) for other in group}:
                return {other for other in group if _key(other) != key}
        return set()


def mine_lexicon(texts: Iterable[str]) -> Lexicon:
    """Name groups from document or chunk texts, merged where they share a name.

    >>> [sorted(g) for g in mine_lexicon(["the Council for Alien Law Litigation (CALL) and (RvV/CCE)."]).groups]
    [['CALL', 'Council for Alien Law Litigation']]
    >>> mine_lexicon(["As shown (Graph 3), 26 303 entered the reception network (IN)."]).groups
    ()
    """
    groups: list[set[str]] = []
    for text in texts:
        for line in text.splitlines():
            if line.count("\t") >= 2:
                groups.append(_table_row(line.split("\t")))
                continue
            groups += [{acronym, name} for acronym, name in _glossary_entries(line.strip())]
            groups += _inline_definitions(_join_breaks(line))
    return Lexicon(_merge(group for group in groups if len(group) > 1))


def with_synonyms(lexicon: Lexicon, synonyms: Iterable[frozenset[str]] = GLOSSARY_SYNONYMS) -> Lexicon:
    """The mined lexicon with the glossary's synonym groups merged in.

    >>> lexicon = with_synonyms(Lexicon(()), (frozenset({"asylum seekers", "applicants for international protection"}),))
    >>> expand_query("Where do Asylum seekers sleep?", lexicon)
    'Where do Asylum seekers sleep? applicants for international protection'
    """
    return Lexicon(_merge([*map(set, lexicon.groups), *map(set, synonyms)]))


def expand_query(query: str, lexicon: Lexicon, usage: Mapping[str, int] | None = None) -> str:
    """`query` followed by other names of every acronym or long name in it.

    With `usage` (how many passages use each name), only the most used name
    of each group is added, and only when the query's own name is used less:
    "CGVS" brings "CGRS", but "CGRS" brings nothing, since a list of six
    alternative names would drown the question's other words. A group of
    everyday words (the glossary synonyms, all lower case) brings its two
    most used names: the report says "removal" and "forced return" for
    what a user calls deporting.

    >>> words = Lexicon((frozenset({"deported", "removal", "forced return"}),))
    >>> expand_query("Who was deported?", words, {"removal": 12, "forced return": 9})
    'Who was deported? removal forced return'

    >>> lexicon = Lexicon((frozenset({"PCSW", "OCMW", "Public Centre for Social Welfare"}),))
    >>> expand_query("How many OCMW clients?", lexicon)
    'How many OCMW clients? PCSW Public Centre for Social Welfare'
    >>> expand_query("How many OCMW clients?", lexicon, {"PCSW": 9, "OCMW": 2})
    'How many OCMW clients? PCSW'
    >>> expand_query("How many PCSW clients?", lexicon, {"PCSW": 9, "OCMW": 2})
    'How many PCSW clients?'
    >>> expand_query("How many ocmw clients?", lexicon)
    'How many ocmw clients?'
    """
    found = []
    for group in lexicon.groups:
        present = [(m.start(), name) for name in group if (m := _find(name, query))]
        if present:
            found.append((min(present)[0], [name for _, name in present], group))
    added: list[str] = []
    for _, present, group in sorted(found, key=lambda item: item[0]):
        if usage is not None:
            own = max(usage.get(n, 0) for n in present)
            ranked = sorted(group, key=lambda n: (usage.get(n, 0), " " not in n, n), reverse=True)
            candidates = [n for n in ranked[: 2 if all(n.islower() for n in group) else 1] if usage.get(n, 0) > own]
            if not candidates:
                continue
        else:
            candidates = sorted(group, key=lambda n: (" " in n, n))
        for name in candidates:
            if not _find(name, " ".join([query, *added])):
                added.append(name)
    return " ".join([query, *added])


def reword(query: str, lexicon: Lexicon, usage: Mapping[str, int]) -> str:
    """`query` with each name it uses replaced by the name of its group the
    corpus uses most (when that one is used more): the question in the
    report's words, for the embedding model, which an appended list of
    names would pull off topic.

    >>> lexicon = Lexicon((frozenset({"sought asylum", "applied for international protection"}),))
    >>> reword("How many people sought asylum in 2024?", lexicon, {"applied for international protection": 3})
    'How many people applied for international protection in 2024?'
    >>> reword("How many applied for international protection?", lexicon, {"applied for international protection": 3})
    'How many applied for international protection?'
    """
    for group in lexicon.groups:
        best = max(group, key=lambda n: (usage.get(n, 0), " " not in n, n))
        for name in sorted(group, key=len, reverse=True):
            if usage.get(best, 0) > usage.get(name, 0) and (match := _find(name, query)):
                query = query[: match.start()] + best + query[match.end() :]
    return query


def names_in(text: str, lexicon: Lexicon) -> list[frozenset[str]]:
    """The groups of the lexicon that `text` names (as expand_query matches).

    >>> lexicon = Lexicon((frozenset({"CALL", "Council for Alien Law Litigation"}),))
    >>> [sorted(g) for g in names_in("What does CALL stand for?", lexicon)], names_in("a call", lexicon)
    ([['CALL', 'Council for Alien Law Litigation']], [])
    """
    return [group for group in lexicon.groups if any(_find(name, text) for name in group)]


def starts_with_name(text: str, name: str) -> bool:
    """Whether `text` begins with `name` (as expand_query matches names).

    >>> starts_with_name("CALL in asylum law", "CALL"), starts_with_name("the CALL", "CALL")
    (True, False)
    """
    return bool(_pattern(name).match(text.lstrip()))


def spells_out(sentence: str, group: frozenset[str]) -> bool:
    """Whether a sentence gives two names of one thing: an acronym with its
    long name ("Council for Alien Law Litigation (CALL)"), i.e. says what
    the acronym stands for.

    >>> group = frozenset({"CALL", "Council for Alien Law Litigation"})
    >>> spells_out("CALL\tCouncil for Alien Law Litigation", group), spells_out("The CALL ruled.", group)
    (True, False)
    """
    return sum(1 for name in group if _find(name, _join_breaks(sentence))) >= 2


def name_usage(lexicon: Lexicon, texts: Iterable[str]) -> dict[str, int]:
    """How many of `texts` use each name of the lexicon (as expand_query matches)."""
    folded = [(t, t.casefold()) for t in texts]
    usage = {}
    for group in lexicon.groups:
        for name in group:
            # A cheap substring test on the name's longest word first: the
            # regex runs only on texts that can match (70,000 chunks x 1,500
            # names would otherwise take minutes).
            word = _longest_word(name)
            usage[name] = sum(1 for t, low in folded if word in low and _pattern(name).search(t))
    return usage


def _find(name: str, text: str) -> re.Match[str] | None:
    # The name's longest word must be in the text for the pattern to match:
    # a substring test first spares most of the regex searches (reword and
    # expand_query try every name of the lexicon on each question).
    if _longest_word(name) not in text.casefold():
        return None
    return _pattern(name).search(text)


@lru_cache(maxsize=None)
def _longest_word(name: str) -> str:
    return max(name.split(), key=len).casefold() if name.split() else ""


@lru_cache(maxsize=None)
def _pattern(name: str) -> re.Pattern[str]:
    # Acronyms are case-sensitive so that "call" or "in" never match CALL or IN;
    # names of several words and lower-case words match in any case.
    pattern = r"\s+".join(map(re.escape, name.split()))
    flags = re.IGNORECASE if " " in name or name.islower() else 0
    return re.compile(rf"(?<!\w){pattern}(?!\w)", flags)


def _key(name: str) -> str:
    name = " ".join(name.split())
    return name.casefold() if " " in name else name


def _join_breaks(text: str) -> str:
    """Undo PDF hyphenation: "Vreemdelin- genbetwistingen" -> "Vreemdelingenbetwistingen".

    >>> _join_breaks("So- cial, Dutch-speaking, Inlichtingen- en Opsporingsdienst")
    'Social, Dutch-speaking, Inlichtingen- en Opsporingsdienst'
    """
    return _BREAK.sub(r"\1\2", text)


def _table_row(cells: Sequence[str]) -> set[str]:
    """The names in one row "acronym, English, Dutch, French" of an acronym table."""
    cells = [cell.strip() for cell in cells if cell.strip()]
    first = cells[0].translate(_CYRILLIC) if cells else ""
    english = _join_breaks(cells[1]) if len(cells) > 1 else ""
    # Other tables (salary thresholds, publication lists) have no acronym key
    # or no long name beside it.
    if not re.fullmatch(r"[A-Z][A-Za-z]{1,9}", first) or not re.fullmatch(r"[A-Z][^\d]* [^\d]+", english):
        return set()
    names = {first}
    for cell in map(_join_breaks, cells[1:]):
        if cell == "/":  # no such name in that language
            continue
        for acronym in re.findall(r"\(([^()]+)\)", cell):
            if _ACRONYM.fullmatch(acronym.translate(_CYRILLIC)):
                names.add(acronym.translate(_CYRILLIC))
        names.add(" ".join(re.sub(r"\([^()]*\)", " ", cell).split()))
    return names - {""}


def _glossary_entries(line: str) -> list[tuple[str, str]]:
    """(acronym, long name) pairs of a glossary line; a PDF may put two on one line.

    >>> _glossary_entries("EEA European Economic Area")
    [('EEA', 'European Economic Area')]
    >>> _glossary_entries("EU Member States agreed")
    []
    """
    match = _GLOSSARY_LINE.fullmatch(line)
    if not match or not _ACRONYM.fullmatch(match[1]) or len(line.split()) > 20:
        return []
    acronym, rest = match.groups()
    for inner in re.finditer(r"\s(?=[A-Z]{2,10}\s[A-Z])", rest):
        later = _glossary_entries(rest[inner.end() :])
        # A line holding two entries is a glossary: trust the first one too
        # ("EUROPOL European Union Agency for Law Enforcement Cooperation").
        if later and _fold(rest)[0] == _letters(acronym)[0]:
            return [(acronym, rest[: inner.start()].strip()), *later]
    words = _words(rest)
    if any(_spells(_letters(acronym), [w for _, w in words[i:]]) for i in range(len(words))):
        return [(acronym, rest.strip())]
    return []


def _inline_definitions(line: str) -> list[set[str]]:
    """Groups from "Long Name (ACRO)", "Long Name (A/B)" and "Long Name (Fedasil)"."""
    groups = []
    for match in _INLINE.finditer(line):
        before, inside = line[: match.start()], match[1].translate(_CYRILLIC)
        alternatives = inside.split("/")
        if all(_ACRONYM.fullmatch(a) for a in alternatives):
            name = next(filter(None, (_spelled_name(a, before) for a in alternatives)), None)
            # "(RvV/CCE)" names the Dutch and French acronyms of an English
            # name, so their letters need not match it.
            if name is None and len(alternatives) > 1:
                name = _capitalised_name(before, min_capitals=2)
            if name:
                groups.append({name, *alternatives})
        elif _PROPER_NAME.fullmatch(inside):
            name = _capitalised_name(before, min_capitals=3, initial=inside[0])
            if name:
                groups.append({name, inside})
    return groups


def _words(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m[0]) for m in _WORD.finditer(text)]


def _letters(acronym: str) -> str:
    # "IDPs" spells "IDP"; digits and "&" rarely stand for a word ("DT4E").
    acronym = re.sub(r"(?<=[A-Z])s$", "", acronym)
    return _fold(re.sub(r"[^A-Za-z]", "", acronym))


def _fold(word: str) -> str:
    """Lower case, no accents, no elided article: "d'Étrangers" -> "etrangers"."""
    word = re.sub(r"^[dlDL]['’]", "", word)
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).lower()


def _name_words(before: str) -> list[tuple[int, str]]:
    """The words right before a "(", back to the last comma, period or number."""
    words = _words(before)
    run: list[tuple[int, str]] = []
    end = len(before)
    for start, word in reversed(words):
        if not re.fullmatch(r"[\s/*-]*", before[start + len(word) : end]) or word[0].isdigit():
            break
        run.insert(0, (start, word))
        end = start
    return run


def _spelled_name(acronym: str, before: str) -> str | None:
    """The longest run of words ending at "(" whose starts spell `acronym`.

    Longest, so that "Common Community Commission (COCOM)" is not read as
    "Community Commission"; the run is at most five words longer than the
    acronym (Schwartz and Hearst's bound). A name starts with a capital or is
    all lower case: not "establishing a European Travel ... System (ETIAS)".
    """
    letters = _letters(acronym)
    run = _name_words(before)[-(len(letters) + 5) :]
    for i, (start, word) in enumerate(run):
        following = [w for _, w in run[i + 1 :] if _fold(w) not in _SMALL_WORDS][:1]
        if word[0].islower() and following and following[0][0].isupper():
            continue
        if _spells(letters, [w for _, w in run[i:]]):
            return before[start:].strip(" -/*")
    return None


def _spells(letters: str, words: Sequence[str], skips: int | None = None, first: bool = True) -> bool:
    """Whether `letters` read off the starts of `words` in order.

    Each word gives a prefix ("Individual CAse Management" -> ICAM); small words
    may give nothing, and a long acronym may ignore one other word ("Office of
    the Commissioner General for Refugees and Stateless Persons" -> CGRS).

    >>> _spells("icam", ["Individual", "Case", "Management"])
    True
    >>> _spells("in", ["individuals", "entered", "the", "reception", "network"])
    False
    """
    if skips is None:
        skips = 1 if len(letters) >= 4 else 0
    if not words or not letters:
        return not letters and sum(_fold(w) not in _SMALL_WORDS for w in words) <= skips
    word, rest = _fold(words[0]), words[1:]
    # The first word is never skipped: the name starts with the acronym's first letter.
    cost = 0 if word in _SMALL_WORDS else 1
    if not first and cost <= skips and _spells(letters, rest, skips - cost, False):
        return True
    taken = 0
    while taken < min(len(letters), len(word)) and letters[taken] == word[taken]:
        taken += 1
        if _spells(letters[taken:], rest, skips, False):
            return True
    return False


def _capitalised_name(before: str, min_capitals: int, initial: str = "") -> str | None:
    """The capitalised name ending at "(": "the Federal Agency for the Reception of Asylum Seekers"."""
    run = []
    for start, word in reversed(_name_words(before)):
        if not (word[0].isupper() or word in _SMALL_WORDS):
            break
        run.insert(0, (start, word))
    while run and (run[0][1].lower() in _SMALL_WORDS):
        run.pop(0)  # "the", "The"
    words = [w for _, w in run]
    # A one-word name shares its initial with the name it follows; organisation
    # names link words with "for", "of", "and", person names ("To: Aintzane De
    # Aguirre (Actiris)") do not.
    if initial and not (words and words[0][0] == initial and any(w in _SMALL_WORDS for w in words)):
        return None
    if sum(w[0].isupper() for w in words) < min_capitals:
        return None
    return before[run[0][0] :].strip(" -/*")


def _merge(groups: Iterable[set[str]]) -> tuple[frozenset[str], ...]:
    """Union groups that share a name (by `_key`), transitively, in first-seen order."""
    merged: list[set[str]] = []
    for group in groups:
        keys = {_key(name) for name in group}
        overlapping = [i for i, m in enumerate(merged) if keys & {_key(name) for name in m}]
        for i in reversed(overlapping):
            group |= merged.pop(i)
        merged.insert(overlapping[0] if overlapping else len(merged), group)
    # Of two spellings of one long name ("Public centre", "Public Centre")
    # keep the capitalised one, the sorted-first.
    return tuple(frozenset({_key(n): n for n in sorted(m, reverse=True)}.values()) for m in merged)
