"""vmap of jnp.dot and of an affine layer with unbatched weights.

From seed 001 (notebook notes): ``vmap(jnp.dot)`` over 5 pairs of length-100
vectors, and ``vmap(affine, in_axes=(None, None, 0))`` over a batch of 3 inputs.
"""
import jax.numpy as jnp


def dot(x, y):
    return jnp.dot(x, y)


def batched_dot(xs, ys):
    return jnp.einsum("bi,bi->b", xs, ys)


def affine(W, b, x):
    return W @ x + b


def batched_affine(W, b, xs):
    # W: (out, in) and b: (out,) unbatched; xs: (batch, in) -> (batch, out)
    return xs @ W.T + b


VMAPX_EXAMPLES = {
    "dot": {
        "inputs": {"x": "f32[100]", "y": "f32[100]"},
        "batch": 5,
        "manual": "batched_dot",
    },
    "affine": {
        "inputs": {"W": "f32[10,20]", "b": "f32[10]", "x": "f32[20]"},
        "batch": 3,
        "in_axes": [None, None, 0],
        "manual": "batched_affine",
    },
}
