"""Batch prediction through lleaves (`mlpay_model.model._compiled`): never a different number."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from artifact_factory import build_artifact, canonical_frame

from mlpay_model.model import _compiled, _in_order_blocks
from mlpay_model.model._booster import NativeBooster
from mlpay_model.model._resolve import models_dir
from mlpay_model.model._salary_model import SalaryModel
from mlpay_model.model.artifact import file_hashes, read_manifest

pytest.importorskip("lleaves", reason="the extra `fast` (lleaves) is not installed")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_artifact(tmp_path_factory.mktemp("models") / "tiny", "full")


def fresh_model(folder: Path) -> SalaryModel:
    """A model loaded anew (load_model keeps one per folder, with its compiled state)."""
    return SalaryModel(folder, read_manifest(folder))


def bits(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)


def batch_matrix(model: SalaryModel, rows: int, seed: int = 1) -> np.ndarray:
    """Encoded canonical profiles with a share of the cells missing."""
    profiles = canonical_frame(rows, seed)
    matrix = model.encoder.encode_frame(profiles)
    holes = np.random.default_rng(seed).random(matrix.shape) < 0.1
    matrix[holes] = np.nan
    return matrix


def test_compiled_equals_ctypes_bit_for_bit_on_a_shipped_model(tmp_path: Path):
    folder = models_dir() / "aijobs"
    if not (folder / "manifest.json").is_file():
        pytest.skip(f"no shipped aijobs model in {folder}")
    model = fresh_model(folder)
    matrix = batch_matrix(model, 20_000)
    for head, booster in model._boosters.items():
        forest = _compiled.load_or_compile(
            booster.compiled._text, booster._predict_with_c_api, cache_root=tmp_path
        )
        assert forest is not None, (head, dict(_compiled.FALLBACKS))
        np.testing.assert_array_equal(
            bits(forest.predict(matrix)), bits(booster._predict_with_c_api(matrix))
        )


def test_model_predict_is_the_same_with_and_without_the_compiled_path(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("MLPAY_CACHE_DIR", str(tmp_path / "cache"))
    frame = canonical_frame(_compiled.MIN_BATCH_ROWS + 500, seed=3)
    frame.loc[::7, "years_experience"] = np.nan
    monkeypatch.setenv(_compiled.OPT_OUT_VARIABLE, "off")
    plain = fresh_model(model_dir)
    expected = plain.predict(frame)
    assert all(b.compiled.forest(len(frame)) is None for b in plain._boosters.values())

    monkeypatch.delenv(_compiled.OPT_OUT_VARIABLE)
    fast = fresh_model(model_dir)
    for booster in fast._boosters.values():  # enough batch rows to compile, then wait for it
        booster.compiled.forest(_compiled.COMPILE_AFTER_ROWS)
        assert booster.compiled.wait() is not None, dict(_compiled.FALLBACKS)
    got = fast.predict(frame)
    for column in expected.columns:
        np.testing.assert_array_equal(bits(got[column]), bits(expected[column]))
    # A new process (here: a new model) finds the cache warm and loads it on its first batch.
    warm = fresh_model(model_dir)
    assert all(b.compiled.forest(len(frame)) is not None for b in warm._boosters.values())


def test_small_batches_and_contributions_stay_on_ctypes(model_dir: Path, tmp_path: Path):
    model = fresh_model(model_dir)
    booster = model._boosters["median"]
    booster.compiled._cache_root = tmp_path
    assert booster.compiled.forest(_compiled.MIN_BATCH_ROWS - 1) is None
    assert not any(tmp_path.iterdir())  # nothing compiled for a small batch


def test_a_corrupt_cache_entry_is_detected_and_rebuilt(model_dir: Path, tmp_path: Path):
    booster = fresh_model(model_dir)._boosters["median"]
    text, reference = booster.compiled._text, booster._predict_with_c_api
    assert _compiled.load_or_compile(text, reference, cache_root=tmp_path) is not None
    (entry,) = (tmp_path / _compiled.CACHE_FOLDER).glob("*.o")
    code = bytearray(entry.read_bytes())
    code[len(code) // 2] ^= 0xFF
    entry.write_bytes(bytes(code))
    before = _compiled.FALLBACKS["corrupt cache entry"]

    forest = _compiled.load_or_compile(text, reference, cache_root=tmp_path)

    assert _compiled.FALLBACKS["corrupt cache entry"] == before + 1
    assert forest is not None
    matrix = batch_matrix(fresh_model(model_dir), 2_000)
    np.testing.assert_array_equal(bits(forest.predict(matrix)), bits(reference(matrix)))
    sidecar = entry.with_name(entry.name + ".sha256").read_text().strip()
    assert hashlib.sha256(entry.read_bytes()).hexdigest() == sidecar  # rewritten whole


def test_a_cache_entry_of_other_trees_is_refused_by_the_bit_check(model_dir: Path, tmp_path: Path):
    """Code that is intact (its sidecar matches) but computes something else never answers."""
    boosters = fresh_model(model_dir)._boosters
    median, high = boosters["median"], boosters["high"]
    for booster in (median, high):
        assert (
            _compiled.load_or_compile(
                booster.compiled._text, booster._predict_with_c_api, cache_root=tmp_path
            )
            is not None
        )
    median_entry = _compiled._entry(tmp_path, median.compiled._text)
    high_entry = _compiled._entry(tmp_path, high.compiled._text)
    for suffix in ("", ".sha256"):
        Path(f"{median_entry}{suffix}").write_bytes(Path(f"{high_entry}{suffix}").read_bytes())
    before = _compiled.FALLBACKS["cached output differs from ctypes"]

    forest = _compiled.load_or_compile(
        median.compiled._text, median._predict_with_c_api, cache_root=tmp_path, allow_compile=False
    )

    assert forest is None
    assert _compiled.FALLBACKS["cached output differs from ctypes"] == before + 1
    assert not median_entry.exists()  # removed, so the next run compiles it again


def test_nothing_is_written_into_the_model_folder(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    before = file_hashes(model_dir)
    names_before = sorted(p.name for p in model_dir.iterdir())
    monkeypatch.setenv("MLPAY_CACHE_DIR", str(tmp_path / "cache"))
    model = fresh_model(model_dir)
    for booster in model._boosters.values():
        booster.compiled.forest(_compiled.COMPILE_AFTER_ROWS)
        assert booster.compiled.wait() is not None
    assert sorted(p.name for p in model_dir.iterdir()) == names_before
    assert file_hashes(model_dir) == before
    assert len(list((tmp_path / "cache" / _compiled.CACHE_FOLDER).glob("*.o"))) == 3
    # A cache folder pointed inside the models folder is not used: compiled in memory only.
    monkeypatch.setenv("MLPAY_CACHE_DIR", str(model_dir / "cache"))
    inside = fresh_model(model_dir)._boosters["median"]
    inside.compiled.forest(_compiled.COMPILE_AFTER_ROWS)
    assert inside.compiled.wait() is not None
    assert sorted(p.name for p in model_dir.iterdir()) == names_before


def test_without_lleaves_the_ctypes_path_answers_the_same(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("MLPAY_CACHE_DIR", str(tmp_path))
    frame = canonical_frame(_compiled.MIN_BATCH_ROWS + 10, seed=5)
    expected = fresh_model(model_dir).predict(frame)
    monkeypatch.setitem(sys.modules, "lleaves", None)  # `import lleaves` raises ImportError
    before = _compiled.FALLBACKS["lleaves not installed"]
    model = fresh_model(model_dir)
    for booster in model._boosters.values():
        assert booster.compiled.forest(_compiled.COMPILE_AFTER_ROWS) is None
    got = model.predict(frame)
    assert _compiled.FALLBACKS["lleaves not installed"] == before + 3
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    median = model._boosters["median"]
    assert (
        _compiled.load_or_compile(
            median.compiled._text, median._predict_with_c_api, cache_root=tmp_path
        )
        is None
    )


def test_the_cache_key_follows_the_model_text(model_dir: Path):
    text = (model_dir / "median.txt").read_bytes()
    assert _compiled.cache_key(text) == _compiled.cache_key(text)
    leaf = text.index(b"\nleaf_value=") + len(b"\nleaf_value=")
    changed = text[:leaf] + b"1" + text[leaf:]
    assert _compiled.cache_key(changed) != _compiled.cache_key(text)
    other = (model_dir / "high.txt").read_bytes()
    assert _compiled.cache_key(other) != _compiled.cache_key(text)


def test_the_normalised_text_keeps_the_trees_and_drops_the_names(model_dir: Path):
    text = (model_dir / "median.txt").read_bytes()
    normalised = _compiled.normalised_text(text)
    header, _, trees = normalised.partition(b"\n\n")
    assert trees == text.partition(b"\n\n")[2]
    assert b"skill=" not in header
    assert any(line.startswith(b"objective=") for line in header.split(b"\n"))
    with pytest.raises(ValueError, match="identity"):
        _compiled.normalised_text(text.replace(b"objective=quantile", b"objective=binary", 1))


def _shipped(name: str) -> SalaryModel:
    folder = models_dir() / name
    if not (folder / "manifest.json").is_file():
        pytest.skip(f"no shipped {name} model in {folder}")
    return fresh_model(folder)


def test_blocked_trees_are_summed_in_lightgbms_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Blocks of trees (fast: instruction cache) still add tree after tree as LightGBM does;
    lleaves' own blocks (each summed apart, then added) differ in the last bits, which the
    bit check refuses."""
    import lleaves

    assert _in_order_blocks.supported()
    monkeypatch.setattr(_in_order_blocks, "BLOCK_TREES", 8)
    booster = _shipped("aijobs")._boosters["median"]
    text = booster.compiled._text
    trees = text.count(b"\nTree=")
    assert _in_order_blocks.block_size(trees) == 8 < trees
    matrix = batch_matrix(_shipped("aijobs"), 20_000)
    expected = booster._predict_with_c_api(matrix)
    forest = _compiled.load_or_compile(text, booster._predict_with_c_api, cache_root=tmp_path)
    assert forest is not None, dict(_compiled.FALLBACKS)
    np.testing.assert_array_equal(bits(forest.predict(matrix)), bits(expected))

    model_file = tmp_path / "model.txt"
    model_file.write_bytes(_compiled.normalised_text(text))
    plain = lleaves.Model(model_file=str(model_file))
    plain.compile(fblocksize=8)  # lleaves' own block sums
    assert not np.array_equal(bits(plain.predict(matrix)), bits(expected))
    check = _compiled.check_matrix(text)
    assert not np.array_equal(bits(plain.predict(check)), bits(booster._predict_with_c_api(check)))


