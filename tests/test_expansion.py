"""Acronym and synonym groups mined from the corpus, and query expansion with them."""

import doctest
from pathlib import Path

import pytest

from emnqa.query import lexicon as expansion
from emnqa.query.lexicon import Lexicon, expand_query, mine_lexicon, name_usage

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"

# A slice of an acronyms table as PDF extraction gives it: hyphenation breaks
# inside cells, a Cyrillic "СОСОМ", "/" for a missing name.
TABLE = (
    "In text\tEnglish\tDutch\tFrench\t\n"
    "CALL\tCouncil for Alien Law Litigation\tRaad voor Vreemdelin- genbetwistingen (RvV)\t"
    "Conseil du Conten- tieux des Étrangers (CCE)\t\n"
    "\u0421\u041e\u0421\u041e\u041c\tCommon Community Commission\tGemeenschappelijke Ge- meenschapscommissie (GGC)\t/\t\n"
    "PCSW\tPublic Centre for So- cial Welfare\tOpenbaar Centrum voor Maatschappelijk Welzijn (OCMW)\t"
    "Centre Public d'Action sociale (CPAS)\t\n"
    "CGRS\tOffice of the Commissioner General for Refugees and Stateless Persons\t/\t/\t\n"
    "SIIS\tSocial Information and Investigation Service\tSociale Inlichtingen- en Opsporingsdienst (SIOD)\t/\t\n"
    "Artists\t€ 42 313\t€ 43 056\t€ 3 086,20 (65%)\n"
)

INLINE = """\
In 2024 the Office of the Commissioner General for Refugees and Stateless Persons (CGRS) took 30 000 decisions.
It consulted the Office of the Commissioner General for Refugees and Stateless Persons (CGVS/CGRA), the
Federal Agency for the Reception of Asylum Seekers (Fedasil) and the Council for Alien Law Litigation (RvV/CCE).
The Immigration Office strengthened Individual Case Management (ICAM) and prepared the Entry/Exit System (EES).
EEA European Economic Area
EUROPOL European Union Agency for Law Enforcement Cooperation ICMPD International Centre for Migration Policy Development
Aid went to refugees and internally displaced persons (IDPs).
The Belgian Common European Asylum System (CEAS) is reformed.
A regulation establishing a European Travel Information and Authorisation System (ETIAS).
"""

# Parentheses that define nothing.
FALSE_FRIENDS = """\
Recognition rates rose (see definition) in 2024 (2.1), as shown below (Graph 3).
In 2024, 26 303 individuals entered the reception network (IN) and 26 181 left (OUT).
Arrivals were counted as an influx of new arrivals (IN).
The rate went up (22.6%) over two years (2022-2024) (Table 1).
To: Aintzane De Aguirre (Actiris) and Bieke Machiels (Fedasil)
EU Member States agreed on a new pact
Return Return Directive
"""


def group_of(lexicon: Lexicon, name: str) -> set[str]:
    return lexicon.equivalents(name) | {name} if lexicon.equivalents(name) else set()


@pytest.fixture(scope="module")
def fixture_lexicon() -> Lexicon:
    return mine_lexicon([TABLE, INLINE, FALSE_FRIENDS])


@pytest.fixture(scope="module")
def corpus_lexicon() -> Lexicon:
    return mine_lexicon(path.read_text(encoding="utf-8") for path in sorted(CORPUS_DIR.glob("*.txt")))


def test_table_row_joins_hyphen_breaks_and_takes_bracketed_acronyms(fixture_lexicon):
    assert group_of(fixture_lexicon, "CALL") == {
        "CALL",
        "RvV",
        "CCE",
        "Council for Alien Law Litigation",
        "Raad voor Vreemdelingenbetwistingen",
        "Conseil du Contentieux des Étrangers",
    }
    assert "Public Centre for Social Welfare" in fixture_lexicon.equivalents("OCMW")


def test_table_keeps_real_hyphens_and_ellipses(fixture_lexicon):
    # "Inlichtingen- en Opsporingsdienst" is Dutch for "intelligence and investigation service".
    assert "Sociale Inlichtingen- en Opsporingsdienst" in fixture_lexicon.equivalents("SIOD")


def test_table_maps_cyrillic_look_alikes_to_latin(fixture_lexicon):
    assert fixture_lexicon.equivalents("COCOM") == {
        "GGC",
        "Common Community Commission",
        "Gemeenschappelijke Gemeenschapscommissie",
    }
    assert not any("\u0421" in name for group in fixture_lexicon.groups for name in group)


def test_a_table_without_acronym_keys_gives_no_group(fixture_lexicon):
    assert fixture_lexicon.equivalents("Artists") == set()


@pytest.mark.parametrize(
    ("acronym", "name"),
    [
        # "Office" gives no letter to CGRS; the table row supplies the full name.
        ("CGRS", "Commissioner General for Refugees and Stateless Persons"),
        ("Fedasil", "Federal Agency for the Reception of Asylum Seekers"),
        ("ICAM", "Individual Case Management"),
        ("EES", "Entry/Exit System"),
        ("EEA", "European Economic Area"),
        # Two glossary entries on one extracted line.
        ("EUROPOL", "European Union Agency for Law Enforcement Cooperation"),
        ("ICMPD", "International Centre for Migration Policy Development"),
        ("IDPs", "internally displaced persons"),
    ],
)
def test_inline_definitions(fixture_lexicon, acronym, name):
    assert name in fixture_lexicon.equivalents(acronym)


