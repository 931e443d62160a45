"""Country spellings to ISO 3166-1 alpha-2 codes, on inline examples (every real source:
tests/integration/data/test_taxonomy_countries_real.py)."""

from __future__ import annotations

import math

import pandas as pd
import pycountry
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpay_model.taxonomy import country_code, country_name, is_country_answer
from mlpay_model.taxonomy._common import load_yaml

# Answers to the country question that do not name a country (they must give None).
NOT_A_COUNTRY = {"Other", "I do not wish to disclose my location", "I prefer not to say", "Nomadic"}


def _is_assigned_code(code: str) -> bool:
    return code == "XK" or pycountry.countries.get(alpha_2=code) is not None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("United States of America", "US"),
        ("United States", "US"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("United Kingdom", "GB"),
        ("Viet Nam", "VN"),
        ("Vietnam", "VN"),
        ("Iran, Islamic Republic of...", "IR"),
        ("Iran", "IR"),
        ("Republic of Korea", "KR"),
        ("South Korea", "KR"),
        ("Hong Kong (S.A.R.)", "HK"),
        ("Russian Federation", "RU"),
        ("Russia", "RU"),
        ("Taiwan", "TW"),
        ("Kosovo", "XK"),
        ("XK", "XK"),
        ("xkx", "XK"),
        ("Turkey", "TR"),
        ("Czech Republic", "CZ"),
        ("Slovak Republic", "SK"),
        ("Côte d'Ivoire", "CI"),
        ("Ivory Coast (Cote D'Ivoire)", "CI"),
        ("Congo, Republic of the...", "CG"),
        ("Democratic Republic of the Congo", "CD"),
        ("Bosnia-Herzegovina", "BA"),
        ("US", "US"),
        ("de", "DE"),
        ("DEU", "DE"),
        ("  germany ", "DE"),
        ("UK", "GB"),
        ("NA", "NA"),  # Namibia's code, not "missing"
    ],
)
def test_country_code_resolves_source_spellings(name: str, code: str) -> None:
    assert country_code(name) == code


@pytest.mark.parametrize(
    "answer",
    [*NOT_A_COUNTRY, None, math.nan, pd.NA, "", "Atlantis", "840", "Germ"],
)
def test_non_countries_and_unknowns_give_none(answer: object) -> None:
    assert country_code(answer) is None


@pytest.mark.parametrize(
    ("code", "name"),
    [("KR", "South Korea"), ("de", "Germany"), ("XK", "Kosovo"), ("RU", "Russia"), ("ZZ", "ZZ")],
)
def test_country_name_for_display(code: str, name: str) -> None:
    assert country_name(code) == name


def test_country_name_of_missing_is_unknown() -> None:
    assert country_name(None) == "unknown"


def test_every_alias_resolves_to_an_assigned_code_and_back() -> None:
    for name, code in load_yaml("countries.yaml")["aliases"].items():
        assert country_code(name) == code, name
        if code is not None:
            assert _is_assigned_code(code), name
            assert country_code(country_name(code)) == code, name
            assert country_code(code) == code, name  # the code mlpay writes reads back


@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.none()))
@settings(max_examples=200, deadline=None)
def test_country_code_never_raises(value: object) -> None:
    code = country_code(value)
    assert code is None or _is_assigned_code(code)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Other", False),
        ("I do not wish to disclose my location", False),
        (None, False),
        ("Germany", True),
        ("Atlantis", True),  # a claim of a place, just not one we know: counts as unmapped
    ],
)
def test_is_country_answer_separates_non_answers_from_places(answer, expected):
    assert is_country_answer(answer) is expected


def test_a_well_known_city_names_its_country_but_is_never_read_as_one():
    """countries.yaml's `cities` only feed the refusal's hint: each is one real country's
    city, not itself a country spelling (so "Berlin" stays refused, never priced as DE)."""
    from mlpay_model.taxonomy import country_of_city

    cities = load_yaml("countries.yaml")["cities"]
    assert len(cities) >= 20
    for city, code in cities.items():
        assert country_of_city(city) == code
        assert country_of_city(city.upper()) == code  # as typed
        assert country_name(code) != code  # a country pycountry knows
        assert country_code(city) is None
    assert country_of_city("Cambridge") is None and country_of_city(None) is None
