"""Draw the evidence sentences that the train and test questions are written from.

    .venv/bin/python eval/sample_evidence.py [--seed 14] [--test 290] [--train 870] [--more 0] [--out eval/samples]

Sample, do not cherry-pick: every quotable sentence of the corpus that states
something (`fact_bearing`) is a candidate; candidates are grouped into strata
(a document, and for the annual report each chapter), each stratum gets a
share of the draw in proportion to its length in characters, and sentences
are drawn at random within it (seeded, so the draw can be repeated). Boxes,
tables, definitions and footnotes are candidates like any other sentence.

The test draw comes first, then the train draw from what is left, so that no
sentence is drawn for both. Each split's draw is cut into writers' shares of
consecutive corpus regions (a writer reads a stretch of the corpus and writes
follow-ups and near misses about neighbouring facts); test and train writers
are different people, so test items are written independently of train items.

A third draw (`--more N`, writers `--more-writers`) comes from what the two
draws left, for more train questions (issue 16: the learned components need
more than the first train draw); the first two draws do not change with it,
so their files are written again byte for byte.

Output: OUT/<writer>.jsonl, one sampled sentence a line:
    {"sample": "te-a-017", "doc": "overview-2024", "start": 1234, "end": 1290,
     "text": "...", "section": "4. INTERNATIONAL PROTECTION > 4.1 ...", "context": "..."}
`start`/`end` are character offsets into the corpus file's text as emnqa
loads it (UTF-8, universal newlines), so `text == document.text[start:end]`.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

from emnqa.config import Settings
from emnqa.ingest.corpus import load_corpus
from emnqa.store.build import chunk_corpus, chunking_params
from emnqa.text.spans import quotable_sentences

ROOT = Path(__file__).resolve().parents[1]
_WORD = re.compile(r"[^\W\d_]{2,}")
_LOWER_WORD = re.compile(r"\b[a-zà-ÿ]{3,}\b")
_DIGITS = re.compile(r"\d")
_URL = re.compile(r"https?://|www\.")


def fact_bearing(sentence: str) -> bool:
    """Whether a sentence states something a question could ask about: a
    sentence of seven words or more in running text (not a heading in
    capitals, not a bare web address), or a short line with a figure (a
    table row, a slide's bullet with a number).

    >>> fact_bearing("In 2024, 39 615 individuals applied for international protection.")
    True
    >>> fact_bearing("BORDERS, VISA AND SCHENGEN 112")
    False
    >>> fact_bearing("Brussels Capital Region € 86 110")
    True
    >>> fact_bearing("https://www.example.org/report, last accessed on 25 March 2025")
    False
    """
    words = _WORD.findall(sentence)
    lower = _LOWER_WORD.findall(sentence)
    without_urls = _URL.sub("", sentence)
    if _URL.search(sentence) and len(_WORD.findall(without_urls)) < 7:
        return False
    if len(words) >= 7 and len(lower) >= 3:
        return True
    return len(words) >= 3 and bool(_DIGITS.search(sentence)) and len(sentence) >= 15


def candidates(corpus, chunks) -> list[dict]:
    """Every fact-bearing sentence with its stratum and section path."""
    by_doc = defaultdict(list)
    for chunk in chunks:
        by_doc[chunk.doc_id].append(chunk)
    found = []
    for doc in corpus.documents:
        doc_chunks = sorted(by_doc[doc.doc_id], key=lambda c: c.start)
        starts = [c.start for c in doc_chunks]
        for a, b in quotable_sentences(doc.text):
            sentence = doc.text[a:b]
            if not fact_bearing(sentence):
                continue
            i = max(0, bisect.bisect_right(starts, a) - 1)
            section = doc_chunks[i].section_path if doc_chunks else ()
            chapter = section[0] if (section and corpus.layouts.get(doc.doc_id) == "report") else ""
            found.append(
                {
                    "doc": doc.doc_id,
                    "start": a,
                    "end": b,
                    "text": sentence,
                    "section": " > ".join(section),
                    "stratum": f"{doc.doc_id}|{chapter}",
                    "context": _context(doc.text, a, b),
                }
            )
    return found


def _context(text: str, a: int, b: int, width: int = 500) -> str:
    left = text.rfind("\n\n", 0, max(0, a - width))
    right = text.find("\n\n", b + width)
    left = max(0, a - width) if left < 0 else left
    right = min(len(text), b + width) if right < 0 else right
    return text[max(left, a - 2 * width) : min(right, b + 2 * width)].strip()


def allocate(strata: dict[str, list[dict]], total: int) -> dict[str, int]:
    """How many sentences each stratum gives: proportional to its length in
    characters (largest remainders), at least one, never more than it has."""
    size = {name: sum(len(c["text"]) for c in members) for name, members in strata.items()}
    whole = sum(size.values())
    exact = {name: total * size[name] / whole for name in strata}
    counts = {name: max(1, min(len(strata[name]), int(exact[name]))) for name in strata}
    for name in sorted(strata, key=lambda n: exact[n] - int(exact[n]), reverse=True):
        if sum(counts.values()) >= total:
            break
        if counts[name] < len(strata[name]):
            counts[name] += 1
    return counts


def draw(pool: list[dict], total: int, rng: random.Random) -> list[dict]:
    strata: dict[str, list[dict]] = defaultdict(list)
    for c in pool:
        strata[c["stratum"]].append(c)
    chosen = []
    for name, count in sorted(allocate(strata, total).items()):
        chosen.extend(rng.sample(strata[name], count))
    return chosen


def shares(sample: list[dict], writers: list[str], order: list[str]) -> dict[str, list[dict]]:
    """Cut a draw, in corpus order, into equal consecutive shares."""
    ranked = sorted(sample, key=lambda c: (order.index(c["doc"]), c["start"]))
    size = -(-len(ranked) // len(writers))
    return {w: ranked[i * size : (i + 1) * size] for i, w in enumerate(writers)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--test", type=int, default=290, help="sentences drawn for the test writers")
    parser.add_argument("--train", type=int, default=870, help="sentences drawn for the train writers")
    parser.add_argument("--test-writers", default="te-a,te-b")
    parser.add_argument("--train-writers", default="tr-a,tr-b,tr-c,tr-d,tr-e,tr-f")
    parser.add_argument("--more", type=int, default=0, help="a third draw, from what is left, for more train writers")
    parser.add_argument("--more-writers", default="tr-g,tr-h,tr-i,tr-j,tr-k,tr-l,tr-m")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "samples")
    args = parser.parse_args()

    corpus = load_corpus(args.corpus)
    chunks = chunk_corpus(corpus, chunking_params(Settings()))
    pool = candidates(corpus, chunks)
    rng = random.Random(args.seed)
    test = draw(pool, args.test, rng)
    taken = {(c["doc"], c["start"]) for c in test}
    train = draw([c for c in pool if (c["doc"], c["start"]) not in taken], args.train, rng)
    taken |= {(c["doc"], c["start"]) for c in train}
    left = [c for c in pool if (c["doc"], c["start"]) not in taken]
    more = draw(left, min(args.more, len(left)), rng) if args.more else []
    # The annual report first, then the smaller documents: each writer's share
    # is a stretch of reading.
    order = sorted((d.doc_id for d in corpus.documents), key=lambda d: (d != "overview-2024", d))
    args.out.mkdir(parents=True, exist_ok=True)
    draws = [("test", test, args.test_writers), ("train", train, args.train_writers)]
    if more:
        draws.append(("train (more)", more, args.more_writers))
    for split, sample, writers in draws:
        for writer, share in shares(sample, writers.split(","), order).items():
            path = args.out / f"{writer}.jsonl"
            with path.open("w", encoding="utf-8") as f:
                for n, c in enumerate(share, start=1):
                    row = {"sample": f"{writer}-{n:03d}", **{k: v for k, v in c.items() if k != "stratum"}}
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
            docs = sorted({c["doc"] for c in share})
            print(f"{split} {writer}: {len(share)} sentences from {', '.join(docs)} -> {path}")
    print(
        f"{len(pool)} fact-bearing sentences; drew {len(test)} for test, {len(train)} for train"
        f" and {len(more)} more for train (seed {args.seed})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
