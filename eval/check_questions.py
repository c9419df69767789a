"""Check a question file against the corpus before adding it to the set.

    .venv/bin/python eval/check_questions.py eval/questions.jsonl [--corpus corpus]

Reports: format errors (line and fix); gold strings not found in their
document (case and white space folded); gold strings that are not
distinctive (found in more than MAX_CHUNKS chunks of the corpus); and, for
unanswerable questions, nothing to check automatically: say in the question
file's review why the corpus does not answer it. Exit code 1 on any problem.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from emnqa.config import Settings
from emnqa.corpus import load_corpus
from emnqa.indexing import chunk_corpus, chunking_params
from emnqa.questions import contains_gold, load_questions, normalise

MAX_CHUNKS = 4


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", type=Path)
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[1] / "corpus")
    args = parser.parse_args()
    questions = load_questions(args.questions)
    corpus = load_corpus(args.corpus)
    texts = {d.doc_id: normalise(d.text) for d in corpus.documents}
    chunks = chunk_corpus(corpus, chunking_params(Settings()))
    problems = 0
    for q in questions:
        if q.answerable and q.doc not in texts:
            print(f"{q.id}: doc {q.doc!r} is not a document id ({', '.join(sorted(texts))})")
            problems += 1
            continue
        for gold in q.answers:
            if normalise(gold) not in texts[q.doc]:
                print(f"{q.id}: gold {gold!r} is not in {q.doc}")
                problems += 1
                continue
            holders = sum(contains_gold(c.text, [gold]) for c in chunks)
            if holders > MAX_CHUNKS:
                print(f"{q.id}: gold {gold!r} is in {holders} chunks; use a more distinctive string")
                problems += 1
    counts = Counter(q.type for q in questions)
    followups = sum(q.is_followup for q in questions)
    unanswerable = sum(not q.answerable for q in questions)
    print(f"{len(questions)} questions; types {dict(counts)}; follow-ups {followups}; unanswerable {unanswerable}; problems {problems}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
