"""Scoring one chunk: the function both engines (local and dask) run on every piece of input.

A chunk is an Arrow table of input rows. The scoring columns are read from it, normalised to
canonical values (one call per distinct raw value, in `mlpay_model.normalise`), and predicted.
Rows that normalise cleanly come out with the input columns untouched plus the predictions;
the others come out as rejects with their 1-based row number and the reason.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mlpay_model.errors import DataError, clip
from mlpay_model.model.factors import factors_frame
from mlpay_model.model.features import MatrixBuffer
from mlpay_model.normalise import FrameCache, NormalisedFrame, normalise_frame
from mlpay_model.schema import (
    CONTEXT_COLUMNS,
    FACTOR_COLUMNS,
    PREDICTION_COLUMNS,
    SCORE_COLUMNS,
    is_missing,
)
from mlpay_model.scoring._readers import nan_as_written
from mlpay_model.scoring._summary import YEAR_DEFAULTED

if TYPE_CHECKING:
    from mlpay_model.model import SalaryModel

CONTRIBUTION_PREFIX: Final = "contrib_"
ROW_NUMBER: Final = "row_number"
REASON: Final = "reason"
FILE: Final = "file"
SCORING_COLUMNS: Final[tuple[str, ...]] = FACTOR_COLUMNS + CONTEXT_COLUMNS
SKILLS_DROPPED: Final = "skills dropped (no letter or digit in them)"
"""How the summary counts the scored rows whose skills lost a name such as an emoji."""
SOURCE: Final = "source"
"""The input column naming each row's source population (read by a pooled model)."""
POPULATION: Final = "population"
PAY_CONCEPT: Final = "pay_concept"
PAY_YEAR: Final = "pay_year"
PRICED_AS_COLUMNS: Final[tuple[str, ...]] = (POPULATION, PAY_CONCEPT, PAY_YEAR)
"""What every scored row's pay is, after pred_*: the source population it is priced as (a
pooled model: the row's `source`, the one chosen with --population, else the model's default;
a single-source model: its one source), that population's pay concept in words (the model's
`population_pay_texts`, from the source registry) and the pay year (the row's year, else its
population's latest; `SalaryModel.default_pay_years`)."""


@dataclass(frozen=True)
class ScoringPlan:
    """Everything a chunk needs besides its rows; small and picklable (sent to dask workers).

    `model` is what `load_model` takes (a shipped name or an absolute folder), never the
    loaded object: each process loads it once (`load_model` caches per folder).
    `canonical`: True when the scoring columns hold canonical values already (worked out by
    a reader of `mlpay_model.data.sources`), False when they hold what a file holds.
    `hidden_prefix`: when set, the scoring columns are `<prefix><field>` (canonical values
    travelling beside the user's own columns) and are left out of the output and rejects.
    """

    model: str
    contributions: bool = False
    canonical: bool = False
    hidden_prefix: str = ""
    population: str | None = None
    """The population every row is priced as (--population; checked against the model's);
    None: a pooled model reads each row's `source` (missing: its default population)."""


@dataclass
class ChunkResult:
    scored: pa.Table
    rejects: pa.Table  # row_number, reason, then the input columns
    reasons: Counter[str]  # rejected rows per field
    missing: Counter[str] = field(default_factory=Counter)  # scored rows with a field unknown
    populations: Counter[str] = field(default_factory=Counter)  # scored rows per population
    other_roles: int = 0  # scored rows whose role was read as family "other"
    unknown_skills: Counter[str] = field(default_factory=Counter)  # word -> scored rows
    unknown_skill_rows: int = 0  # scored rows listing at least one word of unknown_skills


