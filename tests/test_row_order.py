"""The tree-friendly row order: a permutation by the most split features, undone exactly."""

import numpy as np
import pandas as pd
import pytest
from artifact_factory import shared_models_dir

from mlpay_model.model import load_model
from mlpay_model.model._row_order import (
    ORDER_MIN_ROWS,
    ORDER_MIN_TREES,
    in_input_order,
    most_split_features,
    tree_order,
)
from mlpay_model.model.features import OTHER_CATEGORY


@pytest.fixture(scope="module")
def models_root():
    return shared_models_dir()


def test_features_are_ranked_by_how_often_the_trees_split_on_them():
    texts = [b"\nTree=0\nsplit_feature=3 1 3\n", b"\nTree=1\nsplit_feature=3 2 1 1\n"] * 250
    assert most_split_features(texts, count=2) == (3, 1)
    assert most_split_features(texts[: ORDER_MIN_TREES - 1], count=2) == ()  # too few trees


def test_small_inputs_keep_their_order():
    assert tree_order([np.zeros(ORDER_MIN_ROWS - 1)]) is None
    assert tree_order([]) is None


def test_rows_sort_by_the_first_key_then_the_next_missing_last_and_come_back():
    rng = np.random.default_rng(0)
    first = rng.integers(0, 5, ORDER_MIN_ROWS).astype(float)
    first[::7] = np.nan
    second = rng.random(ORDER_MIN_ROWS)
    order = tree_order([first, second])
    assert order is not None
    keys = np.nan_to_num(first[order], nan=np.inf)
    assert np.all(keys[1:] >= keys[:-1])
    same = keys[1:] == keys[:-1]
    assert np.all(np.diff(second[order])[same] >= 0)
    values = np.arange(ORDER_MIN_ROWS, dtype=float)
    np.testing.assert_array_equal(in_input_order(values[order], order), values)


def _profiles(model, rows: int, seed: int) -> pd.DataFrame:
    """Raw profiles drawn from what `model` knows, skills as people list them."""
    rng = np.random.default_rng(seed)
    spec = model.spec

    def known(name: str) -> list[str]:
        return [value for value in spec.categories[name] if value != OTHER_CATEGORY]

    roles, countries = known("role"), known("country")
    skills = np.array(model.skills or ("python", "sql", "aws"), dtype=object)
    counts = rng.integers(0, 5, rows)
    return pd.DataFrame(
        {
            "role": rng.choice(roles, rows),
            "country": rng.choice(countries, rows),
            "years_experience": rng.integers(0, 25, rows),
            "education": rng.choice(["bachelor", "master", "doctorate", None], rows),
            "skills": [";".join(rng.choice(skills, n, replace=False)) for n in counts],
            "year": rng.choice([2022, 2023, 2024], rows),
        },
        index=pd.RangeIndex(rows) * 3 + 7,  # an index that is not the positions
    )


def test_a_model_of_few_trees_keeps_the_row_order(models_root):
    assert load_model(models_root / "tiny")._order_features == ()


def test_a_large_frame_predicts_what_its_rows_predict_in_small_pieces():
    model = load_model("default")
    rows = ORDER_MIN_ROWS + 904
    profiles = _profiles(model, rows, seed=1)
    whole = model.predict(profiles)
    pieces = pd.concat(
        model.predict(profiles.iloc[start : start + 1000]) for start in range(0, rows, 1000)
    )
    pd.testing.assert_frame_equal(whole, pieces, check_exact=True)
    assert whole["median"].nunique() > 100  # varied rows, so a misplaced row would show
