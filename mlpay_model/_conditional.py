"""What a LightGBM model predicts when only some columns of a row are known.

`ConditionalTrees(dump).values(row, groups, coalitions)` gives, for each coalition of column
groups, E[f(x) | the columns of those groups (and the always-known ones) take the row's
values]: the trees are followed where a split's column is known and, where it is not,
averaged over both branches weighted by the training rows that went each way (the
"path-dependent" expectation of TreeSHAP, which LightGBM's own SHAP values use). With no column
known it is the model's expected value (the SHAP base value); with every column known, the
model's prediction for the row. The Shapley values of the groups (`group_shapley`) then split
the difference between the two exactly, so a person's factors can be said against "what this
population pays before the person's factors are known" rather than against the average of
all training rows. `values` and `group_shapley` are that game by its definition (2**groups
coalitions; the tests check the fast path against them); `shapley(row, groups, n)` is what
explanations run: the same numbers, leaf by leaf in closed form.

The trees are read once per model from LightGBM's JSON dump of them
(`NativeBooster.dump_model`: split column, threshold, decision type with LightGBM's
missing-value rules, categories, child links, row counts and leaf values) into flat arrays:
every leaf's path is a run of (node, direction) entries, and a coalition's value is the
product of the entries' factors along each path (1 or 0 where the column is known, the share
of training rows otherwise) times the leaf value, summed.

The rows that weigh the branches are the model's training rows as LightGBM counted them, or,
given `leaf_counts` (each tree's rows per leaf, of one population), that population's: in a
model of several populations a split above its `source` split then weighs the branches as
the population's own rows go, so "what this population pays" is its own average, not the
average of every population's rows (a node none of its rows reached keeps LightGBM's counts).
Numpy only; about 5-20 ms for a model of a few hundred trees and five groups.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

_CATEGORICAL = 1
_DEFAULT_LEFT = 2
_MISSING_ZERO = 1
_MISSING_NAN = 2
_ZERO = 1e-35  # LightGBM's kZeroThreshold
_COALITIONS_PER_BLOCK = 32  # bounds the (coalitions x path entries) matrix


@dataclass(frozen=True)
class _Tree:
    feature: list[int]
    threshold: list[float]
    decision: list[int]
    left: list[int]
    right: list[int]
    node_count: list[float]
    leaf_count: list[float]
    leaf_value: list[float]
    cat_boundaries: list[int]
    cat_threshold: list[int]


class ConditionalTrees:
    """One model's trees as flat arrays (see the module docstring)."""

    def __init__(
        self, dump: Mapping[str, Any], leaf_counts: Sequence[Sequence[float]] | None = None
    ):
        trees = [_tree_of(info["tree_structure"]) for info in dump["tree_info"]]
        if leaf_counts is not None and len(leaf_counts) != len(trees):
            raise ValueError(f"leaf_counts: {len(leaf_counts)} trees, the model has {len(trees)}")
        weighing = (
            trees
            if leaf_counts is None
            else [_recounted(tree, counts) for tree, counts in zip(trees, leaf_counts, strict=True)]
        )
        features: list[int] = []
        thresholds: list[float] = []
        decisions: list[int] = []
        cat_start: list[int] = []
        cat_words: list[int] = []
        bitsets: list[int] = []
        entry_node: list[int] = []
        entry_right: list[bool] = []
        entry_share: list[float] = []
        entry_leaf: list[int] = []
        leaf_values: list[float] = []
        constant = 0.0
        for tree, weights in zip(trees, weighing, strict=True):
            if not tree.feature:  # a single leaf
                constant += tree.leaf_value[0]
                continue
            offset = len(features)
            for node, feature in enumerate(tree.feature):
                features.append(feature)
                decisions.append(tree.decision[node])
                if tree.decision[node] & _CATEGORICAL:
                    index = int(tree.threshold[node])
                    start, end = tree.cat_boundaries[index], tree.cat_boundaries[index + 1]
                    cat_start.append(len(bitsets))
                    cat_words.append(end - start)
                    bitsets.extend(tree.cat_threshold[start:end])
                    thresholds.append(math.nan)
                else:
                    cat_start.append(0)
                    cat_words.append(0)
                    thresholds.append(tree.threshold[node])

            # every leaf's path from the root: (node, went right, share of the node's rows)
            stack: list[tuple[int, list[tuple[int, bool, float]]]] = [(0, [])]
            while stack:
                node, path = stack.pop()
                counted = weights if weights.node_count[node] > 0 else tree
                total = counted.node_count[node] or 1.0
                for child, right in ((tree.left[node], False), (tree.right[node], True)):
                    step = [*path, (offset + node, right, _rows_at(counted, child) / total)]
                    if child >= 0:
                        stack.append((child, step))
                        continue
                    leaf = len(leaf_values)
                    leaf_values.append(tree.leaf_value[~child])
                    for entry in step:
                        entry_node.append(entry[0])
                        entry_right.append(entry[1])
                        entry_share.append(entry[2])
                        entry_leaf.append(leaf)
        self.constant = constant
        self.feature = np.asarray(features, dtype=np.int64)
        self.threshold = np.asarray(thresholds, dtype=np.float64)
        self.decision = np.asarray(decisions, dtype=np.int64)
        self.cat_start = np.asarray(cat_start, dtype=np.int64)
        self.cat_words = np.asarray(cat_words, dtype=np.int64)
        self.bitsets = np.asarray(bitsets or [0], dtype=np.uint64)
        self.entry_node = np.asarray(entry_node, dtype=np.int64)
        self.entry_right = np.asarray(entry_right, dtype=bool)
        self.entry_share = np.asarray(entry_share, dtype=np.float64)
        self.entry_leaf = np.asarray(entry_leaf, dtype=np.int64)
        self.leaf_value = np.asarray(leaf_values, dtype=np.float64)
        self.entry_feature = self.feature[self.entry_node] if len(features) else self.entry_node

    def goes_right(self, row: np.ndarray) -> np.ndarray:
        """Per node, whether `row` goes to its right child (LightGBM's decision rules)."""
        values = np.asarray(row, dtype=np.float64)[self.feature]
        missing = np.isnan(values)
        categorical = (self.decision & _CATEGORICAL).astype(bool)
        missing_type = (self.decision >> 2) & 3
        default_left = (self.decision & _DEFAULT_LEFT).astype(bool)
        # numerical: NaN is 0 unless the missing type is NaN; the missing value takes the
        # default branch, any other value goes left when <= threshold
        numbers = np.where(missing & (missing_type != _MISSING_NAN), 0.0, values)
        to_default = ((missing_type == _MISSING_ZERO) & (np.abs(numbers) <= _ZERO)) | (
            (missing_type == _MISSING_NAN) & missing
        )
        with np.errstate(invalid="ignore"):
            numeric_right = np.where(to_default, ~default_left, ~(numbers <= self.threshold))
        # categorical: NaN or negative goes right; a category in the split's bitset goes left
        codes = np.where(missing, -1.0, values)
        codes = np.where(codes < 0, -1, np.floor(codes)).astype(np.int64)
        word = np.where(codes >= 0, codes // 32, 0)
        inside = (codes >= 0) & (word < self.cat_words)
        bits = self.bitsets[np.where(inside, self.cat_start + word, 0)]
        found = inside & (((bits >> (codes % 32).clip(0).astype(np.uint64)) & 1) == 1)
        return np.where(categorical, ~found, numeric_right)

    def values(
        self, row: np.ndarray, group_of_feature: np.ndarray, coalitions: Sequence[int]
    ) -> np.ndarray:
        """The expected prediction per coalition (a bit mask over the groups) of `row`:
        column j known when group_of_feature[j] < 0 (always known) or its group's bit is set
        in the coalition."""
        masks = np.asarray(coalitions, dtype=np.int64)
        out = np.full(len(masks), self.constant)
        if not len(self.leaf_value):
            return out
        indicator = self.entry_right == self.goes_right(row)[self.entry_node]
        group = np.asarray(group_of_feature, dtype=np.int64)[self.entry_feature]
        known = group < 0
        dead = np.zeros(len(self.leaf_value), dtype=bool)
        dead[self.entry_leaf[known & ~indicator]] = True  # a known split the row does not take
        live = ~known & ~dead[self.entry_leaf]
        leaves_with_entries = np.zeros(len(self.leaf_value), dtype=bool)
        leaves_with_entries[self.entry_leaf[live]] = True
        out += self.leaf_value[~dead & ~leaves_with_entries].sum()
        if not live.any():
            return out
        leaf = self.entry_leaf[live]
        starts = np.flatnonzero(np.r_[True, leaf[1:] != leaf[:-1]])
        leaf_values = self.leaf_value[leaf[starts]]
        entry_group = group[live]
        entry_indicator = indicator[live].astype(np.float64)
        entry_share = self.entry_share[live]
        for first in range(0, len(masks), _COALITIONS_PER_BLOCK):
            block = masks[first : first + _COALITIONS_PER_BLOCK]
            has_group = ((block[:, None] >> entry_group[None, :]) & 1).astype(bool)
            factors = np.where(has_group, entry_indicator, entry_share)
            out[first : first + len(block)] += (
                np.multiply.reduceat(factors, starts, axis=1) @ leaf_values
            )
        return out

    def shapley(
        self, row: np.ndarray, group_of_feature: np.ndarray, groups: int
    ) -> tuple[float, np.ndarray]:
        """(the expected prediction with no group known, each group's Shapley value) of `row`:
        what `values` of every coalition and `group_shapley` give, without the 2**groups
        coalitions. By linearity over leaves: a leaf's game is a product over groups of
        (the product of its entries' indicators when the group is known, of their shares
        when not), whose Shapley values have a closed form (a polynomial over the other
        groups, as in TreeSHAP); a group absent from a leaf is a null player there."""
        leaf_count = len(self.leaf_value)
        if not leaf_count:
            return self.constant, np.zeros(groups)
        indicator = self.entry_right == self.goes_right(row)[self.entry_node]
        group = np.asarray(group_of_feature, dtype=np.int64)[self.entry_feature]
        known = group < 0
        dead = np.zeros(leaf_count, dtype=bool)
        dead[self.entry_leaf[known & ~indicator]] = True
        live = ~known & ~dead[self.entry_leaf]
        width = max(groups, 1)
        flat = self.entry_leaf[live] * width + group[live]  # (leaf, group) of each live entry
        taken = np.ones(leaf_count * width)
        taken[flat[~indicator[live]]] = 0.0
        known_shares = taken.reshape(leaf_count, width)  # a: the group known (its indicators)
        with np.errstate(divide="ignore"):  # a share of 0 (no row went that way): log -inf
            logs = np.bincount(flat, np.log(self.entry_share[live]), leaf_count * width)
        unknown_shares = np.exp(logs).reshape(leaf_count, width)  # b: not known (its shares)
        value = np.where(dead, 0.0, self.leaf_value)
        baseline = self.constant + float(value @ unknown_shares[:, :groups].prod(axis=1))
        weights = np.array(
            [
                math.factorial(size) * math.factorial(groups - size - 1) / math.factorial(groups)
                for size in range(groups)
            ]
        )
        shapley = np.zeros(groups)
        moved = known_shares - unknown_shares  # per leaf and group: knowing it changes the leaf
        for player in range(groups):
            leaves = np.flatnonzero((moved[:, player] != 0) & (value != 0))
            if not len(leaves):
                continue
            # coefficients of prod over the other groups h of (b_h + a_h x), per such leaf
            coefficients = np.zeros((len(leaves), groups))
            coefficients[:, 0] = 1.0
            for other in range(groups):
                if other == player:
                    continue
                a = known_shares[leaves, other : other + 1]
                b = unknown_shares[leaves, other : other + 1]
                shifted = np.zeros_like(coefficients)
                shifted[:, 1:] = coefficients[:, :-1]
                coefficients = coefficients * b + shifted * a
            weighted = moved[leaves, player] * (coefficients @ weights)
            shapley[player] = float(value[leaves] @ weighted)
        return baseline, shapley


def group_shapley(values: np.ndarray, groups: int) -> np.ndarray:
    """The Shapley value of each of `groups` players from the game's values per coalition
    (`values[mask]`, every mask 0 .. 2**groups - 1): they sum to values[-1] - values[0]."""
    weights = [
        math.factorial(size) * math.factorial(groups - size - 1) / math.factorial(groups)
        for size in range(groups)
    ]
    shapley = np.zeros(groups)
    for mask in range(1 << groups):
        size = mask.bit_count()
        for player in range(groups):
            if not mask >> player & 1:
                shapley[player] += weights[size] * (values[mask | 1 << player] - values[mask])
    return shapley


_MISSING_TYPES = {"None": 0, "Zero": _MISSING_ZERO, "NaN": _MISSING_NAN}


def _rows_at(tree: _Tree, child: int) -> float:
    """The rows `tree` counts at `child` (a node, or leaf ~child)."""
    return tree.node_count[child] if child >= 0 else tree.leaf_count[~child]


def _recounted(tree: _Tree, leaf_counts: Sequence[float]) -> _Tree:
    """`tree` with its rows per leaf replaced by `leaf_counts`, each node's by their sums."""
    if len(leaf_counts) != len(tree.leaf_value):
        raise ValueError(
            f"leaf_counts: {len(leaf_counts)} leaves for a tree of {len(tree.leaf_value)}"
        )
    leaf_count = [float(count) for count in leaf_counts]
    node_count = [0.0] * len(tree.feature)

    def rows_below(child: int) -> float:
        if child < 0:
            return leaf_count[~child]
        node_count[child] = rows_below(tree.left[child]) + rows_below(tree.right[child])
        return node_count[child]

    if tree.feature:
        rows_below(0)
    return replace(tree, leaf_count=leaf_count, node_count=node_count)


def _tree_of(root: Mapping[str, Any]) -> _Tree:
    """One tree of LightGBM's JSON dump as flat lists, numbered as LightGBM numbers them
    (internal nodes by `split_index`, leaf i as child ~i; a categorical split's categories as
    32-bit words of a bitset), its decision rules as the bits of its model text's
    `decision_type`: 1 categorical, 2 default left, (missing type) << 2."""
    nodes: dict[int, Mapping[str, Any]] = {}
    leaves: dict[int, Mapping[str, Any]] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if "split_index" in node:
            nodes[int(node["split_index"])] = node
            stack += [node["left_child"], node["right_child"]]
        else:
            leaves[int(node.get("leaf_index", 0))] = node

    def child(node: Mapping[str, Any]) -> int:
        return int(node["split_index"]) if "split_index" in node else ~int(node["leaf_index"])

    tree = _Tree([], [], [], [], [], [], [], [], [0], [])
    for index in range(len(nodes)):
        node = nodes[index]
        tree.feature.append(int(node["split_feature"]))
        decision = (_DEFAULT_LEFT if node["default_left"] else 0) | (
            _MISSING_TYPES[str(node["missing_type"])] << 2
        )
        if node["decision_type"] == "==":
            decision |= _CATEGORICAL
            tree.threshold.append(float(len(tree.cat_boundaries) - 1))
            categories = [int(value) for value in str(node["threshold"]).split("||")]
            words = [0] * (max(categories) // 32 + 1)
            for category in categories:
                words[category // 32] |= 1 << (category % 32)
            tree.cat_threshold.extend(words)
            tree.cat_boundaries.append(len(tree.cat_threshold))
        else:
            tree.threshold.append(float(node["threshold"]))
        tree.decision.append(decision)
        tree.left.append(child(node["left_child"]))
        tree.right.append(child(node["right_child"]))
        tree.node_count.append(float(node["internal_count"]))
    for index in range(len(leaves)):
        tree.leaf_value.append(float(leaves[index]["leaf_value"]))
        tree.leaf_count.append(float(leaves[index].get("leaf_count", 0.0)))
    return tree
