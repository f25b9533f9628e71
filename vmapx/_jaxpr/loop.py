"""The loop version, `jnp.stack([f(x[i]) for i in range(B)])`, and batched inputs at any size."""

from __future__ import annotations

import functools
from typing import Any, Callable

from vmapx._analysis import _compat as compat
from vmapx._problem.binding import Placed
from vmapx._analysis.shape import check_out_axes


def structs(placed: list[Placed], n: int) -> list[Any]:
    """The batched inputs at batch size n (each mapped argument's in_axis resized)."""
    import jax
    import jax.numpy as jnp

    out = []
    for p in placed:
        shape = list(p.full_shape)
        if p.in_axis is not None:
            shape[p.in_axis] = n
        out.append(jax.ShapeDtypeStruct(tuple(shape), jnp.dtype(p.arg.dtype)))
    return out


def loop_fn(f: Callable[..., Any], placed: list[Placed], out_axes: Any, n: int,
            record: list[Any] | None = None) -> Callable[..., Any]:
    """`jnp.stack([f(x[i]) for i in range(n)])`, with each argument indexed on its in_axis.

    `record`, when given, receives the types of one call's outputs (a pytree of structs).
    """
    import jax
    import jax.numpy as jnp
    from jax import lax

    def loop(*args: Any) -> Any:
        outs = [f(*[a if p.in_axis is None else lax.index_in_dim(a, i, p.in_axis, False)
                    for a, p in zip(args, placed)]) for i in range(n)]
        if record is not None:
            record.append(jax.tree.map(lambda o: jax.ShapeDtypeStruct(o.shape, o.dtype),
                                       outs[0]))
        if out_axes is None or isinstance(out_axes, (int, tuple, list)):
            check_out_axes(out_axes, outs[0])  # says "out_axes", where stacking would not
        top = out_axes if isinstance(out_axes, (tuple, list)) else None

        def stack(ax: Any, *leaves: Any) -> Any:
            return leaves[0] if ax is None else jnp.stack(leaves, axis=ax)

        if top is None:
            return jax.tree.map(functools.partial(stack, out_axes), *outs)
        return type(outs[0])(jax.tree.map(functools.partial(stack, ax), *parts)
                             for ax, *parts in zip(top, *outs))

    return loop


def growth(out_types: Any, placed: list[Placed], out_axes: Any, size: int, one: Any
           ) -> tuple[int, int]:
    """(equations per example, equations at B=0) of the loop, `one` being its trace at B=1.

    The loop grows by the same block per example: the slicing, f's equations, and whatever
    stacking adds per element. Rather than trace f twice more, the loop is traced at B=1 and 2
    with a stand-in for f returning zeros of f's output types (`out_types`): with f the loop has
    `n1 - h1` more equations per example than with the stand-in, so it grows by
    `(h2 - h1) + (n1 - h1)`. Pinned against real loops by tests/test_jaxpr_core.py.
    """
    import jax
    import jax.numpy as jnp

    n1 = len(compat.flat_eqns(one))
    if size == 1:
        return n1, 0

    def stand_in(*args: Any) -> Any:
        return jax.tree.map(lambda t: jnp.zeros(t.shape, t.dtype), out_types)

    def count(n: int) -> int:
        traced = jax.make_jaxpr(loop_fn(stand_in, placed, out_axes, n))(*structs(placed, n))
        return len(compat.flat_eqns(traced))

    h1, h2 = count(1), count(2)
    per = (h2 - h1) + (n1 - h1)
    return per, n1 - per
