"""Variants of `configs/pooled.yaml`, chosen on validation rows of the training years only.

Rows per source exactly as `bench_out_of_time.pooled_runs` (out of time: temporal split at the
source's test year, the config's calibration share held out of the boosters). Two validation
protocols, both inside the training years (the test year is never read unless --test):

    cal    the union of every source's training part fits the median booster; each source is
           scored on its calibration part (a grouped sample of its training years; the
           protocol of the config's comment).
    temp   each source's latest training year is held out (aijobs 2023, Stack Overflow 2024;
           Kaggle has one training year, so its calibration part); the median booster learns
           from the rest of the training years.

Per variant it also reports, on aijobs' cal rows, the mean change of the predicted median
(log -> %) for doctorate vs master and for adding `kubernetes` / `pytorch` to the skills, and
(label-free, no test pay is read) the mean predicted log pay of the aijobs test-year profiles
minus that of its cal rows ("2024 level"), the same for Kaggle's 2021 profiles against its cal
rows, and the Kaggle 2021 profiles as given minus the same profiles with `year` set to 2019
(how much other sources' year splits move Kaggle's test year).

--seeds 42,1,2: each variant at each booster seed, then a summary: the mean over seeds (± half
the range) and the paired difference from `base` at the same seed on the same rows (per seed,
and the per-row SE of the difference). --cache DIR keeps each run (metrics and per-row errors,
npz without pickle) so that later calls reuse it; empty it after a code or config change.

--test VARIANT: the full pooled model (three heads, conformal calibration) of one variant,
scored out of time: a config-only variant exactly as bench_out_of_time's pooled row.

Usage: python benchmarks/bench_pooled_variants.py [--variants a,b] [--seeds 42,1,2]
       [--cache DIR] [--test VARIANT]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from bench_out_of_time import (  # noqa: E402
    CASE_BY_SOURCE,
    CASES,
    metrics_of,
    pooled_runs,
    temporal_config,
)
from threadpoolctl import threadpool_limits  # noqa: E402

from mlpay_model.model import fitting as fitting_module  # noqa: E402
from mlpay_model.model.features import TITLE_SOURCE, FeatureEncoder  # noqa: E402
from mlpay_model.model.interval import HeldOut, IntervalCalibrator  # noqa: E402
from training.calibrate import predict_frame  # noqa: E402
from training.config import TrainConfig, load_config  # noqa: E402
from training.data import load_training_data, log_target, target_bounds  # noqa: E402
from training.split import split_rows  # noqa: E402

YEAR_OFFSET = {"aijobs": 0, "stackoverflow": -100, "kaggle": -200}
GROUP_1 = [
    "source",
    "role",
    "country",
    "seniority",
    "years_experience",
    "employment_type",
    "remote_ratio",
    "company_size",
    "year",
]
GROUP_2 = ["role", "country", "years_experience", "education", "skills"]


def _lgb(config: TrainConfig, **update: object) -> TrainConfig:
    return config.model_copy(update={"lightgbm": config.lightgbm.model_copy(update=update)})


def _groups(config: TrainConfig, groups: list[list[str]]) -> TrainConfig:
    return config.model_copy(update={"interaction_constraints": groups})


def _stages(config: TrainConfig, rounds: int | None) -> TrainConfig:
    """One stage (rounds None) or education and skills in a second stage of `rounds` trees."""
    stage = (
        None if rounds is None else {"features": ["education", "skills"], "num_boost_round": rounds}
    )
    return TrainConfig.model_validate({**config.model_dump(), "second_stage": stage})


def _title(
    config: TrainConfig, groups: tuple[int, ...] = (0,), min_count: int | None = None
) -> TrainConfig:
    """The raw title's key as a feature beside the role family, in these interaction groups
    (titles seen fewer than `min_count` times missing; default features.TITLE_MIN_COUNT)."""
    interactions = [
        [*group, "title"] if index in groups else group
        for index, group in enumerate(config.interaction_constraints)
    ]
    return TrainConfig.model_validate(
        {
            **config.model_dump(),
            "features": [*config.features, "title"],
            "interaction_constraints": interactions,
            "title_min_count": min_count,
        }
    )


def _no_year(config: TrainConfig) -> TrainConfig:
    features = [f for f in config.features if f != "year"]
    groups = [[f for f in g if f != "year"] for g in config.interaction_constraints]
    return config.model_copy(update={"features": features, "interaction_constraints": groups})


def _blank_title(profiles: pd.DataFrame, source: str) -> pd.DataFrame:
    """The source's raw titles missing, so its rows' `title` is missing (the family decides)."""
    out = profiles.copy()
    out.loc[out["source"] == source, TITLE_SOURCE] = None
    return out


def _blank_year(profiles: pd.DataFrame, source: str) -> pd.DataFrame:
    """The source's `year` missing (its rows take the trees' "year not given" branch)."""
    out = profiles.copy()
    out.loc[out["source"] == source, "year"] = np.nan
    return out


def _no_title(config: TrainConfig) -> TrainConfig:
    features = [f for f in config.features if f != "title"]
    groups = [[f for f in g if f != "title"] for g in config.interaction_constraints]
    return config.model_copy(update={"features": features, "interaction_constraints": groups})


def with_year_offset(profiles: pd.DataFrame) -> pd.DataFrame:
    out = profiles.copy()
    offset = out["source"].map(YEAR_OFFSET).astype("Int64")
    out["year"] = out["year"] + offset
    return out


@dataclass(frozen=True)
class Variant:
    """A config change, optionally a change of the rows (both protocols and --test) and
    LightGBM parameters the config has no key for (benchmark only: `booster_params` below)."""

    change: Callable[[TrainConfig], TrainConfig]
    rows: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    extra_params: dict[str, object] = field(default_factory=dict)


def _v(change: Callable[[TrainConfig], TrainConfig], per_source: bool = False) -> Variant:
    return Variant(change, with_year_offset if per_source else None)


def _same(config: TrainConfig) -> TrainConfig:
    return config


def _chosen(config: TrainConfig) -> TrainConfig:
    """The variant chosen for issue 9 (results/pooled_variants.md)."""
    return _lgb(config, num_leaves=31, learning_rate=0.05, num_boost_round=300)


VARIANTS: dict[str, Variant] = {
    "base": _v(_same),  # the committed configs/pooled.yaml
    "one_stage": _v(lambda c: _stages(c, None)),
    "title": _v(_title),
    "title_both_groups": _v(lambda c: _title(c, (0, 1))),
    **{f"title_min{n}": _v(lambda c, n=n: _title(c, min_count=n)) for n in (100, 300)},
    **{f"second_stage_{n}": _v(lambda c, n=n: _stages(c, n)) for n in (50, 100, 200, 400)},
    "year_source_only": _v(
        lambda c: _groups(
            c,
            [
                [f for f in c.interaction_constraints[0] if f != "year"],
                ["source", "year"],
                *c.interaction_constraints[1:],
            ],
        )
    ),
    "year_per_source": _v(_same, True),
    "no_year": _v(_no_year),
    "ff0.7": _v(lambda c: _lgb(c, feature_fraction=0.7)),
    "mdl20": _v(lambda c: _lgb(c, min_data_in_leaf=20)),
    "r400_lr0.05": _v(lambda c: _lgb(c, num_boost_round=400, learning_rate=0.05)),
    "r400": _v(lambda c: _lgb(c, num_boost_round=400)),
    "ps+ff0.7": _v(lambda c: _lgb(c, feature_fraction=0.7), True),
    "ps+mdl20": _v(lambda c: _lgb(c, min_data_in_leaf=20), True),
    "ps+r400": _v(lambda c: _lgb(c, num_boost_round=400), True),
    **{
        f"{name}_seed{seed}": _v(
            lambda c, seed=seed, ff=ff: _lgb(
                c.model_copy(update={"seed": seed}), feature_fraction=ff
            )
        )
        for seed in (1, 2)
        for name, ff in (("base", 1.0), ("ff0.7", 0.7))
    },
    "ff0.5": _v(lambda c: _lgb(c, feature_fraction=0.5)),
    "ff1.0": _v(lambda c: _lgb(c, feature_fraction=1.0)),
    "ff0.85": _v(lambda c: _lgb(c, feature_fraction=0.85)),
    # issue 9 (Kaggle): what HistGradientBoosting's defaults do differently
    "nl31": _v(lambda c: _lgb(c, num_leaves=31)),
    "nl31_mdl20": _v(lambda c: _lgb(c, num_leaves=31, min_data_in_leaf=20)),
    "l2_0": _v(lambda c: _lgb(c, lambda_l2=0.0)),
    "l2_1": _v(lambda c: _lgb(c, lambda_l2=1.0)),
    "l2_30": _v(lambda c: _lgb(c, lambda_l2=30.0)),
    "hgb_like": _v(lambda c: _lgb(c, num_leaves=31, min_data_in_leaf=20, lambda_l2=0.0)),
    "mdl100": _v(lambda c: _lgb(c, min_data_in_leaf=100)),
    "r300": _v(lambda c: _lgb(c, num_boost_round=300)),
    "r400_lr0.05_ss200": _v(
        lambda c: _stages(_lgb(c, num_boost_round=400, learning_rate=0.05), 200)
    ),
    "cat_smooth1": _v(lambda c: _lgb(c, cat_smooth=1.0)),
    "cat_smooth30": _v(lambda c: _lgb(c, cat_smooth=30.0)),
    "cat_l2_1": _v(lambda c: _lgb(c, cat_l2=1.0)),
    "mdpg10": _v(lambda c: _lgb(c, min_data_per_group=10)),
    "mdpg200": _v(lambda c: _lgb(c, min_data_per_group=200)),
    "max_cat_threshold64": Variant(_same, extra_params={"max_cat_threshold": 64}),
    "max_cat_to_onehot64": Variant(_same, extra_params={"max_cat_to_onehot": 64}),
    "regression": _v(lambda c: _lgb(c, median_objective="regression")),
    "kaggle_no_title": Variant(_same, rows=lambda p: _blank_title(p, "kaggle")),
    "no_title": _v(_no_title),
    "year_kaggle_missing": Variant(_same, rows=lambda p: _blank_year(p, "kaggle")),
    **{
        f"missing{rate}": _v(
            lambda c, rate=rate: c.model_copy(update={"missing_augmentation": rate})
        )
        for rate in (0.25, 0.75)
    },
    **{
        f"min_count{n}": _v(lambda c, n=n: c.model_copy(update={"min_category_count": n}))
        for n in (2, 20)
    },
    "nl23": _v(lambda c: _lgb(c, num_leaves=23)),
    "nl31_r300": _v(lambda c: _lgb(c, num_leaves=31, num_boost_round=300)),
    "nl31_lr0.05_r400": _v(
        lambda c: _lgb(c, num_leaves=31, learning_rate=0.05, num_boost_round=400)
    ),
    "nl31_mct64": Variant(lambda c: _lgb(c, num_leaves=31), extra_params={"max_cat_threshold": 64}),
    "bagging0.8": _v(lambda c: _lgb(c, bagging_fraction=0.8, bagging_freq=1)),
    # on top of the issue-9 choice (num_leaves 31, learning rate 0.05, 300 rounds)
    "chosen+mct64": Variant(_chosen, extra_params={"max_cat_threshold": 64}),
    "chosen+kaggle_no_title": Variant(_chosen, rows=lambda p: _blank_title(p, "kaggle")),
    "chosen+cat_l2_1": _v(lambda c: _lgb(_chosen(c), cat_l2=1.0)),
    "chosen+mdl20": _v(lambda c: _lgb(_chosen(c), min_data_in_leaf=20)),
    **{
        f"nl{leaves}_lr0.05_r{rounds}": _v(
            lambda c, leaves=leaves, rounds=rounds: _lgb(
                c, num_leaves=leaves, learning_rate=0.05, num_boost_round=rounds
            )
        )
        for leaves, rounds in ((23, 400), (47, 400), (63, 400), (31, 300), (31, 600))
    },
    "nl31_lr0.05_r400_ss200": _v(
        lambda c: _stages(_lgb(c, num_leaves=31, learning_rate=0.05, num_boost_round=400), 200)
    ),
    "nl31_lr0.05_r400_ss50": _v(
        lambda c: _stages(_lgb(c, num_leaves=31, learning_rate=0.05, num_boost_round=400), 50)
    ),
    "mdl100_l2_1": _v(lambda c: _lgb(c, min_data_in_leaf=100, lambda_l2=1.0)),
}


def parts_of(profiles: pd.DataFrame) -> dict[str, dict[str, np.ndarray]]:
    """Per source: positions of its train / calibration / test part (out of time)."""
    parts = {}
    for source, case in CASE_BY_SOURCE.items():
        config = temporal_config(load_config(REPO_ROOT / case.config), case.test_year)
        positions = np.flatnonzero((profiles["source"] == source).to_numpy())
        rows = profiles.iloc[positions].reset_index(drop=True)
        split = split_rows(rows, config.split, features=config.features, seed=config.seed)
        parts[source] = {
            "train": positions[split.train],
            "calibration": positions[split.calibration],
            "test": positions[split.test],
        }
    return parts


def fit(config: TrainConfig, rows: pd.DataFrame, heads=("median",), extra_params=None):
    spec = fitting_module.fit_spec(config.fit_settings(), rows)
    encoder = FeatureEncoder(spec)
    matrix, target = encoder.encode_frame(rows), log_target(rows)
    plain = fitting_module.booster_params
    if extra_params:
        fitting_module.booster_params = lambda *a: {**plain(*a), **extra_params}
    try:
        with threadpool_limits(2):
            boosters = fitting_module.fit_boosters(
                config.fit_settings(), spec, matrix, target, heads=heads
            )
    finally:
        fitting_module.booster_params = plain
    return boosters, encoder


def row_errors(booster, encoder, rows: pd.DataFrame) -> np.ndarray:
    """Per row USD distance from the predicted median to the pay (a band: to the band)."""
    predicted = np.exp(np.asarray(booster.predict(encoder.encode_frame(rows))))
    low, high = target_bounds(rows)
    return np.abs(predicted - np.clip(predicted, low, high))


def mean_log(booster, encoder, rows: pd.DataFrame) -> float:
    return float(np.mean(booster.predict(encoder.encode_frame(rows))))


def level_change(booster, encoder, rows: pd.DataFrame, reference: pd.DataFrame) -> float:
    """Mean predicted log pay of `rows` minus that of `reference`, as % (no pay is read)."""
    return float(
        np.expm1(mean_log(booster, encoder, rows) - mean_log(booster, encoder, reference)) * 100
    )


def effects(booster, encoder, rows: pd.DataFrame) -> dict[str, float]:
    base = np.asarray(booster.predict(encoder.encode_frame(rows)))

    def shifted(frame: pd.DataFrame) -> float:
        return float(np.expm1(np.mean(booster.predict(encoder.encode_frame(frame)) - base)) * 100)

    out = {}
    phd, msc = rows.copy(), rows.copy()
    phd["education"], msc["education"] = "doctorate", "master"
    out["phd_vs_msc_%"] = float(
        np.expm1(
            np.mean(
                booster.predict(encoder.encode_frame(phd))
                - booster.predict(encoder.encode_frame(msc))
            )
        )
        * 100
    )
    for skill in ("kubernetes", "pytorch"):
        frame = rows.copy()
        frame["skills"] = [tuple(sorted(set(s) | {skill})) for s in frame["skills"]]
        out[f"+{skill}_%"] = shifted(frame)
    # the same skill on top of python (no jump of the skill count from 0)
    py = rows.copy()
    py["skills"] = [("python",)] * len(py)
    base_py = np.asarray(booster.predict(encoder.encode_frame(py)))
    out["+python_%"] = float(np.expm1(np.mean(base_py - base)) * 100)
    for skill in ("kubernetes", "pytorch"):
        frame = py.copy()
        frame["skills"] = [tuple(sorted(("python", skill)))] * len(frame)
        out[f"py+{skill}_%"] = float(
            np.expm1(np.mean(booster.predict(encoder.encode_frame(frame)) - base_py)) * 100
        )
    return out


def validate(
    name: str, pooled: TrainConfig, profiles: pd.DataFrame, parts, seed: int
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Metrics of a variant at `seed`, and its per-row errors of each protocol and source."""
    variant = VARIANTS[name]
    config = variant.change(pooled.model_copy(update={"seed": seed}))
    data = variant.rows(profiles) if variant.rows else profiles
    out: dict[str, float] = {}
    errors: dict[str, np.ndarray] = {}
    # cal protocol
    train_at = np.sort(np.concatenate([p["train"] for p in parts.values()]))
    boosters, encoder = fit(config, data.iloc[train_at], extra_params=variant.extra_params)
    median = boosters["median"]
    for source, p in parts.items():
        errors[f"cal_{source}"] = row_errors(median, encoder, data.iloc[p["calibration"]])
    aijobs_cal = data.iloc[parts["aijobs"]["calibration"]]
    out.update(effects(median, encoder, aijobs_cal))
    # label-free: the test-year profiles' predicted level (no test pay is read)
    out["aijobs_2024_level_%"] = level_change(
        median, encoder, data.iloc[parts["aijobs"]["test"]], aijobs_cal
    )
    kaggle_cal = data.iloc[parts["kaggle"]["calibration"]]
    kaggle_test = data.iloc[parts["kaggle"]["test"]]
    out["kaggle_2021_level_%"] = level_change(median, encoder, kaggle_test, kaggle_cal)
    # the same 2021 profiles with their year set to the training year (2019)
    as_2019 = kaggle_test.copy()
    as_2019["year"] = kaggle_cal["year"].iloc[0]
    out["kaggle_2021_vs_2019_year_%"] = level_change(median, encoder, kaggle_test, as_2019)
    # temp protocol: hold out each source's latest training year
    year = pd.to_numeric(profiles["year"], errors="coerce").to_numpy()
    holdout = {"aijobs": 2023, "stackoverflow": 2024}
    fit_at, val_at = [], {}
    for source, p in parts.items():
        train_years = np.sort(np.concatenate([p["train"], p["calibration"]]))
        if source in holdout:
            late = year[train_years] == holdout[source]
            fit_at.append(train_years[~late])
            val_at[source] = train_years[late]
        else:
            fit_at.append(p["train"])
            val_at[source] = p["calibration"]
    boosters, encoder = fit(
        config, data.iloc[np.sort(np.concatenate(fit_at))], extra_params=variant.extra_params
    )
    for source, at in val_at.items():
        errors[f"temp_{source}"] = row_errors(boosters["median"], encoder, data.iloc[at])
    out.update({key: float(e.mean()) for key, e in errors.items()})
    return out, errors


