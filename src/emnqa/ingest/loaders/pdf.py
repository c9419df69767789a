"""PDF: the text layer of each page (pypdf), pages joined by a blank line.

`pages` holds each page's start offset, so Document.page_at(offset) can cite a
page: two pages "A" and "B" give text "A\\n\\nB" and pages ((0, 1), (3, 2)).
"""

from __future__ import annotations

from pathlib import Path

from ...errors import CorpusError
from .base import LoadedText

PAGE_SEPARATOR = "\n\n"


def load_pdf(path: Path) -> LoadedText:
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = pypdf.PdfReader(path)
        page_texts = [page.extract_text() or "" for page in reader.pages]
    except (FileNotDecryptedError, DependencyError):
        raise CorpusError(
            f"{path} is encrypted (password-protected); save an unprotected copy and use that."
        ) from None
    except OSError as err:
        raise CorpusError(
            f"{path} cannot be read ({err.strerror or err}); "
            "check that it exists and that you may read it."
        ) from None
    except Exception as err:  # pypdf raises many types for broken files
        raise CorpusError(
            f"{path} is not a readable PDF ({type(err).__name__}: {err}); "
            "re-export it as PDF or convert it to .txt."
        ) from None

    if not any(text.strip() for text in page_texts):
        raise CorpusError(f"{path} has no text layer (scanned?); OCR it first.")

    pages: list[tuple[int, int]] = []
    offset = 0
    for number, text in enumerate(page_texts, start=1):
        pages.append((offset, number))
        offset += len(text) + len(PAGE_SEPARATOR)
    return LoadedText(PAGE_SEPARATOR.join(page_texts), tuple(pages))
