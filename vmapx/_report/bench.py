"""The `vmapx bench` report: what was measured, on what, and against which baseline.

One plain struct every exporter and renderer reads (hyperfine's habit): per (function, batch
size, variant) a `VariantResult`; a failing vmap is the shared `error` object, with no results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vmapx._report.common import ErrorInfo, LevelInfo, Report
from vmapx._report.mesh import MeshInfo

VARIANTS = ("loop", "loop-jit", "vmap", "jit-vmap", "lax-map", "manual", "jit-manual")
MANUAL = ("manual", "jit-manual")
# The result fields that hold measurements: they differ from one run to the next.
TIMING_FIELDS = ("compile_s", "median_s", "iqr_s", "min_s", "max_s", "mean_s", "samples",
                 "speedup_vs_loop", "reps_per_sample", "warnings", "q1_s", "q3_s", "times_s")
ALPHA = 0.05  # a change is beyond the noise when the Mann-Whitney U test's p is below this


@dataclass(frozen=True)
class VariantResult:
    """One (function, batch size, variant): its times in seconds per call, or why it has none.

    `status` is `timed`, `mismatch` (values differ from the loop's: not timed), `error` (the
    user's function raised while it ran), or `skipped` (the variant does not apply; `detail`
    says why). `batch_size` is how many examples one call handles (every level's size
    multiplied); `batch_shape` is each vmap level's size, outermost first.
    """

    function: str
    batch_size: int
    variant: str
    compile_s: float | None
    median_s: float | None
    iqr_s: float | None
    min_s: float | None
    samples: int
    speedup_vs_loop: float | None
    matches_loop: bool | None
    max_s: float | None = None
    mean_s: float | None = None
    reps_per_sample: int = 0
    status: str = "timed"
    detail: str | None = None
    inputs: str = ""
    warnings: list[str] = field(default_factory=list)
    batch_shape: list[int] = field(default_factory=list)
    traceback: str | None = None   # an `error` row's (--debug; not in the JSON)
    q1_s: float | None = None      # the quartiles: the middle half of the samples, q1..q3
    q3_s: float | None = None
    times_s: list[float] = field(default_factory=list)  # every sample (per call), as taken


@dataclass(frozen=True)
class Change:
    """One (function, batch size, variant) against the baseline; None where one side lacks it;
    `change_pct` is the change of the median in percent (None unless both sides have one).

    `beyond_noise` says whether the change is larger than both runs' spread: the two runs'
    middle halves (q1..q3) do not overlap and, by `test` "mann-whitney-u", a two-sided
    Mann-Whitney U test on both runs' samples finds them different (`p_value` below ALPHA);
    `test` is "iqr" for a baseline exported without its samples (the quartiles only).
    """

    function: str
    batch_size: int
    variant: str
    baseline_s: float | None
    current_s: float | None
    change_pct: float | None = None
    p_value: float | None = None
    beyond_noise: bool | None = None
    test: str | None = None


@dataclass(frozen=True)
class BenchReport(Report):
    """What `vmapx bench` measured, and on what. `levels` are the benchmarked function's vmap
    levels (for a sweep, at its first batch size; empty for the built-in suite and when the
    vmap fails); `compare` the change against `baseline` when one was given."""

    command = "bench"

    backend: str
    device: str
    device_kind: str
    jax_version: str
    x64: bool
    results: list[VariantResult]
    settings: dict[str, Any] = field(default_factory=dict)
    wall_s: float | None = None
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)
    cpu_async_dispatch: bool | None = None  # JAX's CPU dispatch mode during the run
    error: ErrorInfo | None = None
    levels: list[LevelInfo] = field(default_factory=list)
    ranks: Any = None                       # the base ranks, by argument name, when given
    compare: list[Change] | None = None
    baseline: str | None = None             # what `compare` is against (a path, or "baseline")
    fail_above: float | None = None         # percent: slower than this is a regression
    mesh: MeshInfo | None = None            # on a device mesh (--mesh): timings there too

    @property
    def ok(self) -> bool:
        """No failing vmap, and every variant timed or skipped (none failed or mismatched),
        on the mesh too."""
        timings = self.mesh.timings if self.mesh is not None else []
        return self.error is None and all(r.status in ("timed", "skipped")
                                          for r in [*self.results, *timings])

    @property
    def functions(self) -> list[str]:
        return list(dict.fromkeys(r.function for r in self.results))

    def batch_sizes(self, function: str) -> list[int]:
        return list(dict.fromkeys(r.batch_size for r in self.results if r.function == function))

    @property
    def regressions(self) -> list[Change]:
        """The changes slower than `fail_above` percent and beyond the noise of both runs
        (none without both)."""
        if self.compare is None or self.fail_above is None:
            return []
        return [c for c in self.compare if c.change_pct is not None
                and c.change_pct > self.fail_above and c.beyond_noise]
