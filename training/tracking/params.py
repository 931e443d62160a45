"""A run's params and metrics under MLflow's rules: flat keys, safe characters, length limits.

params   the resolved training config, flattened ("lightgbm.num_leaves", "sources.0.path")
metrics  the training result's metrics, the baselines' as "baseline.<name>.<metric>"
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

# MLflow's limits (mlflow.utils.validation) and its portable key characters.
MAX_PARAM_KEY_LENGTH: Final = 250
MAX_PARAM_VALUE_LENGTH: Final = 6000
TRUNCATED_MARK: Final = "…[truncated]"
_UNSAFE_KEY_CHARACTERS: Final = re.compile(r"[^/\w.\- ]")

logger = logging.getLogger(__name__)


def flatten_params(config: Mapping[str, Any]) -> dict[str, str]:
    """The config as MLflow params: nested keys joined by ".", list items by index.

    Lists of plain values stay one JSON param. Values longer than MLflow's limit are cut and
    marked "…[truncated]" (the full config is logged as a file too); keys longer than the
    limit are skipped with a warning; characters MLflow refuses in keys become "_".
    """
    flat: dict[str, str] = {}
    for key, value in _flat_items(config, ""):
        safe_key = _UNSAFE_KEY_CHARACTERS.sub("_", key)
        if len(safe_key) > MAX_PARAM_KEY_LENGTH:
            logger.warning(
                "MLflow param %s… skipped: key longer than %d", key[:60], MAX_PARAM_KEY_LENGTH
            )
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > MAX_PARAM_VALUE_LENGTH:
            text = text[: MAX_PARAM_VALUE_LENGTH - len(TRUNCATED_MARK)] + TRUNCATED_MARK
        flat[safe_key] = text
    return flat


def run_metrics(
    metrics: Mapping[str, float], baselines: Mapping[str, Mapping[str, float]]
) -> dict[str, float]:
    """Finite metrics with MLflow-safe names; baselines as "baseline.<name>.<metric>".

    Each metric is logged once: the training metrics' flat copies of the baselines
    ("baseline_<name>_<metric>", as the manifest keeps them) are left out for the dotted
    names, which MLflow's UI groups. NaN (e.g. R² of a group with one row) is left out
    rather than stored as a number.
    """
    flat_copies = {
        f"baseline_{baseline}_{name}" for baseline, values in baselines.items() for name in values
    }
    named = {name: value for name, value in metrics.items() if name not in flat_copies}
    for baseline, values in baselines.items():
        named.update({f"baseline.{baseline}.{name}": value for name, value in values.items()})
    return {
        _UNSAFE_KEY_CHARACTERS.sub("_", name): float(value)
        for name, value in named.items()
        if value is not None and math.isfinite(float(value))
    }


def _flat_items(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flat_items(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple) and any(
        isinstance(item, Mapping | list | tuple) for item in value
    ):
        for index, item in enumerate(value):
            yield from _flat_items(item, f"{prefix}.{index}")
    else:
        yield prefix, list(value) if isinstance(value, tuple) else value
