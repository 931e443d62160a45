"""Write a model artifact folder atomically (see `mlpay_model.model.artifact` for the layout).

The folder is built in a temporary folder beside the target (`mlpay_model._atomic`'s naming
and clean-up rules) and renamed into place whole.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import lightgbm as lgb

from mlpay_model import __version__
from mlpay_model._atomic import RETIRED_TAG, locked_folder, staging_folder
from mlpay_model.model.artifact import (
    ARTIFACT_SCHEMA_VERSION,
    EFFECTS_KEY,
    MANIFEST_NAME,
    POPULATION_LEAVES,
    QUANTILE_HEADS,
    file_hashes,
)
from mlpay_model.model.effects import FactorEffects
from mlpay_model.model.features import FeatureSpec
from mlpay_model.model.pay_year import PAY_YEARS_KEY


def write_artifact(
    directory: Path,
    *,
    name: str,
    version: str,
    spec: FeatureSpec,
    boosters: Mapping[str, lgb.Booster],
    quantiles: Mapping[str, float],
    calibration: Mapping[str, Any],
    metrics: Mapping[str, float],
    data: list[dict[str, Any]],
    config: Mapping[str, Any],
    extra_files: Mapping[str, str] | None = None,
    pay_years: Mapping[str, list[int]] | None = None,
    effects: FactorEffects | None = None,
    population_leaves: Mapping[str, list[list[int]]] | None = None,
) -> Path:
    """Write `directory` (replacing any previous one) and return it.

    Everything goes to a temporary sibling folder first and is renamed into place at the end,
    so a failure leaves either the old artifact or none, never half of one. `extra_files`
    maps relative file names (e.g. MODEL_CARD.md) to their text; `pay_years` maps each source
    to the pay years of the rows the boosters learned from (`pay_year.pay_years_of_rows`);
    `population_leaves` each population's rows per leaf of each median tree
    (`FittedModel.population_leaves`), written to POPULATION_LEAVES.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with staging_folder(directory) as staging:
        models = {}
        for head in QUANTILE_HEADS:
            file_name = f"{head}.txt"
            # num_iteration=-1 with best_iteration unset writes every tree; deterministic text.
            boosters[head].save_model(str(staging / file_name), num_iteration=-1)
            models[head] = file_name
        if population_leaves is not None:
            (staging / POPULATION_LEAVES).write_text(
                json.dumps(population_leaves, sort_keys=True, separators=(",", ":")) + "\n",
                encoding="utf-8",
            )
        for relative, text in (extra_files or {}).items():
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            (staging / relative).write_text(text, encoding="utf-8")
        manifest = {
            "schema_version": ARTIFACT_SCHEMA_VERSION,
            "name": name,
            "version": version,
            "package_version": __version__,
            "target": "log_salary_usd",
            "currency": "USD",
            "features": spec.to_dict(),
            "quantiles": dict(quantiles),
            "models": models,
            "calibration": dict(calibration),
            "metrics": dict(metrics),
            "data": data,
            # Per source, the pay years of the rows the boosters learned from
            # (`mlpay_model.model.pay_year`): a prediction without a year is priced at the latest.
            **({PAY_YEARS_KEY: dict(pay_years)} if pay_years is not None else {}),
            # Education and skill effects beside the boosters (`mlpay_model.model.effects`).
            **({EFFECTS_KEY: effects.to_dict()} if effects is not None else {}),
            "config": dict(config),
            "files": file_hashes(staging),
        }
        (staging / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        _replace_directory(staging, directory)
    return directory


def install_artifact(source: Path, target: Path) -> Path:
    """Move a written artifact folder to `target`, replacing any previous one atomically.

    The folder is copied next to `target` first (so `source` may be on another file system,
    e.g. a temporary folder) and then renamed into place; `source` is removed afterwards.
    """
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with staging_folder(target) as staging:
        shutil.copytree(source, staging, dirs_exist_ok=True)
        _replace_directory(staging, target)
    shutil.rmtree(source, ignore_errors=True)
    return target


def _replace_directory(staging: Path, target: Path) -> None:
    """Rename `staging` to `target`. A previous `target` is first moved aside (into a
    temporary, locked `.<name>.old.` folder beside it), put back if the rename fails, and removed
    once the new one is in place."""
    if target.exists():
        with locked_folder(target, RETIRED_TAG) as retired:
            os.replace(target, retired / target.name)
            try:
                os.replace(staging, target)
            except BaseException:
                os.replace(retired / target.name, target)
                retired.rmdir()
                raise
            shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, target)
    os.chmod(target, 0o755)
