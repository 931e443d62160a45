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

A model with education and skill effects beside its boosters (`SalaryModel.effects`, the
default) has them refitted too when asked (`with_effects=True`): after each refitted booster,
the effects are fitted as training fits them (`mlpay_model.model.effects.fit_effects` on the
resampled rows' residuals, the config's `effects` settings), so a skill or education premium,
which comes from the effects, gets the effects' refit spread (refits of the booster alone would
give every refit a 0% premium). A premium between two arms with the same education and skills
(a role, a country, years) does not need them: the effects add the same log pay to both arms
of each person and cancel in the ratio, so `mlpay compare` refits the boosters alone. Without
resampling, the refitted effects are the shipped ones (a test checks it).

The refits are independent: they run `parallel_refits` at a time on threads (LightGBM
releases the GIL while it trains; each booster keeps the config's thread count, so the
boosters are the same bytes as one at a time).

Refits are cached on disk per model and data, as LightGBM text models and the effects as JSON
tables (no pickle), in the user's cache folder (`cache_dir`: $MLPAY_CACHE_DIR, else
$XDG_CACHE_HOME/mlpay, else ~/.cache/mlpay; never inside the models folder). The key is the
sha256 of the model's median booster, its training config, the rebuilt rows and the seed, so
any comparison with any filters reuses them and a retrained model or changed data refits.

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
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
from mlpay_model.model.effects import EffectSettings, FactorEffects
from mlpay_model.model.features import FeatureEncoder, FeatureSpec
from mlpay_model.schema import is_missing

if TYPE_CHECKING:
    import lightgbm as lgb

    from mlpay_model.model.fitting import FitSettings

DEFAULT_REFITS: Final = 20
MIN_REFITS: Final = 4  # a spread (and Student's t) needs a few refits
# Changing how refits are drawn or fitted changes this, so old cache entries are not reused.
REFIT_SCHEME: Final = "grouped-bootstrap-median-v1"
EFFECTS_SCHEME: Final = "effects-v1"  # the effects' cache files: effects-v1-000.json, ...
Progress = Callable[[str], None]
_PREDICTED_MATRICES: Final = 8  # encoded matrices whose boosters' log pay is kept


@dataclass(frozen=True)
class ModelRefits:
    """Median boosters refitted on grouped bootstrap resamples of a model's training part."""

    model: str
    version: str
    boosters: tuple[lgb.Booster, ...]
    spec: FeatureSpec
    seed: int
    from_cache: int = 0  # how many were read from the cache rather than fitted
    # Per refit, the education and skill effects refitted beside its booster (`with_effects`);
    # None: the boosters alone (premiums whose arms share education and skills).
    effects: tuple[FactorEffects, ...] | None = None
    default_population: str | None = None  # a person without a source is priced as this one
    workers: int = 1  # boosters predicting at once (each on one thread)
    # The boosters' log pay of the last few encoded matrices (by digest): the two arms of a
    # skill or education premium differ only in what the effects price, so the boosters'
    # part is predicted once for both (and for every skill of the same people).
    _predicted: dict[str, np.ndarray] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __len__(self) -> int:
        return len(self.boosters)

    def prices(self, factor: str) -> bool:
        """Whether the refits can move with `factor`: the boosters read it, or refitted
        effects price it."""
        return factor in self.spec.features or (
            self.effects is not None and bool(self.effects) and factor in self.effects[0].factors
        )

    def log_pay(self, people: pd.DataFrame) -> np.ndarray:
        """Predicted log pay, one row per refit and one column per person (with the refitted
        effects, when there are)."""
        if not len(people):
            return np.empty((len(self.boosters), 0))
        log_pay = self._boosters_log_pay(FeatureEncoder(self.spec).encode_frame(people))
        if self.effects:
            populations = _populations(people, self.spec, self.default_population)
            log_pay += effect_offsets(self.effects, people, populations)
        return log_pay

    def premiums(self, people: pd.DataFrame, baseline: pd.DataFrame) -> tuple[float, ...]:
        """Per refit: median over people of pay(people) / pay(baseline) - 1 (same rows)."""
        return premiums_between(self.log_pay(people), self.log_pay(baseline))

    def _boosters_log_pay(self, matrix: np.ndarray) -> np.ndarray:
        """(refits x rows) log pay of the boosters alone (a new array: callers add to it)."""
        matrix = np.ascontiguousarray(matrix, dtype=np.float64)
        key = hashlib.sha256(repr(matrix.shape).encode() + matrix.tobytes()).hexdigest()
        known = self._predicted.get(key)
        if known is None:

            def predict(booster: lgb.Booster) -> np.ndarray:
                return np.asarray(booster.predict(matrix, num_threads=1), dtype=np.float64)

            if self.workers > 1 and len(self.boosters) > 1:
                with ThreadPoolExecutor(max_workers=self.workers) as pool:
                    known = np.vstack(list(pool.map(predict, self.boosters)))
            else:
                known = np.vstack([predict(booster) for booster in self.boosters])
            while len(self._predicted) >= _PREDICTED_MATRICES:
                self._predicted.pop(next(iter(self._predicted)))  # the oldest
            self._predicted[key] = known
        return known.copy()


