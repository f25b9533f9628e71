"""`vmapx bench --mesh`: jit(vmap) on batch-sharded inputs and `shard_map` of vmap over each
device's shard, against single-device jit(vmap), with throughput and scaling efficiency.

The three variants run on the same random inputs (the sharded ones are the 1-device ones put
on the mesh); the mesh variants' values must match the 1-device jit(vmap)'s (itself checked
against the loop in the main table) before they are timed. Timing is `stats.measure`.
"""

from __future__ import annotations

from typing import Any, Callable

from vmapx._analysis.mesh.compiled import vmapped
from vmapx._analysis.mesh.devices import Placed
from vmapx._analysis.mesh.layout import spec_at
from vmapx._analysis.tracing import out_leaf_axes, x64_for
from vmapx._bench import values
from vmapx._bench.settings import BenchSettings
from vmapx._bench.stats import measure
from vmapx._problem.problem import Problem
from vmapx._report.mesh import MeshTiming
from vmapx.errors import VmapxError

# 1-device jit(vmap); jit(vmap) on batch-sharded inputs; jit(shard_map(vmap)) on the same.
ONE, SHARDED, SHARD_MAP = "1-device", "jit-sharded", "shard_map"
GIVEN = ("inputs laid out with --shard/shard=: shard_map would hand the function pieces of "
         "them, not the whole examples vmap gives it")


def _shard_map(f: Callable[..., Any], mesh: Any, in_specs: Any, out_specs: Any) -> Any:
    """`jax.shard_map` (JAX ≥ 0.6), else the experimental one it replaced."""
    import jax

    sm = getattr(jax, "shard_map", None)
    if sm is None:  # pragma: no cover - older JAX
        from jax.experimental.shard_map import shard_map as sm
    return sm(f, mesh=mesh, in_specs=in_specs, out_specs=out_specs)


def variants(problem: Problem, placed: Placed, specs: list[Any], leaves: list[Any],
             batch_axis: str) -> list[tuple[str, int, Any, list[Any]]]:
    """(label, devices used, jitted function, its inputs) for each mesh variant."""
    import jax
    from jax.sharding import NamedSharding

    import numpy as np

    fn, mesh = vmapped(problem), placed.mesh
    shardings = [NamedSharding(mesh, p) for p in specs]
    # From host arrays: every process holds the same random values (same seed) and puts the
    # shards its own devices hold.
    sharded = values.block([jax.device_put(np.asarray(x), s) for x, s in zip(leaves, shardings)])
    out = jax.eval_shape(fn, *leaves)
    flat, tree = jax.tree.flatten(out)
    axes = out_leaf_axes(problem.levels[0].out_axes, out, problem.surface)
    out_specs = jax.tree.unflatten(tree, [spec_at(None if a is None else a % len(o.shape),
                                                  batch_axis) for o, a in zip(flat, axes)])
    n = mesh.devices.size
    return [(ONE, 1, jax.jit(fn), leaves),
            (SHARDED, n, jax.jit(fn, in_shardings=tuple(shardings)), sharded),
            (SHARD_MAP, n, jax.jit(_shard_map(fn, mesh, tuple(specs), out_specs)), sharded)]


def on_mesh(problems: list[Problem], spec: Any, settings: BenchSettings) -> list[Any]:
    """The mesh analysis of each problem (before anything is timed: a mesh that does not fit
    is a UsageError now)."""
    from vmapx._analysis.mesh.analysis import analyze

    return [analyze(p, spec, settings.backend) for p in problems]


def with_timings(report: Any, problems: list[Problem], analyses: list[Any],
                 settings: BenchSettings) -> Any:
    """The report with its mesh record: the first problem's shardings and collectives, and
    the mesh variants timed at every batch size."""
    import dataclasses

    import numpy as np

    tick = report.settings.get("clock_tick_s") or 0.0
    rng = np.random.default_rng(settings.seed)
    rows = [t for p, (info, placed, specs) in zip(problems, analyses)
            for t in timings(p, (placed, specs, info.batch_axis), settings, tick, rng)]
    info = analyses[0][0]
    notes = list(info.notes)
    if info.simulated:
        notes.append(f"the mesh timings are a simulation, not a speed-up: the {info.devices} "
                     f"CPU devices share this machine's cores, so per-device throughput and "
                     "scaling efficiency show what partitioning costs here, not what "
                     f"{info.devices} chips would give")
    return dataclasses.replace(report, mesh=dataclasses.replace(info, timings=rows,
                                                                notes=notes))


