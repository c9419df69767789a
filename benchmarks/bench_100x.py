"""The whole assistant at N times the corpus: start-up, `ask` latency and
memory with the exact (flat) and the approximate (IVF, HNSW) FAISS index,
and the approximate index's recall@10 against exact.

    .venv/bin/python benchmarks/bench_100x.py [--index index] [--scale 100] [--kinds flat,ivf]

Embedding a real 100x corpus (about 70,000 chunks and 260,000 sentences)
takes hours on 2 cores, so the 100x index is made from the built 1x index
instead: every chunk is copied N times with its figures changed (each digit
that is not part of a year replaced, so sentence offsets stay valid) and its
chunk and sentence vectors perturbed with Gaussian noise and renormalised,
as bench_ann.py does. Everything else is the real thing: BM25 (bm25s) over
all N x 713 chunk texts, the acronym lexicon mined from them, the reranker,
the passages, the composer, and the real model embedding each question.
Questions: the 197 of eval/questions.jsonl (follow-ups with their history),
20 warm-up questions first, one at a time in one process.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import resource
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
_DIGIT_RUN = re.compile(r"\d+")
_YEAR = re.compile(r"^(19|20)\d\d$")


def perturbed(text: str, rng: random.Random) -> str:
    """The text with every digit outside a year replaced: same length, so
    the chunk's sentence offsets still hold."""

    def digits(m: re.Match) -> str:
        run = m.group(0)
        return run if _YEAR.match(run) else "".join(str(rng.randrange(10)) for _ in run)

    return _DIGIT_RUN.sub(digits, text)


def noisy(vectors: np.ndarray, rng: np.random.Generator, noise: float) -> np.ndarray:
    out = vectors + rng.normal(0, noise / np.sqrt(vectors.shape[1]), vectors.shape).astype(np.float32)
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def scaled_index(base, scale: int, kind: str, noise: float):
    """An in-memory ChunkIndex of `scale` copies of `base`."""
    from emnqa.store.index import build_index

    chunks, documents = [], []
    rng, nrng = random.Random(0), np.random.default_rng(0)
    vectors = base.vectors_of(range(base.ntotal))
    sentences = base.sentence_vectors
    all_vectors, all_sentences = [vectors], [sentences]
    for copy in range(scale):
        suffix = "" if copy == 0 else f"-copy-{copy}"
        for doc_id, doc in base.documents.items():
            documents.append({**doc, "doc_id": doc_id + suffix, "title": doc.get("title", doc_id) + (f" (copy {copy})" if copy else "")})
        for chunk in base.chunks:
            if copy == 0:
                chunks.append(chunk)
            else:
                chunks.append(replace(chunk, chunk_id=f"{chunk.doc_id}{suffix}:{chunk.chunk_id.split(':', 1)[1]}",
                                      doc_id=chunk.doc_id + suffix, text=perturbed(chunk.text, rng)))
        if copy:
            all_vectors.append(noisy(vectors, nrng, noise))
            all_sentences.append(noisy(sentences, nrng, noise))
    manifest = base.manifest
    return build_index(
        chunks, np.concatenate(all_vectors), documents=documents, model_name=manifest["model"]["name"],
        dimension=manifest["model"]["dimension"], chunking=manifest.get("chunking", {}),
        corpus_fingerprint="synthetic", sentence_vectors=np.concatenate(all_sentences), faiss_index=kind,
        backend=manifest["model"].get("backend"),
    )


def percentile(values, q):
    return statistics.median(values) if q == 50 else float(np.percentile(values, q))


def main() -> int:
    from emnqa.assistant import Assistant
    from emnqa.config import Settings
    from emnqa.evaluation.questions import load_questions
    from emnqa.retrieve.retrievers import open_index

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=REPO / "index")
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--kinds", default="flat,ivf", help="comma-separated: flat, ivf, hnsw")
    parser.add_argument("--noise", type=float, default=0.15)
    args = parser.parse_args()
    settings = Settings.from_env(index_dir=args.index)
    base, embedder = open_index(settings)
    questions = load_questions(REPO / "eval" / "questions.jsonl")
    print(f"1x index: {base.ntotal} chunks, {len(base.sentence_vectors)} sentences; scale x{args.scale}; "
          f"encoder {getattr(embedder, 'backend', '?')}; {len(questions)} questions")
    print()
    print("| index | chunks | build s | assistant start s | ask p50 ms | ask p95 ms | dense recall@10 | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    exact_top: dict[str, list[int]] = {}
    for kind in args.kinds.split(","):
        gc.collect()
        t = time.perf_counter()
        index = scaled_index(base, args.scale, kind, args.noise)
        built = time.perf_counter() - t
        t = time.perf_counter()
        assistant = Assistant(settings, index=index, embedder=embedder)
        started = time.perf_counter() - t
        for q in questions[:20]:
            assistant.ask(q.question, q.history)
        times, recall = [], []
        for q in questions:
            t = time.perf_counter()
            assistant.ask(q.question, q.history)
            times.append((time.perf_counter() - t) * 1000)
            vector = assistant.retriever.dense.vector(assistant.interpret(q.question, q.history))
            top = [p for p, _ in index.search(vector, 10)[0]]
            if kind == "flat":
                exact_top[q.id] = top
            elif q.id in exact_top:
                recall.append(len(set(top) & set(exact_top[q.id])) / 10)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rec = "1.000 (exact)" if kind == "flat" else (f"{np.mean(recall):.3f}" if recall else "n/a (run flat first)")
        print(f"| {kind} | {index.ntotal} | {built:.1f} | {started:.1f} | {percentile(times, 50):.1f} | "
              f"{percentile(times, 95):.1f} | {rec} | {rss:.0f} |", flush=True)
        del assistant, index
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