def score_chunk(
    table: pa.Table,
    first_row: int,
    model: SalaryModel,
    plan: ScoringPlan,
    cache: FrameCache | None = None,
    buffer: MatrixBuffer | None = None,
) -> ChunkResult:
    """Score the rows of `table`; `first_row` is the 1-based data row number of its first row.

    Pass the same `cache` for every chunk of a run (it remembers distinct values) and the
    same `buffer` (the feature matrix, reused): one of each per thread.
    """
    normalised = _normalise(table, plan, cache if cache is not None else FrameCache(), model)
    normalised = _with_populations(normalised, table, plan, model)
    if plan.hidden_prefix:
        hidden = [name for name in table.column_names if name.startswith(plan.hidden_prefix)]
        table = table.drop_columns(hidden)
    accepted = np.zeros(table.num_rows, dtype=bool)
    accepted[normalised.profiles.index.to_numpy(dtype=np.int64)] = True
    scored = table.filter(pa.array(accepted))
    predictions = _predictions(model, normalised.profiles, plan.contributions, buffer)
    for name, values in predictions.items():
        if not isinstance(values, pa.Array):
            values = pa.array(values, pa.float64())
        scored = scored.append_column(name, values)
    rejected = normalised.rejected
    positions = rejected["row"].to_numpy(dtype=np.int64)
    order = np.argsort(positions, kind="stable")
    reasons = [_reason_text(row) for row in rejected.itertuples(index=False)]
    rejects = _rejects_table(
        table.take(pa.array(positions[order])),
        row_numbers=positions[order] + first_row,
        reasons=[reasons[i] for i in order],
    )
    profiles = normalised.profiles
    missing = missing_counts(
        profiles, _given_fields(table, plan), model, skills_dropped=normalised.skills_dropped
    )
    words, word_rows = unknown_skill_words(profiles, model)
    return ChunkResult(
        scored,
        rejects,
        Counter(rejected["field"].tolist()),
        missing,
        populations=_value_counts(scored.column(POPULATION)),
        other_roles=int((profiles["role"] == "other").sum()) if "role" in profiles else 0,
        unknown_skills=words,
        unknown_skill_rows=word_rows,
    )


def _value_counts(column: pa.ChunkedArray) -> Counter[str]:
    """Rows per value of a text column, in order of first appearance."""
    counts = pc.value_counts(column).to_pylist()
    return Counter({entry["values"]: entry["counts"] for entry in counts})


def unknown_skill_words(profiles: pd.DataFrame, model: SalaryModel) -> tuple[Counter[str], int]:
    """Per skill word not in the model's vocabulary, the rows that list it, and the rows that
    list any (no skill feature reads them); nothing when the model does not read skills."""
    words: Counter[str] = Counter()
    if not model.uses("skills") or "skills" not in profiles:
        return words, 0
    vocabulary = set(model.skills)
    with_unknown = 0
    codes, distinct = pd.factorize(profiles["skills"], use_na_sentinel=False)  # lists repeat
    for skills, rows in zip(
        distinct, np.bincount(codes, minlength=len(distinct)).tolist(), strict=True
    ):
        unknown = [word for word in skills if word not in vocabulary]
        for word in unknown:
            words[word] += rows
        with_unknown += rows if unknown else 0
    return words, with_unknown


