"""Counterfactual premiums: the same people priced with one factor changed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import pandas as pd

from mlpay_model.compare._bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, Premium, ratio_premium
from mlpay_model.compare._filters import Filters, resolve_roles
from mlpay_model.compare._reference import (
    DEFAULT_MAX_PEOPLE,
    raw_median,
    sample_people,
    select_people,
)
from mlpay_model.compare._refits import (
    DEFAULT_REFITS,
    ModelRefits,
    model_refits,
    premiums_between,
)
from mlpay_model.compare._roles import TITLE_COLUMN, with_role
from mlpay_model.data.sources.registry import model_pay_text, source_pay_text
from mlpay_model.errors import (
    ConfigError,
    DataError,
    InvalidInputError,
    MlpayError,
    closest,
    did_you_mean,
)
from mlpay_model.model.features import OTHER_CATEGORY

if TYPE_CHECKING:
    from mlpay_model.model.protocol import PayModel

DEFAULT_MIN_ROWS: Final = 30
Status = Literal["ok", "too_rare", "not_in_model", "not_in_data"]


@dataclass(frozen=True)
class RoleComparison:
    """One line of `mlpay compare`: `role` against `vs` for one model and one set of filters."""

    role: str
    vs: str
    status: Status
    premium: float | None
    ci: tuple[float, float] | None
    n: int  # people whose predictions were compared (after subsampling)
    n_matching: int  # training rows matching the filters (before subsampling)
    raw_median_role: float | None
    raw_median_vs: float | None
    n_role: int
    n_vs: int
    model: str
    model_version: str
    filters: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    # `ci` covers the people and the model (refits) when `interval` is "model + people";
    # `ci_people` resamples the people with the model fixed; `ci_refits` is the middle 90% of
    # the `refits` refitted models' premiums.
    ci_people: tuple[float, float] | None = None
    ci_refits: tuple[float, float] | None = None
    refits: int = 0
    interval: str = "people only"
    pay_concept: str = "unknown"
    population: str | None = None  # the source whose people these are (`Filters.population`)

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        for name in ("ci", "ci_people", "ci_refits"):
            interval = getattr(self, name)
            values[name] = list(interval) if interval is not None else None
        return values


@dataclass(frozen=True)
class FactorEffect:
    """The premium of one factor value over a baseline (a skill present vs absent, a level)."""

    factor: str
    value: str
    baseline: str
    premium: float
    ci: tuple[float, float]
    n: int  # people compared
    n_with: int  # people in the population who actually have `value`
    ci_people: tuple[float, float] | None = None
    ci_refits: tuple[float, float] | None = None
    refits: int = 0
    estimated: bool = True  # False: the model never uses this value (every ratio exactly 1)

    @property
    def interval(self) -> str:
        return "model + people" if self.refits >= 2 else "people only"


# --- counterfactual predictions ---------------------------------------------------------------


def with_value(people: pd.DataFrame, column: str, value: Any) -> pd.DataFrame:
    """A copy of `people` with `column` set to `value` on every row, all else unchanged.

    Not for the role: a role change also changes the title (`with_role`)."""
    if column in ("role", TITLE_COLUMN):
        raise ValueError(f"with_value cannot change {column!r}: use with_role")
    changed = people.copy()
    dtype = object if isinstance(value, str) else None  # canonical text columns are object
    changed[column] = pd.Series([value] * len(people), index=people.index, dtype=dtype)
    return changed


def with_skill(people: pd.DataFrame, skill: str, present: bool) -> pd.DataFrame:
    """A copy of `people` where everyone lists `skill` (present) or nobody does."""
    changed = people.copy()

    def edit(skills: Any) -> tuple[str, ...]:
        current = set(skills) if isinstance(skills, tuple | list) else set()
        current.discard(skill)
        if present:
            current.add(skill)
        return tuple(sorted(current))

    changed["skills"] = people["skills"].map(edit).astype(object)
    return changed


def predicted_pay(model: PayModel, people: pd.DataFrame) -> np.ndarray:
    """The model's median annual USD pay for each row."""
    return model.predict(people)["median"].to_numpy(dtype=np.float64)


