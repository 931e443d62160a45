"""The report's plots: matplotlib (Agg, no display), returned as base64 PNG for inline <img>.

The object API (`Figure` + `FigureCanvasAgg`) is used instead of pyplot, so no global state or
GUI backend is involved and building a report twice gives the same pictures.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any, Final

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import blended_transform_factory

from mlpay_model._format import money, money_thousands, percent_tick
from mlpay_model.compare import RoleComparison
from training.report.analysis import FOCUS_ROLE, HEADLINE_PEERS, PEERS, SourceAnalysis
from training.report.claims import US_PAY_CLAIM_USD
from training.report.wording import percent, role_label, source_label

# Sources and peers get colours of their own; red always marks ML engineers.
SOURCE_COLOURS: Final[tuple[str, ...]] = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b")
PEER_COLOURS: Final[dict[str, str]] = {"software_engineer": "#6a3d9a", "data_scientist": "#b8860b"}
PEER_MARKERS: Final[tuple[str, ...]] = ("o", "s")
FOCUS_COLOUR: Final = "#d62728"
BELOW_COLOUR: Final = "#1f5f9b"  # an effect whose whole interval is below zero
OTHER_COLOUR: Final = "#9e9e9e"
# Sources are told apart by marker shape (and a text label) as well as colour.
SOURCE_MARKERS: Final[tuple[str, ...]] = ("o", "s", "D", "^", "v")
DPI: Final = 100
WIDTH: Final = 11.0  # inches; 1,100 px at DPI


def png_base64(figure: Figure) -> str:
    """The figure as a base64-encoded PNG (deterministic: no timestamps in the metadata)."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _percent_axis(axes: Axes) -> None:
    axes.xaxis.set_major_formatter(FuncFormatter(percent_tick))
    axes.axvline(0.0, color="black", linewidth=0.8)
    axes.grid(axis="x", alpha=0.3)


def _money_axis(axes: Axes) -> None:
    axes.xaxis.set_major_formatter(FuncFormatter(money_thousands))
    axes.grid(axis="x", alpha=0.3)


def _raw_gap(comparison: RoleComparison) -> float | None:
    if comparison.raw_median_role and comparison.raw_median_vs:
        return comparison.raw_median_role / comparison.raw_median_vs - 1.0
    return None


def _source_style(position: int) -> tuple[str, str]:
    return (
        SOURCE_COLOURS[position % len(SOURCE_COLOURS)],
        SOURCE_MARKERS[position % len(SOURCE_MARKERS)],
    )


def _premium_rows(
    axes: Axes,
    analyses: Sequence[SourceAnalysis],
    peers: Sequence[str],
    *,
    raw: bool,
    label_points: bool,
) -> None:
    """Per peer (row) and source (marker and colour): the controlled premium with its 90%
    interval over people and model refits; optionally the raw gap (hollow marker)."""
    spacing = 0.8 / max(1, len(analyses))
    for position, analysis in enumerate(analyses):
        colour, marker = _source_style(position)
        offset = (position - (len(analyses) - 1) / 2) * spacing
        by_peer = {c.vs: c for c in analysis.peers}
        for row, peer in enumerate(peers):
            comparison = by_peer.get(peer)
            if comparison is None:
                continue
            y = row + offset
            if comparison.premium is not None and comparison.ci is not None:
                low, high = comparison.ci
                axes.plot([low, high], [y, y], color=colour, linewidth=3, solid_capstyle="butt")
                axes.plot(comparison.premium, y, marker, color=colour, markersize=7)
                if label_points:
                    axes.annotate(
                        f"{source_label(analysis)} {percent(comparison.premium)}",
                        (high, y),
                        xytext=(4, 0),
                        textcoords="offset points",
                        va="center",
                        fontsize=8,
                    )
            gap = _raw_gap(comparison) if raw else None
            if gap is not None:
                axes.plot(gap, y, marker, markerfacecolor="none", color=colour, markersize=8)
    axes.set_yticks(range(len(peers)), [f"vs {role_label(p)}" for p in peers])
    axes.set_ylim(len(peers) - 0.5, -0.5)
    _percent_axis(axes)


