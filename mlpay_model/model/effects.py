"""Factor effects: what education and skills add to a person's pay, learned where recorded.

Why a layer beside the trees: aijobs.net, most of the pooled data and the default population,
records no education and no skills. Trees that split on them next to rows that lack them learn
the sources' pay gap as the factors' effect ("no skills listed" read as an aijobs.net row:
listing `python` lowered pay 13%). Here the boosters never see education or skills; these
effects are learned from the survey rows that record them, as log-pay differences among
comparable people (a ridge regression of the boosters' residuals), so they hold by construction:

    education  one effect per level; the ordered levels (none .. doctorate) made non-decreasing
               by isotonic regression (pool-adjacent-violators, weighted by rows), so a higher
               degree never lowers pay unless the pooled evidence is flat (then equal); centred
               per population at its mix of degrees, so "not given" is the population's
               average (zero effect) and every level is said against it
    skills     one effect per skill listed by at least `min_skill_rows` rows, shrunk toward zero
               by the ridge penalty (rare skills most); a listed skill adds
               coefficient x (1 - share of the population's people who list it): the list is
               read as partial, so an unlisted skill stays at the population's mix. Words the
               vocabulary does not know add nothing. A negative effect is what the data shows
               (comparable people listing it are paid less), and the explanation says so

Effects are additive on log pay: the median and both interval ends move together, so the
calibrated interval's width is the boosters' (the conformal q is fitted with the effects in).
Everything is a small JSON table in the manifest (`to_dict`/`from_dict`): no pickle.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from mlpay_model.schema import EDUCATION_LEVELS, is_missing

if TYPE_CHECKING:
    import pandas as pd

EFFECT_FACTORS: Final[tuple[str, ...]] = ("education", "skills")
ORDERED_EDUCATION: Final[tuple[str, ...]] = tuple(
    level for level in EDUCATION_LEVELS if level != "professional"
)
"""Education levels with an order that pay should follow; "professional" (a JD, MD, ...) is
not above or below a doctorate, so it keeps its own estimate."""


@dataclass(frozen=True)
class EffectSettings:
    """How effects are fitted: which factors, the ridge penalty, the rarest skill kept."""

    factors: tuple[str, ...] = EFFECT_FACTORS
    ridge_alpha: float = 100.0
    min_skill_rows: int = 30

    def __post_init__(self) -> None:
        unknown = [name for name in self.factors if name not in EFFECT_FACTORS]
        if unknown or not self.factors:
            raise ValueError(
                f"effects.factors {list(self.factors)}: choose from {list(EFFECT_FACTORS)}"
            )
        if not (self.ridge_alpha > 0 and math.isfinite(self.ridge_alpha)):
            raise ValueError(f"effects.ridge_alpha {self.ridge_alpha!r}: must be above 0")
        if self.min_skill_rows < 1:
            raise ValueError(f"effects.min_skill_rows {self.min_skill_rows!r}: must be >= 1")


@dataclass(frozen=True)
class FactorEffects:
    """Per population, the log-pay effect of each education level and each listed skill."""

    factors: tuple[str, ...]
    education: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    skills: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Every skill with an effect (in some population)."""
        return tuple(sorted({skill for table in self.skills.values() for skill in table}))

    def of_record(self, record: Mapping[str, Any], population: str) -> dict[str, float]:
        """{factor: log effect} of one canonical record priced as `population`."""
        effects: dict[str, float] = {}
        if "education" in self.factors:
            level = record.get("education")
            table = self.education.get(population, {})
            effects["education"] = 0.0 if is_missing(level) else table.get(str(level), 0.0)
        if "skills" in self.factors:
            effects["skills"] = _skills_effect(record.get("skills"), self.skills.get(population))
        return effects

    def of_frame(self, profiles: pd.DataFrame, populations: Sequence[str] | str) -> np.ndarray:
        """(rows x len(factors)) log effects of canonical `profiles`, each row priced as its
        population (`populations`: one name for every row, or one per row)."""
        rows = len(profiles)
        out = np.zeros((rows, len(self.factors)))
        for column, factor in enumerate(self.factors):
            values = profiles[factor] if factor in profiles else [None] * rows
            price = self._education_of if factor == "education" else self._skills_of
            out[:, column] = _priced_once(values, populations, price)
        return out

    def _education_of(self, level: Any, population: str) -> float:
        return 0.0 if is_missing(level) else self.education.get(population, {}).get(level, 0.0)

    def _skills_of(self, skills: object, population: str) -> float:
        return _skills_effect(skills, self.skills.get(population))

    def to_dict(self) -> dict[str, Any]:
        return {
            "factors": list(self.factors),
            "education": {name: dict(table) for name, table in self.education.items()},
            "skills": {name: dict(table) for name, table in self.skills.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FactorEffects:
        """The manifest's `effects`; a ValueError naming the key when malformed."""
        factors = tuple(str(name) for name in data["factors"])
        if not factors or any(name not in EFFECT_FACTORS for name in factors):
            raise ValueError(f"effects.factors {list(factors)}: choose from {EFFECT_FACTORS}")
        return cls(
            factors=factors,
            education=_tables(data.get("education", {}), "education"),
            skills=_tables(data.get("skills", {}), "skills"),
        )


def _tables(value: object, what: str) -> Mapping[str, Mapping[str, float]]:
    if not isinstance(value, Mapping):
        raise ValueError(f"effects.{what} must be a mapping of population -> table")
    tables: dict[str, Mapping[str, float]] = {}
    for population, table in value.items():
        if not isinstance(table, Mapping):
            raise ValueError(f"effects.{what}.{population} must be a mapping")
        numbers = {str(key): number for key, number in table.items()}
        if not all(
            isinstance(number, int | float)
            and not isinstance(number, bool)
            and math.isfinite(number)
            for number in numbers.values()
        ):
            raise ValueError(f"effects.{what}.{population}: every effect must be a finite number")
        tables[str(population)] = MappingProxyType(
            {key: float(number) for key, number in numbers.items()}
        )
    return MappingProxyType(tables)


def _priced_once(
    values: Any, populations: Sequence[str] | str, price: Callable[[Any, str], float]
) -> np.ndarray:
    """price(value, population) of each row (`populations`: one for every row, or one per
    row). Batches repeat a few (value, population) pairs, so each pair is priced once, with
    the values of the first row that holds it; rows whose values cannot be hashed (lists)
    are priced one by one."""
    import pandas as pd

    column = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    rows = len(column)
    names = [populations] * rows if isinstance(populations, str) else list(populations)
    try:
        value_codes, _ = pd.factorize(column, use_na_sentinel=False)
    except TypeError:  # unhashable values
        return np.fromiter(map(price, column, names), dtype=np.float64, count=rows)
    if isinstance(populations, str):
        name_codes, distinct_names = np.zeros(rows, dtype=np.int64), 1
    else:
        codes, uniques = pd.factorize(np.asarray(names, dtype=object), use_na_sentinel=False)
        name_codes, distinct_names = codes.astype(np.int64), len(uniques)
    pair_of_row = value_codes.astype(np.int64) * distinct_names + name_codes
    _, first_rows, pair_codes = np.unique(pair_of_row, return_index=True, return_inverse=True)
    prices = [price(column.iat[row], names[row]) for row in first_rows.tolist()]
    return np.asarray(prices, dtype=np.float64)[pair_codes]


def _skills_effect(skills: object, table: Mapping[str, float] | None) -> float:
    if not table or not isinstance(skills, tuple | list):
        return 0.0
    # sorted: a set's order changes with the hash seed, and float sums with their order
    return float(sum(table.get(skill, 0.0) for skill in sorted(set(skills))))


# --- fitting ----------------------------------------------------------------------------------


def fit_effects(
    profiles: pd.DataFrame,
    residuals: np.ndarray,
    populations: Iterable[str],
    settings: EffectSettings,
) -> FactorEffects:
    """Effects from canonical training `profiles` (with `source`) and the boosters' log-pay
    `residuals` on them (the boosters never saw education or skills), for each population.

    One ridge regression over the rows that give at least one effect factor: an indicator per
    education level and per frequent skill, plus per-source intercepts and "not given"
    indicators that absorb what is not the factors' effect. Then the ordered education levels
    are made non-decreasing and everything is centred per population (module docstring).
    """
    import pandas as pd

    education = pd.Series(
        _column(profiles, "education", "education" in settings.factors), dtype=object
    )
    education = education.where(education.isin(EDUCATION_LEVELS))  # missing: None/NaN alike
    skills = pd.Series(
        [
            tuple(set(value)) if isinstance(value, tuple | list) else ()
            for value in _column(profiles, "skills", "skills" in settings.factors)
        ],
        dtype=object,
    )
    sources = profiles["source"].astype(str).to_numpy()
    lists = skills.map(len).to_numpy() > 0
    gives = education.notna().to_numpy() | lists
    names = list(populations)
    if not gives.any():
        return FactorEffects(settings.factors, {n: {} for n in names}, {n: {} for n in names})
    rows = np.flatnonzero(gives)
    pairs = skills.iloc[rows].reset_index(drop=True).explode().dropna()  # (row, skill)
    counts = pairs.value_counts()
    vocabulary = sorted(str(skill) for skill in counts[counts >= settings.min_skill_rows].index)
    levels = [level for level in EDUCATION_LEVELS if "education" in settings.factors]
    given_sources = sorted(set(sources[rows]))
    columns = [
        *(("education", level) for level in levels),
        *(("skill", skill) for skill in vocabulary),
        *(("source", name) for name in given_sources),
        ("education", None),
        ("skill", None),
    ]
    index = {column: position for position, column in enumerate(columns)}
    design = np.zeros((len(rows), len(columns)))
    row_levels = education.iloc[rows].to_numpy()
    level_column = np.array(
        [index["education", None if not isinstance(level, str) else level] for level in row_levels]
    )
    design[np.arange(len(rows)), level_column] = 1.0
    design[:, index["skill", None]] = (~lists[rows]).astype(float)
    known = pairs[pairs.isin(vocabulary)]
    design[known.index.to_numpy(), [index["skill", str(skill)] for skill in known.to_numpy()]] = 1.0
    design[np.arange(len(rows)), [index["source", name] for name in sources[rows]]] = 1.0
    target = np.asarray(residuals, dtype="float64")[rows]
    # Sums that do not depend on BLAS threads (a retrain gives the same bytes anywhere): the
    # 0/1 design's gram matrix is exact in floats, and fsum rounds each column's sum once.
    gram = design.T @ design + settings.ridge_alpha * np.eye(len(columns))
    moments = np.array([math.fsum(target[design[:, j] > 0]) for j in range(len(columns))])
    coefficients = np.linalg.solve(gram, moments)
    level_effect = {level: float(coefficients[index["education", level]]) for level in levels}
    level_rows = {level: float(design[:, index["education", level]].sum()) for level in levels}
    ordered = [level for level in ORDERED_EDUCATION if level in level_effect]
    monotone = non_decreasing(
        [level_effect[level] for level in ordered], [level_rows[level] for level in ordered]
    )
    level_effect.update(zip(ordered, monotone, strict=True))
    skill_effect = {skill: float(coefficients[index["skill", skill]]) for skill in vocabulary}
    education_tables: dict[str, dict[str, float]] = {}
    skill_tables: dict[str, dict[str, float]] = {}
    for name in names:
        own = gives & (sources == name)
        mix_rows = own if own.any() else gives  # a population that never records: the surveys'
        given_levels = education[mix_rows].dropna()
        centre = float(given_levels.map(level_effect).mean()) if len(given_levels) else 0.0
        education_tables[name] = {level: effect - centre for level, effect in level_effect.items()}
        listing = skills[mix_rows & lists]
        listed = listing.explode().value_counts() / max(len(listing), 1)
        skill_tables[name] = {
            skill: effect * (1.0 - float(listed.get(skill, 0.0)))
            for skill, effect in skill_effect.items()
        }
    return FactorEffects(settings.factors, education_tables, skill_tables)


def non_decreasing(values: Sequence[float], weights: Sequence[float]) -> list[float]:
    """The weighted least-squares non-decreasing fit of `values` (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for value, weight in zip(values, weights, strict=True):
        blocks.append([float(value), max(float(weight), 1e-12), 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            right = blocks.pop()
            left = blocks[-1]
            total = left[1] + right[1]
            blocks[-1] = [
                (left[0] * left[1] + right[0] * right[1]) / total,
                total,
                left[2] + right[2],
            ]
    return [mean for mean, _, count in blocks for _ in range(int(count))]


def _column(profiles: pd.DataFrame, name: str, wanted: bool) -> list[Any]:
    if wanted and name in profiles:
        return list(profiles[name])
    return [None] * len(profiles)
