"""What every renderer shares: the dash, the batch-axis style, shapes and times as text."""

from __future__ import annotations

import re
from typing import Any, Iterable

from rich.text import Text

DASH = "—"
BATCH_STYLE = "bold magenta"
_ARGUMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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


def split_path(name: str) -> tuple[str, str]:
    """`params['W1']` → (`params`, `['W1']`): the argument and the key path below it (as
    `jax.tree_util.keystr` writes it; "" for a lone array)."""
    match = _ARGUMENT.match(name)
    return (name, "") if match is None else (match.group(), name[match.end():])


def tree_rows(names: Iterable[str]) -> list[tuple[str, list[int], str]]:
    """Rows for leaves named by key path, grouped by argument, in order: `(label, leaf
    indices, role)`. A lone array is one row (its name, [its index], "array"); a tree is a
    header row (its name, every leaf's index, "tree") followed by one indented row per leaf
    (`  ['W1']`, [index], "leaf")."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for i, name in enumerate(names):
        top, path = split_path(name)
        groups.setdefault(top, []).append((i, path))
    rows: list[tuple[str, list[int], str]] = []
    for top, members in groups.items():
        if len(members) == 1 and not members[0][1]:
            rows.append((top, [members[0][0]], "array"))
            continue
        rows.append((top, [i for i, _ in members], "tree"))
        rows += [(f"  {path}", [i], "leaf") for i, path in members]
    return rows


def common_cell(values: Iterable[Any]) -> str:
    """One cell for a tree's leaves: their shared value (the dash for None), or `mixed`."""
    distinct = set(values)
    if len(distinct) != 1:
        return "mixed"
    (value,) = distinct
    return DASH if value is None else str(value)


def arg_axes_cells(names: Iterable[str], axes: Iterable[Any]) -> str:
    """`—,0,0`: one in_axes entry per argument, a tree's leaves folded into one (`mixed` when
    they differ), as in_axes are written for `jax.vmap`."""
    axes = list(axes)
    return ",".join(common_cell(axes[i] for i in idx)
                    for _, idx, role in tree_rows(names) if role != "leaf")
