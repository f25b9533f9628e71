"""How `vmapx bench` measures: one immutable settings object for the library and the CLI."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from vmapx._report.bench import VARIANTS
from vmapx.errors import UsageError


# Bounds on how long a benchmark may be asked to run: beyond them it would run for days (or, at
# min_time=inf, forever), which is a typo, not a request.
MAX_RUNS = 10_000
MAX_MIN_TIME = 3600.0


class NullProgress:
    """The progress hooks a run calls (the CLI passes a Rich progress bar instead)."""

    def start(self, total: int) -> None: ...

    def begin(self, label: str) -> None: ...

    def advance(self) -> None: ...


@dataclass(frozen=True)
class BenchSettings:
    """What to time and how.

    Arguments:
        variants: which to time, from `VARIANTS` (default: all).
        runs, min_time: at least `runs` samples and at least `min_time` seconds of them.
        warmup: untimed calls first. sample_time: each sample repeats the call enough times to
            last this long (or 1000 clock ticks, if longer), so the timer's resolution is
            negligible. max_samples: a cap on the samples per variant.
        seed: of the random inputs. backend: `cpu`, `gpu` or `tpu` (default: JAX's).
        async_dispatch: keep JAX's asynchronous CPU dispatch (by default CPU calls run
            synchronously, so each time is the computation's own).
        compare: a baseline (an earlier export: its path, or its JSON as a dict);
            fail_above: percent slower than the baseline that counts as a regression.
        clock: seconds as a float (tests pass a fake one); tick: its resolution (measured
            when None). progress: an object with start(total), begin(label), advance().
    """

    variants: tuple[str, ...] = VARIANTS
    runs: int = 7
    min_time: float = 0.2
    warmup: int = 1
    sample_time: float = 1e-3
    max_samples: int = 10_000
    seed: int = 0
    backend: str | None = None
    async_dispatch: bool = False
    compare: Mapping[str, Any] | str | Path | None = None
    fail_above: float | None = None
    clock: Callable[[], float] = time.perf_counter
    tick: float | None = None
    progress: Any = None

    def checked(self) -> BenchSettings:
        """Raise `UsageError` for settings that cannot work; the variants without repeats."""
        unknown = [v for v in self.variants if v not in VARIANTS]
        if unknown:
            raise UsageError(f"unknown variant {unknown[0]!r}",
                             "the variants are " + ", ".join(VARIANTS))
        if not self.variants:
            raise UsageError("no variants to time", "give at least one, e.g. ('loop', "
                             "'jit-vmap')")
        if not (1 <= self.runs <= MAX_RUNS and 0 <= self.warmup <= MAX_RUNS
                and 0 <= self.min_time <= MAX_MIN_TIME and 0 < self.sample_time <= 1
                and 0 <= self.seed < 2**63):
            raise UsageError(f"runs must be from 1 to {MAX_RUNS:,}, warmup from 0 to "
                             f"{MAX_RUNS:,}, min_time from 0 to {MAX_MIN_TIME:g} s, sample_time "
                             "above 0 (at most 1 s), seed from 0 to 2**63-1",
                             "e.g. BenchSettings(runs=7, min_time=0.2)")
        if self.fail_above is not None and self.compare is None:
            raise UsageError("fail_above needs a baseline to compare against",
                             "give compare= too (an earlier export's path)")
        return replace(self, variants=tuple(dict.fromkeys(self.variants)))

    def as_dict(self, tick: float | None) -> dict[str, Any]:
        """The settings as the report records them (JSON names as before)."""
        return {"variants": list(self.variants), "runs": self.runs,
                "min_time_s": self.min_time, "warmup": self.warmup,
                "sample_time_s": self.sample_time, "seed": self.seed, "clock_tick_s": tick}
