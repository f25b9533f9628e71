"""Does `vmapx bench` measure right? Its figures against a plain hand-written timeit loop.

    python benchmarks/bench_harness.py [--rounds 5] [--async-dispatch]

1. The seed 001 dot (`jit(vmap(jnp.dot))` on two f32[5,100]): vmapx's jit-vmap median against
   a hand-written `timeit` loop with `block_until_ready`, both on the same arrays' shapes and
   device. The two alternate for a few rounds (so drift hits both) and the medians of the
   rounds are compared. Target: within 10%.
   By default JAX's CPU async dispatch is turned off for this comparison: with it on, a tiny
   jitted dot on CPU flips between ~6 µs (run inline) and ~28 µs (handed to a worker thread)
   from one compiled executable to the next, so two honest timers disagree by which mode
   they drew, not by how they measure. `--async-dispatch` keeps JAX's default to show it.
2. The harness's own overhead per call, on a no-op: `vmapx._bench.stats.measure` on a Python no-op
   (its loop and the call), and the same with the wrapper every variant goes through
   (`jax.block_until_ready` on the output), against `timeit` on the same no-op.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def vmapx_dot_median(async_dispatch: bool) -> float:
    import vmapx
    from vmapx._bench.settings import BenchSettings

    sys.path.insert(0, str(ROOT / "examples"))
    from dot import dot  # noqa: E402  (examples/dot.py, the seed's function)

    report = vmapx.bench(dot, "f32[100]", "f32[100]", batch=5, settings=BenchSettings(
        variants=("jit-vmap",), async_dispatch=async_dispatch))
    return report.results[0].median_s


def hand_dot_median(repeat: int = 15) -> float:
    """What a careful notebook user writes: build once, block, timeit with autorange."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    rng = np.random.default_rng(1)
    x = jax.device_put(rng.standard_normal((5, 100)).astype(np.float32))
    y = jax.device_put(rng.standard_normal((5, 100)).astype(np.float32))
    f = jax.jit(jax.vmap(jnp.dot))
    f(x, y).block_until_ready()
    timer = timeit.Timer(lambda: f(x, y).block_until_ready())
    number, _ = timer.autorange()
    return statistics.median(t / number for t in timer.repeat(repeat, number))


def noop_overheads() -> dict[str, float]:
    import jax

    from vmapx._bench.settings import BenchSettings
    from vmapx._bench.stats import measure
    from vmapx._bench.values import blocking

    def noop():
        return None

    settings = BenchSettings(runs=25, min_time=0.3)

    ready = jax.numpy.zeros(()).block_until_ready()

    def noop_array():  # what a variant's call returns: an array, here one already ready
        return ready

    out = {"measure(no-op)": measure(noop, settings, timeit.default_timer).median,
           "measure(vmapx's blocking wrapper on it)":
               measure(blocking(noop_array, ready), settings, timeit.default_timer).median}
    for name, fn in (("timeit(no-op)", noop),
                     ("timeit(no-op().block_until_ready()), by hand",
                      lambda: noop_array().block_until_ready())):
        timer = timeit.Timer(fn)
        number, _ = timer.autorange()
        out[name] = statistics.median(t / number for t in timer.repeat(25, number))
    return out


def fmt(seconds: float) -> str:
    return f"{seconds * 1e6:8.3f} µs" if seconds >= 1e-6 else f"{seconds * 1e9:8.1f} ns"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--async-dispatch", action="store_true",
                        help="keep JAX's CPU async dispatch on (its default)")
    opts = parser.parse_args()
    rounds = opts.rounds
    import jax

    if not opts.async_dispatch:
        jax.config.update("jax_cpu_enable_async_dispatch", False)
    ours, hand = [], []
    mode = "on" if jax.config.read("jax_cpu_enable_async_dispatch") else "off"
    print(f"seed 001 dot, jit(vmap(jnp.dot)) on f32[5,100] x2, per call "
          f"({jax.devices()[0].device_kind}, CPU async dispatch {mode}):")
    for i in range(rounds):
        ours.append(vmapx_dot_median(opts.async_dispatch))
        hand.append(hand_dot_median())
        print(f"  round {i + 1}: vmapx {fmt(ours[-1])}   hand timeit {fmt(hand[-1])}")
    a, b = statistics.median(ours), statistics.median(hand)
    diff = abs(a - b) / b * 100
    print(f"  median of rounds: vmapx {fmt(a)}   hand timeit {fmt(b)}   "
          f"difference {diff:.1f}% ({'within' if diff <= 10 else 'OUTSIDE'} 10%)")
    print("harness overhead per call, on a no-op:")
    for name, value in noop_overheads().items():
        print(f"  {name:46s} {fmt(value)}")
    return 0 if diff <= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
