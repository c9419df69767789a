"""The indexing pipeline on a small corpus with the fake embedder: no-op when
up to date, staleness, incremental embedding, the lock, interrupted builds."""

import shutil

import pytest

from emnqa.config import Settings
from emnqa.errors import IndexLocked
from emnqa.store.index import active_build_dir, load_index
from emnqa.store.build import build, index_status

from fakes import SMALL_MANIFEST, SMALL_REPORT, FakeEmbedder, write_small_corpus

MANIFEST, REPORT = SMALL_MANIFEST, SMALL_REPORT


@pytest.fixture
def setup(tmp_path):
    corpus = write_small_corpus(tmp_path / "corpus")
    settings = Settings.from_env(corpus_dir=corpus, index_dir=tmp_path / "index", model_name="fake/keyword-bag")
    embedder = FakeEmbedder()
    return settings, embedder


def run(settings, embedder, **kw):
    return build(settings, embedder_factory=lambda: embedder, progress=False, **kw)


def test_build_then_up_to_date_then_stale(setup):
    settings, embedder = setup
    assert index_status(settings)[0] == "missing"
    report = run(settings, embedder)
    assert report.documents == 1 and report.chunks >= 2
    assert report.sentences >= report.chunks and report.embedded == report.chunks + report.sentences
    assert index_status(settings) == ("ok", "the index is up to date")

    again = run(settings, embedder)
    assert again.up_to_date and embedder.embedded_count == report.embedded

    (settings.corpus_dir / "report.txt").write_text(REPORT.replace("3 270", "3 271"), encoding="utf-8")
    status, why = index_status(settings)
    assert status == "stale" and "corpus" in why


def test_rebuild_embeds_only_changed_chunks(setup):
    settings, embedder = setup
    first = run(settings, embedder)
    (settings.corpus_dir / "report.txt").write_text(REPORT.replace("3 270", "3 271"), encoding="utf-8")
    second = run(settings, embedder)
    assert not second.up_to_date
    # the changed chunk and the one sentence in it that changed; nothing else
    assert second.embedded == 2 < first.embedded
    index = load_index(settings.index_dir, model_name=embedder.model_name)
    assert any("3 271" in c.text for c in index.chunks)


def test_index_manifest_records_what_was_built(setup):
    settings, embedder = setup
    run(settings, embedder)
    manifest = load_index(settings.index_dir).manifest
    # The fake names no backend: None, which no backend check holds against it.
    assert manifest["model"] == {"name": "fake/keyword-bag", "dimension": embedder.dimension, "backend": None}
    assert manifest["chunking"]["max_tokens"] == settings.chunk_tokens
    assert manifest["counts"]["documents"] == 1
    assert manifest["corpus_fingerprint"]


def test_a_second_run_while_one_holds_the_lock_is_refused(setup):
    from filelock import FileLock

    settings, embedder = setup
    settings.index_dir.mkdir(parents=True)
    with FileLock(str(settings.index_dir / ".lock")):
        with pytest.raises(IndexLocked, match="Another `emnqa index` run"):
            run(settings, embedder)


def test_interrupted_build_keeps_the_previous_index(setup):
    settings, embedder = setup
    run(settings, embedder)
    before = active_build_dir(settings.index_dir)
    (settings.corpus_dir / "report.txt").write_text(REPORT + "\nA new sentence about visas.\n", encoding="utf-8")

    class Interrupting(FakeEmbedder):
        def embed(self, texts, *, progress=False):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(settings, Interrupting())
    assert active_build_dir(settings.index_dir) == before
    assert load_index(settings.index_dir).ntotal >= 2
    # The lock was released: the next run goes through.
    assert not run(settings, embedder).up_to_date


def test_damaged_index_is_rebuilt_by_index(setup):
    settings, embedder = setup
    run(settings, embedder)
    build_dir = active_build_dir(settings.index_dir)
    (build_dir / "vectors.faiss").write_bytes(b"garbage")
    assert not run(settings, embedder).up_to_date
    assert load_index(settings.index_dir).ntotal >= 2


def test_deleted_corpus_file_makes_the_index_stale(setup):
    settings, embedder = setup
    run(settings, embedder)
    extra = settings.corpus_dir / "extra.md"
    extra.write_text("# Visas\n\nVisa rules changed in 2024.\n", encoding="utf-8")
    run(settings, embedder)
    extra.unlink()
    assert index_status(settings)[0] == "stale"
    shutil.rmtree(settings.index_dir / "cache")  # the cache is optional
    report = run(settings, embedder)
    assert report.documents == 1 and report.embedded == report.chunks + report.sentences
