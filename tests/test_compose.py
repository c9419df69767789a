"""The template answer composer on inline passages: question types, sentence
choice, verbatim quotes with [n] markers, the Sources list, abstention."""

import re
from dataclasses import replace

import pytest

from emnqa.answer.render import NOT_COVERED, compose_answer
from emnqa.answer.cues import gives_amount
from emnqa.answer.select import select_evidence
from emnqa.config import ComposeParams
from emnqa.query.qtype import detect_question_type
from emnqa.retrieve.lexical import tokenize
from emnqa.types import Chunk, Evidence, Passage


def terms(text):
    return tokenize([text])[0]


def hit(rank, text, section=("Minors", "4.1 Key statistics"), kind="text", doc="overview-2024"):
    chunk = Chunk(f"{doc}:{rank}", doc, text, section, 0, len(text), 10, kind=kind)
    return Passage.of(chunk, 1.0 / rank, rank, "Asylum and Migration Overview Belgium 2024")


HITS = [
    hit(1, "Unaccompanied minors are a priority for Fedasil. In 2024, the Guardianship Service received "
           "4 068 initial reports of unaccompanied minors. Most came from Afghanistan."),
    hit(2, "Guardians support minors throughout their stay.", section=("Minors", "4.4 Guardianship")),
]
IDF = {t: 1.0 for t in terms(" ".join(h.text for h in HITS))}


@pytest.mark.parametrize(
    "question, qtype",
    [
        ("How many unaccompanied minors were reported in 2024?", "quantity"),
        ("What percentage of decisions were positive?", "quantity"),
        ("When did the new reception law enter into force?", "date"),
        ("Who appoints guardians?", "who"),
        ("Which authority registers asylum applications?", "who"),
        ("What is a safe country of origin?", "definition"),
        ("What does CALL stand for?", "definition"),
        ("Which countries are on the list of safe countries of origin?", "list"),
        # The asked-for kind inside the question, not only at its start.
        ("Under the new law, how long do the authorities have to decide?", "quantity"),
        ("What gross guaranteed minimum monthly income applies since May 2024?", "quantity"),
        ("What is the date of the royal decree on seasonal workers?", "date"),
        ("From when do employers need prior authorisation?", "date"),
        ("On what day did Georgia join the EMN?", "date"),
        ("In Belgium, which court handles cassation appeals?", "who"),
        ("What explains the higher share of positive decisions in 2024?", "why"),
        ("Which existing Belgian laws was the code supposed to replace?", "list"),
        ("Why was the processing of Sudanese applications suspended?", "why"),
        ("Is sex work recognised as a profession?", "yesno"),
        ("Tell me about reception in Liège", "other"),
    ],
)
def test_question_types(question, qtype):
    assert detect_question_type(question) == qtype


def test_quantity_question_selects_the_sentence_with_the_figure():
    question = "How many reports of unaccompanied minors did the guardianship service get in 2024?"
    evidence = select_evidence(question, "quantity", HITS, terms, IDF)
    assert "4 068" in evidence[0].text
    assert evidence[0].text == HITS[0].text[evidence[0].start : evidence[0].end]


def test_answer_quotes_verbatim_with_markers_and_sources():
    question = "How many reports of unaccompanied minors did the guardianship service get in 2024?"
    evidence = select_evidence(question, "quantity", HITS, terms, IDF)
    answer = compose_answer(question, question, "quantity", evidence, HITS, False, {"overview-2024": "2024"})
    assert not answer.abstained
    first = answer.citations[0]
    assert first.n == 1 and first.quote in first.passage.text
    assert f"> {first.quote} [1]" in answer.text
    assert "**Sources**" in answer.text
    assert "[1] Asylum and Migration Overview Belgium 2024 — Minors > 4.1 Key statistics\n  - “" in answer.text
    # Everything outside the framing words and sources is quoted text.
    quoted = re.findall(r"^> (.*) \[\d+\]$", answer.text, flags=re.M)
    assert quoted and all(q in " ".join(h.text for h in HITS) for q in quoted)
    # The first line is the short answer: a span of the first quote, in bold.
    short = re.match(r"^\*\*(.+?)\*\* \[1\]\n", answer.text)
    assert short and short.group(1) == "4 068" and short.group(1) in first.quote


def test_sources_list_each_cited_passage_once_with_its_quotes_under_it():
    text = "In 2024, 4 068 reports were received. Of them, 2 465 were minors. The rest were adults."
    passage = Passage.of(Chunk("d:1", "overview-2024", text, ("Minors",), 0, len(text), 20), 1.0, 1, "Overview")
    evidence = [Evidence(passage, 0, 37, 1.0, 1.0), Evidence(passage, 38, 65, 0.9, 1.0)]
    answer = compose_answer("How many?", "How many?", "quantity", evidence, [passage], False)
    assert answer.text.count("\n[1] ") == 1 and "[2]" not in answer.text
    assert "[1] Overview — Minors\n  - “In 2024, 4 068 reports were received.”\n  - “Of them, 2 465 were minors.”" in answer.text


