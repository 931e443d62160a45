"""Loading model artifacts and predicting frames and single records with them."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from artifact_factory import build_artifact, canonical_frame, shared_models_dir

import mlpay_model
from mlpay_model.errors import ArtifactError, InvalidInputError, ModelNotFoundError
from mlpay_model.model import (
    DEFAULT_MODEL,
    MODELS_DIR_VARIABLE,
    RecordPrediction,
    SalaryModel,
    load_model,
    models_dir,
    resolve_model,
    shipped_models,
)
from mlpay_model.model import _booster as booster_module
from mlpay_model.model.artifact import QUANTILE_HEADS, read_manifest
from mlpay_model.model.features import OTHER_CATEGORY, MatrixBuffer
from mlpay_model.model.interval import calibrated_interval
from mlpay_model.normalise import normalise_frame
from mlpay_model.predict import predict_salary


@pytest.fixture(scope="module")
def models_root() -> Path:
    return shared_models_dir()


@pytest.fixture(scope="module")
def tiny(models_root: Path) -> SalaryModel:
    return load_model(models_root / "tiny")


@pytest.fixture(scope="module")
def profiles() -> pd.DataFrame:
    frame = canonical_frame(rows=120, seed=7)
    frame.index = pd.Index([f"p{i}" for i in range(len(frame))])  # not a RangeIndex
    return frame


def _lightgbm_predictions(model: SalaryModel, profiles: pd.DataFrame) -> dict[str, np.ndarray]:
    """The three boosters' raw outputs computed independently, with lightgbm's Python API."""
    matrix = model.encoder.encode_frame(profiles)
    return {
        head: lgb.Booster(model_file=str(model.path / f"{head}.txt")).predict(matrix)
        for head in QUANTILE_HEADS
    }


def test_shipped_name_resolves_in_the_models_dir(models_root, monkeypatch):
    monkeypatch.setenv(MODELS_DIR_VARIABLE, str(models_root))
    assert models_dir() == models_root
    assert shipped_models() == ["tiny", "tiny_aijobs"]
    assert resolve_model("tiny") == models_root / "tiny"
    assert load_model("tiny").name == "tiny"


def test_default_means_the_default_model_constant(models_root, tmp_path, monkeypatch):
    shutil.copytree(models_root / "tiny", tmp_path / DEFAULT_MODEL)
    monkeypatch.setenv(MODELS_DIR_VARIABLE, str(tmp_path))
    assert resolve_model("default") == tmp_path / DEFAULT_MODEL
    assert load_model() is load_model(DEFAULT_MODEL)


def test_without_the_variable_models_live_beside_the_package(monkeypatch):
    monkeypatch.delenv(MODELS_DIR_VARIABLE, raising=False)
    assert models_dir() == Path(mlpay_model.__file__).resolve().parent.parent / "models"


def test_a_path_loads_and_is_cached_per_folder(models_root, monkeypatch):
    monkeypatch.setenv(MODELS_DIR_VARIABLE, str(models_root))
    by_path = load_model(models_root / "tiny")
    assert load_model("tiny") is by_path
    assert load_model(str(models_root / "tiny")) is by_path


def test_unknown_model_names_the_shipped_ones(models_root, monkeypatch):
    monkeypatch.setenv(MODELS_DIR_VARIABLE, str(models_root))
    with pytest.raises(ModelNotFoundError) as caught:
        load_model("tiny_aijob")
    message = str(caught.value)
    assert "'tiny_aijob'" in message and "tiny, tiny_aijobs" in message
    assert "did you mean tiny_aijobs" in message


def test_default_without_models_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv(MODELS_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(
        ModelNotFoundError, match=rf"'default' \(= '{DEFAULT_MODEL}'\).*mlpay train"
    ):
        load_model("default")


def test_a_folder_without_manifest_is_refused(tmp_path):
    with pytest.raises(ArtifactError, match=r"no manifest\.json"):
        load_model(tmp_path)


def test_a_retrained_model_is_reloaded(tmp_path):
    first = load_model(build_artifact(tmp_path / "m", version="1"))
    assert load_model(tmp_path / "m") is first
    build_artifact(tmp_path / "m", version="2", seed=1)
    second = load_model(tmp_path / "m")
    assert (first.version, second.version) == ("1", "2")


def test_a_tampered_model_file_is_refused(models_root, tmp_path):
    copy = shutil.copytree(models_root / "tiny", tmp_path / "tiny")
    with open(copy / "median.txt", "a", encoding="utf-8") as handle:
        handle.write("\n")
    with pytest.raises(ArtifactError, match="sha256"):
        load_model(copy)


def test_a_manifest_that_disagrees_with_the_model_features_is_refused(models_root, tmp_path):
    copy = shutil.copytree(models_root / "tiny", tmp_path / "tiny")
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["features"]["features"].remove("year")
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="do not match"):
        load_model(copy)


def test_predict_is_the_cqr_interval_of_the_three_boosters(tiny, profiles):
    predicted = tiny.predict(profiles)
    raw = _lightgbm_predictions(tiny, profiles)
    q = read_manifest(tiny.path)["calibration"]["adjustment"]
    median = np.exp(raw["median"])
    assert list(predicted.columns) == ["median", "low", "high"]
    assert predicted.index.equals(profiles.index)
    np.testing.assert_allclose(predicted["median"], median, rtol=1e-12)
    np.testing.assert_allclose(
        predicted["low"], np.minimum(np.exp(raw["low"] - q), median), rtol=1e-12
    )
    np.testing.assert_allclose(
        predicted["high"], np.maximum(np.exp(raw["high"] + q), median), rtol=1e-12
    )


def test_quantiles_never_cross_even_with_a_shrinking_calibration(tiny, profiles):
    manifest = dict(tiny.manifest, calibration={"adjustment": -1.0})
    shrunk = SalaryModel(tiny.path, manifest)
    predicted = shrunk.predict(profiles)
    assert (predicted["low"] <= predicted["median"]).all()
    assert (predicted["median"] <= predicted["high"]).all()
    # With q = -1 both raw bounds pass the median for some rows, so the clipping was needed.
    assert (predicted["low"] == predicted["median"]).any()
    assert (predicted["high"] == predicted["median"]).any()


def test_the_baseline_is_the_median_models_expected_value(tiny, profiles):
    matrix = tiny.encoder.encode_frame(profiles)
    booster = lgb.Booster(model_file=str(tiny.path / "median.txt"))
    shap = booster.predict(matrix, pred_contrib=True)
    assert tiny.baseline == pytest.approx(np.exp(shap[0, -1]), rel=1e-12)


def test_the_record_path_agrees_with_the_frame_path(tiny, profiles):
    frame_predictions = tiny.predict(profiles)
    for label, row in profiles.head(40).iterrows():
        record = tiny.predict_record(row.to_dict())
        expected = frame_predictions.loc[label]
        assert (record.median, record.low, record.high) == pytest.approx(
            (expected["median"], expected["low"], expected["high"]), rel=1e-12
        )


def _values(record: RecordPrediction) -> tuple[float, float, float]:
    return record.median, record.low, record.high


def test_concurrent_predictions_equal_sequential_ones(tiny, profiles):
    records = [row.to_dict() for _, row in profiles.iterrows()] * 3
    chunks = [profiles.iloc[start : start + 10] for start in range(0, len(profiles), 10)]
    sequential_records = [_values(tiny.predict_record(record)) for record in records]
    sequential_frames = [tiny.predict(chunk) for chunk in chunks]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded_records = list(pool.map(lambda r: _values(tiny.predict_record(r)), records))
        threaded_frames = list(pool.map(tiny.predict, chunks))
    assert threaded_records == sequential_records
    for threaded, sequential in zip(threaded_frames, sequential_frames, strict=True):
        pd.testing.assert_frame_equal(threaded, sequential)


def test_a_model_without_years_reads_a_seniority_from_them(models_root, profiles):
    aijobs_like = load_model(models_root / "tiny_aijobs")
    assert aijobs_like.derives_seniority_from_years
    frame = profiles.head(40).assign(
        years_experience=np.tile([0.5, 3.0, 7.0, np.nan], 10), seniority=None
    )
    frame.loc[frame.index[::5], "seniority"] = "executive"  # a given seniority is kept
    expected_levels = [
        level if level is not None else {0.5: "entry", 3.0: "mid", 7.0: "senior"}.get(years)
        for level, years in zip(frame["seniority"], frame["years_experience"], strict=True)
    ]
    stated = frame.assign(seniority=expected_levels, years_experience=np.nan)
    pd.testing.assert_frame_equal(aijobs_like.predict(frame), aijobs_like.predict(stated))
    without_years = aijobs_like.predict(frame.assign(years_experience=np.nan))
    assert not np.allclose(aijobs_like.predict(frame)["median"], without_years["median"])
    for (_, row), (_, want) in zip(frame.iterrows(), stated.iterrows(), strict=True):
        got, expected = aijobs_like.predict_record(row.to_dict()), aijobs_like.predict_record(want)
        assert _values(got) == _values(expected)


def test_a_model_with_years_leaves_a_missing_seniority_missing(tiny, profiles):
    assert not tiny.derives_seniority_from_years
    frame = profiles.head(20).assign(seniority=None)
    column = tiny.encoder.feature_names.index("seniority")
    assert np.isnan(tiny._matrix(frame)[:, column]).all()


def test_absent_columns_count_as_missing(tiny):
    sparse = pd.DataFrame({"role": ["ml_engineer", "data_scientist"], "country": ["US", None]})
    full = sparse.assign(
        years_experience=np.nan, education=None, skills=[(), ()], seniority=None, year=np.nan
    )
    pd.testing.assert_frame_equal(tiny.predict(sparse), tiny.predict(full))


def test_an_absent_country_column_is_an_error_not_unknown(tiny):
    """Leaving the column out is refused; a column of missing values says 'not known'."""
    with pytest.raises(InvalidInputError, match=r"missing required column.*country") as caught:
        tiny.predict(pd.DataFrame({"role": ["ml_engineer"]}))
    assert "None or NaN" in str(caught.value)
    unknown = tiny.predict(pd.DataFrame({"role": ["ml_engineer"], "country": [None]}))
    assert unknown["median"].notna().all()


def test_a_missing_role_is_refused_naming_the_row(tiny):
    frame = pd.DataFrame({"role": ["ml_engineer", None], "country": ["US", "DE"]}, index=[4, 9])
    with pytest.raises(InvalidInputError, match=r"row 9: is required but missing") as caught:
        tiny.predict(frame)
    assert caught.value.field == "role"


@pytest.mark.parametrize("name", ["tiny", "tiny_aijobs"])
def test_predicting_normalised_rows_block_by_block_equals_predict(models_root, profiles, name):
    """Batch scoring's path (no second canonical check, blocks encoded into one reused
    buffer) gives predict's numbers exactly, blocks of any size, missing values included."""
    model = load_model(models_root / name)
    raw = profiles.copy()
    raw.loc[raw.index[::3], "years_experience"] = np.nan
    raw.loc[raw.index[1::4], "seniority"] = None
    raw.loc[raw.index[::5], "skills"] = None
    normalised = normalise_frame(raw).profiles
    expected = model.predict(normalised)
    buffer = MatrixBuffer()
    for block_rows in (len(normalised) + 5, 7, 64):
        got = model.predict_normalised(normalised, block_rows=block_rows, buffer=buffer)
        for column, values in zip(expected.columns, got, strict=True):
            np.testing.assert_array_equal(values, expected[column].to_numpy())
    assert all(len(v) == 0 for v in model.predict_normalised(normalised.iloc[:0]))


