"""The ground truth of the differential tests: the real `jax.vmap`, run on small concrete arrays.

The vmapped function runs under `jax.jit`, with XLA's optimisations off
(`jax_disable_most_optimizations`), on NumPy inputs: one quick XLA compile per case, where eager
vmap compiles every primitive it dispatches and every `jnp.asarray(..., dtype)` (two to three
compiles a case, most of these suites' time). Output shapes and dtypes, and the errors JAX
raises, are decided while tracing, before XLA sees the program, so they are the same. The
functions checked here do not branch in Python on the values of unmapped arguments (eager vmap
gives those concrete arrays; under jit they are tracers).
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import numpy as np

_FLAG = "jax_disable_most_optimizations"


def concrete(shape: tuple[int, ...], dtype: Any, rng: np.random.Generator) -> np.ndarray:
    """Random values of `shape` as a NumPy array of `dtype` (a JAX dtype: bfloat16 is NumPy's
    through ml_dtypes); bool and integer arrays small and mixed."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-3, 4, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def run(g: Callable[..., Any], *args: Any) -> Any:
    """`g(*args)`, really run: under `jax.jit`, compiled without XLA's optimisations."""
    before = jax.config.values.get(_FLAG, False)
    jax.config.update(_FLAG, True)
    try:
        return jax.block_until_ready(jax.jit(g)(*args))
    finally:
        jax.config.update(_FLAG, before)
