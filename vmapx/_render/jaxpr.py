"""Rich renderables for a `JaxprReport`. Computes nothing the report does not hold.

Jaxprs are shown as JAX printed them, only coloured (code.py); vmap's and the hand-batched one
side by side when the console is wide enough for both (as in seed 000).
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from vmapx._render.code import CodePanel, SideBySide
from vmapx._render.common import (BATCH_STYLE, DASH, arg_axes_cells, axes_cells, shape_text,
                                  title)
from vmapx._render.shape import error_panel
from vmapx._report.jaxpr import AlignRow, Equation, JaxprReport, Pitfall, Version
from vmapx._text.trees import axes_text

ALIGN_ROWS_SHOWN = 40
_STAGE_TITLE = {"jaxpr": "jaxpr", "stablehlo": "StableHLO", "hlo": "compiled HLO"}


def _shown(v: Version, stage: str) -> str:
    if stage != "jaxpr" and v.stage_text is not None:
        return v.stage_text
    return v.inlined_text if v.inlined_text is not None else v.text


def _panel(v: Version, stage: str, title: str) -> tuple[CodePanel, int]:
    panel = CodePanel(_shown(v, stage), title, stage == "jaxpr" or v.stage_text is None)
    return panel, panel.width


def _eqns_word(n: int) -> str:
    return f"{n} equation{'s' * (n != 1)}"


def _count(v: Version, stage: str) -> str:
    """What the panel shows, counted: the stage's ops (`7 StableHLO ops`), else equations."""
    if stage == "jaxpr" or v.stage_ops is None:
        return _eqns_word(v.eqn_count)
    what = {"stablehlo": "StableHLO op", "hlo": "HLO instruction"}[stage]
    n = len(v.stage_ops)
    return f"{n} {what}{'s' * (n != 1)}"


def _versions(report: JaxprReport) -> list[Any]:
    stage = report.stage
    what = _STAGE_TITLE[stage]
    vm, man, loop = (report.versions["vmap"], report.versions.get("manual"),
                     report.versions.get("loop"))
    left, lw = _panel(vm, stage, f"{vm.label} · {what} · {_count(vm, stage)}")
    parts: list[Any] = []
    if man is not None:
        right, rw = _panel(man, stage, f"{man.label} (hand-batched) · {what} · "
                           f"{_count(man, stage)}")
        parts.append(SideBySide(left, right, lw + rw + 1))
    else:
        parts.append(left)
    if loop is not None:
        grows = (f"{_eqns_word(loop.eqn_count)} at B={report.batch_size}"
                 f" = {loop.base} + {loop.per_example} per example")
        if stage != "jaxpr" and loop.stage_ops is not None:
            grows = _count(loop, stage)
        loop_panel, _ = _panel(loop, stage, f"loop · one iteration (B=1) · {what} · {grows}")
        parts.append(loop_panel)
    return parts


def _verdict_line(label: str, other: str, verdict: str) -> Text:
    same = verdict.startswith("same")
    t = Text(f"{label} vs {other}: ", style="bold")
    t.append(verdict, style="bold green" if same else "bold yellow")
    return t


def _eqn_cells(eqns: list[Equation], i: int | None) -> list[Any]:
    if i is None:
        return ["", "", "", ""]
    e = eqns[i]
    axes = e.axes or []
    outs = Text(", ").join(shape_text(s, d, axes[k] if k < len(axes) else None)
                           for k, (d, s) in enumerate(e.outputs))
    axis = DASH if e.axes is None else axes_cells(axes)
    return [str(i), e.primitive, outs, Text(axis, style=BATCH_STYLE if axis != DASH else "")]


