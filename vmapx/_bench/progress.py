"""Progress in a Jupyter notebook without widgets: one output line the run keeps updating.

`vmapx.bench` uses it when it runs in an IPython kernel and the caller gave no progress hooks
(the CLI gives a Rich bar); elsewhere nothing is shown. IPython is never imported here: a
kernel has already imported it.
"""

from __future__ import annotations

import sys
from html import escape
from typing import Any

from vmapx._bench.settings import NullProgress


class _Line:
    """What the line shows: HTML in Jupyter, text elsewhere."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        return f'<pre style="margin:0;color:#666">{escape(self.text)}</pre>'

    def __repr__(self) -> str:
        return self.text


class NotebookProgress:
    """`measuring model · batch 8 · vmap  3/14` in one output line, cleared when the run
    completes (an interrupted run leaves it at the variant it stopped in)."""

    def __init__(self, display: Any):
        self.display, self.handle, self.total, self.done, self.label = display, None, 0, 0, ""

    def start(self, total: int) -> None:
        self.total, self.done = total, 0
        self.handle = self.display(_Line(f"measuring … 0/{total}"), display_id=True)

    def begin(self, label: str) -> None:
        self.label = label
        self._show()

    def advance(self) -> None:
        self.done += 1
        if self.done >= self.total and self.handle is not None:
            self.handle.update(_Line(""))
        else:
            self._show()

    def _show(self) -> None:
        if self.handle is not None:
            self.handle.update(_Line(f"measuring {self.label}  {self.done}/{self.total}"))


def default_progress() -> Any:
    """A `NotebookProgress` inside a Jupyter kernel, else the silent hooks."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return NullProgress()
    from IPython.display import display

    return NotebookProgress(display)
