"""Controlled comparison: how predicted pay changes when one factor changes for the same people.

The question "are ML engineers paid more than software engineers?" is answered twice:

- raw: the median observed pay of the rows of each role (exact pay, or a band's geometric
  midpoint), which mixes the role with everything that differs between the two groups
  (country, experience, education, skills);
- controlled: take a reference population (the model's training rows matching the filters),
  predict each person's pay as the first role and as the other role with everything else
  unchanged, and report the median of the per-person ratios minus one (the *premium*). The
  job title changes with the role (`with_role`): "the same person as an ML engineer" is titled
  as one ("Senior Software Engineer" -> "Senior Machine Learning Engineer").

Its 90% interval (`ci`) covers the model's own uncertainty as well as the people: the median
booster is refitted `DEFAULT_REFITS` times on grouped bootstrap resamples of the model's training
rows (`_refits`, with the runtime alone; cached on disk per model and data), the premium is
recomputed for the same people under each refit, and that spread is joined with a bootstrap
over people (seeded, vectorised; `ci_people`, the *people-only* interval, stays in every
result) by `combined_interval`.

Decisions (they shape every number the CLI and the report print):
- The reference population is every training row matching the filters, whatever its own role:
  the premium answers "for the people in this slice of the data, what would being an ML
  engineer rather than a software engineer change?". Populations above `DEFAULT_MAX_PEOPLE`
  are subsampled with a fixed seed, so the same inputs always give the same numbers.
- The people-only interval keeps the fitted model fixed: when the model gives nearly everyone
  the same ratio between two roles (aijobs' small trees rarely let the role interact with
  anything) it has almost zero width. That is why the default interval adds model refits; a
  premium whose per-person ratios are all exactly 1 (a factor the model never uses) is marked
  `estimated=False` ("not estimated"), not reported as a 0% effect.
- Every result names the pay concept of the model's data (`pay_concept`: base salary for
  aijobs, total compensation for Stack Overflow, a yearly compensation band for Kaggle): a
  premium on total pay is not a premium on base pay.
- `--years N` selects N - 2 <= years_experience <= N + 2 (`YEARS_WINDOW`); rows without years
  are left out. The report uses explicit bands (`Filters.years` is an inclusive range).
- A comparison is computed only when both roles are in the model's role vocabulary (not folded
  into `__other__`) and each has at least `DEFAULT_MIN_ROWS` training rows within the filters.
  Otherwise the row is kept and flagged (`status` "not_in_model" or "too_rare", `premium` None,
  `note` saying why), so a multi-role comparison still shows every other row.
- Filtering on a factor the model's data never has (aijobs has no years or education) is a user
  error (InvalidInputError), not an empty result.

Rooms: `_filters` (which people; role names resolved through the one normaliser),
`_reference` (a model's training rows rebuilt from its manifest with the runtime's data
recipe), `_bootstrap` (median ratio premiums and their interval over people), `_premiums`
(the counterfactual comparisons themselves), `_refits` (the refitted median boosters),
`_roles` (the same person in another role: the family and the title change together, rank
words carried; used by compare, the report and `mlpay whatif --role-to`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

from mlpay_model._cache import CACHE_VARIABLE, cache_dir
from mlpay_model.compare._bootstrap import (
    CONFIDENCE,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    Premium,
    RefitPremiums,
    bootstrap_interval,
    combined_interval,
    ratio_premium,
    t_quantile,
)
from mlpay_model.compare._filters import (
    YEARS_WINDOW,
    Filters,
    parse_filters,
    resolve_role,
    resolve_roles,
)
from mlpay_model.compare._roles import (
    ROLE_TITLES,
    arguments_with_role,
    role_title,
    title_with_role,
    with_role,
)

if TYPE_CHECKING:
    from mlpay_model.compare._premiums import (
        DEFAULT_MIN_ROWS,
        FactorEffect,
        RoleComparison,
        compare_roles,
        factor_premium,
        model_populations,
        pay_concept,
        predicted_pay,
        resolve_refits,
        skill_premiums,
        with_skill,
        with_value,
    )
    from mlpay_model.compare._reference import (
        DEFAULT_MAX_PEOPLE,
        DataFile,
        Reference,
        load_reference,
        raw_median,
        sample_people,
        select_people,
    )
    from mlpay_model.compare._refits import (
        DEFAULT_REFITS,
        MIN_REFITS,
        ModelRefits,
        model_refits,
    )

# The rooms that need pandas are imported on first use (`__getattr__`), so that `mlpay whatif`
# (one profile, no pandas) can use `_roles`.
_LAZY: Final = {
    "_premiums": (
        "DEFAULT_MIN_ROWS",
        "FactorEffect",
        "RoleComparison",
        "compare_roles",
        "factor_premium",
        "model_populations",
        "pay_concept",
        "predicted_pay",
        "resolve_refits",
        "skill_premiums",
        "with_skill",
        "with_value",
    ),
    "_reference": (
        "DEFAULT_MAX_PEOPLE",
        "DataFile",
        "Reference",
        "load_reference",
        "raw_median",
        "sample_people",
        "select_people",
    ),
    "_refits": ("DEFAULT_REFITS", "MIN_REFITS", "ModelRefits", "model_refits"),
}
_ROOM_OF: Final = {name: room for room, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> object:
    room = _ROOM_OF.get(name)
    if room is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{room}"), name)


__all__ = [
    "CACHE_VARIABLE",
    "CONFIDENCE",
    "DEFAULT_MAX_PEOPLE",
    "DEFAULT_MIN_ROWS",
    "DEFAULT_REFITS",
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "MIN_REFITS",
    "ROLE_TITLES",
    "YEARS_WINDOW",
    "DataFile",
    "FactorEffect",
    "Filters",
    "ModelRefits",
    "Premium",
    "Reference",
    "RefitPremiums",
    "RoleComparison",
    "arguments_with_role",
    "bootstrap_interval",
    "cache_dir",
    "combined_interval",
    "compare_roles",
    "factor_premium",
    "load_reference",
    "model_populations",
    "model_refits",
    "parse_filters",
    "pay_concept",
    "predicted_pay",
    "ratio_premium",
    "raw_median",
    "resolve_refits",
    "resolve_role",
    "resolve_roles",
    "role_title",
    "sample_people",
    "select_people",
    "skill_premiums",
    "t_quantile",
    "title_with_role",
    "with_role",
    "with_skill",
    "with_value",
]
