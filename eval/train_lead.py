"""Fit the learned lead: the answer matcher (src/emnqa/store/matcher.safetensors)
and the lead ranker (src/emnqa/answer/lead.txt) on the train split; choose
on dev; write the card (src/emnqa/answer/lead.json). The test split is never
read.

    .venv/bin/python eval/train_lead.py [--dry-run]

1. Candidates: for every train and dev question, the sentences the
   assistant quotes from (its top passages' sentences; select.candidates,
   hand-written lead), those the year filter admits being the quotable ones,
   and each one's vector as stored in the index. A candidate holding a gold
   string is a positive.
2. The matcher: the bundled MiniLM's question side fine-tuned (word
   embeddings frozen) so that a softmax over the cosines of the question to
   its quotable candidates and a "none of them" option (a cosine fitted with
   the model) puts its weight on the positives, or, for an unanswerable
   question, on the option (temperature TAU): a cosine then says on one
   scale whether a sentence answers. Out of fold on train (FOLDS models,
   each fitted on the other folds), so that the ranker below (and the
   answerability classifier, eval/train_answerable.py --matches) learns how
   far to trust a cosine it has not seen in training; then once on all of
   train (shipped).
3. The ranker: LightGBM lambdarank over answer.lead.FEATURES of the
   answerable questions' candidates, the matcher's cosine out of fold; the settings with the best dev precision at 1 (the
   first candidate holds the answer) among a few, the smaller model on a
   tie within one question.

Seeded; about 15 minutes on the 2-core machine. Needs the index (`emnqa
index`). Results: eval/README.md, "The learned lead".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(ROOT / "src"))

from emnqa.answer.lead import CATEGORICAL, FEATURES, LEAD_CARD, LEAD_MODEL, lead_features  # noqa: E402
from emnqa.answer.select import candidates  # noqa: E402
from emnqa.answer.years import year_test  # noqa: E402
from emnqa.assistant import Assistant  # noqa: E402
from emnqa.config import Settings  # noqa: E402
from emnqa.evaluation.questions import contains_gold  # noqa: E402
from emnqa.evaluation.splits import file_sha256, load_splits, split_path  # noqa: E402
from emnqa.retrieve.passages import sentence_spans  # noqa: E402
from emnqa.store.matcher import MATCHER_PATH, MAX_WORDPIECES, FROZEN, mean_pooled, new_encoder, save_tuned  # noqa: E402

SEED = 16
FOLDS = 5
EPOCHS, LR, TAU, BATCH = 3, 3e-5, 0.05, 16  # the matcher's fit (3 epochs: the ranker on dev as good as with 6, half the time)
NULL, NULL_LR = 0.45, 1e-2  # the "none of them" option's cosine: its start and learning rate
# The ranker's settings tried on dev (trees, leaves, learning rate, least questions... in a leaf).
GRID = (
    dict(n_estimators=60, num_leaves=4, learning_rate=0.1, min_child_samples=100),
    dict(n_estimators=100, num_leaves=7, learning_rate=0.05, min_child_samples=50),
    dict(n_estimators=300, num_leaves=7, learning_rate=0.03, min_child_samples=100, subsample=0.8, subsample_freq=1, colsample_bytree=0.8),
)

# The ranker's score rises with these features (1) or falls (-1): more of the
# hand score, or of the matcher's cosine, is never a reason to rank a
# candidate lower (decided before fitting; without it the first fits put a
# candidate below another that had both more hand score and more cosine).
MONOTONE = {"score_share": 1, "score_margin": 1, "score_rank": -1, "match": 1, "match_margin": 1, "match_rank": -1}

# The feature groups left out one at a time in the ablation.
GROUPS = {
    "matcher (match, its margin and rank)": ("match", "match_margin", "match_rank"),
    "hand score (share, rank, margin)": ("score_share", "score_rank", "score_margin"),
    "hand score's parts (cosine, coverage, cue, spells out)": ("similarity", "coverage", "cue", "spells_out"),
    "passage (rank, score)": ("passage_rank", "passage_score"),
    "context (sentence before, after the best)": ("previous_similarity", "after_best"),
    "sentence and question (figure, words, type)": ("figure", "words", "qtype"),
    "sentence kind (footnote, label)": ("note", "label"),
}


class Group:
    """One question's quotable candidates: what both models learn from."""

    def __init__(self, question, query, found, quotable, gold, vectors, reworded=None):
        self.question, self.query, self.found, self.quotable = question, query, found, quotable
        self.gold, self.vectors = gold, vectors  # per quotable candidate
        self.reworded = reworded or query.text  # the question in the report's words (PassageSearch.reworded)


