"""Rich renderables for a `BenchReport`: header, a table per function, a chart per sweep.

Computes nothing the report does not hold (the chart only places its numbers on a grid).
"""

from __future__ import annotations

import math
import re
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from vmapx._render.common import DASH, fmt_time, tight_time
from vmapx._render.shape import error_panel
from vmapx._report.bench import BenchReport, VariantResult

MARKERS = {"loop": ("●", "red"), "loop-jit": ("○", "magenta"), "vmap": ("▲", "yellow"),
           "jit-vmap": ("■", "green"), "lax-map": ("◆", "cyan"), "manual": ("▼", "blue"),
           "jit-manual": ("★", "bright_green")}


def _machine(report: BenchReport) -> Text:
    """`vmapx bench · cpu · device … · JAX … · x64 off · CPU dispatch sync`."""
    t = Text("vmapx bench", style="bold")
    t.append(f" · {report.backend} · device {report.device} ({report.device_kind}) · "
             f"JAX {report.jax_version} · x64 {'on' if report.x64 else 'off'}")
    if report.cpu_async_dispatch is not None:
        t.append(f" · CPU dispatch {'async' if report.cpu_async_dispatch else 'sync'}")
    return t


def _header(report: BenchReport) -> Group:
    s = report.settings
    how = Text(f"time per call: median, and the middle half of the samples (q1–q3), over "
               f"≥{s.get('runs')} samples and "
               f"≥{s.get('min_time_s')} s per variant, each sample ≥{fmt_time(s.get('sample_time_s'))}"
               " of repeated calls, outputs blocked; compile = lower + compile, apart; "
               "speedup = loop median / median", style="dim")
    return Group(_machine(report), how)


def _speedup(r: VariantResult) -> Text:
    if r.speedup_vs_loop is None:
        return Text(DASH)
    v = r.speedup_vs_loop
    text = f"{v:.2f}×" if v < 10 else f"{v:.3g}×" if v < 1000 else f"{v:.0f}×"
    if r.variant == "loop":
        return Text(text, style="dim")
    return Text(text, style="bold green" if v >= 1.5 else "red" if v < 0.9 else "")


def _median(r: VariantResult) -> Text:
    if r.status == "mismatch":
        return Text("✗ values differ", style="bold red")
    if r.status == "error":
        return Text("✗ failed", style="bold red")
    if r.status == "skipped":
        return Text("– skipped", style="dim")
    return Text(tight_time(r.median_s))


def _spread(r: VariantResult) -> str:
    """`1.20–1.31ms`: where the middle half of the samples lies (not a symmetric ± bar)."""
    if r.q1_s is None or r.q3_s is None:
        return DASH
    lo, hi = tight_time(r.q1_s), tight_time(r.q3_s)
    unit = lo.lstrip("0123456789.")
    if unit and hi.endswith(unit) and hi[: -len(unit)].replace(".", "").isdigit():
        lo = lo[: -len(unit)]  # `1.20–1.31ms`, the unit said once
    return f"{lo}–{hi}"


# A variant's warning, as stats words it, → (what, its figure): grouped one line per kind.
_KINDS = ((re.compile(r"wide spread: the IQR is (\S+) of the median"),
           "wide spread (the IQR as a share of the median)"),
          (re.compile(r"the first sample took (\S+) the median"),
           "a slow first sample (against the median)"),
          (re.compile(r"compiled (\d+) times? while being timed"),
           "compiled while timed (compilations)"))


def _warning_lines(rows: list[VariantResult], sweep: bool) -> list[Text]:
    """One line per kind of warning for a function's timings: which variants, each one's
    figure, and the remedy once (not one line per variant: on a busy machine most are)."""
    timed = sum(r.status == "timed" for r in rows)
    groups: dict[tuple[str, str], dict[int, list[str]]] = {}
    for r in rows:
        for w in r.warnings:
            said, _, remedy = w.rpartition("; ")
            kind, figure = next(((name, m.group(1)) for rx, name in _KINDS
                                 if (m := rx.match(said))), (said or w, ""))
            groups.setdefault((kind, remedy if said else ""), {}).setdefault(
                r.batch_size, []).append(f"{r.variant} {figure}".rstrip())
    out = []
    for (kind, remedy), by_batch in groups.items():
        n = sum(map(len, by_batch.values()))
        which = "; ".join((f"batch {b}: " if sweep else "") + ", ".join(names)
                          for b, names in by_batch.items())
        out.append(Text(f"! {kind} in {n} of {timed} timing{'s' * (timed != 1)} ({which})"
                        + (f": {remedy}" if remedy else ""), style="yellow"))
    return out


