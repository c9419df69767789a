"""A question and its conversation made English: each user turn's language
detected (a short follow-up keeps the conversation's), French and Dutch
turns translated by the lexicon, so that the stages after this one read
English only. The assistant's turns are already English (quotes of the
documents) and pass as they are.

>>> from emnqa.language.lexicon import Entry, TrilingualLexicon
>>> lexicon = TrilingualLexicon.of([Entry("fr", "combien de", ("how many",), "question", "general"),
...     Entry("fr", "et", ("and",), "function", "general"), Entry("fr", "en", ("in",), "function", "general"),
...     Entry("fr", "demande d'asile", ("asylum application",), "term", "domain")])
>>> history = [Turn("user", "Combien de demandes d'asile en 2024 ?"), Turn("assistant", "39 615 [1]")]
>>> understood = to_english("Et en 2023 ?", history, lexicon)
>>> understood.language, understood.question, understood.history[0].content
('fr', 'and in 2023?', 'how many asylum application in 2024?')
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from ..config import HISTORY_WINDOW
from ..types import Answer, Turn
from .detect import Detection, detect_language, unsupported_message
from .lexicon import TrilingualLexicon, default_lexicon
from .translate import Translation, translate_question


@dataclass(frozen=True)
class Understood:
    """The question in English, its conversation in English, and what was detected."""

    detection: Detection
    translation: Translation
    history: tuple[Turn, ...]

    @property
    def language(self) -> str:
        return self.detection.language

    @property
    def supported(self) -> bool:
        return self.detection.supported

    @property
    def question(self) -> str:
        """The English question searched (the user's own words when English)."""
        return self.translation.english

    def declined(self) -> Answer:
        """The answer to a question in a language emnqa does not read: one sentence, nothing searched."""
        text = self.translation.text
        return Answer(text, text, unsupported_message(self.detection) + "\n", True, (), (), "other",
                      abstain_reasons=("language",), language=self.language)


def warm_up() -> threading.Thread:
    """Load the language identifier and the shipped lexicon (about 2 s
    together) in a background thread, so that starting the assistant does not
    wait for them; a question that needs one before it is ready waits."""
    thread = threading.Thread(target=lambda: (detect_language("Bonjour"), default_lexicon()), daemon=True,
                              name="emnqa-language-warm-up")
    thread.start()
    return thread


def to_english(question: str, history: Sequence[Turn | dict] | None, lexicon: TrilingualLexicon | None = None) -> Understood:
    """`question` and `history` (Turns, or {"role", "content"} dicts) read in
    their languages and rendered in English, with `lexicon` (the shipped one
    when None, read only when a turn is in French or Dutch). Only the last
    HISTORY_WINDOW turns are read: the follow-up reader reads no more."""
    previous: str | None = None
    turns: list[Turn] = []
    for turn in list(history or ())[-HISTORY_WINDOW:]:
        turn = turn if isinstance(turn, Turn) else Turn(turn["role"], turn["content"])
        if turn.role != "user":
            turns.append(turn)
            continue
        detection = detect_language(turn.content, previous)
        previous = detection.language if detection.supported else previous
        language = previous or "en"
        turns.append(Turn("user", _translated(turn.content, language, lexicon).english))
    detection = detect_language(question, previous)
    language = detection.language if detection.supported else "en"
    return Understood(detection, _translated(question, language, lexicon), tuple(turns))


def _translated(text: str, language: str, lexicon: TrilingualLexicon | None) -> Translation:
    if language == "en":
        return Translation(language, text, text)
    return translate_question(text, language, lexicon or default_lexicon())
