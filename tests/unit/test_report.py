"""The HTML report: self-contained, complete, and saying what `compare` says.

Unit tests build the report's analyses from tiny real artifacts on inline rows (no data
files); the last tests build the real report from the shipped models and the data in
MLPAY_DATA_DIR (cheaper settings, once per module) and check its numbers against the engine.
"""

from __future__ import annotations

import base64
import math
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from mlpay_model.compare import DataFile, Reference, compare_roles, parse_filters
from training.report import Settings, answer, check_claims, render_report
from training.report.analysis import (
    FOCUS_ROLE,
    PEERS,
    SourceAnalysis,
    analyse,
)
from training.report.claims import effect_finding, verdict_of
from training.report.wording import percent, source_label

SECTIONS = ("summary", "peers", "variation", "skills", "claims", "method", "caveats", "footer")
FAST = Settings(min_rows=20, max_people=200, resamples=100, seed=0)


class Page(HTMLParser):
    """Tags with their attributes, and the text inside each element that has an id."""

    def __init__(self, document: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(document)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag not in ("img", "meta", "br"):
            self._open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text_by_id[str(attributes["id"])] = ""

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data

    def attributes(self, element_id: str) -> dict[str, str | None]:
        return next(attrs for _, attrs in self.tags if attrs.get("id") == element_id)


def tiny_reference() -> Reference:
    from artifact_factory import canonical_frame

    profiles = canonical_frame(rows=1500)  # enough US ML engineers for the pay claim
    data_file = DataFile(
        source="inline",
        file="tests/artifact_factory.py",
        sha256="0" * 64,
        model_sha256="0" * 64,
        rows_read=len(profiles),
        rows_kept=len(profiles),
    )
    return Reference(profiles=profiles, files=(data_file,))


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory):
    from artifact_factory import build_models_dir

    from mlpay_model.model import load_model

    root = build_models_dir(tmp_path_factory.mktemp("models"))
    return [load_model(root / "tiny"), load_model(root / "tiny_aijobs")]


@pytest.fixture(scope="module")
def tiny_report(tiny_models) -> tuple[list[SourceAnalysis], str]:
    reference = tiny_reference()
    analyses = [analyse(model, reference, FAST) for model in tiny_models]
    document = render_report(analyses, answer(analyses), check_claims(analyses), FAST)
    return analyses, document


def check_self_contained(document: str) -> Page:
    page = Page(document)
    assert document.startswith("<!DOCTYPE html>")
    tags = [tag for tag, _ in page.tags]
    assert tags.count("html") == 1 and tags.count("body") == 1
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert images, "the report has no plots"
    for attrs in images:
        source = str(attrs.get("src"))
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert attrs.get("alt")
    for _, attrs in page.tags:
        for name in ("src", "href"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), f"{name}={value}"
    assert "url(" not in document  # no CSS fetching anything
    for section in SECTIONS:
        assert section in page.text_by_id, f"section {section!r} missing"
    return page


def test_report_is_one_self_contained_html_document(tiny_report) -> None:
    _, document = tiny_report
    check_self_contained(document)


def test_report_rows_carry_the_engine_numbers(tiny_report, tiny_models) -> None:
    analyses, document = tiny_report
    page = Page(document)
    [expected] = compare_roles(
        tiny_models[0],
        tiny_reference().profiles,
        FOCUS_ROLE,
        ["software_engineer"],
        min_rows=FAST.min_rows,
        max_people=FAST.max_people,
        resamples=FAST.resamples,
        seed=FAST.seed,
    )
    row_id = f"peer-{analyses[0].model}-software_engineer"
    attributes = page.attributes(row_id)
    assert expected.premium is not None and expected.ci is not None
    assert float(str(attributes["data-premium"])) == expected.premium
    assert float(str(attributes["data-ci-low"])) == expected.ci[0]
    assert int(str(attributes["data-n"])) == expected.n == FAST.max_people
    assert percent(expected.premium) in page.text_by_id[row_id]


