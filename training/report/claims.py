"""The report's answer: a short summary, and the article's claims checked against each source.

Verdict rules (the same for every claim, stated so a reader can check them):
- a source *supports* a claim when its estimate is on the claimed side and its 90% interval
  does not cross the line (zero for an effect, $112,000 for the US pay claim, rank 3 for "among
  the highest paid");
- the verdict is "supported" when every source with data supports it, "not supported" when
  every one contradicts it, "partly supported" when they differ, "cannot tell" when no source
  has the data, "not checkable" when these sources cannot speak to it at all (cities,
  job-posting growth, labour-market projections);
- evidence of another pay concept than the claim's (total compensation or a compensation band
  for a base-pay claim) and estimates the taxonomy makes identical (Stack Overflow's master and
  doctorate answers) are shown but "not graded";
- how sure: "high" when at least two sources have the data and all agree, "medium" when only
  one source has the data or the verdict is partial, plus a reason. The intervals of the
  controlled effects cover the people and the model refits; agreement between independently
  collected sources still counts for more than a narrow interval.

The summary (`answer`) rests on the headline premiums (ML engineers against software engineers
and data scientists), judged with intervals that also cover the model refits, and answered
per pay concept (base salary, total compensation, compensation band), never as one figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from mlpay_model._format import money
from mlpay_model.compare import FactorEffect, RoleComparison
from training.report.analysis import (
    EDUCATION_BASELINE,
    HEADLINE_PEERS,
    SourceAnalysis,
)
from training.report.wording import and_list, interval, percent, role_label, source_label

Verdict = Literal["supported", "partly supported", "not supported", "cannot tell", "not checkable"]
# "not graded": shown as evidence but left out of the verdict (another pay concept than the
# claim's, or estimates the taxonomy makes identical).
Finding = Literal["for", "against", "unclear", "not graded"]
NOT_CHECKABLE: Final = "not checkable with these sources"
BASE_SALARY: Final = "base salary"

US_PAY_CLAIM_USD: Final = 112_000.0
TOP_RANKS: Final = 3
SKILL_MIN_PREMIUM: Final = 0.02  # a skill "goes with higher pay" from +2% up


@dataclass(frozen=True)
class Evidence:
    source: str
    finding: Finding
    text: str


@dataclass(frozen=True)
class Claim:
    key: str
    claim: str  # as the article puts it
    verdict: Verdict
    confidence: str  # "high", "medium" or "low", with the reason
    summary: str  # what our data says, in one or two sentences
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Answer:
    headline: str
    sentences: tuple[str, ...]


def effect_finding(low: float, high: float, line: float = 0.0) -> Finding:
    """'for' when the whole interval is above the line, 'against' when below, else 'unclear'."""
    if low > line:
        return "for"
    if high < line:
        return "against"
    return "unclear"


def verdict_of(findings: Sequence[Finding]) -> tuple[Verdict, str]:
    """The verdict and how sure, from the per-source findings (see the module docstring);
    "not graded" evidence does not count."""
    findings = [f for f in findings if f != "not graded"]
    if not findings:
        return "cannot tell", "no source has the data"
    if all(f == "for" for f in findings):
        verdict: Verdict = "supported"
    elif all(f == "against" for f in findings):
        verdict = "not supported"
    elif all(f == "unclear" for f in findings):
        return "cannot tell", "low: the intervals include both sides in every source"
    else:
        verdict = "partly supported"
    if len(findings) == 1:
        return verdict, "medium: only one source has the data"
    if verdict == "partly supported":
        return verdict, "medium: the sources disagree"
    sources = "both sources" if len(findings) == 2 else f"all {len(findings)} sources"
    return verdict, f"high: {sources} with the data agree"


def answer(analyses: Sequence[SourceAnalysis]) -> Answer:
    """A few sentences that answer "are ML engineers paid more?" with the numbers.

    The answer rests on the headline comparisons (ML engineers against `HEADLINE_PEERS` in
    every source), each judged with its widest interval (people and model refits).
    """
    pairs = [
        (a, c, ci)
        for a in analyses
        for peer in HEADLINE_PEERS
        if (c := a.headline(peer)) is not None and (ci := a.interval(c)) is not None
    ]
    if not pairs:
        return Answer("Cannot tell", ("No source has enough ML engineers to compare.",))
    findings = [effect_finding(*ci) for _, _, ci in pairs]
    ahead, behind = findings.count("for"), findings.count("against")
    unclear = len(findings) - ahead - behind
    headline = _headline(ahead, behind, len(findings))
    peers = and_list([role_label(peer) for peer in HEADLINE_PEERS])
    premiums = [_premium(c) for (_, c, _), f in zip(pairs, findings, strict=True) if f == "for"]
    lead = (
        "For the same people, with everything else the model knows about them unchanged, ML "
        f"engineers earn more than {peers} in {ahead} of "
        f"{len(pairs)} source-by-role comparisons"
        + (f", by {percent(min(premiums))} to {percent(max(premiums))}" if premiums else "")
        + (f"; less in {behind}" if behind else "")
        + (f"; {unclear} {'is' if unclear == 1 else 'are'} too close to call" if unclear else "")
        + "."
    )
    sentences = [lead, _by_source(pairs, findings)]
    for peer in HEADLINE_PEERS:
        parts = [
            f"{source_label(a)} ({a.pay_concept}) {percent(_premium(c))} "
            f"(90% interval {interval(*ci)})"
            for a, c, ci in pairs
            if c.vs == peer
        ]
        if parts:
            sentences.append(f"Against {role_label(peer)}: " + "; ".join(parts) + ".")
    sentences.append(_by_concept(pairs, findings))
    sentences.append(_outside_refits(pairs))
    sentences.append(_other_peers(analyses))
    sentences.append(_raw_versus_controlled([(a, c) for a, c, _ in pairs]))
    sentences.append(_interval_meaning(analyses, pairs))
    return Answer(headline, tuple(sentence for sentence in sentences if sentence))


def _by_concept(
    pairs: Sequence[tuple[SourceAnalysis, RoleComparison, tuple[float, float]]],
    findings: Sequence[Finding],
) -> str:
    """The answer per pay concept: a premium on total pay is not a premium on base pay."""
    concepts: dict[str, list[tuple[RoleComparison, Finding]]] = {}
    for (analysis, comparison, _), finding in zip(pairs, findings, strict=True):
        concepts.setdefault(analysis.pay_concept, []).append((comparison, finding))
    if len(concepts) < 2:
        return ""
    parts = []
    for concept, items in concepts.items():
        ahead = sum(1 for _, f in items if f == "for")
        premiums = [_premium(c) for c, _ in items]
        spread = (
            percent(premiums[0])
            if len(premiums) == 1
            else f"{percent(min(premiums))} to {percent(max(premiums))}"
        )
        parts.append(f"on {concept}, more in {ahead} of {len(items)} ({spread})")
    return (
        "The sources measure different pay, so the answer is given per pay concept: "
        + "; ".join(parts)
        + ". ML premiums on total compensation (bonus and equity included) are not premiums "
        "on base salary."
    )


def _outside_refits(
    pairs: Sequence[tuple[SourceAnalysis, RoleComparison, tuple[float, float]]],
) -> str:
    """Estimates outside the middle 90% of their own refits, explained where they are shown."""
    outside = [
        (a, c)
        for a, c, _ in pairs
        if c.ci_refits is not None
        and c.premium is not None
        and not c.ci_refits[0] <= c.premium <= c.ci_refits[1]
    ]
    if not outside:
        return ""
    parts = [
        f"{source_label(a)} against {role_label(c.vs)} ({percent(_premium(c))}; its refits "
        f"{interval(*c.ci_refits)})"  # type: ignore[misc]
        for a, c in outside
    ]
    return (
        "Some estimates lie outside the middle 90% of their own refits: "
        + "; ".join(parts)
        + ". The shipped model is one fit; models refitted on resampled training rows find "
        "a different premium, so the interval is widened to hold what most refits find and "
        "the estimate is less certain than its position suggests."
    )


def _premium(comparison: RoleComparison) -> float:
    if comparison.premium is None:
        raise ValueError(f"{comparison.role} vs {comparison.vs} was not compared")
    return comparison.premium


def _by_source(
    pairs: Sequence[tuple[SourceAnalysis, RoleComparison, tuple[float, float]]],
    findings: Sequence[Finding],
) -> str:
    """Per source, against which headline peers ML engineers clearly earn more (or less)."""
    words = {"for": "more than", "against": "less than", "unclear": "no clear difference from"}
    parts = []
    by_source: dict[str, dict[Finding, list[str]]] = {}
    for (analysis, comparison, _), finding in zip(pairs, findings, strict=True):
        roles = by_source.setdefault(source_label(analysis), {}).setdefault(finding, [])
        roles.append(role_label(comparison.vs))
    for source, by_finding in by_source.items():
        clauses = [f"{words[finding]} {and_list(roles)}" for finding, roles in by_finding.items()]
        parts.append(f"{source}: {', '.join(clauses)}")
    return "By source \u2014 " + "; ".join(parts) + "."


def _headline(ahead: int, behind: int, total: int) -> str:
    if ahead == total:
        return "Yes"
    if behind == total:
        return "No"
    if ahead >= 2 * total / 3 and behind == 0:
        return "Mostly yes"
    if behind >= 2 * total / 3 and ahead == 0:
        return "Mostly no"
    return "It depends on the data source"


def _other_peers(analyses: Sequence[SourceAnalysis]) -> str:
    """One sentence on the peers outside the headline (signs and range only)."""
    others = [
        c
        for a in analyses
        for c in a.peers
        if c.vs not in HEADLINE_PEERS and c.premium is not None and c.ci is not None
    ]
    if not others:
        return ""
    roles = sorted({c.vs for c in others}, key=lambda role: [c.vs for c in others].index(role))
    premiums = [_premium(c) for c in others]
    ahead = sum(1 for premium in premiums if premium > 0)
    return (
        f"Against {and_list([role_label(role) for role in roles])} the premium is positive in "
        f"{ahead} of {len(others)} comparisons, from {percent(min(premiums))} to "
        f"{percent(max(premiums))} (section 1)."
    )


def _interval_meaning(
    analyses: Sequence[SourceAnalysis],
    pairs: Sequence[tuple[SourceAnalysis, RoleComparison, tuple[float, float]]],
) -> str:
    refitted = [a for a in analyses if a.refits]
    if refitted:
        counts = sorted({a.refits for a in refitted})
        text = (
            "Each interval covers both which people are in the data and how much the premium "
            f"moves when the model is retrained on resampled training rows ({and_list(counts)} "
            "refits)."
        )
    else:
        text = (
            "The intervals cover which people are in the data only, not the fit of each model "
            "(the model-refit check was not run)."
        )
    for peer in HEADLINE_PEERS:
        intervals = [ci for _, c, ci in pairs if c.vs == peer]
        if len(intervals) > 1 and max(low for low, _ in intervals) > min(h for _, h in intervals):
            premiums = [_premium(c) for _, c, _ in pairs if c.vs == peer]
            text += (
                f" The sources disagree by more than that (against {role_label(peer)} from "
                f"{percent(min(premiums))} to {percent(max(premiums))}): how large the premium "
                "is depends on who is surveyed (job-board AI and data roles, Kaggle users, "
                "developers), so read it as a range, not one number."
            )
            break
    return text


def _raw_versus_controlled(pairs: Sequence[tuple[SourceAnalysis, RoleComparison]]) -> str:
    """The comparison where controlling changes the picture most, as one sentence."""

    def raw_gap(comparison: RoleComparison) -> float | None:
        if comparison.raw_median_role and comparison.raw_median_vs:
            return comparison.raw_median_role / comparison.raw_median_vs - 1
        return None

    gaps = [(a, c, raw_gap(c)) for a, c in pairs if raw_gap(c) is not None]
    if not gaps:
        return "Raw medians are not available for comparison."
    analysis, comparison, gap = max(
        gaps, key=lambda item: abs((item[2] or 0.0) - (item[1].premium or 0.0))
    )
    assert gap is not None and comparison.premium is not None
    return (
        f"Raw medians mix the role with who holds it: controlling changes the picture most in "
        f"the {source_label(analysis)} data against {role_label(comparison.vs)}, where the raw "
        "median gap "
        f"is {percent(gap)} ({money(comparison.raw_median_role)} vs "
        f"{money(comparison.raw_median_vs)}) but the controlled premium is "
        f"{percent(comparison.premium)}."
    )


def check_claims(analyses: Sequence[SourceAnalysis]) -> list[Claim]:
    """The claims of the common "Are ML Engineers Paid More?" article, with verdicts."""
    return [
        _us_pay_claim(analyses),
        _top_role_claim(analyses),
        _effect_claim(
            analyses,
            key="experience",
            claim="Pay rises with experience.",
            effects=lambda a: [a.experience_effect] if a.experience_effect else [],
            describe=_experience_text,
        ),
        _effect_claim(
            analyses,
            key="education",
            claim="Pay rises with education (a master's degree or a PhD pays more).",
            effects=lambda a: list(a.education_effects),
            describe=lambda e: f"{e.value} over {EDUCATION_BASELINE}",
        ),
        _skills_claim(analyses),
        *not_checkable_claims(),
    ]


# Claims of the article that no source here can check: said so, not dropped.
UNCHECKABLE: Final[tuple[tuple[str, str, str], ...]] = (
    (
        "cities",
        "ML engineers earn most in San Francisco, New York and Seattle.",
        "The sources give a country, not a city.",
    ),
    (
        "job_postings",
        "Job postings for ML engineers have grown strongly.",
        "The sources are pay surveys and a salary index, not job postings.",
    ),
    (
        "bls_projection",
        "The US Bureau of Labor Statistics projects fast growth in these jobs.",
        "Employment projections are not in any of these sources.",
    ),
)


def not_checkable_claims() -> list[Claim]:
    """The article's claims these sources cannot speak to, each marked so."""
    return [
        Claim(key, claim, "not checkable", "none: no data", f"{reason} {NOT_CHECKABLE}.", ())
        for key, claim, reason in UNCHECKABLE
    ]


