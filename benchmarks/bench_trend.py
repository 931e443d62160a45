"""Pay year at prediction time, and an explicit pay trend, measured out of time (issue 9 item 6).

Per source, the protocol of `bench_out_of_time.py` (same configs, same temporal split, same test
rows): train on the earlier pay years, test on the latest

    aijobs         train work_year 2020-2023            test 2024
    kaggle         train the 2019 survey                test the 2021 survey
    stackoverflow  train the 2017 + 2024 surveys        test the 2025 sample

and compare, on the same test rows, what the model is told (or learns) about the pay year:

    year_missing      the config as is, the test rows' year left out: what `predict_salary`
                      did before issue 9 item 6 (the trees' missing branch, learned from the
                      missing-value copy: an average over the training years)
    year_latest       the config as is, the test rows' year set to the latest training year:
                      the runtime's default pay year now
    year_given        the test rows' own year (what bench_out_of_time scores; a tree holds the
                      last training year's level past it, so this equals year_latest unless a
                      split threshold lies between them)
    trend_raw         an explicit log-linear trend: slope = Theil-Sen over the training years'
                      median log pay (raw, not adjusted for who is in each year), the target
                      detrended by slope * (year - latest training year), the config's boosters
                      (year dropped as a feature) fitted on it, and slope * (test year - latest)
                      added back at test (an offset, like LightGBM's init_score)
    trend_raw_year    the same offset with the year feature kept (test year = latest)
    trend_adjusted    the slope adjusted for who is in each year: a year-free median booster
                      fitted on the train part, its residuals on the calibration part (held
                      out), the slope a row-weighted least-squares line through the training
                      years' median residuals; then as trend_raw
    trend_model_year  no refit: the config's own model, its learned year effect extrapolated.
                      Slope = row-weighted least squares through the model's partial dependence
                      on year (the mean median prediction of the calibration rows with their
                      year set to each training year); at test, year_latest's prediction plus
                      slope * (test year - latest) on all three heads (what a runtime could add
                      for a year past the data without retraining)

Every variant calibrates its 80% interval on the config's calibration part (a grouped sample of
the training years, years given) with the pipeline's conformal adjustment; nothing is chosen on
the test year. With one training year (Kaggle) no slope can be estimated: the trend variants
are the year-free model with a zero slope, reported as such.

Metrics (`bench_out_of_time.metrics_of`): MAE in USD (a Kaggle band counts the distance to the
nearest pay in the band), MdAPE, log bias = mean(log predicted - log true midpoint), 80%
coverage and mean width.

Usage (from the repository root, MLPAY_DATA_DIR set; about a minute):
    python benchmarks/bench_trend.py [--sources aijobs,kaggle,stackoverflow]
                                     [--output benchmarks/results/trend.md]
"""

from __future__ import annotations

import os

# Idle OpenMP threads sleep rather than spin (see benchmarks/README.md); before LightGBM loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

BENCHMARKS: Final = Path(__file__).resolve().parent
REPO_ROOT: Final = BENCHMARKS.parent
for folder in (REPO_ROOT, BENCHMARKS):  # run as a plain script from a checkout
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import lightgbm as lgb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from bench_out_of_time import (  # noqa: E402
    CASE_BY_SOURCE,
    OutOfTimeCase,
    environment_summary,
    metrics_of,
    temporal_config,
)
from threadpoolctl import threadpool_limits  # noqa: E402

from mlpay_model.data.datadir import data_dir  # noqa: E402
from mlpay_model.errors import MlpayError  # noqa: E402
from mlpay_model.model import fitting  # noqa: E402
from mlpay_model.model.features import FeatureEncoder  # noqa: E402
from mlpay_model.model.interval import HeldOut, IntervalCalibrator  # noqa: E402
from training.config import TrainConfig, load_config  # noqa: E402
from training.data import load_training_data, log_target, target_bounds  # noqa: E402
from training.train import prepare_split  # noqa: E402

DEFAULT_OUTPUT: Final = "benchmarks/results/trend.md"
THREADS: Final = 2
VARIANTS: Final = (
    "year_missing",
    "year_latest",
    "year_given",
    "trend_raw",
    "trend_raw_year",
    "trend_adjusted",
    "trend_model_year",
)
BASELINE: Final = "year_latest"  # paired differences are against the runtime's default


@dataclass(frozen=True)
class Fitted:
    """Three boosters, the encoder of their rows, and the calibration adjustment."""

    boosters: dict[str, lgb.Booster]
    encoder: FeatureEncoder
    adjustment: float


