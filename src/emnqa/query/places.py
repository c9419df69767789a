"""The countries and Belgian regions a text names.

Many questions about migration are about a place: "When was Georgia put on
the list of safe countries?", "What did the campaign in Nigeria find?". A
passage about Moldova or Vietnam is then no answer, however well its other
words match, and the documents simply do not cover the question.

Country names come from pycountry (ISO 3166), with the short forms the
reports use (Russia, Syria, Vietnam, Kosovo ...); Belgium's regions and
communities are listed here. A place counts as named by a text in its
adjective too ("Lebanese" for Lebanon, "Afghan" for Afghanistan, "Walloon"
for Wallonia).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

# Short names the reports use for countries ISO 3166 names otherwise, and
# Belgium's regions and communities (federated entities, not countries).
_ALIASES = {
    "Russia": "RU", "Vietnam": "VN", "Syria": "SY", "Turkey": "TR", "Ivory Coast": "CI", "Kosovo": "XK",
    "Czech Republic": "CZ", "Palestine": "PS", "Gaza": "PS", "Iran": "IR", "Congo": "CD", "DR Congo": "CD",
    "Moldova": "MD", "Bolivia": "BO", "Venezuela": "VE", "Tanzania": "TZ", "Laos": "LA", "Korea": "KR",
    "Macedonia": "MK",
    "Flanders": "region:flanders", "Flemish": "region:flanders",
    "Wallonia": "region:wallonia", "Walloon": "region:wallonia",
    "Brussels": "region:brussels",
    "German-speaking": "region:german-speaking",
}
# The country every document is about: naming it says nothing.
_EVERYWHERE = frozenset({"BE"})
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Place name -> place code."""
    import pycountry

    names: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name"):
            name = getattr(country, attribute, None)
            if name:
                # "Moldova, Republic of" -> "Moldova"; "Bolivia (Plurinational State of)" -> "Bolivia"
                names[re.split(r"[,(]", name)[0].strip()] = country.alpha_2
    names.update(_ALIASES)
    return {name: code for name, code in names.items() if code not in _EVERYWHERE}


@lru_cache(maxsize=1)
def _forms() -> dict[str, tuple[str, ...]]:
    """Place code -> its names."""
    out: dict[str, list[str]] = {}
    for name, code in _names().items():
        out.setdefault(code, []).append(name)
    return {code: tuple(names) for code, names in out.items()}


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    names = sorted(_names(), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, names)) + r")(?![\w-])")


def places_in(text: str) -> set[str]:
    """Codes of the countries (ISO 3166) and Belgian regions a text names by
    name.

    >>> sorted(places_in("Campaigns in Nigeria and the Walloon Region, not in Belgium."))
    ['NG', 'region:wallonia']
    """
    return {_names()[m] for m in _pattern().findall(text)}


def names_place(text: str, code: str) -> bool:
    """Whether a text names the place, by its name or its adjective.

    >>> names_place("Lebanese applicants", "LB"), names_place("Afghan minors", "AF"), names_place("Moldova", "GE")
    (True, True, False)
    >>> names_place("the Brussels-Capital Region", "region:brussels"), names_place("Ireland", "IR")
    (True, False)
    """
    forms = _forms().get(code, ())
    folded = text.casefold()
    words = {w.casefold() for w in _WORD.findall(text) if w[:1].isupper()}
    for form in forms:
        if " " in form:
            if form.casefold() in folded:
                return True
            continue
        name = form.casefold()
        for word in words:
            shared = len(os.path.commonprefix([name, word]))
            # Lebanon/Lebanese, Syria/Syrian, Afghanistan/Afghan, Iran/Iranian.
            if shared >= min(5, len(name)) and (shared >= len(name) - 3 or shared == len(word)):
                return True
    return False
