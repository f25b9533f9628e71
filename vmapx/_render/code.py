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


def _line_segments(line: str) -> list[Segment]:
    """One line, coloured as `jaxpr_text` colours it."""
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


def fold(line: str, width: int) -> tuple[list[str], int]:
    """An ASCII line in pieces that fit `width` characters, broken after a space where there is
    one (else mid-word), and the indent of every piece after the first: the line's own plus 4
    (at most half the width), so a folded line reads as one. The pieces joined are the line."""
    indent = min(len(line) - len(line.lstrip(" ")) + 4, width // 2)
    pieces, rest, room = [], line, width
    while len(rest) > room:
        cut = rest.rfind(" ", 0, room) + 1  # the space stays at the end of this piece
        if cut <= 0 or not rest[:cut].strip():
            cut = room
        pieces.append(rest[:cut])
        rest, room = rest[cut:], width - indent
    return pieces + [rest], indent


def _cut(segments: list[Segment], sizes: list[int]) -> list[list[Segment]]:
    """One line's segments cut into consecutive runs of `sizes` characters, styles kept."""
    runs: list[list[Segment]] = []
    queue = segments[::-1]
    for size in sizes:
        run: list[Segment] = []
        while size > 0 and queue:
            seg = queue.pop()
            if len(seg.text) > size:
                queue.append(Segment(seg.text[size:], seg.style))
                seg = Segment(seg.text[:size], seg.style)
            run.append(seg)
            size -= len(seg.text)
        runs.append(run)
    return runs


class CodePanel:
    """Jaxpr (or HLO) text in a titled panel, as Rich's Panel draws it.

    The frame and the lines are drawn here, one segment list per line: Rich's Panel would
    measure, wrap, pad and crop each line of a long jaxpr through several layers (about 4× the
    time on a 100-layer model, 10× when it wraps). A line wider than the console is folded
    after a space (`fold`), its continuation indented. Text that is not ASCII, or a console
    too narrow for a frame, gets Rich's Panel.
    """

    MIN_INNER = 16

    def __init__(self, text: str, title: str, highlight: bool = True):
        self.text, self.title, self.highlight = text, title, highlight
        self.lines = text.splitlines() or [""]
        longest = max(cell_len(line) for line in self.lines)
        self.width = max(longest + 4, cell_len(title) + 6)
        self.ascii = text.isascii()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(self.width, options.max_width), self.width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = min(self.width, options.max_width)
        if width < self.width and (not self.ascii or width - 4 < self.MIN_INNER):
            body = jaxpr_text(self.text) if self.highlight else Text(self.text)
            yield Panel(body, title=Text(self.title), title_align="left", expand=False)
            return
        for row in self.rows(console, options, width):
            yield from row
            yield Segment.line()

    def rows(self, console: Console, options: ConsoleOptions, width: int | None = None
             ) -> list[list[Segment]]:
        """The panel's lines, each exactly `width` cells (default: its own width, which the
        caller checked fits), lines wider than the inside folded."""
        width = self.width if width is None else width
        frame = ROUNDED.substitute(options, safe=console.safe_box)
        inner = width - 4
        title = f" {self.title} "
        if cell_len(title) > inner:
            title = title[:max(inner - 1, 0)] + "…"
        rows = [[Segment(frame.top_left + frame.top), Segment(title),
                 Segment(frame.top * (inner - cell_len(title)) + frame.top + frame.top_right)]]
        left, right = Segment(frame.mid_left + " "), Segment(" " + frame.mid_right)
        # Colours a console would drop (no colour system, nothing recorded) are not made.
        styled = self.highlight and (console.color_system is not None or console.record)
        for line in self.lines:
            used = len(line) if self.ascii else cell_len(line)
            if used <= inner:
                pad = " " * (inner - used)
                rows.append([left, *_line_segments(line), Segment(pad), right] if styled else
                            [Segment(f"{left.text}{line}{pad}{right.text}")])
                continue
            pieces, indent = fold(line, inner)  # only ASCII text is folded (see above)
            pad = Segment(" " * indent)
            runs = (_cut(_line_segments(line), [len(piece) for piece in pieces]) if styled else
                    [[Segment(piece)] for piece in pieces])
            for k, run in enumerate(runs):
                used = len(pieces[k]) + indent * (k > 0)
                rows.append([left, *([pad] if k else []), *run,
                             Segment(" " * (inner - used)), right])
        rows.append([Segment(frame.bottom_left + frame.bottom * (width - 2)
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
