"""Checks the structure of a LightGBM text model before LightGBM's C library parses it.

LightGBM trusts its model text: a truncated or edited file can make it abort or crash the
process (a tree cut in half, a child index past the end), and it prints its own "[Fatal]"
line first. A model folder's hashes only show that the file is the one its manifest names,
not that whoever wrote the manifest wrote a sound model, so `check_model_text` reads the text
the way LightGBM does (LightGBM/src/boosting/gbdt_model_text.cpp and src/io/tree.cpp) and
refuses, with one ArtifactError, anything LightGBM would not read safely:

    header      "tree", then key=value lines: version, num_class=1,
                num_tree_per_iteration=1, max_feature_idx, feature_names and
                feature_infos (max_feature_idx + 1 of each); tree_sizes, if given, must be
                the byte size of each tree block
    trees       "Tree=0", "Tree=1", ... each with num_leaves >= 1, num_cat >= 0, leaf_value
                (num_leaves numbers); with more than one leaf also left_child, right_child,
                split_feature, threshold (num_leaves - 1 each) and child indexes that point at
                a node or leaf of the same tree, split features below max_feature_idx + 1;
                optional per-node or per-leaf arrays of the right length; categorical splits
                with consistent cat_boundaries and cat_threshold; no linear trees
    end         "end of trees"; a "parameters:" section must end with "end of parameters"

Only what mlpay trains is accepted (one regression output per iteration).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Final

from mlpay_model.errors import ArtifactError, clip

_NODE_ARRAYS: Final = (
    "split_gain",
    "decision_type",
    "internal_value",
    "internal_weight",
    "internal_count",
)
_LEAF_ARRAYS: Final = ("leaf_weight", "leaf_count")
_CATEGORICAL_MASK: Final = 1


def check_model_text(text: bytes, path: Path) -> None:
    """Raise ArtifactError (naming `path` and the first problem) unless `text` is a LightGBM
    text model that LightGBM's parser reads safely (see the module docstring)."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise ArtifactError(f"{path}: not a LightGBM text model (not UTF-8 text)") from None
    if "\0" in decoded:
        raise ArtifactError(f"{path}: not a LightGBM text model (it holds NUL bytes)")
    lines = decoded.replace("\r\n", "\n").split("\n")
    if not lines or lines[0] != "tree":
        raise ArtifactError(f"{path}: not a LightGBM text model (it does not start with 'tree')")
    _Reader(lines, path).check(text)


