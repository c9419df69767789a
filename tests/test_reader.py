"""The answer reader (answer/reader.py): the blend with the hand score, at
the seam with a fake reader; then the shipped cross-encoder itself, on
PyTorch and as the ONNX graphs the assistant runs."""

from __future__ import annotations

import numpy as np
import pytest

from emnqa.answer.reader import BACKENDS, READER_PATH, ReaderScorer, card, load_reader, pair_text
from emnqa.config import Settings
from emnqa.errors import ConfigError, ModelUnavailable
from emnqa.query.read import read_question
from emnqa.types import Chunk, Evidence, Passage


def _passage(text: str, section: str = "2.1 International protection") -> Passage:
    chunk = Chunk("d:1", "d", text, (section,), 0, len(text), 10)
    return Passage.of(chunk)


def _candidates(text: str, scores: list[float]) -> list[Evidence]:
    passage = _passage(text)
    out, at = [], 0
    for sentence, score in zip(text.split("\n"), scores):
        out.append(Evidence(passage, at, at + len(sentence), score, 1.0))
        at += len(sentence) + 1
    return out


class FakeReader:
    """Gives the probability it is told for a text holding a key."""

    def __init__(self, probabilities: dict[str, float]):
        self.probabilities = probabilities
        self.read: list[str] = []

    def score(self, question, texts):
        self.read.extend(texts)
        return np.array([next((p for k, p in self.probabilities.items() if k in t), 0.0) for t in texts], dtype=np.float32)


TEXT = "Applications rose sharply.\nIn total, 39 615 people applied.\nThe CGRS took 34 052 decisions."


def test_the_reader_picks_the_lead_and_the_hand_score_decides_the_rest():
    query = read_question("How many people applied for asylum?")
    found = _candidates(TEXT, [2.0, 1.6, 1.0])
    scorer = ReaderScorer(FakeReader({"39 615": 0.9, "rose": 0.1}), weight=0.5)
    rescored = scorer.rescore(query, found)
    assert [e.text for e in rescored] == [e.text for e in found]  # same candidates, same order
    # blends: 0.5 * (1.0, 0.8, 0.5) + 0.5 * (0.1, 0.9, 0.0) = 0.55, 0.85, 0.25: the second leads,
    # just above the best hand score; the others keep theirs.
    assert rescored[1].score > 2.0 and rescored[1].score == pytest.approx(2.0)
    assert [e.score for e in (rescored[0], rescored[2])] == [2.0, 1.0]


def test_a_full_blend_scores_every_read_candidate():
    query = read_question("How many people applied for asylum?")
    found = _candidates(TEXT, [2.0, 1.6, 1.0])
    rescored = ReaderScorer(FakeReader({"39 615": 0.9, "rose": 0.1}), weight=0.5, lead_only=False).rescore(query, found)
    assert [round(e.score, 3) for e in rescored] == [0.55, 0.85, 0.25]


def test_weight_zero_keeps_the_hand_lead_and_weight_one_follows_the_reader_alone():
    query = read_question("How many people applied for asylum?")
    found = _candidates(TEXT, [2.0, 1.6, 1.0])
    reader = FakeReader({"39 615": 0.9, "34 052": 0.95})
    hand = ReaderScorer(reader, weight=0.0).rescore(query, found)
    alone = ReaderScorer(reader, weight=1.0).rescore(query, found)
    assert max(hand, key=lambda e: e.score).text.startswith("Applications")
    assert max(alone, key=lambda e: e.score).text.startswith("The CGRS")
    with pytest.raises(ValueError, match="weight"):
        ReaderScorer(reader, weight=1.5)


