"""Rich renderables for a `JaxprReport`. Computes nothing the report does not hold.

Jaxprs are shown as JAX printed them, only coloured; vmap's and the hand-batched one sit side
by side when the console is wide enough for both (as in seed 000), one above the other if not.
"""

from __future__ import annotations

import re
from typing import Any

from rich import box
from rich.box import ROUNDED
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.panel import Panel
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from vmapx._jaxpr.analysis import JaxprReport, Version
from vmapx._jaxpr.diff import AlignRow, Equation
from vmapx._render.common import BATCH_STYLE, DASH, shape_text

ALIGN_ROWS_SHOWN = 40
_STAGE_TITLE = {"jaxpr": "jaxpr", "stablehlo": "StableHLO", "hlo": "compiled HLO"}
_HIGHLIGHTS = (
    (r"(?m)#.*$", "dim"),
    (r"\b(?:bool|[a-z]+\d+)\[[\d,]*\]", "green"),
    (r"(?<== )[a-z_][a-z0-9_]*", "bold cyan"),
    (r"\b(?:lambda|let|in)\b", "magenta"),
)
# The same highlights as one pattern, for one line at a time (the first alternative wins).
_TOKENS = re.compile(r"(?P<dim>#.*$)|(?P<green>\b(?:bool|[a-z]+\d+)\[[\d,]*\])"
                     r"|(?<== )(?P<cyan>[a-z_][a-z0-9_]*)|(?P<magenta>\b(?:lambda|let|in)\b)")
_TOKEN_STYLES = {"dim": Style(dim=True), "green": Style(color="green"),
                 "cyan": Style(color="cyan", bold=True), "magenta": Style(color="magenta")}


def jaxpr_text(text: str) -> Text:
    """JAX's text, coloured: primitives, types, keywords, source comments."""
    out = Text(text)
    for pattern, style in _HIGHLIGHTS:
        out.highlight_regex(pattern, style)
    return out


def _line_segments(line: str, highlight: bool) -> list[Segment]:
    if not highlight:
        return [Segment(line)]
    out, pos = [], 0
    for m in _TOKENS.finditer(line):
        start, end = m.span()
        if start > pos:
            out.append(Segment(line[pos:start]))
        out.append(Segment(line[start:end], _TOKEN_STYLES[m.lastgroup or "dim"]))
        pos = end
    if pos < len(line):
        out.append(Segment(line[pos:]))
    return out


class CodePanel:
    """Jaxpr (or HLO) text in a titled panel, as Rich's Panel draws it.

    When every line fits, the frame and the lines are drawn here, one segment list per line:
    Rich's Panel would measure, pad and crop each line of a long jaxpr through several layers
    (about 4× the time on a 100-layer model). A narrower console gets Rich's Panel, which wraps.
    """

    def __init__(self, text: str, title: str, highlight: bool = True):
        self.text, self.title, self.highlight = text, title, highlight
        self.lines = text.splitlines() or [""]
        longest = max(cell_len(line) for line in self.lines)
        self.width = max(longest + 4, cell_len(title) + 6)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(self.width, options.max_width), self.width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.width > options.max_width:
            body = jaxpr_text(self.text) if self.highlight else Text(self.text)
            yield Panel(body, title=Text(self.title), title_align="left", expand=False)
            return
        for row in self.rows(console, options):
            yield from row
            yield Segment.line()

    def rows(self, console: Console, options: ConsoleOptions) -> list[list[Segment]]:
        """The panel's lines, each exactly `self.width` cells (the caller checked it fits)."""
        frame = ROUNDED.substitute(options, safe=console.safe_box)
        inner = self.width - 4
        title = f" {self.title} "
        rows = [[Segment(frame.top_left + frame.top), Segment(title),
                 Segment(frame.top * (inner - cell_len(title)) + frame.top + frame.top_right)]]
        left, right = Segment(frame.mid_left + " "), Segment(" " + frame.mid_right)
        for line in self.lines:
            rows.append([left, *_line_segments(line, self.highlight),
                         Segment(" " * (inner - cell_len(line))), right])
        rows.append([Segment(frame.bottom_left + frame.bottom * (self.width - 2)
                             + frame.bottom_right)])
        return rows


class SideBySide:
    """Two renderables in a row when the console is at least `need` wide, else stacked."""

    def __init__(self, left: Any, right: Any, need: int):
        self.left, self.right, self.need = left, right, need

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width < self.need:
            yield self.left
            yield self.right
        elif isinstance(self.left, CodePanel) and isinstance(self.right, CodePanel):
            lrows = self.left.rows(console, options)
            rrows = self.right.rows(console, options)
            blank = [Segment(" " * self.left.width)]
            for k in range(max(len(lrows), len(rrows))):
                yield from lrows[k] if k < len(lrows) else blank
                yield Segment(" ")
                yield from rrows[k] if k < len(rrows) else [Segment(" " * self.right.width)]
                yield Segment.line()
        else:
            grid = Table.grid(padding=(0, 1))
            grid.add_column()
            grid.add_column()
            grid.add_row(self.left, self.right)
            yield grid


