"""A person's factors: how much each thing a person gave moved their median, in log pay.

The one owner of the decomposition that `predict_salary`'s explanation and batch scoring's
`--contributions` both show. Factors: role (the role family and the title read from it),
location (country), experience (years and seniority), education, skills, and each context
field the person gave (employment_type, remote_ratio, company_size). Everything else is the
baseline: the population (a pooled model's `source`), the pay year, and every field not given,
which the model prices as not given (the population's mix).

How: the baseline is the median booster's expected prediction given only the baseline's
columns (TreeSHAP's path-dependent expectation, `mlpay_model._conditional`, over the
population's own rows when the model records them: `SalaryModel.population_leaves`), so it is
the same for every person of the population, pay year and fields given; the trees' share of
each factor is its Shapley value in the game "the factors known so far" (exact: they add up
to the prediction; `ConditionalTrees.shapley`); education and skill effects
(`SalaryModel.effects`) are additive and counted as they are, one skill at a time.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, cast

import numpy as np

from mlpay_model._conditional import ConditionalTrees
from mlpay_model.errors import ArtifactError
from mlpay_model.schema import is_missing

if TYPE_CHECKING:
    import pandas as pd

    from mlpay_model.model._salary_model import SalaryModel

CONTEXT_FACTORS: Final[tuple[str, ...]] = ("employment_type", "remote_ratio", "company_size")
PERSON_FACTORS: Final[Mapping[str, str]] = MappingProxyType(
    {  # a model's column (`FeatureSpec.factor_of`) -> the person's factor it belongs to
        "role": "role",
        "title": "role",
        "country": "location",
        "years_experience": "experience",
        "seniority": "experience",
        "education": "education",
        "skills": "skills",
        **{name: name for name in CONTEXT_FACTORS},
    }
)
_TREES: weakref.WeakKeyDictionary[SalaryModel, dict[str, ConditionalTrees]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class PersonFactors:
    """One person's decomposition in log pay: `baseline` + sum(`logs`) + sum(`skills`) is the
    log of the median. `logs`: per factor the person gave (the trees' Shapley value, plus the
    education effect); `skills`: per known skill listed, its effect."""

    baseline: float
    logs: dict[str, float]
    skills: dict[str, float]


def person_factors(
    model: SalaryModel, record: Mapping[str, Any], row: np.ndarray, given: Collection[str]
) -> PersonFactors:
    """The factors of the person whose priced canonical `record` the boosters read as the
    encoded `row`; `given`: the context fields the person gave (the others are the baseline's)."""
    population = str(record.get("source") or model.default_population)
    trees = conditional_trees(model, population)
    missing = not_given(model, record)
    players: list[str] = []
    group_of_feature = []
    for name in model.encoder.feature_names:
        factor = PERSON_FACTORS.get(model.spec.factor_of(name))
        untold = factor in CONTEXT_FACTORS and factor not in given
        if factor is None or factor in missing or untold:
            group_of_feature.append(-1)  # the baseline's
            continue
        if factor not in players:
            players.append(factor)
        group_of_feature.append(players.index(factor))
    baseline, shapley = trees.shapley(row.reshape(-1), np.asarray(group_of_feature), len(players))
    logs = dict(zip(players, shapley.tolist(), strict=True))
    effects = model._record_effects(record)
    if "education" in effects and not is_missing(record.get("education")):
        logs["education"] = logs.get("education", 0.0) + effects["education"]
    skills: dict[str, float] = {}
    if "skills" in effects and record.get("skills"):
        table = model.effects.skills.get(population, {}) if model.effects is not None else {}
        known = set(model.skills)
        for skill in dict.fromkeys(record["skills"]):
            if skill in known:
                skills[skill] = table.get(skill, 0.0)
    return PersonFactors(baseline, logs, skills)


def factors_frame(model: SalaryModel, profiles: pd.DataFrame) -> pd.DataFrame:
    """Per row of canonical `profiles` (batch scoring's `--contributions`), the same
    decomposition as `predict_salary`'s explanation: `baseline` (annual USD) and, per factor
    the model prices (`factor_names`), how much it moved the median in percent (the skills
    listed together; NaN: not given, so in the baseline). median = baseline * prod(1 +
    percent / 100) over the given factors. About 1.5 ms a row (one Shapley game a person)."""
    import pandas as pd  # batch scoring has it loaded; `predict_salary` never needs it

    names = factor_names(model)
    table = np.full((len(profiles), len(names) + 1), np.nan)
    records = cast(list[dict[str, Any]], profiles.to_dict("records"))
    for index, record in enumerate(records):
        priced = model.predict_record(record)
        given = [name for name in CONTEXT_FACTORS if not is_missing(record.get(name))]
        factors = person_factors(model, priced.record, priced._row, given)
        table[index, 0] = np.exp(factors.baseline)
        logs = dict(factors.logs)
        if factors.skills:
            logs["skills"] = logs.get("skills", 0.0) + sum(factors.skills.values())
        for column, name in enumerate(names, start=1):
            if name in logs:
                table[index, column] = 100.0 * np.expm1(logs[name])
    return pd.DataFrame(table, index=profiles.index, columns=["baseline", *names])


def factor_names(model: SalaryModel) -> list[str]:
    """The person's factors `model` prices, in the order of its columns."""
    names = (PERSON_FACTORS.get(name) for name in model.factors)
    return [name for name in dict.fromkeys(names) if name is not None]


def not_given(model: SalaryModel, record: Mapping[str, Any]) -> frozenset[str]:
    """The person's factors `model` prices that `record` (canonical) leaves out: of
    "experience" (years_experience or seniority, neither given nor read from the title),
    "education" and "skills"."""
    missing = set()
    if (model.uses("years_experience") or model.uses("seniority")) and all(
        is_missing(record.get(name)) for name in ("years_experience", "seniority")
    ):
        missing.add("experience")
    if model.uses("education") and is_missing(record.get("education")):
        missing.add("education")
    if model.uses("skills") and not record.get("skills"):
        missing.add("skills")
    return frozenset(missing)


def conditional_trees(model: SalaryModel, population: str) -> ConditionalTrees:
    """The median booster's trees, their branches weighed by `population`'s rows when the
    model records them (`SalaryModel.population_leaves`), else by all its training rows;
    built once per model and population."""
    counts = model.population_leaves.get(population)
    key = population if counts is not None else ""
    by_population = _TREES.setdefault(model, {})
    if key not in by_population:
        try:
            by_population[key] = ConditionalTrees(model._boosters["median"].dump_model(), counts)
        except ValueError as error:
            raise ArtifactError(f"{model.path}: population_leaves.json: {error}") from None
    return by_population[key]
