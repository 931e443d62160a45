"""What reading a source gives: the rows with valid values, and the rows refused, by number."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mlpay_model.errors import MlpayWarning

if TYPE_CHECKING:
    import pandas as pd

REJECT_COLUMNS: Final = ("row_number", "field", "column", "value", "reason")
WARNED_ROWS: Final = 5  # row numbers a warning about refused rows names
INVALID_VALUE_RULE: Final = "invalid_value"
"""How summaries and training reports count rows refused for a value no rule can read."""


class RejectedRowsWarning(MlpayWarning):
    """Rows of a file were refused for invalid values (`load_profiles` says how many)."""


@dataclass(frozen=True)
class SourceRows:
    """`profiles`: a canonical profile frame (`row_number` the 1-based data row).

    `rejected`: for a file read through a column mapping, one row per data row refused for
    a cell the normaliser cannot read, columns REJECT_COLUMNS (field, the file's column, the
    value as written, why), by row number. None for a publisher adapter, which keeps every
    row (its quality rules decide later what to drop, and count it).
    """

    profiles: pd.DataFrame
    rejected: pd.DataFrame | None = None

    @property
    def refused(self) -> int:
        return 0 if self.rejected is None else len(self.rejected)

    @property
    def rows_read(self) -> int:
        return len(self.profiles) + self.refused

    def dropped(self, by_rule: dict[str, int]) -> dict[str, int]:
        """`by_rule` (the quality rules' counts), after the refused rows when there can be any."""
        if self.rejected is None:
            return dict(by_rule)
        return {INVALID_VALUE_RULE: self.refused, **by_rule}


def no_rejects() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=list(REJECT_COLUMNS))


def rejects_message(path: Path, mapped: SourceRows) -> str:
    """One line on the rejected rows of a mapped file, naming the first few."""
    rejected = mapped.rejected if mapped.rejected is not None else no_rejects()
    first = "; ".join(
        f"row {row.row_number}: {row.column}={row.value!r} ({row.field}) {row.reason}"
        for row in rejected.head(WARNED_ROWS).itertuples(index=False)
    )
    more = ", ..." if len(rejected) > WARNED_ROWS else ""
    return (
        f"{path}: {len(rejected)} of {mapped.rows_read} row(s) kept out for invalid values "
        f"({first}{more})"
    )
