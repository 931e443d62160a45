"""Counterfactual premiums: the same people priced with one factor changed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
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
from mlpay_model.errors import DataError, InvalidInputError, MlpayError, closest
from mlpay_model.model.features import OTHER_CATEGORY

if TYPE_CHECKING:
    from mlpay_model.model.protocol import PayModel

DEFAULT_MIN_ROWS: Final = 30
Status = Literal["ok", "too_rare", "not_in_model"]


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

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["ci"] = list(self.ci) if self.ci is not None else None
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




# --- counterfactual predictions ---------------------------------------------------------------


def with_value(people: pd.DataFrame, column: str, value: Any) -> pd.DataFrame:
    """A copy of `people` with `column` set to `value` on every row, all else unchanged."""
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
) -> list[RoleComparison]:
    """The premium of `role` over each role in `versus`, for the people in `profiles`.

    `profiles` is the reference population before filtering (the model's training rows,
    `load_reference(model.manifest).profiles`); roles may be typed as users type them.
    """
    filters = filters or Filters()
    if "role" not in model.spec.features:
        raise MlpayError(f"model {model.name} does not use the role; it cannot compare roles")
    role, versus = resolve_roles(role, versus)
    matching = select_people(profiles, filters)
    people = sample_people(matching, max_people, seed)
    raw = {name: raw_median(matching[matching["role"] == name]) for name in (role, *versus)}
    known = set(model.spec.categories.get("role", ())) - {OTHER_CATEGORY}
    pay_as_role: np.ndarray | None = None
    results = []
    for other in versus:
        status, note = _comparability(model.name, role, other, raw, known, min_rows, filters)
        premium: Premium | None = None
        if status == "ok":
            if pay_as_role is None:
                pay_as_role = predicted_pay(model, with_value(people, "role", role))
            pay_as_other = predicted_pay(model, with_value(people, "role", other))
            premium = ratio_premium(pay_as_role, pay_as_other, resamples=resamples, seed=seed)
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
            )
        )
    return results


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
) -> FactorEffect:
    """Premium of `column`=`value` over `column`=`baseline` for the same people (e.g. education)."""
    pay = predicted_pay(model, with_value(people, column, value))
    baseline_pay = predicted_pay(model, with_value(people, column, baseline))
    premium = ratio_premium(pay, baseline_pay, resamples=resamples, seed=seed)
    return FactorEffect(
        factor=column,
        value=str(value),
        baseline=str(baseline),
        premium=premium.premium,
        ci=premium.ci,
        n=premium.n,
        n_with=int((people[column] == value).sum()),
    )


def skill_premiums(
    model: PayModel,
    people: pd.DataFrame,
    skills: Iterable[str] | None = None,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> list[FactorEffect]:
    """Per skill in the model's vocabulary: predicted pay with the skill over without it.

    Everything else (role, country, experience, the other skills) stays as each person has it.
    Skills outside the vocabulary are refused: the model cannot tell their effect.
    """
    vocabulary = model.spec.skills
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
        premium = ratio_premium(with_it, without_it, resamples=resamples, seed=seed)
        effects.append(
            FactorEffect(
                factor="skills",
                value=skill,
                baseline=f"no {skill}",
                premium=premium.premium,
                ci=premium.ci,
                n=premium.n,
                n_with=int(has_it.sum()),
            )
        )
    return effects