def test_one_row_moves_to_the_compiled_trees_after_enough_rows_with_the_same_numbers(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("MLPAY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(_compiled, "ROW_CALLS_BEFORE_LOAD", 10)
    frame = canonical_frame(60, seed=11)
    frame.loc[::4, "years_experience"] = np.nan
    frame.loc[1::5, "skills"] = None
    records = [row.where(row.notna(), None).to_dict() for _, row in frame.iterrows()]

    def boosters(model: SalaryModel) -> list[NativeBooster]:  # the three a row runs through
        return [
            model._continues_median[head][1] if head in model._continues_median else booster
            for head, booster in model._boosters.items()
        ]

    cold = fresh_model(model_dir)  # no cache entry: single rows never compile
    expected = [cold.predict_record(record) for record in records]
    assert all(b.compiled.wait() is None for b in boosters(cold))
    assert not (tmp_path / "cache" / _compiled.CACHE_FOLDER).exists()

    for booster in boosters(cold):  # a batch run leaves the cache warm
        booster.compiled.forest(_compiled.COMPILE_AFTER_ROWS)
        assert booster.compiled.wait() is not None
    warm = fresh_model(model_dir)
    first = [warm.predict_record(record) for record in records[:5]]
    assert all(b.compiled._forest is None for b in boosters(warm))  # not before 10 rows
    rest = [warm.predict_record(record) for record in records[5:]]
    assert all(b.compiled.wait() is not None for b in boosters(warm))
    again = [warm.predict_record(record) for record in records]
    for got in (first + rest, again):
        assert [(p.median, p.low, p.high) for p in got] == [
            (p.median, p.low, p.high) for p in expected
        ]
        changed = [warm.median_as(p, {"years_experience": 3.0}) for p in got]
        assert changed == [cold.median_as(p, {"years_experience": 3.0}) for p in expected]