def _alignment_table(report: JaxprReport, rows: list[AlignRow], other: Version | None) -> Group:
    vm = report.versions["vmap"]
    heading = ("equations, aligned by primitive (batch axis highlighted)" if other is not None
               else "equations (batch axis highlighted)")
    if report.stage != "jaxpr" and vm.stage_ops is not None:  # the stage shown, aligned
        what = _STAGE_TITLE[report.stage]
        heading = (f"{what} ops, aligned by op" if other is not None and
                   other.stage_ops is not None else f"{what} ops")
        rows = report.stage_alignment
        vm = _as_stage(vm)
        other = _as_stage(other) if other is not None and other.stage_ops is not None else None
    table = Table(title=title(heading), title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False, padding=0)  # the box puts a space between columns
    n = 4 if report.stage == "jaxpr" or vm.stage_ops is None else 3  # no batch axes there
    side = ("#", vm.label, "output", "batch")[:n]
    cols = side + (("", "#", other.label, "output", "batch")[:n + 1] if other is not None
                   else ())
    for col in cols:
        table.add_column(col, no_wrap=col != "output", overflow="fold")
    if other is None:
        rows = [AlignRow(e.index, None, e.primitive, True) for e in vm.equations]
    for r in rows[:ALIGN_ROWS_SHOWN]:
        if other is None:
            table.add_row(*_eqn_cells(vm.equations, r.vmap)[:n])
            continue
        mark = Text("=", style="green") if r.matched else Text("≠", style="yellow")
        table.add_row(*_eqn_cells(vm.equations, r.vmap)[:n], mark,
                      *_eqn_cells(other.equations, r.other)[:n],
                      style=None if r.matched else "dim")
    parts: list[Any] = [table]
    if len(rows) > ALIGN_ROWS_SHOWN:
        parts.append(Text(f"… {len(rows) - ALIGN_ROWS_SHOWN} more rows (--json has them all)",
                          style="dim"))
    return Group(*parts)


def _as_stage(v: Version) -> Version:
    """The version with its stage's ops in place of its equations (for the one table)."""
    from dataclasses import replace

    return replace(v, equations=v.stage_ops or [])


def _num(v: float | None) -> str:
    if v is None:
        return DASH
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= size:
            return f"{v / size:.3g}{unit}"
    return f"{v:.3g}"


