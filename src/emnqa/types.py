"""The data that flows through emnqa: Document -> Block -> Chunk (index
time); question -> Query -> Passage -> Evidence -> Verdict -> Answer (ask).

All are frozen dataclasses built from plain values, so they serialise to JSON
without pickle and compare by value in tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# Kinds of document the manifest may name.
DOCUMENT_KINDS = ("report", "factsheet", "slides", "news", "other")

# Kinds of block the parser emits.
BLOCK_KINDS = (
    "heading",
    "paragraph",
    "list_item",
    "box",
    "definition",
    "footnote",
    "caption",
    "figure_data",
    "table",
    "news_item",
)


# How a document is parsed (corpus/manifest.toml's `layout`): numbered
# chapters and boxes, "PART n:" slides, a list of news items, or paragraphs.
LAYOUTS = ("report", "slides", "news", "plain")


@dataclass(frozen=True)
class Document:
    """One source file with its metadata and its full text.

    `text` is exactly what the loader extracted; every offset in a Chunk points
    into it. `pages` maps character offsets to page numbers where the format
    has pages (PDF): a tuple of (start_offset, page_number), sorted.
    """

    doc_id: str
    title: str
    text: str
    path: str = ""
    publisher: str = ""
    year: str = ""
    kind: str = "other"
    language: str = "en"
    source_format: str = "txt"
    pages: tuple[tuple[int, int], ...] = ()

    def page_at(self, offset: int) -> int | None:
        """Page number holding character `offset`, or None when unknown.

        >>> Document("d", "t", "ab\\n\\ncd", pages=((0, 1), (4, 2))).page_at(5)
        2
        """
        page = None
        for start, number in self.pages:
            if start > offset:
                break
            page = number
        return page

    def __repr__(self) -> str:
        return f"Document({self.doc_id!r}, {self.title!r}, {len(self.text)} chars)"


@dataclass(frozen=True)
class Block:
    """A structural unit of a parsed document: a heading, a paragraph, a box...

    `spans` are the (start, end) character ranges of the source text that the
    block's text is made of; a sentence rejoined across a page break or around
    a definition box has more than one span. `text` is the spans' text joined
    by single spaces with inner line breaks kept.
    """

    kind: str
    text: str
    spans: tuple[tuple[int, int], ...]
    section: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[-1][1]

    def __repr__(self) -> str:
        return f"Block({self.kind}, {self.start}-{self.end}, {self.text[:60]!r})"


@dataclass(frozen=True)
class Chunk:
    """A passage that is embedded, retrieved and cited.

    `start`/`end` bound the chunk in the document text; `spans` are the exact
    source ranges its text was taken from.
    """

    chunk_id: str
    doc_id: str
    text: str
    section_path: tuple[str, ...]
    start: int
    end: int
    token_count: int
    spans: tuple[tuple[int, int], ...] = ()
    kind: str = "text"
    page: int | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def section(self) -> str:
        """The section path as one line: 'A > B > C'."""
        return " > ".join(self.section_path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "text": self.text,
            "section_path": list(self.section_path),
            "start": self.start,
            "end": self.end,
            "token_count": self.token_count,
            "spans": [list(s) for s in self.spans],
            "kind": self.kind,
            "page": self.page,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Chunk":
        return cls(
            chunk_id=data["chunk_id"],
            doc_id=data["doc_id"],
            text=data["text"],
            section_path=tuple(data["section_path"]),
            start=int(data["start"]),
            end=int(data["end"]),
            token_count=int(data["token_count"]),
            spans=tuple(tuple(s) for s in data.get("spans", ())),
            kind=data.get("kind", "text"),
            page=data.get("page"),
            meta=dict(data.get("meta") or {}),
        )

    def __repr__(self) -> str:
        return f"Chunk({self.chunk_id}, {self.section!r}, {self.text[:80]!r})"


@dataclass(frozen=True)
class Turn:
    """One turn of a conversation: role is "user" or "assistant"."""

    role: str
    content: str


@dataclass(frozen=True)
class Hit:
    """A chunk returned for a query, with its score and 1-based rank."""

    chunk: Chunk
    score: float
    rank: int
    title: str = ""

    def __repr__(self) -> str:
        return f"Hit({self.rank}, {self.score:.3f}, {self.chunk!r})"


@dataclass(frozen=True)
class Filters:
    """Restrict answers to some documents, years or kinds (None: no limit)."""

    doc_ids: frozenset[str] | None = None
    years: frozenset[str] | None = None
    kinds: frozenset[str] | None = None

    def admits(self, chunk: Chunk, document: dict) -> bool:
        if self.doc_ids and chunk.doc_id not in self.doc_ids:
            return False
        if self.years and not any(y in str(document.get("year", "")) for y in self.years):
            return False
        return not (self.kinds and document.get("kind") not in self.kinds)


@dataclass(frozen=True)
class Query:
    """A question as the stages after retrieval read it, analysed once: the
    user's own words (`asked`), the question made self-contained from the
    conversation (`text`), its type, the years it names and, for a what-is
    question, the lexicon's name groups it asks about (an acronym with its
    long names). Built by `emnqa.query.read.read_question`."""

    asked: str
    text: str
    qtype: str
    years: tuple[str, ...]
    names: tuple[frozenset[str], ...] = ()
    # The language the user wrote in; `asked` and `text` are English
    # (emnqa.language translated a French or Dutch question).
    language: str = "en"

    def __repr__(self) -> str:
        return f"Query(asked={self.asked!r}, text={self.text!r}, qtype={self.qtype!r}, years={self.years!r})"


@dataclass(frozen=True)
class Sentence:
    """A quotable sentence of a passage: its span in the passage's text and
    its cosine to the question (the better of the question's and its
    rewording's); `match`, the answer matcher's cosine (the question read by
    the encoder fine-tuned to point at answering sentences; None without it)."""

    start: int
    end: int
    cosine: float = 0.0
    match: float | None = None


@dataclass(frozen=True)
class Passage:
    """What the answering stage reads and cites: a retrieved chunk widened
    with its neighbours of the same section (`chunks`, in reading order; the
    sentence consecutive chunks share kept once in `text`), with the
    retrieval score and 1-based rank of the passage. `sentences`, once the
    question is known, holds its quotable sentences with their cosines
    (None: not scored, the sentences are found from the text).

    >>> p = Passage.of(Chunk("d:1", "d", "One. Two.", ("S",), 0, 9, 4), title="T")
    >>> p.chunk_ids, p.text, p.section, p.rank
    (('d:1',), 'One. Two.', 'S', 1)
    """

    chunks: tuple[Chunk, ...]
    text: str
    score: float = 1.0
    rank: int = 1
    title: str = ""
    positions: tuple[int, ...] = ()  # the chunks' positions in the index, when known
    sentences: tuple[Sentence, ...] | None = None

    @classmethod
    def of(cls, chunk: Chunk, score: float = 1.0, rank: int = 1, title: str = "", position: int | None = None) -> "Passage":
        """A passage of one chunk."""
        return cls((chunk,), chunk.text, score, rank, title, () if position is None else (position,))

    @property
    def chunk_ids(self) -> tuple[str, ...]:
        return tuple(c.chunk_id for c in self.chunks)

    @property
    def doc_id(self) -> str:
        return self.chunks[0].doc_id

    @property
    def section_path(self) -> tuple[str, ...]:
        return self.chunks[0].section_path

    @property
    def section(self) -> str:
        return self.chunks[0].section

    @property
    def kind(self) -> str:
        return self.chunks[0].kind

    @property
    def page(self) -> int | None:
        return self.chunks[0].page

    @property
    def meta(self) -> dict[str, Any]:
        return self.chunks[0].meta

    def __repr__(self) -> str:
        return f"Passage({self.rank}, {self.score:.3f}, {'+'.join(self.chunk_ids)}, {self.text[:80]!r})"


@dataclass(frozen=True)
class Evidence:
    """A sentence of a passage (`passage.text[start:end]`), scored as an
    answer to the question: what the answering stage chooses quotes from."""

    passage: Passage
    start: int
    end: int
    score: float
    coverage: float
    similarity: float = 0.0
    cue: float = 0.0
    match: float | None = None  # the answer matcher's cosine (Sentence.match)

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]


@dataclass(frozen=True)
class Verdict:
    """Whether the answer is "not covered", and the reasons the rules gave."""

    abstain: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: the passage and the sentence quoted
    from it (`quote` is a verbatim span of `passage.text`)."""

    n: int
    passage: Passage
    quote: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc_id": self.passage.doc_id,
            "title": self.passage.title,
            "section": self.passage.section,
            "text": self.passage.text,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class Answer:
    """What the assistant replies: markdown with [n] markers, its citations,
    and the passages retrieved for the interpreted question."""

    question: str
    interpreted_query: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    question_type: str = "other"
    latency_ms: float = 0.0
    # The calibrated probability that the first quote answers the question
    # (emnqa.answer.confidence); an abstained answer keeps its best candidate's.
    confidence: float | None = None
    # Why the answer says "not covered": the abstention rules that fired
    # (emnqa.answer.abstain); empty when it answers.
    abstain_reasons: tuple[str, ...] = ()
    # The language the question was read in ("en", "fr", "nl"; another code
    # when it is not supported): the reply's own words are in it, and
    # `interpreted_query` is then the English query that was searched.
    language: str = "en"

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "language": self.language,
            "interpreted_query": self.interpreted_query,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [
                {
                    "rank": h.rank,
                    "chunk_ids": list(h.chunk_ids),
                    "doc_id": h.doc_id,
                    "title": h.title,
                    "section": h.section,
                    "score": round(h.score, 4),
                    "text": h.text,
                }
                for h in self.passages
            ],
            "latency_ms": round(self.latency_ms, 1),
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "abstain_reasons": list(self.abstain_reasons),
        }


def embedding_text(title: str, section_path: Sequence[str], text: str) -> str:
    """What the model embeds for a chunk: title and section give context.

    >>> embedding_text("Report", ["Minors", "4.1 Key statistics"], "A total of 2 465.")
    'Report | Minors > 4.1 Key statistics\\nA total of 2 465.'
    """
    section = " > ".join(section_path)
    head = f"{title} | {section}" if section else title
    return f"{head}\n{text}"
