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
(label-free) the mean predicted log pay of the aijobs test-year profiles minus that of its cal
rows ("2024 level", no test pay is read).

--test VARIANT: the full pooled model (three heads, conformal calibration) of one variant,
scored out of time like bench_out_of_time's pooled row.

Usage: python benchmarks/bench_pooled_variants.py [--variants a,b] [--test VARIANT]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from bench_out_of_time import CASE_BY_SOURCE, metrics_of, temporal_config  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from mlpay_model.model import features as features_module  # noqa: E402
from mlpay_model.model.features import FeatureEncoder, FeatureSpec  # noqa: E402
from training.config import TrainConfig, load_config  # noqa: E402
from training.data import load_training_data, log_target, target_bounds  # noqa: E402
from training.split import split_rows  # noqa: E402
from training.train import conformal_adjustment, fit_boosters, predict_frame  # noqa: E402

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
    if min_count is not None:
        features_module.TITLE_MIN_COUNT = min_count
    interactions = [
        [*group, "title"] if index in groups else group
        for index, group in enumerate(config.interaction_constraints)
    ]
    return TrainConfig.model_validate(
        {
            **config.model_dump(),
            "features": [*config.features, "title"],
            "interaction_constraints": interactions,
        }
    )


def _no_year(config: TrainConfig) -> TrainConfig:
    features = [f for f in config.features if f != "year"]
    groups = [[f for f in g if f != "year"] for g in config.interaction_constraints]
    return config.model_copy(update={"features": features, "interaction_constraints": groups})


# name -> (config change, per-source year offset?)
Variant = tuple[Callable[[TrainConfig], TrainConfig], bool]
VARIANTS: dict[str, Variant] = {
    "base": (lambda c: c, False),  # the committed configs/pooled.yaml
    "one_stage": (lambda c: _stages(c, None), False),
    "title": (_title, False),
    "title_both_groups": ((lambda c: _title(c, (0, 1))), False),
    **{f"title_min{n}": ((lambda c, n=n: _title(c, min_count=n)), False) for n in (100, 300)},
    **{f"second_stage_{n}": ((lambda c, n=n: _stages(c, n)), False) for n in (50, 100, 200, 400)},
    "year_source_only": (
        lambda c: _groups(c, [[f for f in GROUP_1 if f != "year"], ["source", "year"], GROUP_2]),
        False,
    ),
    "year_per_source": (lambda c: c, True),
    "no_year": (_no_year, False),
    "ff0.7": (lambda c: _lgb(c, feature_fraction=0.7), False),
    "mdl20": (lambda c: _lgb(c, min_data_in_leaf=20), False),
    "r400_lr0.05": (lambda c: _lgb(c, num_boost_round=400, learning_rate=0.05), False),
    "r400": (lambda c: _lgb(c, num_boost_round=400), False),
    "ps+ff0.7": (lambda c: _lgb(c, feature_fraction=0.7), True),
    "ps+mdl20": (lambda c: _lgb(c, min_data_in_leaf=20), True),
    "ps+r400": (lambda c: _lgb(c, num_boost_round=400), True),
    **{
        f"{name}_seed{seed}": (
            (
                lambda c, seed=seed, ff=ff: _lgb(
                    c.model_copy(update={"seed": seed}), feature_fraction=ff
                )
            ),
            False,
        )
        for seed in (1, 2)
        for name, ff in (("base", 1.0), ("ff0.7", 0.7))
    },
    "ff0.5": (lambda c: _lgb(c, feature_fraction=0.5), False),
    "ff1.0": (lambda c: _lgb(c, feature_fraction=1.0), False),
    "ff0.85": (lambda c: _lgb(c, feature_fraction=0.85), False),
}


def with_year_offset(profiles: pd.DataFrame) -> pd.DataFrame:
    out = profiles.copy()
    offset = out["source"].map(YEAR_OFFSET).astype("Int64")
    out["year"] = out["year"] + offset
    return out


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


def fit(config: TrainConfig, rows: pd.DataFrame, heads=("median",)):
    spec = FeatureSpec.fit(rows, config.features, config.min_category_count)
    encoder = FeatureEncoder(spec)
    matrix, target = encoder.encode_frame(rows), log_target(rows)
    with threadpool_limits(2):
        boosters = fit_boosters(config, spec, matrix, target, heads=heads)
    return boosters, encoder


def mae(booster, encoder, rows: pd.DataFrame) -> float:
    pred = np.asarray(booster.predict(encoder.encode_frame(rows)))
    return metrics_of(pred, rows)["mae_usd"]


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


def validate(name: str, pooled: TrainConfig, profiles: pd.DataFrame, parts) -> dict[str, float]:
    change, per_source = VARIANTS[name]
    config = change(pooled)
    data = with_year_offset(profiles) if per_source else profiles
    out: dict[str, float] = {}
    # cal protocol
    train_at = np.sort(np.concatenate([p["train"] for p in parts.values()]))
    boosters, encoder = fit(config, data.iloc[train_at])
    for source, p in parts.items():
        out[f"cal_{source}"] = mae(boosters["median"], encoder, data.iloc[p["calibration"]])
    aijobs_cal = data.iloc[parts["aijobs"]["calibration"]]
    out.update(effects(boosters["median"], encoder, aijobs_cal))
    test_profiles = data.iloc[parts["aijobs"]["test"]]
    out["aijobs_2024_level_%"] = float(
        np.expm1(
            np.mean(boosters["median"].predict(encoder.encode_frame(test_profiles)))
            - np.mean(boosters["median"].predict(encoder.encode_frame(aijobs_cal)))
        )
        * 100
    )
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
    boosters, encoder = fit(config, data.iloc[np.sort(np.concatenate(fit_at))])
    for source, at in val_at.items():
        out[f"temp_{source}"] = mae(boosters["median"], encoder, data.iloc[at])
    return out


def test(name: str, pooled: TrainConfig, profiles: pd.DataFrame, parts) -> None:
    change, per_source = VARIANTS[name]
    config = change(pooled)
    data = with_year_offset(profiles) if per_source else profiles
    train_at = np.sort(np.concatenate([p["train"] for p in parts.values()]))
    cal_at = np.sort(np.concatenate([p["calibration"] for p in parts.values()]))
    boosters, encoder = fit(config, data.iloc[train_at], heads=("median", "low", "high"))
    cal = data.iloc[cal_at]
    raw = [
        np.asarray(boosters[h].predict(encoder.encode_frame(cal)))
        for h in ("median", "low", "high")
    ]
    adjustment = conformal_adjustment(
        *raw, *target_bounds(cal), coverage=config.calibration.target_coverage
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
        print(
            f"TEST {name} {source}: rows {len(rows):,} MAE ${m['mae_usd']:,.0f} "
            f"± ${m['mae_se_usd']:,.0f} bias {m['bias_log']:+.3f} "
            f"coverage {m['coverage'] * 100:.1f}% width ${m['width_usd']:,.0f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--test", default=None)
    args = parser.parse_args()
    pooled = load_config(REPO_ROOT / "configs/pooled.yaml")
    profiles = load_training_data(pooled).profiles
    parts = parts_of(profiles)
    if args.test:
        test(args.test, pooled, profiles, parts)
        return
    for name in args.variants.split(","):
        r = validate(name, pooled, profiles, parts)
        tag = ""
        print(
            f"VAL {name}{tag}: "
            + " ".join(
                f"{k}={v:,.0f}" if k.startswith(("cal_", "temp_")) else f"{k}={v:+.1f}"
                for k, v in r.items()
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
