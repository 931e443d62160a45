"""MODEL_CARD.md for a trained model: data and licences, method, metrics, use and limits.

The Markdown is `templates/model_card.md.j2`; this module computes and formats its values.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mlpay_model._format import money, percent
from mlpay_model.data.sources.registry import get_source
from mlpay_model.data.sources.registry import sources as registered_sources
from mlpay_model.model.features import title_threshold
from training.templating import load_template

if TYPE_CHECKING:
    from training.train import TrainResult

TOP_FEATURES: Final = 15
TEMPLATES: Final = Path(__file__).parent / "templates"

SPLIT_TEXT: Final[dict[str, str]] = {
    "grouped": (
        "grouped: rows with identical feature values and pay form one group, which never "
        "straddles train, calibration and test, so a repeated submission cannot leak into test"
    ),
    "random": "random: each row is assigned on its own",
    "temporal": "temporal: the latest year(s) are the test set, earlier years train and calibrate",
    "newest": (
        "newest: per source, the rows first in its file (the newest postings) are the test set, "
        "the older rows train and calibrate"
    ),
}


def render_model_card(result: TrainResult) -> str:
    """The model card text (Markdown) for a training result."""
    config, reports, metrics = result.config, result.data.reports, result.metrics
    sources = sorted({report.source for report in reports})
    quantiles, rate = config.quantiles, config.missing_augmentation
    total_gain = sum(result.feature_importance.values()) or 1.0
    return load_template(TEMPLATES, "model_card.md.j2").render(
        config=config,
        gbm=config.lightgbm,
        title_min_count=title_threshold(
            config.min_category_count, config.fit_settings().title_min_count
        ),
        coverage=f"{config.calibration.target_coverage:.0%}",
        sources=sources,
        digest=result.dataset_digest[:16],
        files=[
            (
                report.source,
                report.file,
                _year_list(report.years),
                f"{report.rows_read:,}",
                f"{report.rows_kept:,}",
                ", ".join(f"{rule} {n:,}" for rule, n in report.dropped.items() if n) or "none",
            )
            for report in reports
        ],
        licences=[
            get_source(source).text(get_source(source).licence, years=_years(result, source))
            for source in sources
        ],
        pay_texts=[
            f"{source}: {get_source(source).pay_text_for(_source_years(result, source))}"
            for source in sources
        ],
        missing=[
            f"{name} (absent from `{report.file}`)"
            for report in reports
            for name in report.missing_features
        ],
        bands=bool(result.data.profiles["salary_usd"].isna().any()),
        split=SPLIT_TEXT[config.split.method],
        sizes={
            part: f"{result.split_sizes.get(part, 0):,}"
            for part in ("train", "calibration", "test")
        },
        median_loss=(
            f"pinball loss at {quantiles.median}"
            if config.lightgbm.median_objective == "quantile"
            else "squared error"
        ),
        adjustment=f"{result.calibration.get('adjustment', math.nan):+.4f}",
        folds=result.calibration.get("folds"),
        year_ahead=_year_ahead_text(result.calibration.get("year_ahead")),
        from_median=config.calibration.quantile_heads == "from_median",
        non_test_rows=f"{int(metrics['train_rows']):,}",
        shipped_rows=f"{result.shipped_rows:,}",
        constraints=[
            f"{name} {'non-decreasing' if d > 0 else 'non-increasing'}"
            for name, d in config.monotone_directions().items()
        ],
        augmentation=f"{rate:g}" if rate != 0 else "",
        test_rows=f"{int(metrics['test_rows']):,}",
        metric_rows=[
            _metric_row(
                "mlpay (this model)",
                {k.removeprefix("test_"): v for k, v in metrics.items() if k.startswith("test_")},
            ),
            *(
                _metric_row(f"baseline: {name.replace('_', ' ')}", scores)
                for name, scores in result.baselines.items()
            ),
        ],
        test_coverage=_percent(metrics["test_coverage"]),
        test_width=money(metrics["test_width_usd"]),
        test_collapsed=_percent(metrics["test_collapsed_share"]),
        breakdowns={
            column: [
                (
                    str(group),
                    f"{int(row['rows']):,}",
                    money(row["mae_usd"]),
                    _percent(row["mdape"]),
                    _percent(row["coverage"]),
                    money(row["width_usd"]),
                    _percent(row["collapsed_share"]),
                )
                for group, row in table.iterrows()
            ]
            for column, table in result.breakdowns.items()
        },
        importance=[
            (name, _percent(gain / total_gain))
            for name, gain in list(result.feature_importance.items())[:TOP_FEATURES]
        ],
        years=_year_list(tuple(sorted({y for r in reports for y in r.years}))),
        caveats=[  # in registration order: the same card every time
            entry.text(entry.model_card_caveat, years=_years(result, entry.name))
            for entry in registered_sources()
            if entry.name in sources and entry.model_card_caveat
        ],
    )


def _metric_row(label: str, scores: dict[str, float]) -> tuple[str, ...]:
    return (
        label,
        money(scores["mae_usd"]),
        _percent(scores["mdape"]),
        f"{scores['mae_log']:.3f}",
        f"{scores['r2_log']:.3f}",
    )


def _source_years(result: TrainResult, source: str) -> tuple[int, ...]:
    return tuple(sorted({y for r in result.data.reports if r.source == source for y in r.years}))


def _years(result: TrainResult, source: str) -> str:
    """The pay years of one source's files, as `_year_list` writes them."""
    reports = result.data.reports
    return _year_list(tuple(sorted({y for r in reports if r.source == source for y in r.years})))


def _year_list(years: tuple[int, ...]) -> str:
    """2019/2021 for a few years, 2020-2024 for a run of them."""
    if not years:
        return "unknown years"
    if len(years) <= 3:
        return "/".join(str(year) for year in years)
    return f"{years[0]}-{years[-1]}"


def _percent(value: float) -> str:
    """A share, unsigned: 0.8 -> "80.0%"."""
    return percent(value, signed=False)


def _year_ahead_text(year_ahead: dict[str, Any] | None) -> str:
    """The model card's sentence on the year-ahead adjustment ("" when not measured)."""
    if not year_ahead:
        return ""
    steps = year_ahead.get("step_years", {})
    held_out = ", ".join(
        f"{source} {year}"
        + (f" ({steps[source]} years after its previous)" if steps.get(source, 1) != 1 else "")
        for source, year in year_ahead["measured_on"].items()
    )
    return (
        f"pay drifts, so the interval widens by a further {year_ahead['adjustment']:+.4f} "
        f"(log scale). Measured on the latest year of each source that has an earlier one "
        f"({held_out}; {year_ahead['rows']:,} rows) predicted by boosters of the other rows, "
        "against as many rows drawn at random from all of the source's years (model-wide, on "
        f"the sources with the shortest step: adjustment {year_ahead['ahead_q']:+.4f} against "
        f"{year_ahead['in_time_q']:+.4f}), per year of the step from the previous year. "
        "Profiles at or before their population's latest pay year get the plain interval."
    )