def _us_pay_claim(analyses: Sequence[SourceAnalysis]) -> Claim:
    evidence = []
    for analysis in analyses:
        stats = analysis.us_focus_pay
        if stats is None:
            continue
        base = analysis.pay_concept == BASE_SALARY
        evidence.append(
            Evidence(
                source_label(analysis),
                effect_finding(*stats.mean_ci, line=US_PAY_CLAIM_USD) if base else "not graded",
                f"{analysis.pay_concept}: mean {money(stats.mean)} (90% interval "
                f"{interval(*stats.mean_ci, True)}), median {money(stats.median)} "
                f"({interval(*stats.median_ci, True)}), {stats.n:,} US ML engineers"
                + ("" if base else f"; not graded ({analysis.pay_concept}, not base pay)"),
            )
        )
    verdict, confidence = verdict_of([item.finding for item in evidence])
    if verdict != "cannot tell" and confidence.startswith("high"):
        confidence = "medium: graded on base-salary data only"
    years = [year for a in analyses if a.years for year in a.years]
    means = "; ".join(
        f"{source_label(a)} {money(a.us_focus_pay.mean)}" for a in analyses if a.us_focus_pay
    )
    summary = (
        f"Mean observed pay of US ML engineers: {means}, against the claimed "
        f"{money(US_PAY_CLAIM_USD)} base pay. Only base-salary data grades this claim; total "
        "compensation and compensation bands are shown, not graded. Our pay figures cover "
        f"{min(years)} to {max(years)}."
        if evidence and years
        else "No source has enough US ML engineers."
    )
    return Claim(
        "us_pay",
        f"ML engineers in the US earn on average more than {money(US_PAY_CLAIM_USD)} a year "
        "in base pay (Glassdoor).",
        verdict,
        confidence,
        summary,
        tuple(evidence),
    )


