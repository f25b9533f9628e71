"""`vmapx shape`: a problem's output shapes, where the batch axis lands, and why a vmap fails.

Everything is abstract (`jax.eval_shape`, see abstract.py): no input is ever allocated.
"""

from __future__ import annotations

from vmapx._analysis.abstract import input_infos, level_infos, out_axes_pattern, trace
from vmapx._analysis.explore import diagnose, explore
from vmapx._analysis.tracing import x64_for
from vmapx._problem.problem import Problem
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
