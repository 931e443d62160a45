"""The HTML report: self-contained, complete, and saying what `compare` says.

Unit tests build the report's analyses from tiny real artifacts on inline rows (no data
files); tests/integration/train/test_report_built.py builds the real report from the shipped
models and the data in MLPAY_DATA_DIR (cheaper settings, once per module) and checks its
numbers against the engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from report_support import FAST, Page, check_self_contained, tiny_reference

from mlpay_model.compare import compare_roles
from training.report import answer, check_claims
from training.report.analysis import (
    FOCUS_ROLE,
    PEERS,
)
from training.report.claims import effect_finding, verdict_of
from training.report.wording import percent


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
