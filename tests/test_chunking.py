"""Chunking properties, on small inline texts and on the whole real corpus."""

import re
from collections import defaultdict

import pytest

from emnqa.ingest.chunking import ChunkingParams, chunk_document, embedding_text
from emnqa.config import Settings
from emnqa.ingest.parsing import parse_document
from emnqa.text.spans import normalise_space, sentence_spans, split_lines
from emnqa.types import Document

BUDGET = Settings().chunk_tokens


def test_long_section_is_cut_between_sentences_with_one_sentence_overlap():
    sentences = [f"Sentence number {i} says that {i * 100} people applied in Liège." for i in range(40)]
    doc = Document("d", "T", "2.1 Scope\n\n" + " ".join(sentences) + "\n")
    chunks = chunk_document(doc, params=ChunkingParams(max_tokens=60, overlap_sentences=1))
    assert len(chunks) > 3
    assert all(c.token_count <= 60 for c in chunks)
    for chunk in chunks:
        # Every chunk holds whole sentences only.
        for part in chunk.text.split("\n"):
            if part != "2.1 Scope":
                assert part.startswith("Sentence number") and part.endswith("Liège.")
    for first, second in zip(chunks, chunks[1:]):
        last_sentence = first.text.rsplit("Sentence number", 1)[1]
        assert second.text.startswith("Sentence number" + last_sentence)


def test_chunk_text_is_its_source_spans_text():
    doc = Document("d", "T", "1.1 A\n\nFirst para here.\n\n² A footnote.\n\nSecond para.\n\n1.2 B\n\nOther.\n")
    for chunk in chunk_document(doc):
        for a, b in chunk.spans:
            assert doc.text[a:b] in chunk.text
        assert chunk.start == chunk.spans[0][0] and chunk.end == chunk.spans[-1][1]


def test_fits_check_cuts_chunks_smaller():
    doc = Document("d", "T", "1.1 A\n\n" + " ".join(f"Word{i} is here." for i in range(60)) + "\n")
    loose = chunk_document(doc, params=ChunkingParams(max_tokens=150))
    strict = chunk_document(doc, params=ChunkingParams(max_tokens=150), fits=lambda text: len(text.split()) <= 40)
    assert len(strict) > len(loose)
    assert all(len(embedding_text("T", c.section_path, c.text).split()) <= 40 for c in strict)


def test_ids_depend_on_content_and_are_unique():
    doc = Document("d", "T", "1.1 A\n\nSame text.\n\n1.2 B\n\nSame text.\n")
    first = chunk_document(doc)
    again = chunk_document(doc)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert len({c.chunk_id for c in first}) == len(first)
    changed = chunk_document(Document("d", "T", "1.1 A\n\nOther text.\n\n1.2 B\n\nSame text.\n"))
    assert first[1].chunk_id == changed[1].chunk_id  # untouched section keeps its id
    assert first[0].chunk_id != changed[0].chunk_id


def test_repr_is_short():
    chunk = chunk_document(Document("d", "T", "1.1 A\n\n" + "word " * 200 + "\n"))[0]
    assert len(repr(chunk)) < 160


# -- the real corpus -----------------------------------------------------------


def test_no_chunk_over_budget(real_chunks):
    assert max(c.token_count for c in real_chunks) <= BUDGET


@pytest.mark.model
def test_embedded_text_is_never_truncated_by_the_model(real_corpus, real_chunks, real_embedder):
    titles = {d.doc_id: d.title for d in real_corpus.documents}
    lengths = [
        real_embedder.count_wordpieces(embedding_text(titles[c.doc_id], c.section_path, c.text))
        for c in real_chunks
    ]
    assert max(lengths) <= real_embedder.max_wordpieces == 256


def test_no_text_is_lost(real_corpus, real_chunks):
    """Every sentence of every source line appears whole in some chunk
    (a sentence longer than the budget cannot, and is covered by spans)."""
    from emnqa.text.spans import count_tokens

    by_doc = defaultdict(list)
    for chunk in real_chunks:
        by_doc[chunk.doc_id].append(normalise_space(chunk.text))
    missing, checked = [], 0
    for doc in real_corpus.documents:
        haystack = by_doc[doc.doc_id]
        for line in split_lines(doc.text):
            if line.blank:
                continue
            for a, b in sentence_spans(doc.text, line.start, line.end):
                sentence = normalise_space(doc.text[a:b])
                if count_tokens(sentence) >= BUDGET:
                    continue
                checked += 1
                if not any(sentence in text for text in haystack):
                    missing.append((doc.doc_id, sentence[:80]))
    assert checked > 2000
    assert not missing, f"{len(missing)} sentences in no chunk, e.g. {missing[:3]}"


def test_chunk_spans_cover_every_character(real_corpus, real_chunks):
    for doc in real_corpus.documents:
        covered = bytearray(len(doc.text))
        for chunk in (c for c in real_chunks if c.doc_id == doc.doc_id):
            for a, b in chunk.spans:
                assert doc.text[a:b] in chunk.text
                covered[a:b] = b"\x01" * (b - a)
        lost = [i for i, ch in enumerate(doc.text) if not covered[i] and not ch.isspace()]
        assert not lost, f"{doc.doc_id}: {len(lost)} characters in no chunk, first at {lost[0]}: {doc.text[lost[0]:lost[0] + 60]!r}"


