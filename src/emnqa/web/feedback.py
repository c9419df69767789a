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

from filelock import FileLock

from ..types import Answer

_LOCK = threading.Lock()
# A line holds one answer with its passages (a few tens of KB); the file is
# not let grow past MAX_FILE_BYTES: move it aside to collect more.
MAX_LINE_BYTES = 1_000_000
MAX_FILE_BYTES = 50_000_000


def append_feedback(path: Path | str, record: Mapping[str, Any], max_file_bytes: int = MAX_FILE_BYTES) -> None:
    """Append `record` as one JSON line, creating the file and its folder on
    demand. Raises OSError when the file cannot be written, when the line is
    over MAX_LINE_BYTES, or when it would take the file past `max_file_bytes`.

    >>> import tempfile
    >>> append_feedback(Path(tempfile.mkdtemp()) / "f.jsonl", {"q": "x" * 100}, max_file_bytes=50)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    OSError: the feedback file ... is full (50 bytes at most); move it aside to collect more ratings
    """
    path = Path(path)
    line = json.dumps(record, ensure_ascii=False) + "\n"
    size = len(line.encode("utf-8"))
    if size > MAX_LINE_BYTES:
        raise OSError(f"a feedback line of {size:,} bytes is over the limit of {MAX_LINE_BYTES:,}; not saved")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Threads of this process, and the other processes serving the same
    # file (replicas behind a front server), append one whole line at a time.
    with _LOCK, FileLock(f"{path}.lock", timeout=10):
        if (path.stat().st_size if path.exists() else 0) + size > max_file_bytes:
            raise OSError(f"the feedback file {path} is full ({max_file_bytes:,} bytes at most); "
                          "move it aside to collect more ratings")
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
