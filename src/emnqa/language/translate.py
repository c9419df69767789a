"""A French or Dutch question rendered as the English query emnqa searches:
dictionary-based query translation, the classic approach of cross-language
retrieval, with no translation model.

The question's words are lemmatised (simplemma) and looked up longest phrase
first in the trilingual lexicon ("demande de protection internationale"
before "demande"); a Dutch compound the lexicon lacks is split into two
words it knows ("opvang|centra" -> "reception centre"); names, numbers and
acronyms pass through as written. Each phrase gives its first English
rendering, in place. (Its other renderings are not searched: appended after
the question they cost train's French and Dutch questions answer@any 0.756
-> 0.690, eval/README.md; the English query's own synonyms are added by
the search stage, as for an English question.)

>>> from emnqa.language.lexicon import Entry, TrilingualLexicon
>>> lexicon = TrilingualLexicon.of([
...     Entry("fr", "combien de", ("how many",), "question", "general"),
...     Entry("fr", "demande d'asile", ("asylum application", "application for international protection"), "term", "domain"),
...     Entry("fr", "en", ("in",), "function", "general"),
...     Entry("fr", "le", (), "function", "general"),
... ])
>>> translate_question("Combien de demandes d'asile en 2024 ?", "fr", lexicon).english
'how many asylum application in 2024?'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .lexicon import Entry, Token, TrilingualLexicon, tokens

# Kinds whose words are not content: they do not count in the coverage.
_NOT_CONTENT = frozenset({"function", "question"})
# The Dutch linking sounds between the parts of a compound: asiel|aanvraag,
# opvang|s|centrum, kind|er|en|opvang.
_LINKS = ("", "s", "e", "en", "er")


@dataclass(frozen=True)
class Translation:
    """The user's question in `language` and the English query made of it.

    `found` are the lexicon phrases the question used (as written in it),
    `missing` its content words the lexicon did not know (passed through):
    names and acronyms are among them, as they should pass.
    """

    language: str
    text: str
    english: str
    found: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def coverage(self) -> float:
        """The share of the question's content words the lexicon translated."""
        content = len(self.found) + len(self.missing)
        return len(self.found) / content if content else 1.0


def translate_question(text: str, language: str, lexicon: TrilingualLexicon) -> Translation:
    """`text` (French or Dutch) as an English query; English text is returned as it is."""
    if language == "en":
        return Translation(language, text, text)
    words = tokens(language, text)
    main: list[str] = []
    found: list[str] = []
    missing: list[str] = []
    i = 0
    while i < len(words):
        entry, width = _longest(lexicon, language, words, i)
        if entry is not None:
            if entry.english:
                main.append(entry.english[0])
            if entry.kind not in _NOT_CONTENT:
                found.append(" ".join(t.text for t in words[i : i + width]))
            i += width
            continue
        word = words[i]
        parts = _compound(lexicon, language, word) if language == "nl" else None
        if parts is not None:
            main.append(" ".join(p.english[0] for p in parts if p.english))
            found.append(word.text)
        else:
            main.append(word.text)
            if not word.text[:1].isdigit():
                missing.append(word.text)
        i += 1
    english = " ".join(main)
    if text.rstrip().endswith("?"):
        english += "?"
    return Translation(language, text, english, tuple(found), tuple(missing))


def _longest(lexicon: TrilingualLexicon, language: str, words: Sequence[Token], start: int) -> tuple[Entry | None, int]:
    for width in range(min(lexicon.longest, len(words) - start), 0, -1):
        entry = lexicon.lookup(language, words[start : start + width])
        if entry is not None:
            return entry, width
    return None, 0


def _compound(lexicon: TrilingualLexicon, language: str, word: Token) -> tuple[Entry, Entry] | None:
    """A Dutch compound as two words the lexicon knows, the longer head
    first tried: "opvangcentra" -> opvang + centrum.

    >>> from emnqa.language.lexicon import Entry, TrilingualLexicon, tokens
    >>> lexicon = TrilingualLexicon.of([Entry("nl", "opvang", ("reception",), "term", "domain"),
    ...                                Entry("nl", "centrum", ("centre",), "term", "domain")])
    >>> [e.english[0] for e in _compound(lexicon, "nl", tokens("nl", "opvangcentra")[0])]
    ['reception', 'centre']
    """
    folded = word.folded
    if len(folded) < 7 or not folded.isalpha():
        return None
    for cut in range(3, len(folded) - 2):
        head, tail = folded[:cut], folded[cut:]
        right = lexicon.knows(language, tail) or _known_lemma(lexicon, language, tail)
        if right is None or right.kind in _NOT_CONTENT:
            continue
        for link in _LINKS:
            stem = head[: len(head) - len(link)]
            if not head.endswith(link) or len(stem) < 3:
                continue
            left = lexicon.knows(language, stem)
            if left is not None and left.kind not in _NOT_CONTENT:
                return left, right
    return None


def _known_lemma(lexicon: TrilingualLexicon, language: str, word: str) -> Entry | None:
    lemma = tokens(language, word)
    return lexicon.knows(language, lemma[0].lemma) if len(lemma) == 1 else None
