"""The report's answer: a short summary, and the article's claims checked against each source.

Verdict rules (the same for every claim, stated so a reader can check them):
- a source *supports* a claim when its estimate is on the claimed side and its 90% interval
  does not cross the line (zero for an effect, $112,000 for the US pay claim, rank 3 for "among
  the highest paid");
- the verdict is "supported" when every source with data supports it, "not supported" when
  every one contradicts it, "partly supported" when they differ, "cannot tell" when no source
  has the data;
- how sure: "high" when at least two sources have the data and all agree, "medium" when only
  one source has the data or the verdict is partial, plus a reason. The intervals of the
  controlled effects cover the sampling of people only (not the model fit), so agreement
  between independently collected sources counts for more than a narrow interval.

The summary (`answer`) rests on the headline premiums (ML engineers against software engineers
and data scientists), judged with intervals that also cover the model refits
(`SourceAnalysis.interval`).
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

Verdict = Literal["supported", "partly supported", "not supported", "cannot tell"]
Finding = Literal["for", "against", "unclear"]

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
    """The verdict and how sure, from the per-source findings (see the module docstring)."""
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
        "For the same people, with everything else each model knows about them unchanged, ML "
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
            f"{source_label(a)} {percent(_premium(c))} (90% interval {interval(*ci)})"
            for a, c, ci in pairs
            if c.vs == peer
        ]
        if parts:
            sentences.append(f"Against {role_label(peer)}: " + "; ".join(parts) + ".")
    sentences.append(_other_peers(analyses))
    sentences.append(_raw_versus_controlled([(a, c) for a, c, _ in pairs]))
    sentences.append(_interval_meaning(analyses, pairs))
    return Answer(headline, tuple(sentence for sentence in sentences if sentence))


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
    """One sentence on the peers outside the headline (not refitted: signs and range only)."""
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
        f"{percent(max(premiums))} (section 1; these are not refitted)."
    )


def _interval_meaning(
    analyses: Sequence[SourceAnalysis],
    pairs: Sequence[tuple[SourceAnalysis, RoleComparison, tuple[float, float]]],
) -> str:
    refitted = [a for a in analyses if a.refits]
    if refitted:
        counts = sorted({len(r.premiums) for a in refitted for r in a.refits.values()})
        text = (
            "Each interval covers both which people are in the data and how much the premium "
            f"moves when the model is retrained on resampled training rows ({and_list(counts)} "
            "refits per source)."
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
    ]


def _us_pay_claim(analyses: Sequence[SourceAnalysis]) -> Claim:
    evidence = []
    for analysis in analyses:
        stats = analysis.us_focus_pay
        if stats is None:
            continue
        evidence.append(
            Evidence(
                source_label(analysis),
                effect_finding(*stats.mean_ci, line=US_PAY_CLAIM_USD),
                f"mean {money(stats.mean)} (90% interval {interval(*stats.mean_ci, True)}), "
                f"median {money(stats.median)} ({interval(*stats.median_ci, True)}), "
                f"{stats.n:,} US ML engineers",
            )
        )
    verdict, confidence = verdict_of([item.finding for item in evidence])
    years = [year for a in analyses if a.years for year in a.years]
    means = "; ".join(
        f"{source_label(a)} {money(a.us_focus_pay.mean)}" for a in analyses if a.us_focus_pay
    )
    summary = (
        f"Mean observed pay of US ML engineers: {means}, against the claimed "
        f"{money(US_PAY_CLAIM_USD)}. Our pay figures cover {min(years)} to {max(years)} and "
        "some sources report total compensation, not base pay, so they are not the same "
        "measure as the article's."
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
            (e for e in analysis.skills if e.ci[0] > 0 and e.premium >= SKILL_MIN_PREMIUM),
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
