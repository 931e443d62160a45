"""What a scoring run did: rows read, scored and rejected, and where the files are."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

YEAR_DEFAULTED: Final = "year defaulted to "
"""The `missing_by_field` key (+ the year) of scored rows without a year, priced at the
latest pay year of their population (`SalaryModel.default_pay_years`), not as unknown."""

UNKNOWN_SKILLS_SHOWN: Final = 3
"""The unknown skill words the summary line names (the most listed), then "N more"."""


@dataclass(frozen=True)
class ScoreSummary:
    """The outcome of `score_file`. Always `rows_read == rows_scored + rows_rejected`."""

    rows_read: int
    rows_scored: int
    rows_rejected: int
    output: Path
    rejects: Path
    rejected_by_field: dict[str, int] = field(default_factory=dict)
    missing_by_field: dict[str, int] = field(default_factory=dict)
    """Scored rows per field whose value was missing, scored as unknown (`missing_counts`)."""
    rows_by_population: dict[str, int] = field(default_factory=dict)
    """Scored rows per source population they were priced as (the `population` column)."""
    roles_read_as_other: int = 0
    """Scored rows whose role was read as the family "other" (no known job title)."""
    unknown_skills: dict[str, int] = field(default_factory=dict)
    """Per skill word not in the model's vocabulary, the scored rows listing it."""
    unknown_skill_rows: int = 0
    """Scored rows listing at least one such word."""

    def __post_init__(self) -> None:
        if self.rows_read != self.rows_scored + self.rows_rejected:
            raise AssertionError(
                f"rows read {self.rows_read} != scored {self.rows_scored} "
                f"+ rejected {self.rows_rejected}: a scoring bug, please report it"
            )

    def render(self) -> str:
        """One line for the terminal."""
        line = (
            f"rows read {self.rows_read:,}, scored {self.rows_scored:,}, "
            f"rejected {self.rows_rejected:,}"
        )
        if self.rejected_by_field:
            by_field = ", ".join(
                f"{name} {count:,}" for name, count in Counter(self.rejected_by_field).most_common()
            )
            line += f" ({by_field})"
        unknown = {
            name: count
            for name, count in self.missing_by_field.items()
            if not name.startswith(YEAR_DEFAULTED)
        }
        if unknown:
            missing = ", ".join(
                f"{name} {count:,}" for name, count in Counter(unknown).most_common()
            )
            line += f"; scored with a missing value (as unknown): {missing}"
        defaulted = sorted(
            (name.removeprefix(YEAR_DEFAULTED), count)
            for name, count in self.missing_by_field.items()
            if name.startswith(YEAR_DEFAULTED)
        )
        if defaulted:
            years = ", ".join(f"{year} ({count:,} rows)" for year, count in defaulted)
            line += f"; rows without a year priced at the latest pay year of the data: {years}"
        if self.rows_by_population:
            priced = ", ".join(
                f"{name} {count:,}"
                for name, count in Counter(self.rows_by_population).most_common()
            )
            line += f"; priced as population: {priced}"
        if self.roles_read_as_other:
            line += f"; role read as 'other' (family unknown): {self.roles_read_as_other:,}"
        if self.unknown_skills:
            top = Counter(self.unknown_skills).most_common(UNKNOWN_SKILLS_SHOWN)
            words = ", ".join(f"{word} {count:,}" for word, count in top)
            more = len(self.unknown_skills) - len(top)
            words += f", {more:,} more" if more > 0 else ""
            line += (
                f"; skill words not in the model's vocabulary: {words} "
                f"(in {self.unknown_skill_rows:,} row{'' if self.unknown_skill_rows == 1 else 's'})"
            )
        line += f"; output {self.output}"
        if self.rows_rejected:
            line += f"; rejects {self.rejects}"
        return line
