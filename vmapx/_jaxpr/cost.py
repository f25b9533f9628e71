"""XLA's cost and memory estimates for one version, through public `jax.jit(...).lower(...)`.

By default the estimates come from the lowered module (`Lowered.cost_analysis()`, no compile);
with `compile=True` from the compiled one, which also gives `memory_analysis()`.
`cost_analysis()` has returned a dict, a list of one dict per program, or None depending on the
JAX version and backend; `normalise` folds all of them into one dict (or None).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from vmapx._report.jaxpr import Cost

UNAVAILABLE = "unavailable on this backend"
_KEYS = {"flops": "flops", "transcendentals": "transcendentals",
         "bytes accessed": "bytes_accessed"}
_MEMORY = ("argument_size_in_bytes", "output_size_in_bytes", "temp_size_in_bytes",
           "generated_code_size_in_bytes")


def scaled(cost: Cost, n: int) -> Cost:
    """`cost` × n (as a loop over n examples costs), memory left out."""
    mul = (lambda v: None if v is None else v * n)
    return replace(cost, flops=mul(cost.flops), transcendentals=mul(cost.transcendentals),
                   bytes_accessed=mul(cost.bytes_accessed), memory=None, times=n)


def normalise(raw: Any) -> dict[str, float] | None:
    """`cost_analysis()`'s dict, [dict, …] or None → {flops, transcendentals, bytes_accessed}
    (summed over programs; negative "unknown" values dropped; a figure XLA left out of a
    non-empty analysis counts 0), or None when nothing is left."""
    if raw is None:
        return None
    parts = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    out: dict[str, float] = {}
    for part in parts:
        if not isinstance(part, dict):
            try:
                part = dict(part)
            except (TypeError, ValueError):
                continue
        for key, field in _KEYS.items():
            value = part.get(key)
            if isinstance(value, (int, float)) and value >= 0:
                out[field] = out.get(field, 0.0) + float(value)
    if not out:
        return None
    return {field: out.get(field, 0.0) for field in _KEYS.values()}  # XLA omits zero counts


def memory(compiled: Any) -> dict[str, int] | None:
    """`memory_analysis()` as {argument, output, temp, generated_code: bytes}, or None."""
    try:
        stats = compiled.memory_analysis()
    except Exception:  # not every backend implements it
        return None
    if stats is None:
        return None
    out = {}
    for attr in _MEMORY:
        value = getattr(stats, attr, None)
        if isinstance(value, int) and value >= 0:
            out[attr.removesuffix("_size_in_bytes")] = value
    return out or None


@dataclass(frozen=True)
class Lowered:
    """One version lowered (and compiled when asked): its cost and its StableHLO/HLO text."""

    cost: Cost | None
    stablehlo: str | None = None
    hlo: str | None = None


def _figures(stage: Any) -> dict[str, float] | None:
    try:
        return normalise(stage.cost_analysis())
    except Exception:  # some backends raise rather than return None
        return None


def _stablehlo(lowered: Any, source_info: bool) -> str:
    if source_info:
        try:
            return lowered.as_text(debug_info=True)
        except TypeError:  # a JAX whose as_text takes no debug_info: without locations
            pass
    return lowered.as_text()


def lower(traced: Any, *, cost: bool, compile: bool, stage: str, source_info: bool = False
          ) -> Lowered:
    """Lower a `jax.jit(f).trace(...)` result: XLA's estimates on the lowered module; with
    `compile`, the compiled module's estimates and `memory_analysis()` instead. StableHLO
    carries its source locations with `source_info`."""
    if not cost and stage == "jaxpr":
        return Lowered(None)
    lowered = traced.lower()
    stablehlo = _stablehlo(lowered, source_info) if stage == "stablehlo" else None
    if not compile and stage != "hlo":
        figures = _figures(lowered) if cost else None
        return Lowered(Cost(**figures, source="lowered") if figures else None, stablehlo)
    compiled = lowered.compile()
    hlo = compiled.as_text() if stage == "hlo" else None
    if not cost:
        return Lowered(None, stablehlo, hlo)
    if not compile:
        figures = _figures(lowered)
        return Lowered(Cost(**figures, source="lowered") if figures else None, stablehlo, hlo)
    figures, mem = _figures(compiled), memory(compiled)
    if figures is None and mem is None:
        return Lowered(None, stablehlo, hlo)
    return Lowered(Cost(memory=mem, source="compiled", **(figures or {})), stablehlo, hlo)