def _source_legend(
    figure: Figure, axes: Axes, analyses: Sequence[SourceAnalysis], *extra: Any
) -> None:
    handles = []
    labels = []
    for position, analysis in enumerate(analyses):
        colour, marker = _source_style(position)
        handles.append(axes.plot([], [], marker + "-", color=colour)[0])
        labels.append(f"{source_label(analysis)} ({analysis.pay_concept})")
    for handle, label in extra:
        handles.append(handle)
        labels.append(label)
    figure.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=9)


def headline_plot(analyses: Sequence[SourceAnalysis]) -> str:
    """The answer in one small plot: the headline premiums with their 90% intervals (people
    and model refits), each point labelled with its source."""
    if not any(a.headline(peer) for a in analyses for peer in HEADLINE_PEERS):
        return ""
    figure = Figure(figsize=(WIDTH, 2.6), layout="constrained")
    axes = figure.add_subplot()
    _premium_rows(axes, analyses, HEADLINE_PEERS, raw=False, label_points=True)
    axes.set_xlabel(
        "ML engineers' controlled pay premium (90% interval: model refits and people)", fontsize=9
    )
    _source_legend(figure, axes, analyses)
    return png_base64(figure)


def forest_plot(analyses: Sequence[SourceAnalysis]) -> str:
    """Premium over each peer per source: controlled (filled marker; line: 90% interval over
    people and model refits) and raw (hollow marker); sources by marker, colour and legend."""
    figure = Figure(figsize=(WIDTH, 1.6 + 0.9 * len(PEERS)), layout="constrained")
    axes = figure.add_subplot()
    _premium_rows(axes, analyses, PEERS, raw=True, label_points=False)
    axes.set_xlabel("ML engineers' pay premium over the peer role")
    _source_legend(
        figure,
        axes,
        analyses,
        (axes.plot([], [], "o", color="black")[0], "controlled premium (same people)"),
        (axes.plot([], [], color="black", linewidth=3)[0], "90% interval: model refits + people"),
        (
            axes.plot([], [], "o", markerfacecolor="none", color="black")[0],
            "raw gap (ratio of median observed pay)",
        ),
    )
    axes.set_title("Are ML engineers paid more than their peers?")
    return png_base64(figure)


def slice_plot(analyses: Sequence[SourceAnalysis], dimensions: Sequence[str], title: str) -> str:
    """One panel per source: the premium over the headline peers within each slice."""
    panels = [
        (analysis, analysis.slices[dim])
        for analysis in analyses
        for dim in dimensions
        if analysis.slices.get(dim)
    ]
    if not panels:
        return ""
    figure, grid = _panel_row(
        len(panels), max(len(slices) for _, slices in panels), 1.2, 0.45, share=True
    )
    for axes, (analysis, slices) in zip(grid, panels, strict=True):
        for index, peer in enumerate(HEADLINE_PEERS):
            offset = (index - 0.5) * 0.3
            for row, item in enumerate(slices):
                comparison = next((c for c in item.comparisons if c.vs == peer), None)
                if comparison is None or comparison.premium is None or comparison.ci is None:
                    continue
                y = row + offset
                axes.plot(list(comparison.ci), [y, y], color=PEER_COLOURS[peer], linewidth=2)
                axes.plot(
                    comparison.premium, y, PEER_MARKERS[index], color=PEER_COLOURS[peer], ms=6
                )
        left_edge = blended_transform_factory(axes.transAxes, axes.transData)
        for row, item in enumerate(slices):
            if all(c.premium is None for c in item.comparisons):
                axes.text(
                    0.02,
                    row,
                    "not compared (see the table)",
                    transform=left_edge,
                    fontsize=8,
                    color=OTHER_COLOUR,
                    va="center",
                )
        axes.set_yticks(range(len(slices)), [item.label for item in slices])
        axes.set_ylim(len(slices) - 0.5, -0.5)
        _percent_axis(axes)
        axes.set_xlabel("premium (90% interval: model refits + people)", fontsize=9)
        axes.set_title(f"{source_label(analysis)} ({analysis.pay_concept})", fontsize=10)
    handles = [
        axes.plot([], [], PEER_MARKERS[i] + "-", color=PEER_COLOURS[p])[0]
        for i, p in enumerate(HEADLINE_PEERS)
    ]
    figure.legend(
        handles,
        [f"vs {role_label(p)}" for p in HEADLINE_PEERS],
        loc="outside lower center",
        ncols=len(HEADLINE_PEERS),
        fontsize=9,
    )
    figure.suptitle(title)
    return png_base64(figure)


