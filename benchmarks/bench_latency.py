"""`search` and `ask` latency over the evaluation questions, warm, one process.

    .venv/bin/python benchmarks/bench_latency.py [--index index] [--questions eval/questions.jsonl]

Loads the Assistant once (the time is printed), answers every question once
to warm up, then times `Assistant.search` and `Assistant.ask` on each
question and prints p50/p95/max in ms and the process's peak resident memory.
EMNQA_INDEX / EMNQA_CORPUS choose another index (e.g. the 100x corpus).

    .venv/bin/python benchmarks/bench_latency.py --by-language

times `ask` on the train split's single-turn questions by language (English,
French, Dutch, interleaved so that the machine's load falls on all three
alike), and the language stage alone (detection and translation).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]


def percentiles(ms: list[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):.1f} | {p95:.1f} | {ordered[-1]:.1f}"


def main() -> int:
    from emnqa.assistant import Assistant
    from emnqa.config import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--questions", type=Path, default=REPO / "eval" / "questions.jsonl")
    parser.add_argument("--by-language", action="store_true", help="ask latency by the question's language (train split)")
    args = parser.parse_args()
    if args.by_language:
        return by_language(Assistant(Settings.from_env(index_dir=args.index)))
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    settings = Settings.from_env(index_dir=args.index)
    started = time.perf_counter()
    assistant = Assistant(settings)
    load_s = time.perf_counter() - started
    for q in questions[:20]:  # warm-up: model kernels, caches
        assistant.ask(q)
    timings: dict[str, list[float]] = {"search (k=10)": [], "ask": []}
    # Two passes: the retriever keeps the last query vector, so timing search
    # and ask of one question back to back would hide the second embedding.
    for q in questions:
        t = time.perf_counter()
        assistant.ask(q)
        timings["ask"].append((time.perf_counter() - t) * 1000)
    for q in questions:
        t = time.perf_counter()
        assistant.search(q, 10)
        timings["search (k=10)"].append((time.perf_counter() - t) * 1000)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    manifest = assistant.index.manifest
    print(f"index: {settings.index_dir}  chunks: {assistant.index.ntotal}  type: {manifest.get('index_type')}  "
          f"encoder: {manifest['model'].get('backend', 'torch')}  "
          f"questions: {len(questions)}  threads: {os.environ.get('OMP_NUM_THREADS', 'default')}")
    print(f"Assistant load: {load_s:.1f} s; peak RSS {peak_mb:.0f} MB")
    print()
    print("| operation | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    for name, ms in timings.items():
        print(f"| {name} | {percentiles(ms)} |")
    return 0


def by_language(assistant) -> int:
    from emnqa.language.understand import to_english

    rows = [json.loads(line) for line in (REPO / "eval" / "train.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    by: dict[str, list[str]] = {}
    for row in rows:
        if not row.get("history"):
            by.setdefault(row.get("lang", "en"), []).append(row["question"])
    n = min(len(v) for v in by.values())
    languages = sorted(by)
    for q in by["en"][:20]:
        assistant.ask(q)
    ask: dict[str, list[float]] = {lang: [] for lang in languages}
    stage: dict[str, list[float]] = {lang: [] for lang in languages}
    for i in range(n):
        for lang in languages:
            q = by[lang][i]
            t = time.perf_counter()
            to_english(q, None, assistant.trilingual)  # None: the shipped lexicon
            stage[lang].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            assistant.ask(q)
            ask[lang].append((time.perf_counter() - t) * 1000)
    print(f"{n} single-turn train questions a language, interleaved")
    print()
    print("| language | ask p50 ms | ask p95 ms | ask max ms | language stage p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    for lang in languages:
        print(f"| {lang} | {percentiles(ask[lang])} | {percentiles(stage[lang])} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
