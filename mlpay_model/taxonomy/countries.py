"""Country spellings to ISO 3166-1 alpha-2 codes, and codes back to display names.

pycountry resolves names, official names, common names and alpha-2/alpha-3 codes (exact,
case-insensitive, fuzzy search off). `countries.yaml` holds the few aliases it misses (old
or survey-specific spellings, "Kosovo" -> "XK") and the answers that are not a country
("Other", "I prefer not to say" -> None). Note that "NA" is Namibia's code: adapters whose
files write "NA" for a missing answer must treat it as missing themselves.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Final

import pycountry

from mlpay_model.taxonomy._common import is_missing, load_yaml, normalise_key

COUNTRIES_FILE: Final = "countries.yaml"


def country_code(name: object) -> str | None:
    """ISO 3166-1 alpha-2 code for any spelling the sources use; None when unknown or missing.

    Accepts names, official names, common names, alpha-2/alpha-3 codes and the aliases in
    countries.yaml.

    >>> country_code("United Kingdom of Great Britain and Northern Ireland"), country_code("deu")
    ('GB', 'DE')
    """
    if is_missing(name):
        return None
    return _code_of_key(normalise_key(str(name)))


def is_country_answer(name: object) -> bool:
    """False for a missing answer and for answers that name no country ("Other",
    "I do not wish to disclose my location"): the rows a country code cannot be expected for.

    >>> is_country_answer("Other"), is_country_answer("Atlantis"), is_country_answer("DE")
    (False, True, True)
    """
    if is_missing(name):
        return False
    key = normalise_key(str(name))
    return not (key in _aliases() and _aliases()[key] is None)


def country_name(code: object) -> str:
    """A readable English name for an alpha-2 code ("KR" -> "South Korea").

    Missing gives "unknown"; a code that is not a country is returned as written.
    """
    if is_missing(code):
        return "unknown"
    text = str(code).strip().upper()
    special = _display_names().get(text)
    if special is not None:
        return special
    country = pycountry.countries.get(alpha_2=text)
    if country is None:
        return str(code).strip()
    return str(getattr(country, "common_name", None) or country.name)


@lru_cache(maxsize=65536)
def _code_of_key(key: str) -> str | None:
    aliases = _aliases()
    if key in aliases:
        return aliases[key]
    if key.isdigit():  # numeric ISO codes are not a spelling any source uses
        return None
    try:
        return str(pycountry.countries.lookup(key).alpha_2)
    except LookupError:
        return None


@cache
def _aliases() -> dict[str, str | None]:
    table = load_yaml(COUNTRIES_FILE)["aliases"]
    return {
        normalise_key(str(name)): None if code is None else str(code).upper()
        for name, code in table.items()
    }


def country_of_city(name: object) -> str | None:
    """The country of a well-known tech city named alone ("Berlin" -> "DE"; countries.yaml's
    `cities`), or None. For the refusal's hint only: a city is never read as a country."""
    if not isinstance(name, str):
        return None
    return _cities().get(normalise_key(name))


@cache
def _cities() -> dict[str, str]:
    table = load_yaml(COUNTRIES_FILE)["cities"]
    return {normalise_key(str(city)): str(code).upper() for city, code in table.items()}


@cache
def _display_names() -> dict[str, str]:
    return {
        str(code).upper(): str(name)
        for code, name in load_yaml(COUNTRIES_FILE)["display_names"].items()
    }
