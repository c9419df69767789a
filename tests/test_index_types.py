"""The approximate (HNSW, IVF) indexes beside the exact one: same interface, recorded
in the manifest, reconstructable vectors, and a settings change makes the
index stale."""

import numpy as np
import pytest

from emnqa.config import Settings
from emnqa.errors import EmnqaError
from emnqa.store.index import build_index, load_index, save_index
from emnqa.store.build import build, index_status
from emnqa.types import Chunk

from fakes import FakeEmbedder


def _chunks(n):
    return [Chunk(f"d:{i}", "d", f"text {i}", ("S",), i, i + 1, 2, ((i, i + 1),)) for i in range(n)]


def _index(kind, vectors):
    return build_index(
        _chunks(len(vectors)), vectors, documents=[{"doc_id": "d", "title": "D"}], model_name="m",
        dimension=vectors.shape[1], chunking={}, corpus_fingerprint="x", faiss_index=kind,
    )


@pytest.fixture(scope="module")
def vectors():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(500, 24)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_round_trip_finds_what_flat_finds_and_reconstructs(tmp_path, vectors, kind):
    save_index(_index(kind, vectors), tmp_path / "idx")
    hnsw, flat = load_index(tmp_path / "idx"), _index("flat", vectors)
    assert hnsw.manifest["index_type"] == f"{kind}_ip" and flat.manifest["index_type"] == "flat_ip"
    queries = vectors[:50] + 0.05
    exact = flat.search(queries, 10)
    approx = hnsw.search(queries, 10)
    recall = np.mean([len({p for p, _ in a} & {p for p, _ in e}) / 10 for a, e in zip(approx, exact)])
    assert recall >= 0.95
    assert np.allclose(hnsw.vectors_of([3, 7]), vectors[[3, 7]])  # the reranker needs stored vectors
    every = [p for p, _ in hnsw.search(queries[:1], 1000)[0]]  # k beyond the size: no -1 padding
    # IVF sees only the cells it probes (all 12 here): most, not all, vectors.
    assert 400 < len(every) == len(set(every)) and min(every) >= 0


def test_faiss_index_setting_is_built_recorded_and_checked(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Asylum\n\nIn 2024, 39 615 people applied for asylum.\n", encoding="utf-8")
    settings = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "idx", model_name="fake/keyword-bag",
                                 faiss_index="hnsw")
    build(settings, embedder_factory=FakeEmbedder, progress=False)
    assert index_status(settings)[0] == "ok"
    assert load_index(settings.index_dir).manifest["index_type"] == "hnsw_ip"
    flat = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "idx", model_name="fake/keyword-bag")
    status, why = index_status(flat)
    assert status == "stale" and "faiss_index='flat'" in why
    assert not build(flat, embedder_factory=FakeEmbedder, progress=False).up_to_date
    # An unknown kind is refused as soon as the settings are read, before any build.
    with pytest.raises(EmnqaError, match="EMNQA_FAISS_INDEX must be one of flat, hnsw, ivf. Currently it is 'annoy'"):
        Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "idx", model_name="fake/keyword-bag",
                          faiss_index="annoy")


def test_ivf_of_a_tiny_or_empty_corpus_still_searches(tmp_path, vectors):
    assert _index("ivf", vectors[:0]).search(vectors[:1], 5) == [[]]
    tiny = _index("ivf", vectors[:5])
    assert [p for p, _ in tiny.search(vectors[2:3], 5)[0]][0] == 2
