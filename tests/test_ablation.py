"""The ablation loop on a pretend assistant: each rule and extension step is
switched off in turn, scored against everything on, and put back."""

from dataclasses import replace

from emnqa.evaluation.ablation import EXTENSIONS, ablate, render
from emnqa.answer.abstain import RULES
from emnqa.config import ComposeParams
from emnqa.evaluation.questions import Question
from emnqa.types import Answer, Chunk, Citation, Passage

ANSWERABLE = [Question(f"a{i}", f"How many in 2024, {i}?", ("39 615",), "d", True, "numeric", split="dev")
              for i in range(6)]
UNANSWERABLE = [Question(f"u{i}", f"How many in 2031, {i}?", (), None, False, "numeric", split="dev")
                for i in range(6)]


class PretendAssistant:
    """Declines every question while the rule 'no_figure' is on; quotes the
    fact only while footnotes are quoted (params.notes != 'none')."""

    def __init__(self):
        self.params = ComposeParams()
        self.abstain_off = frozenset()
        self.seen = []

    def ask(self, question, history=()):
        self.seen.append((self.abstain_off, self.params.notes))
        text = "39 615 applied." if self.params.notes != "none" else "Other figures."
        chunk = Chunk("d:1", "d", text, (), 0, len(text), 3)
        declined = "no_figure" not in self.abstain_off and "2031" in question
        citations = () if declined else (Citation(1, Passage.of(chunk, 1.0, 1, "T"), text),)
        return Answer(question, question, text, declined, citations, ())


def test_each_rule_and_step_is_switched_off_in_turn_and_put_back():
    assistant = PretendAssistant()
    results = ablate(assistant, ANSWERABLE + UNANSWERABLE)
    assert {r.switched_off for r in results} == {f"rule:{n}" for n in RULES} | {f"extension:{n}" for n in EXTENSIONS}
    assert assistant.abstain_off == frozenset() and assistant.params == ComposeParams()
    no_figure = {r.metric: r for r in results if r.switched_off == "rule:no_figure"}
    # Switched off, the rule lets all six unanswerable questions be answered.
    assert no_figure["abstention_recall"].earns == 1.0 and no_figure["abstention_recall"].p_value < 0.05
    assert no_figure["net"].earns == 0.5  # 12 questions, six answers at -1 avoided
    notes = {r.metric: r for r in results if r.switched_off == "extension:notes"}
    assert notes["answer@any"].earns == 1.0 and notes["false_abstention"].earns == 0.0
    other = {r.metric: r for r in results if r.switched_off == "rule:unknown_phrase"}
    assert all(r.earns == 0 and r.p_value == 1.0 for r in other.values())


def test_the_table_has_a_line_per_switch_and_split():
    results = ablate(PretendAssistant(), [replace(q, split="test") for q in ANSWERABLE + UNANSWERABLE])
    text = render(results)
    assert "rule:no_figure           test" in text and "extension:notes          test" in text
    assert text.count("\n") == len(RULES) + len(EXTENSIONS) + 1
