"""`vmapx jaxpr`: the batched jaxpr beside the hand-batched and loop versions, and what differs.

Everything is traced on `jax.ShapeDtypeStruct`s (no input is allocated) with
`jax.jit(f).trace`, whose jaxpr is make_jaxpr's; costs are XLA's estimates of the lowered
module (`.lower()` of the same trace; compiled with --compile). Jaxpr text is JAX's own
`pretty_print(use_color=False)`. Equations are numbered after inlining call wrappers (a nested
`jit`, `custom_jvp_call`), which is also how versions are compared (see jaxpr_diff).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from vmapx._analysis import _compat as compat
from vmapx._problem import binding as _inputs
from vmapx.errors import UsageError
from vmapx._jaxpr.cost import UNAVAILABLE, Cost, lower
from vmapx._jaxpr.diff import AlignRow, Equation, align, batch_axes, equations, primitive_counts
from vmapx._jaxpr.diff import verdict as make_verdict
from vmapx._jaxpr.loop import growth, loop_fn, structs
from vmapx._jaxpr.nest import Prepared
from vmapx._jaxpr.pitfalls import Pitfall, find
from vmapx._jaxpr.trace import check_outputs, trace, trace_manual, try_trace
from vmapx._report.shape import jsonable
from vmapx._text.specs import format_shape

STAGES = ("jaxpr", "stablehlo", "hlo")


@dataclass(frozen=True)
class Version:
    """One version of the batched computation, as JAX printed it, with what vmapx read off it.

    For the loop, `text` is one iteration's jaxpr (traced at `text_batch` = 1) and `eqn_count`
    is the count at the report's batch size: `base + per_example × B`.
    """

    label: str
    text: str
    eqn_count: int
    primitives: dict[str, int]
    equations: list[Equation]
    cost: Cost | None = None
    cost_note: str | None = None
    inlined_text: str | None = None   # with --inline, when there was a call to inline
    stage_text: str | None = None     # StableHLO or HLO, with --stage
    per_example: int | None = None    # loop only
    base: int | None = None           # loop only
    text_batch: int | None = None     # loop only


@dataclass(frozen=True)
class JaxprReport:
    """What `vmapx jaxpr` found. `versions` holds "vmap", "manual" and "loop" (None when there
    is no twin, or no loop: a nest of vmaps, pytree out_axes). `in_axes` has one entry per
    argument, or per array leaf when the arguments are pytrees; `levels` describes each vmap
    of a nest (or of pytree arguments), outermost first, and is empty for one plain vmap."""

    function: str
    batch_size: int
    in_axes: list[int | None]
    versions: dict[str, Version | None]
    alignment_with: str               # "manual", or "loop" when there is no hand-batched twin
    alignment: list[AlignRow]
    verdict: str
    loop_alignment: list[AlignRow]
    loop_verdict: str
    warnings: list[Pitfall] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stage: str = "jaxpr"
    inline: bool = False
    levels: list[dict[str, Any]] = field(default_factory=list)  # a nest's levels, outermost first

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready dicts (the issue's names, plus a few more)."""
        def eqn_axes(v: Version | None) -> list[dict[str, Any]] | None:
            return None if v is None else [
                {"equation": e.index, "primitive": e.primitive, "axes": e.axes}
                for e in v.equations if e.axes is not None]

        def rows(rs: list[AlignRow], other: str) -> list[dict[str, Any]]:
            return [{"vmap": r.vmap, other: r.other, "primitive": r.primitive,
                     "matched": r.matched} for r in rs]

        return jsonable({
            "function": self.function, "batch_size": self.batch_size, "in_axes": self.in_axes,
            "stage": self.stage,
            "versions": {k: None if v is None else _version_json(v, self.stage)
                         for k, v in self.versions.items()},
            "alignment_with": self.alignment_with,
            "alignment": rows(self.alignment, self.alignment_with), "verdict": self.verdict,
            "loop_alignment": rows(self.loop_alignment, "loop"), "loop_verdict": self.loop_verdict,
            "batch_axes": eqn_axes(self.versions["vmap"]),
            "manual_batch_axes": eqn_axes(self.versions.get("manual")),
            "warnings": [dataclasses.asdict(w) for w in self.warnings], "notes": self.notes,
            "levels": self.levels,
        })

    def __rich__(self):
        from vmapx._render.jaxpr import render_jaxpr

        return render_jaxpr(self)


def _version_json(v: Version, stage: str) -> dict[str, Any]:
    out = {"label": v.label, "text": v.text, "eqn_count": v.eqn_count,
           "primitives": v.primitives,
           "cost": None if v.cost is None else dataclasses.asdict(v.cost),
           "cost_note": v.cost_note,
           "equations": [{"index": e.index, "primitive": e.primitive,
                          "outputs": [format_shape(s, d) for d, s in e.outputs], "axes": e.axes}
                         for e in v.equations]}
    if v.inlined_text is not None:
        out["inlined_text"] = v.inlined_text
    if v.stage_text is not None:
        out[stage] = v.stage_text
    if v.per_example is not None:
        out.update(per_example=v.per_example, base=v.base, text_batch=v.text_batch)
    return out


