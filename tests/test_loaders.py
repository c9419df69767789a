"""Loaders: one file -> exact text (and page offsets for PDF)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emnqa.errors import CorpusError
from emnqa.ingest.loaders import LoadedText, load_file
from emnqa.ingest.loaders.html import html_to_text
from emnqa.types import Document

# --- text and markdown -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Türkiye and Liège²\n".encode(), "Türkiye and Liège²\n"),
        (b"\xef\xbb\xbfBOM first\n", "BOM first\n"),  # the BOM is not text
        (b"a\r\nb\rc\n", "a\nb\nc\n"),  # universal newlines
        (b"  keep   inner   spaces  \n\n\n", "  keep   inner   spaces  \n\n\n"),
        (b"x", "x"),
    ],
)
@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_text_is_the_file_decoded_and_nothing_else(tmp_path, raw, expected, suffix):
    path = tmp_path / f"doc{suffix}"
    path.write_bytes(raw)
    assert load_file(path) == LoadedText(expected, ())


def test_invalid_utf8_names_the_file_the_byte_and_the_fix(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Liège".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"latin1\.txt is not valid UTF-8 \(byte 0xe8 at offset 2\).*UTF-8"):
        load_file(path)


def test_missing_file_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="cannot be read"):
        load_file(tmp_path / "gone.txt")


def test_unsupported_suffix_is_a_corpus_error(tmp_path):
    path = tmp_path / "report.docx"
    path.write_bytes(b"PK")
    with pytest.raises(CorpusError, match=r"'\.docx'.*convert it to one of \.txt"):
        load_file(path)


# --- PDF -----------------------------------------------------------------------


def _pdf(path: Path, pages: list[str], **encryption) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if text:
            pdf.cell(text=text)
        else:
            pdf.rect(20, 20, 50, 50)  # a page with a drawing and no text
    if encryption:
        pdf.set_encryption(**encryption)
    pdf.output(str(path))
    return path


def test_pdf_pages_are_joined_and_mapped_to_page_numbers(tmp_path):
    path = _pdf(tmp_path / "two.pdf", ["Asylum applications in Liege", "Second page: resettlement"])
    loaded = load_file(path)

    first = loaded.text.index("Asylum applications in Liege")
    second = loaded.text.index("Second page: resettlement")
    assert loaded.pages[0] == (0, 1) and [n for _, n in loaded.pages] == [1, 2]
    assert loaded.text[loaded.pages[1][0] - 2 : loaded.pages[1][0]] == "\n\n"
    doc = Document("d", "t", loaded.text, pages=loaded.pages)
    assert doc.page_at(first) == 1
    assert doc.page_at(second) == 2
    assert doc.page_at(loaded.pages[1][0] - 1) == 1


def test_pdf_without_text_layer_asks_for_ocr(tmp_path):
    path = _pdf(tmp_path / "scan.pdf", ["", ""])
    with pytest.raises(CorpusError, match=r"scan\.pdf has no text layer \(scanned\?\); OCR it first"):
        load_file(path)


def test_broken_pdf_is_a_corpus_error(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    with pytest.raises(CorpusError, match=r"broken\.pdf"):
        load_file(path)


def test_password_protected_pdf_is_a_corpus_error(tmp_path):
    path = _pdf(tmp_path / "locked.pdf", ["secret text"], owner_password="o", user_password="u")
    with pytest.raises(CorpusError, match=r"locked\.pdf is encrypted"):
        load_file(path)


# --- HTML ----------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><title>Tab title</title><style>p { color: red }</style>
<script>var tracking = "do not index me";</script></head>
<body>
<nav><a href="/">Home</a></nav>
<header>Site banner</header>
<h1>Country   Factsheet</h1>
<p>Key developments in
   <b>Türkiye</b> and <i>Liège</i>²:</p>
<ul>
  <li>Legal migration</li>
  <li>International   protection</li>
</ul>
<h3>Details</h3>
<div>Line one<br>Line two</div>
<!-- a comment -->
<noscript>enable JavaScript</noscript>
<template><p>template row</p></template>
<footer>Copyright</footer>
</body></html>"""


def test_html_keeps_structure_and_drops_page_furniture(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    text = load_file(path).text

    assert text == (
        "# Country Factsheet\n\n"
        "Key developments in Türkiye and Liège²:\n\n"
        "- Legal migration\n"
        "- International protection\n\n"
        "### Details\n\n"
        "Line one\nLine two\n"
    )
    for hidden in ("tracking", "color", "Home", "banner", "comment", "JavaScript", "Copyright", "Tab title", "template"):
        assert hidden not in text


def test_html_uses_the_declared_charset(tmp_path):
    path = tmp_path / "old.htm"
    path.write_bytes('<meta charset="iso-8859-1"><p>Liège</p>'.encode("latin-1"))
    assert load_file(path).text == "Liège\n"


def test_html_that_does_not_decode_is_a_corpus_error(tmp_path):
    path = tmp_path / "bad.html"
    path.write_bytes("<p>Liège</p>".encode("latin-1"))  # no charset declared: UTF-8
    with pytest.raises(CorpusError, match=r"bad\.html is not valid utf-8"):
        load_file(path)


def test_html_unknown_charset_is_a_corpus_error(tmp_path):
    path = tmp_path / "odd.html"
    path.write_bytes(b'<meta charset="klingon-8"><p>x</p>')
    with pytest.raises(CorpusError, match="klingon-8"):
        load_file(path)


def test_html_table_cells_do_not_run_together():
    assert html_to_text("<table><tr><td>2023</td><td>35 507</td></tr></table>") == "2023 35 507\n"
