"""One-neuron model and its hand-batched einsum twin.

From seed 000 (Jake VanderPlas's jax.vmap notebook): ``vmap(model)`` lowers to
the same dot_general -> add -> tanh -> reduce_sum as ``batched_model``.
"""
import jax.numpy as jnp
import numpy as np

rng = np.random.RandomState(8675309)  # PRNGenny, as in the seed
W = rng.randn(3, 5).astype(np.float32)  # weights
b = 1.0  # bias


def model(v, W=W, b=b):
    return jnp.tanh(W @ v + b).sum()


def batched_model(v_batch, W=W, b=b):
    # W: (m, k), v_batch: (n_batches, k), output: (n_batches, m)
    return jnp.tanh(jnp.einsum("mk,nk->nm", W, v_batch) + b).sum(1)


VMAPX_EXAMPLES = {
    "model": {
        "inputs": {"v": "f32[5]"},
        "batch": 4,
        "manual": "batched_model",
    },
}
