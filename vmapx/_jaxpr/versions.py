"""The report's versions from what was traced: each one's text, equations, batch axes and
costs; how they line up; the pitfalls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vmapx._analysis import _compat as compat
from vmapx._analysis.abstract import input_infos, level_infos
from vmapx._jaxpr.cost import UNAVAILABLE, Lowered, lower, scaled
from vmapx._jaxpr.diff import align, batch_axes, equations, primitive_counts, verdict
from vmapx._jaxpr.loop import growth
from vmapx._jaxpr.pitfalls import find
from vmapx._jaxpr.settings import JaxprSettings
from vmapx._jaxpr.stages import clean_hlo, stage_ops
from vmapx._problem.problem import Problem
from vmapx._report.jaxpr import Cost, JaxprReport, Version
from vmapx._text.specs import short_dtype


@dataclass(frozen=True)
class Traced:
    """What was traced: the per-example trace (the loop at B=1 when there is a loop), one
    example's output types, vmap at B (a `jax.stages.Traced`) and at B+1 (a jaxpr; None when
    its batch axes `vm_axes` were derived from the trace at B), why there is no loop (None when
    there is one), and the twin's traces at B and B+1 (None when there is no twin; `man1` also
    when the twin fails at B+1)."""

    label: str
    one: Any
    out_types: Any
    vm: Any
    vm1: Any
    loop_note: str | None
    twin_label: str | None = None
    man: Any = None
    man1: Any = None
    vm_axes: list | None = None


def report(problem: Problem, traced: Traced, notes: list[str], settings: JaxprSettings
           ) -> JaxprReport:
    """The whole report: versions, alignment with the twin (or the loop), pitfalls."""
    vm_axes = traced.vm_axes if traced.vm1 is None else \
        batch_axes(traced.vm.jaxpr, traced.vm1)
    if vm_axes is None:
        notes.append("batch axes not tracked: the jaxpr at batch size B+1 has other equations")
    elif len(problem.levels) > 1:
        notes.append("the batch axes shown are the outermost vmap's (level 0)")
    versions: dict[str, Version | None] = {
        "vmap": _version(traced.label, traced.vm, vm_axes, settings, notes),
        "manual": None, "loop": None}
    if traced.man is not None:
        man_axes = batch_axes(traced.man.jaxpr, traced.man1) if traced.man1 is not None else None
        versions["manual"] = _version(traced.twin_label or "manual", traced.man, man_axes,
                                      settings, notes)
    if traced.loop_note is None:
        versions["loop"] = _loop_version(problem, traced, settings, notes)
    else:
        notes.append(traced.loop_note)
    return _compare(problem, traced, versions, notes, settings)


def _compare(problem: Problem, traced: Traced, versions: dict[str, Version | None],
             notes: list[str], settings: JaxprSettings) -> JaxprReport:
    vm, man, loop = versions["vmap"], versions["manual"], versions["loop"]
    assert vm is not None
    loop_rows, loop_verdict = [], ""
    if loop is not None:
        loop_rows = align(vm.equations, loop.equations)
        loop_verdict = verdict(loop_rows, traced.label, "the loop")
    if man is not None:
        rows = align(vm.equations, man.equations)
        said, against = verdict(rows, traced.label, man.label), "manual"
    elif loop is not None:
        rows, said, against = loop_rows, loop_verdict, "loop"
    else:
        rows, said, against = [], "nothing to compare with: no hand-batched twin and no loop", \
            "none"
    warnings = find(traced.one.jaxpr, traced.vm.jaxpr, traced.vm1,
                    rows if man is not None else None,
                    traced.man.jaxpr if traced.man is not None else None,
                    man.label if man is not None else "the hand-batched version")
    top = problem.levels[0]
    other = man if man is not None else loop
    stage_rows = (align(vm.stage_ops, other.stage_ops)
                  if other is not None and vm.stage_ops is not None
                  and other.stage_ops is not None else [])
    return JaxprReport(problem.name, top.size, list(top.axes), versions, against, rows, said,
                       loop_rows, loop_verdict, warnings, None, notes, settings.stage,
                       settings.inline, level_infos(problem), input_infos(problem),
                       stage_alignment=stage_rows)


def _show(closed: Any, settings: JaxprSettings) -> str:
    return closed.pretty_print(use_color=False, source_info=settings.source_info,
                               name_stack=settings.name_stack)


def _lower(traced: Any, settings: JaxprSettings, stage: str) -> Lowered:
    return lower(traced, cost=settings.costs, compile=settings.compile, stage=stage,
                 source_info=settings.source_info)


def _stage(low: Lowered, settings: JaxprSettings) -> dict[str, Any]:
    """The chosen stage's text (HLO without its location metadata unless --source-info) and
    its ops, for a Version."""
    if settings.stage == "jaxpr":
        return {"stage_text": None}
    text = low.stablehlo if settings.stage == "stablehlo" else low.hlo
    if text is None:
        return {"stage_text": None}
    if settings.stage == "hlo":
        text = clean_hlo(text, settings.source_info)
    return {"stage_text": text, "stage_ops": stage_ops(text, settings.stage)}


def _cost_note(cost: Cost | None, settings: JaxprSettings) -> str | None:
    return None if cost is not None or not settings.costs else UNAVAILABLE


def _version(label: str, traced: Any, axes: list | None, settings: JaxprSettings,
             notes: list[str]) -> Version:
    closed = traced.jaxpr
    low = _lower(traced, settings, settings.stage)
    return Version(label, _show(closed, settings), len(compat.flat_eqns(closed)),
                   primitive_counts(closed), equations(closed, axes), low.cost,
                   _cost_note(low.cost, settings),
                   _inlined(closed, label, settings, notes) if settings.inline else None,
                   outputs=[(short_dtype(d), s) for d, s in
                            compat.shapes(compat.open_jaxpr(closed).outvars)],
                   **_stage(low, settings))


def _inlined(closed: Any, label: str, settings: JaxprSettings, notes: list[str]) -> str | None:
    if not compat.has_calls(closed):
        return None
    try:
        flat = compat.inline_calls(closed)
    except Exception as exc:  # re-binding is best effort: show JAX's nested text instead
        notes.append(f"inline: could not inline {label}'s nested calls "
                     f"({type(exc).__name__}); showing them nested")
        return None
    if flat is closed:
        notes.append(f"inline: {label}'s nested calls sit inside control flow; shown nested")
        return None
    return _show(flat, settings)


def _loop_version(problem: Problem, traced: Traced, settings: JaxprSettings,
                  notes: list[str]) -> Version:
    """One iteration's jaxpr; the equation count at B (counted: see loop.growth); the cost
    of one iteration × B."""
    one, size = traced.one.jaxpr, problem.levels[0].size
    per, base, counted = growth(traced.out_types, problem, size, one)
    if counted < size:
        notes.append(f"loop: a loop over {size} examples is not traced; its equations are "
                     f"counted at B={counted} and carried on at {per} per example from there "
                     "(how JAX stacks many outputs may grow unevenly)")
    low = _lower(traced.one, settings, settings.stage)  # one iteration, at the stage shown
    cost = scaled(low.cost, size) if low.cost is not None else None
    return Version(f"loop over {size}", _show(one, settings), base + per * size,
                   primitive_counts(one), equations(one), cost, _cost_note(cost, settings),
                   _inlined(one, "the loop", settings, notes) if settings.inline else None,
                   per_example=per, base=base, text_batch=1, **_stage(low, settings))
