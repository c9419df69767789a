"""Fit the answerability classifier (src/emnqa/answer/answerable.txt) on the
train split; calibrate it and choose its threshold out of fold on train;
report dev; write its card (answerable.json). The test split is never read.

    .venv/bin/python eval/train_answerable.py --matches FILE [--dry-run] [--rows FILE]

Each question is the confidence's row (answer/confidence.py: evidence and
retrieval scores, question type and wording, each abstention rule as a
feature), read as the assistant answers it (eval/train_confidence.collect);
the label is whether the question is answerable. The train questions the
shipped answer matcher was fitted on are read with their out-of-fold cosines
(`--matches`, kept by eval/train_lead.py --matches), as a new question's
would be. Five folds of train give
out-of-fold scores for every train question: the number of trees (100, 200
or 400, by out-of-fold log loss), Platt scaling of the raw score, and the
threshold (the highest whose out-of-fold false abstention is at most
MOST_DECLINED, so the most unanswerable questions are declined) are chosen
on them; train's 2 262 questions (770 unanswerable) say far more than dev's
197 (29), on which the rules were written. The shipped model is fitted on
all of train. Seeded; about two minutes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "eval"))

from emnqa.answer.answerable import CARD_PATH, MODEL_PATH  # noqa: E402
from emnqa.answer.confidence import CATEGORICAL, FEATURES, Confidence, calibrated  # noqa: E402
from emnqa.assistant import Assistant  # noqa: E402
from emnqa.config import Settings  # noqa: E402
from emnqa.evaluation.splits import load_splits  # noqa: E402
from train_confidence import collect, platt, write_card  # noqa: E402

SEED = 16
FOLDS = 5
ROUNDS = (100, 200, 400)
MOST_DECLINED = 0.03  # of the answerable questions, out of fold
PARAMS = {
    "objective": "binary", "learning_rate": 0.03, "num_leaves": 7, "min_data_in_leaf": 30, "feature_fraction": 0.8,
    "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0, "seed": SEED, "deterministic": True,
    "force_row_wise": True, "num_threads": 2, "verbose": -1,
}


def out_of_fold_cosines(path: Path) -> dict:
    """question id -> {(chunk ids, sentence start): the matcher's cosine out
    of fold}, for the train questions the shipped matcher was fitted on. Read
    with the shipped matcher's own cosines, which it learned on them, the
    rows of those questions would teach the classifier to trust a cosine
    further than a new question's deserves."""
    import torch

    from train_lead import candidate_keys, groups_of

    kept = torch.load(path, weights_only=False)
    assistant = Assistant(Settings.from_env(reader="off", lead="hand"))  # the candidates as train_lead.py finds them
    groups = groups_of(assistant, load_splits(["train"], ROOT / "eval"))
    if kept.get("ids") != [g.question.id for g in groups] or kept.get("candidates") != candidate_keys(groups):
        raise SystemExit(f"{path} holds the cosines of other train questions or candidates (a new reranker or index?): "
                         f"delete it and run eval/train_lead.py --matches {path} again")
    return {g.question.id: {(g.found[i].passage.chunk_ids, g.found[i].start): float(c) for i, c in zip(g.quotable, m)}
            for g, m in zip(groups, kept["train"])}


def fit(X: np.ndarray, y: np.ndarray, rounds: int):
    import lightgbm

    data = lightgbm.Dataset(X, y, feature_name=list(FEATURES), categorical_feature=list(CATEGORICAL))
    return lightgbm.train(PARAMS, data, num_boost_round=rounds)


def out_of_fold(X: np.ndarray, y: np.ndarray, rounds: int) -> np.ndarray:
    raw = np.zeros(len(y))
    for fold in range(FOLDS):
        held = np.arange(len(y)) % FOLDS == fold
        raw[held] = fit(X[~held], y[~held], rounds).predict(X[held], raw_score=True)
    return raw


def threshold(p: np.ndarray, answerable: np.ndarray) -> float:
    """The highest threshold declining at most MOST_DECLINED of the answerable."""
    best = 0.0
    for at in np.unique(p):
        if (p < at)[answerable].mean() <= MOST_DECLINED:
            best = float(at)
    return best


def figures(p: np.ndarray, data: dict, at: float) -> dict:
    from sklearn.metrics import roc_auc_score

    answerable, ruled = data["answerable"], data["ruled"]
    declined = p < at
    return {
        "questions": int(len(p)), "unanswerable": int((~answerable).sum()),
        "auc": round(float(roc_auc_score(answerable, p)), 3),
        "abstention_recall": round(float(declined[~answerable].mean()), 3),
        "false_abstention": round(float(declined[answerable].mean()), 3),
        "rules_abstention_recall": round(float(ruled[~answerable].mean()), 3),
        "rules_false_abstention": round(float(ruled[answerable].mean()), 3),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="fit and report, write nothing")
    parser.add_argument("--rows", type=Path, metavar="FILE", help="keep the questions' rows in FILE, and read them from it when it exists")
    parser.add_argument("--matches", type=Path, metavar="FILE", required=True,
                        help="the answer matcher's out-of-fold cosines of the train questions "
                             "(eval/train_lead.py --matches FILE keeps them)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.rows is not None and args.rows.is_file():
        data = pickle.loads(args.rows.read_bytes())
    else:
        # As the assistant answers by default; the confidence model need not load.
        with mock.patch.object(Confidence, "load", classmethod(lambda cls, *a, **k: None)):
            assistant = Assistant(Settings.from_env(abstention="rules"))
        cosines = out_of_fold_cosines(args.matches)
        data = {name: collect(assistant, load_splits([name], ROOT / "eval"), cosines if name == "train" else None)
                for name in ("train", "dev")}
        if args.rows is not None:
            args.rows.write_bytes(pickle.dumps(data))
    train, dev = data["train"], data["dev"]
    y = train["answerable"].astype(float)

    def log_loss(raw: np.ndarray) -> float:
        p = np.clip(1 / (1 + np.exp(-raw)), 1e-6, 1 - 1e-6)
        return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())

    raws = {rounds: out_of_fold(train["X"], y, rounds) for rounds in ROUNDS}
    losses = {rounds: round(log_loss(raw), 4) for rounds, raw in raws.items()}
    rounds = min(ROUNDS, key=lambda r: losses[r])
    a, b = platt(raws[rounds], y)
    p_oof = np.array([calibrated(r, a, b) for r in raws[rounds]])
    at = threshold(p_oof, train["answerable"])
    booster = fit(train["X"], y, rounds)
    p_dev = np.array([calibrated(r, a, b) for r in booster.predict(dev["X"], raw_score=True)])
    report = {"train (out of fold)": figures(p_oof, train, at), "dev": figures(p_dev, dev, at)}
    print(f"trees {rounds} (out-of-fold log loss {losses}), Platt a={a:.3f} b={b:.3f}, threshold {at:.3f}")
    for name, f in report.items():
        print(f"{name}: {json.dumps(f)}")
    if args.dry_run:
        return 0
    booster.save_model(str(MODEL_PATH))
    gain = booster.feature_importance("gain")
    write_card(CARD_PATH, MODEL_PATH, started, rounds=rounds, gain=gain, platt=(a, b), threshold=at, figures=report,
               label="the question is answerable (the documents answer it)",
               chosen_on=f"train, {FOLDS} folds out of fold: trees (log loss), Platt scaling, threshold "
                         f"(the highest with false abstention <= {MOST_DECLINED})",
               oof_log_loss={str(k): v for k, v in losses.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
