"""Fit the abstention classifier (src/emnqa/answer/confidence.txt) on the
train split, calibrate it on dev, choose its threshold on dev, and write its
card (confidence.json).

    .venv/bin/python eval/train_confidence.py [--dry-run]

Each question is a row (answer/confidence.py: the evidence's scores, the
passages' retrieval scores, which abstention rules fire, the question's type,
how much of its wording the corpus knows); the label says whether the first
quote of the answer, composed as the reader would see it, holds a gold string
(never, for an unanswerable question). The number of trees is chosen on dev
by log loss; Platt scaling on dev maps the raw score to a probability; the
threshold is the one with the best net on dev (+1 a right first quote, -1 a
wrong answer, 0 "not covered") among those that, with the questions the
rules decline already, decline at most 3% of dev's answerable questions. Seeded, deterministic, about three minutes on the 2-core machine.
The test split is never read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(ROOT / "src"))

from emnqa.answer.abstain import decide  # noqa: E402
from emnqa.answer.confidence import CARD_PATH, CATEGORICAL, FEATURES, MODEL_PATH, Confidence, calibrated, features  # noqa: E402
from emnqa.answer.select import choose_both  # noqa: E402
from emnqa.assistant import Assistant  # noqa: E402
from emnqa.config import Settings  # noqa: E402
from emnqa.evaluation.questions import contains_gold  # noqa: E402
from emnqa.evaluation.splits import file_sha256, load_splits, split_path  # noqa: E402
from emnqa.types import Verdict  # noqa: E402

SEED = 16
MOST_DECLINED = 0.03  # of the answerable dev questions, at most


def collect(assistant: Assistant, questions, cosines: dict | None = None) -> dict:
    """Each question's row, label, whether it is answerable and whether the
    rules decline it, read as the assistant answers. `cosines` (question id
    -> {(chunk ids, sentence start): cosine}) replaces the answer matcher's
    cosines of those questions' sentences: the out-of-fold ones of the
    questions the shipped matcher was fitted on (eval/train_answerable.py)."""
    rows, labels, answerable, ruled = [], [], [], []
    for q in questions:
        query, found, sources = assistant.read(q.question, q.history)
        if cosines and q.id in cosines:
            sources = [with_matches(p, cosines[q.id]) for p in sources]
        # As the assistant answers: its lead (the lead ranker's), the rules judging both leads.
        evidence, hand = choose_both(query, sources, assistant.facts, assistant.params, assistant.scorer and assistant.scorer.rescore)
        verdict = decide(query, evidence, assistant.facts, assistant.params, hand=hand)
        rows.append(features(query, evidence, found, verdict, assistant.facts))
        shown = assistant.compose(query, found, evidence, Verdict(not evidence))
        first = shown.citations[0].quote if shown.citations else ""
        labels.append(float(q.answerable and bool(first) and contains_gold(first, q.answers)))
        answerable.append(q.answerable)
        ruled.append(verdict.abstain)
    return {"X": np.asarray(rows), "y": np.asarray(labels), "answerable": np.asarray(answerable), "ruled": np.asarray(ruled)}


def with_matches(passage, table: dict):
    """The passage with the matcher's cosines of its sentences that `table` holds."""
    if not passage.sentences:
        return passage
    return replace(passage, sentences=tuple(
        replace(s, match=table[(passage.chunk_ids, s.start)]) if (passage.chunk_ids, s.start) in table else s
        for s in passage.sentences))


def fit(train: dict, dev: dict, rounds: int = 400):
    import lightgbm

    params = {
        "objective": "binary", "metric": "binary_logloss", "learning_rate": 0.03, "num_leaves": 7,
        "min_data_in_leaf": 30, "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
        "lambda_l2": 1.0, "seed": SEED, "deterministic": True, "force_row_wise": True, "num_threads": 2, "verbose": -1,
    }
    kw = {"feature_name": list(FEATURES), "categorical_feature": list(CATEGORICAL)}
    train_set = lightgbm.Dataset(train["X"], train["y"], **kw)
    dev_set = lightgbm.Dataset(dev["X"], dev["y"], reference=train_set, **kw)
    record: dict = {}
    booster = lightgbm.train(params, train_set, num_boost_round=rounds, valid_sets=[dev_set], valid_names=["dev"],
                             callbacks=[lightgbm.record_evaluation(record)])
    losses = record["dev"]["binary_logloss"]
    best = int(np.argmin(losses)) + 1
    return booster, best


def platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y)
    return float(model.coef_[0][0]), float(model.intercept_[0])


