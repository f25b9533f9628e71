"""The variants `vmapx bench` times, built once for any problem: leaves under a nest of levels.

Every variant takes the problem's leaves as the outermost vmap is called with them (made once,
on the device); a plain vmap is a nest of one level. They differ only in how they batch:

- loop / loop-jit: one Python loop per level, indexing each leaf at that level's axis as a user
  would, and stacking each output leaf at that level's out_axes (loop-jit calls `jit(f)`);
- vmap / jit-vmap: the nest of vmaps a user writes, on the argument pytrees (`tracing.nest`);
- lax-map: one `lax.map` per level under one `jit`, each mapped leaf moved to axis 0 first;
- manual / jit-manual: the hand-batched twin, given the leaves as the outermost vmap is, each
  leaf mapped at level 0 with its batch axis moved to axis 0 (examples/README.md).

Building a variant runs none of the user's code: `run()` and `lower()` do. Imported only when a
benchmark runs (it imports jax at the top).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp

from vmapx._analysis.tracing import array_outputs, nest, out_leaf_axes
from vmapx._bench.values import block
from vmapx._problem.binding import with_statics
from vmapx._problem.placing import Level
from vmapx._problem.problem import Problem
from vmapx._problem.surface import Surface


# The most examples a Python loop variant runs per call. Past it (a --batch of a million) one
# loop would take minutes and its stacked outputs gigabytes: the loop runs over the first
# examples of the outermost vmap only, its time is scaled up, and the report says so.
LOOP_MAX = 1024


@dataclass(frozen=True)
class Variant:
    """`run()` calls the variant once; `lower()` lowers and compiles its jitted part (or None).
    `head` is set for a loop cut to the first `head` examples of the outermost vmap (of
    `size`): its outputs are those examples', and its times are scaled by size / head."""

    run: Callable[[], Any]
    lower: Callable[[], Any] | None = None
    head: int | None = None
    size: int | None = None


def loop_head(levels: Sequence[Level], surface: Surface) -> int | None:
    """How many examples of the outermost vmap the loop variants run (None: all of them)."""
    inner = 1
    for lv in levels[1:]:
        inner *= lv.size
    if inner * levels[0].size <= LOOP_MAX:
        return None
    if inner > LOOP_MAX:
        from vmapx.errors import UsageError

        raise UsageError(f"the inner vmaps alone map {inner:,} examples, and the Python loop "
                         f"variants would run each of them: vmapx runs at most {LOOP_MAX:,}",
                         "give smaller batch dims to the inner levels, or time without the "
                         "loops (" + ("--variants vmap,jit-vmap,lax-map" if surface.cli else
                                      "variants=('vmap', 'jit-vmap', 'lax-map')") + ")")
    return LOOP_MAX // inner


def head_of(out: Any, n: int, out_axes: Any, surface: Surface) -> Any:
    """The first `n` examples of the outermost vmap in a batched output: each leaf sliced at
    its outermost out_axes (the last stack a nest makes, so that axis is where it says)."""
    flat, tree = jax.tree.flatten(out)
    axes = out_leaf_axes(out_axes, out, surface)
    return jax.tree.unflatten(tree, [x if ax is None else jax.lax.slice_in_dim(
        x, 0, n, axis=ax % x.ndim) for x, ax in zip(flat, axes)])


def _take(x: Any, axis: int | None, i: int) -> Any:
    return x if axis is None else x[(slice(None),) * axis + (i,)]


def _stack(outs: list[Any], out_axes: Any, surface: Surface) -> Any:
    """Per-example outputs → the batched output, each leaf stacked at its out_axes (an
    unmapped leaf, out_axes None, is the same for every example: the first one's)."""
    flat = [jax.tree.flatten(o) for o in outs]
    axes = out_leaf_axes(out_axes, outs[0], surface)
    stacked = [flat[0][0][j] if ax is None else jnp.stack([f[0][j] for f in flat], axis=ax)
               for j, ax in enumerate(axes)]
    return jax.tree.unflatten(flat[0][1], stacked)


