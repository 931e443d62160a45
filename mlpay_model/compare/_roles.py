"""The same person in another role: what changes with the role, in one place.

A model that reads the raw title beside the role family (the `title` feature, read from
`role_raw`: `mlpay_model.model.features`) prices "this software engineer as an ML engineer"
only when both change: a counterfactual that sets the family but keeps the title "Software
Engineer" asks the model about an ML engineer titled software engineer. Every door that
changes a person's role goes through `title_with_role`: `mlpay compare` and the report on
frames of canonical profiles (`with_role`), `mlpay whatif --role-to` on the typed profile
(`arguments_with_role`).

Decisions:
- The new title is the target role's own title: a role family name (`ml_engineer`) becomes
  its canonical title (`ROLE_TITLES`, each read back by the normaliser as that family); a
  title typed by the user (`--role-to "ML Engineer"`) is kept as typed, as if the person had
  typed it.
- The rank words of the person's title carry over ("Senior Software Engineer" as an ML
  engineer is "Senior Machine Learning Engineer"): the words the taxonomy reads as an
  individual-contributor level (senior, sr, lead, staff, principal, junior, intern, mid...;
  `taxonomy.title_seniority`). The title key drops senior/junior/mid but keeps lead, staff and
  principal, and a typed profile reads its seniority from these words, so dropping them would
  change more than the role. A target title that states a rank of its own keeps it instead.
- Executive wording ("Head of Data", "Director of ...") names a job rather than a rank and
  is not carried into the title; the seniority it stated stays the person's (a frame keeps its
  `seniority` column; a typed profile gets it as `seniority`), as every other factor does.

Imports no pandas at module level: `mlpay whatif` (one profile) uses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from mlpay_model.normalise import normalise_role
from mlpay_model.schema import DERIVED_FEATURES, ROLE_FAMILIES, is_missing
from mlpay_model.taxonomy import title_seniority

if TYPE_CHECKING:
    import pandas as pd

TITLE_COLUMN: Final = DERIVED_FEATURES["title"]  # "role_raw": the profile column of the title
# The title a person of each role family has when only the family is named (`mlpay compare
# --role ml_engineer`, the report's role list): the family in the words people type.
ROLE_TITLES: Final[dict[str, str]] = {
    "ml_engineer": "Machine Learning Engineer",
    "data_scientist": "Data Scientist",
    "research_scientist": "Research Scientist",
    "data_engineer": "Data Engineer",
    "data_analyst": "Data Analyst",
    "software_engineer": "Software Engineer",
    "backend_engineer": "Backend Engineer",
    "frontend_engineer": "Frontend Engineer",
    "fullstack_engineer": "Fullstack Engineer",
    "mobile_engineer": "Mobile Engineer",
    "embedded_engineer": "Embedded Engineer",
    "devops_engineer": "DevOps Engineer",
    "qa_engineer": "QA Engineer",
    "security_engineer": "Security Engineer",
    "architect": "Architect",
    "manager": "Manager",
    "product_manager": "Product Manager",
    "other": "Other",
}
RANK_LEVELS: Final = frozenset({"entry", "mid", "senior"})  # carried; "executive" is not
_TOKEN_EDGES: Final = "()[]{},;:|/-–—"
_NOT_WORD: Final = re.compile(r"[\W_]+")


def role_title(role: str) -> str:
    """The title of `role`: a role family's canonical title, or a typed title as typed."""
    text = str(role).strip()
    return ROLE_TITLES.get(text, text)


def role_family_of(role: str) -> str:
    """The role family of `role` (a family name, or a title as the normaliser reads it)."""
    text = str(role).strip()
    return text if text in ROLE_FAMILIES else normalise_role(text)[0]


def rank_words(title: object) -> tuple[str, ...]:
    """The words of `title` that state an individual-contributor rank, as written, in order
    ("Sr. Staff Software Engineer" -> ("Sr.", "Staff"); "Head of Data" -> ())."""
    if is_missing(title) or not isinstance(title, str):
        return ()
    return tuple(
        token.strip(_TOKEN_EDGES) for token in title.split() if _is_rank(token.strip(_TOKEN_EDGES))
    )


def _is_rank(token: str) -> bool:
    words = [word for word in _NOT_WORD.split(token.casefold()) if word]
    levels = {word: title_seniority(word) for word in words}
    return any(level in RANK_LEVELS for level in levels.values()) and all(
        level in RANK_LEVELS or word == "level" for word, level in levels.items()
    )


def title_with_role(title: object, role: str) -> str:
    """The job title of a person titled `title` once their role is `role` (a role family
    name or a title as typed): the role's title, after the rank words of `title` unless
    the role's title states a rank of its own (module docstring)."""
    target = role_title(role)
    if title_seniority(target) is not None:
        return target
    return " ".join((*rank_words(title), target))


def arguments_with_role(arguments: Mapping[str, Any], role: str) -> dict[str, Any]:
    """`predict_salary` keyword arguments of the same person with role `role`: the title from
    `title_with_role`, and the seniority the old title stated kept when the new title states
    none (executive wording, which is not carried). A seniority given stays as given."""
    changed = dict(arguments)
    old = arguments["role"]
    changed["role"] = title_with_role(old, role)
    stated = title_seniority(old)
    if (
        is_missing(arguments.get("seniority"))
        and stated is not None
        and title_seniority(changed["role"]) is None
    ):
        changed["seniority"] = stated
    return changed


def with_role(people: pd.DataFrame, role: str) -> pd.DataFrame:
    """A copy of canonical `people` as role `role`: the family and each person's title
    (`title_with_role`) changed, all else (seniority included) unchanged."""
    import numpy as np
    import pandas as pd

    changed = people.copy()
    family = role_family_of(role)
    changed["role"] = pd.Series([family] * len(people), index=people.index, dtype=object)
    if TITLE_COLUMN in people.columns:
        positions, distinct = pd.factorize(people[TITLE_COLUMN], use_na_sentinel=True)
        titles = [title_with_role(title, role) for title in distinct]
        values = np.array([*titles, title_with_role(None, role)], dtype=object)[positions]
    else:
        values = np.array([title_with_role(None, role)] * len(people), dtype=object)
    changed[TITLE_COLUMN] = pd.Series(values, index=people.index, dtype=object)
    return changed