def test_every_peer_and_source_has_a_row(tiny_report) -> None:
    analyses, document = tiny_report
    page = Page(document)
    for analysis in analyses:
        for peer in PEERS:
            assert f"peer-{analysis.model}-{peer}" in page.text_by_id


def test_rare_roles_show_as_not_compared(tiny_report) -> None:
    # The tiny data has no research scientists: the row says so instead of a number.
    _, document = tiny_report
    page = Page(document)
    text = page.text_by_id["peer-tiny-research_scientist"]
    assert "not compared" in text
    assert "data-premium" not in str(page.attributes("peer-tiny-research_scientist"))


def test_sources_without_a_factor_get_the_right_slices(tiny_report) -> None:
    full, aijobs_like = tiny_report[0]
    assert "experience" in full.slices and "seniority" not in full.slices
    assert "seniority" in aijobs_like.slices and "experience" not in aijobs_like.slices
    assert "education" not in aijobs_like.slices
    assert full.skills and not aijobs_like.skills
    assert full.experience_effect is not None and full.experience_effect.premium > 0


def test_summary_answers_the_question_with_numbers(tiny_report) -> None:
    analyses, document = tiny_report
    page = Page(document)
    summary = page.text_by_id["summary"]
    result = answer(analyses)
    assert result.headline in summary
    vs_software = next(c for c in analyses[0].peers if c.vs == "software_engineer")
    assert vs_software.premium is not None
    assert percent(vs_software.premium) in summary
    # The tiny data pays ML engineers 1.35x, software engineers 1.1x, data scientists 1.2x.
    assert result.headline == "Yes"
    assert "By source \u2014 " in summary and "more than software engineers" in summary
    # The tiny artifacts carry no training config: no refits, and the summary says what its
    # intervals then do not cover.
    assert "which people are in the data only" in summary and "not run" in summary


def test_claims_have_verdicts_and_evidence(tiny_report) -> None:
    analyses, document = tiny_report
    page = Page(document)
    for claim in check_claims(analyses):
        text = page.text_by_id[f"claim-{claim.key}"]
        assert claim.verdict in text and "How sure" in text
    # The tiny data pays ML engineers in the US well above $112k (60k x 1.35 x 1.6 x ...), but
    # its "inline" source has no known pay concept: a base-pay claim is not graded with it.
    us_pay = next(c for c in check_claims(analyses) if c.key == "us_pay")
    assert us_pay.verdict == "cannot tell"
    assert all(item.finding == "not graded" for item in us_pay.evidence)


def test_percent_ticks_keep_the_decimals_they_need() -> None:
    from training.report.figures import percent_tick

    # 2.5% once read "3%" on the skills axis (a fixed 0-decimal formatter).
    assert [percent_tick(v) for v in (0.025, 0.1, -0.075, 0.0)] == [
        "2.5%",
        "10%",
        "\u22127.5%",
        "0%",
    ]
    assert percent_tick(1.3877787807814457e-17) == "0%" and percent_tick(-0.0) == "0%"


def test_verdicts_follow_the_stated_rules() -> None:
    assert effect_finding(0.01, 0.05) == "for"
    assert effect_finding(-0.05, -0.01) == "against"
    assert effect_finding(-0.01, 0.05) == "unclear"
    assert effect_finding(100.0, 130.0, line=112.0) == "unclear"
    assert verdict_of([])[0] == "cannot tell"
    assert verdict_of(["for", "for", "for"]) == (
        "supported",
        "high: all 3 sources with the data agree",
    )
    assert verdict_of(["for", "against"])[0] == "partly supported"
    assert verdict_of(["against"]) == ("not supported", "medium: only one source has the data")
    assert verdict_of(["unclear", "unclear"])[0] == "cannot tell"


@pytest.mark.slow
def test_same_inputs_give_the_same_report(tiny_models, tiny_report) -> None:
    analyses, document = tiny_report
    # Re-analysing the cheaper (aijobs-like) model is enough to catch unseeded randomness.
    again = [analyses[0], analyse(tiny_models[1], tiny_reference(), FAST)]
    assert render_report(again, answer(again), check_claims(again), FAST) == document