def _table(report: BenchReport, function: str) -> Group:
    rows = [r for r in report.results if r.function == function]
    sweep = len(report.batch_sizes(function)) > 1
    title = Text(function, style="bold cyan")
    if not sweep and rows:
        title.append(f" · batch {_batch(rows[0])} · {rows[0].inputs}", style="bold")
    elif rows:
        title.append(" · batch " + ", ".join(map(str, report.batch_sizes(function))),
                     style="bold")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    cols = (["batch"] if sweep else []) + ["variant", "compile", "median", "q1–q3",
                                           "samples", "speedup"]
    for col in cols:
        table.add_column(col, no_wrap=True,
                         justify="left" if col in ("variant", "q1–q3") else "right")
    last_batch = None
    for r in rows:
        marker, colour = MARKERS.get(r.variant, ("·", ""))
        name = Text(f"{marker} ", style=colour).append(r.variant)
        cells = [name, tight_time(r.compile_s), _median(r), _spread(r),
                 str(r.samples) if r.samples else DASH, _speedup(r)]
        if sweep:
            cells.insert(0, str(r.batch_size) if r.batch_size != last_batch else "")
            if r.batch_size != last_batch and last_batch is not None:
                table.add_section()
            last_batch = r.batch_size
        table.add_row(*cells)
    parts: list = [table]
    skipped: dict[str, list[str]] = {}  # one line per reason, naming every variant it skips
    for r in rows:
        if r.detail and r.status == "skipped":
            names = skipped.setdefault(r.detail, [])
            if r.variant not in names:
                names.append(r.variant)
    for detail, names in skipped.items():
        parts.append(Text(f"– {', '.join(names)} skipped: {detail}", style="dim"))
    failures: dict[str, list[str]] = {}  # one line per failure, naming every variant it hit
    for r in rows:
        where = f"{r.variant}" + (f" (batch {r.batch_size})" if sweep else "")
        if r.status != "skipped" and r.detail:
            failures.setdefault(r.detail, []).append(where)
    for detail, wheres in failures.items():
        parts.append(Text(f"✗ {', '.join(wheres)}: {detail}", style="red"))
    if any(r.status == "error" for r in rows):
        parts.append(Text.assemble(("hint: ", "bold green"), (
            "`vmapx shape` with the same arguments explains a failing function in your "
            "argument names, and with --debug shows the traceback")))
    parts += _warning_lines(rows, sweep)
    if sweep and any(r.median_s for r in rows):
        parts.append(SweepChart(rows))
    return Group(*parts)


def _batch(r: VariantResult) -> str:
    """`64`, or `4×3 = 12` for a nest of vmaps (each level's size, outermost first)."""
    if len(r.batch_shape) > 1:
        return "×".join(map(str, r.batch_shape)) + f" = {r.batch_size}"
    return str(r.batch_size)


