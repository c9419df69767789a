"""Encoder throughput per backend: chunks/s, sentences/s and one-question latency.

    .venv/bin/python benchmarks/bench_encoder.py --index DIR [--backends torch onnx onnx-int8]
        [--chunks 256] [--sentences 512] [--queries 100] [--model-cache DIR]

Texts are those `emnqa index` embeds, read from a built index (the chunk texts
with their title and section path, and the quotable sentences); questions are
the evaluation set's, embedded one at a time as `ask` does. Each backend runs
in this process in turn: first load (model load, plus the one-off ONNX export
when --model-cache is empty), a warm-up, then the timings. Also prints each
backend's mean and minimum cosine to the torch vectors of the same sentences.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]


def corpus_texts(index_dir: Path) -> tuple[list[str], list[str]]:
    from emnqa.ingest.chunking import embedding_text
    from emnqa.store.index import load_index

    index = load_index(index_dir)
    chunks = [embedding_text(index.documents[c.doc_id]["title"], c.section_path, c.text) for c in index.chunks]
    sentences = [c.text[a:b] for c in index.chunks for a, b in c.meta.get("sentences", ())]
    return chunks, sentences


def main() -> int:
    import numpy as np

    from emnqa.config import EMBED_BACKENDS, Settings
    from emnqa.store.embedding import SentenceTransformerEmbedder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--backends", nargs="+", default=list(EMBED_BACKENDS), choices=EMBED_BACKENDS)
    parser.add_argument("--chunks", type=int, default=256)
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--model-cache", type=Path, default=None)
    parser.add_argument("--questions", type=Path, default=REPO / "eval" / "questions.jsonl")
    args = parser.parse_args()

    chunks, sentences = corpus_texts(args.index)
    # Spread over the corpus, not only its first document.
    chunks = chunks[:: max(1, len(chunks) // args.chunks)][: args.chunks]
    sentences = sentences[:: max(1, len(sentences) // args.sentences)][: args.sentences]
    lines = args.questions.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][: args.queries]
    cache = args.model_cache or Settings.from_env().model_cache_dir

    print(f"cpus: {os.cpu_count()}  chunks: {len(chunks)}  sentences: {len(sentences)}  queries: {len(questions)}")
    print()
    print("| backend | first load s | chunks/s | sentences/s | query p50 ms | query p95 ms | cos to torch mean / min |")
    print("|---|---|---|---|---|---|---|")
    reference = None
    for backend in args.backends:
        started = time.perf_counter()
        embedder = SentenceTransformerEmbedder(backend=backend, model_cache_dir=cache)
        embedder.embed(["load the model"])
        load_s = time.perf_counter() - started
        embedder.embed(sentences[:64])  # warm-up
        t = time.perf_counter()
        embedder.embed(chunks)
        chunk_rate = len(chunks) / (time.perf_counter() - t)
        t = time.perf_counter()
        vectors = embedder.embed(sentences)
        sentence_rate = len(sentences) / (time.perf_counter() - t)
        ms = []
        for q in questions:
            t = time.perf_counter()
            embedder.embed([q])
            ms.append((time.perf_counter() - t) * 1000)
        ms.sort()
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        if backend == "torch":
            reference = vectors
        agreement = "—"
        if reference is not None:
            cosines = (vectors * reference).sum(axis=1)
            agreement = f"{np.mean(cosines):.4f} / {np.min(cosines):.4f}"
        print(f"| {backend} | {load_s:.1f} | {chunk_rate:.0f} | {sentence_rate:.0f} | "
              f"{statistics.median(ms):.1f} | {p95:.1f} | {agreement} |", flush=True)
        del embedder
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