def test_a_near_duplicate_quote_is_shown_once():
    summary = Passage.of(Chunk("s:1", "d", "In 2024, 39 615 persons applied for international protection in Belgium.", ("Summary",), 0, 71, 12), 1.0, 1, "T")
    chapter = Passage.of(Chunk("c:1", "d", "In 2024, 39 615 persons applied for international protection in Belgium .", ("Asylum",), 0, 73, 12), 0.9, 2, "T")
    evidence = [Evidence(summary, 0, 71, 1.0, 1.0), Evidence(chapter, 0, 73, 0.9, 1.0)]
    answer = compose_answer("How many applied?", "How many applied?", "quantity", evidence, [summary, chapter], False)
    assert len(answer.citations) == 1 and answer.text.count("39 615 persons") == 2  # the quote and its source line


def test_answer_dict_has_the_stable_shape():
    evidence = select_evidence("How many reports?", "quantity", HITS, terms, IDF)
    data = compose_answer("How many reports?", "How many reports?", "quantity", evidence, HITS, False).to_dict()
    assert set(data) == {"question", "interpreted_query", "answer", "abstained", "citations", "passages", "latency_ms",
                         "confidence", "abstain_reasons", "language"}
    assert set(data["citations"][0]) == {"n", "doc_id", "title", "section", "text", "quote"}
    assert set(data["passages"][0]) == {"rank", "chunk_ids", "doc_id", "title", "section", "score", "text"}


def test_abstention_says_not_covered_and_lists_passages_without_markers():
    answer = compose_answer("How many in 2031?", "How many in 2031?", "quantity", [], HITS, True)
    assert answer.abstained and not answer.citations
    assert answer.text.startswith(NOT_COVERED)
    assert "Possibly related passages (they do not answer the question):" in answer.text
    assert not re.search(r"\[\d+\]", answer.text)


def test_leading_bullets_are_not_part_of_the_quote():
    bullet = hit(1, "- ➤ Fedasil opened 1 174 new places in 2023.")
    evidence = select_evidence("How many new places did Fedasil open?", "quantity", [bullet], terms, IDF)
    assert evidence[0].text == "Fedasil opened 1 174 new places in 2023."


def test_headings_captions_and_questions_of_the_text_are_not_quoted_as_the_answer():
    passage = hit(
        1,
        "4.1 Key statistics\nHow many minors arrived in 2024?\nTable 3: Unaccompanied minors arrived in 2024\n"
        "In 2024, 2 465 unaccompanied minors arrived in the reception network.",
        section=("Minors", "4.1 Key statistics"),
    )
    idf = {t: 1.0 for t in terms(passage.text)}
    question = "How many unaccompanied minors arrived in 2024?"
    evidence = select_evidence(question, "quantity", [passage], terms, idf)
    assert evidence[0].text == "In 2024, 2 465 unaccompanied minors arrived in the reception network."


def test_a_figure_the_question_already_names_is_no_cue():
    passages = [
        hit(1, "The reception network was reorganised in 2024 for unaccompanied minors."),
        hit(2, "Unaccompanied minors: 2 465 arrived in the reception network in 2024."),
    ]
    idf = {t: 1.0 for t in terms(" ".join(p.text for p in passages))}
    evidence = select_evidence("How many unaccompanied minors arrived in the reception network in 2024?", "quantity", passages, terms, idf)
    assert "2 465" in evidence[0].text


def test_a_what_is_question_quotes_the_definition_under_its_term():
    glossary = hit(
        1,
        "Subsequent application for international protection\n\nA further application made after a final "
        "decision has been taken on a previous application",
        kind="definition",
    )
    other = hit(2, "Subsequent applications rose by 9% in 2024.")
    idf = {t: 1.0 for t in terms(glossary.text + " " + other.text)}
    evidence = select_evidence("What is a subsequent application?", "definition", [glossary, other], terms, idf)
    assert evidence[0].text.startswith("A further application made after a final decision")


