"""`mlpay predict` and `mlpay whatif`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from artifact_factory import shared_models_dir

import mlpay_model
from mlpay_model.cli import BROKEN_PIPE_EXIT, main
from mlpay_model.predict import predict_salary


@pytest.fixture(scope="module")
def models_root() -> Path:
    return shared_models_dir()


@pytest.fixture(autouse=True)
def shipped(models_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLPAY_MODELS_DIR", str(models_root))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_predict_prints_median_range_factors_and_warnings(capsys):
    code, out, err = _run(
        capsys,
        *("predict", "--role", "Senior ML Engineer", "--country", "Germany", "--years", "6"),
        *("--education", "MSc", "--skills", "python,pytorch,cobol", "--model", "tiny"),
    )
    expected = predict_salary(
        "Senior ML Engineer", "Germany", "6", "MSc", "python,pytorch,cobol", model="tiny"
    )
    assert code == 0 and err == ""
    assert f"${expected.median:,.0f} a year" in out
    assert f"80% range: ${expected.low:,.0f} to ${expected.high:,.0f}" in out
    assert "Senior ML Engineer in Germany" in out
    factors = out.split("the person's factors against the baseline of")[1].split("warnings:")[0]
    assert f"${expected.baseline:,.0f} (the typical pay of the" in factors
    for item in expected.explanation:  # each with its label, the largest first
        assert f"{item.label}  " in factors and f"{item.percent:+.1f}%" in factors
    names = [line.split()[0] for line in factors.splitlines()[1:] if line.strip()]
    assert set(names) <= {"role", "location", "experience", "education", "skills"}
    assert "cobol" in out.split("warnings:")[1]


def test_predict_json_is_one_object_with_the_agreed_keys(capsys):
    code, out, _ = _run(
        capsys, "predict", "--role", "Data Analyst", "--country", "IN", "--json", "--model", "tiny"
    )
    data = json.loads(out)
    assert code == 0
    assert {"median", "low", "high", "currency", "model", "contributions", "warnings"} <= set(data)
    assert data["median"] == predict_salary("Data Analyst", "IN", model="tiny").median


def test_context_options_reach_the_model(capsys):
    common = ("predict", "--role", "ML Engineer", "--country", "US", "--json")
    _, entry, _ = _run(capsys, *common, "--seniority", "entry", "--model", "tiny_aijobs")
    _, full, _ = _run(
        capsys,
        *common,
        *("--seniority", "entry", "--employment-type", "contract", "--remote-ratio", "remote"),
        *("--company-size", "S", "--year", "2023", "--model", "tiny_aijobs"),
    )
    profile = json.loads(full)["profile"]
    assert profile["employment_type"] == "contract" and profile["company_size"] == "small"
    assert profile["remote_ratio"] == 100.0 and profile["year"] == 2023
    assert json.loads(entry)["profile"]["seniority"] == "entry"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--country", "Germny"), "country='Germny': unknown country (did you mean: Germany"),
        (("--country", "US", "--years", "five"), "years_experience='five'"),
        (("--country", "US", "--years", "-3"), "cannot be negative"),
        (("--country", "US", "--role", "ML\x01Engineer"), "role='ML\\x01Engineer': contains"),
        (("--country", "US", "--model", "nope"), "model 'nope'"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(capsys, options, message):
    code, out, err = _run(capsys, "predict", "--role", "ML Engineer", *options)
    assert code == 2 and out == ""
    assert err.startswith("mlpay predict: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_whatif_prints_both_predictions_and_the_difference(capsys):
    profile = ("--role", "Data Scientist", "--country", "India", "--years", "4", "--model", "tiny")
    code, out, _ = _run(capsys, "whatif", *profile, "--country-to", "US")
    before = predict_salary("Data Scientist", "India", "4", model="tiny")
    after = predict_salary("Data Scientist", "US", "4", model="tiny")
    difference = after.median - before.median
    assert code == 0
    assert out.startswith("Before: Data Scientist in India")
    assert "After (country to US): Data Scientist in United States" in out
    assert f"Difference: +${difference:,.0f} a year" in out
    assert f"({100 * difference / before.median:+.1f}%)" in out


def test_whatif_json_adds_a_skill_to_the_given_ones(capsys):
    profile = ("--role", "ML Engineer", "--country", "US", "--skills", "python", "--model", "tiny")
    code, out, _ = _run(capsys, "whatif", *profile, "--add-skill", "PyTorch", "--json")
    report = json.loads(out)
    assert code == 0
    assert report["change"]["field"] == "skills"
    assert report["before"]["profile"]["skills"] == ["python"]
    assert report["after"]["profile"]["skills"] == ["python", "pytorch"]
    difference = report["after"]["median"] - report["before"]["median"]
    assert report["difference"]["median"] == pytest.approx(difference)
    assert report["difference"]["median_percent"] == pytest.approx(
        100 * difference / report["before"]["median"]
    )


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        (("--years-to", "12"), "years_experience", 12.0),
        (("--education-to", "PhD"), "education", "doctorate"),
        (("--role-to", "Data Analyst"), "role", "data_analyst"),
    ],
)
def test_whatif_changes_one_field(capsys, change, field, value):
    profile = ("--role", "ML Engineer", "--country", "US", "--years", "3", "--model", "tiny")
    code, out, _ = _run(capsys, "whatif", *profile, *change, "--json")
    report = json.loads(out)
    assert code == 0 and report["after"]["profile"][field] == value
    unchanged = {k: v for k, v in report["after"]["profile"].items() if k != field}
    assert unchanged == {k: v for k, v in report["before"]["profile"].items() if k != field}


@pytest.mark.parametrize(
    ("model", "title", "typed", "given"),
    [
        # The shipped default reads the title beside the family (its `title` feature).
        ("default", "Software Engineer", "Machine Learning Engineer", {}),
        ("default", "Senior Software Engineer", "Senior Machine Learning Engineer", {}),
        ("tiny", "Senior Software Engineer", "Senior Machine Learning Engineer", {}),
        ("tiny_aijobs", "Sr. Staff SWE", "Sr. Staff Machine Learning Engineer", {}),
        # Executive wording is not a rank to carry; its level stays the person's seniority.
        ("tiny", "Head of Data", "Machine Learning Engineer", {"seniority": "executive"}),
    ],
)
def test_whatif_role_to_is_the_person_typed_in_the_new_role(
    capsys, monkeypatch, model, title, typed, given
):
    if model == "default":
        monkeypatch.delenv("MLPAY_MODELS_DIR")  # the models the checkout ships
    profile = ("--country", "US", "--years", "5", "--education", "master", "--model", model)
    code, out, _ = _run(
        capsys,
        "whatif",
        "--role",
        title,
        *profile,
        "--role-to",
        "Machine Learning Engineer",
        "--json",
    )
    report = json.loads(out)
    as_typed = predict_salary(typed, "US", "5", "master", model=model, **given)
    assert code == 0 and report["after"] == json.loads(json.dumps(as_typed.to_dict()))
    assert report["change"]["title"] == typed
    assert report["before"] == json.loads(
        json.dumps(predict_salary(title, "US", "5", "master", model=model).to_dict())
    )


def test_whatif_role_to_within_one_family_is_a_change_when_the_title_differs(capsys, monkeypatch):
    monkeypatch.delenv("MLPAY_MODELS_DIR")
    profile = ("--role", "Software Engineer", "--country", "US", "--years", "5")
    code, out, _ = _run(capsys, "whatif", *profile, "--role-to", "Software Developer", "--json")
    report = json.loads(out)
    assert code == 0
    assert report["after"]["profile"] == report["before"]["profile"]  # one family
    assert report["after"]["median"] == predict_salary("Software Developer", "US", 5).median
    assert report["after"]["median"] != report["before"]["median"]  # the title is priced


def test_whatif_on_a_model_without_years_moves_the_derived_seniority(capsys):
    profile = ("--role", "ML Engineer", "--country", "US", "--model", "tiny_aijobs")
    code, out, _ = _run(capsys, "whatif", *profile, "--years", "1", "--years-to", "8", "--json")
    report = json.loads(out)
    before, after = report["before"], report["after"]
    assert code == 0
    assert (before["profile"]["seniority"], after["profile"]["seniority"]) == ("entry", "senior")
    assert after["warnings"][0].startswith("seniority 'senior' derived from years_experience=8 ")
    expected = predict_salary("ML Engineer", "US", seniority="senior", model="tiny_aijobs")
    assert after["median"] == expected.median != before["median"]


def _environment(models_root: Path) -> dict[str, str]:
    repository = str(Path(mlpay_model.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": repository, "MLPAY_MODELS_DIR": str(models_root)}


PROFILE = ("--role", "ML Engineer", "--country", "US")


def test_a_reader_that_stops_early_ends_predict_quietly(models_root):
    """`mlpay predict ... | true`: no traceback, exit 1 (the output was not delivered)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    with os.fdopen(write_end, "wb") as stdout:
        result = subprocess.run(
            [sys.executable, "-m", "mlpay_model", "predict", *PROFILE, "--model", "tiny"],
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=_environment(models_root),
            check=False,
        )
    assert result.returncode == BROKEN_PIPE_EXIT == 1
    assert result.stderr == b""