def test(name: str, pooled: TrainConfig, profiles: pd.DataFrame, parts) -> None:
    """The variant's full pooled model scored out of time. A config-only variant runs exactly
    bench_out_of_time's pooled row (`pooled_runs` on its config written to a temp YAML: fit
    and cross-conformal calibration on every training-year row); a variant that changes the
    rows or passes LightGBM parameters the config lacks runs `test_split` instead."""
    variant = VARIANTS[name]
    if variant.rows is not None or variant.extra_params:
        test_split(name, pooled, profiles, parts)
        return
    config = variant.change(pooled)
    with tempfile.TemporaryDirectory(prefix="mlpay-variant-") as folder:
        path = Path(folder) / "pooled.yaml"
        path.write_text(yaml.safe_dump(config.model_dump(), sort_keys=False), encoding="utf-8")
        with threadpool_limits(2):
            runs, _ = pooled_runs(CASES, out_of_time=True, config_path=path)
    for source, run in runs.items():
        _print_test(name, source, parts[source]["test"].size, run.metrics)


def test_split(name: str, pooled: TrainConfig, profiles: pd.DataFrame, parts) -> None:
    """Boosters on the train parts, split-conformal q on the calibration parts (not the
    shipped protocol: cross-conformal on both; its numbers differ from bench_out_of_time's)."""
    variant = VARIANTS[name]
    config = variant.change(pooled)
    data = variant.rows(profiles) if variant.rows else profiles
    train_at = np.sort(np.concatenate([p["train"] for p in parts.values()]))
    cal_at = np.sort(np.concatenate([p["calibration"] for p in parts.values()]))
    boosters, encoder = fit(
        config,
        data.iloc[train_at],
        heads=("median", "low", "high"),
        extra_params=variant.extra_params,
    )
    cal = data.iloc[cal_at]
    raw = [
        np.asarray(boosters[h].predict(encoder.encode_frame(cal)))
        for h in ("median", "low", "high")
    ]
    adjustment = IntervalCalibrator(coverage=config.calibration.target_coverage).conformal_q(
        HeldOut((raw[0], raw[1], raw[2]), *target_bounds(cal))
    )
    for source, p in parts.items():
        rows = data.iloc[p["test"]]
        pr = predict_frame(boosters, encoder.encode_frame(rows), adjustment, rows)
        m = metrics_of(
            np.log(pr["pred_median"].to_numpy()),
            rows,
            np.log(pr["pred_low"].to_numpy()),
            np.log(pr["pred_high"].to_numpy()),
        )
        _print_test(f"{name} (split protocol)", source, len(rows), m)


