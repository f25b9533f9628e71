"""How a report shows itself: in a terminal (`__rich__`), in Jupyter (`_repr_html_`), in
IPython's console and with `print()`. The one place below the renderer that calls it: the
renderer is imported only when a report is displayed, so building one needs no Rich."""

from __future__ import annotations

from typing import Any


class Displayable:
    """Display hooks that hand the report to `vmapx._render`."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # IPython's plain-text printer takes, class by class along the MRO, a `__repr__` the
        # class defines over an inherited `_repr_pretty_`: a dataclass report's generated
        # repr would win. Each subclass gets the hook in its own namespace (repr() stays).
        super().__init_subclass__(**kwargs)
        cls._repr_pretty_ = Displayable._repr_pretty_

    def __rich__(self) -> Any:
        from vmapx._render import renderable

        return renderable(self)

    def _repr_html_(self) -> str:
        from vmapx._render import to_html

        return to_html(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def __str__(self) -> str:
        """The terminal's text: `print(report)` shows what the command prints."""
        from vmapx._render import to_text

        return to_text(self).rstrip("\n")
