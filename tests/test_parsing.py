"""Structure recovery on small inline texts with the awkward cases of the
EMN report: PDF page breaks, definition boxes mid-sentence, footnotes, graph
numbers, boxes, ALL-CAPS chapters, news metadata, slide parts."""

from emnqa.ingest.parsing import parse_document
from emnqa.types import Document


def blocks_of(text, layout="report"):
    return parse_document(Document("d", "Test", text), layout)


def kinds(blocks):
    return [b.kind for b in blocks]


REPORT = """\
INTERNATIONAL PROTECTION AND RECEPTION

Belgian authorities are under pressure (2.1.1).

2.1 International protection

1.1.1 Key statistics on international protection ²²

The number of applications rose to 39 615 individuals in 2024, the highest in
years. The proportion of subsequent applications (see definition) remained stable at
16.3% and the number of inadmissibility decisions decreased

Subsequent application for international protection

A further application for international protection made after a final decision has been taken on a previous application.

for the second consecutive year. ²³ Most came from Syria.

²² All statistics on international protection are derived from the CGRS.

5000 4383 4500 4000 3686 3560 3515 3356 3337 3500 3281 October

Graph 2: Total number of applications lodged in 2024, by month

Box 3: Applicants with a status in another Member State

In 2024, 4 825 applications came from people protected in Greece.

- ➤ Most were single men;
- > Some were families.

2.1.2 Developments related to certain countries

By the end of 2023, 92 257 persons fleeing

the war in Ukraine received temporary protection.
"""


def test_numbered_and_caps_headings_build_the_section_path():
    blocks = blocks_of(REPORT)
    sections = {b.section for b in blocks}
    assert ("International protection and reception",) in sections
    # The garbled "1.1.1" under 2.1 is hung under the open section, renumbered.
    assert (
        "International protection and reception",
        "2.1 International protection",
        "2.1.1 Key statistics on international protection",
    ) in sections
    assert any(s[-1] == "2.1.2 Developments related to certain countries" for s in sections)


def test_definition_box_is_whole_and_the_sentence_around_it_is_rejoined():
    blocks = blocks_of(REPORT)
    definition = next(b for b in blocks if b.kind == "definition")
    assert definition.meta["term"] == "Subsequent application for international protection"
    assert definition.text.endswith("on a previous application.")
    prose = next(b for b in blocks if "inadmissibility decisions decreased" in b.text)
    assert "decisions decreased for the second consecutive year." in prose.text
    assert len(prose.spans) == 2


def test_footnotes_captions_and_graph_numbers_are_set_apart():
    blocks = blocks_of(REPORT)
    footnote = next(b for b in blocks if b.kind == "footnote")
    assert footnote.meta["number"] == "22"
    assert footnote.text.startswith("²² All statistics")
    figure = next(b for b in blocks if b.kind == "figure_data")
    assert "4383" in figure.text
    assert any(b.kind == "caption" and b.text.startswith("Graph 2:") for b in blocks)
    assert not any(b.kind == "paragraph" and "4383" in b.text for b in blocks)


def test_box_is_a_section_and_its_list_items_belong_to_it():
    blocks = blocks_of(REPORT)
    items = [b for b in blocks if b.kind == "list_item"]
    assert [i.text[:5] for i in items] == ["- ➤ M", "- > S"]
    assert all(i.section[-1].startswith("Box 3: Applicants") for i in items)


def test_sentence_broken_by_a_page_break_is_rejoined():
    blocks = blocks_of(REPORT)
    joined = next(b for b in blocks if "92 257" in b.text)
    assert "92 257 persons fleeing the war in Ukraine received" in joined.text


def test_block_spans_point_at_the_source_text():
    text = REPORT
    for block in blocks_of(text):
        for a, b in block.spans:
            assert text[a:b].strip() == text[a:b]
            assert text[a:b] in block.text


def test_news_items_carry_date_theme_and_keywords():
    text = (
        "Georgia and Moldova have joined the EMN in March 2021 as observers.\n"
        "When17 March 2021\n"
        "Main theme: Cross-sectional\n"
        "Keywords: Eastern Europe\n"
        "Fedasil presents its Review 2019.\n"
        "Main theme: Reception\n"
    )
    blocks = blocks_of(text, "news")
    assert kinds(blocks) == ["news_item", "news_item"]
    assert blocks[0].meta == {"date": "17 March 2021", "theme": "Cross-sectional", "keywords": "Eastern Europe"}
    assert blocks[0].text.endswith("Keywords: Eastern Europe")
    assert blocks[1].meta == {"theme": "Reception"}


def test_publication_date_lines_separate_news_items():
    text = "Publication date:\n\nFirst item text here.\n\nPublication date:\n\nSecond item.\nMain theme: Reception\n"
    blocks = blocks_of(text, "news")
    assert len(blocks) == 2
    assert "First item text here." in blocks[0].text and "Second item." not in blocks[0].text
    assert "Second item." in blocks[1].text and blocks[1].meta == {"theme": "Reception"}


def test_slides_parts_are_sections():
    text = " PART 1: LEGAL MIGRATION\n\n➢ Direct access\n\nQuestion 1:\n\nPART 2: PROTECTION\n\n➢ Backlog: 17 374 cases\n"
    blocks = blocks_of(text, "slides")
    backlog = next(b for b in blocks if "17 374" in b.text)
    assert backlog.section == ("PART 2: PROTECTION",)
    assert backlog.kind == "list_item"


def test_empty_and_one_character_documents():
    assert blocks_of("") == []
    assert kinds(blocks_of("x")) == ["paragraph"]


def test_markdown_headings_in_plain_documents():
    blocks = blocks_of("# Reception in Liège\n\nThe centre in Liège opened.\n", "plain")
    assert blocks[1].section == ("Reception in Liège",)