def test_an_empty_frame_gives_an_empty_result(tiny, profiles):
    predicted = tiny.predict(profiles.iloc[:0])
    assert list(predicted.columns) == ["median", "low", "high"] and predicted.empty


RAW_VALUES = {
    "role": ["Senior ML Engineer", "Data Scientist", "Machine Learning/ MLops Engineer"],
    "country": ["Germany", "United States", "FRA"],
    "education": ["MSc", "PhD", "bachelor's"],
    "years_experience": ["5", "10-15 years", 2],
    "skills": ["Python;PyTorch", "Scikit-learn, AWS", ""],
}


def test_predict_reads_raw_values_as_the_normaliser_does(tiny):
    """A frame of raw profile columns is read through normalise_frame: the same answer as
    the canonical frame the normaliser makes of it, and as predict_salary per profile."""
    raw = pd.DataFrame(RAW_VALUES, index=["a", "b", "c"])
    canonical = normalise_frame(raw).profiles
    assert canonical.loc["a", "role"] == "ml_engineer" and canonical.loc["b", "country"] == "US"
    predicted = tiny.predict(raw)
    assert list(predicted.index) == ["a", "b", "c"]
    pd.testing.assert_frame_equal(predicted, tiny.predict(canonical))
    for label, row in raw.iterrows():
        one = predict_salary(
            row["role"],
            row["country"],
            row["years_experience"],
            row["education"],
            row["skills"].replace(";", ","),
            model=tiny,
        )
        assert predicted.loc[label, "median"] == pytest.approx(one.median, rel=1e-12)


