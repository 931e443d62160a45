from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from mlflow_support import TINY_FEATURES, tiny_profiles, write_tiny_artifact

from mlpay_model import predict_salary
from mlpay_model.errors import InvalidInputError
from mlpay_model.model import load_model
from training.pyfunc import (
    ARTIFACT_KEY,
    PYFUNC_INPUT_COLUMNS,
    UNTYPED_COLUMNS,
    RefusedInputError,
    SalaryPyfunc,
    canonical_input,
    mlflow_input,
    pyfunc_signature,
)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    return write_tiny_artifact(tmp_path_factory.mktemp("pyfunc") / "tiny", tiny_profiles())


@pytest.fixture(scope="module")
def pyfunc(artifact):
    model = SalaryPyfunc()
    model.load_context(SimpleNamespace(artifacts={ARTIFACT_KEY: str(artifact)}))
    return model


def test_canonical_input_turns_transport_types_into_canonical_values() -> None:
    # What MLflow serving / Spark hand over: numpy arrays of skills, None, numbers as text.
    frame = pd.DataFrame(
        {
            "role": ["ml_engineer", "data_analyst", "other"],
            "skills": [np.array(["python", "sql"]), [], None],
            "years_experience": ["3", None, 7],
            "country": ["US", None, float("nan")],
        },
        index=[10, 11, 12],
    )

    out = canonical_input(frame)

    assert list(out.columns) == [*PYFUNC_INPUT_COLUMNS, "role_raw"]  # the title, for `title`
    assert out["role"].tolist() == ["ml_engineer", "data_analyst", "other"]
    assert list(out.index) == [0, 1, 2]
    assert out["skills"].tolist() == [("python", "sql"), (), ()]
    assert out["years_experience"].iloc[0] == 3.0
    assert math.isnan(out["years_experience"].iloc[1])
    assert out["country"].tolist() == ["US", None, None]
    assert out["education"].tolist() == [None, None, None]  # absent column: missing


def test_mlflow_input_keeps_pyfunc_columns_in_json_friendly_types() -> None:
    profiles = tiny_profiles(n=4)
    profiles["year"] = pd.array([2024, None, 2023, 2022], dtype="Int64")

    out = mlflow_input(profiles)

    assert set(out.columns) <= set(PYFUNC_INPUT_COLUMNS)
    assert "salary_usd" not in out.columns and "row_number" not in out.columns
    assert all(isinstance(value, list) for value in out["skills"])
    assert out["skills"].tolist() == [list(value) for value in profiles["skills"]]
    assert out["year"].dtype == "float64"
    assert math.isnan(out["year"].iloc[1])