def test_a_sentence_that_spells_the_acronym_out_answers_what_it_stands_for():
    acronyms = hit(1, "Only the most used acronyms are listed.\nCALL\tCouncil for Alien Law Litigation\tRaad voor "
                      "Vreemdelingenbetwistingen (RvV)\nEUROPOL European Union Agency for Law Enforcement Cooperation",
                   section=("List of acronyms",))
    idf = {t: 1.0 for t in terms(acronyms.text + " what does call stand for")}
    question = "What does the acronym CALL stand for?"
    spelled = lambda s: "CALL" in s and "Council for Alien Law Litigation" in s  # noqa: E731
    chosen = select_evidence(question, "definition", [acronyms], terms, idf, defines=spelled)
    assert chosen[0].text.startswith("CALL\tCouncil for Alien Law Litigation")
    # The definition found, sentences that define nothing are not quoted with
    # it, not even the next line (a table's next row is no continuation).
    assert len(chosen) == 1
    eager = replace(ComposeParams(), neighbour_ratio=0.0)
    assert len(select_evidence(question, "definition", [acronyms], terms, idf, eager, defines=spelled)) == 1


def test_the_best_quote_comes_first_or_on_request_the_passage_order():
    passage = hit(1, "A minor:\nWho arrives unaccompanied, or;\nWho is left unaccompanied.", kind="definition")
    text = passage.text
    spans = [(text.index("Who is"), len(text)), (text.index("Who arrives"), text.index(", or;") + 5), (0, 8)]
    evidence = [Evidence(passage, a, b, 1.0 - i / 10, 1.0) for i, (a, b) in enumerate(spans)]
    question = "What is an unaccompanied minor?"
    best_first = compose_answer(question, question, "definition", evidence, [passage], False)
    assert [c.quote for c in best_first.citations] == ["Who is left unaccompanied.", "Who arrives unaccompanied, or;", "A minor:"]
    in_order = compose_answer(question, question, "definition", evidence, [passage], False, reading_order=True)
    assert [c.quote for c in in_order.citations] == ["A minor:", "Who arrives unaccompanied, or;", "Who is left unaccompanied."]


def test_a_close_second_passage_counts_nearly_as_much_as_the_first():
    def scored(second_score):
        first = Passage.of(hit(1, "Guardians support minors.").chunks[0], 5.0, 1, "T")
        second = Passage.of(hit(2, "The Guardianship Service received 4 068 reports.").chunks[0], second_score, 2, "T")
        idf = {t: 1.0 for t in terms("guardians support minors guardianship service received reports")}
        chosen = select_evidence("How many reports did the Guardianship Service receive?", "quantity",
                                 [first, second], terms, idf)
        return next(e.score for e in chosen if e.passage is second)

    assert scored(4.9) > scored(1.0)


def test_in_a_follow_up_the_words_the_user_typed_weigh_more_than_the_carried_subject():
    # "Who is exempted from it?" after a question about civic integration in
    # Brussels: the sentence restating the carried subject matches more of
    # the interpreted question, the one with the exemption answers it.
    passage = hit(1, "In Brussels, the civic integration programme became mandatory for third-country newcomers. "
                     "Exempted from this obligation are beneficiaries of temporary protection.")
    interpreted = "Who is exempted from it (civic integration mandatory for newcomers in Brussels)?"
    idf = {t: 1.0 for t in terms(passage.text)}

    def best(focus):
        return select_evidence(interpreted, "who", [passage], terms, idf, focus=focus)[0].text

    assert best(None).startswith("In Brussels")
    assert best(set(terms("Who is exempted from it?"))).startswith("Exempted")


def test_only_sentences_the_year_test_admits_are_quoted():
    passage = hit(1, "In 2022, 36 871 people applied for international protection. "
                     "In 2023, 35 507 people applied for international protection.")
    idf = {t: 1.0 for t in terms(passage.text)}
    question = "How many people applied for international protection in 2023?"
    unfiltered = select_evidence(question, "quantity", [passage], terms, idf)
    assert unfiltered[0].text.startswith("In 2023")
    # A test that admits only the other sentence makes it the answer (the
    # sentence after it may still follow as its continuation).
    filtered = select_evidence(question, "quantity", [passage], terms, idf, admits=lambda e: "2022" in e.text)
    assert filtered[0].text == "In 2022, 36 871 people applied for international protection."


def test_a_who_question_about_a_post_wants_a_person_named():
    # Both sentences share one word with the question and name someone or
    # something capitalised; only the second names a person.
    passage = hit(1, "Fedasil reports to the Federal Public Service Interior. "
                     "Pieter Spinnewijn took office at Fedasil.")
    idf = {t: 1.0 for t in terms(passage.text + " director")}
    question = "Who is the director of Fedasil?"
    people = lambda s: ["Pieter Spinnewijn"] if "Pieter Spinnewijn" in s else []  # noqa: E731
    assert select_evidence(question, "who", [passage], terms, idf)[0].text.startswith("Fedasil reports")
    assert select_evidence(question, "who", [passage], terms, idf, persons=people)[0].text.startswith("Pieter")


