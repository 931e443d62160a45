"""Local currency: USD predictions converted with the ECB's euro foreign exchange reference rates.

Models learn and predict annual pay in USD (the manifest's `currency`); a person in Berlin
thinks in EUR. `usd_to(currency)` gives the conversion from USD: the rate (units of
`currency` per USD) and the date of the reference rates it comes from. The rates are the
latest daily ECB reference rates that the `currencyconverter` package ships (its
`eurofxref.csv`), read offline and once per process; a USD rate is the ECB's rate of the
currency divided by its USD rate, both against the euro on the same day.

    usd_to("EUR")    Conversion(currency='EUR', rate=0.89..., rate_date='2026-10-30')
    usd_to("USD")    Conversion(currency='USD', rate=1.0, rate_date=None)   (no conversion)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from mlpay_model.errors import InvalidInputError, MlpayError, did_you_mean

MODEL_CURRENCY: Final = "USD"
RATES_PACKAGE: Final = "currencyconverter"
RATES_SOURCE: Final = "ECB euro foreign exchange reference rates"


@dataclass(frozen=True)
class Conversion:
    """From USD to `currency`: amount_in_currency = amount_usd * rate.

    `rate_date` is the day of the ECB reference rates used (ISO text), None for USD itself.
    """

    currency: str
    rate: float
    rate_date: str | None

    def convert(self, amount_usd: float) -> float:
        return amount_usd * self.rate

    @property
    def text(self) -> str:
        """How the conversion is stated to people: '1 USD = 0.8951 EUR (ECB reference rate
        of 2026-10-30)', or '' for USD."""
        if self.rate_date is None:
            return ""
        return (
            f"1 {MODEL_CURRENCY} = {self.rate:.4f} {self.currency} "
            f"({RATES_SOURCE}, {self.rate_date})"
        )


def usd_to(currency: str = MODEL_CURRENCY) -> Conversion:
    """The conversion from USD to `currency` (a three-letter code, any case).

    Raises InvalidInputError (one line: the accepted codes, and the closest ones) for a code
    the ECB publishes no reference rate for, and MlpayError when the rates package is not
    installed.
    """
    if not isinstance(currency, str):
        raise InvalidInputError("currency", currency, "must be a three-letter currency code")
    code = currency.strip().upper()
    if code == MODEL_CURRENCY:
        return Conversion(MODEL_CURRENCY, 1.0, None)
    rates, day = _reference_rates()
    if code not in rates:
        accepted = sorted(rates)
        raise InvalidInputError(
            "currency",
            currency,
            f"no ECB reference rate; accepted: {', '.join(accepted)}"
            + did_you_mean(code, accepted),
        )
    return Conversion(code, rates[code], day)


def currencies() -> tuple[str, ...]:
    """Every accepted currency code, sorted (USD included)."""
    return tuple(sorted(_reference_rates()[0]))


@functools.cache
def _reference_rates() -> tuple[Mapping[str, float], str]:
    """Units of each currency per USD, and the day of the rates: read once per process."""
    try:
        from currency_converter import (
            SINGLE_DAY_CURRENCY_FILE,
            CurrencyConverter,
            RateNotFoundError,
        )
    except ImportError:
        raise MlpayError(
            f"currency conversion needs the {RATES_PACKAGE!r} package: pip install {RATES_PACKAGE}"
        ) from None
    converter = CurrencyConverter(SINGLE_DAY_CURRENCY_FILE)
    day = converter.bounds[MODEL_CURRENCY].last_date  # the file holds one day
    rates: dict[str, float] = {}
    for code in converter.currencies:
        try:
            rates[code] = float(converter.convert(1.0, MODEL_CURRENCY, code, date=day))
        except RateNotFoundError:  # pragma: no cover - a currency without that day's rate
            continue
    return rates, day.isoformat()
