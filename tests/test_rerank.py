"""The reranker: its weights file, its features, and what it does to the
assistant's passages."""

import numpy as np
import pytest

from emnqa.retrieve.lexical import terms
from emnqa.retrieve.passages import join, passages
from emnqa.retrieve.rerank import FEATURES, MODEL_PATH, Candidate, PassageFeatures, RerankerError, RerankModel
from emnqa.types import Chunk


def chunk(i, text, section=("S",), kind="text", doc="d"):
    return Chunk(f"c{i}", doc, text, section, 0, len(text), len(text.split()), kind=kind)


CHUNKS = [
    chunk(0, "Applications for international protection rose to 39 615 in 2024."),
    chunk(1, "Applications for international protection were lower in 2023."),
    chunk(2, "Subsequent application\n\nA further application made after a final decision.", kind="definition"),
    chunk(3, "The CGRS has a new Commissioner General.", doc="news"),
]
DOCS = {
    "d": {"title": "Overview", "kind": "report", "year": "2024"},
    "news": {"title": "News items, early 2023", "kind": "news"},
}


def features():
    idf = {t: 1.0 for c in CHUNKS for t in terms(c.text)}
    return PassageFeatures(CHUNKS, DOCS, terms, idf, None, lambda p: (0, 0))


def column(matrix, name):
    return matrix[:, FEATURES.index(name)]


def test_the_shipped_weights_load_and_fit_the_features():
    model = RerankModel.load(MODEL_PATH)
    assert model.features == FEATURES and len(model.weights) == len(FEATURES)
    assert np.all(model.scale > 0)


def test_weights_round_trip_and_wrong_ones_are_refused(tmp_path):
    n = len(FEATURES)
    model = RerankModel(FEATURES, np.zeros(n), np.ones(n), np.arange(n, dtype=float), 0.5, "test")
    model.save(tmp_path / "w.json")
    again = RerankModel.load(tmp_path / "w.json")
    assert np.allclose(again.weights, model.weights) and again.bias == 0.5
    (tmp_path / "short.json").write_text('{"features": ["dense"], "mean": [0], "scale": [1], "weights": [1]}')
    with pytest.raises(RerankerError, match="other features"):
        RerankModel.load(tmp_path / "short.json")
    with pytest.raises(RerankerError, match="cannot be read"):
        RerankModel.load(tmp_path / "missing.json")


def test_features_see_the_year_the_figure_and_the_definition():
    pf = features()
    cands = [Candidate(0, bm25=2.0, bm25_rank=1), Candidate(1, bm25=1.0, bm25_rank=2), Candidate(2), Candidate(3)]
    m = pf.matrix("How many applied for international protection in 2024?", "quantity", None, cands)
    assert list(column(m, "year_present")) == [1.0, 0.0, 0.0, 0.0]
    assert list(column(m, "year_absent")) == [0.0, 1.0, 1.0, 1.0]
    assert list(column(m, "year_document")) == [1.0, 1.0, 1.0, 0.0]
    assert list(column(m, "year_nowhere")) == [0.0, 0.0, 0.0, 1.0]
    assert column(m, "quantity_number")[0] == 1.0
    assert list(column(m, "bm25")) == [1.0, 0.5, 0.0, 0.0]
    news = pf.matrix("Who became Commissioner General in 2023?", "who", None, cands)
    assert list(column(news, "year_document")) == [0.0, 0.0, 0.0, 1.0]
    assert list(column(news, "year_nowhere")) == [1.0, 0.0, 1.0, 0.0]
    assert column(m, "cover_text")[0] > column(m, "cover_text")[2]
    d = pf.matrix("What is a subsequent application?", "definition", None, cands)
    assert list(column(d, "definition_block")) == [0.0, 0.0, 1.0, 0.0]


def test_passages_widen_within_a_section_and_show_each_chunk_once():
    cs = [chunk(i, f"Sentence {i}.", section=("A",) if i < 3 else ("B",)) for i in range(5)]
    got = passages([1, 0, 3], cs, budget=4, k=5)
    assert got == [(1, [1, 2]), (0, [0]), (3, [3, 4])]
    joined = join([cs[p] for p in got[0][1]])
    assert joined.chunk_ids == ("c1", "c2") and "Sentence 1." in joined.text and "Sentence 2." in joined.text


def test_the_date_feature_reads_abbreviated_months():
    dated = [chunk(0, "Publication date: Thu 19 Sep 2024"), chunk(1, "Published in September 2024."), chunk(2, "No date.")]
    pf = PassageFeatures(dated, DOCS, terms, {t: 1.0 for c in dated for t in terms(c.text)}, None, lambda p: (0, 0))
    m = pf.matrix("When was the factsheet released?", "date", None, [Candidate(0), Candidate(1), Candidate(2)])
    assert list(column(m, "date_date")) == [1.0, 1.0, 0.0]
