"""The three question splits and where they live.

- `train` (eval/train.jsonl): for fitting models;
- `dev` (eval/questions.jsonl, the original set): for choosing and debugging;
- `test` (eval/test.jsonl): held out and frozen. Only its aggregate figures
  are read; its checksum is pinned in eval/splits.json, and a new version
  needs a line in eval/README.md saying why.

>>> split_path("dev", Path("eval")).name
'questions.jsonl'
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from ..errors import EmnqaError
from .questions import Question, QuestionSetError, load_questions

SPLITS = {"train": "train.jsonl", "dev": "questions.jsonl", "test": "test.jsonl"}
# Held out: per-question rows of these splits are not shown in reports or comparisons.
HELD_OUT = frozenset({"test"})
PIN_FILE = "splits.json"


class SplitError(EmnqaError):
    """An unknown split, or a split file that is not the pinned version."""


def split_order(name: str) -> int:
    """Where a split goes in a report: train, dev, test, then questions from
    a file of no split ("-").

    >>> sorted(["test", "-", "train", "dev"], key=split_order)
    ['train', 'dev', 'test', '-']
    """
    order = [*SPLITS, "-"]
    return order.index(name) if name in order else len(order)


def split_path(name: str, eval_dir: Path) -> Path:
    if name not in SPLITS:
        raise SplitError(f"Unknown split {name!r}; use one of {', '.join(SPLITS)} or all.")
    return Path(eval_dir) / SPLITS[name]


def load_splits(names: list[str], eval_dir: Path) -> list[Question]:
    """The questions of the named splits, each marked with its split; ids
    must be unique across them."""
    questions: list[Question] = []
    seen: dict[str, str] = {}
    for name in names:
        for q in load_questions(split_path(name, eval_dir)):
            if q.id in seen:
                raise QuestionSetError(f"id {q.id!r} is in both {seen[q.id]} and {name}; ids must be unique across splits.")
            seen[q.id] = name
            questions.append(replace(q, split=name))
    return questions


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def pinned(eval_dir: Path) -> dict:
    """eval/splits.json: {"test": {"version": N, "sha256": "...", "questions": N, "frozen": "date"}}."""
    path = Path(eval_dir) / PIN_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SplitError(f"No {path}: the test split's checksum is pinned there.") from None
    except json.JSONDecodeError as exc:
        raise SplitError(f"{path} is not valid JSON ({exc.msg}).") from None
