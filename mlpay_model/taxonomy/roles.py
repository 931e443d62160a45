"""STUB: to be implemented by the taxonomy work."""

from __future__ import annotations


def role_family(title: object) -> str:
    """Canonical role family (schema.ROLE_FAMILIES) for a raw job title; "other" when unknown or missing."""
    return "other"
