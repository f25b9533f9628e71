"""1-D convolution written for one signal, and its hand-vectorised twin.

From seed 004 (the JAX tutorial's vmap section): ``jax.vmap(convolve)`` over a
batch of 2 signals/kernels matches ``manually_vectorised_convolve``.
"""
import jax.numpy as jnp


def convolve(x, w):
    output = []
    for i in range(1, len(x) - 1):
        output.append(jnp.dot(x[i - 1 : i + 2], w))
    return jnp.array(output)


def manually_vectorised_convolve(xs, ws):
    output = []
    for i in range(1, xs.shape[-1] - 1):
        output.append(jnp.sum(xs[:, i - 1 : i + 2] * ws, axis=1))
    return jnp.stack(output, axis=1)


VMAPX_EXAMPLES = {
    "convolve": {
        "inputs": {"x": "f32[5]", "w": "f32[3]"},
        "batch": 2,
        "manual": "manually_vectorised_convolve",
    },
}
