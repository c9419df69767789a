"""The assistant end to end on the real index with the real model: cited
answers, follow-ups, abstention, filters, acronyms, `emnqa ask`."""

import io
import json
from dataclasses import replace

import pytest

from emnqa import cli
from emnqa.answer.abstain import decide, other_place, swapped_place, unknown_name, unknown_phrase
from emnqa.answer.render import NOT_COVERED
from emnqa.assistant import Assistant
from emnqa.query.read import read_question
from emnqa.types import Filters
from emnqa.config import Settings
from emnqa.evaluation.evaluate import quote_is_verbatim
from emnqa.types import Evidence

pytestmark = pytest.mark.model
ASYLUM_2024 = "How many people applied for international protection in Belgium in 2024?"


@pytest.fixture(scope="module")
def assistant(real_index_dir, real_embedder):
    return Assistant(Settings.from_env(index_dir=real_index_dir), embedder=real_embedder)


@pytest.fixture(scope="module")
def ruled(assistant):
    """The assistant with the abstention rules deciding "not covered" (the
    default until the answerability classifier): for the checks of what a
    rule decides, and of what is quoted where the classifier declines an
    answerable question (eval/README.md, "The answerability classifier
    becomes the default")."""
    return Assistant(replace(assistant.settings, abstention="rules"), index=assistant.index,
                     embedder=assistant.retriever.dense.embedder)


def test_answer_quotes_the_figure_with_a_citation(assistant):
    answer = assistant.ask(ASYLUM_2024)
    assert not answer.abstained
    assert "39 615" in answer.text and "[1]" in answer.text and "**Sources**" in answer.text
    for citation in answer.citations:
        assert quote_is_verbatim(citation.quote, citation.passage.text)
        assert f"[{citation.n}]" in answer.text
    assert answer.interpreted_query == ASYLUM_2024  # a standalone question is left as it is


def test_everyday_words_find_the_report_s_terms(assistant):
    # "applied for asylum", "sought asylum": the report says "applications
    # for international protection rose to ... individuals".
    answer = assistant.ask("How many people applied for asylum in 2024?")
    assert not answer.abstained and "39 615" in answer.citations[0].quote
    answer = assistant.ask("How many people were deported in 2024?")  # the report: "forced returns"
    assert "3 270 forced returns" in answer.citations[0].quote
    answer = assistant.ask("How many people sought asylum in Belgium in 2024?")
    assert "39 615" in answer.passages[0].text
    assert any("39 615" in c.quote for c in answer.citations), answer.text


def test_a_what_is_question_quotes_the_definition_not_the_term(assistant):
    answer = assistant.ask("What is a subsequent application?")
    assert not answer.abstained
    assert answer.citations[0].quote.startswith("A further application for international protection made after a final decision")


def test_the_footnote_a_quote_cites_is_quoted_after_it(assistant):
    # The 2024 overview names the Conex network in the text and says what it
    # is in footnote 121, which sits in a chunk of its own.
    answer = assistant.ask("What is Fedasil's Conex network?")
    quotes = [c.quote for c in answer.citations]
    assert any("¹²¹" in q and not q.startswith("¹²¹") for q in quotes)
    note = next(c for c in answer.citations if c.quote.startswith("¹²¹"))
    assert "city administrations, IOM and Caritas International Belgium" in note.quote
    assert quote_is_verbatim(note.quote, note.passage.text) and f"[{note.n}]" in answer.text


def test_a_mark_closing_a_line_still_brings_its_footnote(assistant):
    # "... chapters of this report.⁴": the mark ends the line, and note 4 says
    # how the report flags the Presidency's activities.
    answer = assistant.ask("How does EMN Belgium's 2024 annual report flag the activities of the Belgian EU Council Presidency?")
    assert "highlighted in a yellow box" in answer.text


def test_a_note_is_found_by_the_sentence_citing_it(assistant):
    # Note 121 ("A network of partners in Belgium, including Fedasil ...")
    # never names Conex; the sentence citing it does ("the Conex network of
    # Fedasil ¹²¹"), and BM25 reads a chunk of notes with its citing sentences.
    answer = assistant.ask("What is Fedasil's Conex network?")
    assert "A network of partners in Belgium" in answer.passages[0].text
    assert "A network of partners in Belgium" in answer.text