# --- the comparisons --------------------------------------------------------------------------


def compare_roles(
    model: PayModel,
    profiles: pd.DataFrame,
    role: str,
    versus: Sequence[str],
    filters: Filters | None = None,
    *,
    min_rows: int = DEFAULT_MIN_ROWS,
    max_people: int | None = DEFAULT_MAX_PEOPLE,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    refits: ModelRefits | int | None = DEFAULT_REFITS,
) -> list[RoleComparison]:
    """The premium of `role` over each role in `versus`, for the people in `profiles`.

    `profiles` is the reference population before filtering (the model's training rows,
    `load_reference(model.manifest).profiles`); roles may be typed as users type them.
    `refits`: refitted models (`model_refits`) whose spread joins the interval, or how many to
    refit (cached on disk; a model without a training config in its manifest, such as a
    stand-in, gets the people-only interval, named so), or None/0 for the people only.

    A model that learned several source populations (`source` a feature: the pooled default)
    is compared within each population of `profiles` in turn, each in its own pay concept,
    unless `filters.population` picks one: its sources pay different things to different
    people, so one premium over all of them would mix pay concepts.
    """
    filters = filters or Filters()
    if "role" not in model.spec.features:
        raise MlpayError(f"model {model.name} does not use the role; it cannot compare roles")
    role, versus = resolve_roles(role, versus)
    learned = model_populations(model)
    if filters.population is None and len(learned) > 1:
        present = tuple(name for name in learned if (profiles["source"] == name).any())
        if len(present) > 1:
            return _within_each_population(
                model,
                profiles,
                (role, versus),
                filters,
                present,
                min_rows=min_rows,
                max_people=max_people,
                resamples=resamples,
                seed=seed,
                refits=resolve_refits(model, profiles, refits, seed),
            )
        if present:
            filters = replace(filters, population=present[0])
    if filters.population is not None and learned and filters.population not in learned:
        raise InvalidInputError(
            "population",
            filters.population,
            f"is not a population of model {model.name}; expected one of "
            f"{', '.join(learned)}{did_you_mean(filters.population, learned)}",
        )
    matching = select_people(profiles, filters)
    people = sample_people(matching, max_people, seed)
    raw = {name: raw_median(matching[matching["role"] == name]) for name in (role, *versus)}
    known = set(model.spec.categories.get("role", ())) - {OTHER_CATEGORY}
    pay_as_role: np.ndarray | None = None
    refitted_as_role: np.ndarray | None = None
    results = []
    for other in versus:
        status, note = _comparability(model.name, role, other, raw, known, min_rows, filters)
        premium: Premium | None = None
        if status == "ok":
            if pay_as_role is None:
                as_role = with_role(people, role)
                pay_as_role = predicted_pay(model, as_role)
                refits = resolve_refits(model, profiles, refits, seed)
                if refits is not None:
                    refitted_as_role = refits.log_pay(as_role)
            as_other = with_role(people, other)
            pay_as_other = predicted_pay(model, as_other)
            refit_premiums: tuple[float, ...] = ()
            if isinstance(refits, ModelRefits) and refitted_as_role is not None:
                refit_premiums = premiums_between(refitted_as_role, refits.log_pay(as_other))
            premium = ratio_premium(
                pay_as_role,
                pay_as_other,
                resamples=resamples,
                seed=seed,
                refit_premiums=refit_premiums,
            )
        results.append(
            RoleComparison(
                role=role,
                vs=other,
                status=status,
                premium=premium.premium if premium else None,
                ci=premium.ci if premium else None,
                n=premium.n if premium else 0,
                n_matching=len(matching),
                raw_median_role=raw[role][0],
                raw_median_vs=raw[other][0],
                n_role=raw[role][1],
                n_vs=raw[other][1],
                model=model.name,
                model_version=model.version,
                filters=filters.to_dict(),
                note=note,
                ci_people=premium.ci_people if premium else None,
                ci_refits=premium.ci_refits if premium else None,
                refits=len(premium.refit_premiums) if premium else 0,
                interval=premium.interval_kind if premium else "none",
                pay_concept=pay_concept(model, filters.population),
                population=filters.population,
            )
        )
    return results


