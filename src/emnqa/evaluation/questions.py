"""The evaluation question set: one JSON object per line.

    {"id": "ip-001", "question": "How many people applied for asylum in 2024?",
     "answers": ["39 615"], "doc": "overview-2024", "answerable": true,
     "type": "numeric", "history": []}

`answers` are short gold strings copied verbatim from the document; any one of
them proves the answer. Follow-ups carry the conversation before them in
`history`. Unanswerable questions have no answers and `answerable: false`.

The train and test splits add three keys: `lang` ("fr" or "nl"; absent means
English), `evidence` for an answerable item (the sentence that answers it:
`{"doc", "text", "start", "end"}`, character offsets into the document's
text), and `searches` for an unanswerable one (what was searched to confirm
that the documents do not answer it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import EmnqaError
from ..types import Turn

# The type a question's writer gave it (a label of the question file), not
# the type the assistant detects (emnqa.query.qtype.QUESTION_TYPES, which
# says "quantity" where writers say "numeric"): the frozen test split is
# written in these labels, so the two vocabularies stay apart, each named.
QUESTION_LABELS = ("numeric", "date", "who", "what", "definition", "list", "why")
LANGUAGES = ("en", "fr", "nl")
ROLES = ("user", "assistant")
_WS = re.compile(r"\s+")


class QuestionSetError(EmnqaError):
    """A question file that does not follow the format."""


@dataclass(frozen=True)
class Evidence:
    """The sentence that answers a question: `text == document.text[start:end]`.

    >>> Evidence("overview-2024", "39 615 applied.", 10, 25).overlaps(Evidence("overview-2024", "x", 20, 30))
    True
    """

    doc: str
    text: str
    start: int
    end: int

    def overlaps(self, other: "Evidence") -> bool:
        return self.doc == other.doc and self.start < other.end and other.start < self.end

    def to_dict(self) -> dict:
        return {"doc": self.doc, "text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    doc: str | None
    answerable: bool
    type: str
    history: tuple[Turn, ...] = ()
    lang: str = "en"
    evidence: Evidence | None = None
    searches: tuple[str, ...] = ()
    split: str = ""  # the split the question was loaded from ("train", "dev", "test"); not in the file

    @property
    def is_followup(self) -> bool:
        return bool(self.history)

    def to_dict(self) -> dict:
        extra: dict = {}
        if self.lang != "en":
            extra["lang"] = self.lang
        if self.evidence is not None:
            extra["evidence"] = self.evidence.to_dict()
        if self.searches:
            extra["searches"] = list(self.searches)
        return {
            "id": self.id,
            "question": self.question,
            "answers": list(self.answers),
            "doc": self.doc,
            "answerable": self.answerable,
            "type": self.type,
            "history": [{"role": t.role, "content": t.content} for t in self.history],
            **extra,
        }


def normalise(text: str) -> str:
    """Case and white space folded, for matching gold strings.

    >>> normalise("  39\\u00a0615 Applicants\\n")
    '39 615 applicants'
    """
    return _WS.sub(" ", text).strip().lower()


def contains_gold(text: str, answers) -> bool:
    """Whether `text` contains any of the gold strings (normalised)."""
    folded = normalise(text)
    return any(normalise(a) in folded for a in answers)


def load_questions(path: Path) -> list[Question]:
    """Read and check a question file; errors name the line and the fix."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise QuestionSetError(f"No question file at {path}. Pass --questions FILE.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionSetError(f"Cannot read {path}: {exc}") from None
    questions: list[Question] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QuestionSetError(f"{where} is not JSON ({exc.msg}); each line must be one JSON object.") from None
        question = _question(data, where)
        if question.id in seen:
            raise QuestionSetError(f"{where}: id {question.id!r} is used twice; ids must be unique.")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise QuestionSetError(f"{path} holds no questions.")
    return questions


def _question(data: object, where: str) -> Question:
    if not isinstance(data, dict):
        raise QuestionSetError(f"{where} must be a JSON object.")
    for key in ("id", "question", "answerable", "type"):
        if key not in data:
            raise QuestionSetError(f"{where} has no {key!r}.")
    if not isinstance(data["question"], str) or not data["question"].strip():
        raise QuestionSetError(f"{where}: 'question' must be a non-empty string.")
    answers = data.get("answers") or []
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise QuestionSetError(f"{where}: 'answers' must be a list of non-empty strings.")
    answerable = data["answerable"]
    if not isinstance(answerable, bool):
        raise QuestionSetError(f"{where}: 'answerable' must be true or false, not {answerable!r}.")
    if answerable and not answers:
        raise QuestionSetError(f"{where}: an answerable question needs at least one gold string in 'answers'.")
    if not answerable and answers:
        raise QuestionSetError(f"{where}: an unanswerable question must have no 'answers'.")
    if data["type"] not in QUESTION_LABELS:
        raise QuestionSetError(f"{where}: type {data['type']!r} is not one of {', '.join(QUESTION_LABELS)}.")
    history = []
    for turn in data.get("history") or []:
        if not isinstance(turn, dict) or turn.get("role") not in ROLES or not isinstance(turn.get("content"), str):
            raise QuestionSetError(f"{where}: each history turn must be {{'role': 'user'|'assistant', 'content': str}}.")
        history.append(Turn(turn["role"], turn["content"]))
    lang = data.get("lang", "en")
    if lang not in LANGUAGES:
        raise QuestionSetError(f"{where}: lang {lang!r} is not one of {', '.join(LANGUAGES)}.")
    searches = data.get("searches") or []
    if not isinstance(searches, list) or not all(isinstance(s, str) and s.strip() for s in searches):
        raise QuestionSetError(f"{where}: 'searches' must be a list of non-empty strings.")
    return Question(
        id=str(data["id"]),
        question=data["question"],
        answers=tuple(answers),
        doc=data.get("doc") or None,
        answerable=answerable,
        type=data["type"],
        history=tuple(history),
        lang=lang,
        evidence=_evidence(data.get("evidence"), where),
        searches=tuple(searches),
    )


def _evidence(data: object, where: str) -> Evidence | None:
    if data is None:
        return None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("doc"), str)
        or not isinstance(data.get("text"), str)
        or not all(isinstance(data.get(k), int) and not isinstance(data.get(k), bool) for k in ("start", "end"))
        or not 0 <= data["start"] < data["end"]
    ):
        raise QuestionSetError(
            f"{where}: 'evidence' must be {{'doc': str, 'text': str, 'start': int, 'end': int}} with 0 <= start < end; "
            "eval/locate_evidence.py DOC TEXT prints it."
        )
    return Evidence(data["doc"], data["text"], data["start"], data["end"])