def test_a_box_s_bracketed_mark_brings_its_note(assistant):
    # The box writes "DEI ECPAT Belgium,(2)"; note ⁽²⁾ spells ECPAT out.
    answer = assistant.ask("What does the acronym ECPAT stand for (the NGO that trained Fedasil and Red Cross reception staff in 2024)?")
    assert "End Child Prostitution, Child Pornography, and Trafficking of Children for Sexual Purposes" in answer.text


def test_a_footnote_is_quoted_once(assistant):
    # Note 104 is both a sentence of a retrieved passage and the note a quote
    # cites: it is quoted once. The composer's property, read with the
    # hand-written lead, which answers with the statement and the note: the
    # learned lead (the default) declines this question, leading with the
    # note, which only references a source (eval/README.md, "The learned
    # lead becomes the default").
    hand = Assistant(replace(assistant.settings, lead="hand"), index=assistant.index,
                     embedder=assistant.retriever.dense.embedder)
    answer = hand.ask(
        "On what date did the UK, France, Belgium, Germany and the Netherlands agree their joint 2025 plan "
        "against Channel crossing smugglers?"
    )
    quotes = [" ".join(c.quote.split()) for c in answer.citations]
    assert quotes and len(quotes) == len(set(quotes))


def test_a_what_is_question_naming_a_glossary_term_gets_its_box_first(assistant):
    # "temporary protection" is everywhere in the report; its EMN glossary
    # box is what "Define ..." asks for, and "as defined in Art. 9" in
    # another box is no match for "define".
    answer = assistant.ask("Define temporary protection.")
    assert answer.passages[0].kind == "definition" and answer.passages[0].text.startswith("Temporary protection")
    assert answer.citations[0].quote.startswith("A procedure of exceptional character")
    question = "What is temporary protection in the EMN glossary?"
    assert assistant.search(question, 10)[0].text.startswith("Temporary protection")


def test_a_term_with_a_glossary_box_is_defined_by_the_box_alone(assistant):
    # A news item says "Let's focus today on the term 'unaccompanied minor'";
    # the report's EMN glossary box is the definition.
    answer = assistant.ask("What is an unaccompanied minor?")
    assert answer.citations and all(c.passage.kind == "definition" for c in answer.citations)
    assert any("unaccompanied by the adult responsible for them" in c.quote for c in answer.citations)


def test_what_is_a_body_s_name_is_answered_from_the_acronym_table(assistant):
    # Hundreds of passages name Fedasil; the acronym table says what it is.
    answer = assistant.ask("What is Fedasil?")
    assert "Federal Agency for the Reception of Asylum Seekers" in answer.citations[0].quote
    off = Assistant(assistant.settings, index=assistant.index, embedder=assistant.retriever.dense.embedder,
                    search_params=replace(assistant.search_params, name_lookup=False))
    assert "Federal Agency for the Reception of Asylum Seekers" not in off.ask("What is Fedasil?").citations[0].quote
    # Only when the name is all that is asked: this one is about a glossary.
    assert assistant.names.asked("What is the EMN Asylum and Migration Glossary?", whole=True) == []


def test_what_an_acronym_stands_for_is_the_line_that_spells_it_out(assistant):
    for question in ("What does CALL stand for?", "What is the CGVS?"):
        answer = assistant.ask(question)
        assert not answer.abstained
        first = answer.citations[0].quote
        assert ("Council for Alien Law Litigation" in first) if "CALL" in question else ("Commissioner General" in first)


def test_follow_up_is_interpreted_from_the_history(assistant):
    first = assistant.ask(ASYLUM_2024)
    history = [{"role": "user", "content": ASYLUM_2024}, {"role": "assistant", "content": first.text}]
    answer = assistant.ask("And in 2023?", history)
    assert "2023" in answer.interpreted_query and "international protection" in answer.interpreted_query
    # The interpreted question finds the 2023 figure, and a sentence about
    # another year ("In 2022, 881 200 ... in EU countries", in a news item
    # dated 2023) is not quoted as the answer.
    assert any("35 507" in h.text for h in answer.passages[:3])
    assert "35 507" in answer.citations[0].quote


def test_a_follow_up_is_answered_on_what_the_user_typed_not_the_carried_subject(assistant):
    first = "Since when is civic integration compulsory for non-EU newcomers in the Brussels-Capital Region?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": assistant.ask(first).text}]
    answer = assistant.ask("Who is exempted from it?", history)
    assert "civic integration" in answer.interpreted_query
    assert any("Exempted" in c.quote for c in answer.citations), answer.text


