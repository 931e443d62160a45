"""The model's own uncertainty: median boosters refitted on grouped bootstrap resamples.

The people interval (`_bootstrap`) resamples the people a premium is averaged over and keeps
the fitted model fixed. When a model gives nearly everyone the same ratio between two roles
(aijobs' small trees rarely let the role interact with anything) that interval has almost zero
width, which says nothing about how well the data pins the premium down.

`model_refits` measures the model's part with the runtime alone: it rebuilds the model's
training part from its manifest (the rows `load_reference` rebuilt, split by
`mlpay_model.data.split` with the config's split settings and seed, encoded with the model's
own feature spec) and refits the median booster `refits` times with the one fitting
implementation (`mlpay_model.model.fitting`, which `mlpay train` uses too), each time on a
bootstrap resample of the training part. Identical rows (the groups of the grouped split:
aijobs' repeated submissions) are drawn together, as one submission. Without resampling the
refit reproduces the shipped median booster exactly (a test checks it), so the spread of the
refits is the model-fit uncertainty and nothing else.

Refits are cached on disk per model and data, as LightGBM text models (no pickle), in the
user's cache folder (`cache_dir`: $MLPAY_CACHE_DIR, else $XDG_CACHE_HOME/mlpay, else
~/.cache/mlpay; never inside the models folder). The key is the sha256 of the model's median
booster, its training config, the rebuilt rows and the seed, so any comparison with any filters
reuses them and a retrained model or changed data refits.

`_bootstrap.combined_interval` joins the two intervals, adding half-widths in quadrature
(independent errors, normal approximation): estimate +/- sqrt(h_people^2 + h_refit^2), where
h_people is half the people interval's width and h_refit = t * sd of the refit premiums, t
being Student's 95% quantile with refits - 1 degrees of freedom (the standard deviation of a
handful of refits is itself uncertain: t is 2.13 for 5 refits, 1.73 for 20). The interval is
then widened, where needed, to hold the middle 90% of the refit premiums: the refits need not
centre on the shipped estimate (drawing aijobs' repeated submissions together can shift a
premium, where the shipped model counts each copy), and an interval that excluded what most
retrained models find would overstate what is known.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from mlpay_model._cache import cache_dir, is_inside
from mlpay_model.compare._bootstrap import DEFAULT_SEED
from mlpay_model.data.quality import pay_point
from mlpay_model.data.split import group_keys, split_positions
from mlpay_model.errors import ConfigError, MlpayError
from mlpay_model.model.artifact import boosters_fitted_on_all_rows
from mlpay_model.model.features import FeatureEncoder, FeatureSpec

if TYPE_CHECKING:
    import lightgbm as lgb

DEFAULT_REFITS: Final = 20
MIN_REFITS: Final = 4  # a spread (and Student's t) needs a few refits
# Changing how refits are drawn or fitted changes this, so old cache entries are not reused.
REFIT_SCHEME: Final = "grouped-bootstrap-median-v1"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class ModelRefits:
    """Median boosters refitted on grouped bootstrap resamples of a model's training part."""

    model: str
    version: str
    boosters: tuple[lgb.Booster, ...]
    spec: FeatureSpec
    seed: int
    from_cache: int = 0  # how many were read from the cache rather than fitted

    def __len__(self) -> int:
        return len(self.boosters)

    def log_pay(self, people: pd.DataFrame) -> np.ndarray:
        """Predicted log pay, one row per refit and one column per person."""
        matrix = FeatureEncoder(self.spec).encode_frame(people)
        if not len(people):
            return np.empty((len(self.boosters), 0))
        return np.vstack([np.asarray(b.predict(matrix), dtype=np.float64) for b in self.boosters])

    def premiums(self, people: pd.DataFrame, baseline: pd.DataFrame) -> tuple[float, ...]:
        """Per refit: median over people of pay(people) / pay(baseline) - 1 (same rows)."""
        return premiums_between(self.log_pay(people), self.log_pay(baseline))


def premiums_between(log_pay: np.ndarray, log_baseline: np.ndarray) -> tuple[float, ...]:
    """Per refit (row): median over people of exp(log_pay - log_baseline) - 1."""
    ratios = np.exp(log_pay - log_baseline)
    return tuple(float(value) for value in np.median(ratios, axis=1) - 1.0)


