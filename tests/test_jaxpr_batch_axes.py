"""Batch axes derived from one trace of vmap (diff.derived_batch_axes) against the two-size
method (diff.batch_axes: trace at B and at B+1, the axis that changes is batched)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vmapx
from vmapx._jaxpr.diff import batch_axes, derived_batch_axes

W = np.arange(15, dtype=np.float32).reshape(3, 5)


def mlp(x):
    for _ in range(3):
        x = jnp.tanh(W.T @ jnp.tanh(W @ x + 1.0))
    return x.sum()


def affine(W, b, x):
    return W @ x + b


def zeros_plus(x):  # an unbatched constant broadcast, then combined with a batched value
    return jnp.zeros(5) + x * 2.0, x[:3]


def unbatched_out(x):  # vmap broadcasts the unbatched output: the derivation declines
    return x * 2.0, jnp.ones((3,))


def einsum_pair(a, b):  # einsum and softmax: jit-wrapped calls the derivation looks through
    return jax.nn.softmax(jnp.einsum("ij,j->i", a, b))


def reshaped(x):
    # a strided slice as lax.slice: JAX 0.4.30 traces x[::2] to a gather (derivation declines)
    return x.reshape(2, 3).T.sum(0), jax.lax.slice(x, (0,), (6,), (2,))


def tree_fn(p, x):
    return {"y": p["W"] @ x + p["b"], "n": jnp.linalg.norm(x)}


def with_cond(p, x):  # control flow: derivation declines, the two-size method answers
    return jax.lax.cond(p > 0, jnp.sin, jnp.cos, x)


def batched_cond(x):  # a batched predicate: vmap makes it a select_n, no control flow left
    return jax.lax.cond(x.sum() > 0, jnp.sin, jnp.cos, x)


def with_gather(x, i):
    return x[i]


S = jax.ShapeDtypeStruct
f32 = jnp.float32
CASES = [  # fn, in_axes, out_axes, batched leaves at B (a function of B), derivable
    (mlp, 0, 0, lambda n: [S((n, 5), f32)], True),
    (affine, (None, None, 0), 0, lambda n: [S((3, 5), f32), S((3,), f32), S((n, 5), f32)],
     True),
    (affine, (0, None, 1), 1, lambda n: [S((n, 3, 5), f32), S((3,), f32), S((5, n), f32)],
     True),
    (zeros_plus, 0, (1, 0), lambda n: [S((n, 5), f32)], True),
    (unbatched_out, 0, 0, lambda n: [S((n, 5), f32)], False),
    (einsum_pair, (1, 0), 0, lambda n: [S((3, n, 6), f32), S((n, 6), f32)], True),
    (reshaped, 0, 0, lambda n: [S((n, 6), f32)], True),
    (batched_cond, 0, 0, lambda n: [S((n, 5), f32)], True),
    (with_cond, (None, 0), 0, lambda n: [S((), f32), S((n, 5), f32)], False),
    (with_gather, (None, 0), 0, lambda n: [S((7,), f32), S((n,), jnp.int32)], False),
]


def _trace(fn, in_axes, out_axes, leaves):
    return jax.make_jaxpr(jax.vmap(fn, in_axes=in_axes, out_axes=out_axes))(*leaves)


def _mapped(in_axes, n):
    if not isinstance(in_axes, tuple):
        return [in_axes is not None] * n
    return [a is not None for a in in_axes]


@pytest.mark.parametrize("fn, in_axes, out_axes, leaves, derivable", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
@pytest.mark.parametrize("size", [4, 7])
def test_derived_axes_are_the_two_size_axes(fn, in_axes, out_axes, leaves, derivable, size):
    at_b = _trace(fn, in_axes, out_axes, leaves(size))
    two_size = batch_axes(at_b, _trace(fn, in_axes, out_axes, leaves(size + 1)))
    derived = derived_batch_axes(at_b, _mapped(in_axes, len(leaves(size))), size)
    assert two_size is not None
    if derivable:
        assert derived == two_size
    else:
        assert derived is None


def test_a_batch_size_equal_to_another_dimension_is_a_doubt():
    at_b = _trace(mlp, 0, 0, [S((5, 5), f32)])  # B = 5 = the width: which 5 is the batch?
    assert derived_batch_axes(at_b, [True], 5) is None
    two_size = batch_axes(at_b, _trace(mlp, 0, 0, [S((6, 5), f32)]))
    report = vmapx.jaxpr(mlp, (5,), batch=5)  # the report falls back to the second trace
    assert [e.axes for e in report.versions["vmap"].equations] == two_size


def test_tree_inputs_in_the_report_match_the_two_size_method():
    params = {"W": (3, 5), "b": (3,)}
    report = vmapx.jaxpr(tree_fn, params, (5,), batch=4, in_axes=(None, 0))
    leaves = [S((3, 5), f32), S((3,), f32), S((4, 5), f32)]

    def flat(W, b, x):
        return tree_fn({"W": W, "b": b}, x)

    at_b = _trace(flat, (None, None, 0), 0, leaves)
    at_b1 = _trace(flat, (None, None, 0), 0, leaves[:2] + [S((5, 5), f32)])
    assert [e.axes for e in report.versions["vmap"].equations] == batch_axes(at_b, at_b1)
    assert derived_batch_axes(at_b, [False, False, True], 4) == batch_axes(at_b, at_b1)
