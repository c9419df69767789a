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
        "quotes_in_english": "",
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
        "quotes_in_english": "Les citations sont en anglais, la langue des documents.",
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
        "quotes_in_english": "De citaten zijn in het Engels, de taal van de documenten.",
    },
}


def message(language: str, key: str) -> str:
    """The text of `key` in `language` (English for a language without a catalogue)."""
    return MESSAGES.get(language, MESSAGES["en"]).get(key) or MESSAGES["en"][key]
