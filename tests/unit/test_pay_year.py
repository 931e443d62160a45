"""The pay year of every prediction (issue 9 item 6): the default, an explicit year, the notes.

Small real artifacts are trained here on the inline frame of `artifact_factory` with pay that
rises 8% a year, written by `training.export.write_artifact` with the `pay_years` training
writes: a pooled one (`source` a feature; aijobs rows 2022-2024, kaggle rows 2019 and 2021),
a single-source one, and one without a year feature.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from artifact_factory import _fit, canonical_frame

from mlpay_model.cli import main
from mlpay_model.errors import ArtifactError
from mlpay_model.model import SalaryModel, load_model
from mlpay_model.model.artifact import read_manifest
from mlpay_model.model.features import FeatureEncoder, FeatureSpec
from mlpay_model.model.pay_year import (
    PayYears,
    manifest_pay_years,
    pay_years_of_rows,
    years_text,
)
from mlpay_model.predict import predict_salary
from mlpay_model.scoring import score_file
from training.export import write_artifact

YEARS_BY_SOURCE = {"aijobs": (2022, 2023, 2024), "kaggle": (2019, 2021)}
RISE = 1.08  # pay per year


def _build(directory: Path, *, pooled: bool, with_year: bool = True) -> Path:
    profiles = canonical_frame(900, seed=3)
    rng = np.random.default_rng(5)
    sources = np.where(np.arange(len(profiles)) % 2 == 0, "aijobs", "kaggle")
    if not pooled:
        sources[:] = "aijobs"
    years = np.array([rng.choice(YEARS_BY_SOURCE[source]) for source in sources])
    profiles = profiles.assign(
        source=sources,
        year=pd.array(years, dtype="Int64"),
        salary_usd=profiles["salary_usd"] * RISE ** (years - 2019),
    )
    features = ["role", "country", "years_experience", "seniority"]
    features += ["year"] if with_year else []
    features += ["source"] if pooled else []
    spec = FeatureSpec.fit(profiles, features)
    matrix = FeatureEncoder(spec).encode_frame(profiles)
    target = np.log(profiles["salary_usd"].to_numpy(dtype="float64"))
    quantiles = {"median": 0.5, "low": 0.1, "high": 0.9}
    name = directory.name
    return write_artifact(
        directory,
        name=name,
        version="1",
        spec=spec,
        boosters={head: _fit(matrix, target, spec, q, 60, 0) for head, q in quantiles.items()},
        quantiles=quantiles,
        calibration={"method": "conformal_quantile", "target_coverage": 0.8, "adjustment": 0.0},
        metrics={},
        data=[
            {"source": source, "file": f"{source}.csv", "sha256": "", "years": list(years)}
            for source, years in YEARS_BY_SOURCE.items()
            if pooled or source == "aijobs"
        ],
        config={
            "model": {"name": name, "version": "1"},
            "features": features,
            "population": "aijobs",
        },
        pay_years=pay_years_of_rows(profiles),
    )


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SalaryModel]:
    root = tmp_path_factory.mktemp("pay-year-models")
    folders = {
        "pooled": _build(root / "pooled_years", pooled=True),
        "single": _build(root / "single_years", pooled=False),
        "no_year": _build(root / "no_year", pooled=False, with_year=False),
    }
    return {kind: load_model(folder) for kind, folder in folders.items()}


# --- which years a model learned from ---------------------------------------------------


def test_training_writes_the_pay_years_of_each_source(models: dict[str, SalaryModel]) -> None:
    manifest = read_manifest(models["pooled"].path)
    assert manifest["pay_years"] == {"aijobs": [2022, 2023, 2024], "kaggle": [2019, 2021]}


def test_a_manifest_without_pay_years_reads_the_data_years() -> None:
    data = [
        {"source": "stackoverflow", "years": [2017]},
        {"source": "stackoverflow", "years": [2024]},
        {"source": "stackoverflow", "years": [2025]},
    ]
    grouped = {"data": data, "config": {"split": {"method": "grouped"}}}
    assert manifest_pay_years(grouped) == {"stackoverflow": (2017, 2024, 2025)}
    temporal = {"data": data, "config": {"split": {"method": "temporal"}}}
    assert manifest_pay_years(temporal) == {"stackoverflow": (2017, 2024)}  # 2025 was test
    from_2024 = {"data": data, "config": {"split": {"method": "temporal", "test_from_year": 2024}}}
    assert manifest_pay_years(from_2024) == {"stackoverflow": (2017,)}
    written = {**grouped, "pay_years": {"stackoverflow": [2024, 2017]}}
    assert manifest_pay_years(written) == {"stackoverflow": (2017, 2024)}


def test_a_manifest_with_malformed_pay_years_is_refused(models: dict[str, SalaryModel]) -> None:
    from mlpay_model.model.artifact import validate_manifest

    manifest = dict(models["single"].manifest, pay_years={"aijobs": ["2024"]})
    with pytest.raises(ArtifactError, match=r"pay_years\.aijobs must be a list of years"):
        validate_manifest(manifest, Path("manifest.json"))


def test_default_is_the_latest_year_of_each_population() -> None:
    manifest = {"name": "m", "pay_years": {"aijobs": [2020, 2024], "kaggle": [2019, 2021]}}
    pooled = PayYears.of_model(manifest, ("aijobs", "kaggle"), "aijobs", pooled=True)
    assert (pooled.default(), pooled.default("kaggle"), pooled.default("aijobs")) == (
        2024,
        2021,
        2024,
    )
    assert pooled.default("unknown_source") == 2024  # the default population's
    mixed = PayYears.of_model(manifest, ("aijobs", "kaggle"), "aijobs", pooled=False)
    assert mixed.default("kaggle") == 2024  # it cannot tell its sources apart: all its years
    assert PayYears.of_model({"name": "m"}, ("x",), "x", pooled=False).default() is None


def test_the_out_of_range_note_names_the_year_the_trees_hold() -> None:
    years = PayYears.of_model(
        {"name": "m", "pay_years": {"a": [2020, 2021, 2024]}}, ("a",), "a", pooled=False
    )
    assert years.out_of_range_note(2021) is None
    assert years.out_of_range_note(2022) is None  # between pay years: not an extrapolation
    after = years.out_of_range_note(2027)
    assert after is not None and "2027 is past" in after and "2020-2021, 2024" in after
    assert "priced at the 2024 level" in after
    before = years.out_of_range_note(2015)
    assert before is not None and "before" in before and "priced at the 2020 level" in before
    assert "\n" not in after + before


def test_years_text_joins_runs() -> None:
    assert years_text((2017, 2024, 2025)) == "2017, 2024-2025"
    assert years_text((2019,)) == "2019"
    assert years_text(()) == ""


# --- predict_salary -------------------------------------------------------------------------


def _predict(model: SalaryModel, **arguments: Any) -> Any:
    return predict_salary("ML Engineer", "US", years_experience=5, model=model, **arguments)


def test_without_a_year_the_latest_pay_year_is_priced_and_stated(
    models: dict[str, SalaryModel],
) -> None:
    model = models["single"]
    defaulted = _predict(model)
    latest = _predict(model, year=2024)
    earliest = _predict(model, year=2022)
    assert (defaulted.pay_year, defaulted.pay_year_defaulted) == (2024, True)
    assert defaulted.median == latest.median and defaulted.low == latest.low
    assert earliest.median < latest.median  # pay rose: the default is not an average
    assert defaulted.profile["year"] == 2024
    assert defaulted.to_dict()["pay_year"] == 2024
    assert defaulted.to_dict()["pay_year_defaulted"] is True
    assert not any("year" in warning for warning in defaulted.warnings)


def test_an_explicit_year_wins(models: dict[str, SalaryModel]) -> None:
    given = _predict(models["single"], year="2023")
    assert (given.pay_year, given.pay_year_defaulted) == (2023, False)
    assert given.warnings == _predict(models["single"]).warnings


def test_a_year_past_the_data_is_priced_and_warned_about_once(
    models: dict[str, SalaryModel],
) -> None:
    model = models["single"]
    future = _predict(model, year=2030)
    notes = [warning for warning in future.warnings if "2030" in warning]
    assert len(notes) == 1 and "past" in notes[0] and "2024" in notes[0]
    assert future.pay_year == 2030 and not future.pay_year_defaulted
    assert future.median == _predict(model, year=2024).median  # the trees hold 2024


def test_a_pooled_model_defaults_each_population_to_its_own_latest_year(
    models: dict[str, SalaryModel],
) -> None:
    model = models["pooled"]
    aijobs = _predict(model)
    kaggle = _predict(model, population="kaggle")
    assert (aijobs.population, aijobs.pay_year) == ("aijobs", 2024)
    assert (kaggle.population, kaggle.pay_year) == ("kaggle", 2021)
    assert kaggle.median == _predict(model, population="kaggle", year=2021).median
    by_source = {figure.source: figure for figure in aijobs.by_source}
    assert by_source["kaggle"].pay_year == 2021 and by_source["aijobs"].pay_year == 2024
    assert by_source["kaggle"].median == kaggle.median
    given = {figure.source: figure.pay_year for figure in _predict(model, year=2023).by_source}
    assert given == {"aijobs": 2023, "kaggle": 2023}
    kaggle_note = _predict(model, population="kaggle", year=2023).warnings
    assert any("2023 is past" in note and "2019, 2021" in note for note in kaggle_note)


def test_a_model_without_a_year_feature_states_the_latest_year_of_its_data(
    models: dict[str, SalaryModel],
) -> None:
    model = models["no_year"]
    prediction = _predict(model)
    assert (prediction.pay_year, prediction.pay_year_defaulted) == (2024, True)
    assert any(
        "no year feature" in warning and "2022-2024" in warning for warning in prediction.warnings
    )
    given = _predict(model, year=2022)
    assert given.pay_year == 2024 and given.pay_year_defaulted  # the year is not read
    assert any(warning.startswith("year is ignored") for warning in given.warnings)
    assert given.median == prediction.median


def test_frames_are_priced_like_one_profile(models: dict[str, SalaryModel]) -> None:
    model = models["pooled"]
    frame = pd.DataFrame(
        {
            "role": ["ml_engineer"] * 3,
            "country": ["US"] * 3,
            "years_experience": [5.0] * 3,
            "source": ["aijobs", "kaggle", "kaggle"],
            "year": [None, None, 2019],
        }
    )
    predicted = model.predict(frame)["median"].tolist()
    assert predicted[0] == _predict(model).median
    assert predicted[1] == _predict(model, population="kaggle").median
    assert predicted[2] == _predict(model, population="kaggle", year=2019).median
    assert model.default_pay_years(frame).tolist() == [2024.0, 2021.0, 2019.0]


# --- the doors: CLI, scoring, pyfunc -----------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], model: SalaryModel, *extra: str) -> str:
    argv = ["predict", "--role", "ML Engineer", "--country", "US", "--model", str(model.path)]
    assert main([*argv, *extra]) == 0
    return capsys.readouterr().out


def test_the_cli_shows_the_pay_year(
    models: dict[str, SalaryModel], capsys: pytest.CaptureFixture[str]
) -> None:
    text = _cli(capsys, models["single"])
    lines = text.splitlines()
    assert lines[2].strip().startswith("pay year 2024 (the latest in the model's data")
    assert "pay year 2023 (as given)" in _cli(capsys, models["single"], "--year", "2023")
    answer = json.loads(_cli(capsys, models["single"], "--json", "--year", "2031"))
    assert (answer["pay_year"], answer["pay_year_defaulted"]) == (2031, False)
    assert sum("2031 is past" in warning for warning in answer["warnings"]) == 1


def test_scoring_defaults_and_counts_the_rows_without_a_year(
    models: dict[str, SalaryModel], tmp_path: Path
) -> None:
    model = models["pooled"]
    rows = pd.DataFrame(
        {
            "role": ["ML Engineer", "ML Engineer", "Data Scientist", "ML Engineer"],
            "country": ["US", "US", "DE", "US"],
            "years_experience": ["5", "5", "3", "5"],
            "year": ["", "2024", "", "2022"],
        }
    )
    source = tmp_path / "profiles.csv"
    rows.to_csv(source, index=False)
    summary = score_file(source, tmp_path / "scored.csv", model=str(model.path))
    assert summary.missing_by_field == {"year defaulted to 2024": 2}
    assert "rows without a year priced at the latest pay year of the data: 2024 (2 rows)" in (
        summary.render()
    )
    assert "(as unknown)" not in summary.render()
    scored = pd.read_csv(tmp_path / "scored.csv")
    assert scored["pred_median"][0] == pytest.approx(scored["pred_median"][1], rel=1e-12)
    assert scored["pred_median"][3] < scored["pred_median"][1]

    no_column = tmp_path / "no_year.csv"
    rows.drop(columns="year").to_csv(no_column, index=False)
    counted = score_file(no_column, tmp_path / "scored2.csv", model=str(model.path))
    assert counted.missing_by_field == {"year defaulted to 2024": 4}


def test_the_pyfunc_returns_the_pay_year(models: dict[str, SalaryModel]) -> None:
    pytest.importorskip("mlflow")
    from training.pyfunc import ARTIFACT_KEY, SalaryPyfunc

    pyfunc = SalaryPyfunc()
    pyfunc.load_context(SimpleNamespace(artifacts={ARTIFACT_KEY: str(models["pooled"].path)}))
    frame = pd.DataFrame(
        {
            "role": ["ML Engineer"] * 3,
            "country": ["US"] * 3,
            "source": [None, "kaggle", None],
            "year": [None, None, 2023],
        }
    )
    out = pyfunc.predict(None, frame)
    assert out["pay_year"].tolist() == [2024.0, 2021.0, 2023.0]
