"""How mlpay writes money and percentages for people: the CLI, the model card, the report.

    money(123456.7)               "$123,457"     (to the unit; "123,457 EUR" for another
                                                  currency; "n/a" for None or NaN)
    money_thousands(120000)       "$120k"        (axis ticks)
    percent(0.123)                "+12.3%"       (a change: signed, one decimal)
    percent(0.8, signed=False)    "80.0%"        (a share)
    percent(-0.04, true_minus=True)  "\u22124.0%"   (typeset text: U+2212, not a hyphen)
    percent_points(12.3)          "+12.3%"       (the same, for a value already in percent)
    percent_tick(0.025)           "2.5%"         (axis ticks: as many decimals as needed)

Values are fractions (0.123 is 12.3%), except for `percent_points`. Every amount and
percentage a person reads goes through here, so the commands, the model card and the report
write one value the same way.
"""

from __future__ import annotations

import math
from typing import Final

MINUS: Final = "\u2212"
NOT_AVAILABLE: Final = "n/a"


def money(value: float | None, currency: str = "USD") -> str:
    """An amount to the unit with thousands separators: "$123,457", or "123,457 EUR"."""
    if value is None or not math.isfinite(value):
        return NOT_AVAILABLE
    amount = f"{value:,.0f}"
    return f"${amount}" if currency == "USD" else f"{amount} {currency}"


def money_thousands(value: float, _position: object = None) -> str:
    """An amount in thousands of USD, "$120k" (a matplotlib tick formatter)."""
    return f"${value / 1000:,.0f}k"


def percent(value: float | None, *, signed: bool = True, true_minus: bool = False) -> str:
    """A fraction as a percentage with one decimal: "+12.3%" (signed) or "12.3%"."""
    if value is None or not math.isfinite(value):
        return NOT_AVAILABLE
    return percent_points(value * 100, signed=signed, true_minus=true_minus)


def percent_points(points: float, *, signed: bool = True, true_minus: bool = False) -> str:
    """A value in percent with one decimal: 12.3 -> "+12.3%" (signed) or "12.3%"."""
    if not math.isfinite(points):
        return NOT_AVAILABLE
    text = f"{points:+.1f}%" if signed else f"{points:.1f}%"
    return text.replace("-", MINUS) if true_minus else text


def percent_tick(value: float, _position: object = None) -> str:
    """0.025 -> "2.5%", 0.1 -> "10%", -0.05 -> "\u22125%": as many decimals as the tick needs
    (not "3%" for 2.5%), float noise rounded away, a true minus sign as in the report's text.
    A matplotlib tick formatter."""
    return f"{round(value * 100, 6) + 0.0:.4g}%".replace("-", MINUS)
