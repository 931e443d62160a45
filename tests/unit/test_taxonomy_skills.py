"""Skill answers to canonical tokens: aliases, non-answers and slugs (the real option lists:
tests/integration/data/test_taxonomy_skills_real.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpay_model.taxonomy import canonical_skill, canonical_skills


@pytest.mark.parametrize(
    ("token", "skill"),
    [
        (" Python", "python"),
        ("Scikit-learn ", "scikit-learn"),
        ("  TensorFlow ", "tensorflow"),
        ("PyTorch", "pytorch"),
        ("Xgboost", "xgboost"),
        ("Fast.ai", "fastai"),
        ("Amazon Web Services (AWS)", "aws"),
        ("Google Cloud Platform (GCP)", "gcp"),
        ("Google Cloud", "gcp"),
        ("Microsoft Azure", "azure"),
        ("Spark MLib", "spark"),
        ("Bash/Shell (all shells)", "bash"),
        ("Bash/Shell/PowerShell", "bash"),
        ("PowerShell", "powershell"),
        ("C#", "csharp"),
        ("C++", "cpp"),
        ("C", "c"),
        ("Go", "go"),
        ("golang", "go"),
        ("JavaScript", "javascript"),
        ("Javascript", "javascript"),
        ("HTML/CSS", "html-css"),
        ("R", "r"),
        ("sklearn", "scikit-learn"),
        ("Node.js", "nodejs"),
        ("Angular", "angular"),
        ("AngularJS", "angularjs"),
        ("Maven (build tool)", "maven-build-tool"),  # unknown -> slug, not dropped
        ("Some New Tool", "some-new-tool"),
    ],
)
def test_canonical_skill_maps_aliases(token: str, skill: str) -> None:
    assert canonical_skill(token) == skill


@pytest.mark.parametrize(
    "token", ["None", "Other", "None of the above", "NA", " ", None, math.nan, pd.NA, "---"]
)
def test_non_answers_give_none(token: object) -> None:
    assert canonical_skill(token) is None


def test_canonical_skills_is_sorted_unique_and_drops_non_answers() -> None:
    assert canonical_skills([" Python", "python", "SQL", None, "None", "C++"]) == (
        "cpp",
        "python",
        "sql",
    )
    assert canonical_skills("Python;SQL;Go") == ("go", "python", "sql")
    assert canonical_skills("NA") == ()
    assert canonical_skills(None) == ()
    assert canonical_skills(math.nan) == ()


@given(st.lists(st.one_of(st.text(max_size=20), st.none(), st.floats()), max_size=8))
@settings(max_examples=200, deadline=None)
def test_canonical_skills_never_raises_and_is_canonical(tokens: list[object]) -> None:
    skills = canonical_skills(tokens)
    assert list(skills) == sorted(set(skills))
    # case-folded as the normaliser folds (casefold, not lower: they differ, e.g. for Cherokee)
    assert all(skill and skill == skill.strip().casefold() for skill in skills)
