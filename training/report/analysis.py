"""The numbers behind the report, for one model and its rebuilt training rows.

Every controlled number comes from `mlpay_model.compare` with the same settings as
`mlpay compare` (so the report and the command agree); this module only decides which
comparisons to run:

- ML engineers against each peer role, over the whole reference population;
- the same against the headline peers within slices: each country with enough ML engineers,
  each experience band (years, or aijobs' seniority levels) and each education level;
- per skill in the model's vocabulary (the most common `MAX_SKILLS` among people who list
  skills): predicted pay with the skill over without it, everything else held as is;
- the role families ranked by raw median pay and by controlled pay (the median predicted pay
  of the same people in each role, titled as that role: `compare.with_role`, as every role
  comparison here);
- the mean and median observed pay of US ML engineers, with bootstrap intervals;
- the controlled effect of experience and education (one factor changed for the same people);
- every interval covers the model's own uncertainty as well as the people:
  `Settings.refits` median boosters refitted on grouped bootstrap resamples of the training
  rows (`mlpay_model.compare.model_refits`, the same refits `mlpay compare` uses and caches),
  joined with the people bootstrap (`ci`; `ci_people` is the people-only interval); a model
  with education and skill effects (the default) has them refitted beside each booster, so
  the skill and education premiums, which come from the effects, get their refit spread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from mlpay_model import compare
from mlpay_model.compare import (
    DataFile,
    FactorEffect,
    Filters,
    Reference,
    RoleComparison,
)
from mlpay_model.data.quality import pay_point
from mlpay_model.errors import ConfigError
from mlpay_model.model.features import OTHER_CATEGORY
from mlpay_model.schema import EDUCATION_LEVELS, SENIORITY_LEVELS

if TYPE_CHECKING:
    from mlpay_model.model import PayModel, SalaryModel

FOCUS_ROLE: Final = "ml_engineer"
PEERS: Final[tuple[str, ...]] = (
    "software_engineer",
    "data_scientist",
    "data_engineer",
    "research_scientist",
    "data_analyst",
)
HEADLINE_PEERS: Final[tuple[str, ...]] = ("software_engineer", "data_scientist")
MAX_COUNTRIES: Final = 8
MAX_SKILLS: Final = 25
# Half-open bands [low, high) of years of experience.
EXPERIENCE_BANDS: Final[tuple[tuple[str, float, float], ...]] = (
    ("0-2 years", 0.0, 3.0),
    ("3-5 years", 3.0, 6.0),
    ("6-10 years", 6.0, 11.0),
    ("11-20 years", 11.0, 21.0),
    ("21+ years", 21.0, math.inf),
)
# Controlled experience effect: the same people with this many years instead of the baseline.
EXPERIENCED_YEARS: Final = 10.0
JUNIOR_YEARS: Final = 2.0
EDUCATION_BASELINE: Final = "bachelor"
EDUCATION_COMPARED: Final[tuple[str, ...]] = ("master", "doctorate")
US: Final = "US"
# Median boosters refitted per model for the model-refit intervals (`mlpay compare`'s default).
# Each refit is one training of the median booster (and of the effects beside it, for a model
# that has them): about 2 s of CPU for the default, fitted as many at once as there are cores
# and cached on disk per model and data.
DEFAULT_REFITS: Final = compare.DEFAULT_REFITS


@dataclass(frozen=True)
class Settings:
    """How every comparison is computed; the defaults are `mlpay compare`'s (plus refits)."""

    min_rows: int = compare.DEFAULT_MIN_ROWS
    max_people: int = compare.DEFAULT_MAX_PEOPLE
    resamples: int = compare.DEFAULT_RESAMPLES
    seed: int = compare.DEFAULT_SEED
    refits: int = DEFAULT_REFITS
    fitted: compare.ModelRefits | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Slice:
    """ML engineers against the headline peers within one slice (a country, a band, a level)."""

    dimension: str  # "country", "experience", "seniority" or "education"
    label: str
    filters: Filters
    comparisons: tuple[RoleComparison, ...]


@dataclass(frozen=True)
class RolePay:
    """One role family's pay: raw (observed) median and controlled (same people) median."""

    role: str
    raw_median: float
    n: int
    controlled_median: float


@dataclass(frozen=True)
class PayStats:
    """Mean and median observed pay of a group, with bootstrap intervals."""

    n: int
    mean: float
    mean_ci: tuple[float, float]
    median: float
    median_ci: tuple[float, float]


