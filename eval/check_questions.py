"""Check a question file against the corpus before adding it to a split.

    .venv/bin/python eval/check_questions.py eval/train.jsonl [--corpus corpus] [--against eval/test.jsonl]

Reports format errors (line and fix); gold strings not found in their
document (case and white space folded) or not distinctive (found in more
than 4 chunks of the corpus); for files that record evidence (the train and
test splits, and any draft for them), evidence that is not the document's
text at its offsets or holds no gold string, and unanswerable items without
the searches that confirm the documents do not answer them; with --against,
evidence sentences shared with another split. Then the file's shares:
unanswerable, follow-ups, French and Dutch, types. Exit code 1 on any problem.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from emnqa.config import Settings
from emnqa.ingest.corpus import load_corpus
from emnqa.errors import EmnqaError
from emnqa.store.build import chunk_corpus, chunking_params
from emnqa.evaluation.question_checks import evidence_problems, gold_problems, leakage
from emnqa.evaluation.questions import load_questions


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", type=Path)
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[1] / "corpus")
    parser.add_argument("--against", type=Path, action="append", default=[], help="another split: no shared evidence")
    parser.add_argument("--no-evidence", action="store_true", help="a file without evidence (the dev set)")
    args = parser.parse_args()
    try:
        questions = load_questions(args.questions)
    except EmnqaError as exc:
        print(f"error: {exc}")
        return 1
    corpus = load_corpus(args.corpus)
    chunks = chunk_corpus(corpus, chunking_params(Settings()))
    problems = gold_problems(questions, corpus.documents, chunks)
    if not args.no_evidence:
        problems += evidence_problems(questions, corpus.documents)
    for other in args.against:
        problems += [f"{a}: evidence overlaps {b}'s in {other.name}" for a, b in leakage(questions, load_questions(other))]
    for line in problems:
        print(line)
    n = len(questions)
    share = lambda k: f"{k} ({k / n:.0%})"  # noqa: E731
    langs = Counter(q.lang for q in questions)
    print(
        f"{n} questions; unanswerable {share(sum(not q.answerable for q in questions))}; "
        f"follow-ups {share(sum(q.is_followup for q in questions))}; "
        f"fr {langs['fr']}, nl {langs['nl']}; types {dict(Counter(q.type for q in questions))}; "
        f"problems {len(problems)}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
