"""The trilingual lexicon: French and Dutch words and phrases with the English
the documents use for them, read from the tab-separated files of
`language/lexicon/` (their format: that folder's README.md).

Terms and questions are tokenised and lemmatised alike (simplemma), so a
row in the dictionary form matches its inflections: "demande d'asile"
matches "demandes d'asile", "asielaanvraag" matches "asielaanvragen".

>>> rows = [Entry("fr", "demande d'asile", ("asylum application",), "term", "domain")]
>>> lexicon = TrilingualLexicon.of(rows)
>>> lexicon.lookup("fr", tokens("fr", "demandes d'asile")).english
('asylum application',)
"""

from __future__ import annotations

import csv
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError

LEXICON_DIR = Path(__file__).with_name("lexicon")
COLUMNS = ("lang", "term", "english", "kind", "source")
LANGUAGES = ("fr", "nl")
KINDS = frozenset({"term", "body", "verb", "adjective", "question", "function", "time", "number", "place",
                   "nationality", "general"})
SOURCES = frozenset({"acronym-table", "law-titles", "emn-glossary", "domain", "general"})
# Words, with French elisions split off ("d'", "qu'") and inversions
# ("a-t-il", "est-ce") cut at their hyphens; Dutch compounds with a hyphen
# ("niet-begeleide") stay one word.
_TOKEN = re.compile(r"\d[\d.,\s]*\d|\d|[^\W\d_]+(?:['’](?=[^\W\d_]))?(?:-[^\W\d_]+)*")
_ELISION = re.compile(r"^(?:qu|[dljnstcm]|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_DUTCH_PLURAL = re.compile(r"(\w)['’]s\b")
_INVERSION = re.compile(r"-(?:t-)?(?:il|elle|ils|elles|on|ce|je|tu|nous|vous|là|ci)$", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    """One row: a French or Dutch term and its English renderings, best first."""

    lang: str
    term: str
    english: tuple[str, ...]
    kind: str
    source: str


@dataclass(frozen=True)
class Token:
    """A word of a question: as written; in lower case; its lemma; and both
    folded (no accents: users type "equivalent" for "équivalent")."""

    text: str
    lower: str
    lemma: str
    folded: str
    folded_lemma: str

    def form(self, kind: str) -> str:
        return getattr(self, kind)


# The forms a question's words are looked up by, in this order: as written
# ("où" is "where", "ou" is "or"), lemmatised ("demandé" is the verb
# "demander", not the noun "demande"), then without accents.
FORMS = ("lower", "lemma", "folded", "folded_lemma")


def fold(text: str) -> str:
    """Lower case without accents: users type "equivalent" for "équivalent".

    >>> fold("Réfugiés ")
    'refugies'
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'").strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(lang: str, text: str) -> list[Token]:
    """The words of `text` in language `lang`, lemmatised.

    >>> [t.folded for t in tokens("fr", "Qu'est-ce qu'un MENA a-t-il reçu ?")]
    ["qu'", 'est', 'ce', "qu'", 'un', 'mena', 'a', 'il', 'recu']
    >>> [t.lemma for t in tokens("nl", "asielaanvragen minderjarigen")]
    ['asielaanvraag', 'minderjarige']
    >>> [t.text for t in tokens("nl", "NBMV's en ngo's")]
    ['NBMV', 'en', 'ngo']
    """
    out: list[Token] = []
    if lang == "nl":  # a Dutch plural after an apostrophe is the word's: "NBMV's", "ngo's" -> NBMV, ngo
        text = _DUTCH_PLURAL.sub(r"\1", text)
    for match in _TOKEN.finditer(text):
        word = match.group()
        pieces: list[str] = []
        if lang == "fr":
            while (elided := _ELISION.match(word)) and len(word) > elided.end():
                pieces.append(word[: elided.end()])
                word = word[elided.end() :]
            inverted: list[str] = []
            while (inversion := _INVERSION.search(word)) and inversion.start() > 0:
                inverted.insert(0, inversion.group().strip("-").split("-")[-1])
                word = word[: inversion.start()]
            pieces += [word, *inverted]
        else:
            pieces.append(word)
        out += [_token(lang, piece) for piece in pieces]
    return out


def _token(lang: str, word: str) -> Token:
    lower = word.casefold().replace("’", "'")
    lemma = _lemma(lang, word).casefold()
    return Token(word, lower, lemma, fold(lower), fold(lemma))


class TrilingualLexicon:
    """The rows by language, found by their token sequences (folded or lemmatised)."""

    def __init__(self, entries: Sequence[Entry]):
        self.entries = tuple(entries)
        # One table per form; a question's words are tried in FORMS order
        # against all of a term's forms, so an inflected or accent-free
        # question still finds the row written in the dictionary form.
        self._keys: dict[tuple[str, tuple[str, ...]], Entry] = {}
        self._exact: dict[tuple[str, tuple[str, ...]], Entry] = {}
        self.longest = 1
        for entry in self.entries:
            words = tokens(entry.lang, entry.term)
            self._exact.setdefault((entry.lang, tuple(t.lower for t in words)), entry)
            for form in FORMS:
                # The first row wins; tests/test_language.py checks that no
                # term has two different renderings across the files.
                self._keys.setdefault((entry.lang, tuple(t.form(form) for t in words)), entry)
            self.longest = max(self.longest, len(words))

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> "TrilingualLexicon":
        return cls(list(entries))

    def lookup(self, lang: str, words: Sequence[Token]) -> Entry | None:
        """The row whose term is `words`, as written first, then lemmatised,
        then without accents; None if none."""
        if (entry := self._exact.get((lang, tuple(t.lower for t in words)))) is not None:
            return entry
        for form in FORMS[1:]:
            if (entry := self._keys.get((lang, tuple(t.form(form) for t in words)))) is not None:
                return entry
        return None

    def knows(self, lang: str, word: str) -> Entry | None:
        """The row of a single word (any form), for splitting compounds."""
        return self._exact.get((lang, (word,))) or self._keys.get((lang, (word,)))

    def size(self, lang: str) -> int:
        return sum(1 for e in self.entries if e.lang == lang)


def read_lexicon(folder: Path | str = LEXICON_DIR) -> list[Entry]:
    """The rows of every `*.tsv` in `folder`, in file-name order; ConfigError
    naming the file and line of a malformed row."""
    folder = Path(folder)
    files = sorted(folder.glob("*.tsv"))
    if not files:
        raise ConfigError(f"No lexicon files (*.tsv) in {folder}. Reinstall emnqa: the lexicon ships with the package.")
    entries: list[Entry] = []
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None)
            if header is None or tuple(h.strip() for h in header) != COLUMNS:
                raise ConfigError(f"{path}: the header must be {' '.join(COLUMNS)} (tab-separated); it is {header}.")
            for number, row in enumerate(reader, start=2):
                entries.append(_entry(row, f"{path.name}:{number}"))
    return entries


def _entry(row: list[str], where: str) -> Entry:
    if len(row) != len(COLUMNS):
        raise ConfigError(f"{where}: a row has {len(COLUMNS)} tab-separated fields; this one has {len(row)}.")
    lang, term, english, kind, source = (cell.strip() for cell in row)
    if lang not in LANGUAGES:
        raise ConfigError(f"{where}: lang must be one of {', '.join(LANGUAGES)}; it is {lang!r}.")
    if not term:
        raise ConfigError(f"{where}: the term is empty.")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {', '.join(sorted(KINDS))}; it is {kind!r}.")
    if source not in SOURCES:
        raise ConfigError(f"{where}: source must be one of {', '.join(sorted(SOURCES))}; it is {source!r}.")
    renderings = tuple(part.strip() for part in english.split("|") if part.strip())
    return Entry(lang, term, renderings, kind, source)


_DEFAULT: list[TrilingualLexicon] = []
_DEFAULT_LOCK = threading.Lock()


def default_lexicon() -> TrilingualLexicon:
    """The lexicon shipped in the package, read once per process (about a
    second: every term is lemmatised). Thread-safe: a question that needs it
    while a background warm-up reads it waits for that one reading."""
    with _DEFAULT_LOCK:
        if not _DEFAULT:
            _DEFAULT.append(TrilingualLexicon(read_lexicon()))
        return _DEFAULT[0]


@lru_cache(maxsize=65536)
def _lemma(lang: str, word: str) -> str:
    import simplemma

    if not word[:1].isalpha():
        return word
    return simplemma.lemmatize(word, lang=lang)
