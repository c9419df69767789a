"""Fit the reranker's weights (src/emnqa/retrieve/reranker.json) on the evaluation set.

    .venv/bin/python eval/train_reranker.py [--questions eval/questions.jsonl] [--c 0.1] [--folds 5] [--dry-run]

For every answerable question (follow-ups interpreted from their history, as
the assistant does), the first stage's candidates are labelled relevant when
they hold a gold string; a logistic regression (scikit-learn, class-balanced,
L2 with strength 1/C) is fitted on their features. Before fitting on all
questions, it reports what the assistant's passages score with weights fitted
on the other folds only (questions held out), so the figure in eval/README.md
is not just the fit to the set. Needs the index (`emnqa index`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from emnqa.assistant import Assistant  # noqa: E402
from emnqa.config import SearchParams  # noqa: E402
from emnqa.query.qtype import detect_question_type  # noqa: E402
from emnqa.retrieve.lexical import terms as _terms  # noqa: E402
from emnqa.evaluation.questions import contains_gold, load_questions  # noqa: E402
from emnqa.retrieve.rerank import FEATURES, MODEL_PATH, PassageFeatures, RerankModel  # noqa: E402


def training_data(assistant: Assistant, questions):
    """Per question: (question, interpreted query, features, labels)."""
    index = assistant.index
    features = PassageFeatures(index.chunks, index.documents, _terms, assistant.passages.idf, index.sentence_vectors, index.sentence_rows)
    rows = []
    for q in questions:
        query = assistant.interpret(q.question, q.history)
        candidates = assistant.retriever.candidates(query, assistant.search_params.depth, assistant.expand(query))
        vector = assistant.retriever.dense.vector(query)
        matrix = features.matrix(assistant.expand(query), detect_question_type(query), vector, candidates)
        labels = np.array([contains_gold(index.chunks[c.position].text, q.answers) for c in candidates])
        rows.append((q, query, matrix, labels))
    return rows


def fit(rows, c: float, about: str = "") -> RerankModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.vstack([r[2] for r in rows])
    y = np.concatenate([r[3] for r in rows])
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit((x - scaler.mean_) / scale, y)
    return RerankModel(FEATURES, scaler.mean_, scale, model.coef_[0], float(model.intercept_[0]), about)


def passage_metrics(assistant: Assistant, rows, k: int = 10) -> dict[str, float]:
    """hit@1, hit@5 and MRR@10 of the assistant's passages (a passage counts
    when its text holds a gold string)."""
    firsts = []
    for q, query, _, _ in rows:
        hits = assistant.search(query, k)
        firsts.append(next((h.rank for h in hits if contains_gold(h.text, q.answers)), None))
    return {
        "hit@1": statistics.fmean(f == 1 for f in firsts),
        "hit@5": statistics.fmean(f is not None and f <= 5 for f in firsts),
        "mrr@10": statistics.fmean(1 / f if f else 0.0 for f in firsts),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(ROOT / "eval" / "questions.jsonl"))
    parser.add_argument("--c", type=float, default=0.1, help="inverse regularisation strength")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--depth", type=int, default=SearchParams.depth, help="candidates per ranking")
    parser.add_argument("--passage-tokens", type=int, default=SearchParams.passage_tokens)
    parser.add_argument("--out", default=str(MODEL_PATH))
    parser.add_argument("--dry-run", action="store_true", help="report, do not write the weights")
    args = parser.parse_args(argv)

    questions = [q for q in load_questions(args.questions) if q.answerable]
    # Any weights will do to start with: each fold sets its own.
    blank = RerankModel(FEATURES, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), np.zeros(len(FEATURES)))
    params = SearchParams(depth=args.depth, passage_tokens=args.passage_tokens)
    assistant = Assistant(rerank_model=blank, search_params=params)
    rows = training_data(assistant, questions)
    single = [r for r in rows if not r[0].is_followup]
    follow = [r for r in rows if r[0].is_followup]

    rng = np.random.default_rng(0)
    order = rng.permutation(len(rows))
    held_out: dict[str, list] = {"single": [], "follow": []}
    for fold in range(args.folds):
        test_ids = set(order[fold :: args.folds].tolist())
        train = [r for i, r in enumerate(rows) if i not in test_ids]
        test = [r for i, r in enumerate(rows) if i in test_ids]
        assistant.reranker.model = fit(train, args.c)
        for group in ("single", "follow"):
            part = [r for r in test if r[0].is_followup == (group == "follow")]
            if part:
                held_out[group].append((len(part), passage_metrics(assistant, part)))

    def pooled(parts):
        n = sum(size for size, _ in parts)
        return {m: sum(size * v[m] for size, v in parts) / n for m in ("hit@1", "hit@5", "mrr@10")}

    model = fit(rows, args.c, about=(
        f"Logistic regression (C={args.c}, class-balanced) fitted by eval/train_reranker.py on "
        f"{len(rows)} answerable questions of {Path(args.questions).name}."
    ))
    assistant.reranker.model = model
    report = {
        f"{args.folds}-fold held out, single-turn": pooled(held_out["single"]),
        f"{args.folds}-fold held out, follow-ups": pooled(held_out["follow"]),
        "fitted on all, single-turn": passage_metrics(assistant, single),
        "fitted on all, follow-ups": passage_metrics(assistant, follow),
    }
    for name, values in report.items():
        print(f"{name:36s} " + "  ".join(f"{m} {v:.3f}" for m, v in values.items()))
    print("weights (standardised features):")
    for name, weight in sorted(zip(FEATURES, model.weights), key=lambda x: -abs(x[1])):
        print(f"  {name:18s} {weight:+.3f}")
    if not args.dry_run:
        model.save(args.out)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