def timings(problem: Problem, where: tuple[Placed, list[Any], str], settings: BenchSettings,
            tick: float, rng: Any) -> list[MeshTiming]:
    """Time the mesh variants of one problem (one batch size) on the mesh, with these input
    specs, the batch over `batch_axis`."""
    import jax

    placed, specs, batch_axis = where
    first = jax.local_devices(backend=placed.platform)[0]  # this process's first device
    default = [spec_at(a, batch_axis) for a in problem.levels[0].axes]
    rows: list[MeshTiming] = []
    with x64_for(problem):
        leaves = values.random_leaves([leaf.shape for leaf in problem.leaves],
                                      [leaf.dtype for leaf in problem.leaves], rng, first)
        reference, base_s = None, None
        for label, n, fn, args in variants(problem, placed, specs, leaves, batch_axis):
            if label == SHARD_MAP and specs != default:
                rows.append(MeshTiming(label, problem.size or 0, n, None, None, None, 0,
                                       status="skipped", detail=GIVEN))
                continue
            row, out = _one(label, n, fn, args, reference, settings, tick, problem.size or 0)
            if label == ONE:
                reference, base_s = out, row.median_s
            rows.append(_scaled(row, base_s))
    return rows


def _one(label: str, n: int, fn: Any, args: list[Any], reference: Any,
         settings: BenchSettings, tick: float, batch: int) -> tuple[MeshTiming, Any]:
    clock = settings.clock

    def row(status: str, detail: str | None, compile_s: float | None = None,
            matches: bool | None = None) -> MeshTiming:
        return MeshTiming(label, batch, n, compile_s, None, None, 0, matches=matches,
                          status=status, detail=detail)

    compile_s = None
    try:
        t0 = clock()
        fn.lower(*args).compile()
        compile_s = clock() - t0
        out = values.block(fn(*args))
    except (KeyboardInterrupt, VmapxError):
        raise
    except Exception as exc:  # the user's function raised under this variant
        return row("error", values.short_error(exc), compile_s), None
    matches = None
    if reference is not None:
        wrong = local_mismatch(out, reference)
        if wrong:
            return row("mismatch", f"{wrong}; not timed", compile_s, False), out
        matches = True
    stats = measure(values.blocking(lambda: fn(*args), out), settings, clock, tick,
                    values.compile_count)
    return MeshTiming(label, batch, n, compile_s, stats.median, stats.iqr, stats.samples,
                      matches=matches), out


def local_mismatch(out: Any, reference: Any) -> str | None:
    """`values.mismatch` shard by shard: each output shard this process holds against the
    same slice of the 1-device reference (on several hosts, each checks its own shards)."""
    import jax

    leaves, tree = jax.tree.flatten(out)
    ref_leaves, ref_tree = jax.tree.flatten(reference)
    if tree != ref_tree:
        return values.mismatch(out, reference)
    for i, (a, b) in enumerate(zip(leaves, ref_leaves)):
        if a.shape != b.shape:
            return values.mismatch(a, b)
        for shard in a.addressable_shards:
            wrong = values.mismatch(shard.data, b[shard.index])
            if wrong:
                at = ",".join(f"{s.start or 0}:{d if s.stop is None else s.stop}"
                              for s, d in zip(shard.index, a.shape))
                where = (f"output {i}, " if len(leaves) > 1 else "") + f"shard [{at}]"
                return f"{where}: {wrong.replace('the loop', 'the 1-device run')}"
    return None


def _scaled(row: MeshTiming, base_s: float | None) -> MeshTiming:
    """Throughput (examples/s, all devices and per device) and efficiency vs 1 device."""
    import dataclasses

    if not row.median_s:
        return row
    through = row.batch_size / row.median_s
    eff = base_s / row.median_s / row.devices if base_s else None
    return dataclasses.replace(row, throughput=through,
                               per_device_throughput=through / row.devices,
                               scaling_efficiency=eff)

