"""How `vmapx jaxpr` shows and measures each version: one immutable settings object, as JAX's
own pretty printer takes its options."""

from __future__ import annotations

from dataclasses import dataclass

from vmapx._problem.surface import Surface
from vmapx._report.jaxpr import STAGES
from vmapx.errors import UsageError


@dataclass(frozen=True)
class JaxprSettings:
    """Arguments:
        stage: what to show: "jaxpr", "stablehlo" (lowered) or "hlo" (compiled).
        inline: also show each jaxpr with nested jit/custom_jvp calls flattened (comparisons
            always look through them).
        source_info, name_stack: `pretty_print` options: each equation's source line, name stack.
        cost: XLA's cost estimates (FLOPs, transcendentals, bytes) of each lowered version.
        compile: compile each version for the optimised module's estimates and its memory
            (`memory_analysis()`); implies `cost`. Slower.
    """

    stage: str = "jaxpr"
    inline: bool = False
    source_info: bool = False
    name_stack: bool = False
    cost: bool = True
    compile: bool = False

    @property
    def costs(self) -> bool:
        """Whether XLA's estimates are asked for (`compile` asks for them too)."""
        return self.cost or self.compile

    def check(self, surface: Surface) -> None:
        """An unknown stage is the caller's mistake (`UsageError`), worded for who asked."""
        if self.stage not in STAGES:
            raise UsageError(f"unknown {surface.option('stage').rstrip('=')} {self.stage!r}",
                             f"use one of {', '.join(STAGES)}")
