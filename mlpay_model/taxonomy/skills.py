"""STUB: to be implemented by the taxonomy work."""

from __future__ import annotations

from collections.abc import Iterable


def canonical_skill(token: object) -> str | None:
    """Canonical skill token ("Scikit-learn" -> "scikit-learn", "Amazon Web Services (AWS)" -> "aws",
    "Bash/Shell (all shells)" -> "bash"); None for empty/missing/"None"-style answers.
    Unknown skills become a normalised lower-case slug (never dropped silently)."""
    return None


def canonical_skills(tokens: Iterable[object]) -> tuple[str, ...]:
    """Sorted, de-duplicated canonical tokens for a list of raw skills."""
    return ()
