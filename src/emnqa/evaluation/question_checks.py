"""Checks of a question set against the corpus it is written from.

Each check returns problems, one friendly line each (the question's id, what
is wrong, what to do), so a writer can run them on a draft and the tests can
assert that a shipped split has none:

- `gold_problems`: every gold string is verbatim in its document (case and
  white space folded) and distinctive (in 1 to `max_chunks` chunks);
- `evidence_problems`: an answerable item's evidence is the document's text
  at its offsets and holds a gold string; an unanswerable item records the
  searches that confirm the documents do not answer it;
- `leakage`: no evidence sentence of one split overlaps one of another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .questions import Question, contains_gold, normalise
from ..types import Chunk, Document

MAX_CHUNKS_PER_GOLD = 4


def gold_problems(
    questions: Iterable[Question], documents: Sequence[Document], chunks: Sequence[Chunk], max_chunks: int = MAX_CHUNKS_PER_GOLD
) -> list[str]:
    texts = {d.doc_id: normalise(d.text) for d in documents}
    chunk_texts = [normalise(c.text) for c in chunks]
    problems = []
    for q in questions:
        if not q.answerable:
            continue
        if q.doc not in texts:
            problems.append(f"{q.id}: doc {q.doc!r} is not a document id ({', '.join(sorted(texts))})")
            continue
        for gold in q.answers:
            folded = normalise(gold)
            if folded not in texts[q.doc]:
                problems.append(f"{q.id}: gold {gold!r} is not in {q.doc}; copy it verbatim from the document")
                continue
            holders = sum(folded in text for text in chunk_texts)
            if not 1 <= holders <= max_chunks:
                problems.append(
                    f"{q.id}: gold {gold!r} is in {holders} chunks (1 to {max_chunks} allowed); "
                    "use a longer, more distinctive string"
                )
    return problems


def evidence_problems(questions: Iterable[Question], documents: Sequence[Document]) -> list[str]:
    """Problems with the evidence of answerable items and the searches of
    unanswerable ones (for question files that record them: the train and
    test splits)."""
    texts = {d.doc_id: d.text for d in documents}
    problems = []
    for q in questions:
        if not q.answerable:
            if not q.searches:
                problems.append(f"{q.id}: an unanswerable item records its 'searches' (what was looked for, and not found)")
            if q.evidence is not None:
                problems.append(f"{q.id}: an unanswerable item has no 'evidence'")
            continue
        ev = q.evidence
        if ev is None:
            problems.append(f"{q.id}: an answerable item records its 'evidence'; eval/locate_evidence.py prints it")
            continue
        if ev.doc != q.doc:
            problems.append(f"{q.id}: evidence is from {ev.doc!r} but the item's doc is {q.doc!r}")
            continue
        text = texts.get(ev.doc, "")
        if text[ev.start : ev.end] != ev.text:
            problems.append(
                f"{q.id}: evidence text is not {ev.doc}[{ev.start}:{ev.end}] "
                f"(found {text[ev.start:ev.end][:60]!r}); eval/locate_evidence.py {ev.doc} '<text>' prints the offsets"
            )
            continue
        if not contains_gold(ev.text, q.answers):
            problems.append(f"{q.id}: no gold string is inside the evidence sentence; quote the sentence that holds it")
    return problems


def leakage(first: Iterable[Question], second: Iterable[Question]) -> list[tuple[str, str]]:
    """Pairs of ids whose evidence sentences overlap, one from each set.

    >>> from emnqa.evaluation.questions import Evidence
    >>> a = Question("tr-1", "q", ("x",), "d", True, "what", evidence=Evidence("d", "x y", 0, 3))
    >>> b = Question("te-1", "q", ("y",), "d", True, "what", evidence=Evidence("d", "y", 2, 3))
    >>> leakage([a], [b])
    [('tr-1', 'te-1')]
    """
    by_doc: dict[str, list[Question]] = {}
    for q in second:
        if q.evidence is not None:
            by_doc.setdefault(q.evidence.doc, []).append(q)
    pairs = []
    for q in first:
        if q.evidence is None:
            continue
        for other in by_doc.get(q.evidence.doc, ()):
            if q.evidence.overlaps(other.evidence):
                pairs.append((q.id, other.id))
    return pairs
