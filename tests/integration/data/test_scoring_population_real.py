"""Batch scoring names each row's population on a whole real survey (the unit tests:
tests/unit/test_scoring_population.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlpay_model.scoring import score_file


@pytest.mark.data
@pytest.mark.slow  # reads and scores the whole survey
def test_the_kaggle_survey_is_priced_as_kaggle_not_as_aijobs(tmp_path: Path, data_file, pooled):
    survey = data_file("kaggle/kaggle-survey-2021.zip")
    own = score_file(survey, tmp_path / "own.parquet", model=pooled, source="kaggle")
    forced = score_file(
        survey, tmp_path / "forced.parquet", model=pooled, source="kaggle", population="aijobs"
    )
    assert own.rows_read == forced.rows_read == 25_973  # every row of the survey file
    assert own.rows_by_population == {"kaggle": own.rows_scored}
    assert forced.rows_by_population == {"aijobs": forced.rows_scored}
    assert own.roles_read_as_other > 0  # e.g. students and "Other" titles
    columns = ["country", "salary_usd_low", "salary_usd_high", "pred_median", "population"]
    kaggle = pd.read_parquet(
        tmp_path / "own.parquet", columns=[*columns, "pay_concept", "pay_year"]
    )
    aijobs = pd.read_parquet(tmp_path / "forced.parquet", columns=columns)
    assert (kaggle["population"] == "kaggle").all()
    assert (kaggle["pay_concept"] == "yearly compensation band").all()
    assert (kaggle["pay_year"] == 2021).all()
    assert (aijobs["population"] == "aijobs").all()
    india = kaggle["country"] == "IN"
    in_kaggle = kaggle.loc[india, "pred_median"].median()
    in_aijobs = aijobs.loc[india, "pred_median"].median()
    assert in_kaggle < 0.75 * in_aijobs  # measured: $6,914 against $13,204
    # Priced as its own population, the survey's answers are nearer the pay they report.
    paid = kaggle["salary_usd_low"].notna() & india
    middle = np.log((kaggle["salary_usd_low"] + kaggle["salary_usd_high"]) / 2)[paid]
    own_error = np.abs(np.log(kaggle.loc[paid, "pred_median"]) - middle).median()
    forced_error = np.abs(np.log(aijobs.loc[paid, "pred_median"]) - middle).median()
    assert own_error < forced_error