@dataclass(frozen=True)
class BandPay:
    """Raw median pay of everyone and of ML engineers in one band or level."""

    label: str
    median_all: float | None
    n_all: int
    median_focus: float | None
    n_focus: int


@dataclass(frozen=True)
class SourceAnalysis:
    """Everything the report shows about one model."""

    model: str
    version: str
    adapters: tuple[str, ...]
    files: tuple[DataFile, ...]
    rows: int
    years: tuple[int, int] | None
    us_share: float
    focus_rows_by_year: dict[int, int]
    peers: tuple[RoleComparison, ...]
    slices: dict[str, tuple[Slice, ...]]
    skills: tuple[FactorEffect, ...]
    skill_population: int
    role_pay: tuple[RolePay, ...]
    us_focus_pay: PayStats | None
    experience_effect: FactorEffect | None
    education_effects: tuple[FactorEffect, ...]
    experience_pay: tuple[BandPay, ...]
    education_pay: tuple[BandPay, ...]
    refits: int = 0  # median boosters refitted for every interval (0: people only)
    refit_note: str = ""  # why there are no refits, when there are none
    pay_concept: str = "unknown"  # base salary, total compensation, yearly compensation band
    # The source whose people these are, when the model learned several (the pooled default:
    # one analysis per source population, each in its own pay).
    population: str | None = None

    @property
    def key(self) -> str:
        """What tells this analysis from the others of the report (ids, anchors)."""
        return self.model if self.population is None else f"{self.model}-{self.population}"

    def headline(self, vs: str) -> RoleComparison | None:
        """ML engineers against `vs` over the whole population, when it was computed."""
        return next((c for c in self.peers if c.vs == vs and c.premium is not None), None)

    def interval(self, comparison: RoleComparison) -> tuple[float, float] | None:
        """The 90% interval shown: people and model refits (people only without refits)."""
        if comparison.premium is None or comparison.ci is None:
            return None
        return comparison.ci

    def focus_rank(self, by: str = "raw") -> tuple[int, int] | None:
        """(rank of ML engineers, number of roles ranked) by raw or controlled median pay."""
        key = "raw_median" if by == "raw" else "controlled_median"
        ordered = sorted(self.role_pay, key=lambda item: -getattr(item, key))
        roles = [item.role for item in ordered]
        if FOCUS_ROLE not in roles:
            return None
        return roles.index(FOCUS_ROLE) + 1, len(roles)


def analyse(
    model: SalaryModel, reference: Reference, settings: Settings, population: str | None = None
) -> SourceAnalysis:
    """Run every comparison of the report for `model` on its rebuilt training rows (of one
    source `population` only, when given: a model of several sources is analysed per source,
    with `settings.fitted` refitted on all its rows, see `analyse_populations`)."""
    refits, refit_note = _refits(model, reference.profiles, settings)
    if population is not None:
        reference = Reference(
            reference.profiles.loc[reference.profiles["source"] == population],
            tuple(item for item in reference.files if item.source == population),
        )
    profiles = reference.profiles
    people = compare.sample_people(profiles, settings.max_people, settings.seed)
    features = set(model.factors)
    years = profiles["year"].dropna()
    settings = replace(settings, fitted=refits)
    peers = tuple(_compare(model, profiles, PEERS, Filters(), settings))
    return SourceAnalysis(
        model=model.name,
        version=model.version,
        adapters=tuple(dict.fromkeys(item.source for item in reference.files)),
        files=reference.files,
        rows=len(profiles),
        years=(int(years.min()), int(years.max())) if len(years) else None,
        us_share=float((profiles["country"] == US).mean()) if len(profiles) else 0.0,
        focus_rows_by_year=_rows_by_year(profiles[profiles["role"] == FOCUS_ROLE]),
        peers=peers,
        slices=_slices(model, profiles, features, settings),
        skills=tuple(_skills(model, people, features, settings)),
        skill_population=int(_lists_skills(people).sum()) if "skills" in features else 0,
        role_pay=tuple(_role_pay(model, profiles, people, settings)),
        us_focus_pay=_us_focus_pay(profiles, settings),
        experience_effect=_experience_effect(model, people, features, settings),
        education_effects=tuple(_education_effects(model, people, features, settings)),
        experience_pay=tuple(_experience_pay(profiles)),
        education_pay=tuple(_education_pay(profiles)),
        refits=len(refits) if refits is not None else 0,
        refit_note=refit_note,
        pay_concept=compare.pay_concept(model, population),
        population=population,
    )


