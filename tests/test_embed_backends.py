"""Encoder backends (torch, onnx, onnx-int8): the setting, the export made
once into the model cache, vectors and indexes that never mix backends, and
(with the real model) ONNX vectors that agree with torch's."""

import logging

import numpy as np
import pytest

import emnqa.store.onnx_encoder as onnx_encoder
from emnqa.config import EMBED_BACKENDS, Settings
from emnqa.store.embedding import EmbeddingCache, SentenceTransformerEmbedder, check_backend, embed_with_cache
from emnqa.errors import EmnqaError, IndexIncompatible, ModelUnavailable
from emnqa.store.index import load_index, save_index
from emnqa.store.build import build, index_status
from emnqa.store.onnx_encoder import ONNX_FILES, exported_model, model_dir
from emnqa.retrieve.retrievers import open_index

from fakes import FakeEmbedder, write_small_corpus

TEXTS = ["asylum applications in Belgium", "student visa", "", "Liège, Türkiye¹"]


class OnnxFake(FakeEmbedder):
    """The fake, claiming to run on the onnx backend."""

    backend = "onnx"


# --- the setting --------------------------------------------------------------


def test_backend_setting_comes_from_the_environment(monkeypatch, tmp_path):
    assert Settings().embed_backend == "onnx"  # the default since it scored exactly as torch
    monkeypatch.setenv("EMNQA_EMBED_BACKEND", "onnx-int8")
    monkeypatch.setenv("EMNQA_MODEL_CACHE_DIR", str(tmp_path / "models"))
    settings = Settings.from_env()
    assert settings.embed_backend == "onnx-int8"
    assert settings.model_cache_dir == tmp_path / "models"
    assert Settings.from_env(embed_backend="onnx").embed_backend == "onnx"


def test_model_cache_defaults_to_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert Settings().model_cache_dir == tmp_path / "emnqa"


@pytest.mark.parametrize("backend", EMBED_BACKENDS)
def test_known_backends_are_accepted(backend):
    assert check_backend(backend) == backend


def test_unknown_backend_is_refused_naming_the_choices():
    with pytest.raises(EmnqaError) as info:
        SentenceTransformerEmbedder(backend="cuda")
    message = str(info.value)
    assert "'cuda'" in message and "torch, onnx, onnx-int8" in message and "EMNQA_EMBED_BACKEND" in message


def test_embedder_is_made_with_the_settings_backend(monkeypatch, tmp_path):
    made = []

    def fake_embedder(*args, **kwargs):
        made.append(kwargs)
        return OnnxFake()

    monkeypatch.setattr("emnqa.store.embedding.SentenceTransformerEmbedder", fake_embedder)
    corpus = write_small_corpus(tmp_path / "corpus")
    settings = Settings.from_env(
        corpus_dir=corpus, index_dir=tmp_path / "index", model_name="fake/keyword-bag",
        embed_backend="onnx", model_cache_dir=tmp_path / "models",
    )
    build(settings, progress=False)
    index, embedder = open_index(settings)
    assert [m["backend"] for m in made] == ["onnx", "onnx"]
    assert {m["model_cache_dir"] for m in made} == {tmp_path / "models"}
    assert index.manifest["model"]["backend"] == "onnx"
    assert EmbeddingCache(settings.index_dir / "cache", "fake/keyword-bag", embedder.dimension, "onnx").path.exists()


# --- an index and its backend ---------------------------------------------------


@pytest.fixture
def onnx_index(tmp_path):
    corpus = write_small_corpus(tmp_path / "corpus")
    settings = Settings.from_env(
        corpus_dir=corpus, index_dir=tmp_path / "index", model_name="fake/keyword-bag", embed_backend="onnx"
    )
    build(settings, embedder_factory=OnnxFake, progress=False)
    return settings


def test_index_of_another_backend_is_stale(onnx_index):
    assert index_status(onnx_index)[0] == "ok"
    status, why = index_status(Settings.from_env(**{**vars(onnx_index), "embed_backend": "onnx-int8"}))
    assert status == "stale" and "onnx encoder" in why and "onnx-int8" in why


def test_querying_with_another_backend_is_refused_naming_both(onnx_index):
    torch_fake = FakeEmbedder()
    torch_fake.backend = "torch"
    with pytest.raises(IndexIncompatible) as info:
        open_index(onnx_index, torch_fake)
    message = str(info.value)
    assert "onnx encoder" in message and "with torch" in message and "emnqa index" in message
    assert open_index(onnx_index, OnnxFake())[0].ntotal > 0


