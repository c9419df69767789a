"""A stand-in for `emnqa.assistant.Assistant` for the web chat's tests: one
canned answer whose passages carry an HTML/script payload and a remote image,
so rendering can be checked for escaping without the model."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from emnqa.config import Settings
from emnqa.types import Answer, Chunk, Citation, Passage

PAYLOAD = '<img src=x onerror=alert(1)><script>alert(2)</script>'
REMOTE_IMAGE = "![tracker](http://elsewhere.example/pixel.png)"
DOCUMENTS = {
    "overview-2024": {"title": "Asylum and Migration Overview Belgium 2024", "year": "2024", "kind": "report"},
    "news-2023": {"title": "EMN Belgium news <b>items</b>", "year": "2023", "kind": "news"},
}


def chunk(chunk_id: str, text: str, doc_id: str = "overview-2024", section=("International protection",)) -> Chunk:
    return Chunk(chunk_id, doc_id, text, tuple(section), 0, len(text), len(text.split()))


FIGURE = chunk(
    "overview-2024:a",
    "Key figures\nIn 2024, 39 615 individuals applied for international protection in Belgium. "
    f"The rest of the passage {PAYLOAD} {REMOTE_IMAGE}.",
    section=("Executive summary", "International protection & reception"),
)
NEWS = chunk("news-2023:b", f"Liège opened a centre. {PAYLOAD}", doc_id="news-2023", section=())


def make_answer(question: str = "How many people applied in 2024?", interpreted: str | None = None) -> Answer:
    hits = (Passage.of(FIGURE, 0.9, 1, DOCUMENTS["overview-2024"]["title"]), Passage.of(NEWS, 0.5, 2, DOCUMENTS["news-2023"]["title"]))
    quote = "In 2024, 39 615 individuals applied for international protection in Belgium."
    text = f"The documents give these figures:\n\n> {quote} [1]\n\n**Sources**\n\n[1] Overview — “{quote}”\n"
    return Answer(question, interpreted or question, text, False, (Citation(1, hits[0], quote),), hits, "quantity")


class FakeAssistant:
    """Answers every question with `make_answer`, records how it was asked,
    or raises `error` when one is set."""

    def __init__(self, settings: Settings, error: Exception | None = None, delay: threading.Event | None = None):
        self.settings = settings
        self.index = SimpleNamespace(documents=DOCUMENTS, chunks=[FIGURE, NEWS],
                                     manifest={"format_version": 2, "created": "2026-12-04T00:00:00+00:00"})
        self.error = error
        self.delay = delay
        self.calls: list[tuple] = []

    def ask(self, question, history=None, *, k=None, filters=None):
        self.calls.append((question, history, filters))
        if self.delay is not None:
            self.delay.wait(10)
        if self.error is not None:
            raise self.error
        interpreted = "How many people applied in 2023?" if question.startswith("And") else question
        return make_answer(question, interpreted)
