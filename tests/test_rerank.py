"""The reranker: its weights file, its features, and what it does to the
assistant's passages."""

import numpy as np
import pytest

from emnqa.retrieve.lexical import terms
from emnqa.retrieve.passages import join, passages
from emnqa.retrieve.rerank import FEATURES, MODEL_PATH, Candidate, PassageFeatures, RerankerError, RerankModel, card
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


def tiny_booster(names):
    import lightgbm

    rng = np.random.default_rng(0)
    x, y = rng.random((40, len(names))), np.tile([1, 0, 0, 0], 10)
    data = lightgbm.Dataset(x, y, group=[4] * 10, feature_name=list(names))
    return lightgbm.train({"objective": "lambdarank", "verbose": -1, "min_data_in_leaf": 2, "num_threads": 1}, data, 3)


def test_the_shipped_model_loads_and_fits_the_features():
    model = RerankModel.load(MODEL_PATH)
    assert list(model.booster.feature_name()) == list(FEATURES)
    scores = model.score(np.zeros((3, len(FEATURES))))
    assert scores.shape == (3,) and np.all(scores == scores[0])
    assert model.score(np.zeros((0, len(FEATURES)))).shape == (0,)
    assert card()["features"] == list(FEATURES) and card()["fitted_on"]["split"] == "train"


def test_a_model_round_trips_and_wrong_ones_are_refused(tmp_path):
    model = RerankModel(tiny_booster(FEATURES))
    model.save(tmp_path / "r.txt")
    again = RerankModel.load(tmp_path / "r.txt")
    m = np.random.default_rng(1).random((5, len(FEATURES)))
    assert np.allclose(again.score(m), model.score(m))
    tiny_booster(FEATURES[:-1]).save_model(str(tmp_path / "short.txt"))
    with pytest.raises(RerankerError, match="other features.*train_reranker"):
        RerankModel.load(tmp_path / "short.txt")
    with pytest.raises(RerankerError, match="No reranker"):
        RerankModel.load(tmp_path / "missing.txt")
    (tmp_path / "junk.txt").write_text("not a model")
    with pytest.raises(RerankerError, match="cannot be read"):
        RerankModel.load(tmp_path / "junk.txt")


def test_features_read_the_reworded_question_the_summary_and_the_length():
    summary = chunk(4, "Key figures: 39 615 applications.", section=("Executive summary",))
    chunks = CHUNKS + [summary]
    vectors = np.eye(len(chunks))  # chunk i's vector is the unit vector i
    idf = {t: 1.0 for c in chunks for t in terms(c.text)}
    pf = PassageFeatures(chunks, DOCS, terms, idf, None, lambda p: (0, 0), lambda ps: vectors[list(ps)])
    cands = [Candidate(0, dense=0.2), Candidate(4, dense=0.3)]
    plain = pf.matrix("How many applications?", "quantity", None, cands)
    assert list(column(plain, "reworded_dense")) == [0.2, 0.3]  # no rewording: the question's own cosine
    reworded = pf.matrix("How many applications?", "quantity", None, cands, reworded_vector=vectors[4])
    assert list(column(reworded, "reworded_dense")) == [0.0, 1.0]
    assert list(column(plain, "summary")) == [0.0, 1.0]
    assert column(plain, "words")[0] == pytest.approx(np.log1p(len(CHUNKS[0].text.split())))


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
