"""Code (jaxpr, StableHLO, HLO text) in a titled panel, coloured, and two panels side by side
when the console is wide enough for both (as in seed 000), one above the other if not."""

from __future__ import annotations

import re
from typing import Any

from rich.box import ROUNDED
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.panel import Panel
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

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
