"""How the report words things: source and role labels, signed percents, intervals, lists."""

from __future__ import annotations

from collections.abc import Sequence

from mlpay_model._format import money
from mlpay_model._format import percent as format_percent
from mlpay_model.data.sources.registry import sources as registered_sources
from training.report.analysis import SourceAnalysis


def source_label(analysis: SourceAnalysis) -> str:
    """The label of the source whose people these are (a model of several sources) or whose
    shipped model this is ("aijobs.net"), else the model."""
    for entry in registered_sources():
        if analysis.population is not None and entry.name == analysis.population:
            return entry.label
    for entry in registered_sources():
        if entry.default_model == analysis.model:
            return entry.label
    return analysis.model


def role_label(role: str) -> str:
    """ml_engineer -> "ML engineers", data_scientist -> "data scientists"."""
    words = role.replace("_", " ").replace("ml ", "ML ")
    return words + "s"


def percent(value: float) -> str:
    """A signed change as the report writes it: "+12.3%", "\u22124.0%" (a true minus sign)."""
    return format_percent(value, true_minus=True)


def interval(low: float, high: float, as_money: bool = False) -> str:
    if as_money:
        return f"{money(low)} to {money(high)}"
    return f"{percent(low)} to {percent(high)}"


def and_list(items: Sequence[object]) -> str:
    """["a", "b", "c"] -> "a, b and c"."""
    words = [str(item) for item in items]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
