"""The data recipe: which files a model learns from, and the rows they give, with the runtime alone.

A training config's `sources`, `quality` and `features` sections say which rows a model learns
from. `DataRecipe.from_config(config)` reads them from a config dict (a model manifest's
`config`, as written at training time; other sections are ignored) and checks them with plain
Python, so that `mlpay compare` can rebuild a shipped model's training rows without the training
extra. `training.config.TrainConfig` delegates the same checks here (`source_problem`,
`quality_rules`) and hands `load_training_data` its `data_recipe()`.

`load_training_data(recipe)` reads each source with its adapter, applies the quality rules
(the source's defaults plus the recipe's overrides), checks that enough rows remain and that
every feature has data, and concatenates the kept rows. Nothing is written.

Target: models learn log(annual USD pay). Exact pay gives log(pay); a pay band (Kaggle) gives
the log of its geometric midpoint, log(sqrt(low * high)) (`mlpay_model.data.quality.pay_point`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from mlpay_model._digest import sha256_file
from mlpay_model.data.datadir import expand_data_path
from mlpay_model.data.quality import QualityRules, apply_quality_rules
from mlpay_model.data.sources import read_source
from mlpay_model.data.sources.registry import find_source, unknown_source_message
from mlpay_model.errors import ConfigError, DataError, did_you_mean
from mlpay_model.schema import DERIVED_FEATURES, PROFILE_COLUMNS, present

if TYPE_CHECKING:
    import pandas as pd

MIN_KEPT_ROWS: Final = 200  # per source: fewer usable rows cannot train and test a model
SOURCE_KEYS: Final[tuple[str, ...]] = ("adapter", "path", "mapping")
QUALITY_FIELDS: Final[tuple[str, ...]] = tuple(f.name for f in dataclasses.fields(QualityRules))


@dataclass(frozen=True)
class SourceSpec:
    """One data file and the adapter (a registered source) that reads it."""

    adapter: str
    path: str  # as the config writes it, e.g. "${MLPAY_DATA_DIR}/aijobs/salaries.csv"
    mapping: str | None = None

    def __post_init__(self) -> None:
        problem = source_problem(self.adapter, self.mapping)
        if problem is not None:
            raise ConfigError(problem)
        if not isinstance(self.path, str) or not self.path:
            raise ConfigError(f"path={self.path!r}: expected the data file's path")

    def resolved_path(self) -> Path:
        """The data file, with ${MLPAY_DATA_DIR} (and other variables, and ~) expanded."""
        return expand_data_path(self.path)

    def resolved_mapping(self) -> Path | None:
        return None if self.mapping is None else expand_data_path(self.mapping)


@dataclass(frozen=True)
class DataRecipe:
    """The sources, quality overrides and features that make a model's training rows."""

    sources: tuple[SourceSpec, ...]
    quality: Mapping[str, Any] = field(default_factory=dict)
    features: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", tuple(self.sources))
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "quality", dict(self.quality))
        if not self.sources:
            raise ConfigError("sources: expected at least one {adapter, path} entry")
        problem = quality_problem(self.quality)
        if problem is not None:
            raise ConfigError(problem)
        for name in self.features:
            if name not in PROFILE_COLUMNS and name not in DERIVED_FEATURES:
                known = (*PROFILE_COLUMNS, *DERIVED_FEATURES)
                raise ConfigError(unknown_message("feature", str(name), known))
        for source in self.sources:  # overrides are checked against each source's real rules
            self.quality_rules(source.adapter)

    @classmethod
    def from_config(cls, config: object) -> DataRecipe:
        """The recipe in a training config dict; a one-line ConfigError naming the bad key."""
        if not isinstance(config, Mapping):
            raise ConfigError(f"expected a training config mapping, got {_short(config)}")
        entries = config.get("sources")
        if not isinstance(entries, list) or not entries:
            raise ConfigError(
                f"sources: expected a list of {{adapter, path}} entries (got {_short(entries)})"
            )
        quality = config.get("quality") or {}
        if not isinstance(quality, Mapping):
            raise ConfigError(
                f"quality: expected a mapping of rule settings (got {_short(quality)})"
            )
        features = config.get("features") or []
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise ConfigError(f"features: expected a list of column names (got {_short(features)})")
        return cls(
            sources=tuple(_source_spec(index, entry) for index, entry in enumerate(entries)),
            quality=dict(quality),
            features=tuple(features),
        )

    def quality_rules(self, adapter: str) -> QualityRules:
        return quality_rules(adapter, self.quality)


class HasDataRecipe(Protocol):
    """A full training config (training.config.TrainConfig) that carries a data recipe."""

    def data_recipe(self) -> DataRecipe: ...


@dataclass(frozen=True)
class SourceReport:
    """What one configured source contributed (and, in a rebuild, whether it is the model's)."""

    source: str  # the adapter name
    file: str  # the path as the config writes it (unexpanded, portable)
    sha256: str  # of the file read
    rows_read: int
    rows_kept: int
    dropped: Mapping[str, int] = field(default_factory=dict)  # quality rule -> rows
    flagged: Mapping[str, int] = field(default_factory=dict)  # e.g. exact_duplicate -> rows
    missing_features: tuple[str, ...] = ()  # configured features with no value in this source
    years: tuple[int, ...] = ()  # the pay years of the kept rows
    # Rebuilt reference rows (mlpay compare): the sha256 the model's manifest records.
    model_sha256: str | None = None

    @property
    def matches_model(self) -> bool:
        return self.sha256 == self.model_sha256

    def manifest_entry(self) -> dict[str, Any]:
        """The entry for the model manifest's `data` list."""
        return {
            "source": self.source,
            "file": self.file,
            "sha256": self.sha256,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "dropped": dict(self.dropped),
            "missing_features": list(self.missing_features),
            "years": list(self.years),
        }