@pytest.mark.parametrize(
    "sentence, question, gives",
    [
        ("Holders can move after 12 months.", "How many Blue Cards were issued?", False),
        ("Holders can move after 12 months.", "How many months must holders wait?", True),
        ("The centre has 120 places.", "How much does a place cost per day?", False),
        ("A place costs € 60 a day.", "How much does a place cost per day?", True),
        ("The minimum income rose to € 2 070,48.", "What income tax rate applies to expats?", False),
        ("Expats pay 30% of their income in tax.", "What income tax rate applies to expats?", True),
        ("Students must prove \\in 803 net a month.", "How much money must a student show?", True),
        ("In 2024, 39 615 people applied.", "How many people applied in 2024?", True),
        ("The declaration must be signed (Article 12bis, §3).", "How many people became Belgian?", False),
    ],
)
def test_a_quantity_question_wants_a_figure_of_the_asked_kind(sentence, question, gives):
    assert gives_amount(sentence, question) is gives



def test_to_a_why_question_a_sentence_giving_the_reason_is_the_cue():
    passages = [
        hit(1, "In February 2024, municipalities got the right to run integrity checks on businesses. "
               "The law lets them refuse or withdraw permits. "
               "This law responds to the concern that trafficking operates under the cover of legitimate businesses."),
    ]
    idf = {t: 1.0 for t in terms(passages[0].text)}
    question = "Why did Belgium let municipalities run integrity checks on businesses in 2024?"
    evidence = select_evidence(question, "why", passages, terms, idf)
    reasons = [e for e in evidence if e.cue == 1.0]
    assert [e.text for e in reasons] == [
        "This law responds to the concern that trafficking operates under the cover of legitimate businesses."
    ]


def test_a_line_announcing_a_list_is_quoted_with_its_items():
    text = ("Fraud techniques grow more sophisticated.\n"
            "The airport police took several steps against identity fraud:\n"
            "> Raising awareness among border officers.\n"
            "- Running the border guard course.\n"
            "➤ Taking part in Identity Week.\n"
            "Other measures concerned visas.")
    passages = [hit(1, text, section=("8 Borders",))]
    idf = {t: 1.0 for t in terms(text)}
    question = "What steps did the airport police take against identity fraud?"
    evidence = select_evidence(question, "list", passages, terms, idf)
    listed = next(e for e in evidence if "several steps" in e.text)
    assert listed.text.startswith("The airport police took several steps") and listed.text.endswith("Identity Week.")
    assert text[listed.start:listed.end] == listed.text and "visas" not in listed.text
    # A slide's figures under "... applied for protection:", a blank line between.
    slide = "More than 100 000 persons applied for protection:\n\n• 63 356 Temporary protection\n• 36 871 International protection\n"
    passages = [hit(1, slide, section=("PART 2: PROTECTION",))]
    idf = {t: 1.0 for t in terms(slide)}
    evidence = select_evidence("How many persons applied for protection?", "quantity", passages, terms, idf)
    assert evidence[0].text.endswith("36 871 International protection")
    assert slide[evidence[0].start:evidence[0].end] == evidence[0].text
    assert len(evidence) == 1  # the items it now holds are not quoted again


def test_the_next_sentence_joins_the_best_quote_only_when_it_leans_on_it():
    text = ("On 27 November 2024, the Correctional Court of Antwerp convicted 22 Afghan smugglers. "
            "The court imposed prison sentences of up to 18 years. "
            "Smuggling networks also operate from Germany.")
    passages = [hit(1, text, section=("8 Smuggling",))]
    idf = {t: 1.0 for t in terms(text)}
    params = ComposeParams(second_ratio=0.99, neighbour_ratio=0.0)  # the best quote and a continuation only
    question = "What did the Antwerp court decide on the Afghan smugglers in November 2024?"
    evidence = select_evidence(question, "other", passages, terms, idf, params)
    assert [e.text for e in evidence][:2] == [
        "On 27 November 2024, the Correctional Court of Antwerp convicted 22 Afghan smugglers.",
        "The court imposed prison sentences of up to 18 years.",
    ]
    # A next sentence that stands on its own is no continuation: it competes.
    alone = "On 27 November 2024, the Correctional Court of Antwerp convicted 22 Afghan smugglers. Germany hosts networks too."
    passages = [hit(1, alone, section=("8 Smuggling",))]
    evidence = select_evidence(question, "other", passages, terms, {t: 1.0 for t in terms(alone)}, params)
    assert [e.text for e in evidence] == ["On 27 November 2024, the Correctional Court of Antwerp convicted 22 Afghan smugglers."]