def test_a_canonical_frame_is_used_as_it_is(tiny, profiles, monkeypatch):
    """The fast path: a frame already canonical is not normalised again."""
    from mlpay_model.normalise import _frame

    def refuse(*_args, **_kwargs):
        raise AssertionError("a canonical frame was normalised")

    monkeypatch.setattr(_frame, "normalise_frame", refuse)
    assert len(tiny.predict(profiles)) == len(profiles)


def test_skills_as_text_are_normalised_not_read_as_one_skill(tiny):
    as_text = pd.DataFrame({"role": ["ml_engineer"], "country": ["US"], "skills": ["python;sql"]})
    as_list = as_text.assign(skills=[("python", "sql")])
    pd.testing.assert_frame_equal(tiny.predict(as_text), tiny.predict(as_list))


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("country", "Atlantis", "unknown country"),
        ("years_experience", "five", ""),
        ("education", "wizardry", ""),
    ],
)
def test_a_row_that_cannot_be_read_refuses_the_frame_naming_it(
    tiny, profiles, column, value, reason
):
    frame = profiles.head(3).copy()
    frame[column] = frame[column].astype(object)
    frame.loc[frame.index[1], column] = value
    frame.loc[frame.index[0], "role"] = "Senior ML Engineer"  # raw values elsewhere are fine
    with pytest.raises(InvalidInputError) as caught:
        tiny.predict(frame)
    assert caught.value.field == column and caught.value.value == value
    assert f"row 'p1': {reason}" in str(caught.value) and "(1 row(s) refused)" in str(caught.value)


