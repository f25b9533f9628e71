"""`vmapx jaxpr` on a 100-layer MLP at batch 8 against a bare `python -c` doing the same make_jaxpr.

    python benchmarks/bench_jaxpr.py [--runs 7]

Times whole processes (median of N runs, after one warm-up run each). Both import this file
for the MLP (its weights are module constants, as in examples/neuron.py); the bare one prints
`jax.make_jaxpr(jax.vmap(mlp))` and nothing else. Target: `vmapx jaxpr` within 1.5x of it.
`vmapx jaxpr` does more: the jaxpr at B and B+1 (batch axes), the loop at 1 and 2, the
per-example jaxpr, and (unless --no-cost) compiles vmap and one example for XLA's estimates;
both variants are reported.
"""

from __future__ import annotations

import argparse
import os
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


def wall(cmd: list[str], runs: int) -> float:
    env = {**os.environ, "COLUMNS": "160"}
    # As on a user's machine, modules run from cached bytecode: this sandbox sets
    # PYTHONDONTWRITEBYTECODE, which would recompile vmapx's (not jax's) sources on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run(cmd, capture_output=True, env=env)  # warm the file cache
    assert out.returncode == 0, out.stderr.decode()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, env=env)
        times.append(time.perf_counter() - t0)
        assert out.returncode == 0, out.stderr.decode()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    spec = f"{HERE}:mlp"
    bare = wall([PY, "-c", BARE], runs)
    rows = [("vmapx jaxpr (default, with costs)", wall(VMAPX + ["jaxpr", spec], runs)),
            ("vmapx jaxpr --no-cost", wall(VMAPX + ["jaxpr", spec, "--no-cost"], runs)),
            ("vmapx jaxpr --json", wall(VMAPX + ["jaxpr", spec, "--json"], runs))]
    target = 1.5
    print(f"{LAYERS}-layer MLP (width {WIDTH}) at batch {BATCH}; median of {runs} runs")
    print(f"{'bare python -c make_jaxpr':36} {bare * 1e3:7.0f}ms")
    for name, t in rows:
        ratio = t / bare
        verdict = "ok" if ratio <= target else "OVER"
        print(f"{name:36} {t * 1e3:7.0f}ms  {ratio:5.2f}x  (target <= {target}x: {verdict})")


if __name__ == "__main__":
    main()
