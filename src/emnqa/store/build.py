"""The indexing pipeline: corpus -> chunks -> vectors -> a saved index.

Re-indexing an unchanged corpus is a no-op; a rebuild embeds only chunks whose
text is not in the embedding cache. One run at a time holds the index lock.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..ingest.chunking import ChunkingParams, chunk_document
from ..config import Settings
from ..ingest.corpus import Corpus, CorpusWarning, corpus_fingerprint, load_corpus
from .embedding import Embedder, EmbeddingCache, backend_of, embed_with_cache, embedder_for
from ..errors import EmnqaError, IndexLocked, IndexMissing
from .index import INDEX_TYPES, build_index, built_backend, load_index, read_manifest, save_index
from ..text.spans import quotable_sentences
from ..types import Chunk, embedding_text

log = logging.getLogger(__name__)

CACHE_DIR_NAME = "cache"
LOCK_NAME = ".lock"


@dataclass
class IndexReport:
    """What an `emnqa index` run did, for the CLI to print."""

    path: Path
    up_to_date: bool = False
    documents: int = 0
    chunks: int = 0
    tokens: int = 0
    sentences: int = 0  # quotable sentences, each with its own vector
    embedded: int = 0  # texts (chunks and sentences) not found in the cache
    seconds: float = 0.0
    warnings: tuple[CorpusWarning, ...] = ()
    token_stats: dict = field(default_factory=dict)


def chunking_params(settings: Settings) -> ChunkingParams:
    return ChunkingParams(settings.chunk_tokens, settings.chunk_overlap_sentences)


def index_status(settings: Settings) -> tuple[str, str]:
    """("ok" | "missing" | "stale", a sentence saying why), without loading
    the model or the vectors.

    Raises IndexCorrupt / IndexIncompatible when the manifest itself is unusable.
    """
    try:
        manifest = read_manifest(settings.index_dir)
    except IndexMissing as exc:
        return "missing", str(exc)
    if manifest.get("model", {}).get("name") != settings.model_name:
        return "stale", f"the index was built with model {manifest.get('model', {}).get('name')!r}, settings use {settings.model_name!r}"
    if manifest.get("index_type", INDEX_TYPES["flat"]) != INDEX_TYPES.get(settings.faiss_index):
        return "stale", (f"the index is of type {manifest.get('index_type')!r}, settings ask for "
                         f"faiss_index={settings.faiss_index!r}")
    built = built_backend(manifest)
    if built is not None and built != settings.embed_backend:
        return "stale", (f"the index was embedded with the {built} encoder, settings ask for "
                         f"embed_backend={settings.embed_backend!r}")
    if manifest.get("chunking") != chunking_params(settings).as_dict():
        return "stale", "the chunking settings changed since the index was built"
    if manifest.get("corpus_fingerprint") != corpus_fingerprint(settings.corpus_dir):
        return "stale", f"the corpus in {settings.corpus_dir} changed since the index was built"
    return "ok", "the index is up to date"


def build(
    settings: Settings,
    *,
    rebuild: bool = False,
    embedder_factory: Callable[[], Embedder] | None = None,
    progress: bool = True,
    say: Callable[[str], None] = lambda _: None,
    wait: float = 0,
) -> IndexReport:
    """Index `settings.corpus_dir` into `settings.index_dir`.

    Nothing is done when the index is up to date and `rebuild` is False. The
    previous index stays usable until the new one is complete. When another
    run holds the index lock, IndexLocked at once, or after waiting `wait`
    seconds for it (the chat's processes starting together: the first
    builds, the others then find the index up to date).
    """
    from filelock import FileLock, Timeout

    root = Path(settings.index_dir)
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / LOCK_NAME))
    try:
        lock.acquire(timeout=wait)
    except Timeout:
        waited = f" (waited {wait:.0f} s)" if wait else ""
        raise IndexLocked(
            f"Another `emnqa index` run is writing {root} (lock {root / LOCK_NAME}){waited}. "
            "Wait for it to finish, then run again."
        ) from None
    try:
        return _build_locked(settings, rebuild, embedder_factory, progress, say)
    finally:
        lock.release()


def _build_locked(settings, rebuild, embedder_factory, progress, say) -> IndexReport:
    started = time.perf_counter()
    root = Path(settings.index_dir)
    if not rebuild:
        status, _ = _status_or_stale(settings)
        if status == "ok" and _loads(root):
            manifest = read_manifest(root)
            counts = manifest.get("counts", {})
            return IndexReport(
                root, up_to_date=True, documents=counts.get("documents", 0), chunks=counts.get("chunks", 0),
                tokens=counts.get("tokens", 0), seconds=time.perf_counter() - started,
            )
    say(f"Reading the corpus in {settings.corpus_dir} ...")
    corpus = load_corpus(settings.corpus_dir)
    for warning in corpus.warnings:
        say(f"warning: {warning.message}")
    embedder = (embedder_factory or _default_embedder(settings))()
    say("Chunking ...")
    chunks = chunk_corpus(corpus, chunking_params(settings), embedder)
    chunks = [with_sentences(c) for c in chunks]
    titles = {d.doc_id: d.title for d in corpus.documents}
    texts = [embedding_text(titles[c.doc_id], c.section_path, c.text) for c in chunks]
    sentences = [c.text[a:b] for c in chunks for a, b in c.meta["sentences"]]
    cache = EmbeddingCache(root / CACHE_DIR_NAME, embedder.model_name, embedder.dimension, backend_of(embedder))
    say(f"Embedding {len(texts)} chunks and {len(sentences)} sentences (cached ones are reused) ...")
    vectors, embedded = embed_with_cache(embedder, texts + sentences, cache, progress=progress)
    vectors, sentence_vectors = vectors[: len(texts)], vectors[len(texts) :]
    index = build_index(
        chunks,
        vectors,
        documents=[_document_record(d) for d in corpus.documents],
        model_name=embedder.model_name,
        dimension=embedder.dimension,
        chunking=chunking_params(settings).as_dict(),
        corpus_fingerprint=corpus.fingerprint,
        sentence_vectors=np.ascontiguousarray(sentence_vectors),
        faiss_index=settings.faiss_index,
        backend=backend_of(embedder),
    )
    seconds = time.perf_counter() - started
    save_index(index, root, build_seconds=round(seconds, 3))
    cache.prune(texts + sentences)
    cache.save()
    tokens = [c.token_count for c in chunks]
    return IndexReport(
        root,
        documents=len(corpus.documents),
        chunks=len(chunks),
        tokens=sum(tokens),
        sentences=len(sentences),
        embedded=embedded,
        seconds=time.perf_counter() - started,
        warnings=corpus.warnings,
        token_stats=token_stats(tokens),
    )


def _status_or_stale(settings: Settings) -> tuple[str, str]:
    """A damaged or incompatible index is simply rebuilt by `emnqa index`."""
    try:
        return index_status(settings)
    except EmnqaError as exc:
        return "stale", str(exc)


def with_sentences(chunk: Chunk) -> Chunk:
    """The chunk with the spans of its quotable sentences in meta["sentences"]:
    each is embedded, so the answer composer can rank sentences by meaning."""
    spans = [list(span) for span in quotable_sentences(chunk.text)]
    return replace(chunk, meta={**chunk.meta, "sentences": spans})


def _loads(root: Path) -> bool:
    """Whether the saved index passes every check (checksums, FAISS file)."""
    try:
        load_index(root)
    except EmnqaError:
        return False
    return True


def chunk_corpus(corpus: Corpus, params: ChunkingParams, embedder: Embedder | None = None) -> list[Chunk]:
    """Chunks of every document, each fitting the model's word-piece limit."""
    fits = None
    if embedder is not None:
        limit = embedder.max_wordpieces

        def fits(text: str) -> bool:
            return embedder.count_wordpieces(text) <= limit

    chunks: list[Chunk] = []
    for doc in corpus.documents:
        chunks.extend(chunk_document(doc, corpus.layouts.get(doc.doc_id, "plain"), params, fits))
    return chunks


def token_stats(tokens: Sequence[int]) -> dict:
    if not tokens:
        return {}
    ordered = sorted(tokens)
    return {
        "min": ordered[0],
        "median": ordered[len(ordered) // 2],
        "mean": round(sum(ordered) / len(ordered), 1),
        "max": ordered[-1],
    }


def _document_record(doc) -> dict:
    return {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "year": doc.year,
        "kind": doc.kind,
        "language": doc.language,
        "path": doc.path,
        "publisher": doc.publisher,
    }


def _default_embedder(settings: Settings) -> Callable[[], Embedder]:
    return lambda: embedder_for(settings)
