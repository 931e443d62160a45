"""Every real aijobs experience level maps to a seniority (the unit tests:
tests/unit/test_taxonomy_seniority.py)."""

from __future__ import annotations

from mlpay_model.data.sources._io import read_table
from mlpay_model.schema import SENIORITY_LEVELS
from mlpay_model.taxonomy import seniority_level, title_seniority


def test_every_aijobs_experience_level_maps(data_file) -> None:
    table = read_table(data_file("aijobs/salaries.csv"))
    levels = table["experience_level"].map(seniority_level)
    assert levels.notna().all()
    assert set(levels) == set(SENIORITY_LEVELS)
    # titles that state a seniority agree with the publisher's level more often than not
    hinted = table.assign(hint=table["job_title"].map(title_seniority), level=levels)
    hinted = hinted[hinted["hint"].isin(["senior", "executive"])]
    assert (hinted["hint"] == hinted["level"]).mean() > 0.5