def _top_role_claim(analyses: Sequence[SourceAnalysis]) -> Claim:
    evidence = []
    for analysis in analyses:
        raw = analysis.focus_rank("raw")
        controlled = analysis.focus_rank("controlled")
        if raw is None or controlled is None:
            continue
        finding: Finding = "for" if raw[0] <= TOP_RANKS else "against"
        evidence.append(
            Evidence(
                source_label(analysis),
                finding,
                f"rank {raw[0]} of {raw[1]} role families by raw median pay, rank "
                f"{controlled[0]} of {controlled[1]} with the same people in every role",
            )
        )
    verdict, confidence = verdict_of([item.finding for item in evidence])
    return Claim(
        "top_role",
        "ML engineers are among the highest-paid roles in technology.",
        verdict,
        confidence,
        f"Counted as 'among the highest paid' when ML engineers are in the top {TOP_RANKS} role "
        "families by raw median pay (families with at least the minimum number of rows). The "
        "sources cover different role mixes (AI and data jobs, data science, software "
        "development), so the rank also says which roles each source has.",
        tuple(evidence),
    )


def _experience_text(effect: FactorEffect) -> str:
    if effect.factor == "years_experience":
        return f"{float(effect.value):g} years over {float(effect.baseline):g} years"
    return f"{effect.value} level over {effect.baseline} level"


