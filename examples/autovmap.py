"""A function of a scalar, a vector and a matrix, batched over all three.

From seed 003 (the jax_autovmap package README): ``foo`` with base ranks
s=0, v=1, m=2, applied to a batch of 5.
"""
import jax.numpy as jnp


def foo(s, v, m):  # s - scalar, v - vector, m - matrix
    return v @ m @ v + s * v.size


def batched_foo(s, v, m):
    # s: (n,), v: (n, k), m: (n, k, k) -> (n,)
    return jnp.einsum("ni,nij,nj->n", v, m, v) + s * v.shape[-1]


VMAPX_EXAMPLES = {
    "foo": {
        "inputs": {"s": "f32[]", "v": "f32[3]", "m": "f32[3,3]"},
        "batch": 5,
        "manual": "batched_foo",
    },
}
