"""Which artifact folder a model name means, and loading it (cached).

A name is resolved in this order:

    "default"         DEFAULT_MODEL
    a shipped name    `<models dir>/<name>/manifest.json`, where the models dir is
                      $MLPAY_MODELS_DIR if set, else the `models/` folder beside the package
    a path            any artifact folder (see `mlpay_model.model.artifact` for the layout)
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Final

from mlpay_model.errors import ArtifactError, ModelNotFoundError, did_you_mean
from mlpay_model.model._salary_model import SalaryModel
from mlpay_model.model.artifact import MANIFEST_NAME, read_manifest

DEFAULT_MODEL: Final = "pooled"
"""The model "default" means: pooled, trained on the canonical rows of every shipped source.

Chosen because it uses all five factors and every source's evidence (configs/pooled.yaml):
role, country and experience from where pay is dense in its trees, education and skills as
effects beside them, learned from the surveys that ask them (`model.effects`); it prices a
person as aijobs.net's population (the largest and most recent exact pay) unless
`population=` asks for another, and reports the median of every source population
(`by_source`). Out of time it is measured against each source's own model and the peers in
benchmarks/results/out_of_time.md.
"""


MODELS_DIR_VARIABLE: Final = "MLPAY_MODELS_DIR"


def models_dir() -> Path:
    """Where shipped models live: $MLPAY_MODELS_DIR if set, else the models the package carries.

    An installed wheel carries them as `mlpay_model/shipped_models/`; a checkout (an editable
    install) has them in the top-level `models/` folder beside the package.
    """
    value = os.environ.get(MODELS_DIR_VARIABLE)
    if value:
        return Path(value).expanduser()
    package = Path(__file__).resolve().parent.parent
    installed = package / "shipped_models"
    return installed if installed.is_dir() else package.parent / "models"


def shipped_models() -> list[str]:
    """Names of the model folders (those with a manifest.json) in `models_dir()`, sorted."""
    directory = models_dir()
    if not directory.is_dir():
        return []
    return sorted(
        child.name
        for child in directory.iterdir()
        if not child.name.startswith(".") and (child / MANIFEST_NAME).is_file()
    )


def resolve_model(name_or_path: str | os.PathLike[str] = "default") -> Path:
    """The artifact folder a model name or path refers to (see the module docstring)."""
    text = os.fspath(name_or_path)
    name = DEFAULT_MODEL if text == "default" else text
    if name and name not in (".", "..") and "/" not in name and "\\" not in name:
        shipped = models_dir() / name
        if (shipped / MANIFEST_NAME).is_file():
            return shipped
    path = Path(name).expanduser()
    if name and path.is_dir():
        return path
    available = shipped_models()
    alias = f" (= {DEFAULT_MODEL!r})" if text == "default" else ""
    hint = (
        f"shipped models in {models_dir()}: {', '.join(available)}"
        if available
        else f"no models in {models_dir()}; train one, e.g. "
        f"`mlpay train --config configs/{DEFAULT_MODEL}.yaml`"
    )
    raise ModelNotFoundError(
        f"model {text!r}{alias}: neither a shipped model nor a folder ({hint})"
        + did_you_mean(name, available)
    )


def load_model(name_or_path: str | os.PathLike[str] = "default") -> SalaryModel:
    """Load a model by name ("default", a shipped name) or artifact folder path.

    Loading checks the manifest's schema version and every file's sha256. Models are cached
    per resolved folder and reloaded when its manifest.json changes (a retrained model).
    Raises ModelNotFoundError for an unknown name and ArtifactError for a broken artifact.
    """
    # Resolving a name costs a few stats and path operations; remember it per name, models
    # dir and working directory, and re-resolve if the remembered folder has gone.
    key = (os.fspath(name_or_path), os.environ.get(MODELS_DIR_VARIABLE), _working_directory())
    remembered = _resolved.get(key)
    if remembered is not None:  # the common case: one stat, no new path objects
        folder, manifest = remembered
        status = _stat(manifest)
        if status is not None:
            return _load_cached(folder, _stamp(status))
    manifest = resolve_model(name_or_path).resolve() / MANIFEST_NAME
    status = _stat(manifest)
    if status is None:
        raise ArtifactError(f"{manifest.parent}: no {MANIFEST_NAME}; not a model folder")
    if len(_resolved) >= _REMEMBERED_NAMES:
        _resolved.clear()
    _resolved[key] = (manifest.parent, manifest)
    return _load_cached(manifest.parent, _stamp(status))


_REMEMBERED_NAMES: Final = 64
_resolved: dict[tuple[str, str | None, str], tuple[Path, Path]] = {}


def _stamp(status: os.stat_result) -> tuple[int, int, int]:
    return status.st_mtime_ns, status.st_ino, status.st_size


def _working_directory() -> str:
    try:
        return os.getcwd()
    except OSError:  # removed while we run in it: relative paths cannot resolve anyway
        return ""


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


@lru_cache(maxsize=16)
def _load_cached(directory: Path, stamp: tuple[int, int, int]) -> SalaryModel:
    return SalaryModel(directory, read_manifest(directory))
