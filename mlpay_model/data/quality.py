"""Quality rules: which canonical profiles are fit to learn pay from, with every drop counted.

`apply_quality_rules(frame, rules)` runs the rules below in order. A row is counted under the
FIRST rule that drops it, so `rows_kept + sum(dropped.values()) == rows_read` always holds and
nothing is dropped silently.

1. no_pay           no exact pay and no pay band: nothing to learn from.
2. <status>         one rule per status in `dropped_statuses` (default not_employed, student,
                    retired): their answers are not a current full-time salary.
3. employment_type  a known employment type outside `kept_employment_types`. Default keeps
                    full_time and contract (contract pay is quoted as an annual equivalent);
                    part_time pay is not a full-time year and freelance income is not a salary.
                    Rows whose source does not say (Kaggle, most Stack Overflow years) are kept.
4. implausible_pay  pay outside [min_pay_usd, max_pay_usd): a band counts as implausible when its
                    upper edge is below the minimum or its lower edge is at or above the maximum.
                    Per-source minimums (`QualityRules.for_source`, from each source's
                    `min_pay_usd` in `data.sources.registry`): aijobs 10,000 USD (a job-board
                    index of professional roles; its lowest row is 15,000); surveys 1,000 USD
                    (under about 85 USD a month is not a full-time salary in any surveyed country:
                    such answers are interns, monthly amounts typed as yearly, or jokes; for
                    Kaggle this drops the "$0-999" band). The 1,000,000 USD maximum drops
                    Kaggle's open ">$1,000,000" band and Stack Overflow's joke salaries, which
                    a handful of rows would otherwise let dominate a cell.
5. outlier          |log pay - median log pay of its cell| > outlier_robust_sds robust SDs
                    (1.4826 x median absolute deviation, floored at outlier_min_log_sd). The cell
                    is the row's role x country if that cell has at least outlier_min_cell_rows
                    rows still kept, else its country if that has enough; rows with no country
                    are compared with all rows. A row of a country with too few rows is not
                    judged (kept): pooled with other countries (aijobs is 90 % US) normal local
                    pay would look extreme. A band's pay is its geometric midpoint (half the
                    upper edge for a band starting at 0).
6. exact_duplicate  only when `drop_exact_duplicates`: a row identical to an earlier kept row in
                    every profile column but `row_number`. Off by default: aijobs publishes
                    repeated submissions as identical rows (about half its file), they are real
                    reports, and dropping them would reweight the data towards rare profiles.
                    They are counted in `flagged["exact_duplicate"]` instead; a train/test split
                    must then keep identical rows on the same side, or the test set leaks.

`flagged` is informational (rows kept): exact_duplicate, and unknown_employment_status (kept
rows whose source did not say whether the person is employed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from mlpay_model.data.sources.registry import get_source
from mlpay_model.errors import ConfigError, did_you_mean
from mlpay_model.schema import EMPLOYMENT_STATUSES, EMPLOYMENT_TYPES, has_pay, target_interval

ROBUST_SD_PER_MAD: Final = 1.4826  # MAD x this = SD for normally distributed data
ONE_MILLION: Final = 1_000_000.0


@dataclass(frozen=True)
class QualityRules:
    """Settings of the quality rules (see the module docstring for what each rule does)."""

    dropped_statuses: tuple[str, ...] = ("not_employed", "student", "retired")
    kept_employment_types: tuple[str, ...] = ("full_time", "contract")
    min_pay_usd: float = 1_000.0
    max_pay_usd: float = ONE_MILLION
    drop_outliers: bool = True
    outlier_robust_sds: float = 4.0
    outlier_min_cell_rows: int = 30
    outlier_min_log_sd: float = 0.1
    drop_exact_duplicates: bool = False

    def __post_init__(self) -> None:
        # YAML gives lists; the dataclass is frozen and hashable, so store tuples.
        for name in ("dropped_statuses", "kept_employment_types"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        _check_values("dropped_statuses", self.dropped_statuses, EMPLOYMENT_STATUSES)
        _check_values("kept_employment_types", self.kept_employment_types, EMPLOYMENT_TYPES)
        if not 0 <= self.min_pay_usd < self.max_pay_usd:
            raise ConfigError(
                f"quality rules: min_pay_usd={self.min_pay_usd} and max_pay_usd="
                f"{self.max_pay_usd}; expected 0 <= min_pay_usd < max_pay_usd"
            )
        for name in ("outlier_robust_sds", "outlier_min_log_sd"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and value > 0 and math.isfinite(value)):
                raise ConfigError(f"quality rules: {name}={value!r}; expected a number > 0")
        if not isinstance(self.outlier_min_cell_rows, int) or self.outlier_min_cell_rows < 1:
            raise ConfigError(
                f"quality rules: outlier_min_cell_rows={self.outlier_min_cell_rows!r}; "
                "expected a whole number >= 1"
            )

    @classmethod
    def for_source(cls, source: str) -> QualityRules:
        """The default rules for a registered source's output (its `min_pay_usd`)."""
        try:
            entry = get_source(source)
        except ConfigError as error:
            raise ConfigError(f"quality rules: {error}") from None
        return cls(min_pay_usd=entry.min_pay_usd)

    def rule_names(self) -> tuple[str, ...]:
        """The enabled rules, in the order they run (the keys of `QualityResult.dropped`)."""
        names = ["no_pay", *self.dropped_statuses, "employment_type", "implausible_pay"]
        if self.drop_outliers:
            names.append("outlier")
        if self.drop_exact_duplicates:
            names.append("exact_duplicate")
        return tuple(names)