def test_no_chunk_crosses_a_section(real_corpus, real_chunks):
    for doc in real_corpus.documents:
        blocks = parse_document(doc, real_corpus.layouts[doc.doc_id])
        for chunk in (c for c in real_chunks if c.doc_id == doc.doc_id):
            sections = {
                b.section
                for b in blocks
                for (a, z) in b.spans
                for (ca, cz) in chunk.spans
                if a < cz and ca < z
            }
            # A table's chunks add its caption ("Table 1: ...") to the path.
            captioned = chunk.kind == "table" and chunk.section_path and chunk.section_path[-1].startswith("Table ")
            path = chunk.section_path[:-1] if captioned else chunk.section_path
            assert sections == {path}, chunk


def test_ids_are_stable_and_unique(real_corpus, real_chunks, real_embedder):
    from emnqa.store.build import chunk_corpus, chunking_params

    again = chunk_corpus(real_corpus, chunking_params(Settings()), real_embedder)
    assert [c.chunk_id for c in again] == [c.chunk_id for c in real_chunks]
    assert len({c.chunk_id for c in real_chunks}) == len(real_chunks)


def test_graph_numbers_stay_out_of_prose(real_corpus, real_chunks):
    overview = next(d for d in real_corpus.documents if d.kind == "report")
    figures = [b for b in parse_document(overview, "report") if b.kind == "figure_data"]
    assert figures, "the report has runs of graph numbers"
    for block in figures:
        holders = [c for c in real_chunks if block.text in c.text]
        assert holders and all(c.kind == "figure" for c in holders)


def test_definition_box_stays_whole_with_its_term(real_chunks):
    definitions = [c for c in real_chunks if c.kind == "definition"]
    terms = {c.meta.get("term") for c in definitions}
    assert {"Subsequent application for international protection", "Safe country of origin", "EU Blue Card"} <= terms
    chunk = next(c for c in definitions if c.meta["term"] == "Safe country of origin")
    assert chunk.text.startswith("Safe country of origin\n")
    assert "Recast Qualification Directive" in chunk.text


def test_footnotes_are_findable_and_tied_to_the_citing_text(real_chunks):
    footnote = next(c for c in real_chunks if "22" in c.meta.get("footnotes", []))
    assert "All statistics on international protection are derived from the CGRS" in footnote.text
    citing = [c for c in real_chunks if "22" in c.meta.get("cites_footnotes", [])]
    assert citing and all(c.section_path == footnote.section_path for c in citing)


def test_sentences_broken_by_page_breaks_and_boxes_are_rejoined(real_chunks):
    texts = [normalise_space(c.text) for c in real_chunks]
    assert any("92 257 persons fleeing the war in Ukraine received" in t for t in texts)
    assert any("minimum duration of an employment contract for an EU Blue Card has in all regions" in t for t in texts)


def test_key_statistic_lives_in_its_section(real_chunks):
    chunk = next(c for c in real_chunks if "rose to 39 615 individuals" in c.text)
    assert chunk.section_path == (
        "International protection and reception",
        "2.1 International protection",
        "2.1.1 Key statistics on international protection",
    )


def test_a_table_s_rows_keep_its_caption_and_header(real_chunks):
    from emnqa.text.spans import count_tokens

    # Table 1 of the 2024 overview: salary thresholds per region. Each chunk
    # of it carries the caption in its section path and opens with the
    # header row naming the regions, so "Executives ... € 86 110" still says
    # it is a 2025 salary and which column is the Walloon Region's.
    rows = [c for c in real_chunks if c.kind == "table" and "€ 86 110" in c.text]
    assert len(rows) == 1
    chunk = rows[0]
    assert chunk.section_path[-1].startswith("Table 1: Minimum gross annual salary") and "2025" in chunk.section_path[-1]
    assert chunk.text.split("\n", 1)[0].split("\t")[2].startswith("Walloon")
    header = chunk.text.split("\n", 1)[0]
    table = [c for c in real_chunks if c.section_path == chunk.section_path]
    # ... all but a row too long to sit beside the header within the budget.
    bare = [c for c in table if not c.text.startswith(header + "\n")]
    assert len(table) > 2 and len(bare) <= 1
    assert all(c.token_count + count_tokens(header) + 1 > BUDGET for c in bare)


def test_news_items_are_chunks_with_metadata(real_chunks):
    news = [c for c in real_chunks if c.kind == "news"]
    dated = [c for c in news if c.meta.get("date")]
    assert len(news) >= 40 and dated
    item = next(c for c in news if "Georgia and Moldova have joined the EMN" in c.text)
    assert item.meta["date"] == "17 March 2021" and item.meta["keywords"] == "Eastern Europe"
    assert not re.search(r"\n\S.*\n\S.*Main theme", item.text)  # one item, not several
