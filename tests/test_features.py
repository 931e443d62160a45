"""mlpay_model.model.features: skills not said, and the raw title beside its family."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlpay_model.model.features import TITLE_MIN_COUNT, FeatureEncoder, FeatureSpec

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
