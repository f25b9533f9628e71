"""The mesh analysis every command shares (`mesh=` / `--mesh`): the batch sharded over one mesh
axis, and what XLA does with it — per-device shapes, output shardings, collectives, a verdict.

Nothing is allocated: the sharded jit(vmap) is compiled on `ShapeDtypeStruct`s. The device
count is asked for first (`prepare`), before anything starts JAX's backend.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from vmapx._analysis.mesh.compiled import (compile_on, found_collectives, input_leaves,
                                           output_leaves)
from vmapx._analysis.mesh.devices import Placed, place, simulate
from vmapx._analysis.mesh.hlo import remedies, verdict
from vmapx._analysis.mesh.layout import input_specs
from vmapx._analysis.tracing import x64_for
from vmapx._problem.problem import Problem
from vmapx._report.mesh import MeshInfo
from vmapx._text.mesh import MeshSpec, mesh_spec
from vmapx._text.specs import format_shape


def prepare(mesh: Any, mesh_axis: str | None, cli: bool, shard: Any = None
            ) -> MeshSpec | None:
    """The mesh as asked (None: no mesh), with the CPU device count asked of JAX if its backend
    has not started yet. Call before anything else runs JAX (or imports the user's code)."""
    if mesh is None:
        if mesh_axis is not None or shard:
            from vmapx.errors import UsageError

            option = ("--mesh-axis" if cli else "mesh_axis=") if mesh_axis is not None else (
                "--shard" if cli else "shard=")
            raise UsageError(f"{option.rstrip('=')} needs a mesh",
                             "give --mesh too, e.g. --mesh data=8" if cli else
                             "give mesh= too, e.g. mesh='data=8'")
        return None
    spec = mesh_spec(mesh, mesh_axis, cli, shard)
    simulate(spec.devices)
    return spec


def analyze(problem: Problem, spec: MeshSpec, backend: str | None = None
            ) -> tuple[MeshInfo, Placed, list[Any]]:
    """The mesh record of a problem whose vmap works; also the mesh and input specs (for
    `bench`, which runs on them)."""
    specs = input_specs(problem, spec)
    placed = place(spec, backend, problem.surface.cli)
    with x64_for(problem):
        compiled, out = compile_on(problem, placed, specs)
        inputs = input_leaves(problem, placed, specs)
        outputs = output_leaves(problem, placed, compiled, out, spec.batch_axis)
        found = found_collectives(problem, compiled)
        spmd = _with_spmd_axis_name(problem, placed, specs, spec.batch_axis) if found else None
    info = MeshInfo(dict(spec.axes), spec.batch_axis, spec.devices, placed.platform,
                    placed.available, placed.simulated, inputs, outputs, found, verdict(found),
                    remedies(found, spec.batch_axis, spmd),
                    notes=_notes(spec, placed) + _flagged(outputs, spec.batch_axis),
                    process_index=placed.process_index, process_count=placed.process_count)
    return info, placed, specs


def with_mesh(report: Any, problem: Problem, spec: MeshSpec | None) -> Any:
    """The report with its `mesh` record, when a mesh was asked for and the vmap works."""
    if spec is None or not report.ok:
        return report
    return dataclasses.replace(report, mesh=analyze(problem, spec)[0])


def _with_spmd_axis_name(problem: Problem, placed: Placed, specs: list[Any], axis: str
                         ) -> int | None:
    """How many collectives XLA inserts when the outermost vmap names the mesh axis (the first
    remedy, tried); None when this JAX cannot compile it so (the remedy is then untried)."""
    from vmapx._analysis.mesh.hlo import collectives

    try:
        compiled, _ = compile_on(problem, placed, specs, axis)
    except Exception:  # a JAX whose vmap refuses spmd_axis_name here: leave it untried
        return None
    return sum(c.count for c in collectives(compiled.as_text(), {}))


def _flagged(outputs: list[Any], axis: str) -> list[str]:
    """What an output that does not come back split along the batch means, and what to do."""
    notes = []
    for out in outputs:
        name = out.name or "the output"
        if out.flag == "replicated":
            notes.append(f"{name} comes back replicated: every device holds all of it "
                         f"({format_shape(out.device_shape, out.dtype)}), not its shard of the batch; "
                         "it does not depend on the mapped inputs, or XLA gathered it. If it "
                         "is the same for every example, out_axes=None returns it once; else "
                         "pin it with jax.lax.with_sharding_constraint(y, "
                         f"NamedSharding(mesh, {out.expected}))")
        elif out.flag == "different":
            notes.append(f"{name} comes back sharded as {out.sharding}, not {out.expected} "
                         f"(the batch over {axis!r}): the next op that expects the batch "
                         "layout will pay for a reshard")
    return notes


def _notes(spec: MeshSpec, placed: Placed) -> list[str]:
    notes = []
    if placed.simulated:
        k = placed.available
        notes.append(f"{k} simulated CPU device{'s' * (k != 1)} (XLA's host-platform devices, "
                     f"sharing this machine's {os.cpu_count()} cores): the shardings and "
                     "collectives are XLA's real decisions; on GPUs or TPUs the same code path "
                     "uses the real devices")
    elif placed.available > spec.devices:
        notes.append(f"the mesh uses {spec.devices} of the {placed.available} "
                     f"{placed.platform} devices")
    others = [f"{n}={s}" for n, s in spec.axes if n != spec.batch_axis]
    if others:
        notes.append(f"the batch is split over mesh axis {spec.batch_axis}={spec.shards}; "
                     f"inputs are replicated over {', '.join(others)}"
                     + (" unless laid out with --shard" if spec.shard else ""))
    for name, dims in spec.shard:
        notes.append(f"{name} is laid out as given: P({', '.join(map(repr, dims))})")
    if placed.process_count > 1:
        notes.append(f"process {placed.process_index} of {placed.process_count}: the mesh "
                     "spans every process's devices; shapes and shardings are global, and "
                     "this process holds the shards on its own devices")
    return notes