def effect_offsets(
    effects: Sequence[FactorEffects], people: pd.DataFrame, populations: Sequence[str] | str
) -> np.ndarray:
    """(refits x people) log pay the effects add: per refit, `FactorEffects.of_frame(people,
    populations).sum(axis=1)`, with each person's (population, level) and (population, skill)
    pairs read once for every refit (the report prices thousands of people under 20 refits)."""
    rows = len(people)
    out = np.zeros((len(effects), rows))
    if not effects or not rows:
        return out
    names = pd.Series(
        [populations] * rows if isinstance(populations, str) else list(populations),
        dtype=object,
    )
    factors = effects[0].factors
    if "education" in factors and "education" in people:
        levels = pd.Series(people["education"].to_numpy(dtype=object), dtype=object)
        given = ~levels.map(is_missing).to_numpy(dtype=bool)
        persons = np.flatnonzero(given)
        pairs = pd.MultiIndex.from_arrays([names[given], levels[given]])
        codes, unique = pd.factorize(pairs)
        for index, table in enumerate(effects):
            values = np.array(
                [table.education.get(name, {}).get(level, 0.0) for name, level in unique]
            )
            if len(persons):
                out[index, persons] += values[codes]
    if "skills" in factors and "skills" in people:
        listed = pd.Series(
            [
                list(set(value)) if isinstance(value, tuple | list) else []
                for value in people["skills"]
            ],
            dtype=object,
        ).explode()
        listed = listed[listed.notna()]
        persons = listed.index.to_numpy(dtype=np.intp)
        if len(persons):
            pairs = pd.MultiIndex.from_arrays([names.to_numpy()[persons], listed.to_numpy()])
            codes, unique = pd.factorize(pairs)
            for index, table in enumerate(effects):
                values = np.array(
                    [table.skills.get(name, {}).get(skill, 0.0) for name, skill in unique]
                )
                out[index] += np.bincount(persons, weights=values[codes], minlength=rows)
    return out


def premiums_between(log_pay: np.ndarray, log_baseline: np.ndarray) -> tuple[float, ...]:
    """Per refit (row): median over people of exp(log_pay - log_baseline) - 1."""
    ratios = np.exp(log_pay - log_baseline)
    return tuple(float(value) for value in np.median(ratios, axis=1) - 1.0)


@dataclass(frozen=True)
class _Part:
    """The training part a model's boosters were fitted on, encoded once for every refit."""

    rows: pd.DataFrame  # its canonical rows (the effects read education, skills, source)
    matrix: np.ndarray
    log_pay: np.ndarray
    row_group: np.ndarray  # each row's group: drawn together


