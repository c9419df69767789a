"""Loaders: one file -> its extracted text (and page offsets where pages exist).

Every loader raises CorpusError for a file it cannot read; `corpus.py` turns
that into a warning and moves on.

    load_file(Path("corpus/emn-be-news-2023.txt")).text[:17]
    'Publication date:'
"""

from __future__ import annotations

from pathlib import Path

from ...errors import CorpusError
from .base import LoadedText, read_bytes


# Suffix -> Document.source_format.
FORMATS = {
    ".txt": "txt",
    ".md": "md",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
}


def source_format(path: Path) -> str:
    """'txt', 'md', 'pdf' or 'html' for a supported suffix.

    >>> source_format(Path("a/Report.HTM"))
    'html'
    """
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        supported = ", ".join(FORMATS)
        raise CorpusError(
            f"{path} has suffix {path.suffix!r}, which emnqa cannot read; "
            f"convert it to one of {supported}."
        ) from None


def load_file(path: Path) -> LoadedText:
    """Load `path` with the loader its suffix names."""
    fmt = source_format(path)
    # Imported here so reading .txt files never imports pypdf or bs4.
    if fmt in ("txt", "md"):
        from .text import load_text

        return load_text(path)
    if fmt == "pdf":
        from .pdf import load_pdf

        return load_pdf(path)
    from .html import load_html

    return load_html(path)


__all__ = ["LoadedText", "FORMATS", "load_file", "read_bytes", "source_format"]
