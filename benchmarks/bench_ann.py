"""Exact (flat) vs approximate (IVF, HNSW) FAISS search at the 100x scale,
and their recall@10 against exact.

    .venv/bin/python benchmarks/bench_ann.py [--index index] [--scale 100]

Stands in for a full 100x index build (hours of embedding on 2 cores): the
chunk vectors of the built index are replicated --scale times, each copy
perturbed with Gaussian noise and renormalised (as the synthetic corpus
perturbs numbers and names), and queried with the real embeddings of the
evaluation questions. Prints build time, p50/p95 per-query latency and
recall@10 for flat, for IVF at several nprobe values (the code's default
marked) and for HNSW at several efSearch values.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    import faiss

    from emnqa.store.embedding import SentenceTransformerEmbedder
    from emnqa.store.index import HNSW_EF_CONSTRUCTION, HNSW_NEIGHBOURS, ivf_lists, ivf_probes, load_index

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=REPO / "index")
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--noise", type=float, default=0.15)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)  # per-query latency, as one chat request sees it
    base = load_index(args.index)
    vectors = base.vectors_of(range(base.ntotal))
    rng = np.random.default_rng(0)
    copies = [vectors] + [vectors + rng.normal(0, args.noise / np.sqrt(vectors.shape[1]), vectors.shape).astype(np.float32)
                          for _ in range(args.scale - 1)]
    data = np.concatenate(copies).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    questions = [json.loads(line)["question"] for line in (REPO / "eval" / "questions.jsonl").read_text().splitlines()]
    queries = SentenceTransformerEmbedder().embed(questions)
    print(f"{len(data)} vectors (the {base.ntotal}-chunk index x{args.scale}, noise {args.noise}), "
          f"{len(queries)} queries, k={args.k}, 1 thread")

    flat = faiss.IndexFlatIP(data.shape[1])
    t = time.perf_counter()
    flat.add(data)
    flat_build = time.perf_counter() - t
    exact, flat_ms = search_each(flat, queries, args.k)
    # The copies are near-duplicates, so the exact top 10 is often a tie
    # between copies; "score recall" counts a result as right when its true
    # score reaches the exact 10th score (less 1e-4).
    kth = np.array([(data[e[-1]] @ q) for e, q in zip(exact, queries)])
    print()
    print("| index | build s | p50 ms | p95 ms | recall@10 (ids) | recall@10 (scores) | memory MB |")
    print("|---|---|---|---|---|---|---|")
    print(f"| flat (exact) | {flat_build:.1f} | {p(flat_ms, 50):.2f} | {p(flat_ms, 95):.2f} | 1.000 | 1.000 | "
          f"{data.nbytes / 2**20:.0f} |")

    faiss.omp_set_num_threads(2)  # building is a batch job: both cores
    lists = ivf_lists(len(data))
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(data.shape[1]), data.shape[1], lists, faiss.METRIC_INNER_PRODUCT)
    t = time.perf_counter()
    ivf.train(data)
    ivf.add(data)
    ivf_build = time.perf_counter() - t
    faiss.omp_set_num_threads(1)
    for probes in sorted({8, 16, 32, ivf_probes(lists), 128}):
        ivf.nprobe = probes
        found, ms = search_each(ivf, queries, args.k)
        recall = np.mean([len(set(a) & set(e)) / args.k for a, e in zip(found, exact)])
        by_score = np.mean([np.mean([(data[i] @ q) >= t - 1e-4 for i in a if i >= 0] or [0.0])
                            for a, q, t in zip(found, queries, kth)])
        mark = " (default)" if probes == ivf_probes(lists) else ""
        print(f"| IVF lists={lists} nprobe={probes}{mark} | {ivf_build:.1f} | {p(ms, 50):.2f} | {p(ms, 95):.2f} | "
              f"{recall:.3f} | {by_score:.3f} | ~{data.nbytes / 2**20:.0f} |")
    faiss.omp_set_num_threads(2)
    hnsw = faiss.IndexHNSWFlat(data.shape[1], HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    t = time.perf_counter()
    hnsw.add(data)
    hnsw_build = time.perf_counter() - t
    faiss.omp_set_num_threads(1)
    memory = data.nbytes / 2**20 + hnsw.ntotal * HNSW_NEIGHBOURS * 2 * 4 / 2**20
    for ef in (32, 64, 96, 128, 256, 512):
        hnsw.hnsw.efSearch = ef
        found, ms = search_each(hnsw, queries, args.k)
        recall = np.mean([len(set(a) & set(e)) / args.k for a, e in zip(found, exact)])
        by_score = np.mean([np.mean([(data[i] @ q) >= t - 1e-4 for i in a if i >= 0] or [0.0])
                            for a, q, t in zip(found, queries, kth)])
        print(f"| HNSW M={HNSW_NEIGHBOURS} efSearch={ef} | {hnsw_build:.1f} | {p(ms, 50):.2f} | {p(ms, 95):.2f} | "
              f"{recall:.3f} | {by_score:.3f} | ~{memory:.0f} |")
    return 0


def search_each(index, queries, k):
    found, ms = [], []
    for q in queries:
        t = time.perf_counter()
        _, ids = index.search(q[None, :], k)
        ms.append((time.perf_counter() - t) * 1000)
        found.append([int(i) for i in ids[0]])
    return found, ms


def p(values, q):
    return float(np.percentile(values, q)) if q != 50 else statistics.median(values)


if __name__ == "__main__":
    raise SystemExit(main())