def analyse_populations(
    model: SalaryModel, reference: Reference, settings: Settings
) -> list[SourceAnalysis]:
    """`analyse` of a model: once, or per source population for a model of several (the
    refits fitted once, on all its rows)."""
    learned = compare.model_populations(model)
    present = [name for name in learned if (reference.profiles["source"] == name).any()]
    if len(present) < 2:
        return [analyse(model, reference, settings)]
    refits, refit_note = _refits(model, reference.profiles, settings)
    # Without refits (none asked for, or none possible): no population tries them again.
    shared = replace(settings, fitted=refits, refits=settings.refits if refits else 0)
    analyses = [analyse(model, reference, shared, name) for name in present]
    return [replace(a, refit_note=refit_note) for a in analyses] if refit_note else analyses


def _refits(
    model: SalaryModel, profiles: pd.DataFrame, settings: Settings
) -> tuple[compare.ModelRefits | None, str]:
    """The refitted median boosters of every interval, or why there are none."""
    if settings.fitted is not None:
        return settings.fitted, ""
    if settings.refits < compare.MIN_REFITS:
        return None, f"not run ({settings.refits} refits requested)"
    if not isinstance(model.manifest.get("config"), dict):
        return None, "not run (the model's manifest has no usable training config)"
    try:
        fitted = compare.model_refits(
            model, profiles, refits=settings.refits, seed=settings.seed, with_effects=True
        )
    except ConfigError:
        return None, "not run (the model's manifest has no usable training config)"
    return fitted, ""


def _rows_by_year(rows: pd.DataFrame) -> dict[int, int]:
    counts = rows["year"].dropna().astype(int).value_counts().sort_index()
    return dict(
        zip(counts.index.to_numpy(dtype=int).tolist(), counts.to_numpy().tolist(), strict=True)
    )


def _compare(
    model: PayModel,
    profiles: pd.DataFrame,
    versus: Sequence[str],
    filters: Filters,
    settings: Settings,
) -> list[RoleComparison]:
    return compare.compare_roles(
        model,
        profiles,
        FOCUS_ROLE,
        versus,
        filters,
        min_rows=settings.min_rows,
        max_people=settings.max_people,
        resamples=settings.resamples,
        seed=settings.seed,
        refits=settings.fitted,
    )


def _slices(
    model: PayModel, profiles: pd.DataFrame, features: set[str], settings: Settings
) -> dict[str, tuple[Slice, ...]]:
    """Headline comparisons per country, experience band (or seniority) and education level."""
    chosen: dict[str, list[tuple[str, Filters]]] = {"country": []}
    focus = profiles[profiles["role"] == FOCUS_ROLE]
    countries = focus["country"].dropna().value_counts()
    for country in countries[countries >= settings.min_rows].index[:MAX_COUNTRIES]:
        chosen["country"].append((str(country), Filters(country=str(country))))
    if "years_experience" in features and profiles["years_experience"].notna().any():
        chosen["experience"] = [
            (label, years_band(low, high)) for label, low, high in EXPERIENCE_BANDS
        ]
    elif "seniority" in features and profiles["seniority"].notna().any():
        chosen["seniority"] = [(level, Filters(seniority=level)) for level in SENIORITY_LEVELS]
    if "education" in features and profiles["education"].notna().any():
        chosen["education"] = [
            (level, Filters(education=level))
            for level in EDUCATION_LEVELS
            if (focus["education"] == level).sum() >= settings.min_rows
        ]
    return {
        dimension: tuple(
            Slice(
                dimension=dimension,
                label=label,
                filters=filters,
                comparisons=tuple(_compare(model, profiles, HEADLINE_PEERS, filters, settings)),
            )
            for label, filters in slices
        )
        for dimension, slices in chosen.items()
    }


def years_band(low: float, high: float) -> Filters:
    """Filters for low <= years < high (Filters.years is inclusive: stop just below `high`)."""
    if math.isinf(high):
        return Filters(years=(low, high))
    return Filters(years=(low, math.nextafter(high, -math.inf)))


def _lists_skills(people: pd.DataFrame) -> pd.Series:
    return people["skills"].map(lambda skills: bool(skills)).astype(bool)


