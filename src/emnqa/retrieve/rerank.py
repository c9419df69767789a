"""Second-stage ranking: a learned ranker over features of (question, passage).

The first stage (BM25 and dense retrieval) gathers candidates; this stage
orders them by signals neither ranking sees alone: how much of the question's
weighted vocabulary the passage and its best sentence contain, the similarity
of the passage and its best sentences to the question and to the question in
the report's words (sentence vectors are stored in the index), whether it
names the year asked about, whether it holds what the question type asks for
(a number, a date, a glossary definition), and the kind of passage.

The model is a LightGBM lambdarank booster fitted on the train split by
`eval/train_reranker.py`, chosen on dev, and shipped as `reranker.txt` beside
this module with its card (`reranker.json`: data, features, figures).
eval/README.md reports it on train (out of fold), dev and test.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import EmnqaError
from ..store import boosters
from ..text.spans import YEAR, years_in
from ..types import Chunk

MODEL_PATH = Path(__file__).with_name("reranker.txt")
CARD_PATH = Path(__file__).with_name("reranker.json")
_FIT_HINT = "Run .venv/bin/python eval/train_reranker.py to fit it again, or reinstall emnqa."

FEATURES = (
    "dense",  # cosine of question and passage vectors
    "dense_rr",  # 1 / (5 + rank) in the dense ranking, 0 when not in it
    "bm25",  # BM25 score / the best candidate's
    "bm25_rr",  # 1 / (5 + rank) in the BM25 ranking, 0 when not in it
    "sentence_best",  # cosine of the question and the passage's best sentence
    "sentence_second",  # ... its second-best sentence
    "cover_text",  # IDF-weighted share of the question's terms in the passage
    "cover_heading",  # ... in its document title and section path
    "cover_sentence",  # ... in its best-covering sentence
    "year_present",  # the question names years and the passage names them all
    "year_absent",  # the question names years and the passage none of them
    "year_document",  # the question names years and the passage's document (its year, its title) names them all
    "year_nowhere",  # the question names years and neither the passage nor its document names any
    "quantity_number",  # a how-many question and a passage with a figure
    "date_date",  # a when question and a passage with a date
    "definition_block",  # a what-is question and a glossary definition passage
    "definition_kind",  # any passage that is a glossary definition
    "footnotes",  # a passage of footnotes
    "news",  # a news item
    "slides",  # event slides
    "table",  # a table or figure
    "short",  # a passage of under 25 words
    "reworded_dense",  # cosine of the question in the report's words (query.lexicon.reword) and the passage ("dense" when it reads the same)
    "reworded_sentence",  # ... and the passage's best sentence
    "summary",  # a passage of a summary, key-figures or highlights section
    "words",  # log(1 + the passage's words)
)

_FIGURE = re.compile(r"\b\d{1,3}(?:[  ,.]\d{3})+\b|\b\d{2,}\b|\d+(?:[.,]\d+)?\s?%")
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
)
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)? {_MONTH}(?!\w)|\b{_MONTH} (?:19|20)\d{{2}}\b|\b\d{{1,2}}[./]\d{{1,2}}[./](?:19|20)\d{{2}}\b",
    re.IGNORECASE,
)

_SUMMARY = re.compile(r"summary|key figures|highlights", re.IGNORECASE)


class RerankerError(EmnqaError):
    """The reranker's weights are missing or do not fit its features."""


class RerankModel:
    """The fitted ranker: a LightGBM booster over FEATURES (`score`: higher
    is better; its scale is the one ComposeParams.prior_scale reads)."""

    def __init__(self, booster: Any, path: Path | str = MODEL_PATH):
        if list(booster.feature_name()) != list(FEATURES):
            raise RerankerError(f"The reranker at {path} was fitted for other features. {_FIT_HINT}")
        self.booster = booster

    def score(self, matrix: np.ndarray) -> np.ndarray:
        return boosters.predict(self.booster, matrix) if len(matrix) else np.zeros(0)

    def save(self, path: Path | str = MODEL_PATH) -> None:
        self.booster.save_model(str(path))

    @classmethod
    def load(cls, path: Path | str = MODEL_PATH) -> "RerankModel":
        from lightgbm.basic import LightGBMError

        if not Path(path).is_file():
            raise RerankerError(f"No reranker at {path}. {_FIT_HINT}")
        try:
            booster = boosters.load(str(path))
        except (OSError, ValueError, LightGBMError) as exc:
            raise RerankerError(f"The reranker at {path} cannot be read ({exc}). {_FIT_HINT}") from None
        return cls(booster, path)