@dataclass
class TrendResult:
    case: OutOfTimeCase
    train_years: tuple[int, ...]
    year_rows: dict[int, int]
    slopes: dict[str, float]  # per year, log scale
    metrics: dict[str, dict[str, float]]
    seconds: float


def years_of(rows: pd.DataFrame) -> np.ndarray:
    return pd.to_numeric(rows["year"], errors="coerce").to_numpy(dtype="float64")


def theil_sen(years: Sequence[float], values: Sequence[float]) -> float:
    """Median of the pairwise slopes (0 with fewer than two years)."""
    pairs = [
        (values[j] - values[i]) / (years[j] - years[i])
        for i in range(len(years))
        for j in range(i + 1, len(years))
        if years[j] != years[i]
    ]
    return float(np.median(pairs)) if pairs else 0.0


def weighted_slope(years: np.ndarray, values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted least-squares slope of values on years (0 with fewer than two years)."""
    if len(np.unique(years)) < 2:
        return 0.0
    mean_year = np.average(years, weights=weights)
    mean_value = np.average(values, weights=weights)
    spread = np.sum(weights * (years - mean_year) ** 2)
    return float(np.sum(weights * (years - mean_year) * (values - mean_value)) / spread)


def raw_slope(rows: pd.DataFrame) -> float:
    """Theil-Sen slope of the per-year median log pay."""
    frame = pd.DataFrame({"year": years_of(rows), "y": log_target(rows)}).dropna()
    medians = frame.groupby("year")["y"].median()
    return theil_sen(list(medians.index), list(medians.to_numpy()))


def raw_predictions(fitted: Fitted, matrix: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(fitted.boosters[head].predict(matrix) for head in ("median", "low", "high"))


def fit_variant(
    config: TrainConfig,
    parts: dict[str, pd.DataFrame],
    features: Sequence[str],
    offset: dict[str, np.ndarray],
) -> Fitted:
    """The config's boosters on `features`, fitted on train's log pay minus its offset and
    calibrated on the calibration part (raw predictions plus its offset)."""
    settings = config.model_copy(update={"features": list(features)})
    spec = fitting.fit_spec(settings.fit_settings(), parts["train"])
    encoder = FeatureEncoder(spec)
    boosters = fitting.fit_boosters(
        settings.fit_settings(),
        spec,
        encoder.encode_frame(parts["train"]),
        log_target(parts["train"]) - offset["train"],
    )
    fitted = Fitted(boosters, encoder, 0.0)
    median, low, high = (
        values + offset["calibration"]
        for values in raw_predictions(fitted, encoder.encode_frame(parts["calibration"]))
    )
    adjustment = IntervalCalibrator(coverage=config.calibration.target_coverage).conformal_q(
        HeldOut((median, low, high), *target_bounds(parts["calibration"]))
    )
    return Fitted(boosters, encoder, adjustment)


def score(
    fitted: Fitted,
    test: pd.DataFrame,
    year: float | None,
    offset: float = 0.0,
    *,
    keep_year: bool = False,
) -> tuple[dict[str, float], np.ndarray]:
    """Test metrics and each row's absolute error (USD), the rows' year replaced by `year`
    (None: left out; `keep_year`: the rows' own), the log predictions shifted by `offset`."""
    rows = test if keep_year else test.assign(year=np.nan if year is None else year)
    matrix = fitted.encoder.encode_frame(rows)
    median, low, high = (values + offset for values in raw_predictions(fitted, matrix))
    q = fitted.adjustment
    metrics = metrics_of(median, test, np.minimum(low - q, median), np.maximum(high + q, median))
    predicted = np.exp(median)
    error = np.abs(predicted - np.clip(predicted, *target_bounds(test)))
    return metrics, error


def benchmark_source(case: OutOfTimeCase) -> TrendResult:
    started = time.perf_counter()
    config = temporal_config(load_config(REPO_ROOT / case.config), case.test_year)
    data = load_training_data(config)
    prepared = prepare_split(config, data.profiles)
    parts = prepared.parts
    known = pd.concat([parts["train"], parts["calibration"]])
    train_years = tuple(
        sorted(int(y) for y in np.unique(years_of(known)[~np.isnan(years_of(known))]))
    )
    latest = float(max(train_years))
    if not (years_of(parts["test"]) == case.test_year).all():
        raise MlpayError(f"{case.source}: test rows are not all from {case.test_year}")
    gap = case.test_year - latest
    features = list(config.features)
    no_year = [name for name in features if name != "year"]
    zero = {name: np.zeros(len(rows)) for name, rows in parts.items()}
    scored: dict[str, tuple[dict[str, float], np.ndarray]] = {}

    with threadpool_limits(THREADS):
        as_is = fit_variant(config, parts, features, zero)
        scored["year_missing"] = score(as_is, parts["test"], None)
        scored["year_latest"] = score(as_is, parts["test"], latest)
        scored["year_given"] = score(as_is, parts["test"], None, keep_year=True)

        def offsets(slope: float) -> dict[str, np.ndarray]:
            return {
                name: np.nan_to_num(slope * (years_of(rows) - latest))
                for name, rows in parts.items()
            }

        slopes = {"trend_raw": raw_slope(known)}
        fitted = fit_variant(config, parts, no_year, offsets(slopes["trend_raw"]))
        scored["trend_raw"] = score(fitted, parts["test"], None, slopes["trend_raw"] * gap)
        if "year" in features:
            fitted = fit_variant(config, parts, features, offsets(slopes["trend_raw"]))
            scored["trend_raw_year"] = score(
                fitted, parts["test"], latest, slopes["trend_raw"] * gap
            )
        slopes["trend_adjusted"] = adjusted_slope(config, parts, no_year)
        fitted = fit_variant(config, parts, no_year, offsets(slopes["trend_adjusted"]))
        scored["trend_adjusted"] = score(
            fitted, parts["test"], None, slopes["trend_adjusted"] * gap
        )
        if "year" in features and len(train_years) > 1:
            slopes["trend_model_year"] = model_year_slope(as_is, parts["calibration"], train_years)
            scored["trend_model_year"] = score(
                as_is, parts["test"], latest, slopes["trend_model_year"] * gap
            )
    counts = pd.Series(years_of(known)).value_counts()
    base_error = scored[BASELINE][1]
    metrics = {}
    for name, (values, error) in scored.items():
        difference = error - base_error
        values["vs_latest_usd"] = float(difference.mean())
        values["vs_latest_se_usd"] = float(difference.std(ddof=1) / np.sqrt(len(difference)))
        metrics[name] = values
    return TrendResult(
        case=case,
        train_years=train_years,
        year_rows={int(year): int(n) for year, n in sorted(counts.items())},
        slopes=slopes,
        metrics=metrics,
        seconds=time.perf_counter() - started,
    )


def model_year_slope(fitted: Fitted, rows: pd.DataFrame, years: Sequence[int]) -> float:
    """Row-weighted least-squares slope of the model's partial dependence on year: the mean
    median prediction (log) of `rows` with their year set to each of `years`."""
    known = years_of(rows)
    dependence = np.array(
        [
            float(
                np.mean(
                    fitted.boosters["median"].predict(
                        fitted.encoder.encode_frame(rows.assign(year=float(year)))
                    )
                )
            )
            for year in years
        ]
    )
    weights = np.array([max(int(np.sum(known == year)), 1) for year in years], dtype="float64")
    return weighted_slope(np.array(years, dtype="float64"), dependence, weights)


def adjusted_slope(
    config: TrainConfig, parts: dict[str, pd.DataFrame], features: Sequence[str]
) -> float:
    """The slope of the held-out residuals of a year-free median booster over the years."""
    settings = config.model_copy(update={"features": list(features)})
    spec = fitting.fit_spec(settings.fit_settings(), parts["train"])
    encoder = FeatureEncoder(spec)
    median = fitting.fit_boosters(
        settings.fit_settings(),
        spec,
        encoder.encode_frame(parts["train"]),
        log_target(parts["train"]),
        heads=("median",),
    )["median"]
    held_out = parts["calibration"]
    residual = log_target(held_out) - median.predict(encoder.encode_frame(held_out))
    frame = pd.DataFrame({"year": years_of(held_out), "r": residual}).dropna()
    per_year = frame.groupby("year")["r"].agg(["median", "size"])
    return weighted_slope(
        per_year.index.to_numpy(dtype="float64"),
        per_year["median"].to_numpy(),
        per_year["size"].to_numpy(dtype="float64"),
    )


def render_markdown(results: Sequence[TrendResult], environment: dict[str, str]) -> str:
    lines = [
        "# Pay year and an explicit trend, out of time",
        "",
        "Generated by `benchmarks/bench_trend.py` (issue 9 item 6). Per source the protocol of "
        "`bench_out_of_time.py`: the committed config with its split made temporal at the test "
        "year, the same test rows for every variant; nothing chosen on the test year. Variants: "
        "see the script's docstring. `year_missing` is what `predict_salary` did when no year "
        "was given; `year_latest` is the runtime's default pay year now.",
        "",
        "MAE in USD (a Kaggle band: distance to the nearest pay in it), MdAPE, bias = mean(log "
        "predicted - log true), 80% interval coverage and mean width. Intervals are calibrated "
        "on the calibration part by `IntervalCalibrator.conformal_q` as it is at run time; "
        "the point metrics do not depend on it.",
        "",
    ]
    for result in results:
        case = result.case
        years = ", ".join(f"{y} ({n:,} rows)" for y, n in result.year_rows.items())
        slopes = ", ".join(
            f"{name} {value:+.4f}/year ({np.expm1(value) * 100:+.1f}%/year)"
            for name, value in result.slopes.items()
        )
        lines += [
            f"## {case.source}: {years_text(result.train_years)} → {case.test_year}",
            "",
            f"Training years (train + calibration parts): {years}. Slopes (log pay): {slopes}"
            + (
                " (one training year: no slope can be estimated, 0 used)"
                if len(result.train_years) < 2
                else ""
            )
            + f". {result.seconds:.0f} s.",
            "",
            "| variant | MAE USD | vs year_latest (paired) | MdAPE | bias (log) | 80% coverage "
            "| mean width USD |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        best = min(m["mae_usd"] for m in result.metrics.values())
        for name in VARIANTS:
            if name not in result.metrics:
                continue
            m = result.metrics[name]
            mae = f"${m['mae_usd']:,.0f} ± {m['mae_se_usd']:,.0f}"
            if m["mae_usd"] == best:
                mae = f"**{mae}**"
            paired = f"{m['vs_latest_usd']:+,.0f} ± {m['vs_latest_se_usd']:,.0f}"
            lines.append(
                f"| {name} | {mae} | {paired} | {m['mdape'] * 100:.1f}% | {m['bias_log']:+.3f} | "
                f"{m['coverage'] * 100:.1f}% | ${m['width_usd']:,.0f} |"
            )
        lines.append("")
    lines += summary_lines(results)
    lines += ["## Environment", ""]
    lines += [f"- {key}: {value}" for key, value in environment.items()]
    return "\n".join(lines) + "\n"


TREND_VARIANTS: Final = ("trend_raw", "trend_raw_year", "trend_adjusted", "trend_model_year")
CLEAR_SE: Final = 2.0  # a paired MAE difference beyond 2 standard errors counts as clear


def summary_lines(results: Sequence[TrendResult]) -> list[str]:
    """Per trend variant, its paired MAE difference against year_latest on every source that
    has more than one training year, and whether it is clearly better on all of them."""
    with_slope = [r for r in results if len(r.train_years) > 1]
    header = " | ".join(r.case.source for r in with_slope)
    lines = [
        "## Summary: an explicit trend against the default pay year",
        "",
        "Paired test MAE difference against `year_latest` (negative: the trend variant is "
        f"better), ± its standard error; *clear* = beyond {CLEAR_SE:g} standard errors on every "
        "source with more than one training year (Kaggle has one: no slope).",
        "",
        f"| variant | {header} | clearly better on all |",
        "| --- | " + " | ".join("---:" for _ in with_slope) + " | --- |",
    ]
    for name in TREND_VARIANTS:
        cells, clear = [], True
        for result in with_slope:
            m = result.metrics.get(name)
            if m is None:
                cells.append("—")
                clear = False
                continue
            cells.append(f"{m['vs_latest_usd']:+,.0f} ± {m['vs_latest_se_usd']:,.0f}")
            clear = clear and m["vs_latest_usd"] < -CLEAR_SE * m["vs_latest_se_usd"]
        verdict = "yes" if clear and with_slope else "no"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {verdict} |")
    return [*lines, ""]


def years_text(years: Sequence[int]) -> str:
    return " + ".join(str(y) for y in years) if len(years) < 3 else f"{years[0]}-{years[-1]}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default=",".join(CASE_BY_SOURCE))
    parser.add_argument("--output", default=str(REPO_ROOT / DEFAULT_OUTPUT))
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.sources.split(",") if name.strip()]
    unknown = [name for name in names if name not in CASE_BY_SOURCE]
    if unknown or not names:
        print(f"error: unknown source {', '.join(unknown) or '(none)'}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        data_dir()
        results = []
        for name in names:
            print(f"[bench] {name}", file=sys.stderr, flush=True)
            results.append(benchmark_source(CASE_BY_SOURCE[name]))
    except MlpayError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    environment = environment_summary()
    environment["whole run"] = f"{time.perf_counter() - started:.0f} s"
    report = render_markdown(results, environment)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
