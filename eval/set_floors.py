"""Propose the CI floors of eval/floors.json from an evaluation run of the test split.

    .venv/bin/python eval/set_floors.py eval/runs/<run> [--write]

Each floor is the measured value less one question's move, rounded down to
three decimals (a ceiling: plus one question's move, rounded up): hit@5 and
answer rates move by 1/n, MRR by a move from rank 1 to 2 (0.5/n), citation
precision by half a question. Floors only move up and ceilings only down:
--write refuses to loosen one (edit floors.json by hand, and say why in
eval/README.md, if a documented trade needs it). A new version of the test
split (eval/splits.json) is a new set of questions: its floors are set
afresh.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

EVAL = Path(__file__).resolve().parent
MODES = {"bm25": ("hit@5", "mrr@10"), "dense": ("hit@5", "mrr@10"), "hybrid": ("hit@5", "mrr@10"), "assistant": ("hit@5", "mrr@10")}
ANSWER_FLOORS = ("answer@1", "answer@any", "citation_precision", "quote_fidelity", "abstention_recall")
ANSWER_CEILINGS = ("false_abstention",)


def down(x: float) -> float:
    return math.floor(x * 1000 + 1e-9) / 1000


def up(x: float) -> float:
    return math.ceil(x * 1000 - 1e-9) / 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path)
    parser.add_argument("--split", default="test")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--trade", action="append", default=[], metavar="METRIC",
                        help="write even though METRIC's floor falls: a trade documented in eval/README.md and in "
                        "floors.json's since_measured (the English floor of that metric then guards English alone)")
    parser.add_argument("--tighten-only", action="store_true",
                        help="write the floors that rise and the ceilings that fall; one the run would loosen keeps its old value")
    args = parser.parse_args()
    data = json.loads((args.run / "results.json").read_text(encoding="utf-8"))
    part = data["splits"][args.split]
    modes, answers = part["modes"], part["answers"]["overall"]
    single = next(iter(modes.values()))["counts"]["single_turn"]
    n, unanswerable = answers["n"], answers["unanswerable_n"]
    move = {"hit@5": 1 / single, "mrr@10": 0.5 / single, "answer@1": 1 / n, "answer@any": 1 / n,
            "citation_precision": 0.5 / n, "quote_fidelity": 0.0, "abstention_recall": 1 / unanswerable,
            "false_abstention": 1 / n}
    new = {
        "modes": {m: {k: down(modes[m]["single_turn"][k] - move[k]) for k in ks} for m, ks in MODES.items() if m in modes},
        "answers": {
            "floors": {k: down(answers[k] - move[k]) for k in ANSWER_FLOORS},
            "ceilings": {k: up(answers[k] + move[k]) for k in ANSWER_CEILINGS},
        },
    }
    # A traded metric keeps a floor on the English questions alone, so that
    # what the trade lets fall is only what it was documented for.
    english = part["answers"].get("groups", {}).get("lang", {}).get("en", {})
    if args.trade and english:
        counts = {k: english["unanswerable_n"] if k == "abstention_recall" else english["n"] for k in args.trade}
        new["answers"]["english"] = {k: down(english[k] - 1 / max(1, counts[k])) for k in args.trade}
    measured = {
        "modes": {m: {k: round(modes[m]["single_turn"][k], 4) for k in ks} for m, ks in MODES.items() if m in modes},
        "answers": {k: round(answers[k], 4) for k in ANSWER_FLOORS + ANSWER_CEILINGS + ("aurc",) if k in answers},
        "counts": {"single_turn": single, "answerable": n, "unanswerable": unanswerable},
    }
    path = EVAL / "floors.json"
    old = json.loads(path.read_text(encoding="utf-8"))
    version = json.loads((EVAL / "splits.json").read_text(encoding="utf-8")).get(args.split, {}).get("version")
    same = old.get("split") == args.split and old.get("split_version") == version
    if args.tighten_only and same:
        for m, ks in new["modes"].items():
            for k in ks:
                ks[k] = max(ks[k], old["modes"].get(m, {}).get(k, 0))
        for k in new["answers"]["floors"]:
            new["answers"]["floors"][k] = max(new["answers"]["floors"][k], old["answers"]["floors"].get(k, 0))
        for k in new["answers"]["ceilings"]:
            new["answers"]["ceilings"][k] = min(new["answers"]["ceilings"][k], old["answers"]["ceilings"].get(k, 1))
        # A retriever the run did not measure (`--mode assistant`) keeps its floors and figures.
        for m, ks in old["modes"].items():
            new["modes"].setdefault(m, ks)
            measured["modes"].setdefault(m, old.get("measured", {}).get("modes", {}).get(m, {}))
        # The English floors of earlier trades stay, raised where English rose.
        for k, floor in old["answers"].get("english", {}).items():
            count = english.get("unanswerable_n" if k == "abstention_recall" else "n", 0)
            measured_floor = down(english[k] - 1 / count) if english and count else 0.0
            new["answers"].setdefault("english", {})[k] = max(floor, measured_floor)
    looser = []
    if same:
        looser += [f"{m} {k}" for m, ks in new["modes"].items() for k, v in ks.items() if v < old["modes"].get(m, {}).get(k, 0)]
        looser += [k for k, v in new["answers"]["floors"].items() if v < old["answers"]["floors"].get(k, 0) and k not in args.trade]
        looser += [k for k, v in new["answers"]["ceilings"].items() if v > old["answers"]["ceilings"].get(k, 1)]
    print(json.dumps({"measured": measured, **new}, indent=1))
    if looser:
        print(f"would loosen: {', '.join(looser)}; floors only move up (not written)")
        return 1
    if args.write:
        old.update({"split": args.split, "split_version": version, "measured": {"run": data["meta"].get("created"), **measured}, **new})
        path.write_text(json.dumps(old, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
