"""Feature encoding: canonical profiles to the numeric matrix the LightGBM models read.

The same `FeatureSpec` encodes at training time and at prediction time, so the two can never
drift apart. The spec is learned from training rows (`FeatureSpec.fit`), saved as JSON in the
model manifest (`to_dict` / `from_dict`), and applied to a frame (`encode_frame`) or to one
profile (`encode_record`, the fast path used by `predict_salary`).

Kinds of feature:
    categorical  role, country, employment_type, source: a code per value seen at least
                 `min_count` times in training; rarer or unseen values share the code of
                 OTHER_CATEGORY; missing is NaN (LightGBM's missing).
    title        the raw title's key (`taxonomy.title_key` of `role_raw`: "Sr. ML Engineer"
                 -> "machine learning engineer"), a categorical beside the role family, for
                 keys seen at least max(`min_count`, `title_min_count`) times (by default
                 TITLE_MIN_COUNT; a config's `title_min_count`); any other title
                 is missing (the trees' "title not known" branch, i.e. the family decides),
                 never a shared code for rare titles.
    ordinal      education, seniority, company_size: the index in the schema's ordered levels.
    numeric      years_experience, remote_ratio, year: passed through (NaN when missing).
    skills       multi-hot over the skills seen at least `min_count` times, plus `n_skills`,
                 the number of canonical skills listed (known to the vocabulary or not); a
                 profile that lists no skills has all of them missing (NaN): "not said", as
                 for every other factor, so the trees take the branch they learned for it
                 (rows of sources that never asked, and the missing-value copy of training
                 rows, `mlpay_model.model.fitting.with_missing_copy`), not "knows none".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from mlpay_model.schema import (
    COMPANY_SIZES,
    DERIVED_FEATURES,
    EDUCATION_LEVELS,
    SENIORITY_LEVELS,
    is_missing,
)
from mlpay_model.taxonomy import title_key, title_key_without_rank

if TYPE_CHECKING:
    import pandas as pd

OTHER_CATEGORY: Final = "__other__"
SKILL_PREFIX: Final = "skill="
SKILL_COUNT: Final = "n_skills"

TITLE_FEATURE: Final = "title"
TITLE_SOURCE: Final = DERIVED_FEATURES[TITLE_FEATURE]  # the profile column it is read from
TITLE_MIN_COUNT: Final = 100
CATEGORICAL_FEATURES: Final[tuple[str, ...]] = (
    "role",
    "country",
    "employment_type",
    "source",
    TITLE_FEATURE,
)
ORDINAL_FEATURES: Final[dict[str, tuple[str, ...]]] = {
    "education": EDUCATION_LEVELS,
    "seniority": SENIORITY_LEVELS,
    "company_size": COMPANY_SIZES,
}
NUMERIC_FEATURES: Final[tuple[str, ...]] = ("years_experience", "remote_ratio", "year")
SKILLS_FEATURE: Final = "skills"
KNOWN_FEATURES: Final[tuple[str, ...]] = (
    *CATEGORICAL_FEATURES,
    *ORDINAL_FEATURES,
    *NUMERIC_FEATURES,
    SKILLS_FEATURE,
)


@dataclass(frozen=True)
class FeatureSpec:
    """Which canonical columns become which model columns, with vocabularies learned at fit."""

    features: tuple[str, ...]
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    skills: tuple[str, ...] = ()

    @classmethod
    def fit(
        cls,
        profiles: pd.DataFrame,
        features: Sequence[str],
        min_count: int = 5,
        title_min_count: int = TITLE_MIN_COUNT,
    ) -> FeatureSpec:
        """Learn vocabularies from training rows for the chosen canonical `features`."""
        unknown = [name for name in features if name not in KNOWN_FEATURES]
        if unknown:
            raise ValueError(f"unknown feature(s) {unknown}; known: {', '.join(KNOWN_FEATURES)}")
        categories = {
            name: (*_frequent(profiles[name].dropna(), min_count), OTHER_CATEGORY)
            for name in features
            if name in CATEGORICAL_FEATURES and name != TITLE_FEATURE
        }
        if TITLE_FEATURE in features:
            keys = title_keys(profiles[TITLE_SOURCE]).dropna()
            categories[TITLE_FEATURE] = _frequent(keys, title_threshold(min_count, title_min_count))
        skills: tuple[str, ...] = ()
        if SKILLS_FEATURE in features:
            skills = _frequent(
                (skill for row in profiles[SKILLS_FEATURE] for skill in _as_skills(row)), min_count
            )
        return cls(features=tuple(features), categories=categories, skills=skills)

    @property
    def feature_names(self) -> list[str]:
        names: list[str] = []
        for name in self.features:
            if name == SKILLS_FEATURE:
                names.extend(SKILL_PREFIX + skill for skill in self.skills)
                names.append(SKILL_COUNT)
            else:
                names.append(name)
        return names

    @property
    def categorical_feature_names(self) -> list[str]:
        return [name for name in self.features if name in CATEGORICAL_FEATURES]

    def factor_of(self, feature_name: str) -> str:
        """The canonical column a model column comes from (skill columns -> 'skills')."""
        if feature_name.startswith(SKILL_PREFIX) or feature_name == SKILL_COUNT:
            return SKILLS_FEATURE
        return feature_name

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "categories": {name: list(values) for name, values in self.categories.items()},
            "skills": list(self.skills),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureSpec:
        return cls(
            features=tuple(data["features"]),
            categories={name: tuple(values) for name, values in data["categories"].items()},
            skills=tuple(data["skills"]),
        )


class MatrixBuffer:
    """One float64 feature matrix reused from call to call (`FeatureEncoder.encode_frame`'s
    `out`): batch scoring encodes block after block into one per thread, instead of
    allocating (and page-faulting in) a new 100 MB matrix each time. Not for two threads."""

    def __init__(self) -> None:
        self._array = np.empty((0, 0), dtype=np.float64)

    def rows(self, rows: int, width: int) -> np.ndarray:
        """A C-contiguous (rows, width) float64 view, grown (never shrunk) when needed."""
        if self._array.shape[1] != width or self._array.shape[0] < rows:
            self._array = np.empty((rows, width), dtype=np.float64)
        return self._array[:rows]


class FeatureEncoder:
    """Applies a FeatureSpec. Holds lookup tables so that encoding one record is cheap."""

    def __init__(self, spec: FeatureSpec):
        self.spec = spec
        self.feature_names = spec.feature_names
        self._codes = {
            name: {value: float(code) for code, value in enumerate(values)}
            for name, values in spec.categories.items()
        }
        self._levels = {
            name: {value: float(code) for code, value in enumerate(levels)}
            for name, levels in ORDINAL_FEATURES.items()
        }
        self._skill_index = {
            skill: self.feature_names.index(SKILL_PREFIX + skill) for skill in spec.skills
        }
        self._positions = {
            name: self.feature_names.index(name) for name in spec.features if name != SKILLS_FEATURE
        }
        self._count_position = (
            self.feature_names.index(SKILL_COUNT) if SKILLS_FEATURE in spec.features else None
        )
        # encode_record starts from a copy of this row: all missing.
        self._empty_row = np.full((1, len(self.feature_names)), np.nan, dtype=np.float64)
        self._skill_positions = np.fromiter(self._skill_index.values(), dtype=np.intp)
        # encode_frame writes every cell itself (no NaN fill first) when the skill columns
        # lie side by side before n_skills, as FeatureSpec.feature_names puts them.
        first_skill = (self._count_position or 0) - len(self._skill_index)
        self._writes_every_column = self._count_position is None or list(
            self._skill_index.values()
        ) == list(range(first_skill, self._count_position))

    def encode_frame(self, profiles: pd.DataFrame, *, out: np.ndarray | None = None) -> np.ndarray:
        """A float64 matrix with one row per profile and one column per feature name
        (written into `out` when given: a float64 (rows, features) array, e.g. from a
        `MatrixBuffer`; every cell is overwritten)."""
        import pandas as pd  # here, not at the top: `mlpay predict` never needs pandas

        shape = (len(profiles), len(self.feature_names))
        if out is None:
            matrix = np.empty(shape, dtype=np.float64)
        elif out.shape != shape or out.dtype != np.float64:
            raise ValueError(f"out: a float64 {shape} array is needed, not {out.dtype} {out.shape}")
        else:
            matrix = out
        if not self._writes_every_column:
            matrix.fill(np.nan)
        for name, position in self._positions.items():
            if name == TITLE_FEATURE and TITLE_SOURCE in profiles.columns:
                column = title_keys(profiles[TITLE_SOURCE])
            elif name in profiles.columns:
                column = profiles[name]
            else:
                column = pd.Series(np.nan, index=profiles.index)
            matrix[:, position] = self._encode_column(name, column)
        if self._count_position is not None:
            self._encode_skills(profiles, matrix, self._count_position)
        return matrix

    def _encode_skills(
        self,
        profiles: pd.DataFrame,
        matrix: np.ndarray,
        count_position: int,
    ) -> None:
        """The skill columns and n_skills (at `count_position`) of `encode_frame`."""
        import pandas as pd

        raw = profiles[SKILLS_FEATURE] if SKILLS_FEATURE in profiles.columns else ()
        # Normalised frames share one tuple per distinct skill set: encode each distinct
        # object once (by identity, no hashing of tuples), then spread it over its rows.
        values = np.asarray(raw, dtype=object) if len(raw) else np.empty(len(profiles), object)
        codes, distinct = pd.factorize(np.fromiter(map(id, values), np.uint64, len(values)))
        one_each = np.empty(len(distinct), dtype=np.intp)
        one_each[codes] = np.arange(len(values))
        lists = [v if type(v) is tuple else _as_skills(v) for v in values[one_each]]
        counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        # One lookup per distinct skill name, then per row the known columns of its set
        # (expanded with numpy, no per-row loop) and a scatter of ones.
        listed = np.array(list(chain.from_iterable(lists)), dtype=object)
        tokens, names = pd.factorize(listed, use_na_sentinel=True)
        columns = np.array([*(self._skill_index.get(name, -1) for name in names), -1])[tokens]
        known = columns >= 0
        set_of = np.repeat(np.arange(len(lists)), counts)[known]
        per_set = np.bincount(set_of, minlength=len(lists))
        per_row = per_set[codes]
        rows = np.repeat(np.arange(len(values)), per_row)
        starts = np.repeat((np.cumsum(per_set) - per_set)[codes], per_row)
        within = np.arange(len(rows)) - np.repeat(np.cumsum(per_row) - per_row, per_row)
        listing = counts[codes] > 0
        if self._writes_every_column:  # skill columns side by side: 0 or NaN, row by row
            first = count_position - len(self._skill_index)
            matrix[:, first:count_position] = np.where(listing, 0.0, np.nan)[:, None]
        else:
            matrix[np.ix_(listing, self._skill_positions)] = 0.0
        matrix[rows, columns[known][starts + within]] = 1.0
        matrix[:, count_position] = np.where(listing, counts[codes], np.nan)

    def encode_record(self, record: Mapping[str, Any]) -> np.ndarray:
        """One canonical profile (a mapping of canonical column -> value) as a 1-row matrix."""
        row = self._empty_row.copy()
        values = row[0]
        for name, position in self._positions.items():
            value = (
                title_key(record.get(TITLE_SOURCE)) if name == TITLE_FEATURE else record.get(name)
            )
            values[position] = self._encode_value(name, value)
        if self._count_position is not None:
            skills = _as_skills(record.get(SKILLS_FEATURE))
            if not skills:
                return row
            values[self._skill_positions] = 0.0
            for skill in skills:
                skill_position = self._skill_index.get(skill)
                if skill_position is not None:
                    values[skill_position] = 1.0
            values[self._count_position] = float(len(skills))
        return row

    def with_values(self, row: np.ndarray, values: Mapping[str, Any]) -> np.ndarray:
        """A copy of an `encode_record` row with these canonical columns encoded anew (not
        skills or title: those come from a whole record)."""
        changed = row.copy()
        for name, value in values.items():
            if name in (SKILLS_FEATURE, TITLE_FEATURE):
                raise ValueError(f"with_values cannot change {name!r}; encode the record again")
            position = self._positions.get(name)
            if position is not None:
                changed[0, position] = self._encode_value(name, value)
        return changed

    def _encode_column(self, name: str, column: pd.Series) -> np.ndarray:
        import pandas as pd

        if name in self._codes or name in self._levels:
            # Look up each distinct value once; position -1 (missing) picks the trailing NaN.
            positions, distinct = pd.factorize(column, use_na_sentinel=True)
            if name in self._codes:
                codes = self._codes[name]
                if name == TITLE_FEATURE:
                    table = [_title_code(codes, value) for value in distinct]
                else:
                    other = codes.get(OTHER_CATEGORY, np.nan)
                    table = [codes.get(value, other) for value in distinct]
            else:
                levels = self._levels[name]
                table = [levels.get(value, np.nan) for value in distinct]
            return np.array([*table, np.nan], dtype=np.float64)[positions]
        return pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)

    def _encode_value(self, name: str, value: Any) -> float:
        if is_missing(value):
            return math.nan
        if name in self._codes:
            codes = self._codes[name]
            if name == TITLE_FEATURE:
                return _title_code(codes, value)
            return codes.get(value, codes.get(OTHER_CATEGORY, math.nan))
        if name in self._levels:
            return self._levels[name].get(value, math.nan)
        return float(value)

    def is_known(self, name: str, value: Any) -> bool:
        """False when a categorical value is folded into OTHER_CATEGORY (rare or unseen)."""
        codes = self._codes.get(name)
        return codes is None or is_missing(value) or value in codes or name == TITLE_FEATURE


def _title_code(codes: Mapping[str, float], key: object) -> float:
    """The code of a title key; a rare ranked title takes its plain title's code
    (`taxonomy.title_key_without_rank`); any other unknown title is missing (no shared code)."""
    if is_missing(key):
        return math.nan
    code = codes.get(str(key))
    if code is None:
        plain = title_key_without_rank(str(key))
        code = codes.get(plain) if plain is not None else None
    return math.nan if code is None else code


def title_keys(titles: pd.Series) -> pd.Series:
    """`taxonomy.title_key` of every title, worked out once per distinct title."""
    import pandas as pd

    positions, distinct = pd.factorize(titles, use_na_sentinel=True)
    keys = np.array([*(title_key(title) for title in distinct), None], dtype=object)
    return pd.Series(keys[positions], index=titles.index, dtype=object)


def title_threshold(min_count: int, title_min_count: int) -> int:
    """How often a raw title's key must be seen in training to be a `title` category."""
    return max(min_count, title_min_count)


def _frequent(values: Iterable[Any], min_count: int) -> tuple[str, ...]:
    counts = Counter(str(v) for v in values)
    return tuple(sorted(value for value, n in counts.items() if n >= min_count))


def _as_skills(value: Any) -> tuple[str, ...]:
    if is_missing(value):
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(value)
