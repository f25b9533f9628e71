"""Start-up cost of `vmapx shape` and `vmapx --help` against their floors, and peak memory.

    python benchmarks/bench_shape.py [--runs 15]

Times whole processes (median of N runs, after one warm-up run each):
  * `vmapx shape jnp.add --a 2,3,5 --in-axes 0,None`  vs  a bare `python -c` doing the same
    jax.eval_shape(jax.vmap(...))                       target: within 1.25x
  * `vmapx --help`  vs  `python -c "import typer, rich"`  target: within 1.5x
  * peak RSS of `vmapx shape jnp.sin --a 100000,100000,1000` vs the same with tiny shapes
    (abstract tracing: the same memory, whatever the shape)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

PY = sys.executable
VMAPX = [PY, "-m", "vmapx"] if not shutil.which("vmapx") else [shutil.which("vmapx")]
BARE_EVAL_SHAPE = (
    "import jax, jax.numpy as jnp\n"
    "s = jax.eval_shape(jax.vmap(jnp.add, in_axes=(0, None)),"
    " jax.ShapeDtypeStruct((2, 3, 5), jnp.float32), jax.ShapeDtypeStruct((3, 5), jnp.float32))\n"
    "print(s)"
)


def wall(cmd: list[str], runs: int) -> float:
    env = {**os.environ, "COLUMNS": "100"}
    # As on a user's machine, modules run from cached bytecode: this sandbox sets
    # PYTHONDONTWRITEBYTECODE, which would recompile vmapx's (not jax's) sources on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(cmd, capture_output=True, env=env)  # warm the file cache
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, env=env)
        times.append(time.perf_counter() - t0)
        assert out.returncode == 0, out.stderr.decode()
    return statistics.median(times)


def peak_rss_mib(cmd: list[str]) -> float:
    code = ("import resource, subprocess, sys\n"
            f"subprocess.run({cmd!r}, capture_output=True, check=True)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs

    rows = []
    shape_cmd = VMAPX + ["shape", "jnp.add", "--a", "2,3,5", "--in-axes", "0,None"]
    a, b = wall(shape_cmd, runs), wall([PY, "-c", BARE_EVAL_SHAPE], runs)
    rows.append(("vmapx shape jnp.add …", a, "bare eval_shape", b, 1.25))
    a, b = wall(VMAPX + ["--help"], runs), wall([PY, "-c", "import typer, rich"], runs)
    rows.append(("vmapx --help", a, "import typer, rich", b, 1.5))
    print(f"{'command':28} {'median':>9}  {'floor':22} {'median':>9}  {'ratio':>6}  target")
    for name, ta, floor, tb, target in rows:
        ratio = ta / tb
        verdict = "ok" if ratio <= target else "OVER"
        print(f"{name:28} {ta * 1e3:7.0f}ms  {floor:22} {tb * 1e3:7.0f}ms  {ratio:6.2f}  "
              f"<= {target} {verdict}")

    big = peak_rss_mib(VMAPX + ["shape", "jnp.sin", "--a", "100000,100000,1000"])
    tiny = peak_rss_mib(VMAPX + ["shape", "jnp.sin", "--a", "2,3,4"])
    print(f"peak RSS: jnp.sin on f32[100000,100000,1000] (40 TB if allocated) {big:.0f} MiB, "
          f"on f32[2,3,4] {tiny:.0f} MiB")


if __name__ == "__main__":
    main()
