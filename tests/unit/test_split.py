from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpay_model.errors import DataError
from mlpay_model.schema import conform
from training.config import SplitConfig
from training.split import MIN_PART_ROWS, deal_groups, group_keys, split_rows

FEATURES = ("role", "country", "year")


def profiles(rows: int = 1000, seed: int = 0, copies: int = 3) -> pd.DataFrame:
    """Rows where every distinct profile appears `copies` times (like aijobs' repeats)."""
    rng = np.random.default_rng(seed)
    distinct = rows // copies
    frame = pd.DataFrame(
        {
            "role": rng.choice(["ml_engineer", "data_scientist", "data_analyst"], distinct),
            "country": rng.choice(["US", "DE", "IN"], distinct),
            "year": rng.choice([2022, 2023, 2024], distinct),
            "salary_usd": rng.integers(50, 300, distinct) * 1000.0,
        }
    )
    repeated = pd.concat([frame] * copies, ignore_index=True)
    return conform(repeated.sample(frac=1.0, random_state=seed).reset_index(drop=True))


def part_of_each_row(split, rows: int) -> np.ndarray:
    parts = np.full(rows, -1)
    for code, indices in enumerate((split.train, split.calibration, split.test)):
        assert (parts[indices] == -1).all(), "a row is in two parts"
        parts[indices] = code
    assert (parts >= 0).all(), "a row is in no part"
    return parts


def test_grouped_split_never_separates_identical_profiles():
    frame = profiles()
    split = split_rows(frame, SplitConfig(), features=FEATURES, seed=1)
    parts = part_of_each_row(split, len(frame))
    keys = group_keys(frame, FEATURES)
    for key in np.unique(keys):
        assert len(set(parts[keys == key])) == 1


def test_grouped_split_reaches_the_requested_fractions():
    frame = profiles(3000)
    config = SplitConfig(test_fraction=0.25, calibration_fraction=0.15)
    sizes = split_rows(frame, config, features=FEATURES, seed=2).sizes()
    assert sizes["test"] == pytest.approx(0.25 * len(frame), abs=10)
    assert sizes["calibration"] == pytest.approx(0.15 * len(frame), abs=10)
    assert sum(sizes.values()) == len(frame)


def test_random_split_does_separate_identical_rows():
    frame = profiles()
    split = split_rows(frame, SplitConfig(method="random"), features=FEATURES, seed=1)
    parts = part_of_each_row(split, len(frame))
    keys = group_keys(frame, FEATURES)
    straddling = sum(len(set(parts[keys == key])) > 1 for key in np.unique(keys))
    assert straddling > 0
    assert split.sizes()["test"] == 200


def test_same_seed_same_split_and_another_seed_another():
    frame = profiles()
    first = split_rows(frame, SplitConfig(), features=FEATURES, seed=5)
    again = split_rows(frame, SplitConfig(), features=FEATURES, seed=5)
    other = split_rows(frame, SplitConfig(), features=FEATURES, seed=6)
    assert np.array_equal(first.test, again.test)
    assert np.array_equal(first.calibration, again.calibration)
    assert not np.array_equal(first.test, other.test)


def test_temporal_split_tests_on_the_latest_year_by_default():
    frame = profiles()
    split = split_rows(frame, SplitConfig(method="temporal"), features=FEATURES, seed=0)
    years = frame["year"].to_numpy()
    assert set(years[split.test]) == {2024}
    assert 2024 not in set(years[split.train]) | set(years[split.calibration])
    assert split.sizes()["calibration"] == pytest.approx(0.2 * (years != 2024).sum(), abs=10)


def test_temporal_split_from_a_chosen_year():
    frame = profiles()
    config = SplitConfig(method="temporal", test_from_year=2023)
    split = split_rows(frame, config, features=FEATURES, seed=0)
    assert set(frame["year"].to_numpy()[split.test]) == {2023, 2024}


def test_temporal_split_needs_years_before_the_test_years():
    frame = profiles()
    config = SplitConfig(method="temporal", test_from_year=2000)
    with pytest.raises(DataError, match="every row in test"):
        split_rows(frame, config, features=FEATURES, seed=0)
    with pytest.raises(DataError, match="needs a 'year'"):
        split_rows(frame.assign(year=None), SplitConfig(method="temporal"), features=(), seed=0)


def test_too_small_parts_are_a_data_error():
    frame = profiles(60, copies=1)
    with pytest.raises(DataError, match=f"at least {MIN_PART_ROWS} rows"):
        split_rows(frame, SplitConfig(), features=FEATURES, seed=0)


@settings(max_examples=50, deadline=None)
@given(
    keys=st.lists(st.integers(0, 30), min_size=1, max_size=300),
    test=st.floats(0.0, 0.5),
    calibration=st.floats(0.0, 0.5),
    seed=st.integers(0, 2**16),
)
def test_deal_groups_keeps_groups_whole_and_fills_test_first(keys, test, calibration, seed):
    array = np.array(keys, dtype=np.uint64)
    parts = deal_groups(array, test, calibration, np.random.default_rng(seed))
    assert set(parts) <= {0, 1, 2}
    for key in set(keys):
        assert len(set(parts[array == key])) == 1
    # Groups go to test until it holds its share of rows: it reaches the share, and
    # overshoots by less than one group.
    test_rows = int((parts == 2).sum())
    largest = max(np.unique(array, return_counts=True)[1])
    assert test * len(keys) <= test_rows <= test * len(keys) + largest


def sourced(rows: int, seed: int) -> pd.DataFrame:
    """Two sources, each with its rows in a shuffled file order (row_number 1..n per source)."""
    rng = np.random.default_rng(seed)
    frames = []
    for source, n in (("aijobs", rows), ("kaggle", rows // 2)):
        frame = profiles(n, seed=seed, copies=2).assign(source=source)
        frame["row_number"] = rng.permutation(len(frame)) + 1
        frames.append(frame)
    return conform(pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=seed))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_newest_split_tests_on_the_first_rows_of_each_source(seed):
    frame = sourced(600, seed).reset_index(drop=True)
    config = SplitConfig(method="newest", test_fraction=0.25)
    split = split_rows(frame, config, features=FEATURES, seed=seed)
    parts = part_of_each_row(split, len(frame))  # every row in exactly one part
    numbers = frame["row_number"].to_numpy(dtype="int64")
    for source, rows in frame.groupby("source").indices.items():
        test = rows[parts[rows] == 2]
        older = rows[parts[rows] != 2]
        assert len(test) == int(0.25 * len(rows)), source
        assert numbers[test].max() < numbers[older].min(), source  # the smallest row numbers
        calibration = rows[parts[rows] == 1]
        assert len(calibration) == pytest.approx(0.2 * len(older), abs=10)
    keys = group_keys(frame, FEATURES)
    older = parts != 2
    for key in np.unique(keys[older]):  # calibration is grouped among the older rows
        assert len(set(parts[older & (keys == key)])) == 1


def test_newest_split_needs_row_numbers():
    frame = sourced(200, 0).reset_index(drop=True)
    with pytest.raises(DataError, match="'row_number' on every row"):
        split_rows(frame.assign(row_number=None), SplitConfig(method="newest"), features=(), seed=0)


def test_newest_split_is_a_config_method_without_a_year():
    assert SplitConfig(method="newest", test_fraction=0.25).method == "newest"
    with pytest.raises(ValueError, match="temporal only"):
        SplitConfig(method="newest", test_from_year=2024)