def _shown(v: Version, stage: str) -> str:
    if stage != "jaxpr" and v.stage_text is not None:
        return v.stage_text
    return v.inlined_text if v.inlined_text is not None else v.text


def _panel(v: Version, stage: str, title: str) -> tuple[CodePanel, int]:
    panel = CodePanel(_shown(v, stage), title, stage == "jaxpr" or v.stage_text is None)
    return panel, panel.width


def _eqns_word(n: int) -> str:
    return f"{n} equation{'s' * (n != 1)}"


def _versions(report: JaxprReport) -> list[Any]:
    stage = report.stage
    what = _STAGE_TITLE[stage]
    vm, man, loop = (report.versions["vmap"], report.versions.get("manual"),
                     report.versions["loop"])
    left, lw = _panel(vm, stage, f"{vm.label} · {what} · {_eqns_word(vm.eqn_count)}")
    parts: list[Any] = []
    if man is not None:
        right, rw = _panel(man, stage, f"{man.label} (hand-batched) · {what} · "
                           f"{_eqns_word(man.eqn_count)}")
        parts.append(SideBySide(left, right, lw + rw + 1))
    else:
        parts.append(left)
    if loop is not None:
        grows = (f"{_eqns_word(loop.eqn_count)} at B={report.batch_size}"
                 f" = {loop.base} + {loop.per_example} per example")
        loop_panel, _ = _panel(loop, "jaxpr", f"loop · one iteration (B=1) · {grows}")
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
    axis = DASH if e.axes is None else ",".join(DASH if a is None else str(a) for a in axes)
    return [str(i), e.primitive, outs, Text(axis, style=BATCH_STYLE if axis != DASH else "")]


def _alignment_table(report: JaxprReport, rows: list[AlignRow], other: Version | None) -> Group:
    vm = report.versions["vmap"]
    title = ("equations, aligned by primitive (batch axis highlighted)" if other is not None
             else "equations (batch axis highlighted)")
    table = Table(title=Text(title, style="bold", no_wrap=True, overflow="ignore"),
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    cols = ("#", vm.label, "output", "batch") + (
        ("", "#", other.label, "output", "batch") if other is not None else ())
    for col in cols:
        table.add_column(col, no_wrap=col != "output", overflow="fold")
    if other is None:
        rows = [AlignRow(e.index, None, e.primitive, True) for e in vm.equations]
    for r in rows[:ALIGN_ROWS_SHOWN]:
        if other is None:
            table.add_row(*_eqn_cells(vm.equations, r.vmap))
            continue
        mark = Text("=", style="green") if r.matched else Text("≠", style="yellow")
        table.add_row(*_eqn_cells(vm.equations, r.vmap), mark,
                      *_eqn_cells(other.equations, r.other), style=None if r.matched else "dim")
    parts: list[Any] = [table]
    if len(rows) > ALIGN_ROWS_SHOWN:
        parts.append(Text(f"… {len(rows) - ALIGN_ROWS_SHOWN} more rows (--json has them all)",
                          style="dim"))
    return Group(*parts)


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
    title = ("XLA cost estimates, compiled modules" if compiled else
             "XLA cost estimates, lowered modules (--compile: optimised, with memory)")
    table = Table(title=Text(title, style="bold", no_wrap=True, overflow="ignore"),
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    with_memory = any(v is not None and v.cost is not None and v.cost.memory
                      for v in report.versions.values())
    cols = ("version", "FLOPs", "transcendentals", "bytes", "vs vmap") + (
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


def _warnings_panel(report: JaxprReport) -> Panel:
    body = Text()
    for k, w in enumerate(report.warnings):
        if k:
            body.append("\n")
        body.append(f"{w.kind} (eqn {w.equation}): ", style="bold yellow")
        body.append(w.message)
    return Panel(body, title="pitfalls", title_align="left", border_style="yellow")


def render_jaxpr(report: JaxprReport) -> Group:
    """The whole `vmapx jaxpr` view: versions, verdict, aligned equations, costs, pitfalls."""
    vm = report.versions["vmap"]
    man = report.versions.get("manual")
    loop = report.versions["loop"]
    head = Text(f"{vm.label}", style="bold cyan")
    if report.levels:
        for lv in report.levels:
            head.append(f"\n  level {lv['level']}: in_axes ({lv['in_axes']}) · out_axes "
                        f"({lv['out_axes']}) · size ", style="bold")
            head.append(str(lv["size"]), style=BATCH_STYLE)
    else:
        head.append(f" · in_axes ({','.join(DASH if a is None else str(a) for a in report.in_axes)})"
                    " · batch size ", style="bold")
        head.append(str(report.batch_size), style=BATCH_STYLE)
    parts: list[Any] = [head, *_versions(report)]
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
    elif man is not None or report.versions["vmap"].equations:
        parts.append(Text("no pitfalls found: no batched cond/while predicate, no gather or "
                          "scatter at batched indices" + (", no extra transposes" if man else ""),
                          style="green"))
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    return Group(*parts)