def jaxpr(fn: Callable[..., Any], *args: Any, in_axes: Any = 0, out_axes: Any = 0,
          batch: int | None = None, axis_size: int | None = None,
          static: Mapping[str, Any] | None = None, manual: Callable[..., Any] | None = None,
          name: str | None = None, **options: Any) -> JaxprReport:
    """The `vmapx jaxpr` report for `jax.vmap(fn, in_axes, out_axes)` on these inputs.

    Inputs are given as for `vmapx.shape` (shapes, specs, structs or arrays, by position).
    `manual` is the hand-batched twin; `options` are analyze's keyword options.
    """
    from vmapx._analysis.shape import function_name, to_spec

    names, _ = _inputs.positional_names(fn, len(args))
    given = {n: to_spec(a) for n, a in zip(names, args)}
    return analyze(fn, given, fn_name=name or function_name(fn), in_axes=in_axes, out_axes=out_axes,
                   batch=batch, axis_size=axis_size, static=static or {}, manual=manual,
                   **options)


def analyze(fn: Callable[..., Any], given: Mapping[str, Any], *, fn_name: str,
            in_axes: Any, out_axes: Any, batch: int | None, axis_size: int | None,
            static: Mapping[str, Any], manual: Callable[..., Any] | None = None,
            manual_name: str | None = None, stage: str = "jaxpr", inline: bool = False,
            source_info: bool = False, name_stack: bool = False, cost: bool = True,
            compile: bool = False, levels_in: list[Any] | None = None,
            levels_out: list[Any] | None = None, ranks: Any = None,
            manual_declared: bool = False) -> JaxprReport:
    """The core of `vmapx jaxpr`. Raises VmapFailure when vmap (or the twin) fails.

    `cost` asks XLA for estimates of the lowered modules; `compile` compiles them instead,
    for the optimised module's estimates and `memory_analysis()`. `levels_in`/`levels_out`
    (outermost first) make a nest of vmaps; `ranks` builds one from base ranks; `given` may
    hold pytrees of shape specs (see jaxpr_nest). A twin the module declared
    (`manual_declared`) is left out of a nest, for which it was not written.
    """
    from vmapx._jaxpr.nest import prepare
    from vmapx._problem.placing import normalise_levels
    from vmapx._analysis.nested import needs_nest
    from vmapx._analysis.shape import enable_x64_if_needed

    if stage not in STAGES:
        raise UsageError(f"unknown stage {stage!r}", f"use one of {', '.join(STAGES)}")
    levels_in, levels_out = normalise_levels(in_axes, out_axes, levels_in, levels_out)
    if needs_nest(given, levels_in, levels_out, ranks, fn):
        from vmapx._text.trees import leaves

        notes = enable_x64_if_needed({f"{n}{p}": s for n, t in given.items()
                                      for p, s in leaves(t)})
        prep = prepare(fn, given, fn_name=fn_name, levels_in=levels_in, levels_out=levels_out,
                       axis_size=axis_size, static=static, ranks=ranks, batch=batch)
        notes += prep.notes
        if manual is not None and manual_declared and len(prep.levels) > 1:
            notes.append(f"the hand-batched {manual_name} that the module declares is written "
                         f"for one vmap, not this nest of {len(prep.levels)}: not compared "
                         "(give --manual to compare a twin of the nest)")
            manual = None
    else:
        notes = enable_x64_if_needed(given)
        f = functools.partial(fn, **static) if static else fn
        placed, size = _inputs.resolve(fn, given, levels_in[0], static, batch, axis_size,
                                       fn_name)
        prep = Prepared(f, placed, size, tuple(p.in_axis for p in placed), levels_out[0])
    return _analyze(prep, notes, fn_name=fn_name, axis_size=axis_size, manual=manual,
                    manual_name=manual_name, stage=stage, inline=inline,
                    source_info=source_info, name_stack=name_stack, cost=cost, compile=compile)


