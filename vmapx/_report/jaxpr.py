"""The `vmapx jaxpr` report: each version's jaxpr as JAX printed it, what vmapx read off it
(equations, batch axes, costs), how the versions line up, the pitfalls, and any failure."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from vmapx._report.common import ErrorInfo, InputInfo, LevelInfo, Report
from vmapx._report.mesh import MeshInfo
from vmapx._text.specs import format_shape

STAGES = ("jaxpr", "stablehlo", "hlo")


@dataclass(frozen=True)
class Equation:
    """One equation of a flattened jaxpr: its primitive, output types and batch axes."""

    index: int
    primitive: str
    outputs: list[tuple[str, tuple[int, ...]]]  # (short dtype, shape) per output
    axes: list[int | None] | None = None          # batch axis per output; None if not tracked


@dataclass(frozen=True)
class AlignRow:
    """One row of an alignment: both sides (matched), or one side only."""

    vmap: int | None
    other: int | None
    primitive: str
    matched: bool


@dataclass(frozen=True)
class Pitfall:
    """`kind` is one of vmapx._jaxpr.pitfalls.KINDS; `equation` indexes the batched jaxpr's
    (flattened) equations."""

    kind: str
    equation: int
    message: str


@dataclass(frozen=True)
class Cost:
    """FLOPs, transcendentals and bytes accessed (None where XLA gave none), compiled memory.

    `times` is set when the figures are one example's cost multiplied by it (the loop's).
    """

    flops: float | None = None
    transcendentals: float | None = None
    bytes_accessed: float | None = None
    memory: dict[str, int] | None = None
    times: int | None = None
    source: str = "lowered"  # "lowered": estimated before XLA's optimisations; or "compiled"


@dataclass(frozen=True)
class Version:
    """One version of the batched computation, as JAX printed it, with what vmapx read off it.

    For the loop, `text` is one iteration's jaxpr (traced at `text_batch` = 1) and `eqn_count`
    is the count at the report's batch size: `base + per_example × B`.
    """

    label: str
    text: str
    eqn_count: int
    primitives: dict[str, int]
    equations: list[Equation]
    cost: Cost | None = None
    cost_note: str | None = None
    inlined_text: str | None = None   # with inline, when there was a call to inline
    stage_text: str | None = None     # StableHLO or HLO, with stage
    per_example: int | None = None    # loop only
    base: int | None = None           # loop only
    text_batch: int | None = None     # loop only
    # (short dtype, shape) per output as JAX traced it; empty for the loop (its text is B=1's)
    outputs: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    stage_ops: list[Equation] | None = None  # the ops of `stage_text`, read off it


@dataclass(frozen=True)
class JaxprReport(Report):
    """What `vmapx jaxpr` found. `versions` holds "vmap", "manual" and "loop" (None when there
    is no twin, or no loop: a nest of vmaps, pytree out_axes), and nothing when the vmap fails
    (`error`). `in_axes` is the outermost level's axis per input leaf; `levels` has one record
    per vmap of the nest, outermost first."""

    command = "jaxpr"

    function: str
    batch_size: int | None
    in_axes: list[int | None]
    versions: dict[str, Version | None]
    alignment_with: str = "none"      # "manual", "loop", or "none"
    alignment: list[AlignRow] = field(default_factory=list)
    verdict: str = ""
    loop_alignment: list[AlignRow] = field(default_factory=list)
    loop_verdict: str = ""
    warnings: list[Pitfall] = field(default_factory=list)
    error: ErrorInfo | None = None
    notes: list[str] = field(default_factory=list)
    stage: str = "jaxpr"
    inline: bool = False
    levels: list[LevelInfo] = field(default_factory=list)
    inputs: list[InputInfo] = field(default_factory=list)
    mesh: MeshInfo | None = None     # on a device mesh (--mesh): shardings, collectives
    # with a stage other than jaxpr: that stage's ops aligned by name, as `alignment` is
    stage_alignment: list[AlignRow] = field(default_factory=list)

    def _data(self) -> dict[str, Any]:
        """The JSON names the earlier issues fixed (alignment rows name the other side,
        batch axes per equation, a version's stage text under the stage's name)."""
        def eqn_axes(v: Version | None) -> list[dict[str, Any]] | None:
            return None if v is None else [
                {"equation": e.index, "primitive": e.primitive, "axes": e.axes}
                for e in v.equations if e.axes is not None]

        def rows(rs: list[AlignRow], other: str) -> list[dict[str, Any]]:
            return [{"vmap": r.vmap, other: r.other, "primitive": r.primitive,
                     "matched": r.matched} for r in rs]

        asdict = dataclasses.asdict
        return {
            "function": self.function, "batch_size": self.batch_size, "in_axes": self.in_axes,
            "stage": self.stage, "inline": self.inline,
            "versions": {k: None if v is None else _version_json(v, self.stage)
                         for k, v in self.versions.items()},
            "alignment_with": self.alignment_with,
            "alignment": rows(self.alignment, self.alignment_with), "verdict": self.verdict,
            "loop_alignment": rows(self.loop_alignment, "loop"),
            "loop_verdict": self.loop_verdict,
            "batch_axes": eqn_axes(self.versions.get("vmap")),
            "manual_batch_axes": eqn_axes(self.versions.get("manual")),
            "warnings": [asdict(w) for w in self.warnings],
            "error": None if self.error is None else asdict(self.error),
            "notes": list(self.notes), "levels": [asdict(lv) for lv in self.levels],
            "inputs": [asdict(i) for i in self.inputs],
            "mesh": None if self.mesh is None else asdict(self.mesh),
            "stage_alignment": rows(self.stage_alignment, self.alignment_with),
        }


def _version_json(v: Version, stage: str) -> dict[str, Any]:
    out = {"label": v.label, "text": v.text, "eqn_count": v.eqn_count,
           "primitives": v.primitives, "outputs": [format_shape(s, d) for d, s in v.outputs],
           "cost": None if v.cost is None else dataclasses.asdict(v.cost),
           "cost_note": v.cost_note,
           "equations": [{"index": e.index, "primitive": e.primitive,
                          "outputs": [format_shape(s, d) for d, s in e.outputs], "axes": e.axes}
                         for e in v.equations]}
    if v.inlined_text is not None:
        out["inlined_text"] = v.inlined_text
    if v.stage_text is not None:
        out[stage] = v.stage_text
    if v.stage_ops is not None:
        out["stage_op_count"] = len(v.stage_ops)
        out["stage_ops"] = [{"index": e.index, "op": e.primitive,
                             "outputs": [format_shape(s, d) for d, s in e.outputs]}
                            for e in v.stage_ops]
    if v.per_example is not None:  # eqn_count is at the batch size; `equations` one iteration's
        out.update(per_example=v.per_example, base=v.base, text_batch=v.text_batch,
                   equations_are="one iteration (B=1)", iteration_eqn_count=len(v.equations))
    return out