def test_only_sentences_near_the_asked_year_are_quoted(assistant):
    # The 2023 figure sits in a sentence about 2024 that names 2023, beside
    # 2022 slide lines and 2024 figures (tests/test_compose.py has the filter
    # on its own).
    question = "How many people applied for international protection in 2023?"
    answer = assistant.ask(question)
    assert not answer.abstained and "35 507" in answer.citations[0].quote


def test_question_about_an_uncovered_year_is_not_answered(assistant):
    answer = assistant.ask("How many asylum applications did Belgium receive in 2031?")
    assert answer.abstained and answer.text.startswith(NOT_COVERED)
    assert not answer.citations and answer.passages


def test_an_access_date_is_not_the_year_a_fact_is_about(assistant):
    # The report covers 2024; its references were "last accessed on ... 2025".
    # A 2025 figure is not in it: a reference line dated by its access is no
    # answer, so the reply is "not covered".
    answer = assistant.ask("How many forced returns did the Belgian Immigration Office carry out in 2025?")
    assert answer.abstained, answer.text
    assert not any("accessed" in c.quote for c in answer.citations)


def test_a_how_many_question_without_a_figure_to_quote_is_not_answered(assistant, ruled):
    # The corpus mentions the CGRS's interpreting work but never how many
    # interpreters it has. (With the rules deciding, the learned reranker's
    # passages now hold "19 administrative staff members" deployed to the
    # CGRS, a figure, and the rules answer it: eval/README.md.)
    answer = assistant.ask("How many interpreters does the CGRS employ?")
    assert answer.abstained and answer.text.startswith(NOT_COVERED)
    # The report cites the VUB demographers' study of undocumented migrants
    # but not its estimate: the best sentence has no figure, so no answer.
    question = "How many undocumented migrants live in Belgium according to the VUB estimate?"
    for deciding in (assistant, ruled):
        assert deciding.ask(question).abstained
    loose = Assistant(ruled.settings, index=assistant.index, embedder=assistant.retriever.dense.embedder,
                      params=replace(assistant.params, need_amount=False))
    assert not loose.ask(question).abstained  # with the rules deciding, it is the figure rule that abstains
    assert not assistant.ask(ASYLUM_2024).abstained


def test_a_figure_of_another_kind_than_asked_is_no_answer(assistant, ruled):
    # The report says Blue Card holders may move "after 12 months", never how
    # many cards were granted: a duration is not a count.
    assert assistant.ask("How many EU Blue Cards were granted in Belgium in 2024?").abstained
    # A sum of money is asked for and given (the text writes the euro sign
    # "\\in"): the figure rule lets it through. Read with the rules deciding
    # and the hand-written lead: the classifier declines this one (p 0.23
    # under its threshold 0.252: a false abstention of the kind it makes on
    # 5% of held-out answerable questions), and the learned lead puts the
    # year before's amount first ("This was \\in 789 for the academic year
    # 2023-2024"), which figure_other_year then declines.
    hand = Assistant(replace(ruled.settings, lead="hand"), index=ruled.index, embedder=ruled.retriever.dense.embedder)
    answer = hand.ask("How much money must a non-EU student show per month for the 2024-2025 academic year?")
    assert not answer.abstained and "803" in answer.citations[0].quote


def test_people_are_told_from_bodies_by_the_corpus_s_own_spelling(assistant):
    # "office", "focus", "cross" occur in lower case in the corpus; a person's
    # name does not.
    text = ("Pieter Spinnewijn, Sophie Van Balberghe and Nicole de Moor met the Immigration Office, "
            "Child Focus and the Red Cross.")
    assert assistant.facts.persons(text) == ["Pieter Spinnewijn", "Sophie Van Balberghe", "Nicole de Moor"]
    answer = assistant.ask("Who became Director General of Fedasil in 2024?")
    assert "Pieter Spinnewijn" in answer.citations[0].quote


def test_a_field_label_is_quoted_with_its_value(assistant):
    # The colophon and the news pages put a field's label on one line and its
    # value on the next: quoted together, the label says what the value is.
    answer = assistant.ask("Who is the responsible publisher of EMN Belgium's Asylum and Migration Overview 2024?")
    assert not answer.abstained and any(
        " ".join(c.quote.split()) == "Responsible publisher Philippe Rosseel" for c in answer.citations
    )
    # ("When was the EMN Country Factsheet for Belgium 2023 released?" is now
    # answered from another sentence of the factsheet: eval/README.md.)
    answer = assistant.ask("On what date was the Belgium Country Factsheet 2023 published?")
    assert not answer.abstained and any(" ".join(c.quote.split()) == "Publication Date: Thu 19 Sep 2024" for c in answer.citations)