def _within_each_population(
    model: PayModel,
    profiles: pd.DataFrame,
    roles: tuple[str, Sequence[str]],
    filters: Filters,
    populations: Sequence[str],
    **options: Any,
) -> list[RoleComparison]:
    """`compare_roles` within each of `populations` in turn; a population whose data lacks a
    factor the filters name is a flagged row (`_not_in_data`), unless every one lacks it."""
    role, versus = roles
    results: list[RoleComparison] = []
    lacking: list[InvalidInputError] = []
    for name in populations:
        within = replace(filters, population=name)
        try:
            results += compare_roles(model, profiles, role, versus, within, **options)
        except InvalidInputError as error:  # a filter on a factor this source lacks
            lacking.append(error)
            results += [_not_in_data(model, role, other, within, error) for other in versus]
    if len(lacking) == len(populations):
        raise lacking[0]
    return results


def _not_in_data(
    model: PayModel, role: str, other: str, filters: Filters, error: InvalidInputError
) -> RoleComparison:
    """The flagged line of a population whose data lacks a factor the filters name."""
    return RoleComparison(
        role=role,
        vs=other,
        status="not_in_data",
        premium=None,
        ci=None,
        n=0,
        n_matching=0,
        raw_median_role=None,
        raw_median_vs=None,
        n_role=0,
        n_vs=0,
        model=model.name,
        model_version=model.version,
        filters=filters.to_dict(),
        note=f"{filters.population} has no {error.field} to filter on",
        pay_concept=pay_concept(model, filters.population),
        population=filters.population,
    )


def model_populations(model: PayModel) -> tuple[str, ...]:
    """The source populations `model` prices (`SalaryModel.populations`); a stand-in model
    without them: ()."""
    return tuple(getattr(model, "populations", ()))


def pay_concept(model: PayModel, population: str | None = None) -> str:
    """What the model's pay figure is ("base salary", "total compensation", ...); of one
    source `population` when given."""
    manifest = getattr(model, "manifest", None)
    if population is not None and population in model_populations(model):
        return source_pay_text(manifest, population)
    return model_pay_text(manifest)


def resolve_refits(
    model: PayModel, profiles: pd.DataFrame, refits: ModelRefits | int | None, seed: int
) -> ModelRefits | None:
    """Refitted models for `model`: given, refitted (or read from the cache), or None when
    none were asked for or the model has no training config in its manifest."""
    if refits is None or isinstance(refits, ModelRefits):
        return refits
    if not refits:
        return None
    manifest = getattr(model, "manifest", None)
    if not isinstance(manifest, Mapping) or not isinstance(manifest.get("config"), Mapping):
        return None
    try:
        return model_refits(model, profiles, refits=refits, seed=seed)
    except ConfigError:
        return None  # a config that cannot be refitted: the people-only interval, named so


def _comparability(
    model_name: str,
    role: str,
    other: str,
    raw: Mapping[str, tuple[float | None, int]],
    known: set[str],
    min_rows: int,
    filters: Filters,
) -> tuple[Status, str]:
    unknown = [name for name in (role, other) if name not in known]
    if unknown:
        verb = "are" if len(unknown) > 1 else "is"
        return "not_in_model", (
            f"{' and '.join(unknown)} {verb} too rare in the {model_name} training data to have "
            f"a category of its own (folded into {OTHER_CATEGORY})"
        )
    rare = [name for name in (role, other) if raw[name][1] < min_rows]
    if rare:
        counts = ", ".join(f"{name} has {raw[name][1]}" for name in rare)
        return "too_rare", (
            f"too few training rows within {filters.describe()} ({counts}; "
            f"at least {min_rows} needed)"
        )
    return "ok", ""