def _skills(
    model: PayModel, people: pd.DataFrame, features: set[str], settings: Settings
) -> list[FactorEffect]:
    """Skill premiums over the people who list skills (their survey asked about skills)."""
    if "skills" not in features or not model.skills:
        return []
    listing = people[_lists_skills(people)]
    counts = pd.Series(
        [skill for skills in listing["skills"] for skill in skills], dtype=object
    ).value_counts()
    vocabulary = set(model.skills)
    common = [
        str(skill)
        for skill, count in counts.items()
        if skill in vocabulary and count >= settings.min_rows
    ][:MAX_SKILLS]
    if not common:
        return []
    return compare.skill_premiums(
        model,
        listing,
        common,
        resamples=settings.resamples,
        seed=settings.seed,
        refits=settings.fitted,
    )


def _role_pay(
    model: PayModel, profiles: pd.DataFrame, people: pd.DataFrame, settings: Settings
) -> list[RolePay]:
    """Role families with at least `min_rows` rows known to the model, raw and controlled."""
    known = set(model.spec.categories.get("role", ())) - {OTHER_CATEGORY, "other"}
    rows = []
    for role in sorted(known):
        median, n = compare.raw_median(profiles[profiles["role"] == role])
        if median is None or n < settings.min_rows:
            continue
        predicted = compare.predicted_pay(model, compare.with_role(people, role))
        rows.append(
            RolePay(
                role=role, raw_median=median, n=n, controlled_median=float(np.median(predicted))
            )
        )
    return rows


def _us_focus_pay(profiles: pd.DataFrame, settings: Settings) -> PayStats | None:
    rows = profiles[(profiles["role"] == FOCUS_ROLE) & (profiles["country"] == US)]
    pay = pay_point(rows) if len(rows) else np.array([])
    pay = pay[np.isfinite(pay)]
    if len(pay) < settings.min_rows:
        return None
    options = {"resamples": settings.resamples, "seed": settings.seed}
    return PayStats(
        n=len(pay),
        mean=float(np.mean(pay)),
        mean_ci=compare.bootstrap_interval(pay, np.mean, **options),
        median=float(np.median(pay)),
        median_ci=compare.bootstrap_interval(pay, np.median, **options),
    )


def _experience_effect(
    model: PayModel, people: pd.DataFrame, features: set[str], settings: Settings
) -> FactorEffect | None:
    """The same people with 10 instead of 2 years (or senior instead of entry level)."""
    options = {"resamples": settings.resamples, "seed": settings.seed}
    if "years_experience" in features and people["years_experience"].notna().any():
        return compare.factor_premium(
            model,
            people,
            "years_experience",
            EXPERIENCED_YEARS,
            JUNIOR_YEARS,
            refits=settings.fitted,
            **options,
        )
    if "seniority" in features and people["seniority"].notna().any():
        return compare.factor_premium(
            model, people, "seniority", "senior", "entry", refits=settings.fitted, **options
        )
    return None


def _education_effects(
    model: PayModel, people: pd.DataFrame, features: set[str], settings: Settings
) -> list[FactorEffect]:
    if "education" not in features or people["education"].isna().all():
        return []
    return [
        compare.factor_premium(
            model,
            people,
            "education",
            level,
            EDUCATION_BASELINE,
            resamples=settings.resamples,
            seed=settings.seed,
            refits=settings.fitted,
        )
        for level in EDUCATION_COMPARED
    ]


def _band_pay(label: str, rows: pd.DataFrame) -> BandPay:
    median_all, n_all = compare.raw_median(rows)
    median_focus, n_focus = compare.raw_median(rows[rows["role"] == FOCUS_ROLE])
    return BandPay(label, median_all, n_all, median_focus, n_focus)


def _experience_pay(profiles: pd.DataFrame) -> list[BandPay]:
    if profiles["years_experience"].notna().any():
        years = profiles["years_experience"]
        return [
            _band_pay(label, profiles[(years >= low) & (years < high)])
            for label, low, high in EXPERIENCE_BANDS
        ]
    if profiles["seniority"].notna().any():
        return [
            _band_pay(level, profiles[profiles["seniority"] == level]) for level in SENIORITY_LEVELS
        ]
    return []


def _education_pay(profiles: pd.DataFrame) -> list[BandPay]:
    if profiles["education"].isna().all():
        return []
    return [
        _band_pay(level, profiles[profiles["education"] == level])
        for level in EDUCATION_LEVELS
        if (profiles["education"] == level).any()
    ]
