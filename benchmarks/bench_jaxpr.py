"""`vmapx jaxpr` on a 100-layer MLP at batch 8 against a bare `python -c` doing the same make_jaxpr.

    python benchmarks/bench_jaxpr.py [--runs 7]

Times whole processes (median of N runs taken in turns, after one warm-up run each; wall
and CPU time). Both import this file for the MLP (its weights are module constants, as in
examples/neuron.py); the bare one prints `jax.make_jaxpr(jax.vmap(mlp))` and nothing else.
Target: `vmapx jaxpr` within 1.5x of it (wall). `vmapx jaxpr` does more: vmap's jaxpr at B
and B+1 (batch axes, pitfalls), the per-example jaxpr (the loop, pitfalls), the loop's growth
from a stand-in, and (unless --no-cost) lowers vmap and one example for XLA's estimates.
Run it from the repository root, as a user would run vmapx there.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import jax.numpy as jnp
import numpy as np

LAYERS, WIDTH, BATCH = 100, 32, 8
_rng = np.random.RandomState(0)
WEIGHTS = [(_rng.randn(WIDTH, WIDTH) / np.sqrt(WIDTH)).astype(np.float32) for _ in range(LAYERS)]
BIASES = [np.zeros(WIDTH, np.float32) for _ in range(LAYERS)]


def mlp(x):
    """One example x: f32[32] through 100 tanh layers to a scalar."""
    for w, b in zip(WEIGHTS, BIASES):
        x = jnp.tanh(w @ x + b)
    return x.sum()


VMAPX_EXAMPLES = {"mlp": {"inputs": {"x": f"f32[{WIDTH}]"}, "batch": BATCH}}

HERE = Path(__file__).resolve()
PY = sys.executable
VMAPX = [PY, "-m", "vmapx"] if not shutil.which("vmapx") else [shutil.which("vmapx")]
BARE = (
    "import importlib.util, jax, jax.numpy as jnp\n"
    f"spec = importlib.util.spec_from_file_location('bench_jaxpr', {str(HERE)!r})\n"
    "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
    f"print(jax.make_jaxpr(jax.vmap(m.mlp))(jax.ShapeDtypeStruct(({BATCH}, {WIDTH}), "
    "jnp.float32)))"
)


def _env() -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "160"}
    # As on a user's machine, modules run from cached bytecode: this sandbox sets
    # PYTHONDONTWRITEBYTECODE, which would recompile vmapx's (not jax's) sources on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def samples(cmds: dict[str, list[str]], runs: int
            ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each command's wall times and CPU times (user + sys) in seconds, whole processes.

    One warm-up run each, then the commands take turns, run by run, so that a change in the
    machine's load (other jobs on a 2-core box) falls on all of them alike.
    """
    env = _env()
    for cmd in cmds.values():  # warm the file cache and write bytecode
        out = subprocess.run(cmd, capture_output=True, env=env)
        assert out.returncode == 0, out.stderr.decode()[-2000:]
    walls: dict[str, list[float]] = {k: [] for k in cmds}
    cpus: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            out = subprocess.run(cmd, capture_output=True, env=env)
            walls[name].append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            assert out.returncode == 0, out.stderr.decode()[-2000:]
    return walls, cpus


def timed(cmds: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float]]:
    """(median wall, median CPU = user + sys) seconds of each command's whole process."""
    walls, cpus = samples(cmds, runs)
    return {k: (statistics.median(walls[k]), statistics.median(cpus[k])) for k in cmds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    spec = f"{HERE}:mlp"
    bare = "bare python -c make_jaxpr"
    cmds = {bare: [PY, "-c", BARE],
            "vmapx jaxpr (default, with costs)": VMAPX + ["jaxpr", spec],
            "vmapx jaxpr --no-cost": VMAPX + ["jaxpr", spec, "--no-cost"],
            "vmapx jaxpr --json": VMAPX + ["jaxpr", spec, "--json"]}
    times = timed(cmds, runs)
    target = 1.5
    wall0, cpu0 = times[bare]
    print(f"{LAYERS}-layer MLP (width {WIDTH}) at batch {BATCH}; median of {runs} interleaved runs")
    print(f"{'':36} {'wall':>7}  {'ratio':>6}   {'CPU':>7}  {'ratio':>6}")
    for name, (w, c) in times.items():
        ratio = w / wall0
        verdict = "" if name == bare else \
            f"  (target <= {target}x: {'ok' if ratio <= target else 'OVER'})"
        print(f"{name:36} {w * 1e3:5.0f}ms  {ratio:5.2f}x   {c * 1e3:5.0f}ms  {c / cpu0:5.2f}x"
              f"{verdict}")


if __name__ == "__main__":
    main()