def priced_as(model: SalaryModel, profiles: pd.DataFrame) -> dict[str, pa.Array]:
    """PRICED_AS_COLUMNS of profiles as the model prices them (`_with_populations` put a
    pooled model's population in `source`): the population; its pay concept in the row's pay
    year (the registry's `DataSource.pay_text_for`: Stack Overflow's 2017 pay is base salary,
    its later pay total compensation; the model's `population_pay_texts` for a source the
    registry does not know); the pay year. The year of a model without a year feature is its
    population's latest (it prices its data's years as one, as `predict_salary` states)."""
    if model.uses("source"):
        populations = profiles["source"].to_numpy(dtype=object)
    else:
        populations = np.full(len(profiles), model.default_population, dtype=object)
    years_of = profiles if model.uses("year") else profiles.drop(columns="year", errors="ignore")
    years = model.default_pay_years(years_of).to_numpy(dtype=np.float64)
    known = ~np.isnan(years)
    year_values = np.where(known, years, 0).astype(np.int64)
    # Rows repeat a few (population, pay year) pairs: each pair's text is worked out once.
    population_codes, names = pd.factorize(populations)
    year_codes, year_keys = pd.factorize(np.where(known, year_values, -1))
    pairs, pair_codes = np.unique(
        population_codes.astype(np.int64) * len(year_keys) + year_codes, return_inverse=True
    )
    texts = [
        _pay_text(
            model, str(names[pair // len(year_keys)]), _known_year(year_keys[pair % len(year_keys)])
        )
        for pair in pairs.tolist()
    ]
    return {
        POPULATION: _text_column(population_codes, [str(name) for name in names]),
        PAY_CONCEPT: _text_column(pair_codes, texts),
        PAY_YEAR: pa.array(year_values, pa.int64(), mask=~known),
    }


def _known_year(key: int) -> int | None:
    return None if key < 0 else int(key)


def _text_column(codes: np.ndarray, texts: list[str]) -> pa.Array:
    """The text column whose row i is texts[codes[i]] (null where the code is -1)."""
    codes = np.asarray(codes, dtype=np.int32)
    indices = pa.array(codes, mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(texts, pa.large_string())).cast(
        pa.large_string()
    )


def _pay_text(model: SalaryModel, population: str, year: int | None) -> str:
    """What the pay of `population` in `year` is, in words (see `priced_as`)."""
    from mlpay_model.data.sources.registry import find_source

    source = find_source(population)
    if source is not None and year is not None:
        return source.pay_text_for((year,))
    return model.population_pay_texts.get(population, model.pay_text)


def _with_populations(
    normalised: NormalisedFrame, table: pa.Table, plan: ScoringPlan, model: SalaryModel
) -> NormalisedFrame:
    """For a pooled model, each accepted row's population in `source`: --population when
    given, else the row's `source` (case and spaces aside), else the model's default. A
    source the model did not learn rejects its row (once, if another field has not already)."""
    if not model.uses("source"):
        return normalised
    profiles = normalised.profiles
    if plan.population is not None:
        return dataclasses.replace(normalised, profiles=profiles.assign(source=plan.population))
    column = plan.hidden_prefix + SOURCE
    if column not in table.column_names:
        return dataclasses.replace(
            normalised, profiles=profiles.assign(source=model.default_population)
        )
    _check_column_type(table.schema.field(column).type, SOURCE)
    positions = profiles.index.to_numpy(dtype=np.int64)
    given = table.column(column).take(pa.array(positions)).to_pylist()
    known = {name.casefold(): name for name in model.populations}
    chosen: list[str | None] = []
    for value in given:
        text = "" if is_missing(value) else str(value).strip()
        chosen.append(known.get(text.casefold()) if text else model.default_population)
    unknown = [i for i, name in enumerate(chosen) if name is None]
    if not unknown:
        return dataclasses.replace(
            normalised, profiles=profiles.assign(source=list(map(str, chosen)))
        )
    reason = (
        f"not a population model {model.name} learned; expected one of "
        f"{', '.join(model.populations)}, or empty for its default "
        f"{model.default_population} (or choose one for every row with --population)"
    )
    refused = pd.DataFrame(
        {
            "row": positions[unknown],
            "field": SOURCE,
            "value": [given[i] for i in unknown],
            "reason": reason,
        }
    )
    keep = np.ones(len(profiles), dtype=bool)
    keep[unknown] = False
    accepted = [name for name in chosen if name is not None]
    return dataclasses.replace(
        normalised,
        profiles=profiles[keep].assign(source=accepted),
        rejected=pd.concat([normalised.rejected, refused], ignore_index=True),
    )


def missing_counts(
    profiles: pd.DataFrame,
    given: Iterable[str],
    model: SalaryModel,
    *,
    skills_dropped: pd.Index | None = None,
) -> Counter[str]:
    """Scored rows per field whose value is missing (an empty cell, NaN, null), for the
    columns the input has and the model reads (years_experience also when the model derives
    the seniority from it): they are scored as unknown, and the summary says how many.
    Also, under SKILLS_DROPPED, the scored rows whose skills held a name with no letter or
    digit (`skills_dropped`, row labels), read as no skill (a row left with none is counted
    under skills as well), when the model reads skills. Rows without a year, for a model that
    reads it, are counted under YEAR_DEFAULTED + the year they were priced at (whether or not
    the input has a year column), not as unknown (unless the model records no pay years)."""
    counts: Counter[str] = Counter()
    given = list(given)
    if model.uses("year"):
        given_years = profiles["year"] if "year" in profiles else pd.Series(np.nan, profiles.index)
        absent = given_years.isna().to_numpy()
        if absent.any():
            years = model.default_pay_years(profiles[absent].assign(year=np.nan))
            for year, rows in zip(*np.unique(years.dropna(), return_counts=True), strict=True):
                counts[f"{YEAR_DEFAULTED}{int(year)}"] = int(rows)
            unknown_years = int(years.isna().sum())  # a model that records no pay years
            if unknown_years and "year" in given:
                counts["year"] = unknown_years
    if skills_dropped is not None and len(skills_dropped) and model.uses("skills"):
        dropped = int(profiles.index.isin(skills_dropped).sum())
        if dropped:
            counts[SKILLS_DROPPED] = dropped
    for name in given:
        read = model.uses(name) or (
            name == "years_experience" and model.derives_seniority_from_years
        )
        if not read or name in ("role", "country", "year") or name not in profiles:
            continue
        column = profiles[name]
        if name == "skills":
            lengths = np.fromiter(map(len, column), np.int64, len(column))
            unknown = int(np.count_nonzero(lengths == 0))
        else:
            unknown = int(column.isna().sum())
        if unknown:
            counts[name] = unknown
    return counts


def _given_fields(table: pa.Table, plan: ScoringPlan) -> list[str]:
    names = set(table.column_names)
    return [name for name in SCORING_COLUMNS if plan.hidden_prefix + name in names]


def _rejects_table(rows: pa.Table, *, row_numbers: np.ndarray, reasons: list[str]) -> pa.Table:
    """`row_number` and `reason` followed by the input columns (renamed `input_<name>` if
    an input column is itself called row_number or reason)."""
    renamed = [
        f"input_{name}" if name in (ROW_NUMBER, REASON) else name for name in rows.column_names
    ]
    rows = rows.rename_columns(renamed)
    rows = rows.add_column(0, REASON, pa.array(reasons, pa.large_string()))
    return rows.add_column(0, ROW_NUMBER, pa.array(row_numbers, pa.int64()))


def _normalise(
    table: pa.Table, plan: ScoringPlan, cache: FrameCache, model: SalaryModel
) -> NormalisedFrame:
    """The scoring columns of `table` as canonical profiles (index = row position)."""
    frame = _scoring_frame(table, plan, model)
    normalised = normalise_frame(frame, cache=cache)
    if plan.canonical:
        normalised = _with_raw_values(normalised, table, plan.hidden_prefix)
    return normalised


def _scoring_frame(table: pa.Table, plan: ScoringPlan, model: SalaryModel) -> pd.DataFrame:
    prefix = plan.hidden_prefix
    sources = {
        prefix + name: name
        for name in SCORING_COLUMNS
        if prefix + name in table.column_names
        and not _unused_skills_text(table, prefix + name, name, model)
    }
    for column, name in sources.items():
        _check_column_type(table.schema.field(column).type, name)
    frame = table.select(list(sources)).to_pandas().rename(columns=sources)
    frame.index = pd.RangeIndex(table.num_rows)
    return nan_as_written(frame, table, sources)


def _check_column_type(kind: pa.DataType, name: str) -> None:
    """Refuse a column whose Arrow type cannot hold a profile value: nested types (struct,
    map, union, lists), except a list of text for skills."""
    if not pa.types.is_nested(kind):
        return
    if name == "skills" and (pa.types.is_list(kind) or pa.types.is_large_list(kind)):
        value = kind.value_type
        if pa.types.is_string(value) or pa.types.is_large_string(value) or pa.types.is_null(value):
            return
    accepted = "text or a list of text" if name == "skills" else "text or numbers"
    raise DataError(f"column {name!r} has the type {clip(str(kind))}; it must hold {accepted}")


def _unused_skills_text(table: pa.Table, column: str, name: str, model: SalaryModel) -> bool:
    """True for a skills column of text that the model does not read. A text always makes a
    valid skills list (never a reject), so normalising it (a third of the scoring time on a
    CSV) would change nothing in the output; lists (Parquet) can be rejected and are kept."""
    kind = table.schema.field(column).type
    is_text = pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)
    return name == "skills" and is_text and not model.uses("skills")


def _with_raw_values(normalised: NormalisedFrame, table: pa.Table, prefix: str) -> NormalisedFrame:
    """For input read by a publisher's reader, name the value as the file wrote it.

    Those readers turn what they cannot recognise into a missing canonical value and keep the
    text in `<field>_raw` (country_raw, role_raw): that text is what the user needs to see.
    """
    rejected = normalised.rejected.copy()
    for field_name in rejected["field"].unique():
        raw_column = f"{prefix}{field_name}_raw"
        if raw_column not in table.column_names:
            continue
        selected = (rejected["field"] == field_name) & rejected["value"].isna()
        positions = rejected.loc[selected, "row"].to_numpy(dtype=np.int64)
        raw = table.column(raw_column).take(pa.array(positions)).to_pylist()
        known = [value is not None for value in raw]
        targets = rejected.index[selected][known]
        rejected.loc[targets, "value"] = [value for value in raw if value is not None]
        rejected.loc[targets, "reason"] = "not recognised"
    return dataclasses.replace(normalised, rejected=rejected)


def _predictions(
    model: SalaryModel,
    profiles: pd.DataFrame,
    contributions: bool,
    buffer: MatrixBuffer | None,
) -> dict[str, np.ndarray | pa.Array]:
    predicted = dict(
        zip(PREDICTION_COLUMNS, model.predict_normalised(profiles, buffer=buffer), strict=True)
    )
    columns: dict[str, np.ndarray | pa.Array] = {
        column: predicted[name] for name, column in SCORE_COLUMNS.items()
    }
    columns.update(priced_as(model, profiles))
    if contributions:
        factors = factors_frame(model, profiles)
        for name in factors.columns:
            columns[CONTRIBUTION_PREFIX + name] = factors[name].to_numpy(dtype=np.float64)
    return columns


def _reason_text(row: Any) -> str:
    """'country='Atlantis': unknown country', or 'country: is required but missing'."""
    value = row.value
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if is_missing(value):
        return f"{row.field}: {row.reason}"
    return f"{row.field}={clip(repr(value))}: {row.reason}"
