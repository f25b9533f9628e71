"""The floor under `vmapx jaxpr`'s ratio to the bare command: the JAX calls its default answer
needs, timed without any vmapx code.

    python benchmarks/bench_floor.py [--layers 100,400,1600] [--runs 3]

On bench_scale.py's L-layer tanh MLP (declared twin), in one process, median of N runs:
  bare    jax.make_jaxpr(jax.vmap(mlp)) printed: what bench_scale's bare command does;
  answer  what `vmapx jaxpr FILE:mlp` shows by default, as JAX alone computes it: the
          per-example trace (the loop's one iteration), vmap's trace, the twin's traces at B and
          B+1 (its batch axes: what changes with B), each of the three printed, and XLA's cost
          estimates of the three lowered modules (`--no-cost` leaves these out).
Then the whole-process ratio this floor allows: (import + answer) / (import + bare), with the
import of jax, typer and rich timed here too. vmapx's own work (alignment, batch axes, pitfalls,
rendering) comes on top of it.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

from bench_jaxpr import samples  # the one whole-process timer (this folder is on sys.path)
from bench_scale import BATCH, WIDTH, modules

PY = sys.executable


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def phases(m) -> dict[str, float]:
    """Seconds of each JAX call the default answer makes (and of the bare command's)."""
    import jax
    import jax.numpy as jnp

    def struct(*shape):
        return jax.ShapeDtypeStruct(shape, jnp.float32)

    def loop_one(xs):  # the loop over one example, as vmapx traces it
        return jnp.stack([m.mlp(jax.lax.index_in_dim(xs, 0, 0, False))])

    out, t = {}, time.perf_counter

    def clock(name, fn):
        t0 = t()
        value = fn()
        out[name] = out.get(name, 0.0) + t() - t0
        return value

    clock("bare", lambda: str(jax.make_jaxpr(jax.vmap(m.mlp))(struct(BATCH, WIDTH))))
    traced = [clock("trace", lambda: jax.jit(loop_one).trace(struct(1, WIDTH))),
              clock("trace", lambda: jax.jit(jax.vmap(m.mlp)).trace(struct(BATCH, WIDTH))),
              clock("trace", lambda: jax.jit(m.batched_mlp).trace(struct(BATCH, WIDTH)))]
    clock("trace", lambda: jax.make_jaxpr(m.batched_mlp)(struct(BATCH + 1, WIDTH)))
    for tr in traced:
        clock("print", lambda: tr.jaxpr.pretty_print(use_color=False))
        clock("cost", lambda: tr.lower().cost_analysis())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="100,400,1600")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    imports = {"jax": [PY, "-c", "import jax, jax.numpy"],
               "cli": [PY, "-c", "import jax, jax.numpy, typer, rich.console"]}
    walls, _ = samples(imports, args.runs)
    jax_import, cli_import = (statistics.median(walls[k]) for k in imports)
    print(f"import: jax {jax_import:.2f} s, jax+typer+rich {cli_import:.2f} s "
          f"(median of {args.runs})")
    print(f"{'layers':>6} {'bare':>6} {'traces':>7} {'prints':>7} {'costs':>6}   "
          "floor ratio (no-cost)")
    for layers, path in modules(args.layers):
        m = _load(path)
        runs = [phases(m) for _ in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        answer = med["trace"] + med["print"]
        base = jax_import + med["bare"]
        print(f"{layers:>6} {med['bare']:6.2f} {med['trace']:7.2f} {med['print']:7.2f} "
              f"{med['cost']:6.2f}   {(cli_import + answer + med['cost']) / base:.2f}x "
              f"({(cli_import + answer) / base:.2f}x)")


if __name__ == "__main__":
    main()
