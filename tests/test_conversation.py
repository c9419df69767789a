"""Follow-up interpretation, on small inline conversations about return, visas, reception and statelessness."""

import pytest

from emnqa.query.conversation import Interpretation, clean_turn, interpret_followup
from emnqa.types import Turn


def exchange(question: str, answer: str = "See the report [1].") -> list[Turn]:
    return [Turn("user", question), Turn("assistant", answer)]


RETURN = exchange(
    "How many people did the Immigration Office return to Albania in 2022?",
    "In 2022 the Immigration Office carried out **812** returns to Albania [1].",
)


@pytest.mark.parametrize("history", [None, [], RETURN])
@pytest.mark.parametrize(
    "question",
    [
        "How many humanitarian visas did Belgium issue to Afghans in 2023?",
        "What does the Immigration Office do with stateless persons?",
        "When was the Reception Act adopted and what did it change?",  # "it" has its antecedent
        "What is the difference between a visa and a residence permit?",
    ],
)
def test_standalone_question_is_left_exactly_as_typed(question, history):
    assert interpret_followup(question, history) == Interpretation(question, False, ())


@pytest.mark.parametrize("history", [None, []])
def test_without_history_even_an_elliptical_question_stays_as_typed(history):
    assert interpret_followup("And who did he replace?", history) == Interpretation("And who did he replace?", False)


@pytest.mark.parametrize(
    "followup, year",
    [
        ("And in 2021?", "2021"),
        ("What about 2020?", "2020"),
        ("And the year before?", "2021"),
        ("And how many was that the following year?", "2023"),
    ],
)
def test_year_is_replaced_in_the_previous_question(followup, year):
    got = interpret_followup(followup, RETURN)
    assert got.query == f"How many people did the Immigration Office return to Albania in {year}?"
    assert got.rewritten


def test_that_year_becomes_the_year_under_discussion_and_the_subject_is_carried():
    got = interpret_followup("Why did Belgium suspend voluntary return flights that year?", RETURN)
    assert "in 2022" in got.query and "that year" not in got.query
    assert "Immigration Office" in got.query and "Albania" in got.query
    assert "2022" in got.carried


@pytest.mark.parametrize("pronoun", ["them", "those", "these"])
def test_of_them_names_the_group_of_the_previous_question(pronoun):
    got = interpret_followup(f"How many of {pronoun} were minors?", RETURN)
    assert got.query == "How many of the people the Immigration Office return to Albania in 2022 were minors?"
    assert got.carried == ("people the Immigration Office return to Albania in 2022",)


def test_personal_pronoun_resolves_to_the_person_named_in_the_answer():
    history = exchange(
        "Who leads Belgium's statelessness determination unit?",
        'Since March 2023 the unit has been led by "Marie Dubois", Director of the Office for Statelessness [1].',
    )
    got = interpret_followup("And who did she succeed?", history)
    assert got.query.startswith("Who did Marie Dubois succeed")
    assert "statelessness determination unit" in got.query  # the subject comes along
    assert got.carried[0] == "Marie Dubois"


def test_what_about_swaps_the_parallel_phrase():
    history = exchange("How many reception places does the Flemish Region fund?")
    got = interpret_followup("What about the Walloon Region?", history)
    expected = "How many reception places does the Walloon Region fund?"
    assert got == Interpretation(expected, True, ("the Walloon Region",))


def test_what_about_without_a_parallel_phrase_is_appended_to_the_previous_question():
    got = interpret_followup("What about Kosovo?", RETURN)
    assert got.query == "How many people did the Immigration Office return to Albania in 2022 — Kosovo?"


def test_what_about_with_a_question_resolves_its_pronoun_to_the_new_focus():
    history = exchange("Which body issues humanitarian visas in Belgium?")
    got = interpret_followup("What about Luxembourg, what did its parliament change in 2023?", history)
    assert got.query.startswith("What did Luxembourg's parliament change in 2023")
    assert "humanitarian visas" in got.query


@pytest.mark.parametrize("followup", ["Why?", "Which ones?", "Who runs it?", "So how many failed?"])
def test_elliptical_question_carries_the_previous_subject(followup):
    got = interpret_followup(followup, RETURN)
    assert got.rewritten
    assert "(people the Immigration Office return to Albania in 2022)" in got.query
    assert not got.query.lower().startswith("so ")  # the cue word is dropped


def test_most_recent_exchange_is_used():
    history = exchange("How many Schengen visas were refused in 2021?") + RETURN
    got = interpret_followup("And in 2023?", history)
    assert got.query == "How many people did the Immigration Office return to Albania in 2023?"


def test_followup_after_followup_keeps_the_original_subject():
    history = RETURN + exchange("And in 2023?", "In 2023 there were 905 returns to Albania [1].")
    got = interpret_followup("How many of them were forced returns?", history)
    assert got.query == "How many of the people the Immigration Office return to Albania in 2023 were forced returns?"


def test_markdown_quotes_and_citation_markers_are_stripped_from_history():
    history = [
        Turn("user", "**Who** coordinates the *return* desk at Fedasil?"),
        Turn("assistant", '- "Tom **Claes**" heads the desk, according to the annual report [2][3].'),
    ]
    got = interpret_followup("When did he join?", history)
    assert got.query == "When did Tom Claes join (coordinates the return desk at Fedasil)?"
    assert clean_turn('See [label](http://x) and "this" [1, 2].') == "See label and this."


def test_assistant_turns_alone_are_no_history():
    history = [Turn("assistant", "Welcome! Ask me about EMN Belgium reports.")]
    assert not interpret_followup("Why?", history).rewritten


def test_only_the_last_turns_are_read_so_a_huge_history_cannot_overflow():
    """1 200 user turns raised RecursionError (issue 17) when every earlier
    question was interpreted in turn; the window reads the last eight."""
    first = "How many people applied for international protection in Belgium in 2024?"
    history = [Turn("user", first), Turn("assistant", "39 615 [1]")] * 1200
    assert interpret_followup("And in 2023?", history).query == first.replace("2024", "2023")


def test_sixty_chained_what_abouts_read_a_bounded_question():
    """Sixty chained "what about ..." follow-ups made a 114 KB question
    (issue 17). The window bounds the chain; the cap its length."""
    from emnqa.config import MAX_INTERPRETED_CHARS

    history: list[Turn] = []
    question = "How many people applied for asylum in Belgium in 2024?"
    for n in range(60):
        reading = interpret_followup(question, history).query
        assert len(reading) <= MAX_INTERPRETED_CHARS
        history += [Turn("user", question), Turn("assistant", f"{n} applications [1]")]
        question = f"What about the applicants from country number {n} and their {'long ' * 20}families?"
    long = "x " * 400
    assert interpret_followup(f"And in 2023, {long}?", [Turn("user", f"How many in 2024 {long}?")]).query.startswith("And in 2023")
