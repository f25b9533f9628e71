"""Abstract tracing of a problem: the per-example call, then each level's vmap from the
innermost outwards, all through `jax.eval_shape` (nothing is allocated). Every level's output
shapes are JAX's own, and each level's out_axes is checked against what the level inside it
returns. Shared by `vmapx shape` and its exploration of other in_axes.
"""

from __future__ import annotations

from typing import Any

from vmapx._analysis.explain import classify
from vmapx._analysis.tracing import array_outputs, check_out_axes, nest, out_leaf_axes, structs
from vmapx._problem.placing import Level, leaf_axes
from vmapx._problem.problem import Problem
from vmapx._report.common import InputInfo, LevelInfo
from vmapx._report.shape import OutputInfo, PatternRow
from vmapx._text.specs import short_dtype
from vmapx.errors import VmapFailure


def input_infos(problem: Problem) -> list[InputInfo]:
    """Each input leaf as the outermost vmap is called with it and as the function sees it;
    when vmapx found the vmap broken, each leaf's axis and its size there as asked (the sizes
    that do not agree show)."""
    borrowed = {a.name: a.borrowed_from for a in problem.bound.args}
    top = problem.levels[0] if problem.levels else _asked(problem)
    rows = []
    for i, (leaf, given, example) in enumerate(zip(problem.leaves, problem.given,
                                                   problem.example_shapes())):
        ax = top.axes[i] if top else None
        size = None
        if ax is not None and problem.levels:
            size = top.size
        elif ax is not None:  # as asked: this leaf's own size on its axis
            size, example = leaf.shape[ax], leaf.shape[:ax] + leaf.shape[ax + 1:]
        rows.append(InputInfo(leaf.name, leaf.shape if top is None else given,
                              short_dtype(leaf.dtype), ax, example, size,
                              borrowed.get(leaf.name) if not leaf.path else None))
    return rows


def _asked(problem: Problem) -> Level | None:
    """The outermost level as asked, for a problem that failed before it could be placed:
    each leaf's in_axis where it is in range (None elsewhere), and the leaf's size there."""
    if problem.failure is None or problem.ranks is not None or not problem.leaves:
        return None
    n_kw = sum(1 for leaf in problem.leaves if leaf.keyword)
    try:
        raw = leaf_axes((problem.request.in_axes or (0,))[0], problem.bound.args, n_kw,
                        problem.surface)
    except VmapFailure:
        return None
    axes = tuple(a % len(leaf.shape) if a is not None and -len(leaf.shape) <= a < len(leaf.shape)
                 else None for leaf, a in zip(problem.leaves, raw))
    return Level(0, None, None, 0, axes, tuple(leaf.shape for leaf in problem.leaves))


def level_infos(problem: Problem, outputs: list[list[tuple[int, ...]]] | None = None
                ) -> list[LevelInfo]:
    """The problem's levels as report records (with each level's output shapes, if traced)."""
    return [LevelInfo(lv.index, lv.in_axes, lv.out_axes, lv.size, list(lv.axes),
                      list(lv.shapes), outputs[k] if outputs else [])
            for k, lv in enumerate(problem.levels)]


def trace(problem: Problem, derive: bool = True
          ) -> tuple[list[LevelInfo], list[OutputInfo], list[Any]]:
    """The outputs of every level, the per-example call's and each vmap's.

    With `derive`, the whole nest is traced once and each level's outputs are derived from its
    outer level's: vmap inserts the batch axis at `out_axes` (None: the output as it is), so
    the level inside has the same outputs with that axis removed. When that one trace fails,
    or without `derive`, the per-example call is traced, then each level from the innermost
    out, so that a failure is caught where it starts (an out_axes out of range before JAX's
    own message, which never names it).

    Returns the level records, the outputs, and the outermost level's per-example outputs
    (what `out_axes` moves the batch axis into).
    """
    if derive and problem.levels:
        import jax

        pos, kw = structs(problem, problem.levels[0].shapes)
        try:
            out = jax.eval_shape(nest(problem, 0), *pos, **kw)
        except Exception:  # explained by the level-by-level trace below
            pass
        else:
            return _derived(problem, out)
    return _level_by_level(problem)


