import os
from pathlib import Path

import pytest

# Nothing in the test suite may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO / "corpus"


@pytest.fixture(scope="session")
def real_corpus():
    from emnqa.ingest.corpus import load_corpus

    return load_corpus(CORPUS_DIR)


@pytest.fixture(scope="session")
def real_embedder():
    """The bundled all-MiniLM-L6-v2, loaded once for the whole session."""
    from emnqa.store.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def real_chunks(real_corpus, real_embedder):
    """Chunks of the default corpus, made exactly as `emnqa index` makes them."""
    from emnqa.config import Settings
    from emnqa.store.build import chunk_corpus, chunking_params

    return chunk_corpus(real_corpus, chunking_params(Settings()), real_embedder)


@pytest.fixture(scope="session")
def real_index_dir(tmp_path_factory, real_embedder):
    """The default corpus indexed with the real model into a temporary dir."""
    from emnqa.config import Settings
    from emnqa.store.build import build

    root = tmp_path_factory.mktemp("real-index")
    settings = Settings.from_env(corpus_dir=CORPUS_DIR, index_dir=root)
    build(settings, embedder_factory=lambda: real_embedder, progress=False)
    return root


@pytest.fixture
def fake_model(monkeypatch):
    """`emnqa` commands in this process use the fake embedder."""
    from fakes import FakeEmbedder

    monkeypatch.setattr("emnqa.store.embedding.SentenceTransformerEmbedder", lambda *a, **k: FakeEmbedder())
    monkeypatch.setenv("EMNQA_MODEL_NAME", "fake/keyword-bag")
