"""corpus.py: directory + manifest -> Documents, warnings, fingerprint."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from emnqa.ingest.corpus import (
    SUPPORTED_SUFFIXES,
    Corpus,
    CorpusWarning,
    corpus_fingerprint,
    load_corpus,
)
from emnqa.errors import CorpusError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REAL_CORPUS = Path(__file__).resolve().parents[1] / "corpus"

MANIFEST = """
[[document]]
file = "liege-report.txt"
id = "liege"
title = "Rapport Liège"
publisher = "EMN Belgium"
year = "2021"
kind = "report"
language = "fr"
layout = "report"

[[document]]
file = "missing.txt"
id = "missing"
kind = "news"
"""


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


def _by_path(corpus: Corpus) -> dict[str, CorpusWarning]:
    return {w.path: w for w in corpus.warnings}


# --- the real corpus -------------------------------------------------------------


def test_real_corpus_matches_its_manifest():
    manifest = tomllib.loads((REAL_CORPUS / "manifest.toml").read_text(encoding="utf-8"))
    corpus = load_corpus(REAL_CORPUS)

    assert corpus.warnings == ()
    assert [d.doc_id for d in corpus.documents] == sorted(e["id"] for e in manifest["document"])
    assert len(corpus.documents) == 5
    by_id = {d.doc_id: d for d in corpus.documents}
    for entry in manifest["document"]:
        doc = by_id[entry["id"]]
        assert (doc.path, doc.title, doc.publisher, doc.year, doc.kind, doc.language) == (
            entry["file"], entry["title"], "EMN Belgium", entry["year"], entry["kind"], "en"
        )
        assert doc.source_format == "txt" and doc.pages == ()
        assert doc.text == (REAL_CORPUS / entry["file"]).read_text(encoding="utf-8")
        assert corpus.layouts[doc.doc_id] == entry["layout"]
    assert corpus.layouts == {
        "overview-2024": "report",
        "factsheet-2023": "plain",
        "event-2023-slides": "slides",
        "news-2023": "news",
        "news-2018-2021": "news",
    }
    assert corpus.fingerprint == corpus_fingerprint(REAL_CORPUS)


# --- a small corpus with awkward files --------------------------------------------


@pytest.fixture
def awkward(tmp_path) -> Path:
    return _write(
        tmp_path / "corpus",
        {
            "manifest.toml": MANIFEST,
            "liege-report.txt": "Liège et Türkiye²\r\n\r\n² Une note.\r\n",
            "empty.txt": "",
            "blank.md": " \n\t\n",
            "cp1252.txt": "Liège".encode("cp1252"),
            "EMN-presentation-2019.txt": "PART 1: LEGAL MIGRATION\n\n➢ Single permit\n",
            "README.md": "# How to use this folder\n",
            ".hidden.txt": "not a document",
            "notes.docx": b"PK\x03\x04",
            "sub/news-items.md": "Publication date:\n\nA news item from 2020.\n",
        },
    )


def test_awkward_corpus_loads_what_it_can(awkward, caplog):
    with caplog.at_level(logging.WARNING, logger="emnqa.ingest.corpus"):
        corpus = load_corpus(awkward)

    assert [d.doc_id for d in corpus.documents] == ["emn-presentation-2019", "liege", "news-items"]
    liege = corpus.documents[1]
    assert liege.text == "Liège et Türkiye²\n\n² Une note.\n"  # universal newlines, nothing else
    assert (liege.title, liege.year, liege.kind, liege.language, liege.path) == (
        "Rapport Liège", "2021", "report", "fr", "liege-report.txt"
    )
    assert corpus.documents[2].path == "sub/news-items.md"
    assert corpus.documents[2].source_format == "md"

    warnings = _by_path(corpus)
    assert set(warnings) == {
        "missing.txt", "empty.txt", "blank.md", "cp1252.txt",
        "EMN-presentation-2019.txt", "sub/news-items.md",
    }
    assert "does not exist" in warnings["missing.txt"].message
    assert "cp1252.txt is not valid UTF-8" in warnings["cp1252.txt"].message
    assert str(awkward) not in warnings["cp1252.txt"].message  # names the file, not the full path
    assert "empty.txt has no text" in warnings["empty.txt"].message
    assert "blank.md has no text" in warnings["blank.md"].message
    assert warnings["EMN-presentation-2019.txt"].message.startswith(
        "EMN-presentation-2019.txt is not in manifest.toml; metadata was derived from its name and content"
    )
    # Every warning is also logged, and nothing is a traceback.
    assert [r.getMessage() for r in caplog.records] == [w.message for w in corpus.warnings]


def test_unlisted_files_get_derived_metadata(awkward):
    corpus = load_corpus(awkward)
    slides, news = corpus.documents[0], corpus.documents[2]

    assert (slides.title, slides.year, slides.kind, slides.language) == (
        "PART 1: LEGAL MIGRATION", "2019", "slides", "en"
    )
    assert corpus.layouts[slides.doc_id] == "slides"
    assert (news.doc_id, news.year, news.kind) == ("news-items", "2020", "news")
    assert corpus.layouts["news-items"] == "news"
    assert corpus.layouts["liege"] == "report"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        # Numbered headings make a report layout; a long first line gives a readable stem.
        (
            "annual_thing.txt",
            "x" * 130 + "\n\n1.1 Legal migration\ntext\n2.3 Asylum\ntext\n",
            {"doc_id": "annual-thing", "title": "Annual thing", "kind": "other", "year": "", "layout": "report"},
        ),
        (
            "Factsheet Liège.md",
            "# Fiche pays\n\nLe rapport annuel et les chiffres de la migration pour une année 2022.\n",
            {"doc_id": "factsheet-liege", "title": "Fiche pays", "kind": "factsheet", "year": "2022",
             "layout": "plain", "language": "fr"},
        ),
        (
            "jaarverslag.txt",
            "Het verslag van een jaar met de cijfers voor migratie, dat niet eerder werd gepubliceerd.\n",
            {"kind": "other", "language": "nl", "layout": "plain"},
        ),
    ],
)
def test_derived_metadata(tmp_path, name, text, expected):
    corpus = load_corpus(_write(tmp_path, {name: text}))
    (doc,) = corpus.documents
    got = {key: getattr(doc, key, None) for key in expected}
    got["layout"] = corpus.layouts[doc.doc_id]
    assert {k: got[k] for k in expected} == expected


def test_derived_id_does_not_clash_with_a_manifest_id(tmp_path):
    root = _write(
        tmp_path,
        {
            "manifest.toml": '[[document]]\nfile = "a.txt"\nid = "news"\n',
            "a.txt": "A\n",
            "news.txt": "B\n",
            "News.md": "C\n",
        },
    )
    corpus = load_corpus(root)
    assert [d.doc_id for d in corpus.documents] == ["news", "news-2", "news-3"]
    assert sorted(corpus.layouts) == ["news", "news-2", "news-3"]


def test_manifest_values_fill_in_only_what_they_name(tmp_path):
    root = _write(tmp_path, {"manifest.toml": '[[document]]\nfile = "n.txt"\nkind = "news"\nyear = 2019\n',
                             "n.txt": "Item one from 2017\n"})
    corpus = load_corpus(root)
    (doc,) = corpus.documents
    assert (doc.doc_id, doc.title, doc.kind, doc.year) == ("n", "Item one from 2017", "news", "2019")
    assert corpus.layouts["n"] == "news"
    assert corpus.warnings == ()


def test_pdf_and_html_documents(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in ("Page one text", "Page two text"):
        pdf.add_page()
        pdf.cell(text=text)
    root = _write(tmp_path, {"page.htm": "<h2>Title</h2><p>Body</p>"})
    pdf.output(str(root / "slides.pdf"))

    corpus = load_corpus(root)
    html, slides = corpus.documents
    assert (html.source_format, html.text, html.title) == ("html", "## Title\n\nBody\n", "Title")
    assert slides.source_format == "pdf" and slides.kind == "slides"
    assert slides.page_at(slides.text.index("Page two")) == 2


# --- errors ------------------------------------------------------------------------


def test_missing_directory(tmp_path):
    with pytest.raises(CorpusError, match=r"nowhere does not exist"):
        load_corpus(tmp_path / "nowhere")
    with pytest.raises(CorpusError, match=r"nowhere does not exist"):
        corpus_fingerprint(tmp_path / "nowhere")


def test_no_loadable_document(tmp_path):
    root = _write(tmp_path / "c", {"README.md": "# hi\n", "empty.txt": "", "x.docx": b"PK"})
    with pytest.raises(CorpusError) as err:
        load_corpus(root)
    message = str(err.value)
    assert str(root) in message
    assert all(suffix in message for suffix in SUPPORTED_SUFFIXES)
    assert "empty.txt has no text" in message  # why the one candidate was skipped


@pytest.mark.parametrize(
    ("manifest", "pattern"),
    [
        ("[[document]\nfile = 'a.txt'", r"is not valid TOML"),
        ('[[document]]\nid = "a"\n', r"entry 1 has no file; add file = "),
        (
            '[[document]]\nfile = "a.txt"\n[[document]]\nfile = "b.txt"\n'
            '[[document]]\nfile = "c.txt"\nkind = "book"\n',
            r"entry 3 has kind 'book'; use one of report, factsheet, slides, news, other\.",
        ),
        ('[[document]]\nfile = "a.txt"\nlayout = "poem"\n', r"layout 'poem'; use one of report, slides, news, plain"),
        ('[[document]]\nfile = "a.txt"\ntitel = "x"\n', r"unknown key 'titel'"),
        ('[[document]]\nfile = "a.txt"\ntitle = ""\n', r"title = ''; write a non-empty quoted string"),
        ('[document]\nfile = "a.txt"\n', r"write a \[\[document\]\] table"),
        ('document = ["a.txt"]\n', r"document = \['a.txt'\]; write a \[\[document\]\] table"),
        ('[[document]]\nfile = "a.txt"\n[[document]]\nfile = "a.txt"\n', r"entry 2 repeats file 'a.txt'"),
        ('[[document]]\nfile = "a.txt"\nid = "x"\n[[document]]\nfile = "b.txt"\nid = "x"\n', r"repeats id 'x'"),
    ],
)
def test_bad_manifest_is_an_error_that_says_the_fix(tmp_path, manifest, pattern):
    root = _write(tmp_path, {"manifest.toml": manifest, "a.txt": "A\n", "b.txt": "B\n"})
    with pytest.raises(CorpusError, match=pattern) as err:
        load_corpus(root)
    assert "manifest.toml" in str(err.value)


# --- fingerprint -------------------------------------------------------------------


def test_fingerprint_tracks_document_bytes_and_files(tmp_path):
    root = _write(tmp_path, {"a.txt": "Alpha\n", "b.md": "Beta\n", "manifest.toml": ""})
    first = corpus_fingerprint(root)
    assert len(first) == 64 and int(first, 16) >= 0
    assert corpus_fingerprint(root) == first
    assert load_corpus(root).fingerprint == first

    # Not documents: no effect.
    _write(root, {".DS_Store": b"\0", "notes.docx": b"PK", "README.md": "# readme\n"})
    assert corpus_fingerprint(root) == first

    (root / "a.txt").write_text("Alpha!\n", encoding="utf-8")
    changed = corpus_fingerprint(root)
    assert changed != first
    (root / "a.txt").write_text("Alpha\n", encoding="utf-8")
    assert corpus_fingerprint(root) == first  # same bytes, same fingerprint (mtime is ignored)

    _write(root, {"c.html": "<p>Gamma</p>"})
    added = corpus_fingerprint(root)
    assert added not in (first, changed)

    (root / "manifest.toml").write_text('[[document]]\nfile = "a.txt"\n', encoding="utf-8")
    assert corpus_fingerprint(root) not in (first, changed, added)


def test_fingerprint_depends_on_names_not_just_contents(tmp_path):
    one = _write(tmp_path / "one", {"a.txt": "same\n"})
    two = _write(tmp_path / "two", {"b.txt": "same\n"})
    three = _write(tmp_path / "three", {"a.txt": "same\n"})
    assert corpus_fingerprint(one) != corpus_fingerprint(two)
    assert corpus_fingerprint(one) == corpus_fingerprint(three)  # the directory's own path does not count
