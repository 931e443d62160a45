"""STUB: to be implemented by the taxonomy work."""

from __future__ import annotations


def education_level(text: object) -> str | None:
    """Canonical education level (schema.EDUCATION_LEVELS) for a raw answer; None when unknown, missing or "prefer not to say"."""
    return None
