"""The fixed words of a reply, in the user's language: the framing line, "not
covered", the headings of the Sources list, the chat's labels. Quotes are
never translated: they stay verbatim in the documents' English.

>>> message("fr", "sources")
'Sources'
>>> message("nl", "not_covered")
'De documenten van EMN Belgium in het corpus behandelen deze vraag niet.'
>>> message("de", "sources")  # anything else reads English
'Sources'
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "lead.quantity": "The EMN Belgium documents give these figures:",
        "lead.date": "The EMN Belgium documents date it as follows:",
        "lead.who": "According to the EMN Belgium documents:",
        "lead.definition": "The EMN Belgium documents define it as follows:",
        "lead.list": "The EMN Belgium documents list:",
        "lead.why": "The EMN Belgium documents explain:",
        "lead.yesno": "The EMN Belgium documents say:",
        "lead.other": "According to the EMN Belgium documents:",
        "not_covered": "The EMN Belgium documents in the corpus do not cover this question.",
        "related": "Possibly related passages (they do not answer the question):",
        "sources": "Sources",
        "interpreted": "Interpreted as:",
        "searched": "Searched for:",
        "badge": "Not covered.",
        "panel_not_covered": "The EMN Belgium documents do not answer this question. "
        "These passages may be related; they are not an answer.",
        "other_passages": "Other retrieved passages",
        "no_passage": "No passage matches this question.",
        "why": "Why:",
        "reason.no_evidence": "no passage has a sentence that answers",
        "reason.other_place": "the closest passage is about another country or region",
        "reason.swapped_place": "the quotes found are about another country or region",
        "reason.figure_other_year": "the figure found is not for {detail}",
        "reason.no_figure": "the closest passage gives no figure",
        "reason.reference_only": "the closest match is only a source reference",
        "reason.unknown_name": "the documents never mention {detail}",
        "reason.unknown_phrase": "the documents never use the phrase {detail}",
        "reason.low_confidence": "no passage found answers it clearly (confidence {detail})",
        "reason.unlikely_answerable": "the passages found are unlikely to answer it (probability {detail})",
        "reason.language": "the question is not in English, French or Dutch",
    },
    "fr": {
        "lead.quantity": "Les documents d'EMN Belgium donnent ces chiffres :",
        "lead.date": "Les documents d'EMN Belgium le datent ainsi :",
        "lead.who": "Selon les documents d'EMN Belgium :",
        "lead.definition": "Les documents d'EMN Belgium le définissent ainsi :",
        "lead.list": "Les documents d'EMN Belgium citent :",
        "lead.why": "Les documents d'EMN Belgium expliquent :",
        "lead.yesno": "Les documents d'EMN Belgium disent :",
        "lead.other": "Selon les documents d'EMN Belgium :",
        "not_covered": "Les documents d'EMN Belgium du corpus ne traitent pas cette question.",
        "related": "Passages peut-être liés (ils ne répondent pas à la question) :",
        "sources": "Sources",
        "interpreted": "Question recherchée (en anglais) :",
        "searched": "Recherché (en anglais) :",
        "badge": "Pas couvert.",
        "panel_not_covered": "Les documents d'EMN Belgium ne répondent pas à cette question. "
        "Ces passages sont peut-être liés ; ils ne sont pas une réponse.",
        "other_passages": "Autres passages trouvés",
        "no_passage": "Aucun passage ne correspond à cette question.",
        "why": "Pourquoi :",
        "reason.no_evidence": "aucun passage n'a de phrase qui réponde",
        "reason.other_place": "le passage le plus proche porte sur un autre pays ou une autre région",
        "reason.swapped_place": "les citations trouvées portent sur un autre pays ou une autre région",
        "reason.figure_other_year": "le chiffre trouvé ne concerne pas {detail}",
        "reason.no_figure": "le passage le plus proche ne donne aucun chiffre",
        "reason.reference_only": "le passage le plus proche n'est qu'une référence de source",
        "reason.unknown_name": "les documents ne mentionnent jamais {detail}",
        "reason.unknown_phrase": "les documents n'emploient jamais l'expression {detail}",
        "reason.low_confidence": "aucun passage trouvé n'y répond clairement (confiance {detail})",
        "reason.unlikely_answerable": "il est peu probable que les passages trouvés y répondent (probabilité {detail})",
        "reason.language": "la question n'est ni en anglais, ni en français, ni en néerlandais",
    },
    "nl": {
        "lead.quantity": "De documenten van EMN Belgium geven deze cijfers:",
        "lead.date": "De documenten van EMN Belgium dateren het zo:",
        "lead.who": "Volgens de documenten van EMN Belgium:",
        "lead.definition": "De documenten van EMN Belgium omschrijven het zo:",
        "lead.list": "De documenten van EMN Belgium noemen:",
        "lead.why": "De documenten van EMN Belgium leggen uit:",
        "lead.yesno": "De documenten van EMN Belgium zeggen:",
        "lead.other": "Volgens de documenten van EMN Belgium:",
        "not_covered": "De documenten van EMN Belgium in het corpus behandelen deze vraag niet.",
        "related": "Misschien verwante passages (ze beantwoorden de vraag niet):",
        "sources": "Bronnen",
        "interpreted": "Gezocht als (in het Engels):",
        "searched": "Gezocht naar (in het Engels):",
        "badge": "Niet behandeld.",
        "panel_not_covered": "De documenten van EMN Belgium beantwoorden deze vraag niet. "
        "Deze passages zijn misschien verwant; ze zijn geen antwoord.",
        "other_passages": "Andere gevonden passages",
        "no_passage": "Geen passage past bij deze vraag.",
        "why": "Waarom:",
        "reason.no_evidence": "geen enkele passage heeft een zin die antwoordt",
        "reason.other_place": "de dichtstbijzijnde passage gaat over een ander land of gewest",
        "reason.swapped_place": "de gevonden citaten gaan over een ander land of gewest",
        "reason.figure_other_year": "het gevonden cijfer geldt niet voor {detail}",
        "reason.no_figure": "de dichtstbijzijnde passage geeft geen cijfer",
        "reason.reference_only": "de dichtstbijzijnde passage is enkel een bronvermelding",
        "reason.unknown_name": "de documenten vermelden {detail} nergens",
        "reason.unknown_phrase": "de documenten gebruiken de uitdrukking {detail} nergens",
        "reason.low_confidence": "geen gevonden passage beantwoordt ze duidelijk (betrouwbaarheid {detail})",
        "reason.unlikely_answerable": "de gevonden passages beantwoorden ze waarschijnlijk niet (kans {detail})",
        "reason.language": "de vraag is niet in het Engels, Frans of Nederlands",
    },
}


def message(language: str, key: str, default: str | None = None) -> str:
    """The text of `key` in `language` (English for a language without a
    catalogue); `default` for a key the catalogue does not have (KeyError
    without one).

    >>> message("nl", "lead.nothing", default=message("nl", "lead.other"))
    'Volgens de documenten van EMN Belgium:'
    """
    if key not in MESSAGES["en"]:
        if default is None:
            raise KeyError(key)
        return default
    return MESSAGES.get(language, MESSAGES["en"]).get(key) or MESSAGES["en"][key]
