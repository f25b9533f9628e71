"""Rich renderables for a `ShapeReport`. Computes nothing the report does not hold."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from vmapx._render.common import (BATCH_STYLE, DASH, arg_axes_cells, axes_cells, common_cell,
                                  shape_text, title, tree_rows)
from vmapx._render.levels import call_line, levels_table
from vmapx._report.shape import ShapeReport

def _call(report: ShapeReport) -> Text:
    req = report.requested_in_axes
    # the in_axes as given where they could not be placed (wrong length, an axis out of range)
    unfit = report.error is not None and report.error.kind in ("in_axes_length",
                                                               "axis_out_of_range")
    axes = (arg_axes_cells([i.name for i in report.inputs], [i.in_axis for i in report.inputs])
            if report.inputs and not unfit else
            axes_cells(req) if isinstance(req, (list, tuple)) else axes_cells([req]))
    t = Text("vmap(", style="bold")
    t.append(report.function, style="bold cyan")
    t.append(f") · in_axes ({axes})", style="bold")
    if report.outputs:
        out = arg_axes_cells(["out" + o.path for o in report.outputs],
                             [o.out_axis for o in report.outputs])
        t.append(f" · out_axes ({out})", style="bold")
    if report.batch_size is not None:
        t.append(" · batch size ", style="bold")
        t.append(str(report.batch_size), style=BATCH_STYLE)
    return t


def _leaves_note(count: int) -> Text:
    return Text(f"{count} lea{'f' if count == 1 else 'ves'}", style="dim")


def _inputs_table(report: ShapeReport) -> Table:
    """One row per argument; a tree's leaves indented below it by key path."""
    table = Table(title=title("inputs"), title_justify="left")
    for col in ("argument", "batched shape", "in_axis", "batch", "per example"):
        table.add_column(col, no_wrap=col != "argument")
    inputs = report.inputs
    for label, idx, role in tree_rows(i.name for i in inputs):
        name = Text(label)
        if role == "tree":
            table.add_row(name, _leaves_note(len(idx)),
                          common_cell(inputs[i].in_axis for i in idx),
                          common_cell(inputs[i].batch_size for i in idx), "")
            continue
        i = inputs[idx[0]]
        if i.borrowed_from:
            name.append(f" (from {i.borrowed_from})", style="dim")
        table.add_row(name, shape_text(i.shape, i.dtype, i.in_axis),
                      DASH if i.in_axis is None else str(i.in_axis),
                      DASH if i.batch_size is None else str(i.batch_size),
                      shape_text(i.example_shape, i.dtype))
    return table


def _label(path: str) -> str:
    return path or "out"


def _outputs_table(report: ShapeReport) -> Table:
    """One row per output; a tree's leaves indented below `out` by key path."""
    table = Table(title=title("outputs"), title_justify="left")
    for col in ("output", "per example", "batched shape", "out_axis"):
        table.add_column(col, no_wrap=True)
    outputs = report.outputs
    for label, idx, role in tree_rows("out" + o.path for o in outputs):
        if role == "tree":
            table.add_row(label, "", _leaves_note(len(idx)),
                          common_cell(outputs[i].out_axis for i in idx))
            continue
        o = outputs[idx[0]]
        table.add_row(label, shape_text(o.example_shape, o.dtype),
                      shape_text(o.shape, o.dtype, o.out_axis),
                      DASH if o.out_axis is None else str(o.out_axis))
    return table


def _pattern_table(report: ShapeReport) -> Group:
    """One row per positive out_axes, its negative alias beside it (they give the same shape)."""
    table = Table(title=title("where the batch axis lands for each out_axes"),
                  title_justify="left")
    table.add_column("out_axes", no_wrap=True)
    size = report.batch_size
    for o in report.outputs:
        table.add_column(_label(o.path), no_wrap=True)
    rank = max(len(o.example_shape) for o in report.outputs)
    by_k = {row.out_axes: row for row in report.out_axes_pattern}
    current = [o.out_axis for o in report.outputs]
    for k in range(0, rank + 1):
        row = by_k[k]
        cells = [_marked(s, k) if s is not None else Text(DASH) for s in row.shapes]
        mark = " ◀" if all(c == k for c in current) else ""
        table.add_row(Text(f"{k} ≡ {k - rank - 1}{mark}"), *cells)
    rule = Text(f"B is the batch axis{f' (size {size})' if size is not None else ''}; "
                "rule: out_axes=k puts the batch axis at position k; going from k-1 to k swaps "
                "axes k-1 and k (negative k counts from the end)", style="dim")
    return Group(table, rule)


def _marked(shape: Any, k: int) -> Text:
    """`[3,B]`: the batch dim named, not only coloured (sizes may be equal: `[3,3]`)."""
    text = Text("[")
    for i, d in enumerate(shape):
        if i:
            text.append(",")
        text.append("B", style=BATCH_STYLE) if i == k else text.append(str(d))
    return text.append("]")


def error_panel(report: Any, show_jax_message: bool) -> Panel:
    """Why the vmap fails (any report's `error`): message, hint, in_axes that work."""
    err = report.error
    body = Text()
    body.append(err.message)
    if err.hint:
        body.append("\nhint: ", style="bold green")
        body.append(err.hint)
    parts = [body]
    if err.suggestions:
        table = Table(title=title("in_axes that work (closest to yours first)"),
                      title_justify="left")
        table.add_column("--in-axes", no_wrap=True)
        table.add_column("output shapes", no_wrap=False)
        for s in err.suggestions:
            table.add_row(",".join("None" if a is None else str(a) for a in s.in_axes),
                          Text(", ").join(shape_text(x) for x in s.shapes))
        parts.append(table)
    if show_jax_message and err.jax_message:
        parts.append(Text("JAX said: ", style="bold").append(err.jax_message, style="dim"))
    return Panel(Group(*parts), title=f"vmap fails: {err.kind}"
                 + (f" ({err.detail})" if err.detail and err.detail != err.kind else ""), title_align="left",
                 border_style="red")


def _explore_table(report: ShapeReport) -> Group:
    table = Table(title=title("every in_axes combination"), title_justify="left")
    table.add_column("", no_wrap=True)
    for name in report.arguments:
        table.add_column(name, no_wrap=True)
    table.add_column("result")
    for row in report.explore:
        result = (Text(", ").join(shape_text(s) for s in row.shapes) if row.shapes is not None
                  else Text(f"✗ {row.reason}", style="red"))
        table.add_row("▶" if row.mine else "",
                      *[DASH if a is None else str(a) for a in row.in_axes], result)
    parts = [table]
    if report.explore_note:
        parts.append(Text(report.explore_note, style="yellow"))
    return Group(*parts)


def render_shape(report: ShapeReport, show_jax_message: bool = False) -> Group:
    """The whole `vmapx shape` view: call, inputs, outputs, pattern, explore, error, notes."""
    nest = len(report.levels) > 1 or report.ranks is not None
    parts = [call_line(report) if nest else _call(report)]
    if report.inputs:
        parts.append(_inputs_table(report))
    if nest and report.levels:
        parts.append(levels_table(report))
    if report.outputs:
        parts.append(_outputs_table(report))
        if report.out_axes_pattern:
            parts.append(_pattern_table(report))
    if report.explore is not None:
        parts.append(_explore_table(report))
    if report.error is not None:
        parts.append(error_panel(report, show_jax_message))
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    if report.mesh is not None:
        from vmapx._render.mesh import render_mesh

        parts.append(render_mesh(report.mesh, ("shardings",)))
    return Group(*parts)
