"""Rich renderables for every report; `to_text` and `to_html` for notebooks and `print()`.

Renderers read report data only: nothing here imports an analysis or the problem.
"""

from __future__ import annotations

import io
from typing import Any


def renderable(report: Any) -> Any:
    """The Rich renderable of any report."""
    command = getattr(report, "command", "")
    if command == "jaxpr":
        from vmapx._render.jaxpr import render_jaxpr

        return render_jaxpr(report)
    if command == "bench":
        from vmapx._render.bench import render_bench

        return render_bench(report)
    from vmapx._render.shape import render_shape

    return render_shape(report)


def _recorded(report: Any, width: int) -> Any:
    from rich.console import Console

    console = Console(record=True, width=width, file=io.StringIO(),
                      force_jupyter=False)  # in Jupyter, Rich would display it too
    console.print(renderable(report))
    return console


def to_text(report: Any, width: int | None = None) -> str:
    """The report as plain text, as the terminal shows it (`print(report)`): at the
    terminal's width, as the CLI's console measures it, unless `width` is given."""
    if width is None:
        from rich.console import Console

        width = Console(force_jupyter=False).width
    return _recorded(report, width).export_text(styles=False)


def to_html(report: Any, width: int | None = None) -> str:
    """The report as self-contained HTML (Jupyter's `_repr_html_`): the terminal's tables
    (jaxprs wide enough to stand side by side), and a bench's chart as inline SVG."""
    command = getattr(report, "command", "")
    html = _recorded(report, width or (160 if command == "jaxpr" else 100)).export_html(
        inline_styles=True, code_format="<pre style=\"font-family:monospace\">{code}</pre>")
    if command == "bench" and report.error is None and any(r.median_s for r in report.results):
        from vmapx._render.plot import to_svg

        html += f'<div style="max-width:100%;overflow-x:auto">{to_svg(report)}</div>'
    return html
