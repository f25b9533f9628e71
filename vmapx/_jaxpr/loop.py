"""The loop version, `jnp.stack([f(x[i]) for i in range(B)])` over a problem's leaves, and the
leaves as the outermost vmap takes them at any batch size."""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

from vmapx._analysis import _compat as compat
from vmapx._analysis.tracing import leaf_structs, vmap_axes
from vmapx._problem.problem import Problem


def level_structs(problem: Problem, n: int, to_front: bool = False) -> list[Any]:
    """One struct per leaf as the outermost vmap is called with it, at batch size `n` (each
    mapped leaf's axis resized); `to_front` moves that axis to 0, as the hand-batched twin
    takes its inputs."""
    top = problem.levels[0]
    shapes = []
    for shape, ax in zip(top.shapes, top.axes):
        dims = list(shape)
        if ax is not None:
            dims[ax] = n
            if to_front:
                dims.insert(0, dims.pop(ax))
        shapes.append(tuple(dims))
    return leaf_structs(shapes, problem)


def types_of(out: Any) -> Any:
    """The types of a function's outputs, a pytree of structs (a Python number too)."""
    import jax
    import jax.numpy as jnp

    return jax.tree.map(lambda o: jax.ShapeDtypeStruct(jnp.shape(o), jnp.result_type(o)), out)


def loop_fn(f: Callable[..., Any], axes: Sequence[int | None], out_axes: Any, n: int,
            check: Callable[[Any], Any] | None = None,
            record: list[Any] | None = None) -> Callable[..., Any]:
    """`jnp.stack([f(x[i]) for i in range(n)])` over the leaves, each indexed on its axis.

    `check` sees one call's outputs before they are stacked (out_axes in range); `record`, when
    given, receives their types (a pytree of structs).
    """
    import jax
    import jax.numpy as jnp
    from jax import lax

    out_axes = vmap_axes(out_axes)

    def loop(*args: Any) -> Any:
        outs = [f(*[a if ax is None else lax.index_in_dim(a, i, ax, False)
                    for a, ax in zip(args, axes)]) for i in range(n)]
        if record is not None:
            record.append(types_of(outs[0]))
        if check is not None:
            check(outs[0])

        def stack(ax: Any, *leaves: Any) -> Any:
            return leaves[0] if ax is None else jnp.stack(leaves, axis=ax)

        if not isinstance(out_axes, tuple):
            return jax.tree.map(functools.partial(stack, out_axes), *outs)
        return type(outs[0])(jax.tree.map(functools.partial(stack, ax), *parts)
                             for ax, *parts in zip(out_axes, *outs))

    return loop


# The loop's equations are counted up to this batch size (its stand-in traced there: ~0.3 s);
# a loop over more examples is not traced, its count is carried on from here, and said so.
COUNTED_UP_TO = 512


def growth(out_types: Any, problem: Problem, size: int, one: Any) -> tuple[int, int, int]:
    """(equations per example, equations at B=0, the batch size counted at) of the loop,
    `one` being its trace at B=1; `base + per × size` is its equation count at `size`.

    Only f's share of the loop is the same for every example; how the slicing and the stacking
    grow depends on the JAX release (before 0.10.1 `jnp.stack` is one `broadcast_in_dim` per
    element plus `concatenate`s, one from two elements on and more in chunks of 16), so it is
    counted, not assumed: the loop is traced with a stand-in for f that returns zeros of f's
    output types (`out_types`; f is not run again) at `size` and `size - 1`, `per` being the
    step between them. With f the loop has `n1 - h1` more equations per example than with the
    stand-in. Above `COUNTED_UP_TO` the count at that size is carried on at its last step.
    Pinned against real loops by tests/test_jaxpr_core.py.
    """
    import jax
    import jax.numpy as jnp

    n1 = len(compat.flat_eqns(one))
    if size == 1:
        return n1, 0, 1
    top = problem.levels[0]

    def stand_in(*args: Any) -> Any:
        return jax.tree.map(lambda t: jnp.zeros(t.shape, t.dtype), out_types)

    def count(n: int) -> int:
        loop = loop_fn(stand_in, top.axes, top.out_axes, n)
        return len(compat.flat_eqns(jax.make_jaxpr(loop)(*level_structs(problem, n))))

    hn, step, at = stacking(count, size)
    return step + n1 - count(1), hn - step * size, at


def stacking(count: Callable[[int], int], size: int) -> tuple[int, int, int]:
    """(the stand-in loop's equations at `size`, its step from `size - 1`, the size counted
    at), from `count`; above `COUNTED_UP_TO`, carried on from there at the step there."""
    at = min(size, COUNTED_UP_TO)
    hn = count(at)
    step = hn - count(at - 1)
    return hn + step * (size - at), step, at