def card(path: Path = CARD_PATH) -> dict[str, Any]:
    """The reranker's model card: data, features, figures."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@dataclass(frozen=True)
class Candidate:
    """A passage to rank, with what the first stage knows of it."""

    position: int  # row in the index
    dense: float = 0.0
    dense_rank: int | None = None
    bm25: float = 0.0
    bm25_rank: int | None = None


class PassageFeatures:
    """Computes FEATURES for candidates of one index; per-chunk token sets are
    prepared once."""

    def __init__(
        self,
        chunks: Sequence[Chunk],
        documents: Mapping[str, dict],
        terms: Callable[[str], list[str]],
        idf: Mapping[str, float],
        sentence_vectors: np.ndarray | None,
        sentence_rows: Callable[[int], tuple[int, int]],
        chunk_vectors: Callable[[Sequence[int]], np.ndarray] | None = None,
    ):
        self.chunks, self.documents, self.terms, self.idf = chunks, documents, terms, idf
        self.chunk_vectors = chunk_vectors
        self.sentence_vectors, self.sentence_rows = sentence_vectors, sentence_rows
        self._default_idf = max(idf.values(), default=1.0)
        # The years a document is of: the news of "early 2023" is about 2023
        # even where an item's text names no year.
        self._document_years = {
            doc_id: set(YEAR.findall(f"{d.get('year', '')} {d.get('title', '')}")) for doc_id, d in documents.items()
        }
        self._text: list[set[str]] = []
        self._heading: list[set[str]] = []
        self._sentences: list[list[set[str]]] = []
        self._years: list[set[str]] = []  # the years each chunk names (not those of its references)
        self._summary: list[bool] = []
        self._words: list[float] = []
        for chunk in chunks:
            title = documents.get(chunk.doc_id, {}).get("title", "")
            self._text.append(set(terms(chunk.text)))
            self._heading.append(set(terms(" ".join((title, *chunk.section_path)))))
            self._years.append(years_in(" ".join((chunk.text, *chunk.section_path))))
            spans = chunk.meta.get("sentences") or [(0, len(chunk.text))]
            self._sentences.append([set(terms(chunk.text[a:b])) for a, b in spans])
            self._summary.append(bool(_SUMMARY.search(" ".join(chunk.section_path))))
            self._words.append(math.log1p(len(chunk.text.split())))

    def matrix(
        self,
        question: str,
        qtype: str,
        query_vector: np.ndarray | None,
        candidates: Sequence[Candidate],
        reworded_vector: np.ndarray | None = None,
    ) -> np.ndarray:
        """One row of FEATURES per candidate; `reworded_vector` is the vector
        of the question in the report's words, None when it reads the same."""
        wanted = {t: self.idf.get(t, self._default_idf) for t in self.terms(question)}
        total = sum(wanted.values()) or 1.0
        years = set(YEAR.findall(question))
        best_bm25 = max((c.bm25 for c in candidates), default=0.0) or 1.0
        reworded = self._reworded_cosines(candidates, reworded_vector)
        rows = np.zeros((len(candidates), len(FEATURES)), dtype=np.float64)
        for i, cand in enumerate(candidates):
            chunk = self.chunks[cand.position]
            kind = self.documents.get(chunk.doc_id, {}).get("kind", "")

            def cover(present: set[str]) -> float:
                return sum(w for t, w in wanted.items() if t in present) / total

            best, second = self._sentence_similarities(cand.position, query_vector)
            reworded_best = best if reworded_vector is None else self._sentence_similarities(cand.position, reworded_vector)[0]
            named = self._years[cand.position]
            dated = self._document_years.get(chunk.doc_id, set())
            is_definition = chunk.kind == "definition"
            rows[i] = (
                cand.dense,
                0.0 if cand.dense_rank is None else 1.0 / (5 + cand.dense_rank),
                cand.bm25 / best_bm25,
                0.0 if cand.bm25_rank is None else 1.0 / (5 + cand.bm25_rank),
                best,
                second,
                cover(self._text[cand.position]),
                cover(self._heading[cand.position]),
                max((cover(s) for s in self._sentences[cand.position]), default=0.0),
                float(bool(years) and years <= named),
                float(bool(years) and not (years & named)),
                float(bool(years) and years <= dated),
                float(bool(years) and not (years & (named | dated))),
                float(qtype == "quantity" and bool(_FIGURE.search(chunk.text))),
                float(qtype == "date" and bool(_DATE.search(chunk.text))),
                float(qtype == "definition" and is_definition),
                float(is_definition),
                float(chunk.kind == "footnotes"),
                float(kind == "news" or chunk.kind == "news"),
                float(kind == "slides"),
                float(chunk.kind in ("table", "figure")),
                float(len(chunk.text.split()) < 25),
                cand.dense if reworded is None else float(reworded[i]),
                reworded_best,
                float(self._summary[cand.position]),
                self._words[cand.position],
            )
        return rows

    def _reworded_cosines(self, candidates: Sequence[Candidate], vector: np.ndarray | None) -> np.ndarray | None:
        if vector is None or self.chunk_vectors is None or not candidates:
            return None
        return self.chunk_vectors([c.position for c in candidates]) @ vector

    def _sentence_similarities(self, position: int, query_vector: np.ndarray | None) -> tuple[float, float]:
        if self.sentence_vectors is None or query_vector is None:
            return 0.0, 0.0
        first, last = self.sentence_rows(position)
        if last <= first:
            return 0.0, 0.0
        sims = np.sort(self.sentence_vectors[first:last] @ query_vector)[::-1]
        return float(sims[0]), float(sims[1] if len(sims) > 1 else sims[0])


class Reranker:
    """Orders first-stage candidates by the fitted model."""

    def __init__(self, index, terms: Callable[[str], list[str]], idf: Mapping[str, float], model: RerankModel | None = None):
        self.features = PassageFeatures(
            index.chunks, index.documents, terms, idf, index.sentence_vectors, index.sentence_rows, index.vectors_of
        )
        self.model = model or RerankModel.load()

    def order(self, candidates: Sequence[Candidate], matrix: np.ndarray) -> list[tuple[int, float]]:
        """(position, score) best first, from the candidates' rows of
        FEATURES (`self.features.matrix`)."""
        if not candidates:
            return []
        scores = self.model.score(matrix)
        ranked = sorted(zip((c.position for c in candidates), scores), key=lambda item: (-item[1], item[0]))
        return [(int(p), float(s)) for p, s in ranked]
