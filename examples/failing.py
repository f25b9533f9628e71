"""Functions that FAIL under jax.vmap, on purpose.

From seed 004 (the JAX tutorial's vmap failure cases). Each works on one
example but raises under ``jax.vmap``:

- ``example_fun``: the output of ``jnp.ones((length,))`` has a data-dependent
  shape, so a batched ``length`` raises a TypeError (shapes must be concrete).
- ``relu_branch`` (the seed's ``f``): Python ``if x > 0`` on a batched value
  needs a concrete bool and raises a TracerBoolConversionError.

They exist so that vmapx's error explanations have something to explain.
"""
import jax.numpy as jnp


def example_fun(length, val=4):
    return jnp.sum(jnp.ones((length,)) * val)


def relu_branch(x):
    if x > 0:
        return x
    else:
        return 2 * x


VMAPX_EXAMPLES = {
    "example_fun": {
        "inputs": {"length": "i32[]"},
        "batch": 9,
    },
    "relu_branch": {
        "inputs": {"x": "f32[]"},
        "batch": 5,
    },
}
