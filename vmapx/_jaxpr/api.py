"""`vmapx.jaxpr`: the library call behind `vmapx jaxpr`, with the input convention of
`vmapx.shape` (see vmapx/_problem/request.py)."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

from vmapx._analysis.mesh.analysis import prepare, with_mesh
from vmapx._jaxpr.settings import JaxprSettings
from vmapx._problem import request
from vmapx._problem.request import UNSET
from vmapx._problem.surface import Surface
from vmapx._report.jaxpr import JaxprReport


def jaxpr(fn: Callable[..., Any], *args: Any, in_axes: Any = UNSET, out_axes: Any = UNSET,
          batch: int | None = None, axis_size: int | None = None,
          static: Mapping[str, Any] | None = None, ranks: Any = None,
          levels_in: list | None = None, levels_out: list | None = None,
          manual: Callable[..., Any] | str | None = None, manual_name: str | None = None,
          settings: JaxprSettings = JaxprSettings(), name: str | None = None,
          inputs: Mapping[str, Any] | None = None, mesh: Any = None,
          mesh_axis: str | None = None, shard: Any = None,
          _surface: Surface | None = None,
          **named: Any) -> JaxprReport:
    """The jaxpr of `jax.vmap(fn, in_axes, out_axes)` on these inputs, beside the hand-batched
    and loop versions, and what differs (traced on shapes only: nothing is allocated).

    Arguments:
        fn: the function to vmap.
        *args, **named: its inputs, as for `vmapx.shape` (shape tuples, spec strings,
            `ShapeDtypeStruct`s, arrays, pytrees of these); `inputs` for names that clash.
        in_axes, out_axes: as for `jax.vmap` (default 0); `levels_in`/`levels_out` instead give
            a nest of vmaps, outermost first. ranks: base ranks, a nest as jax_autovmap builds.
        batch: the shapes are per-example; `batch` is inserted at each mapped input's in_axis.
        axis_size: the batch size when nothing is mapped. static: non-array arguments by name.
        manual: the hand-batched twin (a function, its name in `fn`'s module, or a spec like
            "examples/dot.py:batched_dot"), taking the batched inputs (the batch on axis 0 of
            each mapped input, unmapped ones as they are; statics by keyword); default: the one
            `fn`'s module declares in VMAPX_EXAMPLES (for one vmap). manual_name: its label.
        settings: a `JaxprSettings` (stage, inline, source_info, name_stack, cost, compile).
        mesh: a device mesh ("data=8", "data=4,model=2", or {"data": 8}), the batch sharded
            over `mesh_axis` (default: the first): the collectives XLA inserts, where they come
            from, and a verdict (`report.mesh`). shard: leaves laid out as you say instead,
            e.g. {"w": ("model", None)}.

    Returns a `JaxprReport` (`.ok`, `.versions`, `.verdict`, `.warnings`, `.error`,
    `.to_json()`); a vmap (or twin) that fails is reported in `.error`, not raised. Raises
    `vmapx.UsageError`/`SpecError` for inputs or options that do not fit.

        >>> vmapx.jaxpr(model, (5,), batch=4, manual=batched_model).verdict
        'same 4 primitives in the same order: dot_general → add → tanh → reduce_sum'
    """
    from vmapx._jaxpr.analysis import analyze

    surface = _surface or Surface("jaxpr", cli=False)
    settings.check(surface)
    spec = prepare(mesh, mesh_axis, surface.cli, shard)  # before anything starts JAX's backend
    options = dict(in_axes=in_axes, out_axes=out_axes, batch=batch, axis_size=axis_size,
                   static=static, ranks=ranks, levels_in=levels_in, levels_out=levels_out,
                   name=name)
    p = request.problem(fn, args, {**(inputs or {}), **named}, options, surface)
    twin, label = request.resolve_twin(manual, fn, p.name)
    return _numbered(with_mesh(analyze(p, twin, manual_name or label, settings), p, spec))


def _numbered(report: JaxprReport) -> JaxprReport:
    """Each collective with the numbers of its primitive's equations in the vmap jaxpr."""
    vm = report.versions.get("vmap") if report.mesh is not None else None
    if vm is None:
        return report
    found = [dataclasses.replace(c, equations=[e.index for e in vm.equations
                                               if e.primitive == c.primitive])
             for c in report.mesh.collectives]
    return dataclasses.replace(report, mesh=dataclasses.replace(report.mesh, collectives=found))
