"""The web calculator's page, rendered in headless Chromium against a real `mlpay serve`.

The page fills its form from the URL's query and answers at once, so Chromium's `--dump-dom`
(after `--virtual-time-budget` lets the page's script and its API calls finish) gives the
answered page, and `--screenshot` a picture of it. Without Chromium the tests fail under CI
(CI=true, where `.ci/run` installs it) and skip, saying why, elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
from serve_support import call, running_server

from mlpay_model import InvalidInputError, predict_salary
from mlpay_model.data.sources import sources

pytestmark = pytest.mark.slow

BROWSER_SECONDS = 120
QUESTION = {
    "role": "Senior ML Engineer",
    "country": "Germany",
    "years": "5",
    "education": "master",
    "skills": "python, pytorch",
    "add_skill": "kubernetes",
    "country_to": "United States",
}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").is_file():
        found = "/usr/bin/chromium"
    if found is None:
        reason = "Chromium is not installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (.ci/run installs it with apt-get install chromium)")
        pytest.skip(f"{reason} (e.g. apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def browser() -> str:
    return chromium()


@pytest.fixture(scope="module")
def server(browser: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server("--log-level", "warning", root=tmp_path_factory.mktemp("serve")) as url:
        yield url


def run_browser(browser: str, url: str, *args: str, profile: Path) -> str:
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=20000",
            *args,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=BROWSER_SECONDS,
        env={**os.environ, "HOME": str(profile)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class Page(HTMLParser):
    """The text inside each element with an id, each such element's attributes, and every
    tag name seen."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.text: dict[str, str] = {}
        self.attributes: dict[str, dict[str, str | None]] = {}
        self.tags: list[str] = []
        self._open: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        identifier = found.get("id")
        if identifier:
            self.attributes[identifier] = found
            self.text.setdefault(identifier, "")
        if tag not in VOID:
            self._open.append(identifier)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for identifier in self._open:
            if identifier:
                self.text[identifier] += data

    def words(self, identifier: str) -> str:
        return " ".join(self.text.get(identifier, "").split())


def dump(browser: str, url: str, tmp_path: Path) -> Page:
    return Page(run_browser(browser, url, "--dump-dom", profile=tmp_path / "profile"))


def test_the_form_answers_in_a_real_browser(browser: str, server: str, tmp_path: Path) -> None:
    api = {
        "role": QUESTION["role"],
        "country": QUESTION["country"],
        "years_experience": QUESTION["years"],
        "education": QUESTION["education"],
        "skills": QUESTION["skills"],
    }
    _status, _headers, expected = call(f"{server}/api/predict", api)
    _status, _headers, moved = call(f"{server}/api/whatif", {**api, "country_to": "United States"})

    page = dump(browser, f"{server}/?{urlencode(QUESTION)}", tmp_path)

    assert page.attributes["app"]["data-state"] == "done", page.words("error")
    model = f"{expected['model']['name']} {expected['model']['version']}"
    assert page.words("median") == expected["display"]["median"]
    assert page.words("median").startswith("$")
    assert page.words("low") == expected["display"]["low"]
    assert page.words("high") == expected["display"]["high"]
    assert "80% range: " + expected["display"]["low"] in page.words("result")
    assert page.words("headline") == "Senior ML Engineer in Germany"
    assert page.words("concept").startswith(
        f"median base salary · pay year {expected['pay_year']} · model {model}"
    )
    factors = page.words("factors")
    for factor in expected["top_factors"]:
        assert f"{factor['label']} {factor['text']}" in factors
    assert "result" in page.attributes and "hidden" not in page.attributes["result"]
    by_source = page.words("sources")
    for source in sources():
        if source.default_model:
            assert source.label in by_source
    for warning in expected["warnings"]:
        assert " ".join(warning.split()) in page.words("warnings")
    assert page.attributes["whatif"]["data-state"] == "done"
    whatif = page.words("whatif-results")
    assert "add skill kubernetes: " in whatif
    assert (
        f"country to United States: {moved['before']['display']['median']} → "
        f"{moved['after']['display']['median']} ({moved['difference']['text']})"
    ) in whatif
    assert f"Model: {model} (base salary" in page.words("model-line")
    assert "master" in page.words("education")


def test_a_bad_input_shows_the_clis_message(browser: str, server: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as raised:
        predict_salary("ML Engineer", "Atlantis")

    page = dump(browser, f"{server}/?{urlencode({'role': 'ML Engineer', 'country': 'Atlantis'})}",
                tmp_path)  # fmt: skip

    assert page.attributes["app"]["data-state"] == "error"
    assert page.words("error") == " ".join(str(raised.value).split())
    assert "hidden" in page.attributes["result"]


def test_what_people_type_is_shown_as_text_never_as_markup(
    browser: str, server: str, tmp_path: Path
) -> None:
    role = '<img src=x id=injected onerror="document.title=1">Data <b>Scientist</b>'

    page = dump(browser, f"{server}/?{urlencode({'role': role, 'country': 'DE'})}", tmp_path)

    assert page.attributes["app"]["data-state"] == "done"
    assert page.words("headline") == " ".join(f"{role} in Germany".split())
    assert "injected" not in page.attributes
    assert "img" not in page.tags and "b" not in page.tags


def test_a_screenshot_shows_the_answer(browser: str, server: str, tmp_path: Path) -> None:
    image = pytest.importorskip("PIL.Image", reason="Pillow (comes with matplotlib, extra train)")
    answered, empty = tmp_path / "answered.png", tmp_path / "empty.png"
    for url, shot in ((f"{server}/?{urlencode(QUESTION)}", answered), (f"{server}/", empty)):
        run_browser(
            browser,
            url,
            f"--screenshot={shot}",
            "--window-size=1000,1500",
            "--hide-scrollbars",
            profile=tmp_path / f"profile-{shot.stem}",
        )

    def inked(path: Path) -> float:
        """The share of pixels below the form that are not the page's background."""
        picture = image.open(path).convert("L")
        assert picture.size == (1000, 1500)
        below = picture.crop((0, 450, 1000, 1500))
        histogram = below.histogram()
        background = max(range(256), key=histogram.__getitem__)
        ink = sum(count for level, count in enumerate(histogram) if abs(level - background) > 24)
        return ink / (below.width * below.height)

    # the answer (a big median, the range, the factors, the sources, the what-if) fills the
    # page below the form; without a question that part is empty
    assert inked(answered) > 0.02
    assert inked(empty) < 0.002