def groups_of(assistant: Assistant, questions) -> list[Group]:
    """The candidate groups of the answerable questions with a positive among
    their quotable candidates, and of the unanswerable questions with any
    quotable candidate (no positive: none answers). Answerable questions
    without a positive teach neither model anything and are left out."""
    index = assistant.index
    out = []
    for q in questions:
        query, _, sources = assistant.read(q.question, q.history)
        found = candidates(query, sources, assistant.facts, assistant.params)
        admits = year_test(query.years, assistant.facts, assistant.params.year_window) if assistant.params.year_filter else None
        quotable = [i for i, e in enumerate(found) if admits is None or admits(e)]
        if not quotable:
            continue
        gold = np.array([bool(q.answerable) and contains_gold(found[i].text, q.answers) for i in quotable])
        if q.answerable and not gold.any():
            continue
        rows = {}
        for p in sources:
            rows[p.chunk_ids] = {start: row for start, _, row in sentence_spans(p, index.chunks, index.sentence_rows)}
        vectors = np.stack([index.sentence_vectors[rows[found[i].passage.chunk_ids][found[i].start]] for i in quotable])
        out.append(Group(q, query, found, quotable, gold, vectors, assistant.passages.reworded(query.text)))
    return out


def fit_matcher(groups: list[Group], seed: int = SEED):
    """The question side fine-tuned on `groups`: a listwise softmax over each
    question's quotable candidates and a "none of them" option (a cosine
    NULL, fitted with the model), the positives' share maximised for an
    answerable question, the option's for an unanswerable one. So a cosine
    says how well a sentence answers, on one scale for every question: the
    answerability classifier reads the lead's (answer/answerable.py)."""
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(seed)
    model, tokenizer = new_encoder()
    model.train()
    for name, p in model.named_parameters():
        p.requires_grad = not name.startswith(FROZEN)
    trained = [p for p in model.parameters() if p.requires_grad]
    null = torch.nn.Parameter(torch.tensor(NULL))
    optimiser = torch.optim.AdamW([{"params": trained}, {"params": [null], "lr": NULL_LR, "weight_decay": 0.0}], lr=LR, weight_decay=0.01)
    steps = EPOCHS * ((len(groups) + BATCH - 1) // BATCH)
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)))
    rng = random.Random(seed)
    order = list(range(len(groups)))
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for at in range(0, len(order), BATCH):
            batch = [groups[i] for i in order[at : at + BATCH]]
            encoded = tokenizer([g.query.text for g in batch], padding=True, truncation=True, max_length=MAX_WORDPIECES, return_tensors="pt")
            questions = mean_pooled(model, encoded)
            loss = 0.0
            for vector, g in zip(questions, batch):
                logits = torch.cat([torch.from_numpy(g.vectors).float() @ vector, null.view(1)]) / TAU
                wanted = logits[:-1][torch.from_numpy(g.gold)] if g.gold.any() else logits[-1:]
                loss = loss + torch.logsumexp(logits, 0) - torch.logsumexp(wanted, 0)
            (loss / len(batch)).backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
    return model.eval(), tokenizer


def matches(model_and_tokenizer, groups: list[Group]) -> list[np.ndarray]:
    """Each group's quotable candidates' cosines to the tuned question
    vector, the better of the question's and its rewording's (as at answer
    time: retrieve.search.PassageSearch.start_matching)."""
    import torch

    model, tokenizer = model_and_tokenizer
    out = []
    with torch.inference_mode():
        for at in range(0, len(groups), 64):
            batch = groups[at : at + 64]
            texts = [g.query.text for g in batch] + [g.reworded for g in batch]
            encoded = tokenizer(texts, padding=True, truncation=True, max_length=MAX_WORDPIECES, return_tensors="pt")
            vectors = mean_pooled(model, encoded).numpy()
            for vector, reworded, g in zip(vectors[: len(batch)], vectors[len(batch) :], batch):
                out.append(np.maximum(g.vectors @ vector, g.vectors @ reworded))
    return out