def _panel_row(
    panels: int, rows: int, base: float, per_row: float, *, share: bool = False
) -> tuple[Figure, Any]:
    """A figure with `panels` side-by-side axes, tall enough for `rows` labelled rows;
    `share`: one x-scale for every panel (premiums of different sources side by side)."""
    figure = Figure(figsize=(WIDTH, base + per_row * rows), layout="constrained")
    return figure, figure.subplots(1, panels, squeeze=False, sharex=share)[0]


def effect_colour(ci: tuple[float, float]) -> str:
    """Red when the whole 90% interval is above zero, blue when below, grey when it crosses."""
    if ci[0] > 0:
        return FOCUS_COLOUR
    if ci[1] < 0:
        return BELOW_COLOUR
    return OTHER_COLOUR


def skills_plot(analyses: Sequence[SourceAnalysis]) -> str:
    """One panel per source with skills: the premium of each common skill, sorted."""
    panels = [analysis for analysis in analyses if any(e.estimated for e in analysis.skills)]
    if not panels:
        return ""
    rows = max(sum(e.estimated for e in a.skills) for a in panels)
    figure, grid = _panel_row(len(panels), rows, 1.0, 0.28, share=True)
    for axes, analysis in zip(grid, panels, strict=True):
        effects = sorted(
            (effect for effect in analysis.skills if effect.estimated),
            key=lambda effect: effect.premium,
        )
        values = [effect.premium for effect in effects]
        errors = [
            [effect.premium - effect.ci[0] for effect in effects],
            [effect.ci[1] - effect.premium for effect in effects],
        ]
        colours = [
            FOCUS_COLOUR if effect.ci[0] > 0 else BELOW_COLOUR if effect.ci[1] < 0 else OTHER_COLOUR
            for effect in effects
        ]
        axes.barh(range(len(effects)), values, xerr=errors, color=colours, capsize=2)
        axes.set_yticks(range(len(effects)), [effect.value for effect in effects], fontsize=8)
        _percent_axis(axes)
        axes.set_xlabel("change in predicted pay (90% interval: refits + people)", fontsize=9)
        axes.set_title(source_label(analysis), fontsize=11)
    figure.suptitle("Predicted pay with the skill over without it (same people)")
    return png_base64(figure)


def role_pay_plot(analyses: Sequence[SourceAnalysis]) -> str:
    """One panel per source: median pay per role family, raw (bar) and controlled (dot)."""
    panels = [analysis for analysis in analyses if analysis.role_pay]
    if not panels:
        return ""
    figure, grid = _panel_row(len(panels), max(len(a.role_pay) for a in panels), 1.2, 0.3)
    for axes, analysis in zip(grid, panels, strict=True):
        ordered = sorted(analysis.role_pay, key=lambda item: item.raw_median)
        positions = range(len(ordered))
        colours = [FOCUS_COLOUR if item.role == FOCUS_ROLE else OTHER_COLOUR for item in ordered]
        axes.barh(positions, [item.raw_median for item in ordered], color=colours)
        axes.plot([item.controlled_median for item in ordered], positions, "D", color="black", ms=4)
        axes.set_yticks(positions, [item.role.replace("_", " ") for item in ordered], fontsize=8)
        _money_axis(axes)
        axes.set_title(source_label(analysis), fontsize=11)
    handles = [
        axes.bar([0], [0], color=OTHER_COLOUR),
        axes.plot([], [], "D", color="black", ms=4)[0],
    ]
    figure.legend(
        handles,
        ["raw median pay", "controlled: median predicted pay of the same people in this role"],
        loc="outside lower center",
        ncols=2,
        fontsize=9,
    )
    figure.suptitle("Median annual pay by role family (USD; ML engineers in red)")
    return png_base64(figure)


