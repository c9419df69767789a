"""Index build times on this machine, as a user would see them.

    .venv/bin/python benchmarks/bench_index.py [--corpus corpus] [--repeat 3]

Each run is a fresh `emnqa index` process (model load included) on a
temporary index directory:
- from scratch: empty directory, no embedding cache;
- warm cache:   `--rebuild` with the cache of the previous build;
- unchanged:    plain `emnqa index` on an up-to-date index (a no-op check).
Prints a Markdown table (median of --repeat runs) and the chunk/token figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, result.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    emnqa = [sys.executable, "-m", "emnqa"]
    times: dict[str, list[float]] = {"from scratch": [], "warm cache (--rebuild)": [], "unchanged (no-op)": []}
    last = ""
    for _ in range(args.repeat):
        root = Path(tempfile.mkdtemp(prefix="emnqa-bench-"))
        try:
            base = emnqa + ["index", "--corpus", str(args.corpus), "--index", str(root / "index")]
            seconds, last = timed(base)
            times["from scratch"].append(seconds)
            times["warm cache (--rebuild)"].append(timed(base + ["--rebuild"])[0])
            times["unchanged (no-op)"].append(timed(base)[0])
            manifest = json.loads(next((root / "index").glob("build-*/manifest.json")).read_text())
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print(f"corpus: {args.corpus}  runs: {args.repeat}")
    print(last)
    print(f"counts: {manifest['counts']}")
    print()
    print("| emnqa index | median s | min s | max s |")
    print("|---|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