def test_a_long_name_starts_at_the_acronyms_first_letter_and_capital(fixture_lexicon):
    assert fixture_lexicon.equivalents("CEAS") == {"Common European Asylum System"}
    assert fixture_lexicon.equivalents("ETIAS") == {"European Travel Information and Authorisation System"}


def test_slash_alternatives_join_one_group_and_groups_merge(fixture_lexicon):
    # Table CGRS + inline "(CGRS)" + inline "(CGVS/CGRA)" after the table's long name.
    assert group_of(fixture_lexicon, "CGVS") == {
        "CGRS",
        "CGVS",
        "CGRA",
        "Office of the Commissioner General for Refugees and Stateless Persons",
        "Commissioner General for Refugees and Stateless Persons",
    }
    assert "CALL" in fixture_lexicon.equivalents("RvV")


@pytest.mark.parametrize(
    "name", ["IN", "OUT", "2.1", "Graph 3", "see definition", "22.6%", "Table 1", "Actiris", "EU", "Return"]
)
def test_arbitrary_parentheses_make_no_group(fixture_lexicon, name):
    assert fixture_lexicon.equivalents(name) == set()


def test_a_person_before_a_one_word_name_is_not_its_long_name(fixture_lexicon):
    assert "Bieke Machiels" not in fixture_lexicon.equivalents("Fedasil")


def test_equivalents_match_acronyms_by_case_and_long_names_without():
    lexicon = Lexicon((frozenset({"CALL", "Council for Alien Law Litigation"}),))
    assert lexicon.equivalents("COUNCIL FOR ALIEN LAW LITIGATION") == {"CALL"}
    assert lexicon.equivalents("Call") == set()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "Which decisions did the CGVS take?",
            ["CGRS", "Office of the Commissioner General for Refugees and Stateless Persons"],
        ),
        ("How many OCMW clients?", ["PCSW", "CPAS"]),
        ("What does the Council for Alien Law Litigation do?", ["CALL"]),
        ("what does the council for alien law litigation do?", ["CALL", "RvV"]),
    ],
)
def test_expand_query_appends_equivalents_after_the_query(fixture_lexicon, query, expected):
    expanded = expand_query(query, fixture_lexicon)
    assert expanded.startswith(query + " ")
    for term in expected:
        assert term in expanded[len(query) :]


@pytest.mark.parametrize(
    "query",
    ["I got a phone call from the council", "Who came IN and OUT?", "How many individuals entered?", "Is Call open?"],
)
def test_expand_query_leaves_unmatched_queries_alone(fixture_lexicon, query):
    assert expand_query(query, fixture_lexicon) == query


def test_expand_query_adds_no_term_twice(fixture_lexicon):
    query = "Did the CGVS (CGRA) or CGRS decide?"
    expanded = expand_query(query, fixture_lexicon)
    added = expanded[len(query) :]
    assert "CGRA" not in added and "CGRS" not in added
    assert added.count("Office of the Commissioner General") == 1


def test_real_corpus_groups(corpus_lexicon):
    assert {
        "CGRS",
        "CGVS",
        "CGRA",
        "Office of the Commissioner General for Refugees and Stateless Persons",
    } <= group_of(corpus_lexicon, "CGRS")
    assert {"CALL", "RvV", "CCE", "Council for Alien Law Litigation"} <= group_of(corpus_lexicon, "CALL")
    assert {"PCSW", "OCMW", "CPAS", "Public Centre for Social Welfare"} <= group_of(corpus_lexicon, "PCSW")
    assert {"GGC", "Common Community Commission"} <= corpus_lexicon.equivalents("COCOM")
    assert "Federal Agency for the Reception of Asylum Seekers" in corpus_lexicon.equivalents("Fedasil")
    # Distinct bodies stay apart.
    assert "COCOF" not in corpus_lexicon.equivalents("COCOM")
    assert "CGRS" not in corpus_lexicon.equivalents("CALL")


@pytest.mark.parametrize("word", ["IN", "OUT", "The", "In", "Belgium", "Graph", "See", "and", "call", "Call", "Table"])
def test_real_corpus_common_words_are_not_acronyms(corpus_lexicon, word):
    assert corpus_lexicon.equivalents(word) == set()


def test_real_corpus_expansion(corpus_lexicon):
    assert "CALL" in expand_query("What does the Council for Alien Law Litigation do?", corpus_lexicon)
    assert expand_query("Can I call the office in Brussels?", corpus_lexicon) == "Can I call the office in Brussels?"


def test_docstring_examples():
    assert doctest.testmod(expansion).failed == 0


def test_glossary_synonyms_bring_the_report_s_term_for_an_everyday_one():
    from emnqa.query.lexicon import with_synonyms

    lexicon = with_synonyms(mine_lexicon(["In 2024, 39 615 people applied for international protection."]))
    usage = name_usage(lexicon, ["In 2024, 39 615 people applied for international protection."])
    assert expand_query("How many Applied for asylum?", lexicon, usage).endswith("applied for international protection")
    assert expand_query("How many applied for international protection?", lexicon, usage) == (
        "How many applied for international protection?")


def test_the_verb_deport_finds_forced_returns():
    from emnqa.query.lexicon import with_synonyms

    text = "In 2024, the Immigration Office carried out 3 270 forced returns."
    lexicon = with_synonyms(mine_lexicon([text]))
    usage = name_usage(lexicon, [text])
    for question in ("How many people were deported?", "Whom did Belgium deport in 2024?"):
        assert expand_query(question, lexicon, usage).endswith("forced returns")
