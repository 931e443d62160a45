"""Every door reads text the same way: the disagreements of issue 8, through the public doors.

predict_salary, `mlpay score` (canonical columns and --mapping), `mlpay compare` and the
mapping loader all go through `mlpay_model.normalise`; each test here failed before that.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from artifact_factory import build_artifact

from mlpay_model import predict_salary
from mlpay_model.cli import USER_ERROR_EXIT, main
from mlpay_model.data.sources import load_profiles
from mlpay_model.errors import ConfigError

MAPPING = "columns:\n  role: Title\n  country: Where\n  employment_type: Contract\n"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_artifact(tmp_path_factory.mktemp("models") / "tiny", "full")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_predict_salary_accepts_what_a_mapping_accepts(tmp_path: Path, model_dir: Path) -> None:
    data = write_csv(
        tmp_path / "hr.csv",
        ["Title", "Where", "Contract", "Remote"],
        [["ML Engineer", "DE", "self employed", " 40 % "]],
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING + "  remote_ratio: Remote\n", encoding="utf-8")
    mapped = load_profiles("csv", data, mapping)

    prediction = predict_salary(
        "ML Engineer",
        "DE",
        employment_type="self employed",
        remote_ratio=" 40 % ",
        model=str(model_dir),
    )
    assert prediction.profile["employment_type"] == mapped["employment_type"][0] == "freelance"
    assert prediction.profile["remote_ratio"] == mapped["remote_ratio"][0] == 40.0


def test_score_mapping_turns_a_bad_cell_into_one_reject(
    tmp_path: Path, model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_csv(
        tmp_path / "hr.csv",
        ["Id", "Title", "Where", "Contract"],
        [["1", "ML Engineer", "DE", "FT"], ["2", "Data Scientist", "US", "weekly"]],
    )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    rejects = tmp_path / "bad.csv"
    code = main(
        [
            *["score", str(data), "-o", str(tmp_path / "out.csv"), "--model", str(model_dir)],
            *["--mapping", str(mapping), "--rejects", str(rejects)],
        ]
    )

    assert code == 1  # some rows rejected, the run completed
    assert "rows read 2, scored 1, rejected 1" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "out.csv")["Id"].tolist() == [1]
    [reject] = pd.read_csv(rejects).to_dict("records")
    assert reject["row_number"] == 2
    assert reject["Contract"] == "weekly"  # the user's own columns, untouched
    assert reject["reason"].startswith("employment_type='weekly': accepted: full_time")


def test_score_mapping_and_canonical_columns_give_the_same_reject(
    tmp_path: Path, model_dir: Path
) -> None:
    rows = [["ML Engineer", "Germny", "weekly"]]
    canonical = write_csv(tmp_path / "in.csv", ["role", "country", "employment_type"], rows)
    mapped = write_csv(tmp_path / "hr.csv", ["Title", "Where", "Contract"], rows)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    main(["score", str(canonical), "-o", str(tmp_path / "a.csv"), "--model", str(model_dir)])
    main(
        [
            *["score", str(mapped), "-o", str(tmp_path / "b.csv"), "--model", str(model_dir)],
            *["--mapping", str(mapping)],
        ]
    )

    first = pd.read_csv(tmp_path / "a.rejects.csv")
    second = pd.read_csv(tmp_path / "b.rejects.csv")
    assert first["reason"].tolist() == second["reason"].tolist()
    assert first["reason"][0] == "country='Germny': unknown country"


@pytest.mark.parametrize(
    ("option", "value", "hint"),
    [("--country", "Germny", "Germany"), ("--education", "mastr", "master")],
)
def test_compare_suggests_like_predict(
    capsys: pytest.CaptureFixture[str], option: str, value: str, hint: str
) -> None:
    code = main(
        [
            *["compare", "--role", "ML Engineer", "--vs", "Data Scientist", option, value],
            *["--model", "no-such-model"],
        ]
    )
    err = capsys.readouterr().err
    assert code == USER_ERROR_EXIT
    assert f"{option[2:]}={value!r}" in err and f"did you mean: {hint}" in err
    with pytest.raises(ValueError, match=f"did you mean: {hint}"):
        predict_salary(**{"role": "ML Engineer", "country": "DE", option[2:]: value})


def test_compare_still_refuses_other(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", "--role", "Beekeeper", "--vs", "Data Scientist"])
    assert code == USER_ERROR_EXIT
    assert "not a role family mlpay can compare" in capsys.readouterr().err


def test_a_mapping_with_a_key_given_twice_is_refused(
    tmp_path: Path, model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_csv(tmp_path / "hr.csv", ["Title", "Where"], [["ML Engineer", "DE"]])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "columns:\n  role: Title\n  country: Where\n  country: Title\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="duplicate key 'country'"):
        load_profiles("csv", data, mapping)
    code = main(
        [
            *["score", str(data), "-o", str(tmp_path / "out.csv"), "--model", str(model_dir)],
            *["--mapping", str(mapping)],
        ]
    )
    assert code == USER_ERROR_EXIT
    assert "duplicate key 'country'" in capsys.readouterr().err
