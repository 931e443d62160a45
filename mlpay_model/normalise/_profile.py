"""One profile: the arguments of `predict_salary` as one canonical record (`ProfileInput`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from mlpay_model.errors import InvalidInputError, clip, closest
from mlpay_model.normalise._fields import (
    ACCEPTED_CONTEXT,
    FIELD_NORMALISERS,
    FIELDS,
    country_of_place,
    is_empty_value,
    normalise_role,
    unreadable_skills,
)
from mlpay_model.schema import is_missing


@dataclass(frozen=True)
class ProfileInput:
    """One profile in canonical values, and what normalisation had to work out.

    `record` maps every canonical factor and context column to its value (None / NaN /
    () when missing), ready for `FeatureEncoder.encode_record`. `given` names the fields the
    caller gave a value for. `seniority_from_title` is True when the seniority was read from
    the job title rather than given; `seniority_from_years` when it was derived from the
    years of experience by the model that priced it (`priced_as`).

    `notes` say what normalisation decided that the caller should know (said in
    `predict_salary`'s warnings): a value given but read as missing (`years_experience=nan`,
    skills text with no names), skills dropped because they hold no letters or digits (an
    emoji), a country taken from "City, Country".
    """

    record: dict[str, Any]
    role_text: str
    given: frozenset[str]
    seniority_from_title: bool
    seniority_from_years: bool = False
    notes: tuple[str, ...] = ()

    def priced_as(self, record: Mapping[str, Any]) -> ProfileInput:
        """This profile with the record a model priced, whose seniority the model derived from
        the years of experience (`normalise._seniority`, applied by `SalaryModel` only)."""
        return replace(self, record=dict(record), seniority_from_years=True)


def normalise_profile(
    role: object,
    country: object,
    years_experience: object = None,
    education: object = None,
    skills: object = (),
    **context: object,
) -> ProfileInput:
    """The arguments of `predict_salary` as one canonical record.

    Context keywords: seniority, employment_type, remote_ratio, company_size, year. Raises
    InvalidInputError naming the first invalid field (or unknown keyword) and its value.
    """
    unknown = [name for name in context if name not in ACCEPTED_CONTEXT]
    if unknown:
        name = unknown[0]
        raise InvalidInputError(
            name,
            context[name],
            "unknown argument; accepted: role, country, years_experience, education, skills, "
            + ", ".join(ACCEPTED_CONTEXT),
            closest(name, FIELDS),
        )
    if is_missing(role):
        raise InvalidInputError("role", role, "is required: give a job title")
    if is_missing(country):
        raise InvalidInputError("country", country, "is required: give a country name or code")
    family, title_level = normalise_role(role)
    raw = {
        "country": country,
        "years_experience": years_experience,
        "education": education,
        "skills": skills,
        **context,
    }
    record: dict[str, Any] = {"role": family, "role_raw": str(role).strip()}
    for name in FIELDS[1:]:
        record[name] = FIELD_NORMALISERS[name](raw.get(name))
    given = frozenset(name for name in FIELDS if name == "role" or not is_empty_value(record[name]))
    from_title = record["seniority"] is None and title_level is not None
    if from_title:
        record["seniority"] = title_level
    return ProfileInput(
        record=record,
        role_text=str(role).strip(),
        given=given,
        seniority_from_title=from_title,
        notes=_notes(raw, record),
    )


def _notes(raw: Mapping[str, object], record: Mapping[str, Any]) -> tuple[str, ...]:
    """What the caller gave that normalisation read in a way worth saying (`notes`)."""
    notes: list[str] = []
    place = raw["country"]
    if isinstance(place, str) and country_of_place(place.strip()) == record["country"]:
        from mlpay_model.taxonomy import country_code, country_name

        if country_code(place) is None:
            code = record["country"]
            notes.append(
                f"country {clip(place.strip())!r} read as {code} ({country_name(code)}) "
                "(the country after the last comma; the city is not used)"
            )
    for name in FIELDS[2:]:
        value = raw.get(name)
        if value is None or (isinstance(value, list | tuple) and not value):
            continue  # not given
        if is_empty_value(record[name]):
            notes.append(f"{name}={clip(repr(value))} is read as missing (unknown)")
    dropped = unreadable_skills(raw.get("skills"))
    if dropped:
        notes.append(
            "skills dropped (no letter or digit in them): "
            + ", ".join(clip(repr(token.strip()), 40) for token in dropped)
        )
    return tuple(notes)
