"""Abstract stays abstract: `--params @mod:init_params` costs the same peak memory whatever size
the parameters would be.

    python benchmarks/bench_init_memory.py

Runs `vmapx shape` in a fresh process per size on a module whose `init_params` builds one
square f32 weight matrix (tiny: 16x16, 1 KB; huge: 100,000x100,000, 40 GB) and reports the
process's peak resident memory (ru_maxrss). The init function is run with `jax.eval_shape`, so
the huge one allocates nothing: both peaks should be the same (the cost of importing JAX).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MODULE = '''
import jax.numpy as jnp
N = {n}
def init_params():
    return {{"W": jnp.ones((N, N)), "b": jnp.zeros(N)}}
def model(params, x):
    return params["W"] @ x + params["b"]
'''


def peak_mb(n: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big_model.py"
        path.write_text(MODULE.format(n=n))
        code = ("import resource, sys\nfrom vmapx.cli import app\n"
                f"sys.argv = ['vmapx', 'shape', '{path}:model', '--params', "
                f"'@{path}:init_params', '--x', '{n}', '--batch', '8', '--in-axes', 'None,0', "
                "'--json']\ntry:\n    app()\nexcept SystemExit as e:\n    code = e.code\n"
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code, "
                "file=sys.stderr)\n")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=False)
        kb, rc = out.stderr.strip().splitlines()[-1].split()
        return int(kb) / 1024, int(rc)


def main() -> None:
    for label, n in (("tiny  (16x16, 1 KB)", 16), ("huge  (100000x100000, 40 GB)", 100_000)):
        mb, rc = peak_mb(n)
        print(f"{label:32s} exit {rc}  peak RSS {mb:7.1f} MB")


if __name__ == "__main__":
    main()
