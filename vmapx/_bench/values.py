"""The JAX side of `vmapx bench` around the variants: random inputs, blocking on outputs,
compile counting, and the check of every variant's values against the loop's.

Imported only when a benchmark runs (it imports jax at the top).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from vmapx._text.specs import format_shape

COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
_compiles = [0]
_listening = [False]


def _on_event(name: str, *args: Any, **kwargs: Any) -> None:
    if name == COMPILE_EVENT:
        _compiles[0] += 1


def compile_count() -> int:
    """XLA compilations in this process so far, from jax.monitoring (public API) events."""
    if not _listening[0]:
        jax.monitoring.register_event_duration_secs_listener(_on_event)
        _listening[0] = True
    return _compiles[0]


def block(tree: Any) -> Any:
    """Wait for every output leaf (JAX dispatches asynchronously)."""
    return jax.block_until_ready(tree)


def blocking(run: Callable[[], Any], example: Any) -> Callable[[], Any]:
    """`run` then wait on every output leaf, with the least overhead for the output's shape.

    A single array blocks through its own method: `jax.block_until_ready` walks the pytree,
    which costs ~0.3 µs a call, as much as a tiny jitted function's own dispatch.
    """
    if isinstance(example, jax.Array):
        return lambda: run().block_until_ready()
    return lambda: jax.block_until_ready(run())


def short_error(exc: BaseException) -> str:
    """`KeyError: …` with, when the user's own code raised it, where (`at file.py:14 in fn`)."""
    from vmapx._text.target import user_location

    first = (str(exc).strip().splitlines() or [""])[0]
    where = user_location(exc)
    return f"{type(exc).__name__}: {first}"[:300] + (f" (at {where})" if where else "")


def _memory() -> int | None:
    """This machine's physical memory in bytes (None where the OS cannot say)."""
    import os

    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(shapes: Sequence[tuple[int, ...]], dtypes: Sequence[str]) -> None:
    """Refuse (`UsageError`) inputs that would take more than a quarter of this machine's
    memory: the variants' outputs and the loop's stacked copies need the rest, and an
    allocation that fails inside XLA aborts the process (`bad_alloc`) instead of raising."""
    from vmapx.errors import UsageError

    total = sum(int(np.prod(s, dtype=np.float64)) * jnp.dtype(d).itemsize
                for s, d in zip(shapes, dtypes))
    have = _memory()
    if have is not None and total > have // 4:
        raise UsageError(f"the benchmark's random inputs would take {total / 2**30:,.1f} GiB, "
                         f"and this machine has {have / 2**30:,.1f} GiB of memory",
                         "use a smaller --batch or smaller shapes: every variant's inputs and "
                         f"outputs must fit (inputs up to {have / 4 / 2**30:,.1f} GiB here)")


def random_leaves(shapes: Sequence[tuple[int, ...]], dtypes: Sequence[str],
                  rng: np.random.Generator, device: Any) -> list[Any]:
    """Random arrays (not ones or zeros, which hide axis mistakes), on `device`, ready."""
    check_memory(shapes, dtypes)
    return block([jax.device_put(random_array(s, d, rng), device)
                  for s, d in zip(shapes, dtypes)])


def random_array(shape: tuple[int, ...], dtype_name: str, rng: np.random.Generator
                 ) -> np.ndarray:
    """One random host array of `shape` and `dtype_name`: normal floats, ints 1..9, coin bools."""
    dtype = jnp.dtype(dtype_name)
    if dtype == jnp.bool_:
        x = rng.random(shape) < 0.5
    elif jnp.issubdtype(dtype, jnp.integer):
        x = rng.integers(1, 10, size=shape)
    elif jnp.issubdtype(dtype, jnp.complexfloating):
        x = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    else:
        x = rng.standard_normal(shape)
    return np.asarray(x).astype(dtype)


def tolerance(dtype: np.dtype) -> tuple[float, float]:
    """(rtol, atol relative to the largest |value|) for comparing against the loop.

    Loose enough for a different summation order and TF32 matmuls on GPUs; a wrong axis or a
    wrong formula is off by the size of the values themselves.
    """
    if not jnp.issubdtype(dtype, jnp.inexact):  # bool, ints, key data: exact
        return 0.0, 0.0
    # jnp.finfo knows JAX's own float types (bfloat16, float8_*), which np.finfo need not
    bits = jnp.finfo(dtype).bits // (2 if jnp.issubdtype(dtype, jnp.complexfloating) else 1)
    return {8: (1.5e-1, 1.5e-1), 16: (2e-2, 2e-2), 32: (1e-3, 1e-3)}.get(bits, (1e-7, 1e-7))


def host(x: Any) -> np.ndarray:
    """An output leaf as a NumPy array to compare: a typed PRNG key as its key data, a
    low-precision float (bfloat16, float8) widened to float32 so NumPy's math applies."""
    if isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
        x = jax.random.key_data(x)
    a = np.asarray(x)
    if a.dtype.kind == "V" or (jnp.issubdtype(a.dtype, jnp.floating) and a.dtype.itemsize < 4):
        a = a.astype(np.float32)
    return a


def _dtype(x: Any) -> Any:
    return getattr(x, "dtype", None) or np.asarray(x).dtype


def _keys(*xs: Any) -> bool:
    return any(jnp.issubdtype(getattr(x, "dtype", np.float32), jax.dtypes.prng_key) for x in xs)


def mismatch(out: Any, reference: Any) -> str | None:
    """Why `out` differs from the loop's `reference`, or None when they agree."""
    leaves, tree = jax.tree.flatten(out)
    ref_leaves, ref_tree = jax.tree.flatten(reference)
    if tree != ref_tree:
        return f"output structure {tree} differs from the loop's {ref_tree}"
    for i, (x, y) in enumerate(zip(leaves, ref_leaves)):
        where = f"output {i}: " if len(leaves) > 1 else ""
        if np.shape(x) != np.shape(y):
            return (f"{where}shape {format_shape(np.shape(x), x.dtype)} but the loop gives "
                    f"{format_shape(np.shape(y), y.dtype)}")
        rtol, atol = ((0.0, 0.0) if _keys(x, y) else  # the looser of the two precisions
                      max(tolerance(_dtype(x)), tolerance(_dtype(y))))
        a, b = host(x), host(y)
        if a.shape != b.shape:  # key data of keys of different implementations
            return f"{where}PRNG keys of a different kind than the loop's"
        if a.size == 0:
            continue
        scale = max(1.0, float(np.max(np.abs(b.astype(np.complex128 if np.iscomplexobj(b)
                                                         else np.float64)))))
        if not np.allclose(a, b, rtol=rtol, atol=atol * scale, equal_nan=True):
            diff = np.max(np.abs(a.astype(np.complex128) - b.astype(np.complex128)))
            return (f"{where}values differ from the loop's (largest difference {diff:.3g}, "
                    f"largest value {scale:.3g})")
    return None