def _print_test(name: str, source: str, rows: int, m: dict[str, float]) -> None:
    print(
        f"TEST {name} {source}: rows {rows:,} MAE ${m['mae_usd']:,.0f} "
        f"± ${m['mae_se_usd']:,.0f} bias {m['bias_log']:+.3f} "
        f"coverage {m['coverage'] * 100:.1f}% width ${m['width_usd']:,.0f}",
        flush=True,
    )


def cached_run(
    name: str, seed: int, cache: Path | None, run: Callable[[], tuple[dict, dict]]
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """`run()`, or its saved result (npz without pickle) from an earlier call with `cache`."""
    path = None if cache is None else cache / f"{name}@{seed}.npz"
    if path is not None and path.exists():
        with np.load(path, allow_pickle=False) as saved:
            keys = [str(k) for k in saved["metric_keys"]]
            metrics = dict(zip(keys, saved["metric_values"].tolist(), strict=True))
            errors = {k.removeprefix("err_"): saved[k] for k in saved.files if k.startswith("err_")}
        return metrics, errors
    metrics, errors = run()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            metric_keys=np.array(list(metrics)),
            metric_values=np.array(list(metrics.values()), dtype="float64"),
            **{f"err_{k}": v for k, v in errors.items()},
        )
    return metrics, errors


