import json

import numpy as np
import pytest

import emnqa.store.index as index_module
from emnqa.errors import IndexCorrupt, IndexIncompatible, IndexMissing, InvalidQuery
from emnqa.store.index import (
    FORMAT_VERSION,
    active_build_dir,
    build_index,
    load_index,
    read_manifest,
    save_index,
)
from emnqa.types import Chunk

from fakes import FakeEmbedder

TEXTS = [
    "Asylum applications rose in Belgium.",
    "A student visa lets you study.",
    "Family reunification and family migration.",
    "Detention before return of a minor.",
    "Liège, Türkiye¹ and the labour market.",
]
DOCUMENTS = [
    {"doc_id": "d1", "title": "Annual report 2023", "year": "2023", "kind": "report"},
    {"doc_id": "d2", "title": "Factsheet", "year": "2022", "kind": "factsheet"},
]


def make_chunks(texts=TEXTS):
    return [
        Chunk(
            chunk_id=f"d{1 + i % 2}-{i}",
            doc_id=f"d{1 + i % 2}",
            text=text,
            section_path=("Chapter", f"Part {i}"),
            start=i * 100,
            end=i * 100 + len(text),
            token_count=len(text.split()),
            spans=((i * 100, i * 100 + len(text)),),
            page=i + 1,
        )
        for i, text in enumerate(texts)
    ]


def make_index(embedder=None, texts=TEXTS, model_name=None):
    embedder = embedder or FakeEmbedder()
    chunks = make_chunks(texts)
    return build_index(
        chunks,
        embedder.embed([c.text for c in chunks]),
        documents=DOCUMENTS,
        model_name=model_name or embedder.model_name,
        dimension=embedder.dimension,
        chunking={"chunk_tokens": 150, "overlap": 1},
        corpus_fingerprint="abc123",
    )


@pytest.fixture
def saved(tmp_path):
    """An index root with one saved build."""
    root = tmp_path / "index"
    save_index(make_index(), root, build_seconds=1.5)
    return root


def test_round_trip_keeps_chunks_and_search_results(saved):
    original = make_index()
    loaded = load_index(saved, model_name=FakeEmbedder().model_name, dimension=FakeEmbedder().dimension)
    assert loaded.chunks == original.chunks
    assert [c.page for c in loaded.chunks] == [c.page for c in original.chunks]
    assert loaded.documents["d1"]["title"] == "Annual report 2023"
    queries = FakeEmbedder().embed(["family migration", "visa for a student"])
    assert loaded.search(queries, 3) == original.search(queries, 3)
    manifest = loaded.manifest
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["counts"] == {"documents": 2, "chunks": 5, "tokens": sum(len(t.split()) for t in TEXTS)}
    assert manifest["build_seconds"] == 1.5
    assert set(manifest["files"]) == {"vectors.faiss", "chunks.jsonl", "documents.json"}
    assert read_manifest(saved) == manifest
    assert loaded.path == active_build_dir(saved)


def test_search_ranks_the_matching_chunk_first():
    index = make_index()
    query = FakeEmbedder().embed(["Which family migration rules?"])
    results = index.search(query, 2)
    # Only chunk 2 shares both keywords (and "family" twice), so it must win.
    assert results[0][0][0] == 2
    assert results[0][0][1] > results[0][1][1]
    assert len(index.search(query, 100)[0]) == len(TEXTS)  # k > n is fine


@pytest.mark.parametrize("k", [0, -1, 1.5])
def test_search_rejects_bad_k(k):
    with pytest.raises(InvalidQuery, match="k must be"):
        make_index().search(FakeEmbedder().embed(["visa"]), k)


def test_build_validates_shapes_and_dtype():
    chunks = make_chunks()
    vectors = FakeEmbedder().embed(TEXTS)
    common = dict(documents=DOCUMENTS, model_name="m", chunking={}, corpus_fingerprint="x")
    with pytest.raises(ValueError, match="one row"):
        build_index(chunks[:-1], vectors, dimension=vectors.shape[1], **common)
    with pytest.raises(ValueError, match="one row"):
        build_index(chunks, vectors, dimension=vectors.shape[1] + 1, **common)
    with pytest.raises(ValueError, match="float32"):
        build_index(chunks, vectors.astype(np.float64), dimension=vectors.shape[1], **common)


