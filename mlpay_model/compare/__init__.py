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

Rooms: `_filters` (which people; role names resolved through the one normaliser),
`_reference` (a model's training rows rebuilt from its manifest with the runtime's data
recipe), `_bootstrap` (median ratio premiums and their interval over people), `_premiums`
(the counterfactual comparisons themselves).
"""

from __future__ import annotations

from mlpay_model.compare._bootstrap import (
    CONFIDENCE,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    Premium,
    bootstrap_interval,
    ratio_premium,
)
from mlpay_model.compare._filters import (
    YEARS_WINDOW,
    Filters,
    parse_filters,
    resolve_role,
    resolve_roles,
)
from mlpay_model.compare._premiums import (
    DEFAULT_MIN_ROWS,
    FactorEffect,
    RoleComparison,
    compare_roles,
    factor_premium,
    predicted_pay,
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

__all__ = [
    "CONFIDENCE",
    "DEFAULT_MAX_PEOPLE",
    "DEFAULT_MIN_ROWS",
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "YEARS_WINDOW",
    "DataFile",
    "FactorEffect",
    "Filters",
    "Premium",
    "Reference",
    "RoleComparison",
    "bootstrap_interval",
    "compare_roles",
    "factor_premium",
    "load_reference",
    "parse_filters",
    "predicted_pay",
    "ratio_premium",
    "raw_median",
    "resolve_role",
    "resolve_roles",
    "sample_people",
    "select_people",
    "skill_premiums",
    "with_skill",
    "with_value",
]