def summary(
    results: dict[tuple[str, int], tuple[dict[str, float], dict[str, np.ndarray]]],
    names: list[str],
    seeds: list[int],
) -> list[str]:
    """Markdown: per variant the mean over seeds (± half the range), then its paired
    difference from `base` on the same rows (mean over seeds; per-row SE of the difference)."""
    keys = [f"{p}_{s}" for p in ("cal", "temp") for s in ("aijobs", "kaggle", "stackoverflow")]
    extra = ["phd_vs_msc_%", "py+pytorch_%", "aijobs_2024_level_%", "kaggle_2021_level_%"]
    extra.append("kaggle_2021_vs_2019_year_%")
    lines = [
        f"seeds {', '.join(map(str, seeds))}: mean ± half the range over seeds",
        "",
        "| variant | " + " | ".join(keys + extra) + " |",
        "|---|" + "---:|" * (len(keys) + len(extra)),
    ]

    def spread(values: list[float], money: bool) -> str:
        mean, half = float(np.mean(values)), (max(values) - min(values)) / 2
        return f"{mean:,.0f} ± {half:,.0f}" if money else f"{mean:+.1f} ± {half:.1f}"

    for name in names:
        runs = [results[(name, seed)][0] for seed in seeds]
        cells = [spread([r[k] for r in runs], True) for k in keys]
        cells += [spread([r[k] for r in runs], False) for k in extra]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Paired difference from base (variant - base, USD; same seed, same rows): mean over "
        "seeds [per-seed values], (per-row SE of the difference)",
        "",
        "| variant | " + " | ".join(keys) + " |",
        "|---|" + "---:|" * len(keys),
    ]
    for name in names:
        if name == "base" or any(("base", seed) not in results for seed in seeds):
            continue
        cells = []
        for key in keys:
            diffs = [
                results[(name, seed)][1][key] - results[("base", seed)][1][key] for seed in seeds
            ]
            means = [float(d.mean()) for d in diffs]
            se = float(np.mean([d.std(ddof=1) / np.sqrt(len(d)) for d in diffs]))
            per_seed = "/".join(f"{m:+,.0f}" for m in means)
            cells.append(f"{np.mean(means):+,.0f} [{per_seed}] ({se:,.0f})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--seeds", default="42", help="booster seeds, e.g. 42,1,2")
    parser.add_argument("--cache", type=Path, default=None, help="folder of saved runs")
    parser.add_argument("--test", default=None)
    args = parser.parse_args()
    pooled = load_config(REPO_ROOT / "configs/pooled.yaml")
    profiles = load_training_data(pooled).profiles
    parts = parts_of(profiles)
    if args.test:
        test(args.test, pooled, profiles, parts)
        return
    names = args.variants.split(",")
    seeds = [int(seed) for seed in args.seeds.split(",")]
    if len(seeds) > 1 and "base" not in names:
        names.insert(0, "base")
    results = {}
    for name in names:
        for seed in seeds:
            run = partial(validate, name, pooled, profiles, parts, seed)
            results[(name, seed)] = r = cached_run(name, seed, args.cache, run)
            print(
                f"VAL {name} seed {seed}: "
                + " ".join(
                    f"{k}={v:,.0f}" if k.startswith(("cal_", "temp_")) else f"{k}={v:+.1f}"
                    for k, v in r[0].items()
                ),
                flush=True,
            )
    print("\n".join(summary(results, names, seeds)), flush=True)


if __name__ == "__main__":
    main()