@dataclass(frozen=True)
class TrainingData:
    """Kept canonical rows of every source (index 0..n-1, `source` set) and per-source reports."""

    profiles: pd.DataFrame
    reports: tuple[SourceReport, ...]


def load_training_data(config: DataRecipe | HasDataRecipe) -> TrainingData:
    """Read, quality-check and combine the recipe's sources; a DataError on unusable data."""
    import pandas as pd

    recipe = config if isinstance(config, DataRecipe) else config.data_recipe()
    frames: list[pd.DataFrame] = []
    reports: list[SourceReport] = []
    for source in recipe.sources:
        kept, report = _load_source(source, recipe)
        frames.append(kept)
        reports.append(report)
    profiles = pd.concat(frames, ignore_index=True)
    _require_features(recipe.features, reports)
    return TrainingData(profiles=profiles, reports=tuple(reports))


def source_problem(adapter: object, mapping: object) -> str | None:
    """Why {adapter, mapping} cannot be read (one line), or None when it can."""
    entry = find_source(adapter) if isinstance(adapter, str) else None
    if entry is None:
        return unknown_source_message(adapter)
    if entry.needs_mapping and mapping is None:
        return f"the {entry.name} adapter needs a 'mapping' (a YAML column mapping file)"
    if not entry.needs_mapping and mapping is not None:
        return f"'mapping' applies to {_mapping_adapters()} only, not {entry.name!r}"
    if mapping is not None and (not isinstance(mapping, str) or not mapping):
        return f"mapping={mapping!r}: expected the mapping file's path"
    return None


def quality_problem(quality: Mapping[str, Any]) -> str | None:
    """Why the quality overrides are not QualityRules settings, or None."""
    for name in quality:
        if name not in QUALITY_FIELDS:
            return unknown_message("quality rule setting", str(name), QUALITY_FIELDS)
    return None


def quality_rules(adapter: str, overrides: Mapping[str, Any]) -> QualityRules:
    """The source's default quality rules with `overrides` applied."""
    return dataclasses.replace(QualityRules.for_source(adapter), **overrides)


def _source_spec(index: int, entry: object) -> SourceSpec:
    where = f"sources[{index}]"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: expected {{adapter, path}}, got {_short(entry)}")
    for key in entry:
        if key not in SOURCE_KEYS:
            raise ConfigError(
                f"unknown key {str(key)!r} in {where}{did_you_mean(str(key), SOURCE_KEYS)}; "
                f"allowed: {', '.join(SOURCE_KEYS)}"
            )
    for key in ("adapter", "path"):
        if key not in entry:
            raise ConfigError(f"missing required key '{where}.{key}'")
    try:
        return SourceSpec(
            adapter=entry["adapter"], path=entry["path"], mapping=entry.get("mapping")
        )
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None


def _load_source(source: SourceSpec, recipe: DataRecipe) -> tuple[pd.DataFrame, SourceReport]:
    path = source.resolved_path()
    mapping = source.resolved_mapping()
    rows = read_source(source.adapter, path, mapping)
    profiles = rows.profiles
    result = apply_quality_rules(profiles, recipe.quality_rules(source.adapter))
    dropped = rows.dropped(result.dropped)
    kept = result.kept
    if len(kept) < MIN_KEPT_ROWS:
        drops = ", ".join(f"{rule}: {n}" for rule, n in dropped.items() if n) or "none"
        raise DataError(
            f"{path}: only {len(kept)} of {rows.rows_read} rows are usable after the quality "
            f"rules (dropped {drops}); training needs at least {MIN_KEPT_ROWS} per source"
        )
    report = SourceReport(
        source=source.adapter,
        file=source.path,
        sha256=sha256_file(path),
        rows_read=rows.rows_read,
        rows_kept=len(kept),
        dropped=dropped,
        flagged=dict(result.flagged),
        missing_features=tuple(
            name
            for name in recipe.features
            if name != "source" and not present(kept, DERIVED_FEATURES.get(name, name)).any()
        ),
        years=tuple(sorted({int(year) for year in kept["year"].dropna()})),
    )
    return kept, report


def _require_features(features: Sequence[str], reports: Sequence[SourceReport]) -> None:
    """A feature no source has would be a column of missing values: refuse it by name."""
    for name in features:
        if all(name in report.missing_features for report in reports):
            files = ", ".join(f"{report.source} ({report.file})" for report in reports)
            raise DataError(
                f"feature {name!r} has no values in the data of {files}; remove it from "
                "'features' in the config or add a source that has it"
            )


def _mapping_adapters() -> str:
    from mlpay_model.data.sources.registry import sources

    names = [s.name for s in sources() if s.needs_mapping]
    return f"the {' / '.join(names)} adapter" if names else "adapters with a column mapping"


def unknown_message(what: str, name: str, allowed: Iterable[str]) -> str:
    """ "unknown feature 'x' (did you mean y?); known: a, b" """
    allowed = tuple(allowed)
    return f"unknown {what} {name!r}{did_you_mean(name, allowed)}; known: {', '.join(allowed)}"


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
