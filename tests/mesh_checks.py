"""Mesh checks run in a fresh process with 8 simulated CPU devices (tests/test_mesh.py starts
it with XLA_FLAGS set, since the device count is fixed when JAX's backend starts).

Each case asks vmapx what a batch-sharded jit(vmap) does, then runs `jax.jit` with the same
shardings on concrete arrays and records what JAX really produced; the test compares the two.
Prints one JSON object on stdout.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import vmapx  # noqa: E402
from tests.fixtures.mesh_funcs import scale, spectrum  # noqa: E402

FUNCS = "tests/fixtures/mesh_funcs.py"
COLLECTIVES = ("all-gather", "all-reduce", "reduce-scatter", "all-to-all", "collective-permute")


def affine(p, x):
    return p["W"] @ x + p["b"]


def broadcast(x, w):
    return w * 2.0


# name: (function, per-example inputs, batch, in_axes, out_axes, mesh, mesh_axis[, shard])
CASES = {
    "elementwise": (scale, [(256,), (256,)], 16, (0, None), 0, "data=8", None),
    "fft": (spectrum, [(1024,)], 16, 0, 0, "data=8", None),
    "out_axes_1": (jnp.tanh, [(3, 5)], 16, 0, 1, "data=8", None),
    "in_axes_1": (jnp.cos, [(3,)], 16, 1, 0, "data=8", None),
    "pytree": (affine, [{"W": (3, 5), "b": (3,)}, (5,)], 8, (None, 0), 0, "data=8", None),
    "two_axes": (scale, [(64,), (64,)], 8, (0, None), 0, "data=4,model=2", None),
    "model_axis": (scale, [(64,), (64,)], 8, (0, None), 0, "data=2,model=4", "model"),
    "replicated": (broadcast, [(8,), (8,)], 16, (0, None), 0, "data=8", None),
    "given_layout": (scale, [(64,), (64,)], 8, (0, None), 0, "data=2,model=4", None,
                     {"w": ("model",)}),
}


def spec_text(spec) -> str:
    parts = list(spec)
    while parts and parts[-1] is None:
        parts.pop()
    return "P(" + ", ".join("None" if p is None else repr(p) for p in parts) + ")"


def _mesh(text: str) -> Mesh:
    axes = [(n, int(s)) for n, s in (p.split("=") for p in text.split(","))]
    n = int(np.prod([s for _, s in axes]))
    return Mesh(np.array(jax.devices()[:n]).reshape([s for _, s in axes]), [a for a, _ in axes])


def _batched(shape, axis, batch):
    return None if axis is None else tuple(shape[:axis]) + (batch,) + tuple(shape[axis:])


def real(case):
    """What jax.jit(vmap(f)) with batch-sharded inputs produces on concrete arrays."""
    fn, shapes, batch, in_axes, out_axes, mesh_text, axis, *given = case
    names = list(inspect.signature(fn).parameters)
    given = {names.index(k): P(*v) for k, v in (given[0] if given else {}).items()}
    mesh = _mesh(mesh_text)
    axis = axis or mesh.axis_names[0]
    per_arg = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(shapes)
    rng = np.random.default_rng(0)
    args, shardings = [], []
    for k, (shape, ax) in enumerate(zip(shapes, per_arg)):
        def one(s, ax=ax, k=k):
            full = _batched(s, ax, batch) or tuple(s)
            spec = given.get(k, P() if ax is None else P(*([None] * ax), axis))
            sh = NamedSharding(mesh, spec)
            return jax.device_put(rng.standard_normal(full).astype(np.float32), sh), sh
        made = jax.tree.map(one, shape, is_leaf=lambda s: isinstance(s, tuple))
        args.append(jax.tree.map(lambda m: m[0], made, is_leaf=lambda m: isinstance(m, tuple)
                                 and len(m) == 2 and isinstance(m[1], NamedSharding)))
        shardings.append(jax.tree.map(lambda m: m[1], made, is_leaf=lambda m: isinstance(
            m, tuple) and len(m) == 2 and isinstance(m[1], NamedSharding)))
    jitted = jax.jit(jax.vmap(fn, in_axes=in_axes, out_axes=out_axes),
                     in_shardings=tuple(shardings))
    out = jitted(*args)
    hlo = jitted.lower(*args).compile().as_text()
    leaves = jax.tree.leaves(out)
    batch_spec = [P(*([None] * (out_axes % x.ndim)), axis) for x in leaves]
    return {
        "inputs": [list(x.addressable_shards[0].data.shape) for x in jax.tree.leaves(args)],
        "outputs": [{"sharding": spec_text(x.sharding.spec),
                     "device_shape": list(x.addressable_shards[0].data.shape),
                     "shape": list(x.shape),
                     "as_batch": x.sharding.is_equivalent_to(NamedSharding(mesh, b), x.ndim)}
                    for x, b in zip(leaves, batch_spec)],
        "collectives": sorted({k for k in COLLECTIVES if f" {k}(" in hlo
                               or f" {k}-start(" in hlo}),
    }


def reported(case):
    fn, shapes, batch, in_axes, out_axes, mesh_text, axis, *given = case
    report = vmapx.shape(fn, *shapes, batch=batch, in_axes=in_axes, out_axes=out_axes,
                         mesh=mesh_text, mesh_axis=axis, shard=given[0] if given else None)
    return report.to_json()["mesh"]


def cli(runner, app, args):
    result = runner.invoke(app, args)
    return {"code": result.exit_code, "out": result.stdout, "err": result.stderr}


def main():
    from typer.testing import CliRunner

    from vmapx.cli import app

    out = {"devices": len(jax.devices()),
           "cases": {k: {"vmapx": reported(c), "jax": real(c)} for k, c in CASES.items()}}
    out["jaxpr"] = {k: vmapx.jaxpr(f, *s, batch=b, in_axes=i, mesh="data=8").to_json()["mesh"]
                    for k, (f, s, b, i, *_ ) in
                    (("fft", CASES["fft"]), ("elementwise", CASES["elementwise"]))}
    settings = vmapx.BenchSettings(variants=("jit-vmap",), runs=2, min_time=0.0)
    out["bench"] = vmapx.bench(spectrum, (1024,), batch=[16, 32], mesh="data=8",
                               settings=settings).to_json()
    runner = CliRunner()
    out["cli"] = {
        "bench": cli(runner, app, ["bench", "examples/dot.py:dot", "--batch", "64",
                                   "--mesh", "data=8"]),
        "jaxpr_json": cli(runner, app, ["jaxpr", f"{FUNCS}:spectrum", "--mesh", "data=8",
                                        "--json"]),
        "shape": cli(runner, app, ["shape", f"{FUNCS}:spectrum", "--mesh", "data=4,model=2"]),
        "too_many": cli(runner, app, ["shape", "examples/dot.py:dot", "--batch", "64",
                                      "--mesh", "data=16"]),
        "not_dividing": cli(runner, app, ["bench", "examples/dot.py:dot", "--batch", "12",
                                          "--mesh", "data=8"]),
        "unknown_axis": cli(runner, app, ["jaxpr", "examples/dot.py:dot", "--batch", "8",
                                          "--mesh", "data=8", "--mesh-axis", "model"]),
        # lax.mul(x, y) on every JAX (jnp.multiply's are x1, x2 on 0.4.30, a, b later)
        "shard_uneven": cli(runner, app, ["shape", "lax.mul", "--x", "8,6", "--y", "6",
                                          "--in-axes", "0,None", "--mesh", "data=2,model=4",
                                          "--shard", "y=model"]),
    }
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main()
