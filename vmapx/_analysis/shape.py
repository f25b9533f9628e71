"""`vmapx shape`: a problem's output shapes, where the batch axis lands, and why a vmap fails.

Everything is abstract (`jax.eval_shape`, see abstract.py): no input is ever allocated.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from vmapx._analysis.abstract import input_infos, level_infos, out_axes_pattern, trace
from vmapx._analysis.explore import diagnose, explore
from vmapx._analysis.mesh.analysis import prepare, with_mesh
from vmapx._analysis.tracing import x64_for
from vmapx._problem import request
from vmapx._problem.problem import Problem
from vmapx._problem.request import UNSET
from vmapx._problem.surface import Surface
from vmapx._report.shape import ShapeReport
from vmapx.errors import UsageError, VmapFailure


def analyze(problem: Problem, explore_all: bool = False) -> ShapeReport:
    """The shape report of a problem; `explore_all` tries every outermost in_axes choice."""
    if explore_all and problem.ranks is not None:
        s = problem.surface
        raise UsageError(f"{s.option('explore').rstrip('=')} tries in_axes, and ranks build "
                         "them", f"drop {s.option('explore').rstrip('=')}, or give in_axes "
                         "instead of ranks")
    with x64_for(problem) as notes:
        failure, levels, outputs = problem.failure, [], []
        if failure is None:
            try:
                levels, outputs, inner = trace(problem)
            except VmapFailure as exc:
                failure = exc
        rows = note = None
        if explore_all:
            rows, note = explore(problem)
        error = diagnose(problem, failure, rows) if failure is not None else None
    pattern = out_axes_pattern(inner, problem.size) if outputs and problem.levels else []
    return ShapeReport(
        function=problem.name, batch_size=problem.size, inputs=input_infos(problem),
        outputs=outputs, out_axes_pattern=pattern, error=error, explore=rows,
        explore_note=note, notes=list(problem.notes) + notes,
        batch_given=problem.request.batch is not None,
        requested_in_axes=(problem.request.in_axes or (0,))[0],
        levels=levels or level_infos(problem), ranks=problem.ranks,
        arguments=[a.name for a in problem.bound.args])


def shape(fn: Callable[..., Any], *args: Any, in_axes: Any = UNSET, out_axes: Any = UNSET,
          batch: int | None = None, axis_size: int | None = None,
          static: Mapping[str, Any] | None = None, ranks: Any = None, explore: bool = False,
          levels_in: list | None = None, levels_out: list | None = None,
          name: str | None = None, inputs: Mapping[str, Any] | None = None,
          mesh: Any = None, mesh_axis: str | None = None, shard: Any = None,
          _surface: Surface | None = None,
          **named: Any) -> Any:
    """What `jax.vmap(fn, in_axes, out_axes)` does to these inputs, found without running it.

    Arguments:
        fn: the function to vmap.
        *args, **named: its inputs (see the module docstring); `inputs` for names that clash.
        in_axes, out_axes: as for `jax.vmap` (default 0); `levels_in`/`levels_out` instead give
            a nest of vmaps, outermost first.
        batch: the shapes are per-example; `batch` is inserted at each mapped input's in_axis.
        axis_size: the batch size when nothing is mapped. static: non-array arguments by name.
        ranks: base ranks (a tuple, or a dict by name): a nest of vmaps as jax_autovmap builds.
        explore: also try every outermost in_axes combination.
        mesh: a device mesh ("data=8", "data=4,model=2", or {"data": 8}): the batch sharded
            over `mesh_axis` (default: the first), and the shardings XLA chose for the outputs
            and the collectives it inserted (`report.mesh`; compiled, nothing allocated).
            shard: leaves laid out as you say instead, e.g. {"w": ("model", None)}.

    Returns a `ShapeReport` (`.ok`, `.outputs`, `.error`, `.to_json()`; it renders as tables in
    Jupyter). Raises `vmapx.UsageError`/`SpecError` for inputs that do not fit the function.

        >>> vmapx.shape(jnp.add, (2, 3, 5), None, in_axes=(0, None)).outputs[0].shape
        (2, 3, 5)
    """
    options = dict(in_axes=in_axes, out_axes=out_axes, batch=batch, axis_size=axis_size,
                   static=static, ranks=ranks, levels_in=levels_in, levels_out=levels_out,
                   name=name)
    surface = _surface or Surface("shape", cli=False)
    spec = prepare(mesh, mesh_axis, surface.cli, shard)  # before anything starts JAX's backend
    p = request.problem(fn, args, {**(inputs or {}), **named}, options, surface)
    report = analyze(p, explore)
    return with_mesh(report, p, spec)
