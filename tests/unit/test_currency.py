"""Local currency: USD predictions converted with the shipped ECB reference rates."""

from __future__ import annotations

import builtins
import datetime
import json
from pathlib import Path

import pytest
from artifact_factory import shared_models_dir
from currency_converter import SINGLE_DAY_CURRENCY_FILE, CurrencyConverter

from mlpay_model import currency as currency_module
from mlpay_model._format import money
from mlpay_model.cli import main
from mlpay_model.currency import Conversion, currencies, usd_to
from mlpay_model.errors import InvalidInputError, MlpayError
from mlpay_model.predict import predict_salary

PROFILE = ("Senior ML Engineer", "Germany", "6", "MSc", "python,pytorch")


@pytest.fixture(autouse=True)
def shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLPAY_MODELS_DIR", str(shared_models_dir()))


def _ecb() -> tuple[CurrencyConverter, datetime.date]:
    converter = CurrencyConverter(SINGLE_DAY_CURRENCY_FILE)
    return converter, converter.bounds["USD"].last_date


def test_usd_to_eur_is_the_ecb_reference_rate_and_its_day():
    converter, day = _ecb()
    conversion = usd_to("EUR")
    assert conversion.currency == "EUR" and conversion.rate_date == day.isoformat()
    assert conversion.rate == pytest.approx(converter.convert(1.0, "USD", "EUR", date=day))
    assert conversion.rate == pytest.approx(1.0 / float(converter._get_rate("USD", day)))
    assert usd_to(" eur ") == conversion  # any case and spacing
    gbp = usd_to("GBP")  # a cross rate through the euro, on the same day
    assert gbp.rate == pytest.approx(converter.convert(1.0, "USD", "GBP", date=day))
    assert f"1 USD = {conversion.rate:.4f} EUR" in conversion.text
    assert day.isoformat() in conversion.text


def test_usd_is_no_conversion_and_reads_no_rates(monkeypatch):
    monkeypatch.setattr(currency_module, "_reference_rates", _no_rates)
    assert usd_to("USD") == Conversion("USD", 1.0, None)
    assert usd_to("usd").text == ""


def _no_rates() -> None:
    raise AssertionError("USD must not read the rates")


def test_accepted_codes_include_the_major_currencies():
    assert {"EUR", "GBP", "CHF", "JPY", "INR", "USD"} <= set(currencies())


@pytest.mark.parametrize(("code", "hint"), [("EUX", "EUR"), ("GPB", "GBP"), ("euro", "EUR")])
def test_an_unknown_currency_is_one_line_with_the_accepted_codes(code, hint):
    with pytest.raises(InvalidInputError) as caught:
        usd_to(code)
    message = str(caught.value)
    assert "\n" not in message and caught.value.field == "currency"
    assert "accepted: AUD, " in message and "EUR" in message and "USD" in message
    assert f"did you mean {hint}" in message


def test_a_currency_that_is_not_text_is_refused():
    with pytest.raises(InvalidInputError, match="three-letter currency code"):
        usd_to(978)  # type: ignore[arg-type]


def test_without_the_rates_package_the_message_says_how_to_install_it(monkeypatch):
    real_import = builtins.__import__

    def without_converter(name, *args, **kwargs):
        if name.startswith("currency_converter"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    currency_module._reference_rates.cache_clear()
    monkeypatch.setattr(builtins, "__import__", without_converter)
    try:
        with pytest.raises(MlpayError, match="pip install currencyconverter"):
            usd_to("EUR")
    finally:
        monkeypatch.undo()
        currency_module._reference_rates.cache_clear()


def test_predict_salary_in_eur_is_the_usd_prediction_times_the_rate():
    usd = predict_salary(*PROFILE, model="tiny")
    eur = predict_salary(*PROFILE, model="tiny", currency="EUR")
    rate = usd_to("EUR").rate
    assert (usd.currency, usd.rate, usd.rate_date) == ("USD", 1.0, None)
    assert (eur.currency, eur.rate, eur.rate_date) == ("EUR", rate, usd_to("EUR").rate_date)
    for name in ("median", "low", "high", "baseline"):
        assert getattr(eur, name) == pytest.approx(getattr(usd, name) * rate, rel=1e-12)
    assert [f.median for f in eur.by_source] == pytest.approx(
        [f.median * rate for f in usd.by_source]
    )
    assert dict(eur.contributions) == dict(usd.contributions)  # percentages: unchanged
    assert eur.low <= eur.median <= eur.high
    data = eur.to_dict()
    assert (data["currency"], data["rate"], data["rate_date"]) == ("EUR", rate, eur.rate_date)
    assert json.loads(json.dumps(usd.to_dict()))["rate_date"] is None


def test_predict_salary_checks_the_currency_like_any_input():
    with pytest.raises(InvalidInputError, match="did you mean EUR"):
        predict_salary(*PROFILE, model="tiny", currency="EUX")


def test_money_writes_another_currency_after_the_amount():
    assert money(118231.7, "EUR") == "118,232 EUR" and money(118231.7) == "$118,232"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


PREDICT = ("--role", "Senior ML Engineer", "--country", "Germany", "--years", "6")
PREDICT += ("--education", "MSc", "--skills", "python,pytorch", "--model", "tiny")


def test_cli_predict_in_eur_states_the_rate_and_its_date(capsys):
    code, out, err = _run(capsys, "predict", *PREDICT, "--currency", "EUR")
    expected = predict_salary(*PROFILE, model="tiny", currency="EUR")
    assert code == 0 and err == ""
    assert f"{money(expected.median, 'EUR')} a year" in out
    assert f"80% range: {money(expected.low, 'EUR')} to {money(expected.high, 'EUR')}" in out
    assert f"1 USD = {expected.rate:.4f} EUR" in out and expected.rate_date in out
    assert "$" not in out


def test_cli_predict_json_has_currency_rate_and_rate_date(capsys):
    code, out, _ = _run(capsys, "predict", *PREDICT, "--currency", "chf", "--json")
    data = json.loads(out)
    conversion = usd_to("CHF")
    assert code == 0
    assert (data["currency"], data["rate"], data["rate_date"]) == (
        "CHF",
        conversion.rate,
        conversion.rate_date,
    )
    _code, usd_out, _ = _run(capsys, "predict", *PREDICT, "--json")
    usd = json.loads(usd_out)
    assert (usd["currency"], usd["rate"], usd["rate_date"]) == ("USD", 1.0, None)
    assert data["median"] == pytest.approx(usd["median"] * conversion.rate, rel=1e-12)


def test_cli_whatif_in_eur(capsys):
    code, out, _ = _run(capsys, "whatif", *PREDICT, "--country-to", "FR", "--currency", "EUR")
    assert code == 0
    assert out.count("1 USD = ") == 2 and "Difference: " in out and " EUR a year" in out
    code, out, _ = _run(
        capsys, "whatif", *PREDICT, "--country-to", "FR", "--currency", "EUR", "--json"
    )
    report = json.loads(out)
    assert report["before"]["currency"] == report["after"]["currency"] == "EUR"
    assert report["difference"]["median"] == pytest.approx(
        report["after"]["median"] - report["before"]["median"]
    )


def test_cli_unknown_currency_is_one_line_and_exit_2(capsys):
    code, out, err = _run(capsys, "predict", *PREDICT, "--currency", "EUX")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "accepted: AUD" in err and "did you mean EUR" in err


def test_the_rates_ship_inside_the_package():
    """Offline: the rates are a file of the installed package, never fetched."""
    assert Path(SINGLE_DAY_CURRENCY_FILE).is_file()
