"""lleaves' instruction-cache blocking with LightGBM's order of summing the trees.

lleaves evaluates a forest block by block (BLOCK_TREES trees over every row, then the next
block): the trees' code stays in the instruction cache, about twice as fast as one block of
all trees on the pooled model's 300. But lleaves sums each block from 0 and adds that to the
previous blocks' total, ((t0 + t1) + (t2 + t3)), where LightGBM adds tree after tree,
(((t0 + t1) + t2) + t3): results differ in the last bits. `in_order_blocks()` makes lleaves
generate code that starts each block from the running total instead, so a blocked forest
sums exactly as LightGBM does (the bit check of `_compiled` verifies every forest anyway).

This replaces one code generator function of lleaves while a compile runs (a copy of lleaves
1.3.0's `_populate_instruction_block`, MIT licence, with that one change); for other lleaves
versions `supported()` is False and a forest is compiled as one block (unblocked, as before).
"""

from __future__ import annotations

import importlib.metadata
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

BLOCK_TREES: Final = 34
"""Trees per block (lleaves' default; on the pooled median 20-50 ran alike, 10 and 100+ slower)."""
_KNOWN_VERSIONS: Final = ("1.3.0",)
_PARAMETERS: Final = (
    "instr_block_idx",
    "forest",
    "root_func",
    "tree_funcs",
    "setup_block",
    "next_block",
    "eval_obj_func",
    "use_fp64",
)


def supported() -> bool:
    """True when the installed lleaves has the code generator this module replaces."""
    try:
        if importlib.metadata.version("lleaves") not in _KNOWN_VERSIONS:
            return False
        from lleaves.compiler.codegen import codegen
    except (importlib.metadata.PackageNotFoundError, ImportError):
        return False
    original = getattr(codegen, "_populate_instruction_block", None)
    if original is None:
        return False
    return tuple(inspect.signature(original).parameters) == _PARAMETERS


def block_size(trees: int) -> int:
    """The fblocksize to compile a forest of `trees` trees with."""
    return min(BLOCK_TREES, max(trees, 1)) if supported() else max(trees, 1)


@contextmanager
def in_order_blocks() -> Iterator[None]:
    """While inside, lleaves compiles blocks that continue the running total (callers
    serialise compiles: the swap is process-wide)."""
    if not supported():
        yield
        return
    from lleaves.compiler.codegen import codegen

    original = codegen._populate_instruction_block
    codegen._populate_instruction_block = _in_order_instruction_block
    try:
        yield
    finally:
        codegen._populate_instruction_block = original


def _in_order_instruction_block(
    instr_block_idx: int,
    forest: Any,
    root_func: Any,
    tree_funcs: Any,
    setup_block: Any,
    next_block: Any,
    eval_obj_func: bool,
    use_fp64: bool,
) -> None:
    """lleaves 1.3.0's loop over the rows for one block of trees, except that a block after
    the first starts from the total stored so far (not from 0) and adds its trees to it."""
    from lleaves.compiler.codegen.codegen import (
        INT_CAT,
        LONG,
        _populate_objective_func_block,
        get_fdtype_const,
        iconst,
        lconst,
    )
    from llvmlite import ir

    _, out_arr, start_index, end_index = root_func.args

    builder = ir.IRBuilder(setup_block)
    start_index = builder.zext(start_index, LONG)
    end_index = builder.zext(end_index, LONG)
    loop_iter = builder.alloca(LONG, 1, "loop-idx")
    builder.store(start_index, loop_iter)
    condition_block = root_func.append_basic_block("loop-condition")
    builder.branch(condition_block)

    builder = ir.IRBuilder(condition_block)
    comp = builder.icmp_signed("<", builder.load(loop_iter), end_index)
    core_block = root_func.append_basic_block("loop-core")
    builder.cbranch(comp, core_block, next_block)

    builder = ir.IRBuilder(core_block)
    args = []
    loop_iter_reg = builder.load(loop_iter)
    n_args = ir.Constant(LONG, forest.n_args)
    iter_mul_nargs = builder.mul(loop_iter_reg, n_args)
    idx = (builder.add(iter_mul_nargs, lconst(i)) for i in range(forest.n_args))
    raw_ptrs = [builder.gep(root_func.args[0], (c,)) for c in idx]
    for feature, ptr in zip(forest.features, raw_ptrs, strict=False):
        el = builder.load(ptr)
        if feature.is_categorical:
            is_nan = builder.fcmp_ordered("uno", el, get_fdtype_const(0.0, use_fp64))
            el = builder.select(is_nan, iconst(-(2**31)), builder.fptosi(el, INT_CAT))
        args.append(el)
    res_idx = builder.mul(lconst(forest.n_classes), loop_iter_reg)
    results_ptr = [
        builder.gep(out_arr, (builder.add(res_idx, lconst(class_idx)),))
        for class_idx in range(forest.n_classes)
    ]
    # The one change: the running total, not 0, is what the block's first tree is added to.
    if instr_block_idx > 0:
        results = [builder.load(result_ptr) for result_ptr in results_ptr]
    else:
        results = [get_fdtype_const(0.0, use_fp64) for _ in range(forest.n_classes)]
    for func in tree_funcs:
        tree_res = builder.call(func.llvm_function, args)
        results[func.class_id] = builder.fadd(tree_res, results[func.class_id])

    if eval_obj_func:
        results = _populate_objective_func_block(
            builder,
            results,
            forest.objective_func,
            forest.objective_func_config,
            forest.raw_score,
            forest.average_output,
            len(forest.trees),
            use_fp64,
        )
    for result, result_ptr in zip(results, results_ptr, strict=True):
        builder.store(result, result_ptr)

    builder.store(builder.add(loop_iter_reg, lconst(1)), loop_iter)
    builder.branch(condition_block)
