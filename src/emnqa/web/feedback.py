"""Thumbs up / down from the web chat, kept as JSON lines.

Each line holds what a reviewer needs to turn it into an evaluation question
(`eval/questions.jsonl` uses the same "question" and "history" keys): the
question, the conversation before it, the answer, its citations and every
passage retrieved.

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "sub" / "feedback.jsonl"
>>> append_feedback(path, {"rating": "up", "question": "Wie?"})
>>> path.read_text(encoding="utf-8")
'{"rating": "up", "question": "Wie?"}\\n'
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..types import Answer

# One process serves the chat; its worker threads append one line at a time.
_LOCK = threading.Lock()


def append_feedback(path: Path | str, record: Mapping[str, Any]) -> None:
    """Append `record` as one JSON line, creating the file and its folder on
    demand. Raises OSError when the file cannot be written."""
    path = Path(path)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as out:
            out.write(line)


def feedback_record(
    answer: Answer,
    liked: bool,
    *,
    history: Sequence[Mapping[str, str]] = (),
    filters: Mapping[str, Sequence[str]] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The line saved for a rating of `answer`: "up" or "down", when, the
    conversation before the question, the filters in force, then everything
    `Answer.to_dict()` holds (answer text, citations, passages).

    >>> from emnqa.types import Answer
    >>> a = Answer("And in 2023?", "How many in 2023?", "Not covered.", True, (), ())
    >>> r = feedback_record(a, False, now=datetime(2025, 1, 2, tzinfo=timezone.utc))
    >>> r["rating"], r["time"], r["question"], r["interpreted_query"]
    ('down', '2025-01-02T00:00:00+00:00', 'And in 2023?', 'How many in 2023?')
    """
    when = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return {
        "rating": "up" if liked else "down",
        "time": when,
        "history": [{"role": t["role"], "content": t["content"]} for t in history],
        "filters": {k: list(v) for k, v in (filters or {}).items() if v},
        **answer.to_dict(),
    }
