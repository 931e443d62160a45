"""Property: any input to predict_salary gives a finite, ordered interval or InvalidInputError.

Never another exception, never NaN, never low > median or median > high. Checked on a tiny
artifact (fast) and on the shipped default model when it is present.
"""

from __future__ import annotations

import math

import pytest
from artifact_factory import shared_models_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlpay_model.errors import InvalidInputError
from mlpay_model.model import DEFAULT_MODEL, SalaryModel, load_model, models_dir
from mlpay_model.predict import predict_salary

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.text(max_size=10), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.binary(max_size=5),
)
roles = st.one_of(
    st.sampled_from(
        ["Senior ML Engineer", "Machine Learning/ MLops Engineer", "data scientist", "Wizard"]
    ),
    junk,
)
countries = st.one_of(
    st.sampled_from(["US", "Germany", "deu", "India", "New Zealand", "Atlantis", "NA"]), junk
)
years = st.one_of(
    st.floats(min_value=-5, max_value=80), st.sampled_from(["5", "5-10 years", "five"]), junk
)
educations = st.one_of(st.sampled_from(["MSc", "PhD", "bachelor", "none", "wizardry"]), junk)
skills = st.one_of(
    st.lists(st.sampled_from(["Python", "PYTORCH", "aws", "cobol", "", "None"]), max_size=5),
    st.sampled_from(["python, sql", "a;b;c"]),
    junk,
)
contexts = st.dictionaries(
    st.sampled_from(
        ["seniority", "employment_type", "remote_ratio", "company_size", "year", "salary"]
    ),
    st.one_of(
        st.sampled_from(["senior", "SE", "FT", "contract", "M", "remote", "2024", "huge"]),
        st.integers(min_value=-10, max_value=3000),
        junk,
    ),
    max_size=3,
)


def _check(model: SalaryModel, role, country, years_, education, skills_, context) -> None:
    try:
        prediction = predict_salary(
            role, country, years_, education, skills_, model=model, **context
        )
    except InvalidInputError:
        return
    assert all(math.isfinite(v) for v in (prediction.low, prediction.median, prediction.high))
    assert 0 < prediction.low <= prediction.median <= prediction.high
    assert all(math.isfinite(v) for v in prediction.contributions.values())


@pytest.fixture(scope="module")
def tiny() -> SalaryModel:
    return load_model(shared_models_dir() / "tiny")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roles, countries, years, educations, skills, contexts)
def test_any_input_on_the_tiny_model(tiny, role, country, years_, education, skills_, context):
    _check(tiny, role, country, years_, education, skills_, context)


@settings(max_examples=150, deadline=None)
@given(roles, countries, years, educations, skills, contexts)
def test_any_input_on_the_shipped_default_model(role, country, years_, education, skills_, context):
    if not (models_dir() / DEFAULT_MODEL / "manifest.json").is_file():
        pytest.skip(f"no shipped default model: {models_dir() / DEFAULT_MODEL} is absent")
    _check(load_model("default"), role, country, years_, education, skills_, context)
