"""`vmapx jaxpr` and `vmapx shape` against the bare JAX call, as the model grows.

    python benchmarks/bench_scale.py [--layers 100,400,1600] [--runs 3]

For each L, writes an L-layer tanh MLP (width 32, batch 8; its weights module constants, as in
examples/neuron.py) with a declared hand-batched twin into a temporary folder, then times whole
processes, the commands taking turns run by run after one warm-up each:

    vmapx jaxpr FILE:mlp           against  python -c "...make_jaxpr(jax.vmap(mlp))(x)"
    vmapx shape FILE:mlp           against  python -c "...eval_shape(jax.vmap(mlp), x)"

Prints each median wall time and CPU time (user + sys), their ratios to the bare command, and
the spread (min … max) of each command's wall times: on a shared 2-core machine the spread says
how far to trust a wall ratio, and the CPU ratio moves less with other jobs.
Targets (issue 14): jaxpr <= 1.5x, shape <= 1.15x at every L, the ratio not growing with L.
Run it from the repository root, as a user would run vmapx there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Iterator

from bench_jaxpr import samples  # the one whole-process timer (this folder is on sys.path)

WIDTH, BATCH = 32, 8
PY = sys.executable
VMAPX = [PY, "-m", "vmapx"] if not shutil.which("vmapx") else [shutil.which("vmapx")]

MODULE = '''"""{layers}-layer tanh MLP, width {width}, and its hand-batched twin (bench_scale.py)."""
import jax.numpy as jnp
import numpy as np

_rng = np.random.RandomState(0)
WEIGHTS = [(_rng.randn({width}, {width}) / np.sqrt({width})).astype(np.float32)
           for _ in range({layers})]
BIASES = [np.zeros({width}, np.float32) for _ in range({layers})]


def mlp(x):
    for w, b in zip(WEIGHTS, BIASES):
        x = jnp.tanh(w @ x + b)
    return x.sum()


def batched_mlp(x):
    for w, b in zip(WEIGHTS, BIASES):
        x = jnp.tanh(x @ w.T + b)
    return x.sum(1)


VMAPX_EXAMPLES = {{"mlp": {{"inputs": {{"x": "f32[{width}]"}}, "batch": {batch},
                          "manual": "batched_mlp"}}}}
'''

BARE = (
    "import importlib.util, jax, jax.numpy as jnp\n"
    "spec = importlib.util.spec_from_file_location('mlp_module', {path!r})\n"
    "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
    "x = jax.ShapeDtypeStruct(({batch}, {width}), jnp.float32)\n"
    "print({call})"
)
CALLS = {"jaxpr": "jax.make_jaxpr(jax.vmap(m.mlp))(x)",
         "shape": "jax.eval_shape(jax.vmap(m.mlp), x)"}


def write_module(folder: Path, layers: int) -> Path:
    path = folder / f"mlp{layers}.py"
    path.write_text(MODULE.format(layers=layers, width=WIDTH, batch=BATCH))
    return path


def modules(layers: str) -> Iterator[tuple[int, Path]]:
    """(L, the L-layer module's path) for each L of "100,400,1600", in a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(text) for text in layers.split(",")):
            yield n, write_module(Path(tmp), n)


def commands(path: Path, extra: dict[str, list[str]]) -> dict[str, list[str]]:
    cmds = {}
    for cmd, call in CALLS.items():
        cmds[f"bare {cmd}"] = [PY, "-c", BARE.format(path=str(path), batch=BATCH, width=WIDTH,
                                                     call=call)]
        cmds[f"vmapx {cmd}"] = VMAPX + [cmd, f"{path}:mlp"]
        for name, args in extra.items():
            if name.startswith(cmd):
                cmds[f"vmapx {name}"] = VMAPX + [cmd, f"{path}:mlp", *args]
    return cmds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="100,400,1600")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-cost", action="store_true",
                        help="also time `vmapx jaxpr --no-cost`")
    args = parser.parse_args()
    extra = {"jaxpr --no-cost": ["--no-cost"]} if args.no_cost else {}
    targets = {"jaxpr": 1.5, "shape": 1.15}
    print(f"tanh MLP, width {WIDTH}, batch {BATCH}; median of {args.runs} interleaved runs "
          f"(load average before: {os.getloadavg()[0]:.2f})")
    print(f"{'layers':>6}  {'command':24} {'wall':>8} {'ratio':>6}   {'CPU':>8} {'ratio':>6}"
          "   wall spread (min … max)")
    for layers, path in modules(args.layers):
        walls, cpus = samples(commands(path, extra), args.runs)
        for name, times in walls.items():
            cmd = name.split()[1]
            base = statistics.median(walls[f"bare {cmd}"])
            cpu0 = statistics.median(cpus[f"bare {cmd}"])
            med, cpu = statistics.median(times), statistics.median(cpus[name])
            note = ""
            if not name.startswith("bare"):
                target = targets[cmd]
                note = f"  (target <= {target}x: {'ok' if med / base <= target else 'OVER'})"
            print(f"{layers:>6}  {name:24} {med * 1e3:6.0f}ms {med / base:5.2f}x   "
                  f"{cpu * 1e3:6.0f}ms {cpu / cpu0:5.2f}x   "
                  f"{min(times) * 1e3:.0f} … {max(times) * 1e3:.0f} ms{note}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