def test_predicting_one_profile_does_not_import_pandas(models_root):
    """Cold start: pandas costs about half a second to import and one profile needs none."""
    check = (
        "import sys, io, contextlib; from mlpay_model.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['predict', '--role', 'Senior ML Engineer', '--country', 'Germany',"
        " '--years', '5', '--skills', 'python', '--model', 'tiny']) == 0\n"
        "    assert main(['whatif', '--role', 'ML Engineer', '--country', 'US',"
        " '--country-to', 'DE', '--years', '3', '--model', 'tiny_aijobs']) == 0\n"
        "    assert main(['whatif', '--role', 'Senior SWE', '--country', 'US',"
        " '--role-to', 'ML Engineer', '--model', 'tiny']) == 0\n"
        "print(sorted(name for name in ('pandas', 'pyarrow') if name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        env=_environment(models_root),
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_whatif_needs_exactly_one_change(capsys):
    profile = ("--role", "ML Engineer", "--country", "US")
    with pytest.raises(SystemExit) as none_given:
        main(["whatif", *profile])
    with pytest.raises(SystemExit) as two_given:
        main(["whatif", *profile, "--years-to", "3", "--country-to", "DE"])
    assert none_given.value.code == two_given.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_whatif_bad_change_is_a_user_error(capsys):
    code, _, err = _run(
        capsys,
        "whatif",
        "--role",
        "ML Engineer",
        "--country",
        "US",
        "--country-to",
        "Mars",
        "--model",
        "tiny",
    )
    assert code == 2 and "country='Mars'" in err