def test_changing_backend_rebuilds_with_the_other_encoder(onnx_index):
    settings = Settings.from_env(**{**vars(onnx_index), "embed_backend": "torch"})
    report = build(settings, embedder_factory=lambda: _with_backend(FakeEmbedder(), "torch"), progress=False)
    assert not report.up_to_date and report.embedded == report.chunks + report.sentences  # nothing reused
    assert load_index(settings.index_dir, backend="torch").manifest["model"]["backend"] == "torch"


def test_index_from_before_backends_counts_as_torch(onnx_index):
    index = load_index(onnx_index.index_dir)
    del index.manifest["model"]["backend"]
    save_index(index, onnx_index.index_dir)
    assert load_index(onnx_index.index_dir, backend="torch").ntotal == index.ntotal
    with pytest.raises(IndexIncompatible, match="torch encoder"):
        load_index(onnx_index.index_dir, backend="onnx")


def _with_backend(embedder, backend):
    embedder.backend = backend
    return embedder


# --- the embedding cache ----------------------------------------------------------


def test_each_backend_has_its_own_cache_file(tmp_path):
    torch_cache = EmbeddingCache(tmp_path, "fake/keyword-bag", FakeEmbedder().dimension)
    onnx_cache = EmbeddingCache(tmp_path, "fake/keyword-bag", FakeEmbedder().dimension, "onnx")
    assert torch_cache.path.name == "fake_keyword-bag.npz"  # the name it had before backends
    assert onnx_cache.path.name == "fake_keyword-bag@onnx.npz"
    embed_with_cache(OnnxFake(), TEXTS, onnx_cache)
    onnx_cache.save()
    assert len(EmbeddingCache(tmp_path, "fake/keyword-bag", FakeEmbedder().dimension)) == 0


def test_cache_file_of_another_backend_is_ignored(tmp_path, caplog):
    cache = EmbeddingCache(tmp_path, "fake/keyword-bag", FakeEmbedder().dimension, "onnx")
    embed_with_cache(OnnxFake(), TEXTS, cache)
    cache.save()
    cache.path.rename(tmp_path / "fake_keyword-bag.npz")  # as if it were torch's
    with caplog.at_level(logging.WARNING, logger="emnqa.store.embedding"):
        torch_cache = EmbeddingCache(tmp_path, "fake/keyword-bag", FakeEmbedder().dimension, "torch")
    assert len(torch_cache) == 0 and "onnx encoder, not torch" in caplog.text


def test_cache_file_from_before_backends_is_read_as_torch(tmp_path):
    cache = EmbeddingCache(tmp_path, "fake/keyword-bag", FakeEmbedder().dimension)
    keys = np.array(["k1"], dtype="<U64")
    np.savez(cache.path, keys=keys, vectors=np.ones((1, cache.dimension), np.float32), model=np.array("fake/keyword-bag"))
    assert len(EmbeddingCache(tmp_path, "fake/keyword-bag", cache.dimension)) == 1


def test_cache_and_embedder_of_different_backends_are_refused(tmp_path):
    cache = EmbeddingCache(tmp_path, "fake/keyword-bag", FakeEmbedder().dimension, "onnx-int8")
    with pytest.raises(ValueError, match="onnx-int8.*onnx\\)"):
        embed_with_cache(OnnxFake(), TEXTS, cache)


# --- export once ------------------------------------------------------------------


@pytest.fixture
def bundled_model(tmp_path):
    """A stand-in for the bundled model folder: what model_dir() fingerprints."""
    path = tmp_path / "model"
    (path / "1_Pooling").mkdir(parents=True)
    for name in ("config.json", "sentence_bert_config.json", "1_Pooling/config.json"):
        (path / name).write_text("{}", encoding="utf-8")
    (path / "model.safetensors").write_bytes(b"weights")
    return path


class Exporter:
    """Counts exports and quantisations, writing placeholder graphs."""

    def __init__(self):
        self.exports = self.quantisations = 0
        self.said = []

    def export(self, model_path, out):
        self.exports += 1
        out.write_bytes(b"float graph")

    def quantize(self, float_model, out):
        self.quantisations += 1
        out.write_bytes(b"int8 of " + float_model.read_bytes())

    def __call__(self, model_path, backend, cache_dir):
        return exported_model(
            model_path, backend, cache_dir, export=self.export, quantize=self.quantize, say=self.said.append
        )


