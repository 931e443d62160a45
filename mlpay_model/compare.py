"""Controlled comparison: how predicted pay changes when one factor changes for the same people.

The question "are ML engineers paid more than software engineers?" is answered twice:

- raw: the median observed pay of the rows of each role (exact pay, or a band's geometric
  midpoint), which mixes the role with everything that differs between the two groups
  (country, experience, education, skills);
- controlled: take a reference population (the model's training rows matching the filters),
  predict each person's pay as the first role and as the other role with everything else
  unchanged, and report the median of the per-person ratios minus one (the *premium*). A
  bootstrap over people (seeded, vectorised) gives a 90% *people-resampling* interval.

Decisions (they shape every number the CLI and the report print):
- The reference population is every training row matching the filters, whatever its own role:
  the premium answers "for the people in this slice of the data, what would being an ML
  engineer rather than a software engineer change?". Populations above `DEFAULT_MAX_PEOPLE`
  are subsampled with a fixed seed, so the same inputs always give the same numbers.
- The interval covers the sampling of people only, not the uncertainty of the fitted model:
  when the model gives nearly everyone the same ratio between two roles (aijobs' small trees
  rarely let the role interact with anything), it has almost zero width. Retraining per
  comparison would be far too slow for this command; `mlpay report` adds a model-refit
  interval for its headline premiums (`training.report.uncertainty`), and differences between
  models trained on different sources are a guide too.
- `--years N` selects N - 2 <= years_experience <= N + 2 (`YEARS_WINDOW`); rows without years
  are left out. The report uses explicit bands (`Filters.years` is an inclusive range).
- A comparison is computed only when both roles are in the model's role vocabulary (not folded
  into `__other__`) and each has at least `DEFAULT_MIN_ROWS` training rows within the filters.
  Otherwise the row is kept and flagged (`status` "not_in_model" or "too_rare", `premium` None,
  `note` saying why), so a multi-role comparison still shows every other row.
- Filtering on a factor the model's data never has (aijobs has no years or education) is a user
  error (InvalidInputError), not an empty result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final, Literal, Protocol

import numpy as np
import pandas as pd

from mlpay_model.errors import ConfigError, DataError, InvalidInputError, MlpayError, closest
from mlpay_model.features import OTHER_CATEGORY, FeatureSpec
from mlpay_model.quality import pay_point
from mlpay_model.schema import EDUCATION_LEVELS, ROLE_FAMILIES, SENIORITY_LEVELS
from mlpay_model.taxonomy import country_code, education_level, role_family, seniority_level

DEFAULT_MIN_ROWS: Final = 30
DEFAULT_MAX_PEOPLE: Final = 5_000
DEFAULT_RESAMPLES: Final = 1_000
DEFAULT_SEED: Final = 0
CONFIDENCE: Final = 0.90
YEARS_WINDOW: Final = 2.0
# Bootstrap medians are computed in blocks of at most this many drawn values (memory bound).
_BOOTSTRAP_BLOCK_VALUES: Final = 4_000_000

Status = Literal["ok", "too_rare", "not_in_model"]
Statistic = Callable[..., np.ndarray]


class PayModel(Protocol):
    """What the engine needs from a model (`mlpay_model.model.SalaryModel` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def spec(self) -> FeatureSpec: ...

    def predict(self, profiles: pd.DataFrame) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Filters:
    """Which training rows form the reference population (canonical values; None = any)."""

    country: str | None = None
    years: tuple[float, float] | None = None  # inclusive range of years_experience
    education: str | None = None
    seniority: str | None = None

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        if self.years is not None:
            values["years"] = list(self.years)
        return {name: value for name, value in values.items() if value is not None}

    def describe(self) -> str:
        """Human-readable, e.g. "country=US, years 3-7"; "all rows" without filters."""
        parts = []
        if self.country is not None:
            parts.append(f"country={self.country}")
        if self.years is not None:
            parts.append(_years_text(*self.years))
        if self.education is not None:
            parts.append(f"education={self.education}")
        if self.seniority is not None:
            parts.append(f"seniority={self.seniority}")
        return ", ".join(parts) or "all rows"


@dataclass(frozen=True)
class Premium:
    """Median per-person ratio minus one, its bootstrap interval, and the number of people."""

    premium: float
    ci: tuple[float, float]
    n: int


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


# --- user text to canonical values ------------------------------------------------------------


def resolve_role(text: str) -> str:
    """A role as users type it ("Machine Learning Engineer", "ml_engineer") -> its family."""
    cleaned = str(text).strip()
    if cleaned in ROLE_FAMILIES and cleaned != "other":
        return cleaned
    family = role_family(cleaned)
    if family == "other" or family not in ROLE_FAMILIES:
        raise InvalidInputError(
            "role",
            text,
            "not a role family mlpay can compare; give a job title or one of "
            + ", ".join(r for r in ROLE_FAMILIES if r != "other"),
            closest(cleaned.replace(" ", "_"), ROLE_FAMILIES),
        )
    return family


def resolve_roles(role: str, versus: Sequence[str]) -> tuple[str, list[str]]:
    """The role and the roles it is compared with, resolved; each must differ from `role`."""
    resolved = resolve_role(role)
    others = [resolve_role(other) for other in versus]
    if not others:
        raise InvalidInputError("vs", [], "give at least one role to compare against")
    if resolved in others:
        raise InvalidInputError("vs", resolved, "compare a role against a different role")
    return resolved, others


def parse_filters(
    *,
    country: str | None = None,
    years: float | None = None,
    education: str | None = None,
    seniority: str | None = None,
    years_window: float = YEARS_WINDOW,
) -> Filters:
    """Filters from what a user typed; InvalidInputError naming the field if a value is unknown."""
    years_range = None
    if years is not None:
        if not math.isfinite(years) or years < 0:
            raise InvalidInputError("years", years, "must be a number of years >= 0")
        years_range = (max(0.0, years - years_window), years + years_window)
    return Filters(
        country=_resolve_country(country) if country is not None else None,
        years=years_range,
        education=_resolve_level("education", education, EDUCATION_LEVELS, education_level),
        seniority=_resolve_level("seniority", seniority, SENIORITY_LEVELS, seniority_level),
    )


def _resolve_country(text: str) -> str:
    code = country_code(text)
    if code is None:
        raise InvalidInputError(
            "country", text, "unknown country; give a name or an ISO code such as US, DE, IN"
        )
    return code


def _resolve_level(
    field_name: str, text: str | None, levels: Sequence[str], lookup: Any
) -> str | None:
    if text is None:
        return None
    cleaned = str(text).strip()
    level = cleaned if cleaned in levels else lookup(cleaned)
    if level not in levels:
        raise InvalidInputError(
            field_name, text, f"unknown {field_name}; expected one of {', '.join(levels)}"
        )
    return str(level)


# --- reference populations --------------------------------------------------------------------


@dataclass(frozen=True)
class DataFile:
    """A data file the reference population was rebuilt from, and whether it is the model's."""

    source: str
    file: str  # as the training config writes it (e.g. "${MLPAY_DATA_DIR}/aijobs/salaries.csv")
    sha256: str  # of the file read now
    model_sha256: str | None  # of the file the model was trained on (from its manifest)
    rows_read: int
    rows_kept: int
    dropped: Mapping[str, int] = field(default_factory=dict)  # quality rule -> rows
    flagged: Mapping[str, int] = field(default_factory=dict)  # e.g. exact_duplicate -> rows

    @property
    def matches_model(self) -> bool:
        return self.sha256 == self.model_sha256


@dataclass(frozen=True)
class Reference:
    """A model's training rows, rebuilt from its manifest's config and MLPAY_DATA_DIR's data."""

    profiles: pd.DataFrame
    files: tuple[DataFile, ...]

    def mismatches(self) -> list[str]:
        """One line per data file that differs from the one the model was trained on."""
        return [
            f"{item.file}: sha256 {item.sha256[:12]}… differs from the model's "
            f"{(item.model_sha256 or 'unknown')[:12]}…; the reference rows are not the "
            "training rows"
            for item in self.files
            if not item.matches_model
        ]


def load_reference(manifest: Mapping[str, Any]) -> Reference:
    """Rebuild a model's training rows (`training.data.load_training_data` on its config)."""
    try:
        from pydantic import ValidationError

        from training.config import TrainConfig, describe_validation_error
        from training.data import load_training_data
    except ImportError as error:
        raise MlpayError(
            "rebuilding a model's training rows needs the training extra "
            f"(pip install 'mlpay[train]'): {error}"
        ) from None
    name = manifest.get("name")
    try:
        config = TrainConfig.model_validate(manifest.get("config"))
    except ValidationError as error:
        raise ConfigError(
            f"model {name!r}: the training config in its manifest cannot be used to rebuild "
            f"its training rows ({describe_validation_error(error)})"
        ) from None
    data = load_training_data(config)
    trained_on = {
        (entry.get("source"), entry.get("file")): entry.get("sha256")
        for entry in manifest.get("data", [])
    }
    files = tuple(
        DataFile(
            source=report.source,
            file=report.file,
            sha256=report.sha256,
            model_sha256=trained_on.get((report.source, report.file)),
            rows_read=report.rows_read,
            rows_kept=report.rows_kept,
            dropped=dict(report.dropped),
            flagged=dict(report.flagged),
        )
        for report in data.reports
    )
    return Reference(profiles=data.profiles, files=files)


def select_people(profiles: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of `profiles` matching `filters`.

    Raises InvalidInputError when a filter names a factor no row of `profiles` has (filtering
    would silently return nothing otherwise).
    """
    keep = pd.Series(True, index=profiles.index)
    wanted: dict[str, Any] = {
        "country": filters.country,
        "education": filters.education,
        "seniority": filters.seniority,
    }
    for column, value in wanted.items():
        if value is None:
            continue
        _require_factor(profiles, column, value)
        keep &= profiles[column] == value
    if filters.years is not None:
        low, high = filters.years
        _require_factor(profiles, "years_experience", f"{low:g} to {high:g}")
        years = profiles["years_experience"]
        keep &= (years >= low) & (years <= high)
    return profiles.loc[keep.fillna(False).astype(bool)]


def _require_factor(profiles: pd.DataFrame, column: str, value: Any) -> None:
    if column not in profiles.columns or profiles[column].notna().sum() == 0:
        sources = ", ".join(sorted(str(s) for s in profiles.get("source", pd.Series()).unique()))
        raise InvalidInputError(
            column,
            value,
            f"the data of this model ({sources or 'no rows'}) has no {column}; "
            "drop this filter or use a model whose data has it",
        )


def sample_people(
    people: pd.DataFrame, max_people: int | None = DEFAULT_MAX_PEOPLE, seed: int = DEFAULT_SEED
) -> pd.DataFrame:
    """At most `max_people` rows, drawn without replacement with a fixed seed."""
    if max_people is None or len(people) <= max_people:
        return people
    return people.sample(n=max_people, random_state=seed)


def raw_median(profiles: pd.DataFrame) -> tuple[float | None, int]:
    """Median observed annual USD pay (exact, or band geometric midpoint) and the rows counted."""
    pay = pay_point(profiles) if len(profiles) else np.array([], dtype=np.float64)
    pay = pay[np.isfinite(pay)]
    if len(pay) == 0:
        return None, 0
    return float(np.median(pay)), len(pay)


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


def ratio_premium(
    pay: np.ndarray,
    baseline_pay: np.ndarray,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = CONFIDENCE,
) -> Premium:
    """median(pay / baseline_pay) - 1 over people, with a bootstrap interval over people."""
    ratios = np.asarray(pay, dtype=np.float64) / np.asarray(baseline_pay, dtype=np.float64)
    if len(ratios) == 0:
        raise MlpayError("cannot compute a premium over an empty population")
    low, high = bootstrap_interval(
        ratios, np.median, resamples=resamples, seed=seed, confidence=confidence
    )
    return Premium(
        premium=float(np.median(ratios) - 1.0), ci=(low - 1.0, high - 1.0), n=len(ratios)
    )


def bootstrap_interval(
    values: np.ndarray,
    statistic: Statistic,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = CONFIDENCE,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic` (e.g. np.median, np.mean) over `values`.

    Values are resampled with replacement `resamples` times with a seeded numpy generator,
    vectorised in blocks; `statistic` must accept an `axis` argument.
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n == 0:
        raise MlpayError("cannot bootstrap an empty sample")
    rng = np.random.default_rng(seed)
    estimates = np.empty(resamples, dtype=np.float64)
    block = max(1, _BOOTSTRAP_BLOCK_VALUES // n)
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        draws = rng.integers(0, n, size=(stop - start, n), dtype=np.int32)
        estimates[start:stop] = statistic(values[draws], axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(estimates, [tail, 1.0 - tail])
    return float(low), float(high)


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

    `profiles` is the reference population before filtering (the model's training rows, see
    `load_reference_profiles`); roles may be typed as users type them.
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


def _years_text(low: float, high: float) -> str:
    """ "years 3-7", "years 21+", or "years 3 to under 6" for a band that stops just below 6."""
    if math.isinf(high):
        return f"years {_number_text(low)}+"
    above = math.nextafter(high, math.inf)
    if not float(high).is_integer() and above.is_integer():
        return f"years {_number_text(low)} to under {_number_text(above)}"
    return f"years {_number_text(low)}-{_number_text(high)}"


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
