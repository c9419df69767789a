"""French and Dutch questions (emnqa.language): detection, the shipped
lexicon, translation with a small hand-checkable lexicon, the reply's own
words in the user's language; then the real assistant answering French and
Dutch questions and follow-ups from the English documents."""

import collections
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from emnqa import cli
from emnqa.answer.render import compose_answer
from emnqa.errors import ConfigError
from emnqa.language.detect import detect_language
from emnqa.language.lexicon import Entry, TrilingualLexicon, read_lexicon, tokens
from emnqa.language.messages import MESSAGES, message
from emnqa.language.translate import translate_question
from emnqa.language.understand import to_english
from emnqa.types import Turn
from emnqa.web.chat import render_answer, render_sources

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def small_lexicon() -> TrilingualLexicon:
    rows = [
        ("fr", "combien de", "how many", "question"),
        ("fr", "demande de protection internationale", "application for international protection", "term"),
        ("fr", "demande", "application | request", "term"),
        ("fr", "en", "in", "function"),
        ("fr", "et", "and", "function"),
        ("fr", "la", "", "function"),
        ("fr", "Belgique", "Belgium", "place"),
        ("nl", "hoeveel", "how many", "question"),
        ("nl", "opvang", "reception", "term"),
        ("nl", "centrum", "centre", "term"),
        ("nl", "kind", "child", "general"),
        ("nl", "in", "in", "function"),
        ("nl", "er", "", "function"),
        ("nl", "zijn", "are | be", "verb"),
    ]
    return TrilingualLexicon.of(Entry(lang, term, tuple(e for e in english.split(" | ") if e), kind, "domain")
                                for lang, term, english, kind in rows)


# --- detection ---------------------------------------------------------------

@pytest.mark.parametrize(
    "text, language",
    [
        ("How many people applied for asylum in 2024?", "en"),
        ("Combien de personnes ont demandé l'asile en Belgique en 2024 ?", "fr"),
        ("Hoeveel mensen vroegen in 2024 asiel aan in België?", "nl"),
        ("CGRS 2024?", "en"),  # acronyms and numbers say nothing: English, the documents' language
        ("2024", "en"),
        ("What is Fedasil?", "en"),
    ],
)
def test_detects_the_question_s_language(text, language):
    assert detect_language(text).language == language


def test_a_short_follow_up_keeps_the_conversation_s_language():
    assert detect_language("Et en 2023 ?", previous="fr").language == "fr"
    assert detect_language("En in 2023?", previous="nl").language == "nl"
    assert detect_language("2023?", previous="nl").language == "nl"


@pytest.mark.parametrize("text", ["Wie viele Asylanträge gab es 2024 in Belgien?", "¿Cuántas solicitudes de asilo hubo en Bélgica?"])
def test_another_language_is_recognised_as_not_supported(text):
    detection = detect_language(text)
    assert not detection.supported and detection.language in ("de", "es")


# --- the shipped lexicon -----------------------------------------------------

def test_the_shipped_lexicon_has_800_rows_a_language_and_one_rendering_a_term():
    entries = read_lexicon()
    counts = collections.Counter(e.lang for e in entries)
    assert counts["fr"] >= 800 and counts["nl"] >= 800, counts
    renderings = collections.defaultdict(set)
    for e in entries:
        renderings[(e.lang, e.term.casefold())].add(e.english)
    clashes = {key: r for key, r in renderings.items() if len(r) > 1}
    assert not clashes, f"terms with two different renderings across the files: {sorted(clashes)[:10]}"


