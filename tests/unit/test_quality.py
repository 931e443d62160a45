from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlpay_model.data.quality import QualityRules, apply_quality_rules, pay_point
from mlpay_model.errors import ConfigError
from mlpay_model.schema import conform

NAN = math.nan


def profiles(rows: list[dict]) -> pd.DataFrame:
    """A canonical frame; unspecified fields default to an employed US data scientist."""
    defaults = {
        "role": "data_scientist",
        "country": "US",
        "employment_status": "employed",
        "source": "test",
    }
    frame = pd.DataFrame([{**defaults, **row} for row in rows])
    frame["row_number"] = range(1, len(frame) + 1)
    return conform(frame)


def typical_cell(n: int = 40, centre: float = 100_000.0) -> list[dict]:
    """n employed people whose pay spreads evenly over about +-20 % around `centre`."""
    return [{"salary_usd": centre * (0.8 + 0.4 * i / (n - 1))} for i in range(n)]


NO_OUTLIERS = QualityRules(drop_outliers=False)


def test_each_row_is_counted_under_the_first_rule_that_drops_it() -> None:
    frame = profiles(
        [
            {"salary_usd": 50_000.0},
            {"salary_usd": NAN, "employment_status": "student"},  # no pay AND student
            {"salary_usd": 50_000.0, "employment_status": "student"},
            {"salary_usd": 50_000.0, "employment_status": "not_employed"},
            {"salary_usd": 50_000.0, "employment_status": "retired"},
            {"salary_usd": 50_000.0, "employment_type": "part_time"},
            {"salary_usd": 500.0, "employment_type": "freelance"},  # type before pay
            {"salary_usd": 500.0},
        ]
    )
    result = apply_quality_rules(frame, NO_OUTLIERS)
    assert result.reasons.tolist() == [
        None,
        "no_pay",
        "student",
        "not_employed",
        "retired",
        "employment_type",
        "employment_type",
        "implausible_pay",
    ]
    assert result.dropped == {
        "no_pay": 1,
        "not_employed": 1,
        "student": 1,
        "retired": 1,
        "employment_type": 2,
        "implausible_pay": 1,
    }
    assert result.rows_kept == 1
    assert result.rows_kept + sum(result.dropped.values()) == result.rows_read == len(frame)


def test_employment_types_kept_by_default_and_configurable() -> None:
    types = ["full_time", "contract", "part_time", "freelance", None]
    frame = profiles([{"salary_usd": 60_000.0, "employment_type": t} for t in types])
    default = apply_quality_rules(frame, NO_OUTLIERS)
    # Sources that do not say (None) are kept: Kaggle never asks.
    assert default.kept["employment_type"].tolist() == ["full_time", "contract", None]
    only_full_time = QualityRules(drop_outliers=False, kept_employment_types=("full_time",))
    assert apply_quality_rules(frame, only_full_time).dropped["employment_type"] == 3


def test_statuses_to_drop_are_configurable() -> None:
    frame = profiles(
        [
            {"salary_usd": 60_000.0, "employment_status": "self_employed"},
            {"salary_usd": 60_000.0, "employment_status": "student"},
        ]
    )
    rules = QualityRules(drop_outliers=False, dropped_statuses=("self_employed",))
    result = apply_quality_rules(frame, rules)
    assert result.dropped["self_employed"] == 1
    assert "student" not in result.dropped
    assert result.kept["employment_status"].tolist() == ["student"]


@pytest.mark.parametrize(
    ("pay", "source", "kept"),
    [
        ({"salary_usd": 9_999.0}, "aijobs", False),
        ({"salary_usd": 10_000.0}, "aijobs", True),
        ({"salary_usd": 999_999.0}, "aijobs", True),
        ({"salary_usd": 1_000_000.0}, "stackoverflow", False),
        ({"salary_usd": 999.0}, "stackoverflow", False),
        ({"salary_usd": 1_000.0}, "stackoverflow", True),
        ({"salary_usd_low": 0.0, "salary_usd_high": 999.0}, "kaggle", False),
        ({"salary_usd_low": 1_000.0, "salary_usd_high": 1_999.0}, "kaggle", True),
        ({"salary_usd_low": 500_000.0, "salary_usd_high": 999_999.0}, "kaggle", True),
        ({"salary_usd_low": 1_000_000.0, "salary_usd_high": 2_000_000.0}, "kaggle", False),
    ],
)
def test_pay_bounds_per_source(pay: dict, source: str, kept: bool) -> None:
    rules = QualityRules.for_source(source)
    result = apply_quality_rules(profiles([pay]), rules)
    assert result.rows_kept == int(kept)
    assert result.dropped["implausible_pay"] == int(not kept)


def test_outliers_are_far_from_their_role_country_cell() -> None:
    cell = typical_cell(40, centre=100_000.0)
    frame = profiles([*cell, {"salary_usd": 600_000.0}, {"salary_usd": 15_000.0}])
    result = apply_quality_rules(frame, QualityRules())
    assert result.dropped["outlier"] == 2
    assert result.reasons.tolist()[-2:] == ["outlier", "outlier"]
    assert result.rows_kept == 40


def test_pay_normal_in_its_own_cell_is_not_an_outlier_elsewhere() -> None:
    us = typical_cell(40, centre=150_000.0)
    india = [{**row, "country": "IN"} for row in typical_cell(30, centre=12_000.0)]
    frame = profiles([*us, *india])
    assert apply_quality_rules(frame, QualityRules()).dropped["outlier"] == 0
    # In the US majority's cell the same pay would be outliers: the cells make it normal.
    pooled = profiles([*us, *[{**row, "country": "US"} for row in india]])
    assert apply_quality_rules(pooled, QualityRules()).dropped["outlier"] == len(india)