@dataclass(frozen=True)
class QualityResult:
    """The rows kept, and how many each rule dropped (each row under its first rule)."""

    kept: pd.DataFrame
    dropped: dict[str, int]
    flagged: dict[str, int]
    reasons: pd.Series = field(repr=False)  # per input row: the rule that dropped it, or None

    @property
    def rows_read(self) -> int:
        return len(self.reasons)

    @property
    def rows_kept(self) -> int:
        return len(self.kept)


def apply_quality_rules(frame: pd.DataFrame, rules: QualityRules) -> QualityResult:
    """Apply `rules` to a canonical profile frame; every row ends up kept or counted.

    `kept` keeps the input's index; `reasons` is aligned with the input rows.
    """
    original_index = frame.index
    frame = frame.reset_index(drop=True)  # rules below work on positions
    reasons = pd.Series(None, index=frame.index, dtype=object)
    low, high = target_interval(frame)

    def drop(rule: str, mask: pd.Series | np.ndarray) -> None:
        newly = reasons.isna() & np.asarray(mask, dtype=bool)
        reasons[newly] = rule

    drop("no_pay", ~has_pay(frame))
    for status in rules.dropped_statuses:
        drop(status, frame["employment_status"] == status)
    employment_type = frame["employment_type"]
    drop(
        "employment_type",
        employment_type.notna() & ~employment_type.isin(rules.kept_employment_types),
    )
    with np.errstate(invalid="ignore"):
        drop("implausible_pay", (high < rules.min_pay_usd) | (low >= rules.max_pay_usd))
    if rules.drop_outliers:
        drop("outlier", _outliers(frame, reasons.isna(), rules))
    duplicates = _repeats(frame, reasons.isna())
    if rules.drop_exact_duplicates:
        drop("exact_duplicate", duplicates)

    kept_mask = reasons.isna()
    reasons = reasons.astype(object).where(~kept_mask, None)
    dropped = {rule: int((reasons == rule).sum()) for rule in rules.rule_names()}
    flagged = {
        "exact_duplicate": int(duplicates.sum()),
        "unknown_employment_status": int(
            (kept_mask & (frame["employment_status"] == "unknown")).sum()
        ),
    }
    kept = frame[kept_mask.to_numpy()].set_axis(original_index[kept_mask.to_numpy()])
    return QualityResult(
        kept=kept, dropped=dropped, flagged=flagged, reasons=reasons.set_axis(original_index)
    )


def pay_point(frame: pd.DataFrame) -> np.ndarray:
    """One pay figure per row: the exact pay, or a band's geometric midpoint; NaN if none."""
    low, high = target_interval(frame)
    with np.errstate(invalid="ignore"):
        return np.where(low > 0, np.sqrt(low * high), high / 2)


def _outliers(frame: pd.DataFrame, candidates: pd.Series, rules: QualityRules) -> pd.Series:
    """Candidate rows whose log pay is far from their cell's median (see module docstring)."""
    rows = frame.loc[candidates.to_numpy(), ["role", "country"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pay = pd.Series(np.log(pay_point(frame)), index=frame.index)[rows.index]
    everyone = pd.Series(0, index=rows.index)
    known_country = rows["country"].notna()
    levels = (
        ([rows["role"], rows["country"]], known_country),
        ([rows["country"]], known_country),
        ([everyone], ~known_country),
    )
    median = pd.Series(np.nan, index=rows.index)
    spread = pd.Series(np.nan, index=rows.index)
    for keys, eligible in levels:
        cell_median, cell_spread, cell_rows = _cell_stats(log_pay, keys)
        usable = median.isna() & eligible & (cell_rows >= rules.outlier_min_cell_rows)
        median[usable] = cell_median[usable]
        spread[usable] = cell_spread[usable]
    # Rows left without a cell (a rare country) are not judged: comparing them with a pool
    # dominated by other countries would drop normal local pay as "outliers".
    spread = spread.clip(lower=rules.outlier_min_log_sd)
    far = (log_pay - median).abs() > rules.outlier_robust_sds * spread
    return far.reindex(frame.index, fill_value=False)


def _cell_stats(
    log_pay: pd.Series, keys: list[pd.Series]
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per row: its cell's median log pay, robust SD and row count (NaN for missing keys)."""
    median = log_pay.groupby(keys, dropna=True).transform("median")
    deviation = (log_pay - median).abs()
    mad = deviation.groupby(keys, dropna=True).transform("median")
    count = log_pay.groupby(keys, dropna=True).transform("size")
    return median, ROBUST_SD_PER_MAD * mad, count.fillna(0)


def _repeats(frame: pd.DataFrame, candidates: pd.Series) -> pd.Series:
    """Candidate rows identical to an earlier candidate in every column but row_number."""
    rows = frame.loc[candidates.to_numpy()].drop(columns=["row_number"])
    repeats = rows.duplicated(keep="first")
    return repeats.reindex(frame.index, fill_value=False)


def _check_values(name: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    for value in values:
        if value not in allowed:
            raise ConfigError(
                f"quality rules: {name} has {value!r}{did_you_mean(str(value), allowed)}; "
                f"expected values from {', '.join(allowed)}"
            )
