"""A corpus directory (+ manifest.toml) -> Documents, warnings and a fingerprint.

    corpus = load_corpus(Path("corpus"))
    [d.doc_id for d in corpus.documents][:2], corpus.layouts["news-2023"]
    (['event-2023-slides', 'factsheet-2023'], 'news')

Files listed in the manifest take their metadata from it; other supported files
get metadata derived from their name and content, with a warning. A file that
cannot be read is skipped with a warning; only an unusable directory or
manifest raises CorpusError.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from ..errors import CorpusError
from .loaders import FORMATS, load_file, source_format
from ..types import DOCUMENT_KINDS, LAYOUTS, Document

log = logging.getLogger("emnqa.ingest.corpus")

SUPPORTED_SUFFIXES = tuple(FORMATS)  # (".txt", ".md", ".pdf", ".html", ".htm")
MANIFEST_NAME = "manifest.toml"
MANIFEST_KEYS = ("file", "id", "title", "publisher", "year", "kind", "language", "layout")
# Documentation beside the documents, not a document.
_NOT_DOCUMENTS = {"readme.md"}


@dataclass(frozen=True)
class CorpusWarning:
    path: str  # file name relative to the corpus dir
    message: str  # one friendly sentence naming the file and what to do


@dataclass(frozen=True)
class Corpus:
    root: Path
    documents: tuple[Document, ...]  # sorted by doc_id
    warnings: tuple[CorpusWarning, ...]
    fingerprint: str  # == corpus_fingerprint(root)
    layouts: dict[str, str] = field(hash=False)  # doc_id -> layout


def load_corpus(corpus_dir: Path) -> Corpus:
    root = Path(corpus_dir)
    _check_dir(root)
    entries = read_manifest(root)
    files = corpus_files(root)
    warnings: list[CorpusWarning] = []

    for rel in sorted(set(entries) - set(files)):
        if (root / rel).is_file():
            problem = f"is not a document emnqa reads (suffixes {', '.join(SUPPORTED_SUFFIXES)})"
        else:
            problem = f"does not exist in {root}"
        warnings.append(CorpusWarning(rel, f"{MANIFEST_NAME} lists {rel}, which {problem}; "
                                           "add the file or remove its [[document]] entry."))

    taken_ids = {entry["id"] for entry in entries.values() if "id" in entry}
    documents: list[Document] = []
    layouts: dict[str, str] = {}
    for rel in files:
        full = root / rel
        try:
            loaded = load_file(full)
        except CorpusError as err:
            warnings.append(CorpusWarning(rel, "Skipped: " + str(err).replace(str(full), rel)))
            continue
        text, problem = _without_control_characters(loaded.text, rel)
        if problem is not None:
            warnings.append(CorpusWarning(rel, problem))
            if text is None:
                continue
            loaded = replace(loaded, text=text)
        if not loaded.text.strip():
            warnings.append(CorpusWarning(rel, f"Skipped: {rel} has no text; "
                                               "add its text or remove it from the corpus."))
            continue
        meta = {**derive_metadata(rel, loaded.text, taken_ids), **entries.get(rel, {})}
        taken_ids.add(meta["id"])
        if rel not in entries:
            warnings.append(CorpusWarning(rel, f"{rel} is not in {MANIFEST_NAME}; metadata was "
                                               "derived from its name and content (add a "
                                               "[[document]] entry to set it)."))
        if "layout" not in meta:
            meta["layout"] = guess_layout(loaded.text, meta["kind"])
        documents.append(
            Document(
                doc_id=meta["id"],
                title=meta["title"],
                text=loaded.text,
                path=rel,
                publisher=meta.get("publisher", ""),
                year=meta["year"],
                kind=meta["kind"],
                language=meta["language"],
                source_format=source_format(full),
                pages=loaded.pages,
            )
        )
        layouts[meta["id"]] = meta["layout"]

    for warning in warnings:
        log.warning(warning.message)
    if not documents:
        skipped = "".join(f" {w.message}" for w in warnings)
        raise CorpusError(
            f"No document could be loaded from {root}; put files ending in "
            f"{', '.join(SUPPORTED_SUFFIXES)} there (README.md and hidden files are ignored).{skipped}"
        )
    return Corpus(
        root=root,
        documents=tuple(sorted(documents, key=lambda d: d.doc_id)),
        warnings=tuple(warnings),
        fingerprint=corpus_fingerprint(root),
        layouts=layouts,
    )


# C0 controls other than tab, newline, vertical tab, form feed and carriage
# return, and DEL: never text, often the sign of a binary or UTF-16 file.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
# Above this share of NULs the file is UTF-16 or binary, not damaged text.
_MAX_NUL_SHARE = 0.05


def _without_control_characters(text: str, rel: str) -> tuple[str | None, str | None]:
    """(text with control characters turned into spaces, a warning) or, for a
    file that is mostly NULs, (None, why it is skipped). Spaces keep every
    offset where it was, so citations still point into the file.

    >>> text, warning = _without_control_characters("Visa\\x00 rules for students changed.", "a.txt")
    >>> text, warning
    ('Visa  rules for students changed.', 'a.txt has 1 control character (NUL) that cannot be text; it was indexed with it read as a space. Remove it to silence this warning.')
    >>> _without_control_characters("V\\x00i\\x00s\\x00a\\x00", "u.txt")[0] is None
    True
    """
    found = _CONTROL.findall(text)
    if not found:
        return text, None
    if text.count("\x00") > _MAX_NUL_SHARE * len(text):
        return None, (f"Skipped: {rel} is {text.count(chr(0)) / len(text):.0%} NUL bytes, so it is binary or "
                      "UTF-16, not UTF-8 text; re-save it as UTF-8.")
    names = sorted({"NUL" if c == "\x00" else f"U+{ord(c):04X}" for c in found})
    listed = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    many = len(found) > 1
    return _CONTROL.sub(" ", text), (
        f"{rel} has {len(found)} control character{'s' if many else ''} ({listed}) that cannot be text; "
        f"it was indexed with {'them read as spaces' if many else 'it read as a space'}. "
        f"Remove {'them' if many else 'it'} to silence this warning."
    )


def corpus_fingerprint(corpus_dir: Path) -> str:
    """Hex sha256 over (relative path, sha256 of bytes) of every document file and
    the manifest. Reads bytes only, so checking an index for staleness is cheap."""
    root = Path(corpus_dir)
    _check_dir(root)
    names = corpus_files(root)
    if (root / MANIFEST_NAME).is_file():
        names.append(MANIFEST_NAME)
    outer = hashlib.sha256()
    for rel in sorted(names):
        try:
            digest = hashlib.sha256((root / rel).read_bytes()).hexdigest()
        except OSError:
            digest = "unreadable"
        outer.update(f"{rel}\0{digest}\n".encode())
    return outer.hexdigest()


def corpus_files(root: Path) -> list[str]:
    """Relative POSIX paths of the files that may be documents, sorted.

    Hidden files and folders, README.md and other suffixes are left out.
    """
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.suffix.lower() in SUPPORTED_SUFFIXES and path.name.lower() not in _NOT_DOCUMENTS:
            found.append(rel.as_posix())
    return sorted(found)


def read_manifest(root: Path) -> dict[str, dict[str, str]]:
    """The manifest's entries keyed by file (relative POSIX path); {} without one.

    Raises CorpusError naming the entry, the bad value and the fix.
    """
    path = root / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise CorpusError(f"{path} is not valid TOML ({err}); fix the syntax "
                          "(see the example at the top of the manifest).") from None
    except OSError as err:
        raise CorpusError(f"{path} cannot be read ({err.strerror}); check its permissions.") from None
    extra = sorted(set(data) - {"document"})
    if extra:
        raise CorpusError(f"{path} has top-level key {extra[0]!r}; only [[document]] tables "
                          "are read, so put every setting inside one.")
    tables = data.get("document", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise CorpusError(f"{path} has document = {tables!r}; write a [[document]] table "
                          "(double brackets) for each document.")
    entries: dict[str, dict[str, str]] = {}
    for number, table in enumerate(tables, start=1):
        entry = _check_entry(path, number, table)
        if entry["file"] in entries:
            raise CorpusError(f"{path}: entry {number} repeats file {entry['file']!r}; "
                              "keep one [[document]] entry per file.")
        if "id" in entry and any(e.get("id") == entry["id"] for e in entries.values()):
            raise CorpusError(f"{path}: entry {number} repeats id {entry['id']!r}; "
                              "give every document its own id.")
        entries[entry.pop("file")] = entry
    return entries


def _check_entry(path: Path, number: int, table: dict) -> dict[str, str]:
    where = f"{path}: entry {number}"
    unknown = sorted(set(table) - set(MANIFEST_KEYS))
    if unknown:
        raise CorpusError(f"{where} has unknown key {unknown[0]!r}; "
                          f"use only {', '.join(MANIFEST_KEYS)}.")
    if "year" in table and isinstance(table["year"], int):
        table = {**table, "year": str(table["year"])}
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise CorpusError(f"{where} has {key} = {value!r}; write a non-empty "
                              f'quoted string, e.g. {key} = "...".')
    if "file" not in table:
        raise CorpusError(f'{where} has no file; add file = "name.txt" '
                          "(relative to the corpus directory).")
    if table.get("kind", "other") not in DOCUMENT_KINDS:
        raise CorpusError(f"{where} has kind {table['kind']!r}; "
                          f"use one of {', '.join(DOCUMENT_KINDS)}.")
    if table.get("layout", "plain") not in LAYOUTS:
        raise CorpusError(f"{where} has layout {table['layout']!r}; "
                          f"use one of {', '.join(LAYOUTS)}.")
    return {**table, "file": PurePosixPath(table["file"]).as_posix()}


def _check_dir(root: Path) -> None:
    if not root.is_dir():
        raise CorpusError(f"Corpus directory {root} does not exist or is not a directory; "
                          "create it or pass the directory that holds your documents.")


# --- metadata for files the manifest does not describe ----------------------

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_NUMBERED_HEADING = re.compile(r"^\s*\d{1,2}(?:\.\d{1,2})+\.?\s+[A-Z]", re.M)
_STOPWORDS = {
    "en": {"the", "and", "of", "to", "is", "for", "that", "with", "are", "this", "from", "by"},
    "fr": {"le", "la", "les", "des", "et", "est", "une", "du", "pour", "dans", "que", "avec"},
    "nl": {"het", "een", "van", "niet", "voor", "met", "zijn", "dat", "die", "ook", "wordt", "naar"},
}


def derive_metadata(rel: str, text: str, taken_ids: set[str]) -> dict[str, str]:
    """Metadata guessed from a file's name and text.

    >>> m = derive_metadata("EMN news 2019.txt", "Dublin transfers\\nThe ...", set())
    >>> m["id"], m["title"], m["year"], m["kind"], m["language"]
    ('emn-news-2019', 'Dublin transfers', '2019', 'news', 'en')
    """
    stem = PurePosixPath(rel).stem
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    # "# Title" from Markdown/HTML reads better without the marker.
    first_line = first_line.lstrip("#").strip()
    year = _YEAR.search(stem) or _YEAR.search(text[:2000])
    return {
        "id": _unique(slugify(stem), taken_ids),
        "title": first_line if 0 < len(first_line) < 120 else _readable(stem),
        "year": year.group(0) if year else "",
        "kind": guess_kind(stem),
        "language": guess_language(text),
    }


def slugify(name: str) -> str:
    """A lowercase ASCII id made of letters, digits and hyphens.

    >>> slugify("Rapport annuel – Liège 2023")
    'rapport-annuel-liege-2023'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "document"


