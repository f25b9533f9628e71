"""Functions to run over a device mesh (`--mesh data=8`): one that stays embarrassingly
parallel when its batch is sharded, and one where XLA inserts a collective.

`jax.vmap(jnp.fft.fft)` over a batch-sharded input compiles with an all-gather of the whole
batch (a known case in JAX's tracker): XLA's partitioner does not keep the batch dimension of an
FFT sharded. `shard_map` of the vmap keeps every device on its own shard.
"""
import jax.numpy as jnp


def spectrum(x):
    return jnp.abs(jnp.fft.fft(x))


def scale(x, w):
    return jnp.tanh(x * w)


VMAPX_EXAMPLES = {
    "spectrum": {"inputs": {"x": "f32[1024]"}, "batch": 16},
    "scale": {"inputs": {"x": "f32[256]", "w": "f32[256]"}, "batch": 16, "in_axes": [0, None]},
}
