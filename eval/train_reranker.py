"""Fit the passage reranker (src/emnqa/retrieve/reranker.txt) on the train
split, choose its size on dev, and write its card (reranker.json). The test
split is never read.

    .venv/bin/python eval/train_reranker.py [--dry-run] [--ablate]

Every answerable train question (a follow-up as the assistant interprets it
from its history; a French or Dutch one in its English reading) is searched
as the assistant searches it: the first stage's candidates (the union of
BM25's and the dense ranking's top SearchParams.depth), each with the
features of retrieve/rerank.py, labelled relevant when its text holds a gold
string. A LightGBM lambdarank model orders each question's candidates. For
each size of GRID, five folds of train (questions held out) give its
out-of-fold figures and dev its held-out ones; the size with the best dev
MRR@10 (then the best out-of-fold MRR@10) is fitted on all of train and
shipped. The figures are those of the assistant's passages (a chunk widened
with its section neighbours; a passage counts when it holds a gold string),
as `emnqa eval --mode assistant` counts them. `--ablate` also prints, for the
chosen size, dev and out-of-fold figures with each feature group left out.
Seeded; about two and a half minutes on the 2-core machine (five with
--ablate). Needs the index (`emnqa
index`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from emnqa.assistant import Assistant  # noqa: E402
from emnqa.config import Settings  # noqa: E402
from emnqa.evaluation.questions import Question, contains_gold  # noqa: E402
from emnqa.evaluation.splits import file_sha256, load_splits, split_path  # noqa: E402
from emnqa.query.read import read_question  # noqa: E402
from emnqa.retrieve.rerank import CARD_PATH, FEATURES, MODEL_PATH, RerankerError, RerankModel  # noqa: E402

SEED = 19
FOLDS = 5
GRID = ((150, 7), (300, 7), (600, 7), (150, 15), (300, 15))  # (trees, leaves)
PARAMS = {
    "objective": "lambdarank", "learning_rate": 0.05, "min_data_in_leaf": 20, "seed": SEED, "deterministic": True,
    "force_row_wise": True, "num_threads": 2, "verbose": -1,
}
GROUPS = {  # for --ablate: features left out together
    "first stage (cosine, BM25, ranks)": ("dense", "dense_rr", "bm25", "bm25_rr"),
    "sentence cosines": ("sentence_best", "sentence_second"),
    "term coverage": ("cover_text", "cover_heading", "cover_sentence"),
    "years": ("year_present", "year_absent", "year_document", "year_nowhere"),
    "answer type": ("quantity_number", "date_date", "definition_block"),
    "passage kind": ("definition_kind", "footnotes", "news", "slides", "table", "short", "summary", "words"),
    "the question in the report's words": ("reworded_dense", "reworded_sentence"),
}


class Row(NamedTuple):
    question: Question
    query: str  # as searched: the interpreted English question
    features: np.ndarray  # one row of FEATURES per candidate
    labels: np.ndarray  # whether each candidate holds a gold string


def rows_of(assistant: Assistant, questions) -> list[Row]:
    search = assistant.passages
    rows = []
    for q in questions:
        query = assistant.interpret(q.question, q.history)
        candidates = search.candidates(query, search.params.depth)
        matrix = search.features(query, read_question(query).qtype, candidates)
        labels = np.array([contains_gold(search.index.chunks[c.position].text, q.answers) for c in candidates])
        rows.append(Row(q, query, matrix, labels))
    return rows


class Unfitted:
    """Stands in for a reranker while there is none: every candidate scores 0."""

    def score(self, matrix: np.ndarray) -> np.ndarray:
        return np.zeros(len(matrix))


class Sliced:
    """A booster fitted on some columns of FEATURES, scoring full rows (--ablate)."""

    def __init__(self, booster, columns: list[int]):
        self.booster, self.columns = booster, columns

    def score(self, matrix: np.ndarray) -> np.ndarray:
        return self.booster.predict(matrix[:, self.columns], num_threads=1)


def fit(rows: list[Row], trees: int, leaves: int, columns: list[int] | None = None):
    import lightgbm

    columns = list(range(len(FEATURES))) if columns is None else columns
    x = np.vstack([r.features[:, columns] for r in rows])
    y = np.concatenate([r.labels for r in rows]).astype(int)
    data = lightgbm.Dataset(x, y, group=[len(r.labels) for r in rows], feature_name=[FEATURES[c] for c in columns])
    booster = lightgbm.train({**PARAMS, "num_leaves": leaves}, data, trees)
    return RerankModel(booster) if len(columns) == len(FEATURES) else Sliced(booster, columns)


def passage_metrics(assistant: Assistant, rows: list[Row], k: int = 10) -> dict[str, float]:
    """hit@1, hit@5 and MRR@10 of the assistant's passages."""
    firsts = []
    for row in rows:
        found = assistant.search(row.query, k)
        firsts.append(next((p.rank for p in found if contains_gold(p.text, row.question.answers)), None))
    return {
        "hit@1": statistics.fmean(f == 1 for f in firsts),
        "hit@5": statistics.fmean(f is not None and f <= 5 for f in firsts),
        "mrr@10": statistics.fmean(1 / f if f else 0.0 for f in firsts),
    }