def model_refits(
    model: Any,
    profiles: pd.DataFrame,
    *,
    refits: int = DEFAULT_REFITS,
    seed: int = DEFAULT_SEED,
    cache: Path | bool | None = True,
    progress: Progress | None = None,
    with_effects: bool = False,
    workers: int | None = None,
) -> ModelRefits:
    """`refits` median boosters of `model` (a `SalaryModel`: it needs the manifest's training
    config) refitted on grouped bootstrap resamples of its training part of `profiles` (the
    rows `load_reference(model.manifest)` rebuilt). `cache`: True for `cache_dir()`, a folder,
    or False/None for no cache. `with_effects`: refit the model's education and skill effects
    beside each booster too (a model without effects: ignored). `workers`: refits fitted at
    once (default `parallel_refits`)."""
    from mlpay_model.model import fitting  # imports lightgbm: only when refitting

    if refits < MIN_REFITS:
        raise MlpayError(f"a model-refit interval needs at least {MIN_REFITS} refits")
    manifest: Mapping[str, Any] = getattr(model, "manifest", None) or {}
    config = manifest.get("config")
    settings = fitting.FitSettings.from_config(config)
    assert isinstance(config, Mapping)
    effect_settings = settings.effects if with_effects and getattr(model, "effects", None) else None
    features = list(config["features"])
    spec: FeatureSpec = model.spec
    all_keys = group_keys(profiles, features)
    folder = _cache_folder(cache, model, manifest, all_keys, seed)
    boosters: list[lgb.Booster | None] = [
        _read_booster(_cache_file(folder, f"median-{index:03d}.txt")) for index in range(refits)
    ]
    effects: list[FactorEffects | None] = [
        _read_effects(_cache_file(folder, f"{EFFECTS_SCHEME}-{index:03d}.json"))
        if effect_settings is not None
        else None
        for index in range(refits)
    ]
    from_cache = sum(booster is not None for booster in boosters)
    missing = [
        index
        for index in range(refits)
        if boosters[index] is None or (effect_settings is not None and effects[index] is None)
    ]
    if missing:
        part = _training_part(
            profiles,
            all_keys,
            spec,
            config.get("split") or {},
            features,
            settings.seed,
            all_rows=boosters_fitted_on_all_rows(dict(manifest)),
        )

        def refit(index: int) -> tuple[lgb.Booster, FactorEffects | None]:
            rows = _resample(part.row_group, [seed, index])
            booster = boosters[index]
            if booster is None:
                booster = _fit_median(settings, spec, part.matrix[rows], part.log_pay[rows])
                _write_booster(_cache_file(folder, f"median-{index:03d}.txt"), booster)
            fitted = effects[index]
            if effect_settings is not None and fitted is None:
                fitted = _fit_effects(booster, part, rows, effect_settings)
                _write_effects(_cache_file(folder, f"{EFFECTS_SCHEME}-{index:03d}.json"), fitted)
            return booster, fitted

        count = max(1, min(workers or parallel_refits(settings), len(missing)))
        if progress is not None:
            progress(f"fitting {len(missing)} of {refits} refits, {count} at once")
        with ThreadPoolExecutor(max_workers=count) as pool:
            for done, (index, result) in enumerate(
                zip(missing, pool.map(refit, missing), strict=True)
            ):
                boosters[index], effects[index] = result
                if progress is not None:
                    progress(f"refit {done + 1} of {len(missing)}")
    return ModelRefits(
        model=str(model.name),
        version=str(model.version),
        boosters=tuple(booster for booster in boosters if booster is not None),
        spec=spec,
        seed=seed,
        from_cache=from_cache,
        effects=(
            tuple(item for item in effects if item is not None)
            if effect_settings is not None
            else None
        ),
        default_population=getattr(model, "default_population", None),
        workers=parallel_refits(settings) if workers is None else max(1, workers),
    )


