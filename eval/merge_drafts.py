"""Merge the writers' drafts into eval/test.jsonl and eval/train.jsonl.

    .venv/bin/python eval/merge_drafts.py

The drafts (eval/drafts/<writer>.jsonl) were written from disjoint draws of
sentences, but a writer may take the evidence from a neighbouring sentence,
which can be one the other split drew. No evidence sentence may be in both
splits, so where a test item's evidence overlaps a train item's, one of the
two is left out, by a rule that reads nothing but the offsets: the item whose
split did not draw the sentence goes (a test item whose evidence is a
sentence drawn for train; otherwise the train item). Nothing else is
filtered: no item is kept or left out for what emnqa answers.

Once the test split is frozen (its checksum pinned in eval/splits.json), it
is read as it stands and never rewritten: only train is merged again, and a
train item whose evidence overlaps a test item's is left out. So is a train
item asking exactly what a test item asks (the same words after the same
conversation): independent writers sometimes land on the same near miss
("How many asylum applications did the Netherlands receive in 2024?").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

EVAL = Path(__file__).resolve().parent
WRITERS = {"test": ["te-a", "te-b"], "train": ["tr-a", "tr-b", "tr-c", "tr-d", "tr-e", "tr-f", "tr-g", "tr-h", "tr-i", "tr-j", "tr-k", "tr-l", "tr-m"]}


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def span(item: dict) -> tuple[str, int, int] | None:
    e = item.get("evidence")
    return (e["doc"], e["start"], e["end"]) if e else None


def overlaps(a: tuple[str, int, int], b: tuple[str, int, int]) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def main() -> int:
    drafts = {split: [q for w in writers for q in read(EVAL / "drafts" / f"{w}.jsonl")] for split, writers in WRITERS.items()}
    frozen = (EVAL / "splits.json").exists()
    if frozen:
        drafts["test"] = read(EVAL / "test.jsonl")
    drawn = {
        split: {(r["doc"], r["start"], r["end"]) for w in writers for r in read(EVAL / "samples" / f"{w}.jsonl")}
        for split, writers in WRITERS.items()
    }
    out_test, out_train = set(), set()
    for t in drafts["test"]:
        for r in drafts["train"]:
            if span(t) and span(r) and overlaps(span(t), span(r)):
                if not frozen and span(t) in drawn["train"] and span(r) in drawn["train"]:
                    out_test.add(t["id"])
                else:
                    out_train.add(r["id"])
    asked = lambda q: (" ".join(q["question"].lower().split()), tuple(" ".join(t["content"].lower().split()) for t in q["history"]))  # noqa: E731
    test_asked = {asked(t) for t in drafts["test"] if t["id"] not in out_test}
    out_train |= {r["id"] for r in drafts["train"] if asked(r) in test_asked}
    for split, left_out in (("test", out_test), ("train", out_train)):
        if split == "test" and frozen:
            print(f"test: frozen at {len(drafts['test'])} items (eval/splits.json); not rewritten")
            continue
        kept = [q for q in drafts[split] if q["id"] not in left_out]
        path = EVAL / f"{split}.jsonl"
        path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in kept), encoding="utf-8")
        print(f"{split}: {len(kept)} items ({len(left_out)} of {len(drafts[split])} left out for shared evidence or a question test asks) -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
