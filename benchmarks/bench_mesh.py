"""What `--mesh` costs, and what the mesh timings say on this machine.

    python benchmarks/bench_mesh.py [--rounds 3]

1. Whole processes, median wall time of `rounds`: `vmapx shape` and `vmapx jaxpr` of the
   seed 001 dot (batch 64) without and with `--mesh data=8` (8 simulated CPU devices: the
   sharded jit(vmap) is lowered and compiled on shapes), and `vmapx jaxpr` of vmap(fft) on the
   mesh (where XLA inserts an all-gather, and vmapx compiles once more with spmd_axis_name).
2. One `vmapx bench examples/dot.py:dot --batch 64 --mesh data=8 --json` run: the mesh
   variants' medians, per-device throughput and scaling efficiency. On simulated CPU devices
   these show what partitioning costs on one machine's cores, not a speed-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOT = ["examples/dot.py:dot", "--batch", "64"]
FFT = ["tests/fixtures/mesh_funcs.py:spectrum"]
MESH = ["--mesh", "data=8"]


def wall(args: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "vmapx", *args], cwd=ROOT, check=True,
                       capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    rows = [("shape dot", ["shape", *DOT]), ("shape dot --mesh data=8", ["shape", *DOT, *MESH]),
            ("jaxpr dot", ["jaxpr", *DOT]), ("jaxpr dot --mesh data=8", ["jaxpr", *DOT, *MESH]),
            ("jaxpr fft --mesh data=8", ["jaxpr", *FFT, *MESH])]
    for label, args in rows:
        print(f"{label:28s} {wall(args, rounds):6.2f} s (median of {rounds} processes)")
    done = subprocess.run([sys.executable, "-m", "vmapx", "bench", *DOT, *MESH, "--json",
                           "--variants", "jit-vmap"], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    for t in json.loads(done.stdout)["mesh"]["timings"]:
        print(f"{t['variant']:12s} devices {t['devices']}  median {t['median_s'] * 1e6:8.1f} µs  "
              f"{t['throughput']:12,.0f} ex/s  {t['per_device_throughput']:12,.0f} ex/s/device"
              f"  scaling {t['scaling_efficiency']:.1%}")


if __name__ == "__main__":
    main()
