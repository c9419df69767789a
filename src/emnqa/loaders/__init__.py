"""Loaders: one file -> its extracted text (and page offsets where pages exist).

Every loader raises CorpusError for a file it cannot read; `corpus.py` turns
that into a warning and moves on.

    load_file(Path("corpus/emn-be-news-2023.txt")).text[:17]
    'Publication date:'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError


@dataclass(frozen=True)
class LoadedText:
    """The text a loader extracted, plus (start_offset, page_number) pairs."""

    text: str
    pages: tuple[tuple[int, int], ...] = ()


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


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or CorpusError saying why they cannot be read."""
    try:
        return path.read_bytes()
    except OSError as err:
        raise CorpusError(
            f"{path} cannot be read ({err.strerror or err}); "
            "check that it exists and that you may read it."
        ) from None


__all__ = ["LoadedText", "FORMATS", "load_file", "read_bytes", "source_format"]
