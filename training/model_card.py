"""MODEL_CARD.md for a trained model: data and licences, method, metrics, use and limits."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

import pandas as pd

if TYPE_CHECKING:
    from training.train import TrainResult

TOP_FEATURES: Final = 15

LICENSES: Final[dict[str, str]] = {
    "aijobs": (
        "aijobs.net (formerly ai-jobs.net) salary index: CC0 1.0 (public domain). "
        "Attribution appreciated: aijobs.net/salaries."
    ),
    "kaggle": (
        "Kaggle Machine Learning & Data Science Survey, released by Kaggle for public "
        'analysis. Cite "Kaggle ML & DS Survey {years}".'
    ),
    "stackoverflow": (
        "Stack Overflow Developer Survey ({years}): Open Database License (ODbL) 1.0. "
        "Credit: Stack Overflow. A database built from it stays under the ODbL."
    ),
    "csv": "Your own file read through a column mapping: check its licence before sharing.",
}

SPLIT_TEXT: Final[dict[str, str]] = {
    "grouped": (
        "grouped: rows with identical feature values and pay form one group, which never "
        "straddles train, calibration and test, so a repeated submission cannot leak into test"
    ),
    "random": "random: each row is assigned on its own",
    "temporal": "temporal: the latest year(s) are the test set, earlier years train and calibrate",
}


def render_model_card(result: TrainResult) -> str:
    """The model card text (Markdown) for a training result."""
    sections = [
        _header(result),
        _data(result),
        _method(result),
        _metrics(result),
        _breakdowns(result),
        _importance(result),
        _use_and_limits(result),
    ]
    return "\n\n".join(section.rstrip() for section in sections) + "\n"


def _header(result: TrainResult) -> str:
    config = result.config
    return (
        f"# mlpay model `{config.model.name}` (version {config.model.version})\n\n"
        "Predicts annual gross pay in US dollars for a profile, as a median and a calibrated "
        f"{config.calibration.target_coverage:.0%} interval, from: "
        f"{', '.join(config.features)}. Trained on "
        f"{', '.join(sorted({r.source for r in result.data.reports}))} data; "
        f"dataset digest `{result.dataset_digest[:16]}`."
    )


def _data(result: TrainResult) -> str:
    rows = [
        "## Data and licences",
        "",
        "| source | file | years | rows read | rows kept | dropped by quality rules |",
        "| --- | --- | --- | ---: | ---: | --- |",
    ]
    for report in result.data.reports:
        dropped = ", ".join(f"{rule} {n:,}" for rule, n in report.dropped.items() if n) or "none"
        rows.append(
            f"| {report.source} | `{report.file}` | {_year_list(report.years)} | "
            f"{report.rows_read:,} | {report.rows_kept:,} | {dropped} |"
        )
    rows.append("")
    for source in sorted({report.source for report in result.data.reports}):
        years = sorted({y for r in result.data.reports if r.source == source for y in r.years})
        rows.append(f"- {LICENSES[source].format(years=_year_list(tuple(years)))}")
    missing = [
        f"{name} (absent from `{report.file}`)"
        for report in result.data.reports
        for name in report.missing_features
    ]
    if missing:
        rows += ["", f"Not in every file: {'; '.join(missing)}. Those rows train as unknown."]
    return "\n".join(rows)


def _method(result: TrainResult) -> str:
    config = result.config
    gbm = config.lightgbm
    sizes = result.split_sizes
    monotone = config.monotone_directions()
    constraints = (
        ", ".join(
            f"{name} {'non-decreasing' if d > 0 else 'non-increasing'}"
            for name, d in monotone.items()
        )
        or "none"
    )
    return "\n".join(
        [
            "## Method",
            "",
            "- Target: log of annual USD pay."
            + (
                " A pay band (Kaggle) is trained on the log of its geometric midpoint, "
                "log(sqrt(low x high)), and evaluated against the band itself (see Metrics)."
                if _has_bands(result)
                else ""
            ),
            f"- Split {SPLIT_TEXT[config.split.method]}; seed {config.seed}: "
            f"{sizes.get('train', 0):,} train, {sizes.get('calibration', 0):,} calibration, "
            f"{sizes.get('test', 0):,} test rows.",
            "- Models: three LightGBM boosters on log pay. Median: "
            + (
                f"pinball loss at {config.quantiles.median}"
                if gbm.median_objective == "quantile"
                else "squared error"
            )
            + f"; low/high: pinball loss at {config.quantiles.low} / {config.quantiles.high}. "
            f"{gbm.num_boost_round} rounds, learning rate {gbm.learning_rate}, "
            f"{gbm.num_leaves} leaves, min {gbm.min_data_in_leaf} rows per leaf.",
            f"- Interval: conformalized quantile regression on the calibration split; the "
            f"adjustment {result.calibration.get('adjustment', math.nan):+.4f} (log scale) is "
            f"subtracted from the low and added to the high model to reach "
            f"{config.calibration.target_coverage:.0%} coverage. Low <= median <= high "
            "always holds.",
            f"- Monotone constraints: {constraints}.",
            f"- Categories and skills seen fewer than {config.min_category_count} times in "
            "training, and values never seen, share one `__other__` code.",
            _augmentation_text(config.missing_augmentation),
        ]
    )


def _augmentation_text(rate: float) -> str:
    if rate == 0:
        return "- Optional fields left out at prediction follow LightGBM's default branch."
    return (
        "- Optional fields left out at prediction: the boosters also learned from a copy of "
        f"the training rows with each optional feature blanked with probability {rate:g}, so "
        "a missing value is predicted close to the average over it (not as its lowest level)."
    )


def _metrics(result: TrainResult) -> str:
    metrics = result.metrics
    lines = [
        f"## Metrics (held-out test split, {int(metrics['test_rows']):,} rows)",
        "",
        "| model | MAE (USD) | median abs. % error | MAE (log pay) | R² (log pay) |",
        "| --- | ---: | ---: | ---: | ---: |",
        _metric_row(
            "mlpay (this model)",
            {k.removeprefix("test_"): v for k, v in metrics.items() if k.startswith("test_")},
        ),
    ]
    for name, scores in result.baselines.items():
        lines.append(_metric_row(f"baseline: {name.replace('_', ' ')}", scores))
    lines += [
        "",
        f"Interval: {_percent(metrics['test_coverage'])} of test rows inside the "
        f"{result.config.calibration.target_coverage:.0%} interval; mean width "
        f"{_usd(metrics['test_width_usd'])}.",
        "",
        "For a pay band the error is the distance to the nearest pay in the band (zero "
        "inside it), coverage counts the share of the band inside the interval (log scale), "
        "and R² compares with the band's log midpoint. Baselines: group median = median pay "
        "of the role x country cell in train (falling back to role, then all rows); ridge = "
        "ridge regression on one-hot features.",
    ]
    return "\n".join(lines)


def _metric_row(label: str, scores: dict[str, float]) -> str:
    return (
        f"| {label} | {_usd(scores['mae_usd'])} | {_percent(scores['mdape'])} | "
        f"{scores['mae_log']:.3f} | {scores['r2_log']:.3f} |"
    )


def _breakdowns(result: TrainResult) -> str:
    parts = ["## By group (test rows)"]
    for column, table in result.breakdowns.items():
        parts += ["", f"### By {column}", "", _table(table, column)]
    return "\n".join(parts)


def _table(table: pd.DataFrame, column: str) -> str:
    lines = [
        f"| {column} | rows | MAE (USD) | median abs. % error | coverage | mean width (USD) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for group, row in table.iterrows():
        lines.append(
            f"| {group} | {int(row['rows']):,} | {_usd(row['mae_usd'])} | "
            f"{_percent(row['mdape'])} | {_percent(row['coverage'])} | "
            f"{_usd(row['width_usd'])} |"
        )
    if table.empty:
        lines.append("| (no group with enough test rows) | | | | | |")
    return "\n".join(lines)


def _importance(result: TrainResult) -> str:
    total = sum(result.feature_importance.values()) or 1.0
    lines = [
        "## What the median model relies on (share of total gain)",
        "",
        "| feature | share |",
        "| --- | ---: |",
    ]
    for name, gain in list(result.feature_importance.items())[:TOP_FEATURES]:
        lines.append(f"| {name} | {_percent(gain / total)} |")
    return "\n".join(lines)


def _use_and_limits(result: TrainResult) -> str:
    sources = {report.source for report in result.data.reports}
    limits = [
        "- Pay is self-reported (aijobs.net submissions, survey answers) and not verified.",
        "- The data describes who answers: job-board visitors and survey respondents, not a "
        "random sample of workers. Countries and roles with few rows fall back to broader "
        "patterns; the interval is calibrated on average, not for every group (see the "
        "tables above).",
        f"- Years covered: "
        f"{_year_list(tuple(sorted({y for r in result.data.reports for y in r.years})))}. "
        "Pay is not adjusted for inflation; "
        "predictions describe those years.",
        "- Never trained on gender, age or race; pay gaps tied to them are neither modelled "
        "nor corrected.",
    ]
    if "aijobs" in sources:
        limits.append(
            "- aijobs: about 90% of rows are US residents, and repeated submissions appear as "
            "identical rows (kept, and kept on one side of the split)."
        )
    if "kaggle" in sources:
        limits.append(
            "- Kaggle: pay is a band, so exact pay is never seen; experience is years writing "
            "code, which overstates professional experience for people who coded as students."
        )
    if "stackoverflow" in sources:
        limits.append(
            "- Stack Overflow: wording and columns change between survey years; extreme pay "
            "answers are removed by the quality rules."
        )
    return "\n".join(
        [
            "## Intended use",
            "",
            "Estimating a typical pay range for a profile described by the features above, "
            "and comparing roles (are ML engineers paid more?). Not for setting an "
            "individual's pay, hiring or any decision about a person.",
            "",
            "## Limitations",
            "",
            *limits,
        ]
    )


def _year_list(years: tuple[int, ...]) -> str:
    """2019/2021 for a few years, 2020-2024 for a run of them."""
    if not years:
        return "unknown years"
    if len(years) <= 3:
        return "/".join(str(year) for year in years)
    return f"{years[0]}-{years[-1]}"


def _has_bands(result: TrainResult) -> bool:
    return bool(result.data.profiles["salary_usd"].isna().any())


def _usd(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"${value:,.0f}"


def _percent(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{100 * value:.1f}%"