def model_refits(
    model: Any,
    profiles: pd.DataFrame,
    *,
    refits: int = DEFAULT_REFITS,
    seed: int = DEFAULT_SEED,
    cache: Path | bool | None = True,
    progress: Progress | None = None,
) -> ModelRefits:
    """`refits` median boosters of `model` (a `SalaryModel`: it needs the manifest's training
    config) refitted on grouped bootstrap resamples of its training part of `profiles` (the
    rows `load_reference(model.manifest)` rebuilt). `cache`: True for `cache_dir()`, a folder,
    or False/None for no cache."""
    from mlpay_model.model import fitting  # imports lightgbm: only when refitting

    if refits < MIN_REFITS:
        raise MlpayError(f"a model-refit interval needs at least {MIN_REFITS} refits")
    manifest: Mapping[str, Any] = getattr(model, "manifest", None) or {}
    config = manifest.get("config")
    settings = fitting.FitSettings.from_config(config)
    assert isinstance(config, Mapping)
    features = list(config["features"])
    split = config.get("split") or {}
    spec: FeatureSpec = model.spec
    all_keys = group_keys(profiles, features)
    folder = _cache_folder(cache, model, manifest, all_keys, seed)
    boosters: list[lgb.Booster] = []
    from_cache = 0
    prepared: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for index in range(refits):
        target = folder / f"median-{index:03d}.txt" if folder is not None else None
        booster = _read_booster(target)
        if booster is not None:
            boosters.append(booster)
            from_cache += 1
            continue
        if prepared is None:
            prepared = _training_part(
                profiles,
                all_keys,
                spec,
                split,
                features,
                settings.seed,
                all_rows=boosters_fitted_on_all_rows(dict(manifest)),
            )
        matrix, log_pay, row_group = prepared
        if progress is not None:
            progress(f"refit {index + 1} of {refits}")
        booster = _refit(settings, spec, matrix, log_pay, row_group, [seed, index])
        if target is not None:
            _write_booster(target, booster)
        boosters.append(booster)
    return ModelRefits(
        model=str(model.name),
        version=str(model.version),
        boosters=tuple(boosters),
        spec=spec,
        seed=seed,
        from_cache=from_cache,
    )


def _training_part(
    profiles: pd.DataFrame,
    all_keys: np.ndarray,
    spec: FeatureSpec,
    split: Mapping[str, Any],
    features: Sequence[str],
    seed: int,
    *,
    all_rows: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The training part as training split it (every row when the shipped boosters were
    refitted on all rows): encoded matrix, log pay, and each row's group."""
    positions = (
        np.arange(len(profiles)) if all_rows else _train_part(profiles, split, features, seed)
    )
    rows = profiles.iloc[positions]
    matrix = FeatureEncoder(spec).encode_frame(rows)
    log_pay = np.log(pay_point(rows))
    _, row_group = np.unique(all_keys[positions], return_inverse=True)
    return matrix, log_pay, row_group


def _train_part(
    profiles: pd.DataFrame, split: Mapping[str, Any], features: Sequence[str], seed: int
) -> np.ndarray:
    """Positions of the split's train part, as training split it."""
    try:
        return split_positions(
            profiles,
            method=str(split.get("method", "grouped")),
            test_fraction=float(split.get("test_fraction", 0.2)),
            calibration_fraction=float(split.get("calibration_fraction", 0.2)),
            test_from_year=split.get("test_from_year"),
            features=features,
            seed=seed,
        ).train
    except (TypeError, ValueError) as error:
        raise ConfigError(f"the model's split settings cannot be used ({error!r})") from None


def _refit(
    settings: Any,
    spec: FeatureSpec,
    matrix: np.ndarray,
    log_pay: np.ndarray,
    row_group: np.ndarray,
    seed: list[int],
) -> lgb.Booster:
    """One median booster on a grouped bootstrap resample (whole groups drawn with
    replacement, as many draws as there are groups)."""
    from mlpay_model.model import fitting

    groups = int(row_group.max()) + 1 if len(row_group) else 0
    rng = np.random.default_rng(seed)
    draws_per_group = np.bincount(rng.integers(0, groups, size=groups), minlength=groups)
    rows = np.repeat(np.arange(len(matrix)), draws_per_group[row_group])
    return fitting.fit_boosters(settings, spec, matrix[rows], log_pay[rows], heads=("median",))[
        "median"
    ]


def _cache_folder(
    cache: Path | bool | None,
    model: Any,
    manifest: Mapping[str, Any],
    all_keys: np.ndarray,
    seed: int,
) -> Path | None:
    root = cache_dir() if cache is True else (Path(cache) if cache else None)
    if root is None:
        return None
    model_path = getattr(model, "path", None)
    if model_path is not None and is_inside(root, Path(model_path).parent):
        return None  # never write beside (or inside) the models themselves
    files = manifest.get("files") or {}
    median_file = (manifest.get("models") or {}).get("median", "median.txt")
    key_parts = {
        "scheme": REFIT_SCHEME,
        "median_sha256": files.get(median_file),
        "config": manifest.get("config"),
        "rows": hashlib.sha256(np.ascontiguousarray(all_keys).tobytes()).hexdigest(),
        "seed": seed,
    }
    key = hashlib.sha256(json.dumps(key_parts, sort_keys=True, default=str).encode()).hexdigest()
    return root / "refits" / f"{_safe(str(model.name))}-{key[:24]}"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40] or "model"


def _read_booster(path: Path | None) -> lgb.Booster | None:
    if path is None or not path.is_file():
        return None
    import lightgbm as lgb

    try:
        return lgb.Booster(model_str=path.read_text(encoding="utf-8"))
    except (lgb.basic.LightGBMError, OSError, UnicodeDecodeError, ValueError):
        return None  # unreadable: refit and overwrite


def _write_booster(path: Path, booster: lgb.Booster) -> None:
    from mlpay_model._atomic import write_text

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, booster.model_to_string())
    except OSError:
        pass  # a cache that cannot be written only costs time