def test_the_lexicon_s_english_is_the_documents_wording():
    """Most English renderings are words the documents use: a rendering the
    corpus never uses cannot be found by the lexical search."""
    corpus = " ".join(p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")).casefold()
    words = set(re.findall(r"[^\W\d_]+", corpus))
    content = [e for e in read_lexicon() if e.kind not in ("function", "question") and e.english]
    used = [e for e in content if all(w.casefold() in words for w in re.findall(r"[^\W\d_]+", e.english[0]))]
    assert len(used) / len(content) >= 0.9, len(used) / len(content)


def test_the_acronym_table_rows_are_what_the_miner_finds_in_the_report():
    """Each name scripts/mine_lexicon.py reads from the report's table of
    acronyms is a row with the same first rendering (reviewers may add others)."""
    import subprocess
    import sys

    mined = subprocess.run([sys.executable, str(Path(__file__).resolve().parents[1] / "scripts" / "mine_lexicon.py"),
                            str(CORPUS / "emn-be-asylum-migration-overview-2024.txt")],
                           capture_output=True, text=True, check=True).stdout.splitlines()[1:]
    rows = {(e.lang, e.term): e.english[0] for e in read_lexicon() if e.source == "acronym-table"}
    expected = {(lang, term): english.split(" | ")[0] for lang, term, english, *_ in (line.split("\t") for line in mined)}
    assert len(expected) >= 30 and rows == expected


def test_a_malformed_lexicon_row_names_its_file_and_line(tmp_path):
    (tmp_path / "x.tsv").write_text("lang\tterm\tenglish\tkind\tsource\nfr\tasile\tasylum\tterm\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"x.tsv:2: a row has 5 tab-separated fields; this one has 4"):
        read_lexicon(tmp_path)
    (tmp_path / "x.tsv").write_text("lang\tterm\tenglish\tkind\tsource\nde\tAsyl\tasylum\tterm\tdomain\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"lang must be one of fr, nl; it is 'de'"):
        read_lexicon(tmp_path)


# --- translation ---------------------------------------------------------------

def test_the_longest_phrase_wins_and_names_and_numbers_pass_through():
    translation = translate_question("Combien de demandes de protection internationale en Belgique en 2024 ?", "fr", small_lexicon())
    assert translation.english == "how many application for international protection in Belgium in 2024?"
    assert translation.found == ("demandes de protection internationale", "Belgique")
    assert translation.coverage == 1.0


def test_a_word_gives_its_first_rendering_in_place():
    translation = translate_question("la demande et Fedasil", "fr", small_lexicon())
    assert translation.english == "application and Fedasil"
    assert translation.missing == ("Fedasil",) and translation.coverage == 0.5


def test_a_dutch_compound_is_split_into_words_the_lexicon_knows():
    translation = translate_question("Hoeveel opvangcentra voor kinderen zijn er?", "nl", small_lexicon())
    assert translation.english.startswith("how many reception centre voor child are?")


def test_english_is_not_translated():
    assert translate_question("How many?", "en", small_lexicon()).english == "How many?"


def test_french_elisions_and_inversions_are_words_of_their_own():
    assert [t.folded for t in tokens("fr", "L'OE a-t-il reçu l'ordre ?")] == ["l'", "oe", "a", "il", "recu", "l'", "ordre"]


def test_a_conversation_is_translated_turn_by_turn():
    history = [Turn("user", "Hoeveel opvangcentra zijn er in 2024?"), Turn("assistant", "There are 5 [1].")]
    understood = to_english("En in 2023?", history, small_lexicon())
    assert understood.language == "nl"
    assert understood.history[0].content.startswith("how many reception centre are in 2024?")
    assert understood.history[1].content == "There are 5 [1]."


# --- the reply's own words ----------------------------------------------------

def test_every_language_has_every_message():
    for language, messages in MESSAGES.items():
        assert set(messages) == set(MESSAGES["en"]), language


def test_the_framing_and_not_covered_are_in_the_user_s_language():
    declined = compose_answer("Combien ?", "how many?", "quantity", [], [], True, language="fr")
    assert declined.text.startswith(message("fr", "not_covered"))
    declined = compose_answer("Hoeveel?", "how many?", "quantity", [], [], True, language="nl")
    assert declined.text.startswith("De documenten van EMN Belgium in het corpus behandelen deze vraag niet.")


def test_a_declined_answer_is_explained_in_the_user_s_language_in_the_chat():
    declined = compose_answer("Combien de visas ?", "how many visa?", "quantity", [], [], True, language="fr")
    shown = render_answer(replace(declined, abstain_reasons=("no_figure",), language="fr"))
    assert shown.splitlines()[0] == "_Question recherchée (en anglais) : how many visa?_"
    assert "**Pas couvert.** Les documents d'EMN Belgium du corpus ne traitent pas cette question." in shown
    assert shown.rstrip().endswith("_Pourquoi : le passage le plus proche ne donne aucun chiffre._")


# --- the real assistant -------------------------------------------------------

@pytest.fixture(scope="module")
def assistant(real_index_dir, real_embedder):
    from emnqa.assistant import Assistant
    from emnqa.config import Settings

    return Assistant(Settings.from_env(index_dir=real_index_dir), embedder=real_embedder)


@pytest.mark.model
@pytest.mark.parametrize(
    "question, language",
    [
        ("Combien de personnes ont demandé la protection internationale en Belgique en 2024 ?", "fr"),
        ("Hoeveel verzoeken om internationale bescherming werden in 2024 in België ingediend?", "nl"),
    ],
)
def test_a_french_or_dutch_question_is_answered_from_the_english_documents(assistant, question, language):
    answer = assistant.ask(question)
    assert answer.language == language and not answer.abstained
    # The figure quoted (which quote leads is the answering stage's matter, issue 16).
    assert any("39 615" in c.quote for c in answer.citations)
    assert answer.interpreted_query != question and "2024" in answer.interpreted_query
    heading = message(language, "sources")
    assert f"**{heading}**" in answer.text
    for citation in answer.citations:  # quotes stay verbatim in English
        assert citation.quote in citation.passage.text


@pytest.mark.model
def test_a_follow_up_in_french_is_read_against_the_french_question(assistant):
    first = "Combien de personnes ont demandé la protection internationale en Belgique en 2024 ?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": assistant.ask(first).text}]
    answer = assistant.ask("Et en 2023 ?", history)
    assert answer.language == "fr" and "2023" in answer.interpreted_query
    assert "international protection" in answer.interpreted_query or "asylum" in answer.interpreted_query


@pytest.mark.model
def test_a_question_in_another_language_gets_one_clear_sentence(assistant):
    answer = assistant.ask("Wie viele Asylanträge gab es 2024 in Belgien?")
    assert answer.abstained and answer.language == "de" and not answer.citations and not answer.passages
    assert answer.text.strip() == (
        "This looks like German: emnqa answers questions in English, French or Dutch (Nederlands, français, English)."
    )


@pytest.mark.model
def test_the_chat_labels_an_answer_in_the_user_s_language(assistant):
    answer = assistant.ask("Combien de personnes ont demandé la protection internationale en Belgique en 2024 ?")
    shown = render_answer(answer)
    assert shown.startswith("_Question recherchée (en anglais) :") and "Sources" not in shown.split("\n", 2)[-1]
    panel = render_sources(answer, {})
    assert "Recherché (en anglais) :" in panel and ">Sources<" in panel


@pytest.mark.model
def test_ask_json_gives_the_language(real_index_dir, monkeypatch, capsys):
    monkeypatch.setenv("EMNQA_INDEX_DIR", str(real_index_dir))
    code = cli.main(["ask", "--json", "Hoeveel verzoeken om internationale bescherming werden in 2024 in België ingediend?"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["language"] == "nl" and out["interpreted_query"] != out["question"]


@pytest.mark.model
def test_a_very_long_history_costs_no_more_than_its_last_turns(assistant):
    """Issue 17's finding: a 1 200-turn history raised RecursionError and long
    ones made follow-up reading quadratic. Only the last turns are read now."""
    first = "How many people applied for international protection in Belgium in 2024?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": "39 615 [1]"}] * 1200
    answer = assistant.ask("And in 2023?", history)
    assert "2023" in answer.interpreted_query and "international protection" in answer.interpreted_query