# --- the real report, from the shipped models and the data --------------------------------------
# Built once per module with cheaper settings (1,000 people, 200 resamples, no refits: the
# refits are tested in test_report_uncertainty.py) and checked against the engine run with the
# same settings on the same rebuilt rows.

SHIPPED = ("aijobs", "kaggle", "stackoverflow")
REAL = Settings(max_people=1_000, resamples=200, refits=0)


@pytest.fixture(scope="module")
def shipped_references(data_dir: Path):
    """{name: (model, reference)} for the shipped models, rebuilt once for the module."""
    from mlpay_model.compare import load_reference
    from mlpay_model.model import load_model, models_dir, shipped_models

    missing = [name for name in SHIPPED if name not in shipped_models()]
    if missing:
        pytest.skip(f"shipped models missing from {models_dir()}: {', '.join(missing)}")
    loaded = {name: load_model(name) for name in SHIPPED}
    return {name: (model, load_reference(model.manifest)) for name, model in loaded.items()}


@pytest.fixture(scope="module")
def real_report(shipped_references) -> tuple[list[SourceAnalysis], str]:
    analyses = [analyse(model, reference, REAL) for model, reference in shipped_references.values()]
    return analyses, render_report(analyses, answer(analyses), check_claims(analyses), REAL)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--models", "no-such-model"], "no-such-model"),
        (["--models", "aijobs,aijobs"], "twice"),
        (["--models", " , "], "at least one"),
        (["--models", "aijobs", "--refits", "1"], "refits=1"),
        (["--models", "aijobs", "--refits", "-2"], "refits=-2"),
    ],
)
def test_report_command_refuses_bad_arguments(capsys, tmp_path: Path, arguments, message) -> None:
    from mlpay_model.cli import USER_ERROR_EXIT, main

    output = tmp_path / "report.html"
    assert main(["report", "-o", str(output), *arguments]) == USER_ERROR_EXIT
    err = capsys.readouterr().err
    assert err.startswith("mlpay report: error:") and message in err
    assert not output.exists()


@pytest.mark.data
@pytest.mark.slow  # the real report
def test_build_report_writes_the_file_it_reports(data_dir: Path, tmp_path: Path) -> None:
    from training.report import build_report

    output = tmp_path / "nested" / "report.html"
    output.parent.mkdir()  # a missing folder is refused, never created (test_guard_cli)
    report = build_report(["aijobs"], output, REAL)
    assert report.path == output
    document = output.read_text(encoding="utf-8")
    check_self_contained(document)
    assert report.answer.headline in Page(document).text_by_id["summary"]
    assert [a.model for a in report.analyses] == ["aijobs"]


@pytest.mark.data
@pytest.mark.slow
def test_real_report_is_self_contained_and_complete(real_report, shipped_references) -> None:
    _, document = real_report
    page = check_self_contained(document)
    footer = " ".join(page.text_by_id["footer"].split())
    for name, (model, _) in shipped_references.items():
        assert f"peer-{name}-software_engineer" in page.text_by_id
        assert f"model {name} version {model.version}" in footer
        for entry in model.manifest["data"]:  # the data read now is the data trained on
            assert entry["sha256"] in footer
    assert "differs from the file the model was trained on" not in footer
    # Year bands are described for people: no float artefacts such as 1.79e308 or 5.999...
    variation = page.text_by_id["variation"]
    assert "21+ years" in variation
    assert "179769313" not in variation and ".99999" not in variation


