"""STUB: to be implemented by the taxonomy work."""

from __future__ import annotations


def seniority_level(value: object) -> str | None:
    """Canonical seniority (schema.SENIORITY_LEVELS) from aijobs codes EN/MI/SE/EX or words; None when unknown."""
    return None
