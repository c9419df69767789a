"""The learned lead: the lead ranker (answer/lead.py) at the seam with a fake
booster, the answer matcher's cosine carried from the stored sentence
vectors to the candidates, and the shipped matcher and ranker themselves,
on PyTorch and as the ONNX graph the assistant runs."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from emnqa.answer.lead import FEATURES, LEAD_CARD, LEAD_MODEL, LeadRanker, card, lead_features, learned_lead
from emnqa.config import MODEL_NAME, Settings
from emnqa.errors import ConfigError, ModelUnavailable
from emnqa.query.read import read_question
from emnqa.retrieve.passages import scored_sentences, sentence_spans
from emnqa.store.matcher import MATCHER_PATH, load_matcher
from emnqa.types import Chunk, Evidence, Passage

TEXT = "Applications rose sharply.\nIn total, 39 615 people applied.\nThe CGRS took 34 052 decisions."


def _candidates(scores: list[float], text: str = TEXT) -> list[Evidence]:
    passage = Passage.of(Chunk("d:1", "d", text, ("2.1 International protection",), 0, len(text), 10), 3.0, 1, "T")
    out, at = [], 0
    for sentence, score in zip(text.split("\n"), scores):
        out.append(Evidence(passage, at, at + len(sentence), score, 0.5, 0.4, 0.0, 0.3))
        at += len(sentence) + 1
    return out


class FakeBooster:
    """Ranks by one feature of the rows, and names the features it was
    fitted on."""

    def __init__(self, names=FEATURES, by: str = "score_rank"):
        self.names, self.by, self.rows = list(names), by, []

    def feature_name(self):
        return self.names

    def predict(self, rows, num_threads=None):
        self.rows.append(rows)
        return rows[:, self.names.index(self.by)]


def test_the_ranker_promotes_its_lead_and_the_others_keep_their_hand_scores():
    query = read_question("How many people applied for asylum?")
    found = _candidates([2.0, 1.6, 1.0])
    ranker = LeadRanker(FakeBooster(by="score_rank"))  # ranks by the hand score's rank: the worst hand score first
    rescored = ranker.rescore(query, found)
    assert [e.text for e in rescored] == [e.text for e in found]  # same candidates, same order
    assert rescored[2].score > 2.0 and rescored[2].score == pytest.approx(2.0, rel=1e-5)  # just above the best hand score
    assert [e.score for e in rescored[:2]] == [2.0, 1.6]


def test_only_candidates_the_year_filter_admits_are_ranked():
    query = read_question("How many people applied for asylum?")
    found = _candidates([2.0, 1.6, 1.0])
    booster = FakeBooster(by="score_rank")
    rescored = LeadRanker(booster).rescore(query, found, admits=lambda e: "rose" not in e.text)
    assert len(booster.rows[0]) == 2  # the first sentence was not read
    assert rescored[2].score > 2.0 and rescored[0].score == 2.0
    # One quotable candidate: nothing to rank, nothing changes.
    assert LeadRanker(FakeBooster()).rescore(query, found, admits=lambda e: "CGRS" in e.text) == found


def test_the_line_spelling_out_an_asked_name_stays_the_lead():
    text = "Fedasil\tFederal Agency for the Reception of Asylum Seekers\nFedasil runs the reception network."
    query = read_question("What is Fedasil?")
    query = replace(query, names=(frozenset({"Fedasil", "Federal Agency for the Reception of Asylum Seekers"}),))
    found = _candidates([2.0, 1.0], text)
    booster = FakeBooster(by="score_rank")  # would promote the second line
    assert LeadRanker(booster).rescore(query, found) == found and booster.rows == []
    other = read_question("Who runs the reception network?")
    assert LeadRanker(booster).rescore(other, found)[1].score > 2.0


def test_features_are_read_among_the_quotable_candidates():
    query = read_question("How many people applied for asylum?")
    found = _candidates([2.0, 1.6, 1.0])
    rows = lead_features(query, found, [1, 2])
    named = [dict(zip(FEATURES, row)) for row in rows]
    assert [r["score_share"] for r in named] == [1.0, 0.625]  # shares of the best quotable hand score
    assert [r["score_rank"] for r in named] == [0.0, 1.0]
    assert named[0]["previous_similarity"] == pytest.approx(0.4)  # the sentence before, quotable or not
    assert named[1]["after_best"] == 1.0 and named[0]["after_best"] == 0.0
    assert [r["figure"] for r in named] == [1.0, 1.0]
    assert lead_features(query, found, []).shape == (0, len(FEATURES))


def test_a_ranker_fitted_on_other_features_or_missing_names_the_fix(tmp_path):
    with pytest.raises(ModelUnavailable, match="train_lead.py"):
        LeadRanker(FakeBooster(names=("score", "match")))
    with pytest.raises(ModelUnavailable, match="train_lead.py.*EMNQA_LEAD=hand"):
        LeadRanker.load(tmp_path / "lead.txt")
    with pytest.raises(ModelUnavailable, match="No answer matcher.*train_lead.py"):
        load_matcher("onnx", tmp_path, tmp_path / "matcher.safetensors")


def test_the_lead_setting_is_validated_and_hand_or_another_model_loads_nothing():
    with pytest.raises(ConfigError, match="EMNQA_LEAD must be one of learned, hand"):
        Settings(lead="model")
    vectors = np.zeros((3, 384), dtype=np.float32)
    bundled = SimpleNamespace(sentence_vectors=vectors, manifest={"model": {"name": MODEL_NAME}})
    assert learned_lead(Settings(lead="hand"), bundled) == (None, None)
    other = SimpleNamespace(sentence_vectors=np.zeros((3, 24), dtype=np.float32), manifest={"model": {"name": "fake/keyword-bag"}})
    assert learned_lead(Settings(), other) == (None, None)
    assert learned_lead(Settings(), SimpleNamespace(sentence_vectors=None, manifest=bundled.manifest)) == (None, None)


def test_each_sentence_gets_the_matchers_cosine_from_its_stored_vector():
    text = "First sentence here. Second one follows."
    chunk = Chunk("d:1", "d", text, ("S",), 0, len(text), 8, meta={"sentences": [(0, 20), (21, len(text))]})
    passage = Passage.of(chunk, 1.0, 1, "T", position=0)
    vectors = np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    assert sentence_spans(passage, [chunk], lambda position: (0, 2)) == [(0, 20, 0), (21, len(text), 1)]
    query = np.array([[1.0], [0.0]], dtype=np.float32)
    scored = scored_sentences(passage, [chunk], lambda position: (0, 2), vectors, query, match=np.array([0.0, 1.0], dtype=np.float32))
    assert [(s.cosine, s.match) for s in scored.sentences] == [(1.0, 0.0), (pytest.approx(0.6), pytest.approx(0.8))]
    # The question and its rewording, one column each: the better cosine counts.
    both = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    twice = scored_sentences(passage, [chunk], lambda position: (0, 2), vectors, query, match=both)
    assert [round(s.match, 3) for s in twice.sentences] == [1.0, 0.8]
    unmatched = scored_sentences(passage, [chunk], lambda position: (0, 2), vectors, query)
    assert [s.match for s in unmatched.sentences] == [None, None]


def test_the_figure_rules_judge_the_hand_written_lead_too():
    from emnqa.answer.abstain import decide
    from emnqa.answer.facts import CorpusFacts

    text = "Applications rose sharply in Belgium.\nIn total, 39 615 people applied.\nThe CGRS took 34 052 decisions."
    query = read_question("How many people applied for asylum?")
    learned, hand = _candidates([1.0, 2.0, 0.5], text)[1:2], _candidates([2.0, 1.0, 0.5], text)[:1]
    facts = CorpusFacts((), "", {})
    assert decide(query, learned, facts) == decide(query, learned, facts, hand=learned)
    assert not decide(query, learned, facts).abstain
    # The hand-written lead gives no figure: "not covered", as before the learned lead.
    judged = decide(query, learned, facts, hand=hand)
    assert judged.abstain and judged.reasons == ("no_figure",)
    assert decide(query, learned, facts, off=frozenset({"no_figure"}), hand=hand) == decide(query, learned, facts)


# The shipped models.


def test_the_shipped_matcher_is_small_and_the_card_gives_its_figures():
    assert MATCHER_PATH.stat().st_size < 30e6
    assert LEAD_MODEL.is_file()
    figures = card()["figures"]
    assert card()["features"] == list(FEATURES)
    assert set(figures) >= {"p@1 hand score", "p@1 matcher alone", "p@1 ranker", "chosen"}
    assert "'none of them' option" in card()["matcher"]  # fitted with the unanswerable questions too
    assert LEAD_CARD.is_file()


@pytest.fixture(scope="module")
def matchers(tmp_path_factory):
    cache = tmp_path_factory.mktemp("model-cache")
    return {backend: load_matcher(backend, cache) for backend in ("torch", "onnx")}


def test_the_onnx_matcher_gives_the_pytorch_vector(matchers):
    question = "How many unaccompanied minors applied for international protection in 2024?"
    torch_vector, onnx_vector = (matchers[b].vectors([question])[0] for b in ("torch", "onnx"))
    assert torch_vector.shape == (384,) and float(np.linalg.norm(torch_vector)) == pytest.approx(1.0, abs=1e-4)
    assert float(torch_vector @ onnx_vector) > 0.9999


def test_the_matcher_reads_the_question_not_the_base_model(matchers, real_embedder):
    # Fine-tuned, the question vector moved away from the base model's own.
    question = "Why was the reception network under pressure?"
    base = real_embedder.embed([question])[0]
    assert float(base @ matchers["torch"].vectors([question])[0]) < 0.99


def test_the_assistant_with_the_learned_lead_scores_every_candidate_and_ranks_the_lead(real_index_dir, real_embedder):
    from emnqa.assistant import Assistant

    learned = Assistant(Settings.from_env(index_dir=real_index_dir, lead="learned"), embedder=real_embedder)
    assert isinstance(learned.scorer, LeadRanker) and learned.passages.matcher is not None
    query, _, sources = learned.read("How many first applications for international protection were lodged in Belgium in 2024?")
    assert sources and all(s.match is not None for p in sources for s in p.sentences)
    answer = learned.ask("How many first applications for international protection were lodged in Belgium in 2024?")
    assert answer.citations and not answer.abstained
    # The matcher reads the question and, when they differ, its rewording in the report's words.
    assert learned.passages.start_matching("How many people applied for asylum in 2024?").result().shape == (2, 384)
    assert learned.passages.start_matching("How many decisions did the CGRS take?").result().shape == (1, 384)
    default = Assistant(Settings.from_env(index_dir=real_index_dir), index=learned.index, embedder=real_embedder)
    assert isinstance(default.scorer, LeadRanker)  # the default since the second train draw
    hand = Assistant(Settings.from_env(index_dir=real_index_dir, lead="hand"), index=learned.index, embedder=real_embedder)
    assert hand.scorer is None and hand.passages.matcher is None
