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
    q1: float = 0.0             # the quartiles: the middle half of the samples lies in q1..q3
    q3: float = 0.0
    times: list[float] = field(default_factory=list)  # every sample, in the order taken


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
    q1, q3 = quantile(xs, 0.25), quantile(xs, 0.75)
    iqr = q3 - q1
    return Stats(med, iqr, xs[0], xs[-1], statistics.fmean(xs), len(xs), reps,
                 spread_warnings(times, med, iqr), q1, q3, list(times))


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


def mann_whitney_u(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """The Mann-Whitney U test of two samples: U of `xs` (pairs with x > y, a tie counting
    1/2) and the two-sided p-value that both come from one distribution.

    As scipy.stats.mannwhitneyu(method="auto") computes it: the exact distribution of U when
    there are no ties and a sample has at most 8 values, else the normal approximation with
    the tie correction and a continuity correction.
    """
    n1, n2 = len(xs), len(ys)
    if not n1 or not n2:
        raise ValueError("both samples need at least one value")
    ranks = _ranks(list(xs) + list(ys))
    u1 = sum(ranks[:n1]) - n1 * (n1 + 1) / 2
    u = max(u1, n1 * n2 - u1)
    ties = _tie_counts(list(xs) + list(ys))
    if min(n1, n2) <= 8 and not ties:
        return u1, min(1.0, 2 * _exact_sf(int(u), n1, n2))
    n = n1 + n2
    mu = n1 * n2 / 2
    var = n1 * n2 / 12 * ((n + 1) - sum(t ** 3 - t for t in ties) / (n * (n - 1)))
    if var <= 0:  # every value the same: no evidence of a difference
        return u1, 1.0
    z = (u - mu - 0.5) / math.sqrt(var)
    return u1, min(1.0, math.erfc(z / math.sqrt(2)))


def _ranks(values: list[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def _tie_counts(values: list[float]) -> list[int]:
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return [c for c in counts.values() if c > 1]


def _exact_sf(u: int, n1: int, n2: int) -> float:
    """P(U >= u) under the null hypothesis: the arrangements of the two samples counted by
    U, the coefficients of the Gaussian binomial coefficient [n1+n2 choose n1] in q."""
    m, n = sorted((n1, n2))
    deg = m * n
    ways = [1] + [0] * deg
    for i in range(1, m + 1):  # times (1 - q^(n+i)) / (1 - q^i), every term exact
        k = n + i
        for d in range(deg, k - 1, -1):
            ways[d] -= ways[d - k]
        for d in range(i, deg + 1):
            ways[d] += ways[d - i]
    return sum(ways[u:]) / math.comb(n1 + n2, n1)
