"""Model artifacts on disk: a folder with `manifest.json` and LightGBM native text models.

Layout of `models/<name>/`:
    manifest.json   what the model is (see below), with the sha256 of every other file
    median.txt      LightGBM text model of log(annual USD pay), the 0.5 quantile
    low.txt         the lower quantile model (log scale), before calibration
    high.txt        the upper quantile model (log scale), before calibration
    MODEL_CARD.md   data, licence/attribution, metrics, intended use, limitations

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
                     "adjustment": <float added to high and subtracted from low, log scale>}
    metrics         {metric name: value} on the held-out test split
    data            [{"source", "file", "sha256", "rows_read", "rows_kept"}, ...]
    config          the resolved training config (so data and reference rows can be rebuilt)
    files           {relative file name: sha256} for every file except manifest.json

Loading never unpickles: the manifest is JSON and the models are LightGBM text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from mlpay_model._digest import sha256_file
from mlpay_model.errors import ArtifactError
from mlpay_model.schema import PREDICTION_COLUMNS

ARTIFACT_SCHEMA_VERSION: Final = 1
MANIFEST_NAME: Final = "manifest.json"
QUANTILE_HEADS: Final[tuple[str, ...]] = PREDICTION_COLUMNS
"""The three boosters of a model, by head: its median and the interval's low and high ends
(the manifest's `models` maps each head to its file, `<head>.txt`)."""


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of an artifact folder, after checking its schema version and file hashes."""
    path = Path(directory) / MANIFEST_NAME
    if not path.is_file():
        raise ArtifactError(f"{directory}: no {MANIFEST_NAME}; not a model folder")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ArtifactError(f"{path}: not valid JSON ({error})") from None
    version = manifest.get("schema_version")
    if version != ARTIFACT_SCHEMA_VERSION:
        raise ArtifactError(
            f"{path}: schema_version {version!r}; this mlpay reads {ARTIFACT_SCHEMA_VERSION}"
        )
    verify_files(Path(directory), manifest)
    return manifest


def verify_files(directory: Path, manifest: dict[str, Any]) -> None:
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise ArtifactError(f"{directory / MANIFEST_NAME}: no 'files' with sha256 hashes")
    for head in QUANTILE_HEADS:
        name = manifest.get("models", {}).get(head)
        if name not in files:
            raise ArtifactError(f"{directory / MANIFEST_NAME}: the {head} model is not listed")
    for name, expected in files.items():
        file = directory / name
        if not file.is_file():
            raise ArtifactError(f"{file}: listed in the manifest but missing")
        actual = sha256_file(file)
        if actual != expected:
            raise ArtifactError(
                f"{file}: sha256 {actual[:12]}… does not match the manifest's {expected[:12]}…"
            )


def file_hashes(directory: Path) -> dict[str, str]:
    """sha256 of every file below `directory` except the manifest, by relative POSIX path."""
    directory = Path(directory)
    return {
        path.relative_to(directory).as_posix(): sha256_file(path)
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != MANIFEST_NAME
    }
