"""What every renderer shares: the dash, the batch-axis style, shapes and times as text."""

from __future__ import annotations

from typing import Any, Iterable

from rich.text import Text

DASH = "—"
BATCH_STYLE = "bold magenta"


def shape_text(shape: Iterable[int], dtype: str | None = None, batch_axis: int | None = None
               ) -> Text:
    """`f32[2,3,5]` with the batch axis's dim highlighted."""
    text = Text(dtype or "")
    text.append("[")
    for i, d in enumerate(shape):
        if i:
            text.append(",")
        text.append(str(d), style=BATCH_STYLE if i == batch_axis else None)
    text.append("]")
    return text


def title(text: str) -> Text:
    """A table title that never wraps, even over a table narrower than itself."""
    return Text(text, style="bold", no_wrap=True, overflow="ignore")


def axes_cells(values: Iterable[Any]) -> str:
    """`0,—,1`: axes with the dash for None."""
    return ",".join(DASH if v is None else str(v) for v in values)


def fmt_time(seconds: float | None) -> str:
    """`1.78 ms`, `111 µs`, `52.3 ns`: three significant digits in the closest unit."""
    if seconds is None:
        return DASH
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if seconds >= scale or unit == "ns":
            v = seconds / scale
            return f"{v:.3g} {unit}" if v < 1000 else f"{v:.0f} {unit}"
    return DASH


def tight_time(seconds: float | None) -> str:
    """`468µs`: fmt_time without the space, for narrow table cells."""
    return fmt_time(seconds).replace(" ", "")