class SweepChart:
    """Time per call (log) against batch size (log), one marker and colour per variant."""

    HEIGHT = 12

    def __init__(self, rows: list[VariantResult]):
        self.series: dict[str, list[tuple[int, float]]] = {}
        for r in rows:
            if r.median_s:
                self.series.setdefault(r.variant, []).append((r.batch_size, r.median_s))
        self.batches = sorted({b for pts in self.series.values() for b, _ in pts})

    def _grid(self, width: int, h: int, col: Any, row: Any
              ) -> tuple[list[list[tuple[str, str] | None]], bool]:
        """Lines first, then every marker; a marker whose cell another one took moves a row
        or two (said under the chart), so no series hides another (the loop baseline did)."""
        grid: list[list[tuple[str, str] | None]] = [[None] * width for _ in range(h)]
        for variant, pts in self.series.items():
            mark, colour = MARKERS.get(variant, ("·", ""))
            pts = sorted(pts)
            for (b0, t0), (b1, t1) in zip(pts, pts[1:]):
                c0, c1 = col(b0), col(b1)
                for c in range(c0 + 1, c1):
                    frac = (c - c0) / (c1 - c0)
                    r = round(row(t0) + (row(t1) - row(t0)) * frac)
                    if grid[r][c] is None:
                        grid[r][c] = ("·", colour)
        nudged = False
        for variant, pts in self.series.items():  # markers last: a point is never hidden
            mark, colour = MARKERS.get(variant, ("·", ""))
            for b, t in pts:
                r, c = round(row(t)), col(b)
                free = [x for x in (r, r - 1, r + 1, r - 2, r + 2) if 0 <= x < h and
                        (grid[x][c] is None or grid[x][c][0] == "·")]
                nudged = nudged or (bool(free) and free[0] != r)
                grid[free[0] if free else r][c] = (mark, colour)
        return grid, nudged

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        times = [t for pts in self.series.values() for _, t in pts]
        lo, hi = math.log10(min(times)), math.log10(max(times))
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        label_w = 9
        width = max(20, min(options.max_width - label_w - 2, 100))
        h = self.HEIGHT
        b_lo, b_hi = math.log(self.batches[0]), math.log(self.batches[-1])

        def col(b: int) -> int:
            return round((math.log(b) - b_lo) / ((b_hi - b_lo) or 1) * (width - 1))

        def row(t: float) -> float:
            return (hi - math.log10(t)) / (hi - lo) * (h - 1)

        grid, nudged = self._grid(width, h, col, row)
        yield Text("time per call against batch size (both log scales)", style="bold")
        for i, line in enumerate(grid):
            label = ""
            if i in (0, h // 2, h - 1):
                label = tight_time(10 ** (hi - (hi - lo) * i / (h - 1)))
            text = Text(f"{label:>{label_w}} ┤", style="dim")
            for cell in line:
                text.append(cell[0] if cell else " ", style=cell[1] if cell else None)
            yield text
        yield Text(" " * label_w + " └" + "─" * width, style="dim")
        axis = [" "] * width
        for b in self.batches:
            s = str(b)
            start = min(max(col(b) - len(s) // 2, 0), width - len(s))
            axis[start:start + len(s)] = list(s)
        yield Text(" " * (label_w + 2) + "".join(axis).rstrip(), style="dim")
        yield Text(" " * (label_w + 2) + "batch size", style="dim")
        line, used = Text(" " * (label_w + 2)), label_w + 2
        for variant in self.series:  # the legend, wrapped between entries only
            mark, colour = MARKERS.get(variant, ("·", ""))
            if used + len(variant) + 4 > options.max_width and used > label_w + 2:
                yield line
                line, used = Text(" " * (label_w + 2)), label_w + 2
            line.append(f"{mark} ", style=colour).append(f"{variant}  ")
            used += len(variant) + 4
        yield line
        if nudged:
            yield Text(" " * (label_w + 2) + "(points that fall on the same cell are moved a "
                       "row or two apart, so each shows)", style="dim")


def render_bench(report: BenchReport, show_jax_message: bool = False) -> Group:
    """The whole `vmapx bench` view: header, a table (and chart) per function, the change
    against the baseline, notes; for a failing vmap, the error instead of tables."""
    if report.error is not None:
        parts: list = [_machine(report), error_panel(report, show_jax_message)]
        parts += [Text(f"note: {note}", style="yellow") for note in report.notes]
        return Group(*parts)
    parts = [_header(report)]
    for function in report.functions:
        parts += [Text(""), _table(report, function)]
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    n = sum(r.median_s is not None for r in report.results)
    done = Text(f"{n} variant{'s' * (n != 1)} measured in {report.wall_s or 0:.1f} s",
                style="dim")
    if report.interrupted:
        done = Text(f"interrupted (Ctrl-C): showing the {n} variant{'s' * (n != 1)} measured "
                    f"before it, in {report.wall_s or 0:.1f} s", style="bold yellow")
    if report.mesh is not None:
        from vmapx._render.mesh import render_mesh

        parts.append(render_mesh(report.mesh, ("timings",)))
    parts += [Text(""), done]
    if report.compare is not None:
        from vmapx._render.compare import render_compare

        parts.append(render_compare(report))
    return Group(*parts)
