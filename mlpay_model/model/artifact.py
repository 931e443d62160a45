"""Model artifacts on disk: a folder with `manifest.json` and LightGBM native text models.

Layout of `models/<name>/`:
    manifest.json   what the model is (see below), with the sha256 of every other file
    median.txt      LightGBM text model of log(annual USD pay), the 0.5 quantile
    low.txt         the lower quantile model (log scale), before calibration
    high.txt        the upper quantile model (log scale), before calibration
    MODEL_CARD.md   data, licence/attribution, metrics, intended use, limitations
    population_leaves.json
                    a model of several populations: {population: [rows of it per leaf, one
                    list per median tree]} (POPULATION_LEAVES; explanations weigh the median
                    trees' branches by them, `mlpay_model._conditional`)

manifest.json keys:
    schema_version  ARTIFACT_SCHEMA_VERSION; loading refuses any other
    name, version   model name and version string
    package_version the mlpay version that wrote it
    target          "log_salary_usd"
    currency        "USD"
    features        FeatureSpec.to_dict()
    quantiles       {"low": 0.1, "median": 0.5, "high": 0.9}
    models          {head: file} for each of QUANTILE_HEADS:
                    {"median": "median.txt", "low": "low.txt", "high": "high.txt"}
    calibration     {"method": "conformal_quantile", "target_coverage": 0.8,
                     "adjustment": <float added to high and subtracted from low, log scale>,
                     "rows": <rows whose conformity scores gave the adjustment>,
                     and, from models written with a calibration scheme:
                     "scheme": "cross_conformal" | "split", "folds": <cross_conformal>,
                     "quantile_heads": "from_median" | "independent",
                     "continues_median": {"trees": <the median's tree count>, "shift":
                     {"low": <float>, "high": <float>}} (from_median heads: each file holds
                     the median's trees, `shift` added to the first tree's leaves, then its
                     own; absent in older models: every head is predicted whole),
                     "fitted_on": ALL_ROWS | "train part" (the rows the boosters here saw),
                     "fitted_rows": <their count>, "test_rows": <held-out rows scored>,
                     "metrics_of": <which boosters `metrics` scored, when not these>,
                     "year_ahead": {"adjustment": <float >= 0 added to q for a pay year past
                     the population's latest>, "measured_on": {source: year held out},
                     "rows", "ahead_q", "in_time_q", "by_population": {source: extra}}
                     | null (not measured),
                     "by_population": {source: q} (a model of several sources, calibrated
                     per population: `interval.IntervalCalibrator`)}
                    `boosters_fitted_on_all_rows` reads it (absent: the train part);
                    `calibration_adjustments` reads q and the year-ahead extra (absent: 0),
                    model-wide and per population (absent: the model-wide ones).
    metrics         {metric name: value} on the held-out test split
    data            [{"source", "file", "sha256", "rows_read", "rows_kept"}, ...]
    pay_years       {source: [pay years of the rows the boosters learned from]} (optional;
                    a manifest without it: `pay_year.manifest_pay_years` derives them)
    effects         {"factors": [...], "education": {population: {level: log effect}},
                    "skills": {population: {skill: log effect}}} (optional;
                    `effects.FactorEffects`: added to the boosters' log pay)
    config          the resolved training config (so data and reference rows can be rebuilt)
    files           {relative file name: sha256} for every file except manifest.json

Loading never unpickles: the manifest is JSON and the models are LightGBM text.

Loading never reads outside the folder. Before anything is opened: the manifest must be a
regular file inside the folder of at most MANIFEST_MAX_BYTES; it must match the schema above
(`validate_manifest`: the type of every key the loader reads); every name in `files` and
`models` must be a plain relative POSIX name (no "..", no absolute path, no backslash, no
empty part) whose resolved path, symlinks followed, is inside the resolved folder; and every
listed file must be a regular file of at most MEMBER_MAX_BYTES. Files in the folder that the
manifest does not list are reported with an ArtifactWarning (they are never read).
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any, Final

from mlpay_model._digest import sha256_file
from mlpay_model.errors import ArtifactError, ArtifactWarning, clip
from mlpay_model.model.effects import FactorEffects
from mlpay_model.model.interval import IntervalCalibrator
from mlpay_model.schema import PREDICTION_COLUMNS

ARTIFACT_SCHEMA_VERSION: Final = 1
MANIFEST_NAME: Final = "manifest.json"
QUANTILE_HEADS: Final[tuple[str, ...]] = PREDICTION_COLUMNS
"""The three boosters of a model, by head: its median and the interval's low and high ends
(the manifest's `models` maps each head to its file, `<head>.txt`)."""

EFFECTS_KEY: Final = "effects"
"""The manifest's education and skill effects beside the boosters (`effects.FactorEffects`)."""

POPULATION_LEAVES: Final = "population_leaves.json"
"""A pooled model's rows of each population per leaf of each median tree (explanations)."""

CONTINUES_MEDIAN_KEY: Final = "continues_median"
"""calibration's record of how from_median quantile heads continue the median
(`MedianContinuation`)."""

ALL_ROWS: Final = "all rows"
"""calibration.fitted_on of a model whose boosters were refitted on every row (test too)."""

MANIFEST_MAX_BYTES: Final = 4 << 20
"""The largest manifest.json read (4 MiB; the shipped ones are under 20 KB)."""
MEMBER_MAX_BYTES: Final = 64 << 20
"""The largest file a manifest may list (64 MiB; the shipped model texts are under 100 KB)."""
MEMBER_MAX_COUNT: Final = 1000
"""The most files a manifest may list (the shipped ones list 4)."""
_SHA256: Final = re.compile(r"[0-9a-f]{64}")


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of an artifact folder, after checking its size, schema, names and hashes."""
    directory = Path(directory)
    path = directory / MANIFEST_NAME
    if not path.is_file():
        raise ArtifactError(f"{directory}: no {MANIFEST_NAME}; not a model folder")
    member_path(directory, MANIFEST_NAME, what="the manifest")
    size = path.stat().st_size
    if size > MANIFEST_MAX_BYTES:
        raise ArtifactError(
            f"{path}: {size:,} bytes; a manifest is at most {MANIFEST_MAX_BYTES:,} bytes"
        )
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise ArtifactError(f"{path}: not valid JSON ({clip(str(error))})") from None
    validated = validate_manifest(manifest, path)
    verify_files(directory, validated)
    return validated


def validate_manifest(manifest: object, path: Path) -> dict[str, Any]:
    """`manifest` itself once it has the layout the module docstring gives, else ArtifactError.

    Checks the type of every key the loader and `mlpay models` read, and that every file
    name is a plain relative name (see `plain_name`); it does not touch the disk.
    """
    where = f"{path}"
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{where}: a manifest is a JSON object, not {_json_type(manifest)}")
    version = manifest.get("schema_version")
    if version != ARTIFACT_SCHEMA_VERSION or isinstance(version, bool):
        raise ArtifactError(
            f"{where}: schema_version {clip(repr(version))}; "
            f"this mlpay reads {ARTIFACT_SCHEMA_VERSION}"
        )
    for key in ("name", "version"):
        _expect(manifest, key, str, where, required=True)
    for key in ("currency", "package_version", "target", "trained_at"):
        _expect(manifest, key, str, where, required=False, nullable=key == "trained_at")
    for key in ("metrics", "quantiles", "config"):
        _expect(manifest, key, dict, where, required=False)
    data = _expect(manifest, "data", list, where, required=False)
    if data is not None and not all(isinstance(item, dict) for item in data):
        raise ArtifactError(f"{where}: 'data' must be a list of objects")
    pay_years = _expect(manifest, "pay_years", dict, where, required=False)
    for source, years in (pay_years or {}).items():
        if not isinstance(years, list) or not all(
            isinstance(year, int) and not isinstance(year, bool) for year in years
        ):
            raise ArtifactError(f"{where}: pay_years.{clip(source, 40)} must be a list of years")

    features = _expect(manifest, "features", dict, where, required=True)
    _string_list(features.get("features"), f"{where}: features.features")
    _string_list(features.get("skills"), f"{where}: features.skills")
    categories = features.get("categories")
    if not isinstance(categories, dict):
        raise ArtifactError(f"{where}: features.categories must be an object")
    for name, values in categories.items():
        _string_list(values, f"{where}: features.categories.{clip(name, 40)}")

    calibration = _expect(manifest, "calibration", dict, where, required=True)
    for key in ("scheme", "quantile_heads", "fitted_on", "metrics_of"):
        _expect(calibration, key, str, f"{where}: calibration", required=False)
    calibration_adjustments(manifest, where)
    median_continuation(manifest, where)
    factor_effects(manifest, where)

    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise ArtifactError(f"{where}: no 'files' with sha256 hashes")
    if len(files) > MEMBER_MAX_COUNT:
        raise ArtifactError(f"{where}: lists {len(files):,} files; at most {MEMBER_MAX_COUNT}")
    for name, digest in files.items():
        plain_name(name, f"{where}: files")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ArtifactError(
                f"{where}: files[{name!r}] must be a sha256 (64 lowercase hex digits)"
            )
    models = _expect(manifest, "models", dict, where, required=True)
    for head in QUANTILE_HEADS:
        name = models.get(head)
        if name is None:
            raise ArtifactError(f"{where}: the {head} model is not listed under 'models'")
        plain_name(name, f"{where}: models.{head}")
        if name not in files:
            raise ArtifactError(f"{where}: the {head} model is not listed")
    return manifest


def calibration_adjustments(
    manifest: Mapping[str, Any], where: str = "manifest"
) -> IntervalCalibrator:
    """The model's interval calibrator (`IntervalCalibrator.from_manifest`)."""
    return IntervalCalibrator.from_manifest(manifest, where)


@dataclass(frozen=True)
class MedianContinuation:
    """How quantile heads continue the median: head(x) = median(x) + shift[head] + the sum of
    the head's trees from `trees` on (its first `trees` are the median's, the first moved by
    `shift`), so a prediction runs the median's trees once."""

    trees: int
    shift: Mapping[str, float]


def median_continuation(
    manifest: Mapping[str, Any], where: str = "manifest"
) -> MedianContinuation | None:
    """The manifest's `calibration.continues_median` (None: heads are predicted whole)."""
    calibration = manifest.get("calibration")
    entry = calibration.get(CONTINUES_MEDIAN_KEY) if isinstance(calibration, dict) else None
    if entry is None:
        return None
    what = f"{where}: calibration.{CONTINUES_MEDIAN_KEY}"
    trees = entry.get("trees") if isinstance(entry, dict) else None
    shift = entry.get("shift") if isinstance(entry, dict) else None
    heads = tuple(head for head in QUANTILE_HEADS if head != "median")
    if (
        not isinstance(trees, int)
        or isinstance(trees, bool)
        or trees < 1
        or not isinstance(shift, dict)
        or set(shift) != set(heads)
        or not all(_finite_number(shift[head]) for head in heads)
    ):
        raise ArtifactError(
            f'{what} must be {{"trees": <integer >= 1>, "shift": {{"low": <number>, '
            f'"high": <number>}}}}'
        )
    return MedianContinuation(trees, MappingProxyType({h: float(shift[h]) for h in heads}))


def _finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def factor_effects(manifest: Mapping[str, Any], where: str = "manifest") -> FactorEffects | None:
    """The manifest's education and skill effects (None: a model without them)."""
    entry = manifest.get(EFFECTS_KEY)
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise ArtifactError(f"{where}: '{EFFECTS_KEY}' must be an object")
    try:
        return FactorEffects.from_dict(entry)
    except (KeyError, TypeError, ValueError) as error:
        raise ArtifactError(f"{where}: {EFFECTS_KEY} malformed ({clip(str(error))})") from None


def boosters_fitted_on_all_rows(manifest: dict[str, Any]) -> bool:
    """Whether the model's boosters were refitted on every row of its data (test rows too),
    rather than on its split's train part (`calibration.fitted_on`)."""
    calibration = manifest.get("calibration")
    return isinstance(calibration, dict) and calibration.get("fitted_on") == ALL_ROWS


def plain_name(name: object, what: str) -> str:
    """`name` if it is a plain relative POSIX file name (parts joined by "/", none of them
    empty, "." or ".."; no backslash, NUL or drive), else ArtifactError naming `what`."""
    if not isinstance(name, str) or not name:
        raise ArtifactError(
            f"{what}: a file name must be a non-empty string, not {clip(repr(name))}"
        )
    parts = name.split("/")
    if (
        name.startswith("/")
        or "\\" in name
        or "\0" in name
        or ":" in parts[0]
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise ArtifactError(
            f"{what}: {clip(repr(name))} is not a plain relative name inside the model "
            "folder (no '..', no absolute path)"
        )
    return name


def population_leaf_counts(
    directory: Path, manifest: Mapping[str, Any]
) -> dict[str, list[list[int]]]:
    """{population: its rows per leaf of each median tree} of POPULATION_LEAVES ({} when the
    manifest does not list it); an ArtifactError naming the file when it is malformed."""
    if POPULATION_LEAVES not in manifest.get("files", {}):
        return {}
    path = member_path(directory, POPULATION_LEAVES, what="the population leaf counts")
    where = Path(directory) / POPULATION_LEAVES
    try:
        counts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ArtifactError(f"{where}: unreadable ({clip(str(error), 80)})") from None
    if not (
        isinstance(counts, dict)
        and all(
            isinstance(trees, list)
            and all(
                isinstance(tree, list)
                and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in tree)
                for tree in trees
            )
            for trees in counts.values()
        )
    ):
        raise ArtifactError(
            f"{where}: must map each population to one list per tree of its rows per leaf "
            "(integers >= 0)"
        )
    return counts


def member_path(directory: Path, name: str, *, what: str = "a listed file") -> Path:
    """The resolved path of `name` inside `directory`, symlinks followed; ArtifactError if it
    is not a plain name (`plain_name`) or resolves outside the resolved folder."""
    plain_name(name, f"{directory}: {what}")
    root = Path(directory).resolve()
    try:
        resolved = (root / PurePosixPath(name)).resolve()
    except (OSError, RuntimeError) as error:  # a symlink loop
        raise ArtifactError(f"{directory / name}: cannot be resolved ({error})") from None
    if not resolved.is_relative_to(root):
        raise ArtifactError(
            f"{directory / name}: resolves to {clip(str(resolved))}, outside the model "
            f"folder {root}; refused"
        )
    return resolved


def verify_files(directory: Path, manifest: dict[str, Any]) -> None:
    """Check every listed file: inside the folder, a regular file, within MEMBER_MAX_BYTES,
    with the sha256 the manifest gives; then warn about files the manifest does not list."""
    directory = Path(directory)
    validate_manifest(manifest, directory / MANIFEST_NAME)
    files: dict[str, str] = manifest["files"]
    for name, expected in files.items():
        file = directory / name
        resolved = member_path(directory, name)
        if not resolved.is_file():
            raise ArtifactError(f"{file}: listed in the manifest but missing")
        size = resolved.stat().st_size
        if size > MEMBER_MAX_BYTES:
            raise ArtifactError(
                f"{file}: {size:,} bytes; a model folder's file is at most "
                f"{MEMBER_MAX_BYTES:,} bytes"
            )
        actual = sha256_file(resolved)
        if actual != expected:
            raise ArtifactError(
                f"{file}: sha256 {actual[:12]}… does not match the manifest's {expected[:12]}…"
            )
    unlisted = unlisted_files(directory, files)
    if unlisted:
        shown = ", ".join(clip(name, 80) for name in unlisted[:5])
        more = f" and {len(unlisted) - 5} more" if len(unlisted) > 5 else ""
        warnings.warn(
            f"{directory}: {len(unlisted)} file(s) the manifest does not list, ignored: "
            f"{shown}{more}",
            ArtifactWarning,
            stacklevel=3,
        )


def unlisted_files(directory: Path, files: dict[str, str]) -> list[str]:
    """Relative POSIX names of the files below `directory` that are neither the manifest nor
    listed in `files`, sorted (symlinks are not followed into folders)."""
    directory = Path(directory)
    found: list[str] = []
    for root, folders, names in os.walk(directory):
        folders.sort()
        for name in sorted(names):
            relative = (Path(root) / name).relative_to(directory).as_posix()
            if relative != MANIFEST_NAME and relative not in files:
                found.append(relative)
    return found


def file_hashes(directory: Path) -> dict[str, str]:
    """sha256 of every file below `directory` except the manifest, by relative POSIX path."""
    directory = Path(directory)
    return {
        path.relative_to(directory).as_posix(): sha256_file(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != MANIFEST_NAME
    }


def _expect(
    manifest: dict[str, Any],
    key: str,
    kind: type,
    where: str,
    *,
    required: bool,
    nullable: bool = False,
) -> Any:
    if key not in manifest:
        if required:
            raise ArtifactError(f"{where}: no {key!r}")
        return None
    value = manifest[key]
    if value is None and nullable:
        return None
    if not isinstance(value, kind):
        raise ArtifactError(f"{where}: {key!r} must be {_json_name(kind)}, not {_json_type(value)}")
    return value


def _string_list(value: object, what: str) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ArtifactError(f"{what} must be a list of strings")


def _json_name(kind: type) -> str:
    names: dict[type, str] = {dict: "an object", list: "a list", str: "a string"}
    return names.get(kind, kind.__name__)


def _json_type(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else type(value).__name__