def _effect_claim(
    analyses: Sequence[SourceAnalysis],
    *,
    key: str,
    claim: str,
    effects: Callable[[SourceAnalysis], list[FactorEffect]],
    describe: Callable[[FactorEffect], str],
) -> Claim:
    evidence = []
    for analysis in analyses:
        found = effects(analysis)
        if not found:
            continue
        if len(found) > 1 and len({(e.premium, e.ci_people) for e in found}) == 1:
            evidence.append(
                Evidence(
                    source_label(analysis),
                    "not graded",
                    f"{and_list([describe(e) for e in found])}: the same estimate, "
                    f"{percent(found[0].premium)} ({interval(*found[0].ci)}): this source's "
                    "answers do not tell these levels apart (the taxonomy merges them), so "
                    "it is not graded",
                )
            )
            continue
        findings = [effect_finding(*effect.ci) for effect in found]
        finding: Finding = (
            "for"
            if all(f == "for" for f in findings)
            else "against"
            if all(f == "against" for f in findings)
            else "unclear"
        )
        text = "; ".join(
            f"{describe(effect)}: {percent(effect.premium)} ({interval(*effect.ci)})"
            for effect in found
        )
        evidence.append(Evidence(source_label(analysis), finding, text))
    verdict, confidence = verdict_of([item.finding for item in evidence])
    missing = [source_label(a) for a in analyses if not effects(a)]
    summary = (
        "Controlled: the same people's predicted pay with the factor changed and everything else "
        "unchanged."
    )
    if missing:
        summary += f" Not measured in {', '.join(missing)} (the data has no {key})."
    return Claim(key, claim, verdict, confidence, summary, tuple(evidence))