def parallel_refits(settings: FitSettings) -> int:
    """How many refits to fit at once: the cores this process may use over each booster's
    LightGBM threads (the config's `num_threads`; 0 or unset: LightGBM's default, all)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    threads = int(settings.lightgbm.get("num_threads") or 0)
    return max(1, cores // threads) if threads > 0 else 1


def _training_part(
    profiles: pd.DataFrame,
    all_keys: np.ndarray,
    spec: FeatureSpec,
    split: Mapping[str, Any],
    features: Sequence[str],
    seed: int,
    *,
    all_rows: bool = False,
) -> _Part:
    """The training part as training split it (every row when the shipped boosters were
    refitted on all rows): its rows, encoded matrix, log pay, and each row's group."""
    positions = (
        np.arange(len(profiles)) if all_rows else _train_part(profiles, split, features, seed)
    )
    rows = profiles.iloc[positions]
    matrix = FeatureEncoder(spec).encode_frame(rows)
    log_pay = np.log(pay_point(rows))
    _, row_group = np.unique(all_keys[positions], return_inverse=True)
    return _Part(rows=rows, matrix=matrix, log_pay=log_pay, row_group=row_group)


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


def _resample(row_group: np.ndarray, seed: list[int]) -> np.ndarray:
    """Row positions of one grouped bootstrap resample (whole groups drawn with replacement,
    as many draws as there are groups; a group drawn twice gives its rows twice)."""
    groups = int(row_group.max()) + 1 if len(row_group) else 0
    rng = np.random.default_rng(seed)
    draws_per_group = np.bincount(rng.integers(0, groups, size=groups), minlength=groups)
    return np.repeat(np.arange(len(row_group)), draws_per_group[row_group])


def _fit_median(
    settings: FitSettings, spec: FeatureSpec, matrix: np.ndarray, log_pay: np.ndarray
) -> lgb.Booster:
    """The median booster on these rows, as training fits it."""
    from mlpay_model.model import fitting

    return fitting.fit_boosters(settings, spec, matrix, log_pay, heads=("median",))["median"]


def _refit(
    settings: FitSettings,
    spec: FeatureSpec,
    matrix: np.ndarray,
    log_pay: np.ndarray,
    row_group: np.ndarray,
    seed: list[int],
) -> lgb.Booster:
    """One median booster on a grouped bootstrap resample."""
    rows = _resample(row_group, seed)
    return _fit_median(settings, spec, matrix[rows], log_pay[rows])


def _fit_effects(
    booster: lgb.Booster, part: _Part, rows: np.ndarray, settings: EffectSettings
) -> FactorEffects:
    """The effects beside `booster`, fitted as training fits them: on the resampled rows'
    residuals from the booster, for each source population of the rows."""
    from mlpay_model.model.effects import fit_effects

    resampled = part.rows.iloc[rows]
    residuals = part.log_pay[rows] - np.asarray(booster.predict(part.matrix[rows]), "float64")
    populations = sorted(resampled["source"].astype(str).unique())
    return fit_effects(resampled, residuals, populations, settings)


def _populations(people: pd.DataFrame, spec: FeatureSpec, default: str | None) -> list[str] | str:
    """Each person's population as the model prices it: the row's source for a model that
    reads the source (a missing one: the default population), else the default for all."""
    fallback = "" if default is None else default
    if "source" not in spec.features or "source" not in people:
        return fallback
    return [
        fallback if not isinstance(value, str) or not value else value for value in people["source"]
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


def _cache_file(folder: Path | None, name: str) -> Path | None:
    return folder / name if folder is not None else None


def _read_effects(path: Path | None) -> FactorEffects | None:
    if path is None or not path.is_file():
        return None
    try:
        return FactorEffects.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None  # unreadable: refit and overwrite


def _write_effects(path: Path | None, effects: FactorEffects) -> None:
    from mlpay_model._atomic import write_text

    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, json.dumps(effects.to_dict(), sort_keys=True))
    except OSError:
        pass  # a cache that cannot be written only costs time


def _read_booster(path: Path | None) -> lgb.Booster | None:
    if path is None or not path.is_file():
        return None
    import lightgbm as lgb

    try:
        return lgb.Booster(model_str=path.read_text(encoding="utf-8"))
    except (lgb.basic.LightGBMError, OSError, UnicodeDecodeError, ValueError):
        return None  # unreadable: refit and overwrite


def _write_booster(path: Path | None, booster: lgb.Booster) -> None:
    from mlpay_model._atomic import write_text

    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, booster.model_to_string())
    except OSError:
        pass  # a cache that cannot be written only costs time