def test_failed_save_leaves_previous_index_active(saved, monkeypatch):
    before = (saved / "CURRENT").read_text()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    for step in ("_write_build_files", "_write_current"):
        monkeypatch.setattr(index_module, step, interrupted)
        with pytest.raises(KeyboardInterrupt):
            save_index(make_index(texts=["visa"]), saved)
        monkeypatch.undo()
        assert (saved / "CURRENT").read_text() == before
        assert len(load_index(saved).chunks) == len(TEXTS)
        assert not list(saved.glob(".tmp-*"))


def test_save_keeps_only_current_and_previous_builds(saved):
    first = active_build_dir(saved)
    (saved / ".tmp-build-stale").mkdir()  # left by a killed run
    (saved / "cache").mkdir()
    second = save_index(make_index(texts=TEXTS[:2]), saved)
    third = save_index(make_index(texts=TEXTS[:3]), saved)
    builds = sorted(p.name for p in saved.glob("build-*"))
    assert builds == sorted([second.name, third.name])
    assert not first.exists() and not (saved / ".tmp-build-stale").exists()
    assert (saved / "cache").is_dir()
    assert (saved / "CURRENT").read_text().strip() == third.name
    assert len(load_index(saved).chunks) == 3


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexMissing, match="emnqa index"):
        load_index(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexMissing, match="emnqa index"):
        read_manifest(tmp_path / "empty")


def test_current_pointing_nowhere_is_missing(saved):
    (saved / "CURRENT").write_text("build-gone\n")
    with pytest.raises(IndexMissing, match="build-gone"):
        load_index(saved)


def test_lost_current_with_one_complete_build_still_loads(saved):
    (saved / "CURRENT").unlink()
    assert len(load_index(saved).chunks) == len(TEXTS)


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 2], lambda b: b"garbage" * 20])
def test_damaged_vectors_file_is_corrupt(saved, damage):
    path = active_build_dir(saved) / "vectors.faiss"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(IndexCorrupt, match="vectors.faiss"):
        load_index(saved)


def rewrite_checksum(root, name):
    """Make the manifest agree with a changed file, to reach the deeper checks."""
    build = active_build_dir(root)
    manifest = json.loads((build / "manifest.json").read_text())
    manifest["files"][name] = index_module._sha256(build / name)
    (build / "manifest.json").write_text(json.dumps(manifest))


def test_unreadable_vectors_with_matching_checksum_is_corrupt(saved):
    (active_build_dir(saved) / "vectors.faiss").write_bytes(b"garbage" * 20)
    rewrite_checksum(saved, "vectors.faiss")
    with pytest.raises(IndexCorrupt, match="cannot be read by faiss"):
        load_index(saved)


def drop_last_chunk_line(root):
    path = active_build_dir(root) / "chunks.jsonl"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))


def test_chunks_file_missing_a_line_is_corrupt(saved):
    drop_last_chunk_line(saved)
    with pytest.raises(IndexCorrupt, match="chunks.jsonl"):
        load_index(saved)


def test_chunk_count_disagreeing_with_vectors_is_corrupt(saved):
    drop_last_chunk_line(saved)
    rewrite_checksum(saved, "chunks.jsonl")
    with pytest.raises(IndexCorrupt, match="5 vectors but .* 4 chunks"):
        load_index(saved)


def test_unparseable_chunk_line_is_corrupt(saved):
    path = active_build_dir(saved) / "chunks.jsonl"
    path.write_text(path.read_text() + "{not json\n")
    rewrite_checksum(saved, "chunks.jsonl")
    with pytest.raises(IndexCorrupt, match="line 6"):
        load_index(saved)


@pytest.mark.parametrize("content", ["", "{broken", "[]"])
def test_unreadable_manifest_is_corrupt(saved, content):
    (active_build_dir(saved) / "manifest.json").write_text(content)
    with pytest.raises(IndexCorrupt, match="manifest.json"):
        read_manifest(saved)


def test_other_format_version_is_incompatible(saved):
    path = active_build_dir(saved) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format_version"] = 99
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexIncompatible, match="99"):
        load_index(saved)
    with pytest.raises(IndexIncompatible, match="99"):
        read_manifest(saved)


def test_other_model_is_incompatible_and_names_both(saved):
    dim = FakeEmbedder().dimension
    with pytest.raises(IndexIncompatible) as info:
        load_index(saved, model_name="sentence-transformers/all-MiniLM-L6-v2", dimension=384)
    message = str(info.value)
    assert f"fake/keyword-bag (dim {dim})" in message
    assert "all-MiniLM-L6-v2 (dim 384)" in message and "emnqa index --rebuild" in message
    with pytest.raises(IndexIncompatible, match="dim 7"):
        load_index(saved, dimension=7)