def _derived(problem: Problem, out: Any) -> tuple[list[LevelInfo], list[OutputInfo], list[Any]]:
    """`trace`'s answer from the whole nest's outputs `out` (structs)."""
    import jax

    outs_per_level: list[list[tuple[int, ...]]] = []
    top_axes: list[Any] = []
    top_inner = current = out
    for k, level in enumerate(problem.levels):
        outs_per_level.append([tuple(o.shape) for o in jax.tree_util.tree_leaves(current)])
        leaves, tree = jax.tree_util.tree_flatten(current)
        raw = out_leaf_axes(level.out_axes, current, problem.surface)
        current = jax.tree_util.tree_unflatten(tree, [
            o if a is None else _drop(o, a % len(o.shape)) for o, a in zip(leaves, raw)])
        axes = check_out_axes(level.out_axes, current, problem.surface)
        if k == 0:
            top_axes, top_inner = axes, current
    return _records(problem, current, out, top_axes, outs_per_level, top_inner)


def _drop(struct: Any, axis: int) -> Any:
    import jax

    shape = tuple(struct.shape)
    return jax.ShapeDtypeStruct(shape[:axis] + shape[axis + 1:], struct.dtype)


def _level_by_level(problem: Problem) -> tuple[list[LevelInfo], list[OutputInfo], list[Any]]:
    """eval_shape the per-example call, then each level from the innermost out."""
    import jax

    examples = [(leaf.name, s, leaf.dtype) for leaf, s in
                zip(problem.leaves, problem.example_shapes())]
    pos, kw = structs(problem, problem.example_shapes())
    try:  # an output that is no JAX type is named so on every JAX (the wording varies)
        out = jax.eval_shape(array_outputs(problem.call, problem.name), *pos, **kw)
    except Exception as exc:  # the user's function, traced on per-example shapes
        raise classify(exc, "example", problem.name, examples, problem.surface) from None
    example_out = out
    outs_per_level: list[list[tuple[int, ...]]] = []
    axes: list[Any] = []
    inner = out
    for k in reversed(range(len(problem.levels))):
        inner = out
        axes = check_out_axes(problem.levels[k].out_axes, inner, problem.surface)
        pos, kw = structs(problem, problem.levels[k].shapes)
        vmapped = nest(problem, k)  # vmapx's own: built before the user's errors are caught
        try:
            out = jax.eval_shape(vmapped, *pos, **kw)
        except VmapFailure:
            raise
        except Exception as exc:
            raise classify(exc, "vmap", problem.name, examples, problem.surface) from None
        outs_per_level.insert(0, [tuple(o.shape) for o in jax.tree_util.tree_leaves(out)])
    return _records(problem, example_out, out, axes, outs_per_level, inner)


def _records(problem: Problem, example_out: Any, out: Any, axes: list[Any],
             outs_per_level: list[list[tuple[int, ...]]], inner: Any
             ) -> tuple[list[LevelInfo], list[OutputInfo], list[Any]]:
    import jax

    pairs = jax.tree_util.tree_flatten_with_path(example_out)[0]
    inner_leaves = jax.tree_util.tree_leaves(inner)
    final = jax.tree_util.tree_leaves(out)
    if not problem.levels:
        axes = [None] * len(pairs)
    outputs = [OutputInfo(jax.tree_util.keystr(path), tuple(o.shape), short_dtype(leaf.dtype),
                          None if ax is None else ax % (len(i.shape) + 1), tuple(leaf.shape))
               for (path, leaf), o, i, ax in zip(pairs, final, inner_leaves, axes)]
    return level_infos(problem, outs_per_level), outputs, [tuple(i.shape) for i in inner_leaves]


def out_axes_pattern(inner: list[tuple[int, ...]], size: int) -> list[PatternRow]:
    """Every out_axes k from -(r+1) to r: the outermost batch axis inserted at k (JAX's
    moveaxis rule), `inner` being what the outermost vmap's function returns per example."""
    r = max((len(s) for s in inner), default=0)
    rows = []
    for k in range(-(r + 1), r + 1):
        shapes = []
        for ex in inner:
            if not -(len(ex) + 1) <= k <= len(ex):
                shapes.append(None)
                continue
            at = k % (len(ex) + 1)
            shapes.append(ex[:at] + (size,) + ex[at:])
        rows.append(PatternRow(k, shapes))
    return rows
