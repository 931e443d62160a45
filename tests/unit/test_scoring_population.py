"""Batch scoring says whose pay each price is: population, pay_concept and pay_year.

A pooled model (the shipped default) prices each row in its own source population (the
row's `source`, or --population for every row) and the output names it; a single-source
model names its one source. The summary counts roles read as "other" and skill words the
model does not know.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from artifact_factory import build_artifact

from mlpay_model import predict_salary
from mlpay_model.cli import main
from mlpay_model.data.sources.registry import find_source
from mlpay_model.errors import ConfigError, DataError
from mlpay_model.model import load_model
from mlpay_model.scoring import score_file

MODELS = Path(__file__).parents[2] / "models"
PERSON = ["ML Engineer", "US", "4", "master", "python;pytorch"]
HEADER = ["id", "role", "country", "years_experience", "education", "skills", "source"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A single-source model (its data's source is "inline") that reads skills."""
    return build_artifact(tmp_path_factory.mktemp("models") / "tiny", "full")


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_a_source_column_prices_each_row_in_its_own_population(tmp_path: Path, pooled: str):
    rows = [
        ["k", *PERSON, "kaggle"],
        ["s", *PERSON, " StackOverflow "],  # case and spaces aside
        ["d", *PERSON, ""],  # no source: the model's default population
        ["x", *PERSON, "Kagle"],  # not a population: rejected, never priced as the default
    ]
    source = write_csv(tmp_path / "in.csv", rows)
    summary = score_file(source, tmp_path / "out.csv", model=pooled)
    out = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    model = load_model(pooled)
    assert out["id"].tolist() == ["k", "s", "d"]
    assert out["population"].tolist() == ["kaggle", "stackoverflow", model.default_population]
    assert out["pay_year"].tolist() == [model.default_pay_year(p) for p in out["population"]]
    assert out["pay_year"].tolist() == [2021, 2025, 2024]
    assert out["pay_concept"].tolist() == [
        "yearly compensation band",
        "total compensation",
        "base salary",
    ]
    for population, median in zip(out["population"], out["pred_median"], strict=True):
        expected = predict_salary(*PERSON[:4], PERSON[4], model=pooled, population=population)
        assert median == pytest.approx(expected.median, rel=1e-9)
    assert len(set(out["pred_median"])) == 3  # the populations are paid differently
    rejects = pd.read_csv(tmp_path / "out.rejects.csv")
    assert rejects["row_number"].tolist() == [4]
    assert rejects["reason"][0].startswith(
        "source='Kagle': not a population model pooled learned; "
        "expected one of aijobs, kaggle, stackoverflow"
    )
    assert summary.rejected_by_field == {"source": 1}
    assert summary.rows_by_population == {"kaggle": 1, "stackoverflow": 1, "aijobs": 1}


def test_population_option_prices_every_row_as_it(tmp_path: Path, pooled: str, capsys):
    rows = [["k", *PERSON, "kaggle"], ["n", *PERSON, "no such source"]]
    source = write_csv(tmp_path / "in.csv", rows)
    output = tmp_path / "out.parquet"
    code = main(["score", str(source), "-o", str(output), "--population", "stackoverflow"])
    assert code == 0  # the user's choice replaces every row's source: none is rejected
    assert "priced as population: stackoverflow 2;" in capsys.readouterr().out
    out = pd.read_parquet(output)
    assert out["population"].tolist() == ["stackoverflow"] * 2
    assert out["pay_concept"].tolist() == ["total compensation"] * 2
    expected = predict_salary(*PERSON[:4], PERSON[4], model=pooled, population="stackoverflow")
    np.testing.assert_allclose(out["pred_median"], expected.median, rtol=1e-9)
    np.testing.assert_allclose(out["pred_low"], expected.low, rtol=1e-9)


def test_an_unknown_population_is_a_one_line_error_naming_the_accepted_ones(
    tmp_path: Path, pooled: str, capsys
):
    source = write_csv(tmp_path / "in.csv", [["a", *PERSON, ""]])
    code = main(["score", str(source), "-o", str(tmp_path / "o.csv"), "--population", "kagle"])
    assert code == 2
    err = capsys.readouterr().err
    assert err == (
        "mlpay score: error: --population 'kagle': not a population model pooled learned; "
        "expected one of aijobs, kaggle, stackoverflow (did you mean kaggle?)\n"
    )
    assert not (tmp_path / "o.csv").exists()


def test_a_given_year_is_the_pay_year(tmp_path: Path, pooled: str):
    header = [*HEADER, "year"]
    rows = [["a", *PERSON, "kaggle", "2019"], ["b", *PERSON, "kaggle", ""]]
    source = write_csv(tmp_path / "in.csv", rows, header)
    score_file(source, tmp_path / "out.parquet", model=pooled)
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert out["pay_year"].tolist() == [2019, 2021]
    assert out["pred_median"][0] != out["pred_median"][1]


def test_stack_overflow_2017_pay_is_named_base_salary(tmp_path: Path, pooled: str):
    header = [*HEADER, "year"]
    rows = [["a", *PERSON, "stackoverflow", "2017"], ["b", *PERSON, "stackoverflow", "2024"]]
    source = write_csv(tmp_path / "in.csv", rows, header)
    score_file(source, tmp_path / "out.csv", model=pooled)
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["pay_concept"].tolist() == ["base salary", "total compensation"]
    assert out["pay_concept"].tolist() == [
        find_source("stackoverflow").pay_text_for((year,))  # type: ignore[union-attr]
        for year in (2017, 2024)
    ]


