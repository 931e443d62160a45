"""The one list of data sources: each declared once, everything else reads it from here.

A `DataSource` entry says how a source is read (its adapter), what its pay figure means, the
quality rules' minimum plausible pay, its licence and attribution, the caveats the model card
and the report print, and the shipped model trained on it. The CLI choice lists, the quality
rules, the training config, the model card and the report all take sources from `sources()`.

Adding a source is one adapter module (a function `load(path) -> canonical profile frame`,
built with `mlpay_model.schema.conform`) and one `register_source(DataSource(...))` call.
The adapter may be given as the function itself or as "package.module:function" (imported on
first use, so that reading this registry stays cheap: `mlpay --help` builds its choice lists
from it).

This module imports nothing heavy (no pandas), and nothing above the data layer.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from mlpay_model.errors import ConfigError, DataError, did_you_mean

PayConcept = Literal["base_salary", "total_compensation", "yearly_compensation_band"]
PAY_CONCEPTS: Final[tuple[str, ...]] = get_args(PayConcept)
PAY_CONCEPT_TEXT: Final[dict[str, str]] = {
    "base_salary": "base salary",
    "total_compensation": "total compensation",
    "yearly_compensation_band": "yearly compensation band",
}
DEFAULT_MIN_PAY_USD: Final = 1_000.0

Loader = Callable[..., Any]  # (path) or, for a source that needs a mapping, (path, mapping)


class UnknownSourceError(ConfigError, DataError):
    """A source name that is not registered (a config error and a data error alike)."""


@dataclass(frozen=True)
class DataSource:
    """One data source, declared once.

    Text fields may hold `{years}` (the pay years of the rows used, e.g. "2019/2021").
    `report_caveat` may also hold the report's facts: {rows}, {respondents}, {duplicates},
    {ml_engineer_rows_by_year}.
    """

    name: str  # the adapter name in configs, `--source` and the `source` column
    adapter: Loader | str  # the loader, or "package.module:function"
    label: str  # human name ("aijobs.net")
    pay_concept: PayConcept | None  # what the pay figure is; None: whatever a mapping says
    licence: str  # the model card's licence line
    attribution: str  # the report's licence and attribution clause
    min_pay_usd: float = DEFAULT_MIN_PAY_USD  # the quality rules' minimum plausible pay
    needs_mapping: bool = False  # read through a YAML column mapping (--mapping)
    model_card_caveat: str | None = None  # a "Limitations" line of the model card
    report_caveat: str | None = None  # appended to the report's caveat for this source
    default_model: str | None = None  # the shipped model (and configs/<name>.yaml) it trains
    reader_help: str = ""  # what file the adapter reads, for --help texts
    # Pay years whose pay figure is another concept than `pay_concept` (the source default):
    # ((year, concept), ...), e.g. a survey that asked for base salary in one year only.
    pay_concept_by_year: tuple[tuple[int, PayConcept], ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ConfigError(
                f"source name {self.name!r}: expected letters, digits, '_' or '-' only"
            )
        if self.pay_concept is not None and self.pay_concept not in PAY_CONCEPTS:
            raise ConfigError(
                f"source {self.name!r}: pay_concept={self.pay_concept!r}; expected one of "
                f"{', '.join(PAY_CONCEPTS)}"
            )
        if self.min_pay_usd < 0:
            raise ConfigError(f"source {self.name!r}: min_pay_usd must be >= 0")
        for year, concept in self.pay_concept_by_year:
            if concept not in PAY_CONCEPTS:
                raise ConfigError(
                    f"source {self.name!r}: pay_concept_by_year {year}: {concept!r}; expected "
                    f"one of {', '.join(PAY_CONCEPTS)}"
                )

    def loader(self) -> Loader:
        """The adapter function (imported now if it was given as "module:function")."""
        if callable(self.adapter):
            return self.adapter
        module_name, _, function = self.adapter.partition(":")
        loaded: Loader = getattr(importlib.import_module(module_name), function or "load")
        return loaded

    @property
    def pay_text(self) -> str:
        """The pay concept in words ("base salary"; "as mapped" for a mapping source)."""
        return _concept_text(self.pay_concept)

    def pay_concept_of(self, year: int | None) -> PayConcept | None:
        """The pay concept of rows from pay year `year` (the source default for other years)."""
        if year is None:
            return self.pay_concept
        return dict(self.pay_concept_by_year).get(year, self.pay_concept)

    def pay_text_for(self, years: Iterable[int]) -> str:
        """The pay concept of rows from `years`, in words: `pay_text` when they share one
        concept, else each concept with its years, latest first: "total compensation
        (2024-2025) and base salary (2017)"."""
        by_concept: dict[PayConcept | None, list[int]] = {}
        for year in sorted(set(years), reverse=True):
            by_concept.setdefault(self.pay_concept_of(year), []).append(year)
        if len(by_concept) <= 1:
            return _concept_text(next(iter(by_concept), self.pay_concept))
        return " and ".join(
            f"{_concept_text(concept)} ({year_span(found)})"
            for concept, found in by_concept.items()
        )

    def text(self, template: str, **facts: object) -> str:
        """`template` with {years} and the other facts filled in (missing ones left empty)."""
        return template.format_map(_Facts(facts))


