"""Where `vmapx bench` runs: the device, and JAX's CPU dispatch mode, scoped to the call.

With JAX's default asynchronous CPU dispatch, a tiny jitted call blocked on at once costs
anywhere from ~6 µs to ~30 µs depending on the executable and the process's state
(benchmarks/bench_harness.py); synchronous dispatch gives the computation's own, repeatable
time. JAX reads `jax_cpu_enable_async_dispatch` once, when it starts its CPU client: the
setting has to be made before anything starts JAX, and changing it later changes nothing.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from vmapx.errors import UsageError

BACKENDS = ("cpu", "gpu", "tpu")
ASYNC_FLAG = "jax_cpu_enable_async_dispatch"
# The CPU client's dispatch mode, recorded the first time vmapx sees JAX's backends started
# (the flag's value then; the flag itself is put back after each call, the client keeps it).
_client_mode: list[bool] = []


def _flag() -> bool | None:
    import jax

    try:
        return bool(jax.config.read(ASYNC_FLAG))
    except (AttributeError, KeyError):  # a JAX without the flag
        return None


def _started() -> bool:
    from vmapx._analysis._compat import backends_initialized

    return bool(backends_initialized())


def cpu_async_dispatch() -> bool | None:
    """Whether JAX's CPU client dispatches asynchronously (None: this JAX cannot say)."""
    if _client_mode:
        return _client_mode[0]
    flag = _flag()
    if flag is not None and _started():
        _client_mode.append(flag)
    return flag


@contextlib.contextmanager
def cpu_dispatch(async_dispatch: bool) -> Iterator[str | None]:
    """Ask for synchronous CPU calls (unless `async_dispatch`) before JAX starts its CPU
    client; yields a note when that could not be done, and puts the flag back after."""
    import jax

    before = _flag()
    if before is None:
        yield None if async_dispatch else f"this JAX has no {ASYNC_FLAG}: CPU dispatch as is"
        return
    if _started():
        mode = cpu_async_dispatch()
        yield None if mode == async_dispatch else (
            f"CPU dispatch stays {'async' if mode else 'sync'}: JAX's backend had already "
            "started (something in this process ran JAX first, e.g. the function's module "
            "when it was imported)")
        return
    jax.config.update(ASYNC_FLAG, async_dispatch)
    try:
        yield None
    finally:
        cpu_async_dispatch()  # record the mode the client started with, if it started
        jax.config.update(ASYNC_FLAG, before)


def pick_device(backend: str | None, surface: Any) -> Any:
    """The first device of `backend` (JAX's default when None); UsageError listing the others."""
    import jax

    if backend is None:
        return jax.devices()[0]
    try:
        return jax.devices(backend)[0]
    except RuntimeError:
        have = available_backends()
        fix = (f"use --backend {have[0]}, or drop --backend" if surface.cli else
               f"use BenchSettings(backend={have[0]!r}), or backend=None")
        raise UsageError(f"backend {backend!r} is not available on this machine; available: "
                         f"{', '.join(have)}", f"{fix} to use JAX's default") from None


def available_backends() -> list[str]:
    import jax

    have = []
    for name in BACKENDS:
        try:
            jax.devices(name)
        except RuntimeError:
            continue
        have.append(name)
    return have or [jax.default_backend()]