def test_small_cells_fall_back_to_the_country() -> None:
    engineers = [{**row, "role": "ml_engineer"} for row in typical_cell(40)]
    lone_manager = {"role": "manager", "salary_usd": 900_000.0}
    frame = profiles([*engineers, lone_manager])
    # The manager's own cell has 1 row; against the US (all 41 rows) 900k is far out.
    assert apply_quality_rules(frame, QualityRules()).reasons.tolist()[-1] == "outlier"


def test_rows_without_a_country_are_compared_with_everyone() -> None:
    frame = profiles([*typical_cell(40), {"country": None, "salary_usd": 900_000.0}])
    assert apply_quality_rules(frame, QualityRules()).reasons.tolist()[-1] == "outlier"


def test_rows_of_a_rare_country_are_not_judged_against_other_countries() -> None:
    few_in_nigeria = [
        {"country": "NG", "salary_usd": 12_000.0},
        {"country": "NG", "salary_usd": 900_000.0},
    ]
    result = apply_quality_rules(profiles([*typical_cell(40), *few_in_nigeria]), QualityRules())
    assert result.dropped["outlier"] == 0


def test_outlier_rule_can_be_switched_off_and_tuned() -> None:
    frame = profiles([*typical_cell(40), {"salary_usd": 600_000.0}])
    assert "outlier" not in apply_quality_rules(frame, NO_OUTLIERS).dropped
    lenient = QualityRules(outlier_robust_sds=50.0)
    assert apply_quality_rules(frame, lenient).dropped["outlier"] == 0


def test_pay_point_is_exact_pay_or_band_geometric_midpoint() -> None:
    frame = profiles(
        [
            {"salary_usd": 70_000.0},
            {"salary_usd_low": 10_000.0, "salary_usd_high": 40_000.0},
            {"salary_usd_low": 0.0, "salary_usd_high": 999.0},
            {},
        ]
    )
    point = pay_point(frame)
    assert point[:3].tolist() == [70_000.0, 20_000.0, 499.5]
    assert np.isnan(point[3])


def test_exact_duplicates_kept_and_flagged_by_default() -> None:
    row = {"salary_usd": 120_000.0, "role_raw": "Data Scientist", "year": 2024}
    frame = profiles([row, row, row, {**row, "salary_usd": 121_000.0}])
    kept = apply_quality_rules(frame, NO_OUTLIERS)
    assert kept.rows_kept == 4
    assert kept.flagged["exact_duplicate"] == 2  # rows 2 and 3 repeat row 1
    assert "exact_duplicate" not in kept.dropped

    rules = QualityRules(drop_outliers=False, drop_exact_duplicates=True)
    deduplicated = apply_quality_rules(frame, rules)
    assert deduplicated.dropped["exact_duplicate"] == 2
    assert deduplicated.kept["row_number"].tolist() == [1, 4]  # the first copy stays


def test_duplicates_of_dropped_rows_do_not_count() -> None:
    row = {"salary_usd": 120_000.0, "employment_status": "student"}
    result = apply_quality_rules(profiles([row, row]), QualityRules(drop_exact_duplicates=True))
    assert result.dropped["student"] == 2
    assert result.dropped["exact_duplicate"] == 0


def test_kept_rows_keep_their_index_and_reasons_align() -> None:
    frame = profiles([{"salary_usd": 50_000.0}, {"salary_usd": NAN}, {"salary_usd": 51_000.0}])
    frame.index = [10, 10, 30]  # not unique on purpose
    result = apply_quality_rules(frame, NO_OUTLIERS)
    assert result.kept.index.tolist() == [10, 30]
    assert result.reasons.index.tolist() == [10, 10, 30]


def test_unknown_employment_status_is_flagged_not_dropped() -> None:
    frame = profiles([{"salary_usd": 50_000.0, "employment_status": "unknown"}])
    result = apply_quality_rules(frame, NO_OUTLIERS)
    assert result.rows_kept == 1
    assert result.flagged["unknown_employment_status"] == 1


def test_rules_from_yaml_lists_become_tuples_and_bad_values_are_config_errors() -> None:
    rules = QualityRules(dropped_statuses=["student"], kept_employment_types=["full_time"])
    assert rules.dropped_statuses == ("student",)
    assert hash(rules) == hash(QualityRules(("student",), ("full_time",)))
    with pytest.raises(ConfigError, match="did you mean student"):
        QualityRules(dropped_statuses=("students",))
    with pytest.raises(ConfigError, match="kept_employment_types has 'fulltime'"):
        QualityRules(kept_employment_types=("fulltime",))
    with pytest.raises(ConfigError, match="min_pay_usd < max_pay_usd"):
        QualityRules(min_pay_usd=5_000.0, max_pay_usd=1_000.0)
    with pytest.raises(ConfigError, match="outlier_robust_sds"):
        QualityRules(outlier_robust_sds=0.0)
    with pytest.raises(ConfigError, match="outlier_min_cell_rows"):
        QualityRules(outlier_min_cell_rows=0)


def test_defaults_per_source() -> None:
    assert QualityRules.for_source("aijobs").min_pay_usd == 10_000.0
    assert QualityRules.for_source("kaggle").min_pay_usd == 1_000.0
    assert QualityRules.for_source("stackoverflow").max_pay_usd == 1_000_000.0
    assert QualityRules.for_source("csv").drop_exact_duplicates is False
    with pytest.raises(ConfigError, match="unknown source 'glassdoor'"):
        QualityRules.for_source("glassdoor")
