"""The shape report: frozen dataclasses that the renderer, `--json` and notebooks all read."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

Shape = tuple[int, ...]


@dataclass(frozen=True)
class InputInfo:
    name: str
    shape: Shape                 # the batched shape vmap is called with
    dtype: str
    in_axis: int | None          # negatives resolved
    example_shape: Shape         # the per-example shape the function sees
    batch_size: int | None       # the size of this argument's mapped axis
    borrowed_from: str | None = None


@dataclass(frozen=True)
class OutputInfo:
    path: str                    # the output's key path (`[0]`, `['W']`), "" for a lone array
    shape: Shape
    dtype: str
    out_axis: int | None         # resolved; None when the output is not mapped
    example_shape: Shape


@dataclass(frozen=True)
class PatternRow:
    out_axes: int
    shapes: list[Shape | None]   # one per output; None where out_axes is out of range for it


@dataclass(frozen=True)
class ExploreRow:
    in_axes: list[int | None]
    shapes: list[Shape] | None   # output shapes, or None when vmap fails
    kind: str | None = None      # the failure kind
    reason: str | None = None    # a few words on why it fails
    mine: bool = False           # the user's own in_axes


@dataclass(frozen=True)
class Suggestion:
    in_axes: list[int | None]
    shapes: list[Shape]


@dataclass(frozen=True)
class ErrorInfo:
    kind: str
    message: str
    hint: str | None
    suggestions: list[Suggestion] = field(default_factory=list)
    jax_message: str | None = None
    detail: str | None = None        # a finer kind (pytree_prefix, rank_too_large, …) or kind


@dataclass(frozen=True)
class LevelInfo:
    """One vmap of a nest (level 0 is the outermost): what it is called with and returns."""

    level: int
    in_axes: Any                 # as passed to jax.vmap: one entry per argument (pytree prefixes)
    out_axes: Any
    batch_size: int | None
    axes: list[int | None]       # per input leaf (the order of ShapeReport.inputs), resolved
    shapes: list[Shape]          # per input leaf, the shape this level's vmap is called with
    output_shapes: list[Shape]   # per output leaf, what this level's vmap returns


@dataclass(frozen=True)
class ShapeReport:
    """What `vmapx shape` found: inputs, outputs, the out_axes pattern, and any failure."""

    function: str
    batch_size: int | None
    inputs: list[InputInfo]
    outputs: list[OutputInfo]
    out_axes_pattern: list[PatternRow]
    error: ErrorInfo | None = None
    explore: list[ExploreRow] | None = None
    explore_note: str | None = None  # says how the exploration was capped, if it was
    notes: list[str] = field(default_factory=list)
    batch_given: bool = False        # the shapes were given per-example (--batch)
    requested_in_axes: Any = None    # the in_axes as the user gave them
    levels: list[LevelInfo] | None = None  # a nest of vmaps (--ranks, repeated --in-axes, pytrees)
    ranks: Any = None                # the base ranks, by argument name, when --ranks built the nest

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready dicts and lists (tuples become lists)."""
        return jsonable(dataclasses.asdict(self))

    def __rich__(self):
        from vmapx._render.shape import render_shape

        return render_shape(self)

    def _repr_html_(self) -> str:  # Jupyter shows the same tables as the CLI
        from vmapx._render.shape import to_html

        return to_html(self)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython's terminal
        from vmapx._render.shape import to_text

        printer.text(to_text(self))


def jsonable(obj: Any) -> Any:
    """Dicts, lists and tuples → dicts and lists, recursively (tuples become JSON arrays)."""
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return obj
