"""mlpay_model.model.features: skills not said, and the raw title beside its family."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlpay_model.model.features import TITLE_MIN_COUNT, FeatureEncoder, FeatureSpec, MatrixBuffer

SPEC = FeatureSpec(
    features=("role", "skills"),
    categories={"role": ("ml_engineer", "__other__")},
    skills=("go", "sql"),
)


def test_a_profile_without_skills_has_them_missing_and_with_skills_zero_or_one():
    encoder = FeatureEncoder(SPEC)
    none = encoder.encode_record({"role": "ml_engineer", "skills": ()})
    some = encoder.encode_record({"role": "ml_engineer", "skills": ("go", "rust")})
    assert np.isnan(none[0, 1:]).all()
    assert some[0, 1:].tolist() == [1.0, 0.0, 2.0]  # go, sql, n_skills (rust counted)
    frame = pd.DataFrame({"role": ["ml_engineer"] * 3, "skills": [(), ("go", "rust"), None]})
    np.testing.assert_array_equal(encoder.encode_frame(frame), np.vstack([none, some, none]))


def _titled(titles: dict[str, int]) -> pd.DataFrame:
    raw = [title for title, n in titles.items() for _ in range(n)]
    return pd.DataFrame({"role": ["ml_engineer"] * len(raw), "role_raw": raw})


def test_frequent_titles_get_a_code_and_others_are_missing():
    rows = _titled(
        {
            "Research Engineer": TITLE_MIN_COUNT,
            "Sr. Research Engineer": 5,  # the same key: counted together
            "Applied Scientist": TITLE_MIN_COUNT - 1,
        }
    )
    spec = FeatureSpec.fit(rows, ["role", "title"], min_count=5)
    assert spec.categories["title"] == ("research engineer",)  # no shared "other" code
    encoder = FeatureEncoder(spec)
    asked = pd.DataFrame(
        {"role": ["ml_engineer"] * 3, "role_raw": ["Research Engineer", "Applied Scientist", None]}
    )
    encoded = encoder.encode_frame(asked)[:, spec.feature_names.index("title")]
    assert encoded[0] == 0.0 and np.isnan(encoded[1:]).all()
    one = encoder.encode_record({"role": "ml_engineer", "role_raw": "senior research engineer"})
    assert one[0, spec.feature_names.index("title")] == 0.0
    assert encoder.is_known("title", "applied scientist")  # unknown titles are not warned about


def test_the_title_threshold_can_be_lowered():
    rows = _titled({"Research Engineer": 40, "Applied Scientist": 19, "Head of Data": 20})
    assert FeatureSpec.fit(rows, ["role", "title"], min_count=5).categories["title"] == ()
    spec = FeatureSpec.fit(rows, ["role", "title"], min_count=5, title_min_count=20)
    assert spec.categories["title"] == ("head of data", "research engineer")
    spec = FeatureSpec.fit(rows, ["role", "title"], min_count=30, title_min_count=20)
    assert spec.categories["title"] == ("research engineer",)  # never below min_count


def test_a_rare_ranked_title_is_read_as_its_plain_title():
    # "Staff ML Engineer" is rare: read as "machine learning engineer" (its rank is seniority),
    # never as an unknown title priced below the plain one (issue 22's title ladder).
    rows = _titled({"Machine Learning Engineer": TITLE_MIN_COUNT, "Staff ML Engineer": 3})
    spec = FeatureSpec.fit(rows, ["role", "title"], min_count=5)
    assert spec.categories["title"] == ("machine learning engineer",)
    encoder = FeatureEncoder(spec)
    titles = ["Staff ML Engineer", "Principal Machine Learning Engineer", "Staff Scientist"]
    asked = pd.DataFrame({"role": ["ml_engineer"] * 3, "role_raw": titles})
    column = spec.feature_names.index("title")
    encoded = encoder.encode_frame(asked)[:, column]
    assert encoded[:2].tolist() == [0.0, 0.0] and np.isnan(encoded[2])
    one = encoder.encode_record({"role": "ml_engineer", "role_raw": "Lead ML Engineer"})
    assert one[0, column] == 0.0


def test_a_frame_encodes_each_row_as_the_record_path_does():
    """encode_frame works per distinct skill set (shared tuples, lists, missing, repeats)."""
    encoder = FeatureEncoder(SPEC)
    shared = ("go", "sql")
    skills = [shared, shared, ["sql", "go"], ("go", "go"), ("rust",), (), None, np.nan, shared]
    skills += [np.array(["sql"], dtype=object), ("sql", "rust", "go")]
    frame = pd.DataFrame(
        {"role": ["ml_engineer", "other_role"] * 5 + [None], "skills": pd.Series(skills)}
    )
    rows = [
        encoder.encode_record({"role": role, "skills": skill})
        for role, skill in zip(frame["role"], skills, strict=True)
    ]
    np.testing.assert_array_equal(encoder.encode_frame(frame), np.vstack(rows))


def test_encoding_into_a_reused_buffer_equals_a_fresh_matrix():
    """Blocks of different sizes, one after another, into one buffer: every cell is
    overwritten (nothing left over from a longer block or from other values)."""
    encoder = FeatureEncoder(SPEC)
    width = len(encoder.feature_names)
    skills = [("go",), (), ("sql", "go", "rust"), None, ("rust",), ("sql",), ("go", "sql")]
    frame = pd.DataFrame({"role": (["ml_engineer", "other_role", None] * 3)[:7], "skills": skills})
    buffer = MatrixBuffer()
    buffer.rows(9, width)[:] = 7.0  # stale values the next blocks must not show
    for start, stop in ((0, 7), (2, 4), (1, 6), (0, 1), (3, 7)):
        block = frame.iloc[start:stop]
        into = buffer.rows(len(block), width)
        got = encoder.encode_frame(block, out=into)
        assert got is into and got.flags.c_contiguous
        np.testing.assert_array_equal(got, encoder.encode_frame(block))
    with pytest.raises(ValueError, match=r"float64 \(2, 4\) array"):
        encoder.encode_frame(frame.iloc[:2], out=np.empty((3, width)))
