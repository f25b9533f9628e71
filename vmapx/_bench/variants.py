"""The JAX side of `vmapx bench`: random inputs, the variants built once, the value check.

Imported only when a benchmark runs (it imports jax at the top).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

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


def random_inputs(placed, rng: np.random.Generator, device) -> list[Any]:
    """Random arrays (not ones or zeros, which hide axis mistakes), on `device`, ready."""
    return block([jax.device_put(random_array(p.full_shape, p.arg.dtype, rng), device)
                  for p in placed])


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


@dataclass(frozen=True)
class Variant:
    """`run()` calls the variant once; `lower()` lowers and compiles its jitted part (or None)."""

    run: Callable[[], Any]
    lower: Callable[[], Any] | None = None


def build(case, args: list[Any]) -> dict[str, Variant]:
    """Every variant of `case`, built once, bound to `args` (batched on their in_axes)."""
    f = functools.partial(case.fn, **case.static) if case.static else case.fn
    axes = tuple(p.in_axis for p in case.placed)
    size = case.batch_size
    mapped = [k for k, ax in enumerate(axes) if ax is not None]

    def pick(i: int) -> list[Any]:  # the i-th example, indexed inside the loop as users do
        return [a if ax is None else a[(slice(None),) * ax + (i,)] for a, ax in zip(args, axes)]

    def stack(outs: list[Any]) -> Any:
        return jax.tree.map(lambda *xs: jnp.stack(xs), *outs)

    def loop() -> Any:
        return stack([f(*pick(i)) for i in range(size)])

    jf = jax.jit(f)
    first = block(pick(0))

    def loop_jit() -> Any:
        return stack([jf(*pick(i)) for i in range(size)])

    vf = jax.vmap(f, in_axes=axes)
    jvf = jax.jit(vf)

    def lax_mapped(*a: Any) -> Any:
        xs = tuple(jnp.moveaxis(a[k], axes[k], 0) for k in mapped)

        def body(x_i: Any) -> Any:
            full = list(a)
            for k, x in zip(mapped, x_i):
                full[k] = x
            return f(*full)

        return jax.lax.map(body, xs)

    jm = jax.jit(lax_mapped)
    out = {
        "loop": Variant(loop),
        "loop-jit": Variant(loop_jit, lambda: jf.lower(*first).compile()),
        "vmap": Variant(functools.partial(vf, *args)),
        "jit-vmap": Variant(functools.partial(jvf, *args), lambda: jvf.lower(*args).compile()),
        "lax-map": Variant(functools.partial(jm, *args), lambda: jm.lower(*args).compile()),
    }
    if case.manual is not None:
        # the twin takes the batch on axis 0 of each mapped input (examples/README.md)
        mf = functools.partial(case.manual, **case.static) if case.static else case.manual
        margs = block([a if ax in (None, 0) else jnp.moveaxis(a, ax, 0)
                       for a, ax in zip(args, axes)])
        jmf = jax.jit(mf)
        out["manual"] = Variant(functools.partial(mf, *margs))
        out["jit-manual"] = Variant(functools.partial(jmf, *margs),
                                    lambda: jmf.lower(*margs).compile())
    return out


def tolerance(dtype: np.dtype) -> tuple[float, float]:
    """(rtol, atol relative to the largest |value|) for comparing against the loop.

    Loose enough for a different summation order and TF32 matmuls on GPUs; a wrong axis or a
    wrong formula is off by the size of the values themselves.
    """
    if dtype == np.bool_ or np.issubdtype(dtype, np.integer):
        return 0.0, 0.0
    bits = np.finfo(dtype).bits // (2 if np.issubdtype(dtype, np.complexfloating) else 1)
    return {16: (2e-2, 2e-2), 32: (1e-3, 1e-3)}.get(bits, (1e-7, 1e-7))


def mismatch(out: Any, reference: Any) -> str | None:
    """Why `out` differs from the loop's `reference`, or None when they agree."""
    leaves, tree = jax.tree.flatten(out)
    ref_leaves, ref_tree = jax.tree.flatten(reference)
    if tree != ref_tree:
        return f"output structure {tree} differs from the loop's {ref_tree}"
    for i, (a, b) in enumerate(zip(leaves, ref_leaves)):
        a, b = np.asarray(a), np.asarray(b)
        where = f"output {i}: " if len(leaves) > 1 else ""
        if a.shape != b.shape:
            return (f"{where}shape {format_shape(a.shape, a.dtype)} but the loop gives "
                    f"{format_shape(b.shape, b.dtype)}")
        if a.size == 0:
            continue
        rtol, atol = tolerance(np.result_type(a.dtype, b.dtype))
        scale = max(1.0, float(np.max(np.abs(b.astype(np.complex128 if np.iscomplexobj(b)
                                                         else np.float64)))))
        if not np.allclose(a, b, rtol=rtol, atol=atol * scale, equal_nan=True):
            diff = np.max(np.abs(a.astype(np.complex128) - b.astype(np.complex128)))
            return (f"{where}values differ from the loop's (largest difference {diff:.3g}, "
                    f"largest value {scale:.3g})")
    return None
