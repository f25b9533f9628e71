"""The `mesh` record of a report as Rich renderables: the devices, per-device shapes and
shardings (shape), the collectives and verdict (jaxpr), the mesh timings (bench)."""

from __future__ import annotations

from typing import Any, Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from vmapx._render.common import DASH, shape_text, tight_time, title
from vmapx._report.mesh import MeshInfo, MeshLeaf

PARTS = ("shardings", "collectives", "timings")


def devices_line(info: MeshInfo) -> Text:
    """`mesh data=8 over 8 simulated CPU devices · batch on axis data`."""
    axes = ",".join(f"{n}={s}" for n, s in info.axes.items())
    what = (f"{info.devices} simulated CPU device{'s' * (info.devices != 1)}" if info.simulated
            else f"{info.devices} of {info.available} {info.platform} devices")
    line = Text("mesh ", style="bold")
    line.append(axes, style="bold cyan")
    line.append(f" over {what} · batch sharded over ")
    line.append(info.batch_axis, style="bold cyan")
    if info.process_count > 1:
        line.append(f" · process {info.process_index} of {info.process_count}")
    return line


def _leaf_rows(table: Table, kind: str, leaves: Sequence[MeshLeaf]) -> None:
    for leaf in leaves:
        flag = Text(DASH)
        if leaf.flag is not None:
            flag = Text(f"! {leaf.flag}, not {leaf.expected}", style="bold yellow")
        elif leaf.expected is not None:
            flag = Text("as the batch", style="green")
        table.add_row(kind, leaf.name or "(output)", shape_text(leaf.shape, leaf.dtype),
                      leaf.sharding, shape_text(leaf.device_shape, leaf.dtype), flag)


def shardings_table(info: MeshInfo) -> Table:
    table = Table(title=title("on the mesh: per-device shapes and shardings"),
                  title_justify="left")
    for col in ("", "leaf", "global", "sharding", "per device", "output sharding"):
        table.add_column(col, no_wrap=col != "output sharding")
    _leaf_rows(table, "in", info.inputs)
    _leaf_rows(table, "out", info.outputs)
    return table


def collectives_table(info: MeshInfo) -> Table:
    table = Table(title=title("collectives in the compiled module"), title_justify="left")
    for col in ("n", "collective", "result", "bytes", "from", "source"):
        table.add_column(col, justify="right" if col in ("n", "bytes") else "left")
    for c in info.collectives:
        eqns = ",".join(map(str, c.equations))
        table.add_row(str(c.count), c.kind, c.shape, f"{c.bytes:,}",
                      (c.primitive or DASH) + (f" (eqn {eqns})" if eqns else ""),
                      c.source or (c.op_name or DASH))
    return table


def verdict_line(info: MeshInfo) -> Text:
    return Text(("✓ " if info.parallel else "! ") + info.verdict,
                style="green" if info.parallel else "bold yellow")


def timings_table(info: MeshInfo) -> Group:
    table = Table(title=title("on the mesh: jit-vmap sharded and shard_map vs 1 device"),
                  title_justify="left", box=None, padding=(0, 1),
                  pad_edge=False, header_style="bold")
    for col in ("batch", "variant", "dev", "median ± IQR", "ex/s", "ex/s/dev", "scaling",
                "values"):
        table.add_column(col, no_wrap=True, justify="left" if col in ("variant", "values")
                         else "right")
    why: dict[str, None] = {}
    for t in info.timings:
        if t.status != "timed":
            why[f"{t.variant} {t.status}: {t.detail}"] = None
            table.add_row(str(t.batch_size), t.variant, str(t.devices), DASH, DASH, DASH, DASH,
                          Text(t.status, style="dim" if t.status == "skipped" else "bold red"))
            continue
        table.add_row(str(t.batch_size), t.variant, str(t.devices),
                      f"{tight_time(t.median_s)} ± {tight_time(t.iqr_s)}", _rate(t.throughput),
                      _rate(t.per_device_throughput),
                      DASH if t.scaling_efficiency is None else f"{t.scaling_efficiency:.0%}",
                      "reference" if t.matches is None else ("equal" if t.matches else "differ"))
    return Group(table, *(Text(w, style="dim" if " skipped: " in w else "bold red")
                          for w in why),
                 Text("1-device: jit(vmap) on one device · jit-sharded: jit(vmap) on "
                             "batch-sharded inputs · shard_map: vmap on each device's shard · "
                             "ex/s: examples per second (/dev: per device) · scaling = "
                             "1-device time / time / devices", style="dim"))


def _rate(x: float | None) -> str:
    if x is None:
        return DASH
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"


def render_mesh(info: MeshInfo | None, parts: Sequence[str] = PARTS) -> Group:
    """The mesh record (empty when None): the parts asked for, then the verdict, the remedies
    when XLA inserted collectives, and the notes."""
    if info is None:
        return Group()
    out: list[Any] = [Text(""), devices_line(info)]
    if "shardings" in parts:
        out.append(shardings_table(info))
    if "collectives" in parts and info.collectives:
        out.append(collectives_table(info))
    if "timings" in parts and info.timings:
        out.append(timings_table(info))
    out.append(verdict_line(info))
    if info.remedies:
        out.append(Text("to keep the batch sharded, try:", style="bold"))
        out += [Text(f"  • {r}") for r in info.remedies]
    out += [Text(f"note: {n}", style="yellow") for n in info.notes]
    return Group(*out)
