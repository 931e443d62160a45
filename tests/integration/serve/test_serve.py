"""`mlpay serve`'s JSON API, over real HTTP against a real `mlpay serve` process on localhost.

One server (the default model) serves the module; the answers are checked against
`predict_salary` in this process, and bad input against the CLI's own one-line message.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_support import (
    MLPAY,
    call,
    free_port,
    running_server,
    start_server,
    stop_server,
    wait_until_healthy,
)

from mlpay_model import DEFAULT_MODEL, InvalidInputError, load_model, predict_salary
from mlpay_model.cli import TERMINATED_EXIT, main
from mlpay_model.compare import arguments_with_role

pytestmark = pytest.mark.slow

PROFILE = {
    "role": "Senior ML Engineer",
    "country": "Germany",
    "years_experience": 5,
    "education": "MSc",
    "skills": ["python", "pytorch"],
}


DEFAULT_REF = {"name": DEFAULT_MODEL, "version": load_model().version}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server("--log-level", "warning", root=tmp_path_factory.mktemp("serve")) as url:
        yield url


def test_healthz_names_the_model(server: str) -> None:
    status, _headers, body = call(f"{server}/healthz")

    assert status == 200
    assert body["status"] == "ok"
    assert body["model"] == DEFAULT_REF


def test_predict_answers_as_predict_salary_does(server: str) -> None:
    expected = predict_salary(**PROFILE)

    status, _headers, body = call(f"{server}/api/predict", PROFILE)

    assert status == 200, body
    assert (body["median"], body["low"], body["high"]) == pytest.approx(
        (expected.median, expected.low, expected.high), rel=1e-12
    )
    assert body["currency"] == "USD"
    assert body["pay_concept"] == "base salary"
    assert body["model"] == DEFAULT_REF
    assert body["warnings"] == list(expected.warnings)
    assert body["display"]["median"] == f"${expected.median:,.0f}"
    factors = body["top_factors"]  # the person's factors that move it by 0.05% or more
    shown = [item for item in expected.explanation if abs(item.percent) >= 0.05]
    assert [factor["factor"] for factor in factors] == [item.factor for item in shown]
    assert {"role", "location", "experience", "education"} <= {f["factor"] for f in factors}
    assert body["baseline"] == pytest.approx(expected.baseline, rel=1e-12)
    assert factors[0]["text"] == f"{expected.contributions[factors[0]['factor']]:+.1f}%"


def test_predict_gives_the_median_of_each_source(server: str) -> None:
    _status, _headers, body = call(f"{server}/api/predict", PROFILE)

    by_source = {entry["source"]: entry for entry in body["per_source"]}
    assert body["per_source_basis"] == "model"  # the pooled default prices every population
    assert set(by_source) == {"aijobs", "kaggle", "stackoverflow"}
    assert by_source["aijobs"]["served_model"] is True
    assert by_source["aijobs"]["median"] == body["median"]
    stackoverflow = predict_salary(**PROFILE, population="stackoverflow")
    assert by_source["stackoverflow"]["median"] == pytest.approx(stackoverflow.median, rel=1e-12)
    assert by_source["stackoverflow"]["pay_concept"] == (
        "total compensation (2024-2025) and base salary (2017)"  # 2017 `Salary` is base pay
    )
    assert by_source["kaggle"]["pay_concept"] == "yearly compensation band"


def test_predict_reads_the_context(server: str) -> None:
    profile = {"role": "ML Engineer", "country": "US", "context": {"seniority": "entry"}}
    expected = predict_salary("ML Engineer", "US", seniority="entry")

    _status, _headers, body = call(f"{server}/api/predict", profile)

    assert body["median"] == pytest.approx(expected.median, rel=1e-12)
    assert body["profile"]["seniority"] == "entry"


@pytest.mark.parametrize(
    ("change", "field", "after_profile"),
    [
        ({"country_to": "United States"}, "country", {**PROFILE, "country": "United States"}),
        (
            {"add_skill": "kubernetes"},
            "skills",
            {**PROFILE, "skills": [*PROFILE["skills"], "kubernetes"]},
        ),
        # the title changes with the role, its rank word carried over (as `mlpay whatif`)
        ({"role_to": "Data Scientist"}, "role", {**PROFILE, "role": "Senior Data Scientist"}),
    ],
)
def test_whatif_gives_both_predictions_and_the_change(
    server: str, change: dict, field: str, after_profile: dict
) -> None:
    before = predict_salary(**PROFILE)
    after = predict_salary(**after_profile)

    status, _headers, body = call(f"{server}/api/whatif", {**PROFILE, **change})

    assert status == 200, body
    assert body["change"]["field"] == field
    assert body["before"]["median"] == pytest.approx(before.median, rel=1e-12)
    assert body["after"]["median"] == pytest.approx(after.median, rel=1e-12)
    percent = 100 * (after.median - before.median) / before.median
    assert body["difference"]["median_percent"] == pytest.approx(percent, rel=1e-9, abs=1e-9)
    assert body["difference"]["text"].endswith("in the median")
    # the default model reads every factor changed here: no "cannot move it" note
    assert body["change"]["note"] is None
    if field == "role":
        assert body["change"]["title"] == "Senior Data Scientist"
        assert arguments_with_role(PROFILE, "Data Scientist") == after_profile


def test_a_bad_input_is_a_422_with_the_clis_one_line_message(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        predict_salary("ML Engineer", "Atlantis")
    assert main(["predict", "--role", "ML Engineer", "--country", "Atlantis"]) == 2
    cli_line = capsys.readouterr().err.strip()

    status, headers, body = call(
        f"{server}/api/predict", {"role": "ML Engineer", "country": "Atlantis"}
    )

    assert status == 422
    assert headers["content-type"] == "application/json"
    assert body == {"detail": str(raised.value), "field": "country"}
    assert cli_line == f"mlpay predict: error: {body['detail']}"


@pytest.mark.parametrize(
    "profile",
    [
        {"role": "ML Engineer", "country": "DE", "years_experience": "five"},
        {"role": "ML Engineer", "country": "DE", "years_experience": 61},
        {"role": "", "country": "DE"},
        {"country": "DE"},
        {"role": "ML Engineer", "country": "DE", "skills": 5},
        {"role": "ML Engineer", "country": "DE", "education": ["phd"]},
        {"role": "ML Engineer", "country": "DE", "seniority": "wizard"},
        {"role": "ML Engineer", "country": "DE", "shoe_size": 44},
    ],
)
def test_an_invalid_profile_gets_predict_salarys_message(server: str, profile: dict) -> None:
    fields = {"role", "country", "years_experience", "education", "skills"}
    request_body = {key: value for key, value in profile.items() if key in fields}
    request_body["context"] = {key: value for key, value in profile.items() if key not in fields}
    with pytest.raises(InvalidInputError) as raised:
        predict_salary(**{"role": None, **profile})

    status, _headers, body = call(f"{server}/api/predict", request_body)

    assert status == 422, body
    assert body == {"detail": str(raised.value), "field": raised.value.field}


@pytest.mark.parametrize(
    ("path", "request_body", "status", "detail"),
    [
        ("predict", {"role": "x", "country": "DE", "colour": "red"}, 422,
         r"^colour: unknown field; accepted: role, country, years_experience, education, "
         r"skills, context, currency, population$"),
        ("predict", {"role": "x", "country": "DE", "context": 5}, 422, r"^context: "),
        ("predict", [1, 2], 422, r"^the request body must be a JSON object"),
        ("predict", b"{not json", 400, r"^the request body is not valid JSON$"),
        ("whatif", {"role": "x", "country": "DE"}, 422,
         r"^change=\[\]: give exactly one change: add_skill, country_to, years_to, "
         r"education_to, role_to$"),
        ("whatif", {"role": "x", "country": "DE", "add_skill": "go", "country_to": "FR"}, 422,
         r"^change=\['add_skill', 'country_to'\]: give exactly one change"),
        ("whatif", {"role": "x", "country": "DE", "add_skill": ""}, 422,
         r"^add_skill='': is empty"),
        ("whatif", {"role": "x", "country": "DE", "country_to": "Atlantis"}, 422,
         r"^country='Atlantis': unknown country"),
    ],
)  # fmt: skip
def test_bad_requests_get_one_line_and_never_a_traceback(
    server: str, path: str, request_body: object, status: int, detail: str
) -> None:
    raw = request_body if isinstance(request_body, bytes) else None
    got, _headers, body = call(f"{server}/api/{path}", None if raw else request_body, raw=raw)

    assert got == status, body
    assert re.search(detail, body["detail"]), body["detail"]
    assert "\n" not in body["detail"] and "Traceback" not in body["detail"]


def test_a_body_sent_without_the_json_content_type_is_told_so(server: str) -> None:
    status, _headers, body = call(
        f"{server}/api/predict", raw=b'{"role": "x", "country": "DE"}', content_type=None
    )

    assert status == 400
    assert body["detail"] == (
        "send the profile as JSON, with the header Content-Type: application/json"
    )


def test_the_page_and_its_files_are_self_contained(server: str) -> None:
    status, headers, page = call(f"{server}/")

    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "default-src 'none'" in headers["content-security-policy"]
    texts = [page]
    for name in re.findall(r'(?:src|href)="(static/[^"]+)"', page):
        file_status, _file_headers, text = call(f"{server}/{name}")
        assert file_status == 200, name
        texts.append(text)
    assert len(texts) == 3  # the page, its script and its style sheet
    for text in texts:
        assert not re.search(r"(?:src|href|url\()\s*=?\s*[\"']?(?:https?:)?//", text)
        assert "innerHTML" not in text  # answers are written as text, never as markup
    assert call(f"{server}/static/../../etc/passwd")[0] == 404
    assert call(f"{server}/docs")[0] == 404  # the interactive docs would need a CDN


def test_predict_converts_to_the_currency_asked_for(server: str) -> None:
    expected = predict_salary(**PROFILE, currency="EUR")

    status, _headers, body = call(f"{server}/api/predict", {**PROFILE, "currency": "EUR"})

    assert status == 200, body
    assert body["currency"] == "EUR"
    assert body["median"] == pytest.approx(expected.median, rel=1e-12)
    assert body["display"]["median"] == f"{expected.median:,.0f} EUR"
    assert (body["rate"], body["rate_date"]) == (expected.rate, expected.rate_date)
    assert {entry["currency"] for entry in body["per_source"]} == {"EUR"}


@pytest.mark.parametrize("name", ["model", "currency", "role"])
def test_the_context_cannot_set_predict_salarys_own_parameters(server: str, name: str) -> None:
    request_body = {"role": "ML Engineer", "country": "DE", "context": {name: "/tmp"}}

    status, _headers, body = call(f"{server}/api/predict", request_body)

    assert status == 422
    assert body["detail"] == (
        f"context.{name}='/tmp': is not a context field; accepted: seniority, "
        "employment_type, remote_ratio, company_size, year"
    )


def test_the_model_endpoint_lists_the_forms_choices(server: str) -> None:
    _status, _headers, body = call(f"{server}/api/model")

    assert body["model"]["name"] == DEFAULT_MODEL
    assert "master" in body["education_levels"]
    assert "pytorch" in body["skills"]


def test_serve_with_another_model(tmp_path: Path) -> None:
    with running_server("--model", "stackoverflow", "--log-level", "warning", root=tmp_path) as url:
        _status, _headers, body = call(f"{url}/api/predict", PROFILE)
    expected = predict_salary(**PROFILE, model="stackoverflow")

    assert body["model"]["name"] == "stackoverflow"
    assert body["median"] == pytest.approx(expected.median, rel=1e-12)
    assert body["warnings"] == list(expected.warnings)


def test_sigterm_stops_the_server_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    process, url = start_server(log=log, cwd=tmp_path)
    try:
        wait_until_healthy(url, process, log)
    finally:
        code = stop_server(process)

    assert code == TERMINATED_EXIT
    text = log.read_text()
    name, version = DEFAULT_REF["name"], DEFAULT_REF["version"]
    assert f"mlpay serve: {url}/ (model {name} {version}); Ctrl-C stops it" in text
    assert "mlpay serve: terminated (SIGTERM)" in text
    assert "Traceback" not in text


def run_mlpay(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MLPAY), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def test_a_busy_port_or_unknown_model_is_one_line_and_exit_2(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        done = run_mlpay("serve", "--port", str(port), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"mlpay serve: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )

    done = run_mlpay("serve", "--model", "nope", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("mlpay serve: error: model 'nope': neither a shipped model")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("module", ["fastapi", "uvicorn"])
def test_serve_without_its_extra_names_it(module: str, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        f"sys.modules[{module!r}] = None\n"
        "from mlpay_model.cli import main\n"
        "sys.exit(main(['serve']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        f"mlpay serve: error: this needs the optional extra 'serve' ({module} is not "
        "installed); install it with: pip install 'mlpay[serve]'"
    )