def test_a_single_source_model_names_its_one_source_on_every_row(tmp_path: Path, pooled: str):
    if not (MODELS / "kaggle" / "manifest.json").is_file():
        pytest.skip("the shipped models/kaggle is missing")
    rows = [["a", *PERSON, "aijobs"], ["b", *PERSON, ""]]
    source = write_csv(tmp_path / "in.csv", rows)
    summary = score_file(source, tmp_path / "out.csv", model="kaggle")
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["population"].tolist() == ["kaggle", "kaggle"]  # its one source, whatever `source`
    assert out["pay_concept"].tolist() == ["yearly compensation band"] * 2
    assert out["pay_year"].tolist() == [2021, 2021]
    assert out["pred_median"][0] == out["pred_median"][1]
    assert summary.rows_by_population == {"kaggle": 2}


def test_the_summary_counts_other_roles_and_unknown_skill_words(tmp_path: Path, tiny: Path, capsys):
    model = load_model(tiny)
    assert model.uses("skills") and "python" in model.spec.skills
    assert not {"frobnicate", "zzyzx"} & set(model.spec.skills)
    rows = [
        ["a", "Wizard of Oz", "US", "3", "", "python;frobnicate", ""],
        ["b", "ML Engineer", "US", "3", "", "frobnicate;zzyzx", ""],
        ["c", "Data Scientist", "DE", "3", "", "python", ""],
        ["d", "Hedge wizard", "DE", "3", "", "", ""],
    ]
    source = write_csv(tmp_path / "in.csv", rows)
    code = main(["score", str(source), "-o", str(tmp_path / "out.csv"), "--model", str(tiny)])
    assert code == 0
    line = capsys.readouterr().out
    assert "; role read as 'other' (family unknown): 2;" in line
    assert "; skill words not in the model's vocabulary: frobnicate 2, zzyzx 1 (in 2 rows);" in line
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["population"].tolist() == ["inline"] * 4
    summary = score_file(source, tmp_path / "again.csv", model=str(tiny))
    assert summary.roles_read_as_other == 2
    assert summary.unknown_skills == {"frobnicate": 2, "zzyzx": 1}
    assert summary.unknown_skill_rows == 2


def test_an_input_with_a_population_column_is_refused(tmp_path: Path, tiny: Path):
    source = write_csv(
        tmp_path / "in.csv", [["ML Engineer", "US", "x"]], ["role", "country", "pay_year"]
    )
    with pytest.raises(DataError, match=r"already has column\(s\) pay_year"):
        score_file(source, tmp_path / "out.csv", model=str(tiny))


def test_scoring_and_the_mlflow_pyfunc_agree_on_population_and_pay_year(
    tmp_path: Path, pooled: str
):
    from types import SimpleNamespace

    from training.pyfunc import ARTIFACT_KEY, SalaryPyfunc

    header = [*HEADER, "year"]
    rows = [
        ["a", *PERSON, "kaggle", ""],
        ["b", *PERSON, "stackoverflow", ""],
        ["c", *PERSON, "", ""],
        ["d", *PERSON, "aijobs", "2022"],
    ]
    source = write_csv(tmp_path / "in.csv", rows, header)
    score_file(source, tmp_path / "out.csv", model=pooled)
    scored = pd.read_csv(tmp_path / "out.csv")
    pyfunc = SalaryPyfunc()
    pyfunc.load_context(SimpleNamespace(artifacts={ARTIFACT_KEY: str(load_model(pooled).path)}))
    frame = pd.DataFrame(rows, columns=header).drop(columns="id").replace("", None)
    served = pyfunc.predict(None, frame)
    assert served["pay_year"].tolist() == scored["pay_year"].tolist() == [2021, 2025, 2024, 2022]
    np.testing.assert_allclose(served["median"], scored["pred_median"], rtol=1e-9)
    for row, population in enumerate(scored["population"]):
        assert served[f"median_{population}"][row] == pytest.approx(served["median"][row])


def test_a_publisher_file_of_a_source_the_pooled_model_did_not_learn_needs_population(
    tmp_path: Path,
):
    from mlflow_support import TINY_FEATURES, tiny_profiles, write_tiny_artifact

    profiles = tiny_profiles(n=200, seed=3)
    profiles = profiles.assign(source=np.where(np.arange(200) % 2, "kaggle", "aijobs"))
    folder = write_tiny_artifact(tmp_path / "pooled", profiles, features=(*TINY_FEATURES, "source"))
    assert load_model(folder).populations == ("aijobs", "kaggle")
    source = write_csv(tmp_path / "in.csv", [["a", *PERSON, ""]])
    with pytest.raises(ConfigError) as error:
        score_file(source, tmp_path / "out.csv", model=str(folder), source="stackoverflow")
    assert str(error.value) == (
        "--source stackoverflow: model tiny did not learn the stackoverflow population "
        "(it prices aijobs, kaggle); choose one with --population NAME"
    )
    assert not (tmp_path / "out.csv").exists()
