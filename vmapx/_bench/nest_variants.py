"""The JAX side of `vmapx bench` for a nest of vmaps over pytree arguments.

Every variant takes the same flat list of leaves (made once, on the device) and rebuilds the
arguments' pytrees itself, so the variants differ only in how they batch:

- vmap / jit-vmap: `vmap(vmap(f, in_axes[1], out_axes[1]), in_axes[0], out_axes[0])`;
- loop / loop-jit: one Python loop per level, indexing each leaf at that level's axis as a user
  would, and stacking each output leaf at that level's out_axis;
- lax-map: one `lax.map` per level under one `jit`, each mapped leaf moved to axis 0 first;
- manual / jit-manual: the user's hand-batched function, given the inputs exactly as given.

Imported only when a benchmark runs (it imports jax at the top).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp

from vmapx._bench.variants import Variant, block, random_array

_UNMAPPED = "unmapped"  # an out_axes of None, as a leaf value (None itself is no pytree leaf)


def random_leaves(case, rng, device) -> list[Any]:
    """Random leaves at the given shapes (not ones or zeros, which hide axis mistakes)."""
    return block([jax.device_put(random_array(s, d, rng), device)
                  for s, d in zip(case.given, case.dtypes)])


def _vmap_axes(ax: Any) -> Any:
    return tuple(ax) if isinstance(ax, list) else ax


def out_leaf_axes(out_axes: Any, example: Any) -> list[Any]:
    """One out axis (or `_UNMAPPED`) per leaf of `example`, from a pytree-prefix out_axes."""
    axes = _vmap_axes(out_axes)
    if axes is None or isinstance(axes, int):
        return [_UNMAPPED if axes is None else axes] * len(jax.tree.leaves(example))
    per = jax.tree.map(lambda ax, sub: jax.tree.map(lambda _: _UNMAPPED if ax is None else ax,
                                                    sub),
                       axes, example, is_leaf=lambda x: x is None)
    return jax.tree.leaves(per)


def _stack(outs: list[Any], out_axes: Any) -> Any:
    flat = [jax.tree.flatten(o) for o in outs]
    treedef = flat[0][1]
    axes = out_leaf_axes(out_axes, outs[0])
    stacked = [flat[0][0][j] if ax == _UNMAPPED else jnp.stack([f[0][j] for f in flat], axis=ax)
               for j, ax in enumerate(axes)]
    return jax.tree.unflatten(treedef, stacked)


def _take(x: Any, axis: int | None, i: int) -> Any:
    return x if axis is None else x[(slice(None),) * axis + (i,)]


def build(case, raw: list[Any]) -> dict[str, Variant]:
    """Every variant of `case`, built once, bound to the leaves `raw` (as given)."""
    f = functools.partial(case.fn, **case.static) if case.static else case.fn
    # --ranks squeezes a broadcasting size-1 leading dim; that is a reshape, done once here
    leaves_ = block([x.reshape(s) if tuple(x.shape) != tuple(s) else x
                     for x, s in zip(raw, case.shapes)])
    levels = case.levels

    def call(fun: Callable[..., Any], values: list[Any]) -> Any:
        pos, kw = case.rebuild(values)
        return fun(*pos, **kw)

    def looped(one: Callable[[list[Any]], Any], values: list[Any], k: int = 0) -> Any:
        if k == len(levels):
            return one(values)
        lv = levels[k]
        return _stack([looped(one, [_take(x, a, i) for x, a in zip(values, lv.axes)], k + 1)
                       for i in range(lv.batch_size)], lv.out_axes)

    def mapped(values: list[Any], k: int = 0) -> Any:
        if k == len(levels):
            return call(f, values)
        lv = levels[k]
        idx = [j for j, a in enumerate(lv.axes) if a is not None]
        xs = tuple(jnp.moveaxis(values[j], lv.axes[j], 0) for j in idx) if idx else \
            jnp.arange(lv.batch_size)

        def body(x_i: Any) -> Any:
            full = list(values)
            for j, x in zip(idx, x_i if idx else ()):
                full[j] = x
            return mapped(full, k + 1)

        out = jax.lax.map(body, xs)
        flat, treedef = jax.tree.flatten(out)
        axes = out_leaf_axes(lv.out_axes, out)
        return jax.tree.unflatten(treedef, [x[0] if ax == _UNMAPPED else jnp.moveaxis(x, 0, ax)
                                            for x, ax in zip(flat, axes)])

    vf = f  # the nest a user writes: their own in_axes and out_axes, on the pytrees
    for lv in reversed(levels):
        vf = jax.vmap(vf, in_axes=_vmap_axes(lv.in_axes), out_axes=_vmap_axes(lv.out_axes))
    jvf = jax.jit(vf)
    pos, kw = case.rebuild(leaves_)
    jf = jax.jit(lambda *values: call(f, list(values)))
    first = leaves_
    for lv in levels:
        first = [_take(x, a, 0) for x, a in zip(first, lv.axes)]
    first = block(first)
    jm = jax.jit(lambda *values: mapped(list(values)))
    out = {
        "loop": Variant(lambda: looped(lambda values: call(f, values), leaves_)),
        "loop-jit": Variant(lambda: looped(lambda values: jf(*values), leaves_),
                            lambda: jf.lower(*first).compile()),
        "vmap": Variant(functools.partial(vf, *pos, **kw)),
        "jit-vmap": Variant(functools.partial(jvf, *pos, **kw),
                            lambda: jvf.lower(*pos, **kw).compile()),
        "lax-map": Variant(functools.partial(jm, *leaves_), lambda: jm.lower(*leaves_).compile()),
    }
    if case.manual is not None:
        mf = functools.partial(case.manual, **case.static) if case.static else case.manual
        jmf = jax.jit(lambda *values: call(mf, list(values)))
        out["manual"] = Variant(lambda: call(mf, raw))
        out["jit-manual"] = Variant(functools.partial(jmf, *raw), lambda: jmf.lower(*raw).compile())
    return out

