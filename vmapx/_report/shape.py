"""The `vmapx shape` report: inputs, outputs, where the batch axis lands, and any failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vmapx._report.common import ErrorInfo, InputInfo, LevelInfo, Report, Shape
from vmapx._report.mesh import MeshInfo


@dataclass(frozen=True)
class OutputInfo:
    path: str                    # the output's key path (`[0]`, `['W']`), "" for a lone array
    shape: Shape
    dtype: str
    out_axis: int | None         # the outermost level's, resolved; None when not mapped
    example_shape: Shape


@dataclass(frozen=True)
class PatternRow:
    out_axes: int
    shapes: list[Shape | None]   # one per output; None where out_axes is out of range for it


@dataclass(frozen=True)
class ExploreRow:
    in_axes: list[Any]           # one entry per argument: int or None (for the whole argument)
    shapes: list[Shape] | None   # output shapes, or None when vmap fails
    kind: str | None = None      # the failure kind
    reason: str | None = None    # a few words on why it fails
    mine: bool = False           # the user's own in_axes


@dataclass(frozen=True)
class ShapeReport(Report):
    """What `vmapx shape` found. `levels` has one record per vmap, outermost first (one for a
    plain vmap; none when `--ranks` leaves nothing to map, or the failure came before)."""

    command = "shape"

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
    requested_in_axes: Any = None    # the outermost in_axes as the user gave them
    levels: list[LevelInfo] = field(default_factory=list)
    ranks: Any = None                # the base ranks, by argument name, when --ranks built the nest
    arguments: list[str] = field(default_factory=list)  # the positional arguments (in_axes entries)
    mesh: MeshInfo | None = None     # on a device mesh (--mesh): shardings, collectives