def us_pay_plot(analyses: Sequence[SourceAnalysis]) -> str:
    """Mean and median observed pay of US ML engineers per source, against the $112k claim."""
    panels = [analysis for analysis in analyses if analysis.us_focus_pay is not None]
    if not panels:
        return ""
    figure = Figure(figsize=(WIDTH, 1.6 + 0.7 * len(panels)), layout="constrained")
    axes = figure.add_subplot()
    for row, analysis in enumerate(panels):
        stats = analysis.us_focus_pay
        assert stats is not None
        for offset, value, ci, marker in (
            (-0.15, stats.mean, stats.mean_ci, "o"),
            (0.15, stats.median, stats.median_ci, "s"),
        ):
            axes.plot(list(ci), [row + offset] * 2, color=SOURCE_COLOURS[row], linewidth=2.5)
            axes.plot(value, row + offset, marker, color=SOURCE_COLOURS[row], markersize=7)
    claim = axes.axvline(US_PAY_CLAIM_USD, color="black", linestyle="--", linewidth=1)
    axes.set_yticks(range(len(panels)), [source_label(a) for a in panels])
    axes.set_ylim(len(panels) - 0.5, -0.5)
    _money_axis(axes)
    axes.set_xlabel("annual pay (USD)")
    handles = [
        axes.plot([], [], "o", color="black")[0],
        axes.plot([], [], "s", color="black")[0],
        claim,
    ]
    figure.legend(
        handles,
        ["mean", "median", f"claimed average {money(US_PAY_CLAIM_USD)}"],
        loc="outside lower center",
        ncols=3,
        fontsize=9,
    )
    axes.set_title("Observed pay of US ML engineers, with 90% bootstrap intervals")
    return png_base64(figure)


def band_pay_plot(analyses: Sequence[SourceAnalysis], min_rows: int) -> str:
    """Raw median pay by experience band (or level) and by education, everyone vs ML engineers."""
    panels = [
        (analysis, kind, bands)
        for analysis in analyses
        for kind, bands in (
            ("experience", analysis.experience_pay),
            ("education", analysis.education_pay),
        )
        if bands
    ]
    if not panels:
        return ""
    columns = min(3, len(panels))
    rows = -(-len(panels) // columns)
    figure = Figure(figsize=(WIDTH, 3.2 * rows), layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False).ravel()
    for axes, (analysis, kind, bands) in zip(grid, panels, strict=False):
        labels = [band.label.replace("_", " ") for band in bands]
        positions = list(range(len(bands)))
        axes.plot(positions, [b.median_all for b in bands], "o-", color=OTHER_COLOUR)
        axes.plot(
            positions,
            [b.median_focus if b.n_focus >= min_rows else None for b in bands],
            "o-",
            color=FOCUS_COLOUR,
        )
        axes.set_xticks(positions, labels, rotation=30, ha="right", fontsize=8)
        axes.yaxis.set_major_formatter(FuncFormatter(money_thousands))
        axes.grid(axis="y", alpha=0.3)
        axes.set_title(f"{source_label(analysis)}: by {kind}", fontsize=10)
    for axes in grid[len(panels) :]:
        axes.set_visible(False)
    handles = [
        grid[0].plot([], [], "o-", color=OTHER_COLOUR)[0],
        grid[0].plot([], [], "o-", color=FOCUS_COLOUR)[0],
    ]
    figure.legend(
        handles,
        ["everyone", f"ML engineers (where at least {min_rows})"],
        loc="outside lower center",
        ncols=2,
        fontsize=9,
    )
    figure.suptitle("Raw median pay by experience and by education (USD)")
    return png_base64(figure)