def test_a_table_row_is_found_by_its_caption_and_quoted_under_its_header(ruled):
    # "Executives € 78 259 € 86 110 ..." names neither the year nor the
    # regions: the table's caption (as per 1 January 2025) and header row do.
    # How the row is quoted, read with the rules deciding: the classifier
    # declines this question (p 0.07), a false abstention (see above).
    answer = ruled.ask("What minimum annual salary must a foreign executive earn in the Walloon Region in 2025?")
    assert not answer.abstained
    quotes = [" ".join(c.quote.split()) for c in answer.citations]
    row = next(i for i, q in enumerate(quotes) if q.startswith("Executives") and "86 110" in q)
    # The header row is quoted above the table's rows (above the first of
    # them when the lead ranker puts another row of the table first).
    header = next(i for i, q in enumerate(quotes) if "Walloon Re- gion" in q)
    assert header < row and all(q.startswith(("Executives", "Highly", "European", "Intra", "Researchers")) for q in quotes[header + 1 : row])
    assert "Table 1: Minimum gross annual salary" in answer.citations[row].passage.section


def test_a_country_the_answering_passage_never_names_is_not_covered(assistant):
    # The passage found is about Moldova: it does not answer for Georgia.
    assert assistant.ask("When did Belgium add Georgia to its list of safe countries of origin?").abstained
    answer = assistant.ask("When did Belgium add Moldova to its list of safe countries of origin?")
    assert not answer.abstained and "12 May 2024" in answer.citations[0].quote
    # A follow-up is held to the places the user typed, not to those carried over.
    passage = answer.citations[0].passage
    evidence = Evidence(passage, 0, len(passage.text), 1.0, 1.0)
    rule = lambda asked: other_place(read_question(asked), [evidence], assistant.facts, assistant.params)  # noqa: E731
    assert rule("And when was Georgia added?") == "other_place: GE"
    assert rule("And Moldovan applicants?") is None


def _quote(assistant, search, first, last):
    """Evidence: the span of a passage `search` finds, from `first` to the
    end of the next `last`."""
    hit = next(h for h in assistant.search(search, 10) if first in h.text)
    start = hit.text.index(first)
    return Evidence(hit, start, hit.text.index(last, start) + len(last), 1.0, 1.0)


def test_a_figure_counts_for_the_year_its_own_sentence_names(assistant):
    # "... committed to bring 250 individuals to Belgium over a two-year period
    # (2022-2024)." The next sentence says the project runs to the end of
    # 2025; that makes 250 no figure for 2025, though 2025 is one sentence away.
    evidence = [_quote(assistant, "humanitarian corridor Sant'Egidio 250 individuals",
                       "Finally, Belgium has established", "(2022-2024).")]
    later = decide(read_question("How many people did the humanitarian corridor bring to Belgium in 2025?"), evidence,
                   assistant.facts, assistant.params)
    assert later.abstain and "figure_other_year: 2025" in later.reasons
    assert not decide(read_question("How many people did the humanitarian corridor bring to Belgium in 2024?"), evidence,
                      assistant.facts, assistant.params).abstain


def test_a_news_item_dates_what_it_reports(assistant):
    # The item says "in March 2021"; its "When17 March 2021" line gives the day.
    answer = assistant.ask("On what day did Georgia and Moldova join the EMN as observer countries?")
    assert not answer.abstained and "17 March 2021" in answer.text


def test_quotes_about_another_region_do_not_answer_for_the_asked_one(assistant):
    evidence = [_quote(assistant, "bilingual civic integration programme Brussels COCOF transfer",
                       "This follows the creation of the bilingual", ".")]
    rule = lambda asked, e: swapped_place(read_question(asked), e, assistant.facts, assistant.params)  # noqa: E731
    assert rule("Why did the Walloon Region introduce a bilingual programme?", evidence) == "swapped_place: region:wallonia"
    assert rule("Why did Brussels introduce a bilingual programme?", evidence) is None
    # A quote naming no place says nothing about where: it is not a swap.
    neutral = [replace(evidence[0], end=evidence[0].start + len("This follows the creation"))]
    assert rule("Why did the Walloon Region introduce it?", neutral) is None