def test_export_happens_once_and_is_reused(bundled_model, tmp_path):
    exporter = Exporter()
    first = exporter(bundled_model, "onnx", tmp_path / "models")
    assert first.name == ONNX_FILES["onnx"] and first.read_bytes() == b"float graph"
    assert len(exporter.said) == 1 and "Exporting" in exporter.said[0] and str(first.parent) in exporter.said[0]
    again = exporter(bundled_model, "onnx", tmp_path / "models")
    assert again == first and exporter.exports == 1 and len(exporter.said) == 1


def test_int8_quantises_the_float_export_once(bundled_model, tmp_path):
    exporter = Exporter()
    int8 = exporter(bundled_model, "onnx-int8", tmp_path / "models")
    assert int8.read_bytes() == b"int8 of float graph"
    exporter(bundled_model, "onnx-int8", tmp_path / "models")
    exporter(bundled_model, "onnx", tmp_path / "models")  # the float graph is already there
    assert (exporter.exports, exporter.quantisations) == (1, 1)
    assert not list(int8.parent.glob(".tmp-*"))


def test_another_model_version_gets_its_own_export(bundled_model, tmp_path):
    before = model_dir(tmp_path, bundled_model)
    (bundled_model / "model.safetensors").write_bytes(b"other weights")
    assert model_dir(tmp_path, bundled_model) != before


def test_failed_export_leaves_nothing_and_says_how_to_recover(bundled_model, tmp_path):
    def broken(model_path, out):
        out.write_bytes(b"half a gra")
        raise RuntimeError("exporter crashed")

    with pytest.raises(ModelUnavailable) as info:
        exported_model(bundled_model, "onnx", tmp_path / "models", export=broken, say=lambda _: None)
    message = str(info.value)
    assert "exporter crashed" in message and "EMNQA_EMBED_BACKEND=torch" in message
    folder = model_dir(tmp_path / "models", bundled_model)
    assert not [p for p in folder.iterdir() if p.suffix == ".onnx"]
    exporter = Exporter()  # the next run exports again
    assert exporter(bundled_model, "onnx", tmp_path / "models").read_bytes() == b"float graph"


def test_unwritable_model_cache_is_model_unavailable(bundled_model, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be", encoding="utf-8")
    with pytest.raises(ModelUnavailable, match="EMNQA_MODEL_CACHE_DIR"):
        Exporter()(bundled_model, "onnx", blocker)


def test_missing_onnxruntime_is_model_unavailable(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ModelUnavailable, match="onnxruntime"):
        onnx_encoder.OnnxEncoder(tmp_path / "model.onnx", tmp_path / "tokenizer.json", 256)


# --- the real model -------------------------------------------------------------

SENTENCES = [
    "How many people applied for international protection in 2024?",
    "The number of applications for international protection rose to 39 615 individuals in 2024.",
    "What is a subsequent application?",
    "Fedasil appealed this decision.",
    "Liège, Türkiye¹ and the CGRS/CGVS",
    "",
    "visa " * 300,  # longer than the model's 256 word pieces: truncated, as with torch
]


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def torch_embedder():
    return SentenceTransformerEmbedder(backend="torch")


@pytest.mark.model
@pytest.mark.parametrize("backend, floor", [("onnx", 0.9999), ("onnx-int8", 0.97)])
def test_onnx_vectors_agree_with_torch(torch_embedder, model_cache, backend, floor):
    reference = torch_embedder.embed(SENTENCES)
    onnx = SentenceTransformerEmbedder(backend=backend, model_cache_dir=model_cache, batch_size=3)
    vectors = onnx.embed(SENTENCES)
    assert vectors.dtype == np.float32 and vectors.shape == reference.shape
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() > floor, cosines
    # One at a time (as a query is embedded) gives the row it gets in a batch;
    # int8 only nearly, as its activations are scaled per batch.
    alone = onnx.embed(SENTENCES[:1])[0]
    assert alone @ vectors[0] > (0.99999 if backend == "onnx" else 0.99)
    # Made once: a second embedder reuses the exported file.
    graph = model_dir(model_cache, onnx._path) / ONNX_FILES[backend]
    stamp = graph.stat().st_mtime_ns
    SentenceTransformerEmbedder(backend=backend, model_cache_dir=model_cache).embed(["again"])
    assert graph.stat().st_mtime_ns == stamp
