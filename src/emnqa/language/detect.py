"""Which language a question is in: English, French or Dutch, or another one.

py3langid (a maintained fork of langid.py, its model inside the wheel)
classifies the question among a dozen languages Belgian users may type,
after the tokens that say nothing about a language are taken out: numbers,
years and acronyms ("CGRS 2024?"). Short questions are where identifiers
fail, so a guess below `MIN_PROBABILITY` does not count: a follow-up keeps
the conversation's language ("Et en 2023 ?"), a first question is read as
English, the documents' language.

>>> detect_language("Combien de demandes d'asile en 2024 ?").language
'fr'
>>> detect_language("Hoeveel asielaanvragen waren er in 2024?").language
'nl'
>>> detect_language("CGRS 2024?").language
'en'
>>> detect_language("Wie viele Asylanträge gab es 2024 in Belgien?").supported
False
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

SUPPORTED = ("en", "fr", "nl")
# The languages told apart: the three supported, and those a user in Belgium
# may otherwise type, so that a German or Spanish question is recognised as
# such instead of being read as the nearest supported one. Without the
# restriction, py3langid's 97 languages read short English questions as Latin
# or Pidgin and Dutch ones as Afrikaans or Frisian (21 of 1 446 own questions
# wrong, against 6 with it).
CANDIDATES = ("en", "fr", "nl", "de", "es", "it", "pt", "pl", "ro", "tr", "ar", "ru", "uk")
NAMES = {
    "en": "English", "fr": "French", "nl": "Dutch", "de": "German", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "pl": "Polish", "ro": "Romanian", "tr": "Turkish", "ar": "Arabic", "ru": "Russian",
    "uk": "Ukrainian",
}
# Below this probability the guess is not trusted (the conversation's language,
# or English, is kept). Chosen on the train split's questions (eval/README.md).
MIN_PROBABILITY = 0.5
# Numbers, years, acronyms (two capitals or more) and URLs: no language's words.
_NEUTRAL = re.compile(r"https?://\S+|\b[\w-]*[A-Z][\w-]*[A-Z][\w-]*\b|[\d][\d\s.,/%-]*")


@dataclass(frozen=True)
class Detection:
    """The language a question is read in, and how sure the identifier was.

    `language` is always one of SUPPORTED when `supported`; otherwise it is
    the other language recognised (its code, NAMES gives its name).
    """

    language: str
    probability: float
    supported: bool = True


def detect_language(text: str, previous: str | None = None, min_probability: float = MIN_PROBABILITY) -> Detection:
    """The language of `text`; `previous` is the conversation's language so far.

    >>> detect_language("Et en 2023 ?", previous="fr").language
    'fr'
    >>> detect_language("2023?", previous="nl")
    Detection(language='nl', probability=0.0, supported=True)
    """
    fallback = previous if previous in SUPPORTED else "en"
    words = _NEUTRAL.sub(" ", text)
    if not re.search(r"[^\W\d_]{2,}", words):
        return Detection(fallback, 0.0)
    language, probability = _identifier().classify(words)
    probability = float(probability)
    if probability < min_probability:
        return Detection(fallback, probability)
    return Detection(language, probability, language in SUPPORTED)


def unsupported_message(detection: Detection) -> str:
    """The one sentence that answers a question in a language not supported.

    >>> unsupported_message(Detection("de", 0.99, False))
    'This looks like German: emnqa answers questions in English, French or Dutch (Nederlands, français, English).'
    """
    name = NAMES.get(detection.language, detection.language)
    return f"This looks like {name}: emnqa answers questions in English, French or Dutch (Nederlands, français, English)."


_LOADED: list = []
_LOCK = threading.Lock()


def _identifier():
    """py3langid's model, loaded once (0.7 s, about 100 MB) even when a
    warm-up thread and a question ask for it at once."""
    with _LOCK:
        if not _LOADED:
            from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(CANDIDATES))
            _LOADED.append(identifier)
        return _LOADED[0]
