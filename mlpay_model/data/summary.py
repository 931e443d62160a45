"""What a data source gives the model: row counts, drops per rule, factor coverage, unknowns.

`summarize(rows, result)` returns a JSON-ready dict; `render_summary` turns it into text.
Coverage and role counts are over the rows KEPT by the quality rules (what a model learns from);
country_iso_share, unknown_titles and unknown_countries are over every row READ (they measure
the taxonomy, whatever the quality rules later drop).
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd

from mlpay_model.data.quality import QualityResult
from mlpay_model.data.sources._rows import SourceRows
from mlpay_model.schema import CONTEXT_COLUMNS, FACTOR_COLUMNS, present
from mlpay_model.taxonomy import is_country_answer

__all__ = ["present", "render_summary", "summarize"]

TOP_UNKNOWN_TITLES: Final = 20
TOP_UNKNOWN_COUNTRIES_SHOWN: Final = 20  # in the text report; the dict has all
SHARE_DIGITS: Final = 4


def summarize(rows: SourceRows, result: QualityResult) -> dict[str, Any]:
    """Counts and shares describing a file read (`rows`) and `result` (the quality rules).

    Rows refused for invalid values (a file read through a column mapping) count as read and
    as dropped under `invalid_value`.
    """
    profiles = rows.profiles
    kept = result.kept
    unknown_roles = profiles[(profiles["role"] == "other") & profiles["role_raw"].notna()]
    # "Other" / "prefer not to say" name no country: they are not counted against the mapping.
    has_raw_country = profiles["country_raw"].map(is_country_answer).astype(bool)
    unmapped_countries = profiles[has_raw_country & profiles["country"].isna()]
    return {
        "source": ", ".join(sorted(str(s) for s in profiles["source"].dropna().unique())),
        "rows_read": rows.rows_read,
        "rows_kept": len(kept),
        "dropped": rows.dropped(result.dropped),
        "flagged": dict(result.flagged),
        "coverage": {
            column: _share(present(kept, column).sum(), len(kept))
            for column in (*FACTOR_COLUMNS, *CONTEXT_COLUMNS)
        },
        "country_iso_share": _share(
            (has_raw_country & profiles["country"].notna()).sum(), has_raw_country.sum()
        ),
        "roles": _counts(kept["role"]),
        "unknown_titles": dict(
            list(_counts(unknown_roles["role_raw"]).items())[:TOP_UNKNOWN_TITLES]
        ),
        "unknown_countries": _counts(unmapped_countries["country_raw"]),
    }


def render_summary(summary: dict[str, Any]) -> str:
    """The summary as a plain-text report."""
    lines = [
        f"source: {summary['source']}",
        f"rows read: {summary['rows_read']:,}",
        f"rows kept: {summary['rows_kept']:,}",
        "",
        "dropped (each row under the first rule that drops it):",
        *_table(summary["dropped"]),
        "flagged (informational, rows kept):",
        *_table(summary["flagged"]),
        "",
        "coverage (share of kept rows with the value present):",
        *_table({name: f"{share:.1%}" for name, share in summary["coverage"].items()}),
        f"country mapped to ISO code: {summary['country_iso_share']:.1%} of rows with a country",
        "",
        "roles (kept rows):",
        *_table(summary["roles"]),
        f"unknown titles (rows read, top {TOP_UNKNOWN_TITLES}, mapped to 'other'):",
        *_table(summary["unknown_titles"]),
        "unknown countries (rows read, no ISO code):",
        *_table(_top(summary["unknown_countries"], TOP_UNKNOWN_COUNTRIES_SHOWN)),
    ]
    return "\n".join(lines)


def _top(counts: dict[str, int], n: int) -> dict[str, Any]:
    """The first n entries, and one line saying how many more there are."""
    if len(counts) <= n:
        return counts
    shown: dict[str, Any] = dict(list(counts.items())[:n])
    rest = list(counts.values())[n:]
    shown[f"... {len(rest)} more"] = sum(rest)
    return shown


def _table(values: dict[str, Any]) -> list[str]:
    if not values:
        return ["  (none)"]
    width = max(len(str(name)) for name in values)
    return [
        f"  {name!s:<{width}}  {value:>8,}"
        if isinstance(value, int)
        else f"  {name!s:<{width}}  {value!s:>8}"
        for name, value in values.items()
    ]


def _counts(values: pd.Series) -> dict[str, int]:
    counts = values.dropna().astype(str).value_counts(sort=False)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {str(name): int(count) for name, count in ordered}


def _share(part: float, whole: float) -> float:
    return round(float(part) / whole, SHARE_DIGITS) if whole else 0.0