def _skills_claim(analyses: Sequence[SourceAnalysis]) -> Claim:
    evidence = []
    for analysis in analyses:
        if not analysis.skills:
            continue
        paying = sorted(
            (
                e
                for e in analysis.skills
                if e.estimated and e.ci[0] > 0 and e.premium >= SKILL_MIN_PREMIUM
            ),
            key=lambda e: -e.premium,
        )
        text = (
            "higher pay with "
            + ", ".join(f"{e.value} ({percent(e.premium)})" for e in paying[:5])
            + f"; {len(paying)} of {len(analysis.skills)} common skills at least "
            + percent(SKILL_MIN_PREMIUM)
            if paying
            else f"none of the {len(analysis.skills)} common skills adds "
            f"{percent(SKILL_MIN_PREMIUM)} or more"
        )
        evidence.append(Evidence(source_label(analysis), "for" if paying else "against", text))
    verdict, confidence = verdict_of([item.finding for item in evidence])
    missing = [source_label(a) for a in analyses if not a.skills]
    summary = (
        "Per skill: the same people's predicted pay with the skill listed over without it, role, "
        "location, experience and the other skills unchanged. A skill counts when it adds at "
        f"least {percent(SKILL_MIN_PREMIUM)} and its interval excludes zero."
    )
    if missing:
        summary += f" Not measured in {', '.join(missing)} (no skills in the data)."
    return Claim(
        "skills",
        "Specific skills go with higher pay.",
        verdict,
        confidence,
        summary,
        tuple(evidence),
    )