def _concept_text(concept: PayConcept | None) -> str:
    return "as mapped" if concept is None else PAY_CONCEPT_TEXT[concept]


class _Facts(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


_REGISTRY: dict[str, DataSource] = {}
PLUGINS_VARIABLE: Final = "MLPAY_SOURCE_MODULES"
_plugins_loaded = False


def _load_plugins() -> None:
    """Import the modules named in MLPAY_SOURCE_MODULES (comma-separated), once.

    Each such module calls `register_source` when imported: that is how a source defined
    outside this package reaches the `mlpay` command line.
    """
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for module in filter(
        None, (m.strip() for m in os.environ.get(PLUGINS_VARIABLE, "").split(","))
    ):
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise ConfigError(
                f"{PLUGINS_VARIABLE}: cannot import source module {module!r} ({error})"
            ) from None


def register_source(source: DataSource, *, replace: bool = False) -> DataSource:
    """Add `source` to the registry (and return it); a ConfigError if its name is taken."""
    if source.name in _REGISTRY and not replace:
        raise ConfigError(f"source {source.name!r} is already registered")
    _REGISTRY[source.name] = source
    return source


def unregister_source(name: str) -> None:
    """Remove a registered source (for tests and plugins that clean up after themselves)."""
    _REGISTRY.pop(name, None)


def sources() -> tuple[DataSource, ...]:
    """Every registered source, in registration order."""
    _load_plugins()
    return tuple(_REGISTRY.values())


def source_names() -> tuple[str, ...]:
    _load_plugins()
    return tuple(_REGISTRY)


def publisher_source_names() -> tuple[str, ...]:
    """Sources read from a publisher's own file (no column mapping): `mlpay score --source`."""
    _load_plugins()
    return tuple(source.name for source in _REGISTRY.values() if not source.needs_mapping)


def default_model_names() -> tuple[str, ...]:
    """The shipped models, one per source that has one (the report's default models)."""
    _load_plugins()
    return tuple(s.default_model for s in _REGISTRY.values() if s.default_model is not None)


def find_source(name: str) -> DataSource | None:
    _load_plugins()
    return _REGISTRY.get(name)


def get_source(name: str) -> DataSource:
    """The registered source `name`; an UnknownSourceError listing the registered ones."""
    _load_plugins()
    source = _REGISTRY.get(name)
    if source is None:
        raise UnknownSourceError(unknown_source_message(name))
    return source


def model_pay_text(manifest: object) -> str:
    """What a model's pay figure is, from the sources (and pay years) in its manifest's `data`
    entries: "base salary", "total compensation", "yearly compensation band", "as mapped", a
    source's concepts by year ("total compensation (2024-2025) and base salary (2017)"), or
    the sources' texts joined with " + " (a model trained on several sources); "unknown"
    without data."""
    texts = [source_pay_text(manifest, name) for name in _years_by_source(manifest)]
    unique = list(dict.fromkeys(texts))
    return " + ".join(unique) if unique else "unknown"


def source_pay_text(manifest: object, name: str) -> str:
    """What source `name`'s pay figure is in the model of `manifest` (by the pay years of its
    `data` entries for that source); "unknown" for an unregistered source."""
    source = find_source(name)
    if source is None:
        return "unknown"
    return source.pay_text_for(_years_by_source(manifest).get(name, ()))


def _years_by_source(manifest: object) -> dict[str, list[int]]:
    entries = manifest.get("data", []) if isinstance(manifest, dict) else []
    found: dict[str, list[int]] = {}
    for entry in entries:
        if isinstance(entry, dict):
            years = entry.get("years") or ()
            found.setdefault(str(entry.get("source")), []).extend(
                int(year) for year in years if isinstance(year, int)
            )
    return found


def year_span(years: Iterable[int]) -> str:
    """(2024, 2025) -> "2024-2025"; (2017,) -> "2017"; (2019, 2021) -> "2019/2021"."""
    ordered = sorted(set(years))
    if len(ordered) > 1 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}-{ordered[-1]}"
    return "/".join(str(year) for year in ordered)


def unknown_source_message(name: object, names: tuple[str, ...] | None = None) -> str:
    names = source_names() if names is None else names
    return f"unknown source {name!r}; expected one of {', '.join(names)}" + did_you_mean(
        str(name), names
    )


def names_text(names: tuple[str, ...]) -> str:
    """("a", "b", "c") -> "a, b or c" (for --help texts)."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"


register_source(
    DataSource(
        name="aijobs",
        adapter="mlpay_model.data.sources.aijobs:load",
        label="aijobs.net",
        pay_concept="base_salary",
        licence=(
            "aijobs.net (formerly ai-jobs.net) salary index: CC0 1.0 (public domain). "
            "Attribution appreciated: aijobs.net/salaries."
        ),
        attribution=(
            "aijobs.net salary data is CC0 1.0 (attribution appreciated: aijobs.net/salaries)"
        ),
        # A job-board index of professional roles: its lowest row is 15,000 USD.
        min_pay_usd=10_000.0,
        model_card_caveat=(
            "aijobs: about 90% of rows are US residents, and repeated submissions appear as "
            "identical rows (kept, and kept on one side of the split)."
        ),
        report_caveat=(
            "A job-board salary index of AI, ML and data roles, not a random sample. "
            "{duplicates} rows are exact duplicates of another row (repeated submissions, "
            "kept as reported)."
        ),
        default_model="aijobs",
        reader_help="aijobs salaries.csv",
    )
)
register_source(
    DataSource(
        name="kaggle",
        adapter="mlpay_model.data.sources.kaggle:load",
        label="Kaggle survey",
        pay_concept="yearly_compensation_band",
        licence=(
            "Kaggle Machine Learning & Data Science Survey, released by Kaggle for public "
            'analysis. Cite "Kaggle ML & DS Survey {years}".'
        ),
        attribution="Kaggle ML & DS Survey {years}, released by Kaggle for public analysis",
        model_card_caveat=(
            "Kaggle: pay is a band, so exact pay is never seen; experience is years writing "
            "code, which overstates professional experience for people who coded as students."
        ),
        report_caveat=(
            "A survey of Kaggle users: of {respondents} respondents {rows} are used; many "
            "of the others are students or not employed and report no pay or the $0-999 "
            "band (the table below counts every drop by rule). Pay is a band, counted at "
            "its geometric midpoint. 'Machine Learning Engineer' was offered as a title "
            "only in some years (ML engineer rows by year: {ml_engineer_rows_by_year}). "
            "Experience is years writing code, not professional experience."
        ),
        default_model="kaggle",
        reader_help="a Kaggle survey zip",
    )
)
register_source(
    DataSource(
        name="stackoverflow",
        adapter="mlpay_model.data.sources.stackoverflow:load",
        label="Stack Overflow survey",
        # ConvertedCompYearly (2021+ era): "What is your current total annual compensation
        # (salary, bonuses, and perks, before taxes and deductions)?". The 2017 `Salary`
        # asked "What is your current annual base salary, before taxes, and excluding
        # bonuses, grants, or other compensation?" (the adapter's `Era.pay_concept`).
        pay_concept="total_compensation",
        pay_concept_by_year=((2017, "base_salary"),),
        licence=(
            "Stack Overflow Developer Survey ({years}): Open Database License (ODbL) 1.0. "
            "Credit: Stack Overflow. A database built from it stays under the ODbL."
        ),
        attribution=(
            "Stack Overflow Developer Survey data is licensed under the Open Database License "
            "(ODbL) 1.0, credit Stack Overflow, and a database built from it stays ODbL"
        ),
        model_card_caveat=(
            "Stack Overflow: wording and columns change between survey years; extreme pay "
            "answers are removed by the quality rules."
        ),
        report_caveat=(
            "A survey of software developers (most are full-stack or back-end); ML "
            "engineers are a small group; the files here are partial samples of each year."
        ),
        default_model="stackoverflow",
        reader_help="a Stack Overflow survey file",
    )
)
register_source(
    DataSource(
        name="csv",
        adapter="mlpay_model.data.sources.csv_mapping:load",
        label="your own file",
        pay_concept=None,
        licence="Your own file read through a column mapping: check its licence before sharing.",
        attribution="your own file: check its licence before sharing",
        needs_mapping=True,
        reader_help="your own CSV or Parquet file through a YAML column mapping",
    )
)
