"""The report as one self-contained HTML document: inline CSS, plots as base64 PNG, no scripts.

Every table row that carries a comparison has a stable `id` and `data-*` attributes with the
unrounded numbers (`data-premium`, `data-ci-low`, `data-ci-high`, `data-n`), so tests and
readers can check the report against `mlpay compare --json`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Final

from mlpay_model import __version__
from mlpay_model._format import money
from mlpay_model.compare import FactorEffect, RoleComparison
from mlpay_model.data.sources.registry import find_source
from mlpay_model.data.sources.registry import sources as registered_sources
from training.report import figures
from training.report.analysis import (
    EXPERIENCE_BANDS,
    FOCUS_ROLE,
    HEADLINE_PEERS,
    MAX_COUNTRIES,
    MAX_SKILLS,
    Settings,
    SourceAnalysis,
)
from training.report.claims import Answer, Claim
from training.report.wording import and_list, interval, percent, role_label, source_label

TITLE: Final = "Are ML engineers paid more?"
ZERO_WIDTH: Final = 0.0005  # a people interval narrower than 0.05 points reads as no width

STYLE: Final = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
       max-width: 1150px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 2em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-top: 1.5em; }
.summary { background: #f3f7fb; border-left: 5px solid #1f77b4; padding: 0.8em 1.2em; }
.headline { font-size: 1.5em; font-weight: bold; margin-top: 0.3em; }
.summary p:first-of-type { font-size: 1.08em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td { overflow-wrap: break-word; }
td.num { text-align: right; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: 0.8em 0; }
.table-wrap > table { margin: 0; }
details > summary { cursor: pointer; color: #1f5f9b; margin: 0.5em 0; }
img { max-width: 100%; height: auto; display: block; margin: 0.8em 0; }
.flag { color: #8a5a00; }
.verdict { font-weight: bold; padding: 0.1em 0.5em; border-radius: 3px; white-space: nowrap; }
.supported { background: #d8f0d8; } .partly-supported { background: #fff1c4; }
.not-supported { background: #f8d7d7; } .cannot-tell { background: #e6e6e6; }
.not-checkable { background: #e6e6e6; border: 1px dashed #888; }
.claim { border: 1px solid #ddd; padding: 0.6em 1em; margin: 1em 0; }
.note { color: #555; font-size: 0.9em; }
footer { margin-top: 3em; border-top: 2px solid #ddd; font-size: 0.85em; color: #444; }
code { background: #f4f4f4; padding: 0 0.2em; }
"""

FINDING_WORDS: Final[dict[str, str]] = {
    "for": "supports",
    "against": "contradicts",
    "unclear": "unclear",
    "not graded": "shown, not graded",
}

DIMENSION_TITLES: Final[dict[str, str]] = {
    "country": "country",
    "experience": "years of experience",
    "seniority": "seniority level",
    "education": "education",
}


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def slug(*parts: object) -> str:
    return "-".join(str(part).replace(" ", "_").replace("+", "plus") for part in parts)


