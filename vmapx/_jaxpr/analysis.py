"""`vmapx jaxpr`: the batched jaxpr beside the hand-batched and loop versions, and what differs.

One path for every problem: the version shown is the outermost vmap (level 0) of the problem's
inner levels, as a function of the leaves (`problem.flat(nest(problem, 1))`, vmapped with one
axis per leaf); `make_jaxpr` flattens pytree arguments the same way, so this prints the same
jaxpr as `jax.vmap` over the pytrees. Everything is traced on `jax.ShapeDtypeStruct`s (no input
is allocated) with `jax.jit(f).trace`, whose jaxpr is make_jaxpr's; costs are XLA's estimates
of the lowered module (`.lower()` of the same trace; compiled with `compile`). Jaxpr text is
JAX's own `pretty_print(use_color=False)`. Equations are numbered after inlining call wrappers
(a nested `jit`, `custom_jvp_call`), which is also how versions are compared (see diff.py).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any, Callable

from vmapx._analysis.abstract import input_infos, level_infos
from vmapx._analysis.explore import diagnose
from vmapx._analysis.tracing import array_outputs, leaf_structs, nest, x64_for
from vmapx._jaxpr.diff import derived_batch_axes
from vmapx._jaxpr.loop import level_structs, loop_fn, types_of
from vmapx._jaxpr.settings import JaxprSettings
from vmapx._jaxpr.trace import check_levels, check_outputs, trace, trace_twin, try_trace
from vmapx._jaxpr.versions import Traced, report
from vmapx._problem.problem import Problem
from vmapx._report.common import ErrorInfo
from vmapx._report.jaxpr import JaxprReport
from vmapx._text.trees import axes_text
from vmapx.errors import UsageError, VmapFailure


def analyze(problem: Problem, twin: Callable[..., Any] | None, twin_name: str | None,
            settings: JaxprSettings) -> JaxprReport:
    """The jaxpr report of a problem; a failing vmap (or twin) is reported in `error`.

    `twin` is the hand-batched version (default: the one the module declares, for one vmap).
    Raises `UsageError` when `ranks` leave no vmap to show.
    """
    if problem.failure is None and not problem.levels:
        s = problem.surface
        raise UsageError(f"{s.option('ranks').rstrip('=')} leaves no extra leading dims on any "
                         f"argument of {problem.name}, so there is no vmap to show",
                         "give an argument more dims than its base rank, or lower a rank")
    with x64_for(problem) as x64_notes:
        notes = list(problem.notes) + x64_notes
        if problem.failure is not None:
            return _failed(problem, diagnose(problem, problem.failure), notes, settings)
        twin, twin_name = _pick_twin(problem, twin, twin_name, notes)
        try:
            traced = _trace_vmap(problem)
        except VmapFailure as failure:
            return _failed(problem, diagnose(problem, failure), notes, settings)
        if twin is not None:
            try:
                traced = _trace_twin(problem, traced, twin, twin_name or "manual")
            except VmapFailure as failure:  # the twin's fault: no in_axes to suggest
                return _failed(problem, diagnose(problem, failure, []), notes, settings)
        return report(problem, traced, notes, settings)


def _failed(problem: Problem, error: ErrorInfo, notes: list[str], settings: JaxprSettings
            ) -> JaxprReport:
    top = problem.levels[0] if problem.levels else None
    return JaxprReport(problem.name, problem.size, list(top.axes) if top else [], {},
                       error=error, notes=notes, stage=settings.stage, inline=settings.inline,
                       levels=level_infos(problem), inputs=input_infos(problem))


def _pick_twin(problem: Problem, twin: Callable[..., Any] | None, name: str | None,
               notes: list[str]) -> tuple[Callable[..., Any] | None, str | None]:
    """The twin given, else the one the module declares, which is written for one vmap."""
    if twin is not None:
        return twin, name or getattr(twin, "__name__", "manual")
    if problem.twin is None or problem.declared is None:
        return None, None
    declared = problem.declared.manual
    n = len(problem.levels)
    if n > 1:
        notes.append(f"the hand-batched {declared} that the module declares is written for "
                     f"one vmap, not this nest of {n}: not compared (give "
                     f"{problem.surface.option('manual').rstrip('=')} to compare a twin of "
                     "the nest)")
        return None, None
    return problem.twin, declared


def _no_loop(problem: Problem) -> str | None:
    """Why there is no loop version, or None when there is one."""
    levels = problem.levels
    if len(levels) > 1:
        sizes = "×".join(str(lv.size) for lv in levels)
        return (f"no loop version for a nest of {len(levels)} vmaps: it would be "
                f"{len(levels)} nested loops over {sizes} examples; the per-example jaxpr is "
                "used for the pitfalls")
    if levels[0].size == 0:
        return ("no loop version over 0 examples: the loop stacks its outputs, and there are "
                "none to stack")
    out_axes = levels[0].out_axes

    def one(a: Any) -> bool:
        return a is None or (isinstance(a, int) and not isinstance(a, bool))

    if one(out_axes) or (isinstance(out_axes, (tuple, list)) and all(map(one, out_axes))):
        return None
    return (f"no loop version with pytree out_axes ({axes_text(out_axes)}): the loop stacks "
            "each output on an int axis")


def _trace_vmap(problem: Problem) -> Traced:
    """The per-example trace (the loop at B=1, or the function on one example), then vmap of
    the leaves at B; its batch axes derived from that one trace, or, where that leaves a
    doubt, from a second trace at B+1 (what changes between them is batched)."""
    import jax

    top, size = problem.levels[0], problem.levels[0].size
    inner = array_outputs(problem.flat(nest(problem, 1)), problem.name)
    axis_size = problem.request.axis_size

    def vmapped(n: int) -> Callable[..., Any]:
        return jax.vmap(inner, in_axes=tuple(top.axes), out_axes=top.out_axes,
                        axis_size=None if axis_size is None else n)

    record: list[Any] = []
    why = _no_loop(problem)
    if why is None:
        check = functools.partial(check_levels, problem)
        one = trace(problem, loop_fn(inner, top.axes, top.out_axes, 1, check, record),
                    level_structs(problem, 1), "example")
    else:
        one = trace(problem, _recording(problem.flat(problem.call), record),
                    leaf_structs(problem.example_shapes(), problem), "example")
        check_levels(problem, record[0])
    vm = trace(problem, vmapped(size), level_structs(problem, size), "vmap")
    axes = derived_batch_axes(vm.jaxpr, [ax is not None for ax in top.axes], size)
    vm1 = None if axes is not None else \
        trace(problem, vmapped(size + 1), level_structs(problem, size + 1), "vmap").jaxpr
    label = "vmap(" * len(problem.levels) + problem.name.rpartition(":")[2] \
        + ")" * len(problem.levels)
    return Traced(label, one, record[0], vm, vm1, why, vm_axes=axes)


def _recording(f: Callable[..., Any], record: list[Any]) -> Callable[..., Any]:
    """`f`, keeping the types of what it returns."""
    @functools.wraps(f)
    def run(*args: Any) -> Any:
        out = f(*args)
        record.append(types_of(out))
        return out

    return run


def _trace_twin(problem: Problem, traced: Traced, twin: Callable[..., Any], label: str
                ) -> Traced:
    """The twin called as examples/README.md says: the leaves as the outermost vmap takes them,
    each mapped one with its batch axis moved to 0, rebuilt into the arguments; statics by
    keyword. It must return what vmap returns."""
    static = problem.bound.static
    f = problem.flat(functools.partial(twin, **static) if static else twin)
    size = problem.levels[0].size
    man = trace_twin(f, label, problem, level_structs(problem, size, to_front=True))
    check_outputs(traced.vm.jaxpr, man.jaxpr, traced.label, label, problem.levels[0].out_axes)
    man1 = try_trace(f, level_structs(problem, size + 1, to_front=True))
    return replace(traced, twin_label=label, man=man, man1=man1)

