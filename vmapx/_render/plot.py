"""`--plot FILE`: the report as a self-contained SVG, written by hand (no plotting library).

One panel per function: for a sweep, time per call against batch size (both log scales), a
line per variant; for one batch size, a bar per variant on a log scale.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from vmapx._render.common import fmt_time
from vmapx._report.bench import BenchReport, VariantResult

COLOURS = {"loop": "#d62728", "loop-jit": "#9467bd", "vmap": "#bcbd22", "jit-vmap": "#2ca02c",
           "lax-map": "#17becf", "manual": "#1f77b4", "jit-manual": "#8c564b"}
W, PANEL_H = 760, 330
LEFT, RIGHT, TOP, BOTTOM = 80, 150, 40, 45


def _decades(lo: float, hi: float) -> tuple[float, float]:
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    return float(a), float(b if b > a else a + 1)


def _text(x: float, y: float, s: str, anchor: str = "start", size: int = 12,
          extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'{extra}>{escape(s)}</text>')


def _y_axis(y0: float, lo: float, hi: float, scale) -> list[str]:
    out = []
    for d in range(int(lo), int(hi) + 1):
        y = scale(10.0 ** d)
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                   'stroke="#ddd"/>')
        out.append(_text(LEFT - 6, y + 4, fmt_time(10.0 ** d), "end", 11))
    return out


def _sweep(rows: list[VariantResult], y0: float) -> list[str]:
    timed = [r for r in rows if r.median_s]
    batches = sorted({r.batch_size for r in timed})
    lo, hi = _decades(min(r.median_s for r in timed), max(r.median_s for r in timed))
    b_lo, b_hi = math.log(batches[0]), math.log(batches[-1])
    plot_w, plot_h = W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM

    def x(b: int) -> float:
        return LEFT + (math.log(b) - b_lo) / ((b_hi - b_lo) or 1) * plot_w

    def y(t: float) -> float:
        return y0 + TOP + (hi - math.log10(t)) / (hi - lo) * plot_h

    out = _y_axis(y0, lo, hi, y)
    for b in batches:
        out.append(_text(x(b), y0 + PANEL_H - BOTTOM + 16, str(b), "middle", 11))
    out.append(_text(LEFT + plot_w / 2, y0 + PANEL_H - 8, "batch size (log)", "middle", 11))
    variants = list(dict.fromkeys(r.variant for r in timed))
    for i, v in enumerate(variants):
        pts = sorted((r.batch_size, r.median_s) for r in timed if r.variant == v)
        colour = COLOURS.get(v, "#444")
        coords = " ".join(f"{x(b):.1f},{y(t):.1f}" for b, t in pts)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                   'stroke-width="2"/>')
        out += [f'<circle cx="{x(b):.1f}" cy="{y(t):.1f}" r="3" fill="{colour}"/>'
                for b, t in pts]
        ly = y0 + TOP + 14 + 18 * i
        out.append(f'<line x1="{W - RIGHT + 12}" x2="{W - RIGHT + 32}" y1="{ly - 4}" '
                   f'y2="{ly - 4}" stroke="{colour}" stroke-width="3"/>')
        out.append(_text(W - RIGHT + 38, ly, v))
    return out


def _bars(rows: list[VariantResult], y0: float) -> list[str]:
    timed = [r for r in rows if r.median_s]
    lo, hi = _decades(min(r.median_s for r in timed), max(r.median_s for r in timed))
    plot_w = W - LEFT - RIGHT
    step = (PANEL_H - TOP - BOTTOM) / max(len(timed), 1)
    out = []
    for d in range(int(lo), int(hi) + 1):
        x = LEFT + (d - lo) / (hi - lo) * plot_w
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0 + TOP}" '
                   f'y2="{y0 + PANEL_H - BOTTOM}" stroke="#ddd"/>')
        out.append(_text(x, y0 + PANEL_H - BOTTOM + 16, fmt_time(10.0 ** d), "middle", 11))
    for i, r in enumerate(timed):
        top = y0 + TOP + i * step + 2
        length = (math.log10(r.median_s) - lo) / (hi - lo) * plot_w
        out.append(f'<rect x="{LEFT}" y="{top:.1f}" width="{max(length, 1):.1f}" '
                   f'height="{max(step - 4, 2):.1f}" fill="{COLOURS.get(r.variant, "#444")}"/>')
        out.append(_text(LEFT - 6, top + step / 2 + 2, r.variant, "end", 11))
        out.append(_text(LEFT + length + 4, top + step / 2 + 2, fmt_time(r.median_s), size=11))
    out.append(_text(LEFT + plot_w / 2, y0 + PANEL_H - 8, "time per call (log)", "middle", 11))
    return out


def to_svg(report: BenchReport) -> str:
    """Every function's panel, stacked, under a title naming the machine."""
    panels = [f for f in report.functions
              if any(r.median_s for r in report.results if r.function == f)]
    height = 30 + PANEL_H * max(len(panels), 1)
    kind = (f" ({report.device_kind})" if report.device_kind.lower() != report.backend.lower()
            else "")  # `cpu`, not `cpu · cpu`; `gpu (NVIDIA H200)`
    body = [_text(10, 20, f"vmapx bench · {report.backend}{kind} · "
                  f"JAX {report.jax_version} · x64 {'on' if report.x64 else 'off'}", size=14,
                  extra='font-weight="bold"')]
    for i, f in enumerate(panels):
        rows = [r for r in report.results if r.function == f]
        y0 = 30 + PANEL_H * i
        sweep = len({r.batch_size for r in rows if r.median_s}) > 1
        title = f if sweep else f"{f} · batch {rows[0].batch_size}"
        body.append(_text(LEFT, y0 + 24, title, size=13, extra='font-weight="bold"'))
        body += _sweep(rows, y0) if sweep else _bars(rows, y0)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" '
            f'viewBox="0 0 {W} {height}" font-family="sans-serif">\n'
            f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(body) + "\n</svg>\n")