def render_report(
    analyses: Sequence[SourceAnalysis],
    answer: Answer,
    claims: Sequence[Claim],
    settings: Settings,
) -> str:
    """The whole HTML document."""
    body = [
        f"<h1>{e(TITLE)}</h1>",
        "<p class='note'>Sources: "
        + ", ".join(
            f"{e(source_label(a))} (model {e(a.model)}, version {e(a.version)})" for a in analyses
        )
        + "</p>",
        _summary(answer, analyses),
        _peers_section(analyses, settings),
        _variation_section(analyses, settings),
        _skills_section(analyses, settings),
        _claims_section(analyses, claims, settings),
        _method_section(analyses, settings),
        _caveats_section(analyses),
        _footer(analyses, settings),
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{e(TITLE)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _summary(answer: Answer, analyses: Sequence[SourceAnalysis]) -> str:
    """The answer, its first sentence and the main plot first (the first screen); the other
    sentences follow the plot."""
    first, *rest = answer.sentences
    sentences = "".join(f"<p>{e(sentence)}</p>" for sentence in rest)
    return (
        "<section id='summary' class='summary'><div class='note'>Are ML engineers paid more? "
        f"</div><div class='headline'>{e(answer.headline)}</div><p>{e(first)}</p>"
        + _image(figures.headline_plot(analyses), _headline_alt(analyses), "headline-plot")
        + f"{sentences}</section>"
    )


def _headline_alt(analyses: Sequence[SourceAnalysis]) -> str:
    """The headline plot's alt text: every number it shows."""
    parts = []
    for a in analyses:
        for peer in HEADLINE_PEERS:
            c = a.headline(peer)
            if c is not None and c.premium is not None and c.ci is not None:
                parts.append(
                    f"{source_label(a)} ({a.pay_concept}) vs {role_label(peer)} "
                    f"{percent(c.premium)} ({interval(*c.ci)})"
                )
    return "Controlled premium of ML engineers, 90% intervals with model refits: " + (
        "; ".join(parts) or "no comparison"
    )


def _image(png: str, alt: str, image_id: str = "") -> str:
    if not png:
        return "<p class='note'>No source has the data for this plot.</p>"
    identifier = f" id='{e(image_id)}'" if image_id else ""
    return f"<img{identifier} alt='{e(alt)}' src='data:image/png;base64,{png}'>"


def _table(headers: Iterable[str], rows: Iterable[str]) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    # in its own scrolling box: a table wider than the page scrolls, the page does not
    return (
        f"<div class='table-wrap'><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _num(text: str) -> str:
    return f"<td class='num'>{e(text)}</td>"


def _comparison_row(
    row_id: str,
    first_cells: Sequence[str],
    c: RoleComparison,
    extra_cells: str = "",
    extra_attributes: str = "",
) -> str:
    attributes = f"id='{e(row_id)}'{extra_attributes}"
    if c.premium is not None and c.ci is not None:
        attributes += (
            f" data-premium='{c.premium!r}' data-ci-low='{c.ci[0]!r}'"
            f" data-ci-high='{c.ci[1]!r}' data-n='{c.n}' data-refits='{c.refits}'"
            f" data-interval='{e(c.interval)}'"
        )
        if c.ci_people is not None:
            attributes += (
                f" data-ci-people-low='{c.ci_people[0]!r}' data-ci-people-high='{c.ci_people[1]!r}'"
            )
        controlled = [
            _num(percent(c.premium)),
            _num(interval(*c.ci)),
            _num(people_interval(c.ci_people)),
            _num(f"{c.n:,}"),
        ]
    else:
        controlled = [f"<td colspan='4' class='flag'>not compared: {e(c.note)}</td>"]
    raw_gap = (
        percent(c.raw_median_role / c.raw_median_vs - 1)
        if c.raw_median_role and c.raw_median_vs
        else "n/a"
    )
    cells = [
        *(f"<td>{e(cell)}</td>" for cell in first_cells),
        *controlled,
        _num(f"{money(c.raw_median_role)} ({c.n_role:,})"),
        _num(f"{money(c.raw_median_vs)} ({c.n_vs:,})"),
        _num(raw_gap),
    ]
    return f"<tr {attributes}>{''.join(cells)}{extra_cells}</tr>"


COMPARISON_HEADERS: Final[tuple[str, ...]] = (
    "controlled premium",
    "90% interval (model + people)",
    "people only",
    "people",
    "raw median ML engineers (rows)",
    "raw median peer (rows)",
    "raw gap",
)


def people_interval(ci: tuple[float, float] | None) -> str:
    """The people-only interval; "no spread" rather than an interval of zero width."""
    if ci is None:
        return "n/a"
    if percent(ci[0]) == percent(ci[1]):
        return "no spread (model fixed)"
    return interval(*ci)


def _peer_row(analysis: SourceAnalysis, c: RoleComparison) -> str:
    """A peers-table row: the comparison cells plus the refits' middle 90%."""
    if c.ci_refits is None or c.premium is None:
        cells = "<td class='note'>not refitted</td>"
    else:
        outside = not c.ci_refits[0] <= c.premium <= c.ci_refits[1]
        cells = _num(interval(*c.ci_refits) + (" (estimate outside)" if outside else ""))
    return _comparison_row(
        slug("peer", analysis.key, c.vs),
        [source_label(analysis), analysis.pay_concept, f"vs {role_label(c.vs)}"],
        c,
        extra_cells=cells,
    )


def _peers_section(analyses: Sequence[SourceAnalysis], settings: Settings) -> str:
    rows = [_peer_row(a, c) for a in analyses for c in a.peers]
    refits = sorted({a.refits for a in analyses if a.refits})
    not_run = [f"{source_label(a)}: {a.refit_note}" for a in analyses if a.refit_note]
    refit_text = (
        "<b>Model refits</b>: for every comparison in this report the model's median booster "
        f"is retrained {e(' or '.join(map(str, refits)))} times with its own training settings "
        "on bootstrap resamples of its training rows, and the premium recomputed for the same "
        "people; the last column gives the middle 90% of those premiums. The interval shown "
        "first combines both kinds of uncertainty (section 5 gives the formula; with this few "
        "refits it is a guide, not an exact 90%); the summary uses it."
        if refits
        else "<b>Model refits</b> were not run, so no interval here covers the model's own "
        "uncertainty."
    )
    if not_run:
        refit_text += " Not run for " + e("; ".join(not_run)) + "."
    return (
        "<section id='peers'><h2>1. ML engineers against their peers</h2>"
        f"<p>{e(_models_phrase(analyses))} predicts the pay of the same people twice, once as "
        "ML engineers and once in the peer role, with country, experience, education, skills "
        "and the other factors unchanged. The <b>controlled premium</b> is the median of the "
        "per-person ratios minus one. The <b>raw gap</b> compares the median observed pay of "
        "the two roles and so also reflects who holds them (country, experience...).</p>"
        "<p>Two kinds of uncertainty: <b>people</b>: a bootstrap over the people the premium "
        f"is averaged over ({settings.resamples:,} resamples). It keeps the fitted model fixed, "
        "so it is (almost) zero wide when the model gives nearly everyone the same ratio "
        f"between the two roles{e(_zero_width_note(analyses))}; that does not mean the premium "
        f"is known exactly. {refit_text}</p>"
        + _image(figures.forest_plot(analyses), _forest_alt(analyses))
        + _table(
            (
                "source",
                "pay concept",
                "comparison",
                *COMPARISON_HEADERS,
                "model refits: middle 90% of premiums",
            ),
            rows,
        )
        + "</section>"
    )


def _forest_alt(analyses: Sequence[SourceAnalysis]) -> str:
    parts = [
        f"{source_label(a)} vs {role_label(c.vs)} {percent(c.premium)}"
        for a in analyses
        for c in a.peers
        if c.premium is not None
    ]
    return "ML engineers' controlled premium over each peer role, by source: " + "; ".join(parts)


def _zero_width_note(analyses: Sequence[SourceAnalysis]) -> str:
    """ ", as for the aijobs.net people" for the sources whose people intervals have no width."""
    narrow = [
        source_label(a)
        for a in analyses
        if any(
            c.ci_people is not None and c.ci_people[1] - c.ci_people[0] < ZERO_WIDTH
            for c in a.peers
        )
    ]
    return f", as for the {and_list(narrow)} people" if narrow else ""


def _peer_words() -> str:
    return and_list([role_label(peer) for peer in HEADLINE_PEERS])


def _variation_section(analyses: Sequence[SourceAnalysis], settings: Settings) -> str:
    peers = _peer_words()
    parts = [
        "<section id='variation'><h2>2. How the premium varies</h2>",
        f"<p>The premium of ML engineers over {e(peers)} within slices of each source: the "
        f"reference population is the people in the slice. A slice is compared when both roles "
        f"have at least {settings.min_rows} rows in it. Countries: the up to {MAX_COUNTRIES} "
        "with the most ML engineers. Experience: years bands ("
        + e(", ".join(label for label, _, _ in EXPERIENCE_BANDS))
        + "), or seniority levels where the source has no years (aijobs.net). The intervals "
        "cover the people and the model refits (section 1). All panels of a plot share one "
        "x-scale, so the sources can be compared.</p>",
    ]
    for title, dimensions in (
        ("By country", ("country",)),
        ("By experience", ("experience", "seniority")),
        ("By education", ("education",)),
    ):
        comparisons = [
            (a, item, c)
            for a in analyses
            for dimension in dimensions
            for item in a.slices.get(dimension, ())
            for c in item.comparisons
        ]
        rows = [
            _comparison_row(
                slug("slice", a.key, item.dimension, item.label, c.vs),
                [source_label(a), DIMENSION_TITLES[item.dimension], item.label, role_label(c.vs)],
                c,
            )
            for a, item, c in comparisons
        ]
        section_id = slug("variation", title.split()[-1])
        parts.append(f"<h3 id='{e(section_id)}'>{e(title)}</h3>")
        if not rows:
            parts.append("<p class='note'>No source has this factor.</p>")
            continue
        missing = [
            source_label(a) for a in analyses if not any(a.slices.get(d) for d in dimensions)
        ]
        if missing:
            parts.append(f"<p class='note'>Not in the data of {e(', '.join(missing))}.</p>")
        parts.append(
            _image(
                figures.slice_plot(analyses, dimensions, f"ML engineers' premium {title.lower()}"),
                _slice_alt(analyses, dimensions, title),
            )
        )
        flagged = sum(1 for _, _, c in comparisons if c.premium is None)
        parts.append(
            f"<details><summary>Table: the {len(rows)} comparisons {e(title.lower())}"
            + (f" ({flagged} not compared, with the reason)" if flagged else "")
            + "</summary>"
            + _table(("source", "factor", "slice", "vs", *COMPARISON_HEADERS), rows)
            + "</details>"
        )
    parts.append("</section>")
    return "".join(parts)


def _slice_alt(analyses: Sequence[SourceAnalysis], dimensions: Sequence[str], title: str) -> str:
    parts = [
        f"{source_label(a)} {item.label} vs {role_label(c.vs)} {percent(c.premium)}"
        for a in analyses
        for dimension in dimensions
        for item in a.slices.get(dimension, ())
        for c in item.comparisons
        if c.premium is not None
    ]
    return f"ML engineers' premium {title.lower()}: " + ("; ".join(parts) or "none compared")


def _effect_row(row_id: str, cells: Sequence[str], effect: FactorEffect) -> str:
    attributes = (
        f"id='{e(row_id)}' data-premium='{effect.premium!r}' data-ci-low='{effect.ci[0]!r}' "
        f"data-ci-high='{effect.ci[1]!r}' data-n='{effect.n}' data-refits='{effect.refits}'"
        f" data-estimated='{str(effect.estimated).lower()}'"
    )
    values = [
        *(f"<td>{e(cell)}</td>" for cell in cells),
        _num(percent(effect.premium)),
        _num(interval(*effect.ci)),
        _num(people_interval(effect.ci_people)),
        _num(f"{effect.n:,}"),
    ]
    return f"<tr {attributes}>{''.join(values)}</tr>"


def _skills_section(analyses: Sequence[SourceAnalysis], settings: Settings) -> str:
    with_skills = [a for a in analyses if a.skills]
    without = [source_label(a) for a in analyses if not a.skills]
    parts = [
        "<section id='skills'><h2>3. Which skills go with higher pay</h2>",
        "<p>For each skill in a model's vocabulary (the up to "
        f"{MAX_SKILLS} most common ones listed by at least {settings.min_rows} people), the same "
        "people are predicted with the skill and without it; role, location, experience, "
        "education and their other skills stay as they are. The population is the people who "
        "list at least one skill (their survey asked about skills). Filled bars: the 90% "
        "interval (model refits and people) excludes zero, above zero in red and below zero in "
        "blue; grey: it includes zero. Skills the model never uses (every person's pay exactly "
        "the same with and without them) are not estimates and are listed apart, not "
        "plotted.</p>",
    ]
    if without:
        parts.append(f"<p class='note'>No skills in the data of {e(', '.join(without))}.</p>")
    if with_skills:
        parts.append(_image(figures.skills_plot(with_skills), _skills_alt(with_skills)))
        unused = [
            f"{source_label(a)}: " + ", ".join(sorted(x.value for x in a.skills if not x.estimated))
            for a in with_skills
            if any(not x.estimated for x in a.skills)
        ]
        if unused:
            parts.append(
                "<p id='skills-not-estimated'><b>Not estimated</b> (the model never uses "
                "them): " + e("; ".join(unused)) + ".</p>"
            )
        rows = [
            _effect_row(
                slug("skill", a.key, effect.value),
                [source_label(a), effect.value, f"{effect.n_with:,}"],
                effect,
            )
            for a in with_skills
            for effect in sorted(a.skills, key=lambda item: -item.premium)
            if effect.estimated
        ]
        parts.append(
            "<details><summary>Table: every skill premium</summary>"
            + _table(
                (
                    "source",
                    "skill",
                    "people listing it",
                    "premium",
                    "90% interval (model + people)",
                    "people only",
                    "people",
                ),
                rows,
            )
            + "</details>"
        )
    parts.append("</section>")
    return "".join(parts)


def _skills_alt(analyses: Sequence[SourceAnalysis]) -> str:
    parts = []
    for a in analyses:
        ranked = sorted((x for x in a.skills if x.estimated), key=lambda x: -x.premium)
        if ranked:
            top = ", ".join(f"{x.value} {percent(x.premium)}" for x in ranked[:3])
            parts.append(
                f"{source_label(a)}: highest {top}; lowest {ranked[-1].value} "
                f"{percent(ranked[-1].premium)}"
            )
    return "Skill premiums by source: " + "; ".join(parts)


def _claims_section(
    analyses: Sequence[SourceAnalysis], claims: Sequence[Claim], settings: Settings
) -> str:
    parts = [
        "<section id='claims'><h2>4. The article's claims, checked</h2>",
        "<p>The common article \u201cAre ML Engineers Paid More?\u201d makes the claims below. "
        "A source supports a claim when its estimate and its whole 90% interval are on the "
        "claimed side; the verdict combines the sources; \u201chow sure\u201d says how many "
        "sources have the data and whether they agree. The intervals of the controlled effects "
        "(experience, education, skills) cover the people and the model refits. A base-pay "
        "claim is graded with base-salary data only; other pay concepts are shown, not "
        "graded. Claims no source can check are marked \u201cnot checkable with these "
        "sources\u201d.</p>",
    ]
    for claim in claims:
        evidence = "".join(
            f"<li><b>{e(item.source)}</b> ({e(FINDING_WORDS[item.finding])}): {e(item.text)}</li>"
            for item in claim.evidence
        )
        parts.append(
            f"<div class='claim' id='{e(slug('claim', claim.key))}'>"
            f"<p><b>Claim:</b> {e(claim.claim)}</p>"
            f"<p><b>Verdict:</b> <span class='verdict {e(claim.verdict.replace(' ', '-'))}'>"
            f"{e(claim.verdict)}</span> &nbsp; <b>How sure:</b> {e(claim.confidence)}</p>"
            f"<p>{e(claim.summary)}</p><ul>{evidence}</ul>"
            f"{_claim_figures(claim.key, analyses, settings)}</div>"
        )
    parts.append("</section>")
    return "".join(parts)


def _claim_figures(key: str, analyses: Sequence[SourceAnalysis], settings: Settings) -> str:
    """The plots (and long tables) that back a claim, shown inside its box."""
    if key == "us_pay":
        return _image(figures.us_pay_plot(analyses), _us_pay_alt(analyses))
    if key == "top_role":
        return (
            _image(
                figures.role_pay_plot(analyses),
                "Median pay by role family, raw and controlled, per source: "
                + "; ".join(
                    f"{source_label(a)} ML engineers rank {r[0]} of {r[1]}"
                    for a in analyses
                    if (r := a.focus_rank("raw")) is not None
                ),
            )
            + "<details><summary>Table: median pay by role family</summary>"
            + _role_table(analyses)
            + "</details>"
        )
    if key == "experience":
        return "<p class='note'>Raw medians by experience and by education:</p>" + _image(
            figures.band_pay_plot(analyses, settings.min_rows),
            "Raw median pay of everyone and of ML engineers by experience band and by education "
            "level, per source",
        )
    if key == "skills":
        return "<p class='note'>Every skill's premium: section 3.</p>"
    return ""


def _us_pay_alt(analyses: Sequence[SourceAnalysis]) -> str:
    parts = [
        f"{source_label(a)} ({a.pay_concept}) mean {money(a.us_focus_pay.mean)}, median "
        f"{money(a.us_focus_pay.median)}"
        for a in analyses
        if a.us_focus_pay is not None
    ]
    return "Observed pay of US ML engineers against the claimed $112,000: " + "; ".join(parts)


def _role_table(analyses: Sequence[SourceAnalysis]) -> str:
    rows = []
    for a in analyses:
        ordered = sorted(a.role_pay, key=lambda item: -item.raw_median)
        for rank, item in enumerate(ordered, start=1):
            style = " style='font-weight:bold'" if item.role == FOCUS_ROLE else ""
            rows.append(
                f"<tr id='{e(slug('rolepay', a.key, item.role))}'{style}>"
                f"<td>{e(source_label(a))}</td><td>{e(item.role)}</td>{_num(str(rank))}"
                f"{_num(money(item.raw_median))}{_num(f'{item.n:,}')}"
                f"{_num(money(item.controlled_median))}</tr>"
            )
    return _table(
        ("source", "role family", "rank (raw)", "raw median", "rows", "controlled median"), rows
    )


def _models_phrase(analyses: Sequence[SourceAnalysis]) -> str:
    """Who prices the people: "The model pooled, within each source's people," (one model of
    several sources, analysed per population) or "Each source's model"."""
    models = list(dict.fromkeys(a.model for a in analyses))
    if len(models) == 1 and any(a.population is not None for a in analyses):
        return f"The model {models[0]}, within each source's people in turn,"
    if len(models) == 1:
        return f"The model {models[0]}"
    return "Each model"


def _models_item(analyses: Sequence[SourceAnalysis]) -> str:
    """The method's first item: which model(s), and from which rows."""
    models = list(dict.fromkeys(a.model for a in analyses))
    rebuilt = (
        " Its training rows are rebuilt from the model's own training configuration and the "
        "data files (the footer lists their sha256 and whether they match the model's).</li>"
    )
    if len(models) == 1 and any(a.population is not None for a in analyses):
        from mlpay_model.model import DEFAULT_MODEL

        default = (
            ", the default: the model behind <code>mlpay predict</code>, <code>whatif</code>, "
            "<code>compare</code> and the web calculator"
            if models[0] == DEFAULT_MODEL
            else ""
        )
        return (
            f"<li>One model, {e(models[0])}{default} (LightGBM on log annual USD pay, trained on "
            "every source's rows, with education and skill effects beside the trees when its "
            "config has them). It is analysed within each source's people in turn, each in its "
            "own pay concept." + rebuilt
        )
    return (
        "<li>Each model is a shipped mlpay model (LightGBM on log annual USD pay); a model of "
        "several sources is analysed within each source's people in turn." + rebuilt
    )


def _method_section(analyses: Sequence[SourceAnalysis], settings: Settings) -> str:
    models = list(dict.fromkeys(a.model for a in analyses))
    example = "default" if len(models) != 1 else models[0]
    return (
        "<section id='method'><h2>5. How the numbers are made</h2><ul>"
        + _models_item(analyses)
        + f"<li>Reference populations larger than {settings.max_people:,} people are subsampled "
        f"to {settings.max_people:,} with seed {settings.seed}; raw medians use every row.</li>"
        f"<li>People intervals: percentile bootstrap over people, {settings.resamples:,} "
        f"resamples, seed {settings.seed}. They show how the premium varies with which people "
        "are in the data, with the fitted model held fixed.</li>"
        f"<li>Model refits (every interval): the median booster retrained "
        f"{settings.refits} times per model with the one fitting implementation training uses "
        "(<code>mlpay_model.model.fitting</code>) and the "
        "model's training config, each on a bootstrap resample of the training split "
        "(identical rows drawn together); without resampling this reproduces the shipped "
        "model exactly. The combined 90% interval is premium \u00b1 \u221a(h\u2081\u00b2 + "
        "h\u2082\u00b2), with h\u2081 half the width of the people interval and h\u2082 = t "
        "\u00d7 the standard deviation of the refit premiums (t: Student's 95% quantile with "
        "refits \u2212 1 degrees of freedom, wide for few refits), then widened where needed "
        "to include the middle 90% of the refit premiums (they need not centre on the shipped "
        "estimate). Disagreement between the sources is a further guide: it also reflects who "
        "each source surveys.</li>"
        "<li>Observed pay is the exact pay, or the geometric midpoint of a pay band "
        "(Kaggle).</li>"
        f"<li>A comparison needs both roles in the model's vocabulary and at least "
        f"{settings.min_rows} rows of each within the slice; otherwise it is shown as not "
        "compared.</li>"
        "<li>The same numbers come from the command line, e.g. <code>mlpay compare --role "
        f"'Machine Learning Engineer' --vs 'Software Engineer' --model {e(example)} --country US"
        "</code>.</li></ul></section>"
    )


def _caveats_section(analyses: Sequence[SourceAnalysis]) -> str:
    items = [
        "Pay is self-reported in every source and not verified. The sources measure different "
        "pay: "
        + "; ".join(f"{source_label(a)}: {a.pay_concept}" for a in analyses)
        + ". A premium on total compensation is not a premium on base salary.",
        "Controlled premiums are what each model predicts when only the role changes; they "
        "hold fixed only the factors the model sees (role, country, experience, education, "
        "skills and the context the source records) and cannot rule out other differences "
        "(employer, industry, hours).",
    ]
    for a in analyses:
        label = source_label(a)
        years = f"{a.years[0]} to {a.years[1]}" if a.years else "unknown years"
        duplicates = sum(int(item.flagged.get("exact_duplicate", 0)) for item in a.files)
        text = (
            f"{label}: {a.rows:,} rows used (pay years {years}); {a.us_share:.0%} live in the US."
        )
        entry = find_source(a.adapters[0]) if len(a.adapters) == 1 else None
        if entry is not None and entry.report_caveat:
            ml_years = ", ".join(f"{y}: {n:,}" for y, n in a.focus_rows_by_year.items())
            text += " " + entry.text(
                entry.report_caveat,
                years=_years_of(a),
                rows=f"{a.rows:,}",
                respondents=f"{sum(item.rows_read for item in a.files):,}",
                duplicates=f"{duplicates:,}",
                ml_engineer_rows_by_year=ml_years or "none",
            )
        items.append(text)
    attributions = []
    for entry in registered_sources():  # each source's licence, from the source registry
        if any(entry.name in a.adapters for a in analyses):
            years = " and ".join(_years_of_source(analyses, entry.name).split("/"))
            attributions.append(entry.text(entry.attribution, years=years or "(unknown years)"))
    if attributions:
        items.append(f"Licences and attribution: {'; '.join(attributions)}.")
    body = "".join(f"<li>{e(item)}</li>" for item in items)
    return (
        f"<section id='caveats'><h2>6. Caveats</h2><ul>{body}</ul>{_data_table(analyses)}</section>"
    )


def _years_of(analysis: SourceAnalysis) -> str:
    """The pay years of an analysis's files: "2019/2021"."""
    years = sorted({year for item in analysis.files for year in item.years})
    return "/".join(str(year) for year in years)


def _years_of_source(analyses: Sequence[SourceAnalysis], source: str) -> str:
    years = sorted(
        {year for a in analyses for item in a.files if item.source == source for year in item.years}
    )
    return "/".join(str(year) for year in years)


def _data_table(analyses: Sequence[SourceAnalysis]) -> str:
    rows = []
    for a in analyses:
        for item in a.files:
            dropped = ", ".join(f"{rule}: {n:,}" for rule, n in item.dropped.items() if n)
            rows.append(
                f"<tr><td>{e(source_label(a))}</td><td>{e(item.file)}</td>"
                f"{_num(f'{item.rows_read:,}')}{_num(f'{item.rows_kept:,}')}"
                f"<td>{e(dropped or 'none')}</td></tr>"
            )
    return _table(("source", "file", "rows read", "rows used", "dropped by rule"), rows)


def _footer(analyses: Sequence[SourceAnalysis], settings: Settings) -> str:
    models = "".join(
        f"<li>model <b>{e(model)}</b> version {e(version)}</li>"
        for model, version in dict.fromkeys((a.model, a.version) for a in analyses)
    )
    files = "".join(
        f"<li><code>{e(item.file)}</code> sha256 <code>{e(item.sha256)}</code>"
        + ("" if item.matches_model else " <b>(differs from the file the model was trained on)</b>")
        + "</li>"
        for a in analyses
        for item in a.files
    )
    return (
        f"<footer id='footer'><p>Generated by mlpay {e(__version__)} "
        f"(<code>mlpay report</code>); seed {settings.seed}, {settings.resamples:,} bootstrap "
        f"resamples, at most {settings.max_people:,} people per population, at least "
        f"{settings.min_rows} rows per role, {settings.refits} model refits. The same models "
        "and data give the same report.</p>"
        f"<ul>{models}</ul><ul>{files}</ul></footer>"
    )
