"""The measuring harness of `vmapx bench`: calibration, sampling, statistics and warnings.

Nothing here imports jax: a variant is a zero-argument `call` that runs the function once and
blocks until its outputs are ready, and time comes from an injectable `clock` (seconds as a
float), so tests drive the whole harness with a fake clock.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Callable

from vmapx._bench.settings import BenchSettings

Clock = Callable[[], float]

SPREAD_WARN = 0.25     # IQR / median above which the spread is called wide
FIRST_SLOW = 3.0       # first sample this many medians slower: warm-up was too short
MAX_REPS = 1 << 20     # calls per sample at most


@dataclass(frozen=True)
class Stats:
    """Per-call times of one variant: every sample is (sample's time) / reps."""

    median: float
    iqr: float
    min: float
    max: float
    mean: float
    samples: int
    reps: int
    warnings: list[str] = field(default_factory=list)


def resolution(clock: Clock, tries: int = 200) -> float:
    """The smallest positive step the clock takes, measured (the documented one can lie)."""
    best = math.inf
    for _ in range(tries):
        t0 = clock()
        t1 = clock()
        while t1 == t0:
            t1 = clock()
        best = min(best, t1 - t0)
    return best


def _timed(call: Callable[[], object], reps: int, clock: Clock) -> float:
    t0 = clock()
    for _ in range(reps):
        call()
    return clock() - t0


def calibrate(call: Callable[[], object], clock: Clock, target: float,
              max_reps: int = MAX_REPS) -> int:
    """How many calls make one sample last at least `target` seconds (timeit's autorange)."""
    reps = 1
    while reps < max_reps:
        elapsed = _timed(call, reps, clock)
        if elapsed >= target:
            return reps
        reps = _scaled(reps, elapsed, target)
    return max_reps


def _scaled(reps: int, elapsed: float, target: float) -> int:
    """The next guess: close to the target, but never by less than 2x or more than 100x."""
    if elapsed <= 0:
        return reps * 10
    return int(min(max(reps * 2, math.ceil(reps * target / elapsed * 1.1)), reps * 100))


def quantile(sorted_xs: list[float], q: float) -> float:
    """Linearly interpolated quantile of sorted data (numpy's default method)."""
    pos = (len(sorted_xs) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def summarize(times: list[float], reps: int) -> Stats:
    """Median, IQR, min, max and mean of per-call times, with the warnings they call for."""
    xs = sorted(times)
    med = statistics.median(xs)
    iqr = quantile(xs, 0.75) - quantile(xs, 0.25)
    return Stats(med, iqr, xs[0], xs[-1], statistics.fmean(xs), len(xs), reps,
                 spread_warnings(times, med, iqr))


def spread_warnings(times: list[float], med: float, iqr: float) -> list[str]:
    """Wide spread and a slow first sample, each with its remedy (hyperfine's habit)."""
    out = []
    if med > 0 and iqr / med > SPREAD_WARN:
        out.append(f"wide spread: the IQR is {iqr / med:.0%} of the median; other programs may "
                   "be competing for the machine: close them, or raise --min-time / --runs")
    if len(times) > 2 and med > 0 and times[0] > FIRST_SLOW * med:
        out.append(f"the first sample took {times[0] / med:.1f}x the median: caches were cold; "
                   "raise --warmup")
    return out


def measure(call: Callable[[], object], settings: BenchSettings, clock: Clock,
            tick: float = 0.0, compiles: Callable[[], int] | None = None) -> Stats:
    """Warm up, calibrate the calls per sample, then sample until `runs` and `min_time` are met.

    `tick` is the clock's resolution; `compiles` counts compilations so far, and a count that
    grows while sampling (after warm-up and calibration) gets a warning.
    """
    for _ in range(settings.warmup):
        call()
    target = max(settings.sample_time, 1000 * tick)
    reps = calibrate(call, clock, target)
    before = compiles() if compiles else 0
    times: list[float] = []
    spent, recalibrations = 0.0, 0
    while len(times) < settings.max_samples and (len(times) < settings.runs
                                                 or spent < settings.min_time):
        elapsed = _timed(call, reps, clock)
        if elapsed < target / 2 and reps < MAX_REPS and recalibrations < 3:
            # calibrated on the slow first calls after a compile: too few reps; start over
            reps, times, spent = min(_scaled(reps, elapsed, target), MAX_REPS), [], 0.0
            recalibrations += 1
            continue
        spent += elapsed
        times.append(elapsed / reps)
    stats = summarize(times, reps)
    grew = (compiles() - before) if compiles else 0
    if grew > 0:
        stats.warnings.append(
            f"compiled {grew} time{'s' * (grew != 1)} while being timed, so compilation is in "
            "the figures: inputs changed shape or dtype between calls, or a jit cache was too "
            "small; make the shapes fixed, or raise --warmup if it settles")
    return stats
