"""Errors a user can cause. The CLI prints them as one line and exits with code 2.

Every message names what was wrong (field, value, file, row) and what would be accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches


class MlpayError(Exception):
    """Base class for every error caused by user input, configuration or data files."""


class DataError(MlpayError):
    """A data file is missing, unreadable, in the wrong format or lacks required columns."""


class ConfigError(MlpayError):
    """A configuration or mapping file is invalid."""


class ModelNotFoundError(MlpayError):
    """A model name that is neither shipped nor a directory with a manifest."""


class ArtifactError(MlpayError):
    """A model artifact fails its integrity checks (hashes, schema version, missing file)."""


class MlpayWarning(UserWarning):
    """Base class of mlpay's own warnings about user input, data or model files: the CLI
    prints them as one line ("mlpay <command>: warning: ...")."""


class ArtifactWarning(MlpayWarning):
    """A model folder loads but holds something it should not (e.g. files its manifest does
    not list, which are never read)."""


MESSAGE_VALUE_LIMIT = 200
"""Quoted values in messages are cut to this many characters (`clip`)."""


def clip(text: str, limit: int = MESSAGE_VALUE_LIMIT) -> str:
    """`text` cut to `limit` characters, ending in "…" when cut: for values quoted in
    messages, so that a 1 MB cell does not make a 1 MB error."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


class InvalidInputError(MlpayError, ValueError):
    """A prediction input is invalid; a ValueError so callers can catch it the usual way.

    Attributes name the offending field and value, and the closest valid values if any.
    """

    def __init__(
        self,
        field: str,
        value: object,
        reason: str,
        suggestions: Iterable[str] = (),
        *,
        hint: str = "",
    ):
        self.field = field
        self.value = value
        self.reason = reason
        self.suggestions = tuple(suggestions)
        message = f"{field}={clip(repr(value))}: {reason}"
        if self.suggestions:
            message += f" (did you mean: {', '.join(self.suggestions)}?)"
        if hint:  # for one profile only; files write `reason` alone
            message += f"; {hint}"
        super().__init__(message)


def closest(value: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to `value`, for 'did you mean' hints."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    hits = get_close_matches(value.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]


def did_you_mean(value: str, candidates: Iterable[str]) -> str:
    """ " (did you mean a, b?)" naming the candidates closest to `value`, or "" when none is."""
    hints = closest(value, candidates)
    return f" (did you mean {', '.join(hints)}?)" if hints else ""
