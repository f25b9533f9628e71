"""What every report shares: the error object, the levels records, JSON through one path.

Reports are frozen dataclasses of plain data (str, int, float, lists, dicts), built once by an
analysis and never changed after; the renderer, `--json` and notebooks all read them.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from vmapx._report.display import Displayable

# Bumped when a JSON name changes meaning or goes away (adding a field does not bump it).
SCHEMA_VERSION = 2

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Suggestion:
    """in_axes that work (one entry per argument, each int or None) and the output shapes."""

    in_axes: list[Any]
    shapes: list[Shape]


@dataclass(frozen=True)
class ErrorInfo:
    """Why the vmap fails (exit 1): the same object in every report."""

    kind: str
    message: str
    hint: str | None
    suggestions: list[Suggestion] = field(default_factory=list)
    jax_message: str | None = None
    detail: str | None = None        # a finer kind (pytree_prefix, rank_too_large, …) or kind
    traceback: str | None = None     # the exception's traceback (--debug; not in the JSON)


@dataclass(frozen=True)
class LevelInfo:
    """One vmap of the nest (level 0 is the outermost): what it is called with and returns.

    `in_axes`/`out_axes` are as passed to `jax.vmap` (JSON: null, ints, lists, dicts);
    `axes`/`shapes` are per input leaf (in the order of the report's inputs); `output_shapes`
    per output leaf where the analysis traced each level (`vmapx shape`), else empty.
    """

    level: int
    in_axes: Any
    out_axes: Any
    batch_size: int | None
    axes: list[int | None]
    shapes: list[Shape]
    output_shapes: list[Shape] = field(default_factory=list)


@dataclass(frozen=True)
class InputInfo:
    """One input leaf: as vmap is called with it, and as the function sees it."""

    name: str
    shape: Shape                 # the batched shape vmap is called with
    dtype: str
    in_axis: int | None          # the outermost level's, resolved
    example_shape: Shape         # the per-example shape the function sees
    batch_size: int | None       # the size of this argument's mapped axis
    borrowed_from: str | None = None


class Report(Displayable):
    """Base of every report: `ok`, `to_json()` with `schema_version` and `command`."""

    command: ClassVar[str] = ""

    @property
    def ok(self) -> bool:
        return getattr(self, "error", None) is None

    def _data(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready dicts and lists (strict JSON: no NaN or infinity)."""
        data = jsonable(self._data())
        # a traceback is for --debug (on stderr) and Python callers, not the JSON contract
        for record in [data.get("error"), *(data.get("results") or [])]:
            if isinstance(record, dict):
                record.pop("traceback", None)
        return {"schema_version": SCHEMA_VERSION, "command": self.command, "ok": self.ok,
                **data}


def jsonable(obj: Any) -> Any:
    """Dicts, lists and tuples → dicts and lists, recursively; non-finite floats → None."""
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
