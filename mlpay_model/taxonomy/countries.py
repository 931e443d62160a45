"""STUB: to be implemented by the taxonomy work."""

from __future__ import annotations


def country_code(name: object) -> str | None:
    """ISO 3166-1 alpha-2 code for any spelling the sources use (names, official names, alpha-2/alpha-3); None when unknown or missing."""
    return None
