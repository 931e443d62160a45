"""`mlpay report`: one self-contained HTML page answering "are ML engineers paid more?".

`build_report(models, output)` loads each shipped model, rebuilds its training rows from the
data in MLPAY_DATA_DIR, runs the comparisons (`analysis`) with model-refit intervals for
every comparison (`mlpay_model.compare.model_refits`), checks the article's claims (`claims`),
draws the plots (`figures`, matplotlib Agg) and writes the page (`render`).
Needs the `train` extra (matplotlib, pydantic).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mlpay_model._atomic import write_text
from mlpay_model.compare import RefitPremiums, combined_interval, model_refits
from mlpay_model.errors import DataError
from training.report.analysis import Settings, SourceAnalysis, analyse_populations
from training.report.claims import Answer, Claim, answer, check_claims
from training.report.render import render_report

# The default model, the one behind predict, whatif, compare and serve: one answer everywhere.
# A model of several sources (the pooled default) is analysed per source population.
DEFAULT_MODELS: Final[tuple[str, ...]] = ("default",)

__all__ = [
    "DEFAULT_MODELS",
    "Answer",
    "Claim",
    "RefitPremiums",
    "Report",
    "Settings",
    "SourceAnalysis",
    "analyse_models",
    "analyse_populations",
    "answer",
    "build_report",
    "check_claims",
    "combined_interval",
    "model_refits",
    "render_report",
]


@dataclass(frozen=True)
class Report:
    """What `build_report` wrote, and the numbers it wrote."""

    path: Path
    analyses: tuple[SourceAnalysis, ...]
    answer: Answer
    claims: tuple[Claim, ...]


def analyse_models(
    models: Sequence[str],
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[SourceAnalysis]:
    """Load each model and its rebuilt training rows, and run the report's comparisons."""
    from mlpay_model.compare import load_reference
    from mlpay_model.model import load_model

    settings = settings or Settings()
    loaded = [load_model(name) for name in models]  # an unknown name fails before any work
    analyses = []
    for model in loaded:
        if progress is not None:
            progress(f"{model.name}: rebuilding the training rows")
        reference = load_reference(model.manifest)
        for line in reference.mismatches():
            if progress is not None:
                progress(f"warning: {line}")
        if progress is not None:
            refits = f", {settings.refits} model refits" if settings.refits else ""
            progress(f"{model.name}: comparing ({len(reference.profiles):,} rows{refits})")
        analyses.extend(analyse_populations(model, reference, settings))
    return analyses


def check_output_path(path: Path) -> None:
    """Refuse an output in a folder that does not exist (it is never created silently), or an
    output that is a folder: one DataError line."""
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected an HTML file name")
    if not path.parent.is_dir():
        raise DataError(
            f"{path}: the folder {path.parent} does not exist; create it first or choose another"
        )


def build_report(
    models: Sequence[str],
    output: Path | str,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Write the HTML report for `models` to `output` (atomically) and return its numbers."""
    settings = settings or Settings()
    path = Path(output)
    check_output_path(path)  # before minutes of work
    analyses = analyse_models(models, settings, progress)
    summary = answer(analyses)
    claims = check_claims(analyses)
    if progress is not None:
        progress("drawing and writing the report")
    document = render_report(analyses, summary, claims, settings)
    write_text(path, document)
    return Report(path, tuple(analyses), summary, tuple(claims))