def rows_of(g: Group, match: np.ndarray) -> np.ndarray:
    """The ranker's rows for a group, its candidates carrying `match`."""
    scored = list(g.found)
    for i, m in zip(g.quotable, match):
        scored[i] = replace(scored[i], match=float(m))
    return lead_features(g.query, scored, g.quotable)


def fit_ranker(groups: list[Group], match: list[np.ndarray], settings: dict, columns: list[int] | None = None):
    """The ranker on the features (or only `columns` of them, for the ablation)."""
    import lightgbm

    columns = columns if columns is not None else list(range(len(FEATURES)))
    names = [FEATURES[i] for i in columns]
    x = np.vstack([rows_of(g, m) for g, m in zip(groups, match)])[:, columns]
    y = np.concatenate([g.gold.astype(float) for g in groups])
    # More of the hand score or of the matcher's cosine never ranks a candidate lower.
    monotone = [MONOTONE.get(name, 0) for name in names]
    model = lightgbm.LGBMRanker(objective="lambdarank", random_state=SEED, verbose=-1, n_jobs=2,
                                monotone_constraints=monotone, **settings)
    model.fit(x, y, group=[len(g.gold) for g in groups], feature_name=names,
              categorical_feature=[c for c in CATEGORICAL if c in names])
    return model


def precision_at_1(scores: list[np.ndarray], groups: list[Group]) -> float:
    """The share of groups whose best-scored candidate is a positive (the first by reading order on a tie)."""
    return round(float(np.mean([g.gold[int(np.argmax(s))] for s, g in zip(scores, groups)])), 3) if groups else 0.0


def hand(g: Group) -> np.ndarray:
    return np.array([g.found[i].score for i in g.quotable])


