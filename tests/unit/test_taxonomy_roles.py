"""Job titles to role families: spot checks and multi-select answers (the real title lists:
tests/integration/data/test_taxonomy_roles_real.py)."""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpay_model.errors import ConfigError
from mlpay_model.schema import ROLE_FAMILIES
from mlpay_model.taxonomy import role_family, role_family_of_list, title_key, unmapped_titles
from mlpay_model.taxonomy._common import load_rules


@pytest.mark.parametrize(
    ("title", "family"),
    [
        # aijobs
        ("Machine Learning Engineer", "ml_engineer"),
        ("AI Engineer", "ml_engineer"),
        ("MLOps Engineer", "ml_engineer"),
        ("Computer Vision Engineer", "ml_engineer"),
        ("Applied Scientist", "research_scientist"),
        ("Research Scientist", "research_scientist"),
        ("Machine Learning Scientist", "research_scientist"),
        ("Data Scientist", "data_scientist"),
        ("AI Data Scientist", "data_scientist"),
        ("Analytics Engineer", "data_engineer"),
        ("Business Intelligence Engineer", "data_analyst"),
        ("Head of Data", "manager"),
        ("Director of Machine Learning", "manager"),
        ("AI Product Manager", "product_manager"),
        ("AI Architect", "architect"),
        ("Engineer", "software_engineer"),
        ("Associate", "other"),
        # Kaggle
        ("Statistician", "data_scientist"),
        ("DBA/Database Engineer", "data_engineer"),
        ("Business Analyst", "data_analyst"),
        ("Product/Project Manager", "product_manager"),
        ("Program/Project Manager", "product_manager"),
        ("Currently not employed", "other"),
        ("Student", "other"),
        # Stack Overflow
        ("Developer, back-end", "backend_engineer"),
        ("Developer, front-end", "frontend_engineer"),
        ("Developer, full-stack", "fullstack_engineer"),
        ("Developer, mobile", "mobile_engineer"),
        ("Developer, embedded applications or devices", "embedded_engineer"),
        ("Developer, QA or test", "qa_engineer"),
        ("Developer, AI", "ml_engineer"),
        ("AI/ML engineer", "ml_engineer"),
        ("Data scientist or machine learning specialist", "data_scientist"),
        ("Machine learning specialist", "ml_engineer"),
        ("Engineer, data", "data_engineer"),
        ("Data or business analyst", "data_analyst"),
        ("Engineering manager", "manager"),
        ("Senior Executive (C-Suite, VP, etc.)", "manager"),
        ("DevOps specialist", "devops_engineer"),
        ("Cloud infrastructure engineer", "devops_engineer"),
        ("Cybersecurity or InfoSec professional", "security_engineer"),
        ("Research & Development role", "research_scientist"),
        ("Academic researcher", "research_scientist"),
        ("Web developer", "fullstack_engineer"),
        # what users type
        ("Senior ML Engineer", "ml_engineer"),
        ("ML engineer", "ml_engineer"),
        ("Machine Learning/ MLops Engineer", "ml_engineer"),
        ("sr. data scientist", "data_scientist"),
        ("SWE", "software_engineer"),
        ("backend developer", "backend_engineer"),
        ("  MACHINE   learning ENGINEER ", "ml_engineer"),
    ],
)
def test_role_family_maps_known_titles(title: str, family: str) -> None:
    assert role_family(title) == family


def test_ml_engineers_stay_distinct_from_neighbouring_roles() -> None:
    neighbours = {
        "Data Scientist": "data_scientist",
        "Research Scientist": "research_scientist",
        "Data Engineer": "data_engineer",
        "Data Analyst": "data_analyst",
        "Software Engineer": "software_engineer",
        "Developer, back-end": "backend_engineer",
        "Machine Learning Manager": "manager",
    }
    assert role_family("Machine Learning Engineer") == "ml_engineer"
    assert {title: role_family(title) for title in neighbours} == neighbours


def test_every_family_is_reachable() -> None:
    examples = [
        "ML Engineer", "Data Scientist", "Research Scientist", "Data Engineer", "Data Analyst",
        "Software Engineer", "Backend Engineer", "Frontend Engineer", "Full Stack Engineer",
        "iOS Developer", "Firmware Engineer", "SRE", "QA Engineer", "Security Engineer",
        "Solutions Architect", "Engineering Manager", "Product Owner", "Student",
    ]  # fmt: skip
    assert {role_family(title) for title in examples} == set(ROLE_FAMILIES)


@pytest.mark.parametrize("missing", [None, math.nan, pd.NA, "", "   ", "NA"])
def test_missing_title_is_other(missing: object) -> None:
    assert role_family(missing) == "other"


@given(st.one_of(st.text(max_size=60), st.integers(), st.floats(), st.none()))
@settings(max_examples=200, deadline=None)
def test_role_family_never_raises_and_returns_a_family(value: object) -> None:
    assert role_family(value) in ROLE_FAMILIES


@pytest.mark.parametrize(
    ("answer", "family"),
    [
        ("Web developer; Machine learning specialist", "ml_engineer"),
        ("Machine learning specialist; Data scientist", "ml_engineer"),
        ("Web developer; Data scientist", "data_scientist"),
        # a side duty ticked by many web developers does not make a data engineer
        ("Web developer; Database administrator; Systems administrator", "fullstack_engineer"),
        ("Other; Mobile developer", "mobile_engineer"),
        ("Other", "other"),
        ("NA", "other"),
        (["Developer, back-end", "Engineering manager"], "manager"),
        ([], "other"),
        (None, "other"),
        (math.nan, "other"),
    ],
)
def test_role_family_of_list_picks_the_priority_family(answer: object, family: str) -> None:
    assert role_family_of_list(answer) == family  # type: ignore[arg-type]


def test_unmapped_titles_counts_only_titles_mapped_to_other() -> None:
    titles = ["Associate", "Associate", "Data Scientist", None, "Wizard", "NA"]
    assert unmapped_titles(titles) == Counter({"Associate": 2, "Wizard": 1})


def test_a_rule_with_an_unknown_family_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"'wizard'.*expected one of ml_engineer"):
        load_rules(
            [{"family": "wizard", "patterns": ["x"]}],
            field="family",
            allowed=ROLE_FAMILIES,
            where="roles.yaml",
        )


def test_title_keys_leave_seniority_out_and_spell_ml_out():
    assert title_key("Sr. ML Engineer") == title_key("Machine Learning Engineer")
    assert title_key("Senior Research Engineer") == "research engineer"
    assert title_key("Head of Data") == "head of data"
    assert title_key("  ") is None and title_key(None) is None and title_key("Senior") is None