def net(declined: np.ndarray, data: dict) -> float:
    """What a reader gets per question: +1 an answer whose first quote holds
    the fact, -1 one that does not (any answer to an unanswerable
    question), 0 "not covered"."""
    y = data["y"]
    return float(np.where(declined, 0.0, np.where(y > 0, 1.0, -1.0)).mean())


def threshold(p: np.ndarray, data: dict) -> float:
    """The threshold with the best net on these questions among those that,
    with the questions the rules decline, decline at most MOST_DECLINED of
    the answerable ones (the lowest such on a tie; 0: none)."""
    answerable = data["answerable"]
    best, best_net = 0.0, net(data["ruled"], data)
    for at in np.unique(p):
        declined = (p < at) | data["ruled"]
        if declined[answerable].mean() <= MOST_DECLINED and net(declined, data) > best_net:
            best, best_net = float(at), net(declined, data)
    return best


def figures(p: np.ndarray, data: dict, at: float) -> dict:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    declined = (p < at) | data["ruled"]
    answerable, y = data["answerable"], data["y"]
    return {
        "questions": int(len(y)),
        "auc": round(float(roc_auc_score(y, p)), 3) if 0 < y.sum() < len(y) else None,
        "brier": round(float(brier_score_loss(y, p)), 3),
        "abstention_recall": round(float(declined[~answerable].mean()), 3) if (~answerable).any() else None,
        "false_abstention": round(float(declined[answerable].mean()), 3),
        "answered_right": round(float(y[~declined].mean()), 3) if (~declined).any() else None,
        "net": round(net(declined, data), 3),
        "net_rules_alone": round(net(data["ruled"], data), 3),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="fit and report, write nothing")
    parser.add_argument("--matches", type=Path, metavar="FILE",
                        help="read the train questions with the answer matcher's out-of-fold cosines "
                             "(eval/train_lead.py --matches FILE keeps them), as eval/train_answerable.py does")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    eval_dir = ROOT / "eval"
    # The model being fitted need not load (it may have been fitted on other features).
    with mock.patch.object(Confidence, "load", classmethod(lambda cls, *a, **k: None)):
        assistant = Assistant(Settings.from_env(abstention="rules"))
    cosines = None
    if args.matches is not None:
        sys.path.insert(0, str(ROOT / "eval"))
        from train_answerable import out_of_fold_cosines

        cosines = out_of_fold_cosines(args.matches)
    data = {name: collect(assistant, load_splits([name], eval_dir), cosines if name == "train" else None)
            for name in ("train", "dev")}
    booster, rounds = fit(data["train"], data["dev"])
    raw = {name: booster.predict(d["X"], num_iteration=rounds, raw_score=True) for name, d in data.items()}
    a, b = platt(raw["dev"], data["dev"]["y"])
    p = {name: np.array([calibrated(r, a, b) for r in raw[name]]) for name in data}
    at = threshold(p["dev"], data["dev"])
    report = {name: figures(p[name], data[name], at) for name in data}
    print(f"trees {rounds}, Platt a={a:.3f} b={b:.3f}, threshold {at:.3f}")
    for name, f in report.items():
        print(f"{name:5s} {json.dumps(f)}")
    if args.dry_run:
        return 0
    booster.save_model(str(MODEL_PATH), num_iteration=rounds)
    gain = booster.feature_importance("gain", iteration=rounds)
    write_card(CARD_PATH, MODEL_PATH, started, rounds=rounds, gain=gain, platt=(a, b), threshold=at, figures=report,
               label="the first quote of the composed answer holds a gold string (0 for unanswerable questions)",
               chosen_on="dev: number of trees (log loss), Platt scaling, threshold (best net with false abstention <= 0.03)")
    return 0


def write_card(card: Path, model: Path, started: float, *, rounds: int, gain, platt: tuple[float, float], threshold: float,
               figures: dict, label: str, chosen_on: str, **chosen_by) -> None:
    """A classifier's model card beside its model (this script's and
    eval/train_answerable.py's): what it was fitted on, how it was chosen
    (`chosen_by`: further figures of the choice), its calibration,
    threshold, features and figures."""
    train = split_path("train", ROOT / "eval")
    card.write_text(json.dumps({
        "model": f"LightGBM binary, {rounds} trees of at most 7 leaves, learning rate 0.03, seed {SEED}",
        "label": label,
        "fitted_on": {"split": "train", "file": str(train.relative_to(ROOT)), "sha256": file_sha256(train)},
        "chosen_on": chosen_on,
        **chosen_by,
        "platt": {"a": platt[0], "b": platt[1]},
        "threshold": threshold,
        "features": list(FEATURES),
        "gain": {name: round(float(g), 1) for name, g in zip(FEATURES, gain)},
        "figures": figures,
        "seconds": round(time.perf_counter() - started, 1),
    }, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {model.relative_to(ROOT)} and {card.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