def candidate_keys(groups) -> list[list[tuple[tuple[str, ...], int]]]:
    """Each question's quotable candidates as (chunk ids, sentence start): what
    a matches file's cosines are of, in order."""
    return [[(g.found[i].passage.chunk_ids, g.found[i].start) for i in g.quotable] for g in groups]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="fit and report (with the ablation), write nothing")
    parser.add_argument("--matches", type=Path, metavar="FILE",
                        help="keep the matcher's fit and cosines in FILE, and read them from it when it exists "
                             "(to try the ranker again without fitting the matcher six times)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    eval_dir = ROOT / "eval"

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - started:5.0f} s] {message}", flush=True)

    assistant = Assistant(Settings.from_env(reader="off", lead="hand"))  # candidates by the hand score alone
    train = groups_of(assistant, load_splits(["train"], eval_dir))
    dev = groups_of(assistant, load_splits(["dev"], eval_dir))
    say(f"{len(train)} train and {len(dev)} dev questions: {sum(g.gold.any() for g in train)} and "
        f"{sum(g.gold.any() for g in dev)} with a gold candidate, the others unanswerable")

    if args.matches is not None and args.matches.is_file():
        import torch

        kept = torch.load(args.matches, weights_only=False)
        matcher = new_encoder()
        matcher[0].load_state_dict(kept["state"])
        train_match, dev_match = kept["train"], kept["dev"]
        if kept.get("ids") != [g.question.id for g in train]:
            raise SystemExit(f"{args.matches} holds the cosines of other train questions: delete it to fit the matcher again")
        if kept.get("candidates") != candidate_keys(train):
            raise SystemExit(f"{args.matches} holds the cosines of other candidates (the passages changed: a new reranker "
                             "or index): delete it to fit the matcher again")
        say(f"matcher and its cosines read from {args.matches}")
    else:
        out_of_fold: list[np.ndarray | None] = [None] * len(train)
        for fold in range(FOLDS):
            model = fit_matcher([g for i, g in enumerate(train) if i % FOLDS != fold])
            held = [i for i in range(len(train)) if i % FOLDS == fold]
            for i, m in zip(held, matches(model, [train[i] for i in held])):
                out_of_fold[i] = m
            say(f"matcher, fold {fold + 1} of {FOLDS}")
        matcher = fit_matcher(train)
        dev_match = matches(matcher, dev)
        train_match = [m for m in out_of_fold if m is not None]
        say("matcher on all of train")
        if args.matches is not None:
            import torch

            # With the questions' ids: eval/train_answerable.py --matches reads the out-of-fold cosines.
            torch.save({"state": matcher[0].state_dict(), "train": train_match, "dev": dev_match,
                        "ids": [g.question.id for g in train], "candidates": candidate_keys(train)}, args.matches)
    unanswerable = sum(not g.gold.any() for g in train)
    # The ranker learns which candidate leads an answer: from the answerable questions alone.
    train_match = [m for m, g in zip(train_match, train) if g.gold.any()]
    dev_match = [m for m, g in zip(dev_match, dev) if g.gold.any()]
    train, dev = [g for g in train if g.gold.any()], [g for g in dev if g.gold.any()]
    figures: dict = {
        "train questions": len(train), "dev questions": len(dev),
        "p@1 hand score": {"train": precision_at_1([hand(g) for g in train], train), "dev": precision_at_1([hand(g) for g in dev], dev)},
        "p@1 matcher alone": {"train (out of fold)": precision_at_1(train_match, train), "dev": precision_at_1(dev_match, dev)},
        "p@1 ranker": {},
    }
    best = None
    for settings in GRID:
        ranker = fit_ranker(train, train_match, settings)
        dev_p = precision_at_1([ranker.booster_.predict(rows_of(g, m)) for g, m in zip(dev, dev_match)], dev)
        in_p = precision_at_1([ranker.booster_.predict(rows_of(g, m)) for g, m in zip(train, train_match)], train)
        key = f"{settings['n_estimators']} trees, {settings['num_leaves']} leaves"
        figures["p@1 ranker"][key] = {"train (in-sample)": in_p, "dev": dev_p}
        say(f"ranker {key}: train {in_p}, dev {dev_p}")
        # The first (smallest) settings unless another is better by more than one question.
        if best is None or dev_p > best[0] + 1.0 / max(1, len(dev)) + 1e-9:
            best = (dev_p, key, settings, ranker)
    _, key, settings, ranker = best
    figures["chosen"] = key
    # Each feature group left out in turn (the chosen settings, refitted): what it earns on dev.
    figures["dev p@1 without"] = {}
    for group, names in GROUPS.items():
        kept = [i for i, name in enumerate(FEATURES) if name not in names]
        pruned = fit_ranker(train, train_match, settings, kept)
        figures["dev p@1 without"][group] = precision_at_1([pruned.booster_.predict(rows_of(g, m)[:, kept]) for g, m in zip(dev, dev_match)], dev)
    say(f"ablation on dev: {json.dumps(figures['dev p@1 without'])}")
    print(json.dumps(figures, indent=2))
    if args.dry_run:
        return 0
    save_tuned(matcher[0], MATCHER_PATH)
    ranker.booster_.save_model(str(LEAD_MODEL))
    card = {
        "matcher": f"the question side of all-MiniLM-L6-v2 (bundled) fine-tuned, word embeddings frozen: {EPOCHS} epochs, "
                   f"batch {BATCH}, AdamW lr {LR}, warm-up 10%, softmax over each question's quotable candidates and a "
                   f"'none of them' option (a fitted cosine, from {NULL}, lr {NULL_LR}) at temperature {TAU}, seed {SEED}; "
                   f"the {unanswerable} unanswerable train questions with candidates want the option; "
                   f"{FOLDS}-fold out of fold on train for the ranker",
        "ranker": f"LightGBM lambdarank, {key} ({json.dumps(settings)}), over {len(FEATURES)} features",
        "features": list(FEATURES),
        "fitted_on": {"split": "train", "file": str(split_path("train", eval_dir).relative_to(ROOT)),
                      "sha256": file_sha256(split_path("train", eval_dir)), "questions": len(train),
                      "candidates": int(sum(len(g.gold) for g in train)), "positives": int(sum(g.gold.sum() for g in train))},
        "figures": figures,
        "seconds": round(time.perf_counter() - started, 1),
    }
    LEAD_CARD.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    say(f"wrote {MATCHER_PATH.relative_to(ROOT)} ({MATCHER_PATH.stat().st_size / 1e6:.1f} MB), "
        f"{LEAD_MODEL.relative_to(ROOT)} and {LEAD_CARD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
