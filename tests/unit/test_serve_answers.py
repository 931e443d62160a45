"""The web calculator's answers in process (no server): the per-source medians."""

from __future__ import annotations

import dataclasses

import pytest

pytest.importorskip("fastapi", reason="the extra 'serve': pip install -e '.[serve]'")

from mlpay_model import predict_salary
from mlpay_model.model import load_model
from mlpay_model.predict import SourceMedian
from mlpay_model.serve.app import _source_models, answer, per_source

PROFILE = {"role": "Data Scientist", "country": "US", "years_experience": 4}


def test_a_single_source_model_is_joined_by_the_other_sources_models() -> None:
    served = load_model("aijobs")
    prediction = predict_salary(**PROFILE, model=served)

    basis, entries = per_source(prediction, PROFILE, served, _source_models())

    assert basis == "source models"
    assert [entry["source"] for entry in entries] == ["aijobs", "kaggle", "stackoverflow"]
    assert [entry["served_model"] for entry in entries] == [True, False, False]
    kaggle = predict_salary(**PROFILE, model="kaggle")
    assert entries[1]["median"] == pytest.approx(kaggle.median, rel=1e-12)
    assert entries[1]["display"]["low"] == f"${kaggle.low:,.0f}"


def test_a_pooled_models_own_per_source_medians_are_shown() -> None:
    served = load_model("aijobs")
    prediction = dataclasses.replace(
        predict_salary(**PROFILE, model=served),
        population="stackoverflow",
        by_source=(
            SourceMedian("aijobs", "aijobs.net", "base salary", 150_000.0),
            SourceMedian("stackoverflow", "Stack Overflow survey", "total compensation", 120_000),
        ),
    )

    basis, entries = per_source(prediction, PROFILE, served, _source_models())

    assert basis == "model"
    assert [(entry["label"], entry["median"]) for entry in entries] == [
        ("aijobs.net", 150_000.0),
        ("Stack Overflow survey", 120_000.0),
    ]
    assert [entry["served_model"] for entry in entries] == [False, True]
    assert entries[0]["display"] == {"median": "$150,000", "low": None, "high": None}


def test_the_factors_are_the_persons_shown_as_the_cli_shows_them() -> None:
    prediction = predict_salary(**PROFILE, model="stackoverflow")

    body = answer(prediction)
    factors = body["top_factors"]

    shown = [item for item in prediction.explanation if abs(item.percent) >= 0.05]
    assert [factor["factor"] for factor in factors] == [item.factor for item in shown]
    assert [factor["label"] for factor in factors] == [item.label for item in shown]
    assert all(factor["text"] == f"{factor['percent']:+.1f}%" for factor in factors)
    assert body["display"]["baseline_text"].startswith(
        f"the person's factors against the baseline of ${prediction.baseline:,.0f}"
    )