def _analyze(prep: Prepared, notes: list[str], *, fn_name: str, axis_size: int | None,
             manual: Callable[..., Any] | None, manual_name: str | None, stage: str,
             inline: bool, source_info: bool, name_stack: bool, cost: bool, compile: bool
             ) -> JaxprReport:
    import jax

    f, placed, size, axes, out_axes = prep.f, prep.placed, prep.size, prep.axes, prep.out_axes
    examples = [(p.arg.name, p.example_shape, p.arg.dtype) for p in placed]
    show = functools.partial(_text, source_info=source_info, name_stack=name_stack)

    def vmapped(n: int) -> Callable[..., Any]:
        return jax.vmap(f, in_axes=axes, out_axes=out_axes,
                        axis_size=None if axis_size is None else n)

    lowering = functools.partial(lower, cost=cost, compile=compile)
    out_types: list[Any] = []
    if prep.example is None:
        one_t = trace(loop_fn(f, placed, out_axes, 1, out_types), structs(placed, 1),
                       "example", fn_name, examples)
    else:
        one_t = trace(prep.example, structs(prep.example_placed, 0), "example", fn_name,
                       examples)
    one = one_t.jaxpr
    vm_t = trace(vmapped(size), structs(placed, size), "vmap", fn_name, examples)
    vm = vm_t.jaxpr
    vm1 = trace(vmapped(size + 1), structs(placed, size + 1), "vmap", fn_name, examples).jaxpr
    vm_axes = batch_axes(vm, vm1)
    if vm_axes is None:
        notes.append("batch axes not tracked: the jaxpr at batch size B+1 has other equations")
    elif len(prep.levels) > 1:
        notes.append("the batch axes shown are the outermost vmap's (level 0)")
    low = lowering(vm_t, stage=stage)
    label = f"vmap({fn_name.rpartition(':')[2]})"
    for _ in prep.levels[1:]:
        label = f"vmap({label})"
    versions: dict[str, Version | None] = {
        "vmap": _version(label, vm, show, inline, notes, vm_axes, low.cost, cost,
                         low.stablehlo or low.hlo)}
    man = None
    if manual is not None:
        mlabel = manual_name or getattr(manual, "__name__", "manual")
        twin = prep.wrap(manual)
        man_t = trace_manual(twin, mlabel, placed, size, examples)
        man = man_t.jaxpr
        check_outputs(vm, man, label, mlabel, out_axes)
        man1 = try_trace(twin, structs(placed, size + 1))
        mlow = lowering(man_t, stage=stage)
        versions["manual"] = _version(mlabel, man, show, inline, notes,
                                      batch_axes(man, man1) if man1 is not None else None,
                                      mlow.cost, cost, mlow.stablehlo or mlow.hlo)
    else:
        versions["manual"] = None
    if prep.loop_note is None:
        versions["loop"] = _loop_version(out_types[0], placed, out_axes, size, one_t, show,
                                         inline, notes, lowering)
        loop_rows = align(versions["vmap"].equations, versions["loop"].equations)
        loop_verdict = make_verdict(loop_rows, label, "the loop")
    else:
        versions["loop"], loop_rows, loop_verdict = None, [], ""
        notes.append(prep.loop_note)
    if man is not None:
        rows = align(versions["vmap"].equations, versions["manual"].equations)
        verdict, against = make_verdict(rows, label, versions["manual"].label), "manual"
    elif versions["loop"] is not None:
        rows, verdict, against = loop_rows, loop_verdict, "loop"
    else:
        rows, verdict, against = [], "nothing to compare with: no hand-batched twin and no loop", \
            "none"
    warnings = find(one, vm, vm1, rows if man is not None else None, man,
                    versions["manual"].label if man is not None else "the hand-batched version")
    return JaxprReport(fn_name, size, list(axes), versions, against, rows, verdict, loop_rows,
                       loop_verdict, warnings, notes, stage, inline, prep.levels)


def _text(closed: Any, *, source_info: bool, name_stack: bool) -> str:
    return closed.pretty_print(use_color=False, source_info=source_info, name_stack=name_stack)


def _version(label: str, closed: Any, show: Callable[[Any], str], inline: bool,
             notes: list[str], axes: list | None, cost_: Cost | None, want_cost: bool,
             stage_text: str | None) -> Version:
    return Version(label, show(closed), len(compat.flat_eqns(closed)), primitive_counts(closed),
                   equations(closed, axes), cost_,
                   None if cost_ is not None or not want_cost else UNAVAILABLE,
                   _inlined(closed, show, label, notes) if inline else None, stage_text)


def _inlined(closed: Any, show: Callable[[Any], str], label: str, notes: list[str]) -> str | None:
    if not compat.has_calls(closed):
        return None
    try:
        flat = compat.inline_calls(closed)
    except Exception as exc:  # re-binding is best effort: show JAX's nested text instead
        notes.append(f"--inline: could not inline {label}'s nested calls "
                     f"({type(exc).__name__}); showing them nested")
        return None
    if flat is closed:
        notes.append(f"--inline: {label}'s nested calls sit inside control flow; shown nested")
        return None
    return show(flat)


def _loop_version(out_types, placed, out_axes, size, one_t, show, inline, notes, lowering
                  ) -> Version:
    """One iteration's jaxpr; the equation count at B (from the counts at 1 and 2); the cost
    of one iteration × B."""
    one = one_t.jaxpr
    per, base = growth(out_types, placed, out_axes, size, one)
    low = lowering(one_t, stage="jaxpr")
    cost_ = low.cost.scaled(size) if low.cost is not None else None
    want_cost = lowering.keywords["cost"]
    return Version(f"loop over {size}", show(one), base + per * size, primitive_counts(one),
                   equations(one), cost_, None if cost_ is not None or not want_cost else
                   UNAVAILABLE, _inlined(one, show, "the loop", notes) if inline else None,
                   None, per, base, 1)