@pytest.mark.data
@pytest.mark.parametrize("model", SHIPPED)
@pytest.mark.slow
def test_real_report_numbers_are_the_engines(real_report, shipped_references, model) -> None:
    _, document = real_report
    page = Page(document)
    salary_model, reference = shipped_references[model]
    results = compare_roles(
        salary_model,
        reference.profiles,
        "Machine Learning Engineer",
        ["Software Engineer", "Data Scientist"],
        min_rows=REAL.min_rows,
        max_people=REAL.max_people,
        resamples=REAL.resamples,
        seed=REAL.seed,
        refits=None,  # REAL skips the refits
    )
    for result in results:
        row_id = f"peer-{model}-{result.vs}"
        text = page.text_by_id[row_id]
        if result.premium is None or result.ci is None:
            assert "not compared" in text
            continue
        attributes = page.attributes(row_id)
        assert float(str(attributes["data-premium"])) == result.premium
        assert float(str(attributes["data-ci-high"])) == result.ci[1]
        assert int(str(attributes["data-n"])) == result.n
        assert percent(result.premium) in text
        assert f"{result.n_role:,}" in text and f"{result.n_vs:,}" in text
        assert "not refitted" in text  # REAL skips the refits, and the row says so


@pytest.mark.data
@pytest.mark.slow
def test_real_report_country_slice_is_the_engines(real_report, shipped_references) -> None:
    _, document = real_report
    model, reference = shipped_references["aijobs"]
    [result] = compare_roles(
        model,
        reference.profiles,
        "ml_engineer",
        ["software_engineer"],
        parse_filters(country="United States"),
        max_people=REAL.max_people,
        resamples=REAL.resamples,
        refits=None,
    )
    attributes = Page(document).attributes("slice-aijobs-country-US-software_engineer")
    assert result.premium is not None
    assert math.isclose(float(str(attributes["data-premium"])), result.premium)
    assert result.filters == {"country": "US"}


# --- issue 12: every mark means what it says ------------------------------------------------------


def test_every_table_scrolls_in_its_own_box_not_the_page(tiny_report) -> None:
    """A wide table (the peers table is wider than 1280 px pages) scrolls inside its own
    box, so the page never scrolls sideways."""
    _, document = tiny_report
    assert ".table-wrap { max-width: 100%; overflow-x: auto;" in document
    assert document.count("<table>") == document.count("<div class='table-wrap'><table>") > 0


def test_report_has_a_viewport_and_specific_alt_texts(tiny_report) -> None:
    analyses, document = tiny_report
    page = Page(document)
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in document
    alts = [str(attrs.get("alt")) for tag, attrs in page.tags if tag == "img"]
    assert len(set(alts)) == len(alts), "two plots share one alt text"
    headline = page.attributes("headline-plot")
    vs_software = analyses[0].headline("software_engineer")
    assert vs_software is not None and vs_software.premium is not None
    assert percent(vs_software.premium) in str(headline["alt"])


def test_the_answer_and_its_plot_come_first(tiny_report) -> None:
    _, document = tiny_report
    summary = document.index("id='summary'")
    assert summary < document.index("id='headline-plot'") < document.index("id='peers'")
    # Only the answer's first sentence stands between the headline and the plot.
    between = document[document.index("class='headline'") : document.index("id='headline-plot'")]
    assert between.count("<p>") == 1


def test_uncheckable_claims_say_so() -> None:
    claims = {claim.key: claim for claim in check_claims([])}
    for key in ("cities", "job_postings", "bls_projection"):
        assert claims[key].verdict == "not checkable"
        assert "not checkable with these sources" in claims[key].summary


def test_not_graded_evidence_does_not_count() -> None:
    assert verdict_of(["not graded"])[0] == "cannot tell"
    assert verdict_of(["for", "not graded"]) == (
        "supported",
        "medium: only one source has the data",
    )


def _effect(value: str, premium: float, ci, estimated: bool = True, people=None):
    from mlpay_model.compare import FactorEffect

    return FactorEffect(
        "education", value, "bachelor", premium, ci, 100, 10,
        ci_people=people or ci, refits=20, estimated=estimated,
    )  # fmt: skip


def test_identical_estimates_are_not_graded_as_a_result(tiny_report) -> None:
    from dataclasses import replace

    analyses, _ = tiny_report
    merged = (
        _effect("master", 0.042, (0.019, 0.065), people=(0.04, 0.044)),
        _effect("doctorate", 0.042, (0.018, 0.065), people=(0.04, 0.044)),
    )
    analysis = replace(analyses[0], education_effects=merged)
    claim = next(c for c in check_claims([analysis]) if c.key == "education")
    assert claim.verdict == "cannot tell"
    assert [item.finding for item in claim.evidence] == ["not graded"]
    assert "do not tell these levels apart" in claim.evidence[0].text


