"""The Stack Overflow adapter on the real survey files in MLPAY_DATA_DIR (the unit tests:
tests/unit/test_sources_stackoverflow.py)."""

from __future__ import annotations

import pytest

from mlpay_model import schema
from mlpay_model.data.sources.stackoverflow import load


@pytest.mark.data
@pytest.mark.parametrize(
    ("name", "rows", "with_pay", "year"),
    [
        ("so-2017-partial.zip", 19_101, None, 2017),
        ("so-2024-subset.csv", 16_143, 16_143, 2024),
        ("so-2025-sample.csv", 1_000, 729, 2025),
    ],
)
def test_real_files_keep_every_respondent(
    data_file, name: str, rows: int, with_pay: int | None, year: int
) -> None:
    frame = load(data_file(f"stackoverflow/{name}"))

    assert len(frame) == rows
    assert frame["row_number"].tolist() == list(range(1, rows + 1))
    assert set(frame["year"]) == {year}
    pay = frame["salary_usd"].notna().sum()
    if with_pay is not None:
        assert pay == with_pay
    else:  # README: "about 5,000 with Salary"
        assert 4_500 <= pay <= 5_500
    assert set(frame["role"]) <= set(schema.ROLE_FAMILIES)
    answered = frame["country_raw"].notna()
    assert frame.loc[answered, "country"].notna().mean() > 0.98


@pytest.mark.data
def test_real_2017_salaries_belong_to_employed_developers(data_file) -> None:
    frame = load(data_file("stackoverflow/so-2017-partial.zip"))
    paid = frame[frame["salary_usd"].notna()]

    # Only employed professional developers were asked their salary in 2017.
    assert set(paid["employment_status"]) == {"employed"}
    assert set(paid["employment_type"]) == {"full_time", "part_time"}
    assert paid["years_experience"].notna().mean() > 0.95
    assert paid["skills"].map(len).gt(0).mean() > 0.9


@pytest.mark.data
def test_real_2024_titles_map_to_their_families(data_file) -> None:
    frame = load(data_file("stackoverflow/so-2024-subset.csv"))
    expected = {
        "Developer, full-stack": "fullstack_engineer",
        "Developer, back-end": "backend_engineer",
        "Developer, front-end": "frontend_engineer",
        "Developer, mobile": "mobile_engineer",
        "Data engineer": "data_engineer",
        "Engineering manager": "manager",
    }
    for title, family in expected.items():
        assert set(frame.loc[frame["role_raw"] == title, "role"]) == {family}, title
    # The subset has no skills columns and no Employment question.
    assert frame["skills"].map(len).eq(0).all()
    assert set(frame["employment_status"]) == {"employed", "unknown"}


@pytest.mark.data
def test_real_2025_sample_has_ml_engineers_with_skills(data_file) -> None:
    frame = load(data_file("stackoverflow/so-2025-sample.csv"))
    ml = frame[frame["role_raw"] == "AI/ML engineer"]

    assert len(ml) > 0
    assert set(ml["role"]) == {"ml_engineer"}
    assert frame["skills"].map(len).gt(0).mean() > 0.8
    assert frame["years_experience"].notna().mean() > 0.95
