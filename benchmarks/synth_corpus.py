"""A synthetic corpus N times the size of corpus/: every document replicated
with its numbers and some names perturbed, so chunks differ (and are embedded
anew) but read like the originals.

    .venv/bin/python benchmarks/synth_corpus.py OUT_DIR [--copies 100] [--corpus corpus]
    EMNQA_CORPUS=OUT_DIR EMNQA_INDEX=/tmp/emnqa-100x/index .venv/bin/emnqa index

Copy i of doc X becomes X-copy-i.txt with a manifest entry of its own (same
kind, layout and year), numbers shifted by a deterministic amount and a few
country and city names swapped. About 700 chunks per copy: 100 copies give
~70,000 chunks (and ~260,000 sentences to embed: hours on 2 cores).
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]
NAMES = ["Syria", "Afghanistan", "Eritrea", "Türkiye", "Brussels", "Liège", "Antwerp", "Ghent", "Morocco", "Ukraine"]
_NUMBER = re.compile(r"(?<![\d.])\d{2,}(?:[  ]\d{3})*(?![\d.])")
_YEAR = re.compile(r"^(19|20)\d\d$")


def perturb(text: str, rng: random.Random) -> str:
    """Numbers (not years) scaled by a few percent, and some names swapped."""

    def number(m: re.Match) -> str:
        raw = m.group(0)
        digits = re.sub(r"\D", "", raw)
        if _YEAR.match(digits):
            return raw
        value = max(1, round(int(digits) * rng.uniform(0.9, 1.1)))
        return f"{value:,}".replace(",", " ") if len(digits) > 3 else str(value)

    text = _NUMBER.sub(number, text)
    swap = dict(zip(NAMES, rng.sample(NAMES, len(NAMES))))
    return re.sub("|".join(NAMES), lambda m: swap[m.group(0)], text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    args = parser.parse_args()
    manifest = tomllib.loads((args.corpus / "manifest.toml").read_text(encoding="utf-8"))["document"]
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    entries = []
    for copy in range(args.copies):
        rng = random.Random(copy)
        for doc in manifest:
            source = (args.corpus / doc["file"]).read_text(encoding="utf-8")
            name = doc["file"] if copy == 0 else f"{Path(doc['file']).stem}-copy-{copy}.txt"
            text = source if copy == 0 else perturb(source, rng)
            (args.out / name).write_text(text, encoding="utf-8")
            entry = {**doc, "file": name}
            if copy:
                entry["id"] = f"{doc['id']}-copy-{copy}"
                entry["title"] = f"{doc['title']} (copy {copy})"
            entries.append(entry)
        if copy % 10 == 9:
            print(f"{copy + 1}/{args.copies} copies written", flush=True)
    lines = []
    for entry in entries:
        lines.append("[[document]]")
        lines.extend(f"{key} = {value!r}".replace("'", '"') for key, value in entry.items())
        lines.append("")
    (args.out / "manifest.toml").write_text("\n".join(lines), encoding="utf-8")
    print(f"{len(entries)} documents in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