class _Reader:
    def __init__(self, lines: list[str], path: Path):
        self.lines = lines
        self.path = path

    def fail(self, problem: str) -> ArtifactError:
        return ArtifactError(f"{self.path}: not a sound LightGBM text model ({clip(problem)})")

    def check(self, text: bytes) -> None:
        header, position = self._key_values(1, stop_at_tree=True)
        for key in ("version", "num_class", "num_tree_per_iteration", "max_feature_idx"):
            if key not in header:
                raise self.fail(f"no {key} in the header")
        for key in ("num_class", "num_tree_per_iteration"):
            if header[key] != "1":
                raise self.fail(f"{key}={header[key]}; mlpay models have 1")
        features = self._int(header["max_feature_idx"], "max_feature_idx") + 1
        if features < 1:
            raise self.fail("max_feature_idx below 0")
        for key in ("feature_names", "feature_infos"):
            if len(header.get(key, "").split(" ")) != features:
                raise self.fail(f"{key} does not have max_feature_idx + 1 = {features} entries")
        trees = 0
        starts: list[int] = []
        while position < len(self.lines) and self.lines[position].startswith("Tree="):
            if self.lines[position] != f"Tree={trees}":
                raise self.fail(f"{self.lines[position]!r} where Tree={trees} was expected")
            starts.append(position)
            values, position = self._key_values(position + 1, stop_at_tree=False)
            self._check_tree(trees, values, features)
            trees += 1
        if trees == 0:
            raise self.fail("no trees")
        if position >= len(self.lines) or self.lines[position] != "end of trees":
            raise self.fail("no 'end of trees' line after the last tree")
        if "tree_sizes" in header:
            self._check_tree_sizes(header["tree_sizes"], starts, position, text)
        rest = self.lines[position + 1 :]
        if "parameters:" in rest and "end of parameters" not in rest:
            raise self.fail("a 'parameters:' section without 'end of parameters'")

    def _key_values(self, position: int, *, stop_at_tree: bool) -> tuple[dict[str, str], int]:
        """key=value lines from `position` up to a blank line (trees) or the first tree."""
        values: dict[str, str] = {}
        lines = self.lines
        while position < len(lines):
            line = lines[position]
            if line.startswith("Tree=") or line == "end of trees":
                break
            if not line:
                if not stop_at_tree:
                    position += 1
                    break
                position += 1
                continue
            key, equals, value = line.partition("=")
            if not equals:
                raise self.fail(f"line {position + 1} is not key=value: {line!r}")
            values[key] = value
            position += 1
        if not stop_at_tree:
            while position < len(lines) and not lines[position]:
                position += 1
        return values, position

    def _check_tree(self, index: int, values: dict[str, str], features: int) -> None:
        where = f"Tree={index}"
        for key in ("num_leaves", "num_cat", "leaf_value"):
            if key not in values:
                raise self.fail(f"{where} has no {key}")
        leaves = self._int(values["num_leaves"], f"{where} num_leaves")
        categorical = self._int(values["num_cat"], f"{where} num_cat")
        if leaves < 1 or categorical < 0:
            raise self.fail(f"{where}: num_leaves {leaves}, num_cat {categorical}")
        if values.get("is_linear", "0") != "0":
            raise self.fail(f"{where} is a linear tree; mlpay models have none")
        self._numbers(values["leaf_value"], leaves, f"{where} leaf_value")
        if "shrinkage" in values:
            self._numbers(values["shrinkage"], 1, f"{where} shrinkage")
        if leaves == 1:
            return
        nodes = leaves - 1
        for key in ("left_child", "right_child", "split_feature", "threshold"):
            if key not in values:
                raise self.fail(f"{where} has no {key}")
        left = self._ints(values["left_child"], nodes, f"{where} left_child")
        right = self._ints(values["right_child"], nodes, f"{where} right_child")
        self._check_shape(where, left, right, leaves)
        for feature in self._ints(values["split_feature"], nodes, f"{where} split_feature"):
            if not 0 <= feature < features:
                raise self.fail(f"{where} split_feature {feature} out of range")
        thresholds = self._numbers(values["threshold"], nodes, f"{where} threshold")
        for key in _NODE_ARRAYS:
            if key in values:
                self._numbers(values[key], nodes, f"{where} {key}")
        for key in _LEAF_ARRAYS:
            if key in values:
                self._numbers(values[key], leaves, f"{where} {key}")
        kinds = (
            self._ints(values["decision_type"], nodes, f"{where} decision_type")
            if "decision_type" in values
            else [0] * nodes
        )
        if categorical == 0:
            if any(kind & _CATEGORICAL_MASK for kind in kinds):
                raise self.fail(f"{where} has a categorical split but num_cat=0")
            return
        for key in ("cat_boundaries", "cat_threshold"):
            if key not in values:
                raise self.fail(f"{where} has num_cat={categorical} but no {key}")
        words = self._ints(values["cat_threshold"], None, f"{where} cat_threshold")
        bounds = self._ints(values["cat_boundaries"], categorical + 1, f"{where} cat_boundaries")
        if bounds[0] != 0 or bounds[-1] != len(words) or bounds != sorted(bounds):
            raise self.fail(f"{where} cat_boundaries do not index cat_threshold")
        if any(not 0 <= word < 1 << 32 for word in words):
            raise self.fail(f"{where} cat_threshold out of range")
        for kind, threshold in zip(kinds, thresholds, strict=True):
            if kind & _CATEGORICAL_MASK and not (
                threshold.is_integer() and 0 <= threshold < categorical
            ):
                raise self.fail(f"{where} categorical threshold {threshold} out of range")

    def _check_shape(self, where: str, left: list[int], right: list[int], leaves: int) -> None:
        """The children form one tree from node 0: every other node and every leaf (a child
        -1 - leaf) reached exactly once, so LightGBM's walks end."""
        nodes = len(left)
        seen_nodes = [False] * nodes
        seen_leaves = [False] * leaves
        seen_nodes[0] = True
        pending = [0]
        while pending:
            node = pending.pop()
            for child in (left[node], right[node]):
                if 0 <= child < nodes and not seen_nodes[child]:
                    seen_nodes[child] = True
                    pending.append(child)
                elif -leaves <= child < 0 and not seen_leaves[-1 - child]:
                    seen_leaves[-1 - child] = True
                else:
                    raise self.fail(f"{where}: child {child} of node {node} breaks the tree")
        if not (all(seen_nodes) and all(seen_leaves)):
            raise self.fail(f"{where}: nodes or leaves that the root does not reach")

    def _check_tree_sizes(self, sizes: str, starts: list[int], end: int, text: bytes) -> None:
        expected = self._ints(sizes, len(starts), "tree_sizes")
        offsets = _line_offsets(text)
        bounds = [*starts, end]
        for index, size in enumerate(expected):
            actual = offsets[bounds[index + 1]] - offsets[bounds[index]]
            if size != actual:
                raise self.fail(f"tree_sizes says Tree={index} has {size} bytes, it has {actual}")

    def _int(self, value: str, what: str) -> int:
        try:
            return int(value)
        except ValueError:
            raise self.fail(f"{what} is not an integer: {value!r}") from None

    def _ints(self, value: str, count: int | None, what: str) -> list[int]:
        items = value.split(" ")
        if count is not None and len(items) != count:
            raise self.fail(f"{what} has {len(items)} entries, not {count}")
        return [self._int(item, what) for item in items]

    def _numbers(self, value: str, count: int, what: str) -> list[float]:
        items = value.split(" ")
        if len(items) != count:
            raise self.fail(f"{what} has {len(items)} entries, not {count}")
        try:
            numbers = [float(item) for item in items]
        except ValueError:
            raise self.fail(f"{what} is not a list of numbers") from None
        if any(math.isnan(number) for number in numbers) and "value" in what:
            raise self.fail(f"{what} holds NaN")
        return numbers


def _line_offsets(text: bytes) -> list[int]:
    """Byte offset of the start of each line of `text` (one more entry: the end)."""
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets
