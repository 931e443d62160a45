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
from collections.abc import Callable
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
        return "as mapped" if self.pay_concept is None else PAY_CONCEPT_TEXT[self.pay_concept]

    def text(self, template: str, **facts: object) -> str:
        """`template` with {years} and the other facts filled in (missing ones left empty)."""
        return template.format_map(_Facts(facts))


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
    """What a model's pay figure is, from the sources in its manifest's `data` entries:
    "base salary", "total compensation", "yearly compensation band", "as mapped", or the
    concepts joined with " + " (a model trained on mixed concepts); "unknown" without data."""
    entries = manifest.get("data", []) if isinstance(manifest, dict) else []
    names = dict.fromkeys(str(entry.get("source")) for entry in entries if isinstance(entry, dict))
    texts = []
    for name in names:
        source = find_source(name)
        texts.append(source.pay_text if source is not None else "unknown")
    unique = list(dict.fromkeys(texts))
    return " + ".join(unique) if unique else "unknown"


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
        # ConvertedCompYearly (2024/2025); the 2017 survey asked for base salary (`Salary`).
        pay_concept="total_compensation",
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
