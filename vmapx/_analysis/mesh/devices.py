"""The devices a mesh is laid over: JAX's own (GPUs, TPUs), or N simulated CPU devices.

JAX's CPU client makes as many devices as it is told when it starts: `jax_num_cpu_devices`
(JAX ≥ 0.4.38) or `XLA_FLAGS=--xla_force_host_platform_device_count=N` (older ones). Both are
read once, when the backend starts, so vmapx asks for them before anything runs JAX; once the
backend has started with fewer devices it is too late, and vmapx says so (exit 2). The setting
stays for the rest of the process (JAX cannot take devices back); it changes nothing on a GPU or
TPU, whose real devices are used.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from vmapx._text.mesh import MeshSpec
from vmapx.errors import UsageError

FLAG = "--xla_force_host_platform_device_count"
CONFIG = "jax_num_cpu_devices"


@dataclass(frozen=True)
class Placed:
    """A `jax.sharding.Mesh` and what it runs on."""

    mesh: Any
    platform: str
    available: int            # devices of this platform that JAX sees (every process's)
    simulated: bool           # host-platform CPU devices: one machine's cores, not N chips
    process_index: int = 0
    process_count: int = 1


def _flag_count() -> int | None:
    m = re.search(FLAG + r"=(\d+)", os.environ.get("XLA_FLAGS", ""))
    return int(m.group(1)) if m else None


def simulate(n: int) -> bool:
    """Ask JAX for at least `n` CPU devices, if its backend has not started yet.

    Returns False when it is too late (the backend is running). Harmless on GPU/TPU machines:
    only the CPU client reads it. Call it before anything imports the user's code.
    """
    from vmapx._analysis._compat import backends_initialized

    if backends_initialized():
        return False
    import jax

    if (_flag_count() or 0) >= n:
        return True
    if hasattr(jax.config, CONFIG):
        if getattr(jax.config, CONFIG) < n:
            jax.config.update(CONFIG, n)
    else:  # an older JAX: the XLA flag, read when the CPU client starts
        flags = re.sub(FLAG + r"=\d+", "", os.environ.get("XLA_FLAGS", "")).strip()
        os.environ["XLA_FLAGS"] = f"{flags} {FLAG}={n}".strip()
    return True


def place(spec: MeshSpec, backend: str | None, cli: bool) -> Placed:
    """The mesh over the first devices of `backend` (JAX's default when None); a UsageError
    naming the devices there are when there are too few."""
    import jax
    import numpy as np

    fresh = simulate(spec.devices) if backend in (None, "cpu") else False
    try:
        devices = jax.devices(backend) if backend else jax.devices()
    except RuntimeError:
        raise UsageError(f"backend {backend!r} is not available on this machine",
                         "drop --backend to use JAX's default") from None
    platform = devices[0].platform
    if len(devices) < spec.devices:
        raise _too_few(spec, devices, platform, fresh, cli)
    grid = np.array(devices[:spec.devices]).reshape(spec.sizes)
    return Placed(jax.sharding.Mesh(grid, spec.names), platform, len(devices),
                  platform == "cpu", jax.process_index(), jax.process_count())


def _too_few(spec: MeshSpec, devices: list[Any], platform: str, fresh: bool,
             cli: bool) -> UsageError:
    have = ", ".join(str(d) for d in devices[:8]) + (" …" if len(devices) > 8 else "")
    n, k = spec.devices, len(devices)
    what = f"mesh {spec.text()} needs {n} devices; there {'is' if k == 1 else 'are'} {k} " \
           f"{platform} device{'s' * (k != 1)}: {have}"
    if platform != "cpu" or fresh:
        return UsageError(what, f"use a mesh of at most {k} devices, e.g. "
                          + ("--mesh " if cli else "mesh=") + f"{spec.names[0]}={k}")
    return UsageError(
        f"{what}. JAX's CPU backend had already started, and it makes its simulated devices "
        "only when it starts",
        f"set the device count before JAX runs anything: XLA_FLAGS={FLAG}={n} in the "
        f"environment, or jax.config.update({CONFIG!r}, {n}) right after `import jax` (in a "
        "notebook: restart the kernel first; the %vmapx magic or a vmapx call with mesh= "
        "does this for you in a fresh one)")