def test_a_base_pay_claim_is_not_graded_with_total_pay(tiny_report) -> None:
    from dataclasses import replace

    analyses, _ = tiny_report
    total = [replace(a, pay_concept="total compensation") for a in analyses]
    claim = next(c for c in check_claims(total) if c.key == "us_pay")
    assert claim.verdict == "cannot tell"
    assert all(item.finding == "not graded" for item in claim.evidence)
    base = [replace(analyses[0], pay_concept="base salary"), total[1]]
    graded = next(c for c in check_claims(base) if c.key == "us_pay")
    assert graded.verdict == "supported" and not graded.confidence.startswith("high")


def test_the_answer_is_given_per_pay_concept(tiny_report) -> None:
    from dataclasses import replace

    analyses, _ = tiny_report
    mixed = [
        replace(analyses[0], pay_concept="base salary"),
        replace(analyses[1], pay_concept="total compensation"),
    ]
    text = " ".join(answer(mixed).sentences)
    assert "on base salary, more in" in text and "on total compensation, more in" in text


def test_estimates_outside_their_refits_are_explained_in_the_summary(tiny_report) -> None:
    from dataclasses import replace

    analyses, _ = tiny_report
    first = analyses[0]
    peers = tuple(
        replace(c, ci_refits=(c.premium + 0.01, c.premium + 0.05), refits=20)
        if c.vs == "software_engineer" and c.premium is not None
        else c
        for c in first.peers
    )
    text = " ".join(answer([replace(first, peers=peers)]).sentences)
    assert "outside the middle 90% of their own refits" in text


def test_skills_the_model_never_uses_are_listed_apart(tiny_report) -> None:
    from dataclasses import replace

    from training.report.render import render_report as render

    analyses, _ = tiny_report
    [with_skills] = [a for a in analyses if a.skills] or [None]
    if with_skills is None:
        pytest.skip("the tiny models have no skills")
    unused = replace(with_skills.skills[0], premium=0.0, ci=(0.0, 0.0), estimated=False)
    changed = replace(with_skills, skills=(unused, *with_skills.skills[1:]))
    others = [changed if a is with_skills else a for a in analyses]
    document = render(others, answer(others), check_claims(others), FAST)
    page = Page(document)
    assert unused.value in page.text_by_id["skills-not-estimated"]
    assert f"skill-{changed.model}-{unused.value}" not in page.text_by_id


def test_skill_bars_are_coloured_as_the_legend_says() -> None:
    from training.report import figures

    # "Filled bars: the interval excludes zero": below zero too (php, windows, mysql).
    assert figures.effect_colour((0.01, 0.05)) == figures.FOCUS_COLOUR
    assert figures.effect_colour((-0.05, -0.01)) == figures.BELOW_COLOUR
    assert figures.effect_colour((-0.01, 0.05)) == figures.OTHER_COLOUR
    assert figures.BELOW_COLOUR not in (figures.FOCUS_COLOUR, figures.OTHER_COLOUR)


def test_report_help_prints_the_number_of_refits(capsys) -> None:
    from mlpay_model import compare
    from mlpay_model.cli import main
    from mlpay_model.cli import report as report_cli

    assert report_cli.DEFAULT_REFITS == compare.DEFAULT_REFITS
    assert report_cli.MIN_REFITS == compare.MIN_REFITS
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = capsys.readouterr().out
    assert "DEFAULT_REFITS" not in out and f"default: {compare.DEFAULT_REFITS}" in out