def test_predict_needs_a_role_column(tiny):
    with pytest.raises(InvalidInputError, match="needs a 'role' column"):
        tiny.predict(pd.DataFrame({"country": ["US"]}))


def test_the_package_loader_fallback_predicts_the_same(tiny, profiles, monkeypatch):
    """Without a library file where expected, lightgbm's own loader provides the C API."""
    monkeypatch.setattr(booster_module.importlib.util, "find_spec", lambda name: None)
    fallback = booster_module._lightgbm_library.__wrapped__()
    assert fallback is lgb.basic._LIB
    monkeypatch.setattr(booster_module, "_lightgbm_library", lambda: fallback)
    again = SalaryModel(tiny.path, tiny.manifest)
    pd.testing.assert_frame_equal(again.predict(profiles), tiny.predict(profiles))


def _raw_profiles(model: SalaryModel, rows: int, seed: int) -> pd.DataFrame:
    """Raw profiles drawn from what `model` knows, skills as people list them."""
    rng = np.random.default_rng(seed)
    spec = model.spec

    def known(name: str) -> list[str]:
        return [value for value in spec.categories[name] if value != OTHER_CATEGORY]

    skills = np.array(model.skills or ("python", "sql", "aws"), dtype=object)
    counts = rng.integers(0, min(5, len(skills) + 1), rows)
    return pd.DataFrame(
        {
            "role": rng.choice(known("role"), rows),
            "country": rng.choice(known("country"), rows),
            "years_experience": rng.integers(0, 25, rows),
            "education": rng.choice(["bachelor", "master", "doctorate", None], rows),
            "skills": [";".join(rng.choice(skills, n, replace=False)) for n in counts],
            "year": rng.choice([2022, 2023, 2024], rows),
        },
        index=pd.RangeIndex(rows) * 3 + 7,  # an index that is not the positions
    )


@pytest.mark.parametrize("name", ["default", "aijobs"])
def test_each_head_is_its_model_file_as_lightgbm_predicts_it(name):
    """Every head is its own file as LightGBM wrote it: a frame's and a record's raw scores
    are bit for bit what lightgbm's Python API predicts from that file, over the trees the
    head runs (the whole file; a quantile head that continues the median, the default's and
    aijobs': its own trees, from the median's tree count on)."""
    model = load_model(name)
    profiles = _raw_profiles(model, 600, seed=2)
    matrix = model._matrix(profiles)
    for head in QUANTILE_HEADS:
        booster = model._boosters[head]
        expected = lgb.Booster(model_file=str(booster.path)).predict(
            matrix, start_iteration=booster.first_tree
        )
        np.testing.assert_array_equal(booster.predict_matrix(matrix), expected)
        one_by_one = [booster.predict_one(row) for row in matrix[:100]]
        np.testing.assert_array_equal(one_by_one, expected[:100])


def test_a_large_frame_predicts_what_its_rows_predict_in_small_pieces():
    model = load_model("default")
    rows = 5000
    profiles = _raw_profiles(model, rows, seed=1)
    whole = model.predict(profiles)
    pieces = pd.concat(
        model.predict(profiles.iloc[start : start + 1000]) for start in range(0, rows, 1000)
    )
    pd.testing.assert_frame_equal(whole, pieces, check_exact=True)
    assert whole["median"].nunique() > 100  # varied rows, so a misplaced row would show