def guess_kind(stem: str) -> str:
    """The document kind named by a word of the file name, else 'other'.

    >>> guess_kind("EMN_Factsheet_2023"), guess_kind("event-presentation")
    ('factsheet', 'slides')
    """
    words = set(re.split(r"[^a-z]+", stem.lower()))
    for kind, names in (
        ("slides", {"slides", "slide", "presentation"}),
        ("news", {"news"}),
        ("factsheet", {"factsheet"}),
        ("report", {"report", "overview"}),
    ):
        if words & names:
            return kind
    return "other"


def guess_layout(text: str, kind: str) -> str:
    """How the parser should read a document without a layout in the manifest."""
    if kind in ("slides", "news"):
        return kind
    return "report" if len(_NUMBERED_HEADING.findall(text)) >= 2 else "plain"


def guess_language(text: str) -> str:
    """'en' unless French or Dutch stopwords clearly outnumber English ones.

    >>> guess_language("Le rapport annuel et les chiffres de la migration pour une année")
    'fr'
    """
    words = re.findall(r"[a-zà-ÿ]+", text[:5000].lower())
    counts = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    best = max(counts, key=counts.__getitem__)
    return best if best != "en" and counts[best] > counts["en"] and counts[best] >= 3 else "en"


def _readable(stem: str) -> str:
    words = re.sub(r"[-_\s]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


def _unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    return candidate
