"""What people type and what files hold, normalised to canonical profile values.

The one normaliser: `predict_salary`, `SalaryModel`-facing callers, both batch scoring
engines, the CSV mapping adapter and `mlpay compare` all go through it, so a profile typed
by a user and a row read from a file are treated the same way.

Entry points:
    normalise_profile(role, country, ...)  one profile (the `predict_salary` arguments);
                                           raises InvalidInputError on the first bad field
    normalise_frame(frame, cache=...)      a whole table, once per distinct value; bad rows
                                           are set aside with one reason each
    canonical_profiles(frame)              a frame as it is when canonical, else normalised;
                                           one InvalidInputError for an unreadable row
                                           (what `SalaryModel.predict` reads)
    check_canonical(profiles)              refuses a frame whose values are not canonical
    normalise_<field>(value)               one field (FIELD_NORMALISERS), for any door that
                                           reads a single value (e.g. `mlpay compare`)

Rooms:
    _fields      the per-field normalisers and the field lists (FIELDS, REQUIRED_FIELDS);
                 text goes through the taxonomy and its word tables (`mlpay_model.taxonomy`)
    _profile     ProfileInput and normalise_profile
    _frame       NormalisedFrame, FrameCache and normalise_frame (distinct-value fast path)
    _canonical   check_canonical, canonical_problem (the cheap test canonical_profiles uses)
    _seniority   the seniority-from-years rule (its one owner; applied by `SalaryModel`)
"""

from typing import TYPE_CHECKING

from mlpay_model.normalise._canonical import check_canonical
from mlpay_model.normalise._fields import (
    ACCEPTED_CONTEXT,
    FIELD_NORMALISERS,
    FIELDS,
    MAX_YEARS_EXPERIENCE,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    YEAR_RANGE,
    normalise_company_size,
    normalise_country,
    normalise_education,
    normalise_employment_status,
    normalise_employment_type,
    normalise_remote_ratio,
    normalise_role,
    normalise_seniority,
    normalise_skills,
    normalise_year,
    normalise_years,
)
from mlpay_model.normalise._profile import ProfileInput, normalise_profile
from mlpay_model.normalise._seniority import (
    SENIORITY_FROM_YEARS,
    SENIORITY_FROM_YEARS_RULE,
    derived_seniority,
    frame_with_seniority_from_years,
    record_with_seniority_from_years,
    seniority_from_years,
)

if TYPE_CHECKING:
    from mlpay_model.normalise._frame import (
        FRAME_FIELDS,
        REJECTED_COLUMNS,
        FrameCache,
        NormalisedFrame,
        canonical_profiles,
        normalise_frame,
    )

_FRAME_NAMES = (
    "FRAME_FIELDS",
    "REJECTED_COLUMNS",
    "FrameCache",
    "NormalisedFrame",
    "canonical_profiles",
    "normalise_frame",
)


def __getattr__(name: str) -> object:
    """The table normaliser on first use: it needs pandas and pyarrow, which one profile
    (`mlpay predict`) does not load."""
    if name in _FRAME_NAMES:
        from mlpay_model.normalise import _frame

        return getattr(_frame, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ACCEPTED_CONTEXT",
    "FIELDS",
    "FIELD_NORMALISERS",
    "FRAME_FIELDS",
    "MAX_YEARS_EXPERIENCE",
    "OPTIONAL_FIELDS",
    "REJECTED_COLUMNS",
    "REQUIRED_FIELDS",
    "SENIORITY_FROM_YEARS",
    "SENIORITY_FROM_YEARS_RULE",
    "YEAR_RANGE",
    "FrameCache",
    "NormalisedFrame",
    "ProfileInput",
    "canonical_profiles",
    "check_canonical",
    "derived_seniority",
    "frame_with_seniority_from_years",
    "normalise_company_size",
    "normalise_country",
    "normalise_education",
    "normalise_employment_status",
    "normalise_employment_type",
    "normalise_frame",
    "normalise_profile",
    "normalise_remote_ratio",
    "normalise_role",
    "normalise_seniority",
    "normalise_skills",
    "normalise_year",
    "normalise_years",
    "record_with_seniority_from_years",
    "seniority_from_years",
]
