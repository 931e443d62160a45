"""The HTML report built whole: twice from the same tiny models, rendered in headless Chromium, and
from the shipped models and the data in MLPAY_DATA_DIR (the analyses' unit tests:
tests/unit/test_report.py)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from report_support import FAST, Page, check_self_contained, tiny_reference

from mlpay_model.compare import compare_roles, parse_filters
from training.report import Settings, answer, check_claims, render_report
from training.report.analysis import SourceAnalysis, analyse
from training.report.wording import percent, source_label


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
