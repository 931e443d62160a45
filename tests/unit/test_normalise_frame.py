"""Whole tables: `normalise_frame` (mlpay_model.normalise._frame)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlpay_model.errors import InvalidInputError
from mlpay_model.normalise import (
    FrameCache,
    normalise_frame,
)
from mlpay_model.schema import PROFILE_COLUMNS


def test_a_frame_keeps_good_rows_and_gives_one_reason_per_bad_row():
    frame = pd.DataFrame(
        {
            "role": ["Senior Data Scientist", "", "ML Engineer", "Data Analyst", "Analyst"],
            "country": ["Germany", "US", "Narnia", None, "fr"],
            "years_experience": [3, 2, 4, "five", "1-2 years"],
            "skills": ["python;sql", ["PyTorch"], None, (), "excel"],
        },
        index=[10, 11, 12, 13, 14],
    )
    result = normalise_frame(frame)
    assert list(result.profiles.index) == [10, 14]
    assert list(result.profiles.columns) == list(PROFILE_COLUMNS)
    first = result.profiles.loc[10]
    assert (first["role"], first["country"], first["seniority"]) == (
        "data_scientist",
        "DE",
        "senior",
    )
    assert first["skills"] == ("python", "sql") and first["role_raw"] == "Senior Data Scientist"
    assert result.profiles.loc[14, "years_experience"] == 1.5
    reasons = result.rejected.set_index("row")
    assert list(reasons.index) == [11, 12, 13]
    assert reasons.loc[11, "field"] == "role" and "empty" in reasons.loc[11, "reason"]
    assert reasons.loc[12, "field"] == "country" and reasons.loc[12, "value"] == "Narnia"
    assert reasons.loc[13, "field"] == "country" and "required" in reasons.loc[13, "reason"]


def test_a_frame_without_required_columns_is_refused():
    with pytest.raises(InvalidInputError, match="missing required column"):
        normalise_frame(pd.DataFrame({"role": ["x"]}))


def test_a_frame_can_make_country_optional():
    result = normalise_frame(pd.DataFrame({"role": ["Data Engineer"]}), required=("role",))
    assert result.rejected.empty and result.profiles["country"].isna().all()


def test_rows_with_the_same_index_label_are_judged_one_by_one():
    frame = pd.DataFrame(
        {"role": ["Data Engineer", "Data Engineer"], "country": ["Narnia", "DE"]}, index=[7, 7]
    )
    result = normalise_frame(frame)
    assert list(result.profiles["country"]) == ["DE"]
    assert result.rejected.to_dict("records") == [
        {
            "row": 7,
            "field": "country",
            "value": "Narnia",
            "reason": "unknown country",
        }
    ]


def test_skills_as_text_become_sorted_canonical_tuples_and_missing_cells_no_skills():
    frame = pd.DataFrame(
        {
            "role": ["ML Engineer"] * 4,
            "country": ["DE"] * 4,
            "skills": ["PyTorch; python,SQL", "sql;Python;python", None, ""],
        }
    )
    skills = normalise_frame(frame).profiles["skills"].tolist()
    assert skills == [("python", "pytorch", "sql"), ("python", "sql"), (), ()]


def test_lists_of_skills_are_normalised_and_a_non_text_skill_is_a_reject():
    frame = pd.DataFrame(
        {
            "role": ["ML Engineer", "Data Scientist", "Analyst"],
            "country": ["DE", "US", "FR"],
            "skills": [np.array(["Python", "SQL"], dtype=object), ["AWS", "aws"], ["python", 3]],
        }
    )
    result = normalise_frame(frame)
    assert result.profiles["skills"].tolist() == [("python", "sql"), ("aws",)]
    assert result.rejected[["row", "field"]].to_dict("records") == [{"row": 2, "field": "skills"}]


def test_a_cache_remembers_values_from_chunk_to_chunk(monkeypatch):
    from mlpay_model.normalise import _frame

    calls: list[object] = []
    original = _frame._FIELD_VALUE["country"]
    monkeypatch.setitem(
        _frame._FIELD_VALUE, "country", lambda value: calls.append(value) or original(value)
    )
    cache = FrameCache()
    chunk = pd.DataFrame({"role": ["Data Engineer"] * 3, "country": ["Germany", "DE", "Germany"]})
    first = normalise_frame(chunk, cache=cache)
    second = normalise_frame(chunk.assign(country=["DE", "France", "Narnia"]), cache=cache)
    assert calls == ["Germany", "DE", "France", "Narnia"]  # each distinct value once per run
    assert first.profiles["country"].tolist() == ["DE", "DE", "DE"]
    assert second.profiles["country"].tolist() == ["DE", "FR"]
    assert second.rejected["row"].tolist() == [2]
    normalise_frame(chunk)  # without a cache nothing is remembered
    assert calls[-2:] == ["Germany", "DE"]


def test_a_row_is_rejected_for_its_first_bad_field_in_field_order():
    frame = pd.DataFrame(
        {
            "year": ["1800", "2024"],
            "role": ["ML Engineer", None],
            "country": ["Narnia", "DE"],
            "remote_ratio": ["150", " 40 % "],
        }
    )
    result = normalise_frame(frame)
    assert result.rejected[["row", "field"]].to_dict("records") == [
        {"row": 1, "field": "role"},  # field by field (FRAME_FIELDS order), then by row
        {"row": 0, "field": "country"},  # its year is bad too: only the first field counts
    ]
    assert result.rejected["reason"].tolist()[0] == "is required but missing"


def test_a_given_seniority_wins_and_the_title_fills_the_gaps():
    frame = pd.DataFrame(
        {
            "role": ["Senior Data Scientist", "Junior Analyst", "Engineer"],
            "country": ["DE"] * 3,
            "seniority": ["mid", None, None],
        }
    )
    seniority = normalise_frame(frame).profiles["seniority"].tolist()
    assert seniority == ["mid", "entry", None]


def test_employment_status_is_read_and_missing_is_unknown():
    frame = pd.DataFrame(
        {
            "role": ["Analyst"] * 3,
            "country": ["DE"] * 3,
            "employment_status": ["self-employed", None, "Unemployed"],
        }
    )
    statuses = normalise_frame(frame).profiles["employment_status"].tolist()
    assert statuses == ["self_employed", "unknown", "not_employed"]


@pytest.mark.parametrize("with_plus_or_slash", [False, True])
def test_skills_texts_split_as_one_profile_splits_them(with_plus_or_slash: bool):
    """A frame without "+" or "/" in its skills texts takes a faster split: same skills."""
    from mlpay_model.normalise import normalise_skills

    texts = ["Python, SQL", "sql;;python", " , ;Docker", "", None, "R,r"]
    if with_plus_or_slash:
        texts += ["C++;Python", "python / sql", "CI/CD, Go + Rust"]
    frame = pd.DataFrame({"role": ["data scientist"] * len(texts), "country": "US"})
    frame["skills"] = pd.Series(texts, dtype="str")
    skills = normalise_frame(frame).profiles["skills"].tolist()
    assert skills == [normalise_skills(text) if text else () for text in texts]


def test_a_control_character_rejects_its_row_in_every_column_kind():
    """Roles go through the per-value path, skills texts through the per-name fast path: both
    refuse the row, naming the character, where they used to drop it."""
    frame = pd.DataFrame(
        {
            "role": ["ML Engineer", "ML\x01Engineer", "Data Scientist", "Data Scientist"],
            "country": "US",
            "skills": pd.Series(["python", "python", "sql,py\x02thon", "sql"], dtype="str"),
        }
    )
    result = normalise_frame(frame)
    assert list(result.profiles.index) == [0, 3]
    reasons = result.rejected.set_index("row")
    assert reasons.loc[1, "field"] == "role" and reasons.loc[1, "value"] == "ML\x01Engineer"
    assert reasons.loc[2, "field"] == "skills" and reasons.loc[2, "value"] == "sql,py\x02thon"
    reason = reasons.loc[2, "reason"]
    assert "the skill 'py\\x02thon' contains the control character '\\x02'" in reason
    assert result.profiles.loc[3, "skills"] == ("sql",)