def _costs_table(report: JaxprReport) -> Group:
    base = report.versions["vmap"].cost
    compiled = base is not None and base.source == "compiled"
    heading = ("XLA cost estimates, compiled modules" if compiled else
               "XLA cost estimates, lowered modules (--compile: optimised, with memory)")
    table = Table(title=title(heading), title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    with_memory = any(v is not None and v.cost is not None and v.cost.memory
                      for v in report.versions.values())
    cols = ("version", "FLOPs", "transcendentals", "bytes", "FLOPs vs vmap") + (
        ("args mem", "out mem", "temp mem") if with_memory else ())
    for col in cols:
        table.add_column(col, justify="left" if col == "version" else "right",
                         no_wrap=col == "version")
    notes = []
    for key in ("vmap", "manual", "loop"):
        v = report.versions.get(key)
        if v is None:
            continue
        label = v.label if key != "loop" else f"loop (1 iteration × {report.batch_size})"
        c = v.cost
        if c is None:
            table.add_row(label, Text(v.cost_note or "not computed", style="dim"),
                          *[""] * (len(cols) - 2))
            continue
        ratio = (f"{c.flops / base.flops:.2f}×" if base is not None and base.flops and
                 c.flops is not None else DASH)
        mem = [DASH if c.memory is None or k not in c.memory else f"{c.memory[k]:,} B"
               for k in ("argument", "output", "temp")] if with_memory else []
        table.add_row(label, _num(c.flops), _num(c.transcendentals), _num(c.bytes_accessed),
                      ratio, *mem)
    parts: list[Any] = [table] + notes
    return Group(*parts)


_EQNS_SHOWN = 6  # equation numbers listed for a pitfall found at many equations


def _grouped(warnings: list[Pitfall]) -> list[tuple[str, list[int], str]]:
    """(kind, equations, message) per distinct pitfall: the same finding at many equations
    (a transpose in each of 1,600 layers) is one entry listing where, not 1,600 paragraphs;
    a finding at one equation keeps its own message."""
    groups: dict[tuple[str, str], list[Pitfall]] = {}
    for w in warnings:
        groups.setdefault((w.kind, w.message.replace(f" (eqn {w.equation})", "")), []).append(w)
    return [(kind, [w.equation for w in found], message if len(found) > 1 else found[0].message)
            for (kind, message), found in groups.items()]


def _where(eqns: list[int]) -> str:
    """`eqn 3`; `×3, eqns 1, 6, 11`; `×1600, eqns 1, 6, 11, 16, 21, … 7996`."""
    if len(eqns) == 1:
        return f"eqn {eqns[0]}"
    listed = eqns if len(eqns) <= _EQNS_SHOWN else eqns[:_EQNS_SHOWN - 1]
    more = f", … {eqns[-1]}" if len(eqns) > _EQNS_SHOWN else ""
    return f"×{len(eqns)}, eqns {', '.join(map(str, listed))}{more}"


def _warnings_panel(report: JaxprReport) -> Panel:
    body = Text()
    for k, (kind, eqns, message) in enumerate(_grouped(report.warnings)):
        if k:
            body.append("\n")
        body.append(f"{kind} ({_where(eqns)}): ", style="bold yellow")
        body.append(message)
    return Panel(body, title="pitfalls", title_align="left", border_style="yellow")


def _head(report: JaxprReport, label: str) -> Text:
    """`vmap(model) · in_axes (0) · batch size 4`, or one line per level of a nest."""
    head = Text(label, style="bold cyan")
    if len(report.levels) > 1:
        for lv in report.levels:
            head.append(f"\n  level {lv.level}: in_axes ({axes_text(lv.in_axes)}) · out_axes "
                        f"({axes_text(lv.out_axes)}) · size ", style="bold")
            head.append(str(lv.batch_size), style=BATCH_STYLE)
    elif report.batch_size is not None:
        axes = (arg_axes_cells([i.name for i in report.inputs], report.in_axes)
                if len(report.inputs) == len(report.in_axes) else axes_cells(report.in_axes))
        head.append(f" · in_axes ({axes}) · batch size ", style="bold")
        head.append(str(report.batch_size), style=BATCH_STYLE)
    return head


def _failed(report: JaxprReport, show_jax_message: bool) -> Group:
    label = "vmap(" * max(len(report.levels), 1) + report.function.rpartition(":")[2] \
        + ")" * max(len(report.levels), 1)
    parts: list[Any] = [_head(report, label), error_panel(report, show_jax_message)]
    parts += [Text(f"note: {note}", style="yellow") for note in report.notes]
    return Group(*parts)


def render_jaxpr(report: JaxprReport, show_jax_message: bool = False) -> Group:
    """The whole `vmapx jaxpr` view: versions, verdict, aligned equations, costs, pitfalls;
    or, when the vmap fails, why (JAX's own message too with `show_jax_message`)."""
    if report.error is not None:
        return _failed(report, show_jax_message)
    vm = report.versions["vmap"]
    man = report.versions.get("manual")
    loop = report.versions.get("loop")
    parts: list[Any] = [_head(report, vm.label), *_versions(report)]
    if man is not None:
        parts.append(_verdict_line(vm.label, man.label, report.verdict))
    if loop is not None:
        parts.append(_verdict_line(vm.label, "one loop iteration", report.loop_verdict))
    other = man if man is not None else loop
    parts.append(_alignment_table(report, report.alignment, other))
    if any(v is not None and (v.cost is not None or v.cost_note)
           for v in report.versions.values()):
        parts.append(_costs_table(report))
    if report.warnings:
        parts.append(_warnings_panel(report))
    elif man is not None or vm.equations:
        parts.append(Text("no pitfalls found: no batched cond/while predicate, no gather or "
                          "scatter at batched indices" + (", no extra transposes" if man else ""),
                          style="green"))
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    if report.mesh is not None:
        from vmapx._render.mesh import render_mesh

        parts.append(render_mesh(report.mesh, ("collectives",)))
    return Group(*parts)