def test_the_report_analyses_the_default_model_unless_told_otherwise(capsys) -> None:
    # One model behind every answer (issue 22, item 6): the report's default is the model
    # predict, whatif, compare and serve use, never the single-source models.
    import argparse

    from mlpay_model.cli import build_parser, main
    from mlpay_model.cli import report as report_cli
    from mlpay_model.data.sources.registry import default_model_names
    from training.report import DEFAULT_MODELS

    assert DEFAULT_MODELS == ("default",) and report_cli.DEFAULT_MODELS == "default"
    commands = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    report = commands.choices["report"]
    option = next(action for action in report._actions if "--models" in action.option_strings)
    assert option.default == ",".join(DEFAULT_MODELS)
    assert not set(default_model_names()) & set(DEFAULT_MODELS)
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "default: default" in out and "--models" in out


@pytest.mark.slow  # a browser
def test_report_renders_in_headless_chromium(tiny_report, tmp_path: Path) -> None:
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CI") == "true":  # .ci/run installs it: missing there is a failure
            pytest.fail("chromium is not installed (CI=true)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    _, document = tiny_report
    page = tmp_path / "report.html"
    page.write_text(document, encoding="utf-8")
    dumped = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert 'id="headline-plot"' in dumped and "data:image/png;base64," in dumped
    assert answer(tiny_report[0]).headline in dumped


@pytest.mark.data
@pytest.mark.slow
def test_the_default_is_reported_per_source_population(data_dir: Path) -> None:
    from mlpay_model.compare import load_reference
    from mlpay_model.data.sources.registry import find_source
    from mlpay_model.model import load_model, models_dir, shipped_models
    from training.report import DEFAULT_MODELS, analyse_models

    if "pooled" not in shipped_models():
        pytest.skip(f"shipped model 'pooled' is not in {models_dir()}")
    model = load_model("default")  # what `mlpay report` analyses without --models
    reference = load_reference(model.manifest)
    analyses = analyse_models(DEFAULT_MODELS, REAL)
    assert {(a.model, a.version) for a in analyses} == {(model.name, model.version)}
    assert [a.population for a in analyses] == list(model.populations)
    document = render_report(analyses, answer(analyses), check_claims(analyses), REAL)
    page = check_self_contained(document)
    ids = [attrs["id"] for _, attrs in page.tags if attrs.get("id")]
    assert len(ids) == len(set(ids)), "two analyses of one model share an element id"
    for analysis in analyses:
        name = analysis.population
        people = reference.profiles[reference.profiles["source"] == name]
        assert analysis.rows == len(people)
        assert analysis.pay_concept == model.population_pay_texts[name]
        assert source_label(analysis) == find_source(name).label
        assert {c.population for c in analysis.peers} == {name}
        assert all(item.source == name for item in analysis.files)


def test_the_role_pay_table_prices_each_person_with_the_roles_title() -> None:
    # The report's controlled pay per role changes the title with the role (issue 22, item 5),
    # through the one helper compare and whatif use.
    import numpy as np
    import pandas as pd

    from mlpay_model.compare import ROLE_TITLES, sample_people
    from mlpay_model.model.features import OTHER_CATEGORY, FeatureSpec
    from training.report.analysis import _role_pay

    class Recording:
        name, version = "recording", "1"
        spec = FeatureSpec(
            features=("role",),
            categories={"role": ("data_scientist", "ml_engineer", OTHER_CATEGORY)},
        )

        def __init__(self) -> None:
            self.seen: list[pd.DataFrame] = []

        def predict(self, profiles: pd.DataFrame) -> pd.DataFrame:
            self.seen.append(profiles.copy())
            ones = np.ones(len(profiles))
            return pd.DataFrame({"median": ones, "low": ones, "high": ones}, index=profiles.index)

    profiles = tiny_reference().profiles
    profiles.loc[profiles.index[::3], "role_raw"] = "Senior Data Engineer"
    people = sample_people(profiles, 200)
    model = Recording()
    rows = _role_pay(model, profiles, people, FAST)  # type: ignore[arg-type]
    assert [row.role for row in rows] == ["data_scientist", "ml_engineer"]
    for frame, row in zip(model.seen, rows, strict=True):
        title = ROLE_TITLES[row.role]
        expected = [
            f"Senior {title}" if raw == "Senior Data Engineer" else title
            for raw in people["role_raw"]
        ]
        assert set(frame["role"]) == {row.role} and frame["role_raw"].tolist() == expected