def test_pyfunc_predicts_what_the_runtime_model_predicts(artifact, pyfunc) -> None:
    profiles = tiny_profiles(n=30, seed=3)

    predicted = pyfunc.predict(None, mlflow_input(profiles))
    expected = load_model(artifact).predict(profiles)

    assert list(predicted.columns) == ["median", "low", "high", "pay_year"]
    pay = predicted[["median", "low", "high"]]
    np.testing.assert_allclose(pay.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert np.isfinite(pay.to_numpy()).all()
    runtime_years = load_model(artifact).default_pay_years(canonical_input(mlflow_input(profiles)))
    assert predicted["pay_year"].equals(runtime_years.reset_index(drop=True))
    assert (predicted["low"] <= predicted["median"]).all()
    assert (predicted["median"] <= predicted["high"]).all()


def test_pyfunc_needs_only_a_role(pyfunc) -> None:
    predicted = pyfunc.predict(None, pd.DataFrame({"role": ["ml_engineer", "data_analyst"]}))

    assert len(predicted) == 2
    assert np.isfinite(predicted[["median", "low", "high"]].to_numpy()).all()


def test_pyfunc_reads_raw_text_like_predict_salary(pyfunc) -> None:
    raw = pd.DataFrame({"role": ["Senior Machine Learning Engineer"], "country": ["Germany"]})
    canonical = pd.DataFrame({"role": ["ml_engineer"], "country": ["DE"], "seniority": ["senior"]})

    pd.testing.assert_frame_equal(pyfunc.predict(None, raw), pyfunc.predict(None, canonical))


def test_pyfunc_refuses_an_unreadable_row_naming_it(pyfunc) -> None:
    frame = pd.DataFrame({"role": ["ml_engineer", "data_analyst"], "country": ["US", "Atlantis"]})
    with pytest.raises(InvalidInputError, match=r"row 1: unknown country") as caught:
        pyfunc.predict(None, frame)
    assert caught.value.field == "country" and caught.value.value == "Atlantis"


def test_pyfunc_takes_skills_as_lists_texts_or_nothing_in_one_frame(pyfunc) -> None:
    mixed = pd.DataFrame(
        {
            "role": ["ml_engineer", "ml_engineer", "ml_engineer", "ml_engineer"],
            "skills": [np.array(["python", "sql"]), "sql; Python", None, float("nan")],
        }
    )

    out = canonical_input(mixed)

    assert out["skills"].tolist() == [("python", "sql"), ("python", "sql"), (), ()]
    predicted = pyfunc.predict(None, mixed)
    pay = predicted[["median", "low", "high"]]
    assert pay.iloc[0].tolist() == pay.iloc[1].tolist()


def test_pyfunc_signature_leaves_numbers_and_skills_to_the_normaliser() -> None:
    from mlflow.types.schema import AnyType

    inputs = {spec.name: spec for spec in pyfunc_signature().inputs.inputs}

    assert list(inputs) == list(PYFUNC_INPUT_COLUMNS)
    assert [name for name, spec in inputs.items() if spec.required] == ["role"]
    assert all(isinstance(inputs[name].type, AnyType) for name in UNTYPED_COLUMNS)
    assert "skills" in UNTYPED_COLUMNS and "years_experience" in UNTYPED_COLUMNS


def test_a_refused_row_is_a_400_mlflow_error_keeping_its_one_line(pyfunc) -> None:
    from mlflow.exceptions import MlflowException

    frame = pd.DataFrame({"role": ["ml_engineer"], "years_experience": ["lots"]})
    with pytest.raises(RefusedInputError) as caught:
        pyfunc.predict(None, frame)
    error = caught.value

    assert isinstance(error, InvalidInputError) and isinstance(error, MlflowException)
    assert error.get_http_status_code() == 400
    error.message = f"Failed to predict data '{frame}'. \nError: {error.message}"  # as MLflow
    assert (
        error.message
        == str(error)
        == (
            "years_experience='lots': row 0: not a number of years (e.g. 5, 2.5 or '5-10 years') "
            "(1 row(s) refused)"
        )
    )
    assert "stack_trace" not in error.serialize_as_json()


@pytest.fixture(scope="module")
def pooled_artifact(tmp_path_factory):
    profiles = tiny_profiles(n=400, seed=5)
    kaggle = np.arange(len(profiles)) % 2 == 1  # kaggle's rows pay 40% less
    profiles = profiles.assign(
        source=np.where(kaggle, "kaggle", "aijobs"),
        salary_usd=np.where(kaggle, 0.6, 1.0) * profiles["salary_usd"],
    )
    folder = tmp_path_factory.mktemp("pooled") / "tiny"
    return write_tiny_artifact(folder, profiles, features=(*TINY_FEATURES, "source"))


def test_a_single_source_model_answers_median_low_high_only(pyfunc) -> None:
    predicted = pyfunc.predict(None, pd.DataFrame({"role": ["ml_engineer"]}))

    assert list(predicted.columns) == ["median", "low", "high", "pay_year"]
    assert [spec.name for spec in pyfunc_signature(("aijobs",)).outputs.inputs] == [
        "median",
        "low",
        "high",
        "pay_year",  # NaN for a model that records no pay years (this one)
    ]


def test_a_pooled_model_adds_the_median_of_each_source_as_by_source_does(pooled_artifact) -> None:
    model = SalaryPyfunc()
    model.load_context(SimpleNamespace(artifacts={ARTIFACT_KEY: str(pooled_artifact)}))
    frame = pd.DataFrame(
        {
            "role": ["ml_engineer", "data_analyst"],
            "country": ["US", "DE"],
            "source": [None, "kaggle"],
        }
    )

    predicted = model.predict(None, frame)

    assert list(predicted.columns) == [
        "median",
        "low",
        "high",
        "median_aijobs",
        "median_kaggle",
        "pay_year",
    ]
    for row, (role, country) in enumerate([("ml_engineer", "US"), ("data_analyst", "DE")]):
        by_source = predict_salary(role, country, model=str(pooled_artifact)).by_source
        assert [figure.source for figure in by_source] == ["aijobs", "kaggle"]
        for figure in by_source:
            assert predicted[f"median_{figure.source}"].iloc[row] == pytest.approx(
                figure.median, rel=1e-9
            )
    assert predicted["median"].iloc[0] == pytest.approx(predicted["median_aijobs"].iloc[0])
    assert predicted["median"].iloc[1] == pytest.approx(predicted["median_kaggle"].iloc[1])
    assert predicted["median_kaggle"].iloc[0] < predicted["median_aijobs"].iloc[0]


def test_the_signature_declares_the_source_medians_optional() -> None:
    outputs = pyfunc_signature(("aijobs", "kaggle")).outputs.inputs

    assert [(spec.name, spec.required) for spec in outputs] == [
        ("median", True),
        ("low", True),
        ("high", True),
        ("median_aijobs", False),
        ("median_kaggle", False),
        ("pay_year", False),
    ]


def test_the_pyfunc_refusal_is_the_normalisers_one_line() -> None:
    from mlpay_model.normalise import normalise_frame

    frame = pd.DataFrame(
        {"role": ["ml_engineer", "x", "ml_engineer"], "country": ["US", "Atlantis", "Mars"]}
    )
    expected = normalise_frame(frame, required=("role",)).refusal()
    with pytest.raises(RefusedInputError) as caught:
        canonical_input(frame)

    assert expected is not None and str(caught.value) == str(expected)
    message = str(caught.value)
    assert "row 1: unknown country" in message and "(2 row(s) refused)" in message
