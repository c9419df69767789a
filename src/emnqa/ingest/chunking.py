"""Blocks -> Chunks: passages sized for the embedding model, cut along the
document's structure.

- A chunk never crosses a section boundary, and within a section prose,
  footnotes, graph material, tables, definitions and news items are chunked
  apart (graph numbers never pollute prose; a definition stays whole with its
  term when it fits).
- Boundaries fall between sentences (sentencex); consecutive prose chunks
  share one sentence of overlap.
- The budget is counted in tiktoken tokens; a `fits` check on the embedded
  text (title + section path + chunk) lets the caller enforce the model's
  word-piece limit as well, so nothing is silently truncated.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Sequence

from .parsing import parse_document
from ..text.spans import SUPERSCRIPT_DIGITS, count_tokens, sentence_spans
from ..types import Block, Chunk, Document, embedding_text

_STREAM_OF_KIND = {
    "heading": "text",
    "paragraph": "text",
    "list_item": "text",
    "box": "text",
    "table": "table",
    "footnote": "footnotes",
    "caption": "figure",
    "figure_data": "figure",
    "definition": "definition",
    "news_item": "news",
}
# Streams whose blocks are chunked one by one, never packed together.
_SINGLE_BLOCK_STREAMS = ("definition", "news")
_CITED_MARK = re.compile(rf"(?<=\S)\s?([{SUPERSCRIPT_DIGITS}]+)")
_SUPERSCRIPT_TABLE = str.maketrans(SUPERSCRIPT_DIGITS, "0123456789")


@dataclass(frozen=True)
class ChunkingParams:
    max_tokens: int = 150
    overlap_sentences: int = 1

    def as_dict(self) -> dict:
        return {"max_tokens": self.max_tokens, "overlap_sentences": self.overlap_sentences, "version": 12}


@dataclass(frozen=True)
class _Piece:
    """A run of text from one block: a whole block or one of its sentences."""

    block: int
    start: int  # offsets into the block's text
    end: int
    tokens: int


def chunk_document(
    doc: Document,
    layout: str = "report",
    params: ChunkingParams = ChunkingParams(),
    fits: Callable[[str], bool] | None = None,
) -> list[Chunk]:
    """Parse and chunk one document.

    `fits(embedding_text)` may reject a chunk (too many word pieces for the
    model); such a chunk is cut again with a smaller budget until it fits.
    """
    blocks = parse_document(doc, layout)
    return chunk_blocks(doc, blocks, params, fits)


def chunk_blocks(
    doc: Document,
    blocks: Sequence[Block],
    params: ChunkingParams = ChunkingParams(),
    fits: Callable[[str], bool] | None = None,
) -> list[Chunk]:
    chunks: list[Chunk] = []
    captions = _table_captions(blocks)
    for section, stream, members in _streams(blocks):
        if stream == "table":
            caption = captions.get(id(members[0]))
            section = (*section, caption) if caption else section
            chunks.extend(_table_chunks(doc, section, members, params, fits))
            continue
        batches = [[m] for m in members] if stream in _SINGLE_BLOCK_STREAMS else [members]
        for batch in batches:
            chunks.extend(_chunk_stream(doc, section, stream, batch, params, fits))
    return _with_unique_ids(chunks)


_TABLE_CAPTION = re.compile(r"^\s*Table\s+\d+\s*[:.–-]\s*\S")


def _table_captions(blocks: Sequence[Block]) -> dict[int, str]:
    """For the first row of each table (by block id), the caption just before
    it in its section ("Table 1: Minimum gross annual salary (in €) ... as per
    1 January 2025"): the table's heading, so it joins the section path of
    the table's chunks. A row read alone then still says what it counts, and
    for when."""
    out: dict[int, str] = {}
    caption: str | None = None
    section: tuple[str, ...] | None = None
    previous_kind = ""
    for block in blocks:
        if block.section != section:
            caption, section = None, block.section
        if block.kind == "caption" and _TABLE_CAPTION.match(block.text):
            caption = " ".join(block.text.split())
        elif block.kind == "table" and previous_kind != "table" and caption:
            out[id(block)] = caption
            caption = None
        previous_kind = block.kind if block.kind != "footnote" else previous_kind
    return out


def _table_chunks(doc, section, rows: Sequence[Block], params: ChunkingParams, fits) -> list[Chunk]:
    """A table's chunks, each after the first opening with the table's header
    row (a first row without figures: "In text / English / Dutch / French",
    the regions a salary table's columns are for), so that a row's figures
    keep the names of their columns."""
    header = rows[0] if len(rows) > 1 and not re.search(r"\d", rows[0].text) else None
    if header is None:
        return _chunk_stream(doc, section, "table", rows, params, fits)
    budget = replace(params, max_tokens=params.max_tokens - count_tokens(header.text) - 1)
    out: list[Chunk] = []
    # Runs of rows that fit beside the header; a row too long for that is
    # chunked as it is, so that it still stays whole if it can.
    runs: list[tuple[bool, list[Block]]] = []
    for row in rows[1:]:
        headed = count_tokens(row.text) < budget.max_tokens
        if runs and runs[-1][0] == headed:
            runs[-1][1].append(row)
        else:
            runs.append((headed, [row]))
    for headed, run in runs:
        for chunk in _chunk_stream(doc, section, "table", run, budget if headed else params, fits):
            text = header.text + "\n" + chunk.text
            if headed and (fits is None or fits(embedding_text(doc.title, chunk.section_path, text))):
                spans = _merge([*_source_spans(header, 0, len(header.text)), *chunk.spans])
                chunk = replace(chunk, text=text, spans=tuple(spans), start=spans[0][0], token_count=count_tokens(text))
            out.append(chunk)
    return out


def _streams(blocks: Sequence[Block]) -> Iterable[tuple[tuple[str, ...], str, list[Block]]]:
    """(section, stream, blocks) for each run of blocks of one section; within
    the run, a section's footnotes (or graphs, tables) form their own stream."""
    pending: dict[str, list[Block]] = {}
    section: tuple[str, ...] | None = None
    for block in blocks:
        if block.section != section:
            for stream, members in pending.items():
                yield section or (), stream, members
            pending, section = {}, block.section
        pending.setdefault(_STREAM_OF_KIND.get(block.kind, "text"), []).append(block)
    for stream, members in pending.items():
        yield section or (), stream, members


def _chunk_stream(doc, section, stream, blocks, params, fits) -> list[Chunk]:
    budget = params.max_tokens
    while True:
        groups = _pack(blocks, budget, params.overlap_sentences if stream == "text" else 0)
        chunks = [_make_chunk(doc, section, stream, blocks, g) for g in groups]
        if budget <= 16 or all(_acceptable(doc, c, params, fits) for c in chunks):
            return chunks
        # Joining pieces can add a token or two; a model may count more
        # word pieces than tiktoken counts tokens. Cut finer and try again.
        budget = int(budget * 0.8)


def _acceptable(doc: Document, chunk: Chunk, params: ChunkingParams, fits) -> bool:
    if chunk.token_count > params.max_tokens:
        return False
    return fits is None or fits(embedding_text(doc.title, chunk.section_path, chunk.text))


def _pack(blocks: Sequence[Block], budget: int, overlap: int) -> list[list[_Piece]]:
    """Greedy packing of whole blocks, or of sentences when a block is too
    big, into groups of at most `budget` tokens."""
    groups: list[list[_Piece]] = []
    current: list[_Piece] = []
    used = 0
    for index, block in enumerate(blocks):
        whole = count_tokens(block.text)
        if whole <= budget:
            pieces = [_Piece(index, 0, len(block.text), whole + 1)]
        else:
            pieces = list(_sentence_pieces(index, block, budget))
        # Prefer a boundary between blocks once the chunk is half full.
        block_total = sum(p.tokens for p in pieces)
        if current and used + block_total > budget and used >= budget // 2:
            groups.append(current)
            current, used = _overlap(current, overlap, budget), 0
            used = sum(p.tokens for p in current)
        for piece in pieces:
            if current and used + piece.tokens > budget:
                groups.append(current)
                current = _overlap(current, overlap, budget)
                used = sum(p.tokens for p in current)
                if used + piece.tokens > budget:
                    current, used = [], 0
            current.append(piece)
            used += piece.tokens
    if current and not (groups and all(p in groups[-1] for p in current)):
        groups.append(current)
    return groups


def _overlap(group: list[_Piece], overlap: int, budget: int) -> list[_Piece]:
    """The last sentence(s) of a group, to open the next one, when small."""
    if overlap <= 0 or not group:
        return []
    tail = group[-overlap:]
    if len(tail) != overlap or any(p.end - p.start == 0 for p in tail):
        return []
    return tail if sum(p.tokens for p in tail) <= budget // 3 else []


def _sentence_pieces(index: int, block: Block, budget: int) -> Iterable[_Piece]:
    for a, b in sentence_spans(block.text):
        tokens = count_tokens(block.text[a:b]) + 1  # + the joiner
        if tokens <= budget:
            yield _Piece(index, a, b, tokens)
        else:
            yield from _word_windows(index, block.text, a, b, budget)


def _word_windows(index: int, text: str, start: int, end: int, budget: int) -> Iterable[_Piece]:
    """An over-long 'sentence' (a table row, a URL list) cut at word gaps."""
    words = [m.span() for m in re.finditer(r"\S+", text[start:end])]
    first = 0
    while first < len(words):
        last = first
        while last + 1 < len(words):
            a, b = start + words[first][0], start + words[last + 1][1]
            if count_tokens(text[a:b]) > budget:
                break
            last += 1
        a, b = start + words[first][0], start + words[last][1]
        yield _Piece(index, a, b, count_tokens(text[a:b]))
        first = last + 1


def _make_chunk(doc: Document, section, stream, blocks: Sequence[Block], group: list[_Piece]) -> Chunk:
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    meta: dict = {}
    previous: _Piece | None = None
    for piece in group:
        block = blocks[piece.block]
        if previous is not None and previous.block == piece.block:
            # Sentences of one block: keep the block's own text between them.
            parts[-1] = block.text[_run_start(group, piece) : piece.end]
        else:
            parts.append(block.text[piece.start : piece.end])
        spans.extend(_source_spans(block, piece.start, piece.end))
        previous = piece
        for key in ("date", "theme", "keywords", "term"):
            if key in block.meta:
                meta[key] = block.meta[key]
        if block.kind == "footnote" and block.meta.get("number"):
            meta.setdefault("footnotes", []).append(block.meta["number"])
    text = "\n".join(parts)
    if stream == "text":
        cited = sorted({m.group(1).translate(_SUPERSCRIPT_TABLE) for m in _CITED_MARK.finditer(text)}, key=int)
        if cited:
            meta["cites_footnotes"] = cited
    spans = _merge(spans)
    start, end = spans[0][0], spans[-1][1]
    return Chunk(
        chunk_id="",
        doc_id=doc.doc_id,
        text=text,
        section_path=tuple(section),
        start=start,
        end=end,
        token_count=count_tokens(text),
        spans=tuple(spans),
        kind=stream,
        page=doc.page_at(start),
        meta=meta,
    )


def _run_start(group: list[_Piece], piece: _Piece) -> int:
    """Start of the run of consecutive pieces of one block ending at `piece`."""
    i = group.index(piece)
    while i > 0 and group[i - 1].block == piece.block:
        i -= 1
    return group[i].start


def _source_spans(block: Block, start: int, end: int) -> list[tuple[int, int]]:
    """Map offsets in a block's joined text back to source offsets."""
    out: list[tuple[int, int]] = []
    pos = 0
    for n, (a, b) in enumerate(block.spans):
        if n:
            pos += 0 if block.text[pos - 1 : pos] == "-" else 1  # the joiner
        length = b - a
        lo, hi = max(start, pos), min(end, pos + length)
        if lo < hi:
            out.append((a + lo - pos, a + hi - pos))
        pos += length
    return out


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = sorted(spans)
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _with_unique_ids(chunks: list[Chunk]) -> list[Chunk]:
    """Content-derived ids: the same text in the same place keeps its id
    across runs; a repeated text gets a counter."""
    from dataclasses import replace

    seen: dict[str, int] = {}
    out = []
    for chunk in chunks:
        digest = hashlib.sha256(
            "\x00".join((chunk.doc_id, chunk.section, chunk.kind, chunk.text)).encode("utf-8")
        ).hexdigest()[:12]
        base = f"{chunk.doc_id}:{digest}"
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.append(replace(chunk, chunk_id=base if n == 0 else f"{base}-{n}"))
    return out