def test_only_the_best_admitted_candidates_are_read():
    query = read_question("How many people applied for asylum?")
    found = _candidates(TEXT, [2.0, 1.6, 1.0])
    reader = FakeReader({"39 615": 0.9})
    scorer = ReaderScorer(reader, weight=0.5, limit=1, lead_only=False)
    rescored = scorer.rescore(query, found, admits=lambda e: "rose" not in e.text)
    # The best admitted by the hand score is the 39 615 sentence: the only one read.
    assert reader.read == [pair_text("2.1 International protection", "In total, 39 615 people applied.")]
    assert rescored[2].score == pytest.approx(0.5 * 0.5)  # not read: its scaled hand score alone
    assert ReaderScorer(reader, 0.5).rescore(query, []) == []
    nothing_admitted = ReaderScorer(reader, 0.5).rescore(query, found, admits=lambda e: False)
    assert nothing_admitted == found


def test_the_reader_setting_is_validated_and_off_loads_nothing():
    with pytest.raises(ConfigError, match="EMNQA_READER must be one of off, torch, onnx, onnx-int8"):
        Settings(reader="gpu")
    assert ReaderScorer.from_settings(Settings(reader="off")) is None


def test_a_missing_reader_names_the_fix(tmp_path):
    with pytest.raises(ModelUnavailable, match="eval/train_reader.py"):
        load_reader("onnx-int8", tmp_path, path=tmp_path / "reader.safetensors")


# --- the shipped reader -----------------------------------------------------------

QUESTION = "How many people applied for international protection in Belgium in 2024?"
SENTENCES = [
    pair_text("2.1.1 Key statistics on international protection", "In 2024, 39 615 individuals applied for international protection in Belgium."),
    pair_text("2.2 Reception", "Fedasil opened six new reception centres in 2024."),
    pair_text("2.1.1 Key statistics on international protection", "International protection"),
]


@pytest.fixture(scope="module")
def readers(tmp_path_factory):
    cache = tmp_path_factory.mktemp("models")
    return {backend: load_reader(backend, cache, say=lambda _: None) for backend in BACKENDS}


@pytest.mark.model
def test_the_shipped_reader_is_small_and_has_its_card():
    assert READER_PATH.stat().st_size < 30e6
    assert 0.0 <= card()["weight"] <= 1.0 and card()["limit"] >= 1
    assert card()["fitted_on"]["split"] == "train"


@pytest.mark.model
def test_the_shipped_reader_reads_the_answer_above_a_sentence_on_another_topic(readers):
    for backend, reader in readers.items():
        probabilities = reader.score(QUESTION, SENTENCES)
        assert probabilities.shape == (3,) and ((0 <= probabilities) & (probabilities <= 1)).all()
        assert probabilities[0] > probabilities[1] and probabilities[0] > probabilities[2], backend


@pytest.mark.model
def test_the_onnx_graphs_give_the_pytorch_probabilities(readers):
    torch_probabilities = readers["torch"].score(QUESTION, SENTENCES)
    assert np.abs(readers["onnx"].score(QUESTION, SENTENCES) - torch_probabilities).max() < 1e-4
    assert np.abs(readers["onnx-int8"].score(QUESTION, SENTENCES) - torch_probabilities).max() < 0.1


def test_selection_quotes_the_readers_lead_first_then_what_the_hand_score_chose():
    from emnqa.answer.facts import CorpusFacts
    from emnqa.answer.select import choose_evidence

    text = (
        "Applications for international protection rose sharply in Belgium in 2024. "
        "In total, 39 615 people applied for international protection. "
        "The CGRS took 34 052 decisions on applications."
    )
    query = read_question("How many people applied for international protection in Belgium in 2024?")
    facts = CorpusFacts.build([], {}, {"d": "2024"})
    hand = choose_evidence(query, [_passage(text)], facts)
    assert hand[0].text == "In total, 39 615 people applied for international protection."
    reader = FakeReader({"34 052": 0.99})  # a reader that believes another sentence
    led = choose_evidence(query, [_passage(text)], facts, rescore=ReaderScorer(reader, weight=0.9).rescore)
    assert led[0].text == "The CGRS took 34 052 decisions on applications."
    assert hand[0].text in [e.text for e in led[1:]]
