"""HTML: visible text laid out so the generic parser sees the structure.

Headings become "#"-prefixed lines, list items "- " lines, paragraphs are
separated by a blank line and <br> is a line break:

>>> html_to_text("<h2>Key  facts</h2><p>In <b>2023</b>:<br>more</p><ul><li>a</li><li>b</li></ul>")
'## Key facts\\n\\nIn 2023:\\nmore\\n\\n- a\\n- b\\n'
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from ...errors import CorpusError
from .base import LoadedText, read_bytes

# <title> is not page text; a document title comes from the manifest or the first line.
DROPPED_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "template", "title")
HEADINGS = {f"h{level}": level for level in range(1, 7)}
# Elements that start a new paragraph; anything else is inline.
BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "div",
    "dl", "dt", "figcaption", "figure", "form", "hr", "html", "main", "ol", "p",
    "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
}  # fmt: skip
CELL_TAGS = {"td", "th"}
# HTML collapses ASCII whitespace only; a no-break space stays as written.
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def load_html(path: Path) -> LoadedText:
    return LoadedText(html_to_text(_decode(read_bytes(path), path)))


def _decode(data: bytes, path: Path) -> str:
    """Decode with the charset the page declares (BOM, then <meta>), else UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        encoding, data = "utf-8", data[len(codecs.BOM_UTF8) :]
    else:
        match = _CHARSET.search(data[:4096])
        encoding = match.group(1).decode("ascii") if match else "utf-8"
    try:
        return data.decode(encoding)
    except LookupError:
        raise CorpusError(
            f"{path} declares charset {encoding!r}, which Python does not know; "
            "re-save it as UTF-8 with <meta charset=\"utf-8\">."
        ) from None
    except UnicodeDecodeError as err:
        raise CorpusError(
            f"{path} is not valid {encoding} (byte 0x{data[err.start:err.start + 1].hex()} "
            f"at offset {err.start}); re-save it with the charset it declares."
        ) from None


def html_to_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup.find_all(DROPPED_TAGS):
        tag.decompose()
    writer = _Writer()
    writer.walk(soup)
    writer.flush()
    return writer.text()


class _Writer:
    """Collects inline text and closes it into blocks at block boundaries."""

    def __init__(self) -> None:
        self.blocks: list[tuple[str, str]] = []  # (kind, text)
        self.inline: list[str] = []
        self.kind, self.prefix = "paragraph", ""

    def walk(self, node) -> None:
        from bs4 import NavigableString, Tag

        for child in node.children:
            if isinstance(child, Tag):
                self.element(child)
            # Subclasses are comments, doctypes, CDATA...: not visible text.
            elif type(child) is NavigableString:
                self.inline.append(_HTML_SPACE.sub(" ", str(child)))

    def element(self, tag) -> None:
        name = tag.name
        if name == "br":
            self.inline.append("\n")
        elif name in HEADINGS:
            self.block(tag, "heading", "#" * HEADINGS[name] + " ")
        elif name == "li":
            self.block(tag, "item", "- ")
        elif name in BLOCK_TAGS:
            self.block(tag, "paragraph", "")
        elif name in CELL_TAGS:
            self.inline.append(" ")
            self.walk(tag)
            self.inline.append(" ")
        else:
            self.walk(tag)

    def block(self, tag, kind: str, prefix: str) -> None:
        self.flush()
        self.kind, self.prefix = kind, prefix
        self.walk(tag)
        self.flush()

    def flush(self) -> None:
        lines = ("".join(self.inline)).split("\n")
        lines = [re.sub(" +", " ", line).strip(" ") for line in lines]
        text = "\n".join(line for line in lines if line)
        if text:
            self.blocks.append((self.kind, self.prefix + text))
        self.inline = []
        self.kind, self.prefix = "paragraph", ""

    def text(self) -> str:
        out: list[str] = []
        previous = ""
        for kind, text in self.blocks:
            if out:
                out.append("\n" if kind == previous == "item" else "\n\n")
            out.append(text)
            previous = kind
        return "".join(out) + "\n" if out else ""
