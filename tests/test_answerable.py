"""The answerability classifier (emnqa.answer.answerable,
EMNQA_ABSTENTION=classifier): its shipped model and card, its verdicts, and
the real assistant deciding with it."""

from __future__ import annotations

import json

import pytest

from emnqa.answer.answerable import CARD_PATH, Answerability, abstention_judge
from emnqa.answer.confidence import FEATURES, Confidence
from emnqa.config import PROJECT_ROOT, Settings
from emnqa.evaluation.splits import file_sha256, split_path
from emnqa.types import Verdict


def test_the_card_says_what_it_was_fitted_on_and_how_the_threshold_was_chosen():
    card = json.loads(CARD_PATH.read_text(encoding="utf-8"))
    assert card["fitted_on"]["sha256"] == file_sha256(split_path("train", PROJECT_ROOT / "eval"))  # fitted on today's train split
    assert card["features"] == list(FEATURES)
    oof = card["figures"]["train (out of fold)"]
    assert oof["false_abstention"] <= 0.03 and 0 < card["threshold"] < 1
    # Out of fold it declines more unanswerable questions than the rules, at a lower false abstention.
    assert oof["abstention_recall"] > oof["rules_abstention_recall"] and oof["false_abstention"] < oof["rules_false_abstention"]


def test_probabilities_are_calibrated_and_order_the_evidence():
    model = Answerability.load()
    strong = [0.0] * len(FEATURES)
    names = {n: i for i, n in enumerate(FEATURES)}
    strong[names["evidence"]], strong[names["top_score"]], strong[names["known_share"]] = 10, 2.0, 1.0
    empty = [0.0] * len(FEATURES)
    assert 0.0 <= model.probability(empty) <= 1.0 and 0.0 <= model.probability(strong) <= 1.0
    assert model.probability(strong) > model.probability(empty)


def test_the_classifier_overrules_the_rules_both_ways():
    model = Answerability.load()
    judge = lambda p, verdict: model.judge(p, verdict)  # noqa: E731
    assert judge(model.threshold + 0.01, Verdict(True, ("no_figure",))) == Verdict(False)
    low = judge(model.threshold / 2, Verdict(False))
    assert low.abstain and low.reasons[-1].startswith("unlikely_answerable: ")


def test_each_abstention_mode_has_its_judge():
    confidence = Confidence.load()
    verdict = Verdict(False)
    assert abstention_judge("rules", confidence)([0.0] * len(FEATURES), 0.0, verdict) == verdict
    assert abstention_judge("learned", confidence)([0.0] * len(FEATURES), 0.0, verdict).abstain == (confidence.threshold > 0)


@pytest.mark.model
def test_the_assistant_deciding_with_the_classifier(real_index_dir, real_embedder):
    """Declined exactly when the classifier's probability for the question's
    row is under the threshold, whatever the rules said."""
    from emnqa.answer.abstain import decide
    from emnqa.answer.confidence import features
    from emnqa.answer.select import choose_both
    from emnqa.assistant import Assistant

    assistant = Assistant(Settings.from_env(index_dir=real_index_dir, abstention="classifier"), embedder=real_embedder)
    model = Answerability.load()
    questions = ["How many people applied for international protection in Belgium in 2024?",
                 "How many asylum applications did the Netherlands receive in 2024?",
                 "What's the weather forecast for Brussels this weekend?",
                 "Combien de demandes d'asile la Belgique a-t-elle reçues en 2024 ?"]
    for question in questions:
        query, found, sources = assistant.read(question)
        evidence, hand = choose_both(query, sources, assistant.facts, assistant.params, assistant.scorer.rescore)
        rules = decide(query, evidence, assistant.facts, assistant.params, hand=hand)
        p = model.probability(features(query, evidence, found, rules, assistant.facts))
        answer = assistant.ask(question)
        assert answer.abstained == (p < model.threshold), question
        if answer.abstained:
            assert answer.abstain_reasons[-1] == f"unlikely_answerable: {p:.2f}"
            assert answer.abstain_reasons[:-1] == rules.reasons  # the rules that fired, named
        else:
            assert answer.abstain_reasons == () and answer.citations
    assert "39 615" in assistant.ask(questions[0]).text
    assert assistant.ask(questions[1]).abstained  # another country's figure: not in the documents


def test_the_reason_reads_in_each_language():
    from emnqa.answer.abstain import explain

    for language in ("en", "fr", "nl"):
        text = explain("unlikely_answerable: 0.10", language)
        assert "0.10" in text and not text.startswith("unlikely_answerable")
