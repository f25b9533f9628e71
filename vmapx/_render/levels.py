"""Rich renderables for a nest of vmaps (`ShapeReport.levels`). Computes nothing itself."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from vmapx._text.trees import axes_text
from vmapx._render.common import BATCH_STYLE, DASH, shape_text, title
from vmapx._report.shape import ShapeReport



def call_line(report: ShapeReport) -> Text:
    """`vmap(vmap(foo)) · ranks s=0,v=1,m=2 · batch dims 7,5`."""
    n = len(report.levels)
    t = Text("vmap(" * n, style="bold")
    t.append(report.function, style="bold cyan")
    t.append(")" * n, style="bold")
    if report.ranks is not None:
        t.append(" · ranks " + ",".join(f"{k}={axes_text(v)}" for k, v in report.ranks.items()),
                 style="bold")
    sizes = [lv.batch_size for lv in report.levels]
    if sizes:
        t.append(f" · batch size{'s' * (n > 1)} ", style="bold")
        t.append(",".join(DASH if s is None else str(s) for s in sizes), style=BATCH_STYLE)
    elif report.error is None:   # a failure before the nest was built says nothing of its depth
        t.append(" · no vmap (no extra leading dims)", style="bold")
    return t


def levels_table(report: ShapeReport) -> Table:
    """One row per vmap, outermost first: its in_axes, batch size, inputs and outputs."""
    table = Table(title=title("levels (outermost first)"), title_justify="left")
    table.add_column("level", no_wrap=True)
    table.add_column("in_axes", overflow="fold")
    table.add_column("batch", no_wrap=True)
    table.add_column("called with")
    table.add_column("out_axes", overflow="fold")
    table.add_column("returns")
    names = [i.name for i in report.inputs]
    out_names = [o.path or "out" for o in report.outputs]
    for lv in report.levels:
        called = Text("\n").join(
            Text(f"{n} ").append_text(shape_text(s, None, a))
            for n, s, a in zip(names, lv.shapes, lv.axes))
        returns = Text("\n").join(
            (Text(f"{n} ") if len(out_names) > 1 else Text()).append_text(shape_text(s))
            for n, s in zip(out_names, lv.output_shapes))
        table.add_row(str(lv.level), axes_text(lv.in_axes),
                      DASH if lv.batch_size is None else str(lv.batch_size), called,
                      axes_text(lv.out_axes), returns)
    return table
