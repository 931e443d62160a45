"""Reference populations: a model's training rows rebuilt from its manifest, and slices of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import pandas as pd

from mlpay_model.compare._bootstrap import DEFAULT_SEED
from mlpay_model.compare._filters import Filters
from mlpay_model.data.quality import pay_point
from mlpay_model.data.recipe import DataRecipe, SourceReport, load_training_data
from mlpay_model.errors import ConfigError, InvalidInputError

DEFAULT_MAX_PEOPLE: Final = 5_000


# A data file the reference population was rebuilt from, and whether it is the model's:
# the recipe's SourceReport with `model_sha256` set from the model's manifest.
DataFile = SourceReport


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
    """Rebuild a model's training rows (`load_training_data` on its config's data recipe).

    Needs only the runtime: the recipe (sources, quality, features) is read from the
    manifest's `config` with plain Python, not the training extra's pydantic config.
    """
    name = manifest.get("name")
    try:
        recipe = DataRecipe.from_config(manifest.get("config"))
    except ConfigError as error:
        raise ConfigError(
            f"model {name!r}: the training config in its manifest cannot be used to rebuild "
            f"its training rows ({error})"
        ) from None
    data = load_training_data(recipe)
    trained_on = {
        (entry.get("source"), entry.get("file")): entry.get("sha256")
        for entry in manifest.get("data", [])
    }
    files = tuple(
        replace(report, model_sha256=trained_on.get((report.source, report.file)))
        for report in data.reports
    )
    return Reference(profiles=data.profiles, files=files)


def select_people(profiles: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of `profiles` matching `filters`.

    Raises InvalidInputError when a filter names a factor no row of `profiles` has (filtering
    would silently return nothing otherwise).
    """
    if filters.population is not None:  # first: a factor is checked within its source's rows
        profiles = profiles.loc[profiles["source"] == filters.population]
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
