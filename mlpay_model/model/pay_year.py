"""The pay year of a prediction: which year's pay a model's figure is for.

Pay drifts year to year, so every prediction states its pay year. A model knows the pay years
of the rows it learned from, per source (`manifest_pay_years`): the manifest's `pay_years`,
written at training from the train and calibration rows, or, in a manifest written before
that key existed, each `data` entry's `years` less the test years of a temporal split.

`PayYears` is the one owner of the default: a profile without a year is priced at the latest
pay year of its population (a pooled model, one with `source` as a feature: that source's
latest; any other model: the latest of all its data, which it cannot tell apart). A year given
outside the population's years is priced at the nearest of them (`nearest`: the trees read
that year; no trend is extrapolated) and `out_of_range_note` says so in one line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from mlpay_model.schema import is_missing

PAY_YEARS_KEY = "pay_years"


def pay_years_by_source(sources: Iterable[object], years: Iterable[object]) -> dict[str, list[int]]:
    """{source: sorted distinct pay years} of rows given as parallel `sources` and `years`
    (missing years skipped): what training writes under the manifest's `pay_years`."""
    found: dict[str, set[int]] = {}
    for source, year in zip(sources, years, strict=True):
        if not is_missing(year):
            found.setdefault(str(source), set()).add(int(year))  # type: ignore[call-overload]
    return {source: sorted(values) for source, values in sorted(found.items())}


def pay_years_of_rows(rows: Any) -> dict[str, list[int]]:
    """`pay_years_by_source` of a frame of canonical rows (its `source` and `year` columns)."""
    return pay_years_by_source(rows["source"], rows["year"])


def manifest_pay_years(manifest: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    """Per source, the pay years the model learned from (see the module docstring)."""
    written = manifest.get(PAY_YEARS_KEY)
    if isinstance(written, Mapping):
        return {
            str(source): tuple(sorted({int(year) for year in years}))
            for source, years in written.items()
        }
    first_test = _temporal_test_from(manifest)
    found: dict[str, set[int]] = {}
    for entry in manifest.get("data") or []:
        if not isinstance(entry, Mapping) or "source" not in entry:
            continue
        years = {int(year) for year in entry.get("years") or ()}
        found.setdefault(str(entry["source"]), set()).update(years)
    test_from: int | None
    if first_test == "latest":
        everything = {year for years in found.values() for year in years}
        test_from = max(everything) if everything else None
    else:
        test_from = first_test if isinstance(first_test, int) else None
    return {
        source: tuple(sorted(y for y in years if test_from is None or y < test_from))
        for source, years in found.items()
    }


def _temporal_test_from(manifest: Mapping[str, Any]) -> int | str | None:
    """The first test year of a temporal split ("latest" when the config leaves it to the
    data), None for any other split: those rows were not learned from."""
    config = manifest.get("config")
    split = config.get("split") if isinstance(config, Mapping) else None
    if not isinstance(split, Mapping) or split.get("method") != "temporal":
        return None
    first = split.get("test_from_year")
    return "latest" if first is None else int(first)


@dataclass(frozen=True)
class PayYears:
    """The pay years a model learned from, and the default pay year of each population.

    `by_population` maps each population the model prices to its years (a model without
    `source` as a feature: every population has the union of its data's years).
    """

    by_population: Mapping[str, tuple[int, ...]]
    default_population: str
    model_name: str

    @classmethod
    def of_model(
        cls,
        manifest: Mapping[str, Any],
        populations: Sequence[str],
        default_population: str,
        *,
        pooled: bool,
    ) -> PayYears:
        per_source = manifest_pay_years(manifest)
        union = tuple(sorted({year for years in per_source.values() for year in years}))
        by_population = {
            name: per_source.get(name, ()) if pooled else union for name in populations
        }
        if default_population not in by_population:
            by_population[default_population] = union
        return cls(
            MappingProxyType(by_population), default_population, str(manifest.get("name", "?"))
        )

    def years(self, population: str | None = None) -> tuple[int, ...]:
        """The pay years of `population` (None or one the model does not know: the default
        population's)."""
        years = self.by_population.get(population) if population is not None else None
        return years if years is not None else self.by_population[self.default_population]

    def default(self, population: str | None = None) -> int | None:
        """The pay year of a profile without one: the population's latest (None: no years)."""
        years = self.years(population)
        return years[-1] if years else None

    def is_past(self, year: object, population: str | None = None) -> bool:
        """True when `year` lies past the population's latest pay year (a year ahead: the
        interval widens by the model's measured year-ahead adjustment, see
        `mlpay_model.model.interval`)."""
        years = self.years(population)
        return bool(years) and not is_missing(year) and float(year) > years[-1]  # type: ignore[arg-type]

    def past_latest(self, years: Any, populations: Any = None) -> np.ndarray:
        """Per row, `is_past` of parallel pay `years` (NaN: not past) and `populations` (None:
        the default population for every row), as a boolean array."""
        years = np.asarray(years, dtype="float64")
        return years > self._per_row_bounds(len(years), populations)[1]

    def nearest(self, year: Any, population: str | None = None) -> Any:
        """The year the trees read for `year`: held within the population's pay years (a
        pooled model's trees also split on other sources' years, so a year past this
        population's would read another source's later pay); missing stays missing."""
        years = self.years(population)
        if not years or is_missing(year):
            return year
        return min(max(year, years[0]), years[-1])

    def nearest_years(self, years: Any, populations: Any = None) -> np.ndarray:
        """`nearest` of parallel pay `years` and `populations` (None: the default
        population for every row), as a float array (NaN stays NaN)."""
        years = np.asarray(years, dtype="float64")
        return np.clip(years, *self._per_row_bounds(len(years), populations))

    def _per_row_bounds(self, rows: int, populations: Any) -> tuple[Any, Any]:
        """(first, last) pay year per row of `populations` (None: the default's, as floats)."""
        if populations is None:
            return self._bounds(None)
        bounds = {name: self._bounds(name) for name in dict.fromkeys(populations)}
        first = np.fromiter((bounds[name][0] for name in populations), "float64", rows)
        last = np.fromiter((bounds[name][1] for name in populations), "float64", rows)
        return first, last

    def _bounds(self, population: str | None) -> tuple[float, float]:
        years = self.years(population)
        return (float(years[0]), float(years[-1])) if years else (-math.inf, math.inf)

    def out_of_range_note(
        self, year: int, population: str | None = None, year_ahead: float = 0.0
    ) -> str | None:
        """One line when `year` lies outside the population's pay years, else None
        (`year_ahead`: the model's year-ahead adjustment, which widens the range past them)."""
        years = self.years(population)
        if not years or years[0] <= year <= years[-1]:
            return None
        nearest, where = (years[0], "before") if year < years[0] else (years[-1], "past")
        note = (
            f"year {year} is {where} model {self.model_name}'s pay years ({years_text(years)}): "
            f"priced at the {nearest} level (the trees read that year; no trend is "
            "extrapolated)"
        )
        if where == "past" and year_ahead > 0.0:
            note += (
                f"; its range is {math.exp(year_ahead) - 1:.1%} wider each way, for the pay "
                "drift measured a year past the training years"
            )
        return note


def years_text(years: Sequence[int]) -> str:
    """(2020, 2021, 2022) -> "2020-2022"; (2017, 2024, 2025) -> "2017, 2024-2025"."""
    runs: list[list[int]] = []
    for year in years:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)