@pytest.mark.parametrize("name", ["default", "aijobs"])
def test_heads_that_continue_the_median_run_only_their_own_trees(name):
    """A quantile head that continues the median (the manifest's calibration.continues_median,
    written by `mlpay train` for from_median heads) is predicted as the median's raw score,
    its shift and its own trees: the same prices, within 1e-9 in log pay, as its whole file,
    on frames and single records, whichever path ran before (LightGBM keeps one range of
    trees per loaded model)."""
    model = load_model(name)
    shared = model._boosters["median"].num_iterations
    assert [model._boosters[head].first_tree for head in QUANTILE_HEADS] == [0, shared, shared]
    assert all(model._boosters[head].num_iterations > shared for head in ("low", "high"))
    profiles = _raw_profiles(model, 600, seed=3)
    matrix = model._matrix(profiles)
    whole = {
        head: lgb.Booster(model_file=str(model._boosters[head].path)).predict(matrix)
        for head in QUANTILE_HEADS
    }
    priced = model._canonical_priced(profiles)
    populations = model._populations_of(priced)
    offset = model._effects_of_frame(priced, populations).sum(axis=1)
    expected = np.column_stack(
        calibrated_interval(
            *(whole[head] + offset for head in QUANTILE_HEADS),
            model._adjustments(priced, populations),
        )
    )
    records = priced[:50].to_dict("records")
    before = [model.predict_record(record) for record in records]
    np.testing.assert_allclose(model.predict(profiles), expected, rtol=1e-9)
    after = [model.predict_record(record) for record in records]
    for one_by_one in (before, after):
        np.testing.assert_allclose(
            [(r.median, r.low, r.high) for r in one_by_one], expected[:50], rtol=1e-9
        )


def _copy_with(folder: Path, target: Path, change: Callable[[Path, dict[str, Any]], None]) -> Path:
    """A copy of model `folder` changed by `change(copy, manifest)`, its hashes renewed."""
    copy = shutil.copytree(folder, target)
    manifest = json.loads((copy / "manifest.json").read_text())
    change(copy, manifest)
    for name in manifest["files"]:
        manifest["files"][name] = hashlib.sha256((copy / name).read_bytes()).hexdigest()
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def _continuing(trees: int) -> Callable[[Path, dict[str, Any]], None]:
    def change(copy: Path, manifest: dict[str, Any]) -> None:
        manifest["calibration"]["continues_median"] = {
            "trees": trees,
            "shift": {"low": -0.5, "high": 0.5},
        }

    return change


def test_a_head_said_to_continue_the_median_without_trees_of_its_own_is_refused(
    models_root, tmp_path
):
    copy = _copy_with(models_root / "tiny", tmp_path / "tiny", _continuing(40))
    with pytest.raises(ArtifactError, match=r"low\.txt: 40 trees; .* has more trees than it"):
        load_model(copy)


def test_a_continuation_that_is_not_the_medians_tree_count_is_refused(tmp_path):
    copy = _copy_with(load_model("aijobs").path, tmp_path / "aijobs", _continuing(39))
    with pytest.raises(ArtifactError, match=r"median\.txt: 40 trees, where the manifest's"):
        load_model(copy)


def test_a_malformed_continuation_is_refused_naming_its_key(tmp_path):
    def malformed(copy: Path, manifest: dict[str, Any]) -> None:
        manifest["calibration"]["continues_median"] = {"trees": 40, "shift": {"low": "x"}}

    copy = _copy_with(load_model("aijobs").path, tmp_path / "aijobs", malformed)
    with pytest.raises(ArtifactError, match=r"calibration\.continues_median must be"):
        load_model(copy)


def test_a_model_without_a_recorded_continuation_predicts_each_head_whole(tmp_path):
    """Models written before `continues_median` (or with independent heads) run every head's
    whole file, at the same prices."""

    def older(copy: Path, manifest: dict[str, Any]) -> None:
        del manifest["calibration"]["continues_median"]

    shipped = load_model("aijobs")
    model = load_model(_copy_with(shipped.path, tmp_path / "aijobs", older))
    assert [model._boosters[head].first_tree for head in QUANTILE_HEADS] == [0, 0, 0]
    profiles = _raw_profiles(model, 300, seed=4)
    np.testing.assert_allclose(model.predict(profiles), shipped.predict(profiles), rtol=1e-9)
