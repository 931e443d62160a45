"""The rows a model learns from: every configured source read, quality-checked and combined.

`load_training_data(config)` reads each source with its adapter, applies the quality rules
(the adapter's defaults plus the config's overrides), checks that enough rows remain and that
every configured feature has data, and concatenates the kept rows. Nothing is written.

Target: models learn log(annual USD pay). Exact pay gives log(pay); a pay band (Kaggle) gives
the log of its geometric midpoint, log(sqrt(low * high)), the middle of the band on the log
scale (`mlpay_model.data.quality.pay_point`). Evaluation still scores band rows against the band.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from mlpay_model.data.quality import apply_quality_rules, pay_point
from mlpay_model.data.sources import load_profiles
from mlpay_model.data.summary import present
from mlpay_model.errors import DataError
from mlpay_model.model.artifact import sha256_file
from mlpay_model.schema import TARGET_COLUMNS, target_interval
from training.config import SourceConfig, TrainConfig

MIN_KEPT_ROWS: Final = 200  # per source: fewer usable rows cannot train and test a model


@dataclass(frozen=True)
class SourceReport:
    """What one configured source contributed."""

    source: str  # the adapter name
    file: str  # the path as the config writes it (unexpanded, portable)
    sha256: str
    rows_read: int
    rows_kept: int
    dropped: dict[str, int] = field(default_factory=dict)  # quality rule -> rows
    flagged: dict[str, int] = field(default_factory=dict)
    missing_features: tuple[str, ...] = ()  # configured features with no value in this source
    years: tuple[int, ...] = ()  # the pay years of the kept rows

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


def load_training_data(config: TrainConfig) -> TrainingData:
    """Read, quality-check and combine the config's sources; a DataError on unusable data."""
    frames: list[pd.DataFrame] = []
    reports: list[SourceReport] = []
    for source in config.sources:
        kept, report = _load_source(source, config)
        frames.append(kept)
        reports.append(report)
    profiles = pd.concat(frames, ignore_index=True)
    _require_features(config.features, reports)
    return TrainingData(profiles=profiles, reports=tuple(reports))


def log_target(profiles: pd.DataFrame) -> np.ndarray:
    """Per row log(annual USD pay): the exact pay, or a band's geometric midpoint."""
    return np.log(pay_point(profiles))


def target_bounds(profiles: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row (low, high) USD pay: equal for exact pay, the band's edges for a band."""
    return target_interval(profiles)


def row_hashes(profiles: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """A stable uint64 per row from the values in `columns` (same values, same hash)."""
    table = pd.DataFrame(
        {name: _hashable(profiles[name]) for name in columns}, index=profiles.index
    )
    return pd.util.hash_pandas_object(table, index=False).to_numpy(dtype=np.uint64)


def dataset_digest(profiles: pd.DataFrame) -> str:
    """sha256 of the training rows' content (order included): names the exact data a run used."""
    columns = [name for name in profiles.columns if name != "row_number"]
    digest = hashlib.sha256(row_hashes(profiles, columns).tobytes())
    digest.update(",".join(columns).encode())
    return digest.hexdigest()


def _load_source(source: SourceConfig, config: TrainConfig) -> tuple[pd.DataFrame, SourceReport]:
    path = source.resolved_path()
    mapping = source.resolved_mapping()
    profiles = load_profiles(source.adapter, path, mapping)
    result = apply_quality_rules(profiles, config.quality_rules(source.adapter))
    kept = result.kept
    if len(kept) < MIN_KEPT_ROWS:
        drops = ", ".join(f"{rule}: {n}" for rule, n in result.dropped.items() if n) or "none"
        raise DataError(
            f"{path}: only {len(kept)} of {len(profiles)} rows are usable after the quality "
            f"rules (dropped {drops}); training needs at least {MIN_KEPT_ROWS} per source"
        )
    report = SourceReport(
        source=source.adapter,
        file=source.path,
        sha256=sha256_file(path),
        rows_read=len(profiles),
        rows_kept=len(kept),
        dropped=dict(result.dropped),
        flagged=dict(result.flagged),
        missing_features=tuple(
            name for name in config.features if name != "source" and not present(kept, name).any()
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


def _hashable(column: pd.Series) -> pd.Series:
    """Values pandas can hash: tuples (skills) joined to text, everything else as text."""
    if column.name == "skills":
        return column.map(lambda skills: "|".join(skills) if isinstance(skills, tuple) else "")
    if column.name in TARGET_COLUMNS or column.dtype.kind == "f":
        return column.astype("float64")
    return column.astype(object).map(lambda value: None if pd.isna(value) else str(value))
