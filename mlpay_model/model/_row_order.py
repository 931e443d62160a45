"""A row order in which trees run faster: rows that take the same branches side by side.

A row's prediction does not depend on the rows around it, but its speed does: compiled trees
(and LightGBM's own) are branches, and on rows in file order the CPU mispredicts a few of
them per tree. Sorted by the features the trees split on most (country, role, years, ...),
neighbouring rows mostly take the same branches, which the CPU then predicts: the pooled
model's 1,000 trees of 31 leaves ran about 2x faster on generated rows
(benchmarks/results/scoring.md). Batch prediction encodes a large frame's rows in this order
(`FeatureEncoder.encode_sorted`) and puts the predictions back in input order: every number
is the one the unsorted rows give.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Final

import numpy as np

ORDER_MIN_ROWS: Final = 4096
"""Smaller matrices keep their order: sorting them would cost about what it saves."""
ORDER_MIN_TREES: Final = 500
"""Fewer trees (all heads together) keep the input order: the shipped single-source models'
100-200 trees ran about 10% slower end to end with the sort than without it
(benchmarks/results/scoring.md); the pooled model's 1,800 faster."""
ORDER_FEATURES: Final = 5
"""Sort keys: the features most split on (more keys cost sorting time and saved no tree
time on the pooled model)."""
_SPLIT_FEATURES: Final = re.compile(rb"^split_feature=(.*)$", re.MULTILINE)


def most_split_features(texts: Iterable[bytes], count: int = ORDER_FEATURES) -> tuple[int, ...]:
    """The feature columns most split on in these LightGBM model texts, most first; none
    when they hold fewer than ORDER_MIN_TREES trees (the rows then keep their order)."""
    splits: Counter[int] = Counter()
    trees = 0
    for text in texts:
        trees += text.count(b"\nTree=")
        for line in _SPLIT_FEATURES.findall(text):
            splits.update(int(index) for index in line.split())
    if trees < ORDER_MIN_TREES:
        return ()
    return tuple(feature for feature, _ in splits.most_common(count))


def tree_order(keys: list[np.ndarray]) -> np.ndarray | None:
    """Row positions sorted by the key columns `keys` (equally long float64 arrays, the
    first the primary key; missing values last), or None for fewer than ORDER_MIN_ROWS
    rows or no keys."""
    if not keys or len(keys[0]) < ORDER_MIN_ROWS:
        return None
    order: np.ndarray = np.lexsort(keys[::-1])  # lexsort's last key is the primary one
    return order


def in_input_order(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Values computed for rows written in `order`, back in the rows' input order."""
    unsorted = np.empty_like(values)
    unsorted[order] = values
    return unsorted
