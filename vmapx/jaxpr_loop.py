"""The loop version, `jnp.stack([f(x[i]) for i in range(B)])`, and batched inputs at any size."""

from __future__ import annotations

import functools
from typing import Any, Callable

from vmapx import _compat as compat
from vmapx.inputs import Placed


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


def loop_fn(f: Callable[..., Any], placed: list[Placed], out_axes: Any, n: int
          ) -> Callable[..., Any]:
    """`jnp.stack([f(x[i]) for i in range(n)])`, with each argument indexed on its in_axis."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    def loop(*args: Any) -> Any:
        outs = [f(*[a if p.in_axis is None else lax.index_in_dim(a, i, p.in_axis, False)
                    for a, p in zip(args, placed)]) for i in range(n)]
        top = out_axes if isinstance(out_axes, (tuple, list)) else None

        def stack(ax: Any, *leaves: Any) -> Any:
            return leaves[0] if ax is None else jnp.stack(leaves, axis=ax)

        if top is None:
            return jax.tree.map(functools.partial(stack, out_axes), *outs)
        return type(outs[0])(jax.tree.map(functools.partial(stack, ax), *parts)
                             for ax, *parts in zip(top, *outs))

    return loop


def growth(f: Callable[..., Any], placed: list[Placed], out_axes: Any, size: int, one: Any
           ) -> tuple[int, int]:
    """(equations per example, equations at B=0) of the loop, from its traces at B=1 (`one`)
    and B=2: the loop's jaxpr grows by the same block for every example."""
    import jax

    n1 = len(compat.flat_eqns(one))
    if size == 1:
        return n1, 0
    two = jax.make_jaxpr(loop_fn(f, placed, out_axes, 2))(*structs(placed, 2))
    per = len(compat.flat_eqns(two)) - n1
    return per, n1 - per