def factor_premium(
    model: PayModel,
    people: pd.DataFrame,
    column: str,
    value: Any,
    baseline: Any,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    refits: ModelRefits | None = None,
) -> FactorEffect:
    """Premium of `column`=`value` over `column`=`baseline` for the same people (e.g. education),
    joined with the refitted models' premiums when `refits` are given."""
    changed = with_value(people, column, value)
    unchanged = with_value(people, column, baseline)
    pay = predicted_pay(model, changed)
    baseline_pay = predicted_pay(model, unchanged)
    refit_premiums = _refit_premiums(model, refits, column, changed, unchanged)
    premium = ratio_premium(
        pay, baseline_pay, resamples=resamples, seed=seed, refit_premiums=refit_premiums
    )
    return _effect(column, value, baseline, premium, int((people[column] == value).sum()))


def _refit_premiums(
    model: PayModel,
    refits: ModelRefits | None,
    factor: str,
    changed: pd.DataFrame,
    unchanged: pd.DataFrame,
) -> tuple[float, ...]:
    """The premium under each refit (none without refits). A factor the model prices through
    its effects needs refits that refitted them (`model_refits(..., with_effects=True)`):
    refitted boosters alone would give every refit a 0% premium."""
    if refits is None:
        return ()
    if factor in getattr(model, "factors", ()) and not refits.prices(factor):
        raise ValueError(
            f"the refits of model {model.name} do not price {factor} (the model's effects "
            "do): refit them with model_refits(..., with_effects=True)"
        )
    return refits.premiums(changed, unchanged)


def _effect(factor: str, value: Any, baseline: Any, premium: Premium, n_with: int) -> FactorEffect:
    return FactorEffect(
        factor=factor,
        value=str(value),
        baseline=str(baseline),
        premium=premium.premium,
        ci=premium.ci,
        n=premium.n,
        n_with=n_with,
        ci_people=premium.ci_people,
        ci_refits=premium.ci_refits,
        refits=len(premium.refit_premiums),
        estimated=premium.estimated,
    )


def skill_premiums(
    model: PayModel,
    people: pd.DataFrame,
    skills: Iterable[str] | None = None,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    refits: ModelRefits | None = None,
) -> list[FactorEffect]:
    """Per skill in the model's vocabulary: predicted pay with the skill over without it.

    Everything else (role, country, experience, the other skills) stays as each person has it.
    Skills outside the vocabulary are refused: the model cannot tell their effect.
    """
    vocabulary = model.skills
    chosen = list(vocabulary if skills is None else skills)
    unknown = [skill for skill in chosen if skill not in vocabulary]
    if unknown:
        raise InvalidInputError(
            "skill",
            unknown[0],
            f"not in the skill vocabulary of model {model.name}",
            closest(unknown[0], vocabulary),
        )
    if not len(people):
        raise DataError("no people to compare skills on")
    # Adding a skill changes only the people without it, removing it only those with it (skills
    # are canonical: sorted, no duplicates), so the unchanged rows reuse one prediction.
    as_they_are = predicted_pay(model, people)
    effects = []
    for skill in chosen:
        has_it = people["skills"].map(lambda s, k=skill: bool(s) and k in s).to_numpy(dtype=bool)
        with_it = as_they_are.copy()
        without_it = as_they_are.copy()
        if (~has_it).any():
            with_it[~has_it] = predicted_pay(model, with_skill(people[~has_it], skill, True))
        if has_it.any():
            without_it[has_it] = predicted_pay(model, with_skill(people[has_it], skill, False))
        refit_premiums = _refit_premiums(
            model,
            refits,
            "skills",
            with_skill(people, skill, True),
            with_skill(people, skill, False),
        )
        premium = ratio_premium(
            with_it, without_it, resamples=resamples, seed=seed, refit_premiums=refit_premiums
        )
        effects.append(_effect("skills", skill, f"no {skill}", premium, int(has_it.sum())))
    return effects