def looped(one: Callable[[list[Any]], Any], values: list[Any], levels: Sequence[Level],
           surface: Surface, k: int = 0, head: int | None = None) -> Any:
    """One Python loop per level from level `k` in; `one` takes one example's leaves; the
    outermost loop stops after `head` examples when it is given."""
    if k == len(levels):
        return one(values)
    lv = levels[k]
    n = lv.size if head is None or k else min(head, lv.size)
    return _stack([looped(one, [_take(x, a, i) for x, a in zip(values, lv.axes)], levels,
                          surface, k + 1) for i in range(n)], lv.out_axes, surface)


def mapped(g: Callable[..., Any], values: list[Any], levels: Sequence[Level], surface: Surface,
           k: int = 0) -> Any:
    """One `lax.map` per level from level `k` in; `g` takes one example's leaves."""
    if k == len(levels):
        return g(*values)
    lv = levels[k]
    idx = [j for j, a in enumerate(lv.axes) if a is not None]
    xs = (tuple(jnp.moveaxis(values[j], lv.axes[j], 0) for j in idx) if idx else
          jnp.arange(lv.size))

    def body(x_i: Any) -> Any:
        full = list(values)
        for j, x in zip(idx, x_i if idx else ()):
            full[j] = x
        return mapped(g, full, levels, surface, k + 1)

    out = jax.lax.map(body, xs)
    flat, treedef = jax.tree.flatten(out)
    axes = out_leaf_axes(lv.out_axes, out, surface)
    return jax.tree.unflatten(treedef, [x[0] if ax is None else jnp.moveaxis(x, 0, ax)
                                        for x, ax in zip(flat, axes)])


def twin_leaves(problem: Problem, leaves: Sequence[Any]) -> list[Any]:
    """The leaves as the hand-batched twin takes them: each leaf mapped at level 0 with its
    batch axis moved to axis 0, the others as they are."""
    top = problem.levels[0]
    return block([x if a in (None, 0) else jnp.moveaxis(x, a, 0)
                  for x, a in zip(leaves, top.axes)])


def build(problem: Problem, leaves: list[Any], twin: Callable[..., Any] | None
          ) -> dict[str, Variant]:
    """Every variant of `problem`, built once, bound to `leaves`; the manual ones when a twin
    is given."""
    levels, surface = problem.levels, problem.surface
    g = array_outputs(problem.flat(problem.call), problem.name, once=True)  # f of leaves
    jg = jax.jit(g)
    first = leaves
    for lv in levels:
        first = [_take(x, a, 0) for x, a in zip(first, lv.axes)]
    first = block(first)                    # one example's leaves: what loop-jit compiles for
    vf = nest(problem)                      # vmap(vmap(f, …), …) on the argument pytrees
    jvf = jax.jit(vf)
    pos, kw = problem.unflatten(leaves)
    jm = jax.jit(lambda *values: mapped(g, list(values), levels, surface))
    head = loop_head(levels, surface)
    cut = {"head": head, "size": levels[0].size} if head is not None else {}
    out = {
        "loop": Variant(lambda: looped(lambda v: g(*v), leaves, levels, surface, head=head),
                        **cut),
        "loop-jit": Variant(lambda: looped(lambda v: jg(*v), leaves, levels, surface,
                                           head=head),
                            lambda: jg.lower(*first).compile(), **cut),
        "vmap": Variant(functools.partial(vf, *pos, **kw)),
        "jit-vmap": Variant(functools.partial(jvf, *pos, **kw),
                            lambda: jvf.lower(*pos, **kw).compile()),
        "lax-map": Variant(functools.partial(jm, *leaves), lambda: jm.lower(*leaves).compile()),
    }
    if twin is not None:
        mf = problem.flat(with_statics(twin, problem.bound))
        margs = twin_leaves(problem, leaves)
        jmf = jax.jit(mf)
        out["manual"] = Variant(functools.partial(mf, *margs))
        out["jit-manual"] = Variant(functools.partial(jmf, *margs),
                                    lambda: jmf.lower(*margs).compile())
    return out