def out_of_fold(assistant: Assistant, rows: list[Row], make) -> dict[str, float]:
    """The figures of train's questions, each ranked by a model fitted on the other folds."""
    order = np.random.default_rng(SEED).permutation(len(rows))
    parts = []
    for fold in range(FOLDS):
        held = set(order[fold::FOLDS].tolist())
        assistant.passages.reranker.model = make([r for i, r in enumerate(rows) if i not in held])
        part = [r for i, r in enumerate(rows) if i in held]
        parts.append((len(part), passage_metrics(assistant, part)))
    n = sum(size for size, _ in parts)
    return {m: sum(size * v[m] for size, v in parts) / n for m in parts[0][1]}


def figures(assistant: Assistant, rows: dict[str, list[Row]], make) -> dict[str, dict[str, float]]:
    train = out_of_fold(assistant, rows["train"], make)
    assistant.passages.reranker.model = make(rows["train"])
    return {"train (out of fold)": train, "dev": passage_metrics(assistant, rows["dev"])}


def line(name: str, found: dict[str, dict[str, float]]) -> str:
    return f"{name:40s} " + "   ".join(
        f"{where} " + " ".join(f"{m} {v:.3f}" for m, v in values.items()) for where, values in found.items())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="report, do not write the model")
    parser.add_argument("--ablate", action="store_true", help="also leave each feature group out (chosen size)")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    try:
        shipped: RerankModel | None = RerankModel.load()
    except RerankerError as exc:  # the first fit, or one for new features
        print(f"({exc.args[0]} Fitting one.)")
        shipped = None
    assistant = Assistant(Settings.from_env(reader="off"), rerank_model=shipped or Unfitted())
    rows = {name: rows_of(assistant, [q for q in load_splits([name], ROOT / "eval") if q.answerable]) for name in ("train", "dev")}
    before = None
    if shipped is not None:
        before = {"train": passage_metrics(assistant, rows["train"]), "dev": passage_metrics(assistant, rows["dev"])}
        print(line("the shipped reranker", before))
    print(f"gold among the candidates: train {np.mean([r.labels.any() for r in rows['train']]):.3f}, "
          f"dev {np.mean([r.labels.any() for r in rows['dev']]):.3f}")

    grid = {}
    for trees, leaves in GRID:
        grid[(trees, leaves)] = figures(assistant, rows, lambda part, t=trees, l=leaves: fit(part, t, l))
        print(line(f"{trees} trees of {leaves} leaves", grid[(trees, leaves)]), flush=True)
    chosen = max(grid, key=lambda size: (round(grid[size]["dev"]["mrr@10"], 6), grid[size]["train (out of fold)"]["mrr@10"]))
    trees, leaves = chosen
    print(f"chosen on dev: {trees} trees of {leaves} leaves")

    if args.ablate:
        for group, names in GROUPS.items():
            kept = [i for i, f in enumerate(FEATURES) if f not in names]
            print(line(f"without {group}", figures(assistant, rows, lambda part, c=kept: fit(part, trees, leaves, c))), flush=True)

    model = fit(rows["train"], trees, leaves)
    assistant.passages.reranker.model = model
    if args.dry_run:
        return 0
    model.save(MODEL_PATH)
    train = split_path("train", ROOT / "eval")
    gain = model.booster.feature_importance("gain")
    CARD_PATH.write_text(json.dumps({
        "model": f"LightGBM lambdarank, {trees} trees of at most {leaves} leaves, learning rate {PARAMS['learning_rate']}, "
                 f"at least {PARAMS['min_data_in_leaf']} candidates a leaf, seed {SEED}",
        "label": "the candidate chunk's text holds a gold string of the question",
        "fitted_on": {"split": "train", "file": str(train.relative_to(ROOT)), "sha256": file_sha256(train),
                      "questions": len(rows["train"]), "candidates": int(sum(len(r.labels) for r in rows["train"])),
                      "positives": int(sum(r.labels.sum() for r in rows["train"]))},
        "chosen_on": "dev MRR@10 of the assistant's passages, then train's out of fold",
        "grid": {f"{t} trees, {l} leaves": {w: {m: round(v, 3) for m, v in f.items()} for w, f in found.items()}
                 for (t, l), found in grid.items()},
        "features": list(FEATURES),
        "gain": {name: round(float(g), 1) for name, g in zip(FEATURES, gain)},
        "figures": {
            **({"the reranker shipped before": {w: {m: round(v, 3) for m, v in f.items()} for w, f in before.items()}} if before else {}),
            "chosen": {w: {m: round(v, 3) for m, v in f.items()} for w, f in grid[chosen].items()},
        },
        "seconds": round(time.perf_counter() - started, 1),
    }, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH.relative_to(ROOT)} and {CARD_PATH.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
