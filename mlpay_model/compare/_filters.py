"""Which people a comparison is about: `Filters`, and role names resolved for comparing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from mlpay_model.errors import InvalidInputError, closest
from mlpay_model.normalise import (
    normalise_country,
    normalise_education,
    normalise_role,
    normalise_seniority,
)
from mlpay_model.schema import ROLE_FAMILIES

YEARS_WINDOW: Final = 2.0


@dataclass(frozen=True)
class Filters:
    """Which training rows form the reference population (canonical values; None = any)."""

    country: str | None = None
    years: tuple[float, float] | None = None  # inclusive range of years_experience
    education: str | None = None
    seniority: str | None = None
    population: str | None = None  # a source: only its people (a model of several sources)

    def to_dict(self) -> dict[str, Any]:
        values = asdict(self)
        if self.years is not None:
            values["years"] = list(self.years)
        return {name: value for name, value in values.items() if value is not None}

    def describe(self) -> str:
        """Human-readable, e.g. "country=US, years 3-7"; "all rows" without filters."""
        parts = []
        if self.population is not None:
            parts.append(f"population={self.population}")
        if self.country is not None:
            parts.append(f"country={self.country}")
        if self.years is not None:
            parts.append(_years_text(*self.years))
        if self.education is not None:
            parts.append(f"education={self.education}")
        if self.seniority is not None:
            parts.append(f"seniority={self.seniority}")
        return ", ".join(parts) or "all rows"


def resolve_role(text: str) -> str:
    """A role as users type it ("Machine Learning Engineer", "ml_engineer") -> its family.

    Read by the normaliser (`normalise_role`, as `predict_salary` reads it); compare's own
    rule on top: "other" (titles mlpay does not recognise) is not a role one can compare.
    """
    cleaned = str(text).strip()
    family = normalise_role(cleaned)[0] if cleaned else "other"
    if family == "other":
        raise InvalidInputError(
            "role",
            text,
            "not a role family mlpay can compare; give a job title or one of "
            + ", ".join(r for r in ROLE_FAMILIES if r != "other"),
            closest(cleaned.replace(" ", "_"), [r for r in ROLE_FAMILIES if r != "other"]),
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
    population: str | None = None,
    years_window: float = YEARS_WINDOW,
) -> Filters:
    """Filters from what a user typed; InvalidInputError naming the field if a value is unknown
    (a population is checked against the model's populations by `compare_roles`)."""
    years_range = None
    if years is not None:
        if not math.isfinite(years) or years < 0:
            raise InvalidInputError("years", years, "must be a number of years >= 0")
        years_range = (max(0.0, years - years_window), years + years_window)
    return Filters(
        country=normalise_country(country) if country is not None else None,
        years=years_range,
        education=_level(normalise_education, "education", education),
        seniority=_level(normalise_seniority, "seniority", seniority),
        population=_population(population),
    )


def _population(text: str | None) -> str | None:
    if text is None:
        return None
    name = text.strip().lower()
    if not name:
        raise InvalidInputError("population", text, "must not be empty; leave population out")
    return name


def _level(normalise: Any, field_name: str, text: str | None) -> str | None:
    """The canonical level for `text` (None when not given); blank text is refused."""
    if text is None:
        return None
    level = normalise(text)  # InvalidInputError with "did you mean" when unknown
    if level is None:
        raise InvalidInputError(field_name, text, f"must not be empty; leave {field_name} out")
    return str(level)


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