def test_a_source_reference_is_no_answer(assistant):
    # The best the documents offer to "From what date will travellers need an
    # ETIAS authorisation?" is note 92, the Regulation's reference: not covered.
    note = _quote(assistant, "Regulation (EU) 2018/1240 establishing ETIAS",
                  "⁹² Regulation (EU) 2018/1240", "last accessed on 28 May 2025.")
    verdict = decide(read_question("From what date will travellers need an ETIAS authorisation?"), [note],
                     assistant.facts, assistant.params)
    assert verdict.abstain and "reference_only" in verdict.reasons
    # A sentence that gives a web address is a statement, not a reference.
    text = "The Glossary is available online at: https://home-affairs.ec.europa.eu/networks/emn-glossary_en."
    glossary = replace(note.passage, text=text)
    assert not decide(read_question("Where is the EMN Glossary available online?"), [Evidence(glossary, 0, len(text), 1.0, 1.0)],
                      assistant.facts, assistant.params).abstain


def test_a_quoted_phrase_the_documents_never_use_is_not_covered(assistant):
    answer = assistant.ask("What is a 'golden visa' in Belgium?")
    assert answer.abstained and "unknown_phrase: golden visa" in answer.abstain_reasons
    # Quoted phrases the report uses (split over a line break, or not) are known.
    assert unknown_phrase(read_question("What is 'Cumul'? And 'community sponsorship'?"), [], assistant.facts,
                          assistant.params) is None
    assert not assistant.ask("What is 'Cumul' in the reception system?").abstained


def test_a_name_the_corpus_never_uses_is_not_covered_but_its_adjective_forms_are_known(assistant):
    rule = lambda q: unknown_name(read_question(q), [], assistant.facts, assistant.params)  # noqa: E731
    assert rule("How many permits went to Canadian nationals?") == "unknown_name: Canadian"
    answer = assistant.ask("How many permits went to Canadian nationals in 2024?")
    assert answer.abstained and "unknown_name: Canadian" in answer.abstain_reasons
    # Africa, Morocco are named in the corpus; "ID" is an abbreviation, no name.
    assert rule("Which West African and Moroccan projects fight forged ID documents?") is None


def test_filters_restrict_the_passages(assistant):
    answer = assistant.ask("reception centre", filters=Filters(doc_ids=frozenset({"news-2023"})))
    assert answer.passages and {h.doc_id for h in answer.passages} == {"news-2023"}
    by_kind = assistant.ask("reception", filters=Filters(kinds=frozenset({"slides"})))
    assert {h.doc_id for h in by_kind.passages} == {"event-2023-slides"}


def test_dutch_acronym_finds_the_english_passages(assistant):
    question = "Which decisions does the CGVS take?"
    expanded = assistant.expand(question)
    assert expanded.startswith(question) and "CGRS" in expanded  # the name the corpus uses most
    lexical = assistant.retriever.lexical

    def with_cgrs(query):
        return sum("CGRS" in h.chunk.text for h in lexical.search(query, 5))

    assert with_cgrs(expanded) > with_cgrs(question)


def test_adjacent_chunks_are_shown_once(assistant):
    hits = assistant.search("conditions for EU Blue Card holders to change employer", 10)
    ids = [part for h in hits for part in h.chunk_ids]
    assert len(ids) == len(set(ids))
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_ask_json_has_the_stable_shape(real_index_dir, capsys):
    assert cli.main(["ask", ASYLUM_2024, "--json", "--index", str(real_index_dir)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"question", "interpreted_query", "answer", "abstained", "citations", "passages", "latency_ms",
                         "confidence", "abstain_reasons", "language"}
    assert data["citations"][0]["n"] == 1 and data["passages"][0]["rank"] == 1


def test_ask_reads_one_question_per_line(real_index_dir, capsys, monkeypatch):
    lines = [
        ASYLUM_2024,
        json.dumps({"question": "And in 2023?", "history": [{"role": "user", "content": ASYLUM_2024}]}),
        "{broken json",
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    code = cli.main(["ask", "--json", "-", "--index", str(real_index_dir)])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1  # one line failed; the others were answered, in order
    assert out[0]["question"] == ASYLUM_2024 and "39 615" in out[0]["answer"]
    assert "2023" in out[1]["interpreted_query"]
    assert out[2]["line"] == 3 and "not valid JSON" in out[2]["error"]
