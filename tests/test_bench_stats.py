"""The measuring harness driven by a fake clock: calibration, statistics, warnings.

No JAX and no real time: each fake call advances the fake clock by a scripted duration.
"""

import itertools

import numpy as np
import pytest

from vmapx._bench.settings import BenchSettings
from vmapx._bench.stats import (calibrate, measure, quantile, resolution,
                               spread_warnings, summarize)


class FakeClock:
    """A clock that moves only when a fake call says so (or by `tick` per reading)."""

    def __init__(self, tick: float = 0.0):
        self.t = 0.0
        self.tick = tick
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        self.t += self.tick
        return self.t


def fake_call(clock: FakeClock, durations):
    """A call whose n-th run takes the n-th duration (the last one repeats)."""
    it = iter(durations) if not isinstance(durations, float) else itertools.repeat(durations)
    last = [None]

    def call():
        try:
            last[0] = next(it)
        except StopIteration:
            pass
        clock.t += last[0]
        return None

    return call


FAST = BenchSettings(runs=5, min_time=0.01, warmup=1, sample_time=1e-3)


def test_calibrate_makes_each_sample_reach_the_target():
    clock = FakeClock()
    reps = calibrate(fake_call(clock, 10e-6), clock, target=1e-3)
    assert 100 <= reps <= 250  # 100 calls of 10 µs reach 1 ms; never wildly more


def test_measure_is_not_fooled_by_slow_first_calls():
    clock = FakeClock()
    durations = [1e-3] * 3 + [10e-6]  # the first calls after a compile are slow
    stats = measure(fake_call(clock, durations), FAST, clock)
    assert stats.reps * 10e-6 >= 0.5e-3  # recalibrated: every sample well above the target/2
    assert stats.median == pytest.approx(10e-6)


def test_calibrate_with_a_clock_that_does_not_move():
    clock = FakeClock()
    assert calibrate(fake_call(clock, 0.0), clock, target=1e-3, max_reps=1000) == 1000


def test_measure_constant_call():
    clock = FakeClock()
    stats = measure(fake_call(clock, 10e-6), FAST, clock)
    assert stats.median == pytest.approx(10e-6)
    assert stats.min == pytest.approx(10e-6) and stats.iqr == pytest.approx(0, abs=1e-15)
    assert stats.samples >= FAST.runs
    assert stats.samples * stats.reps * 10e-6 >= FAST.min_time  # min_time was honoured
    assert stats.warnings == []


def test_measure_honours_runs_for_a_slow_call():
    clock = FakeClock()
    stats = measure(fake_call(clock, 0.5), BenchSettings(runs=3, min_time=0.0), clock)
    assert stats.samples == 3 and stats.reps == 1 and stats.median == pytest.approx(0.5)


def test_measure_uses_the_timer_resolution_for_the_sample_length():
    clock = FakeClock()
    stats = measure(fake_call(clock, 1e-6), BenchSettings(runs=3, min_time=0, sample_time=1e-6),
                    clock, tick=1e-5)
    assert stats.reps * 1e-6 >= 1000 * 1e-5 / 2  # each sample ≥ ~1000 ticks


def test_wide_spread_is_warned_with_its_remedy():
    clock = FakeClock()
    noisy = [1e-3, 1e-3, 4e-3, 0.6e-3] * 1000  # each call is one sample (1 rep)
    stats = measure(fake_call(clock, noisy), BenchSettings(runs=20, min_time=0, sample_time=1e-4),
                    clock)
    assert stats.reps == 1
    assert any("wide spread" in w and "--min-time" in w for w in stats.warnings), stats.warnings


def test_slow_first_sample_names_warmup():
    warnings = spread_warnings([50.0] + [10.0] * 9, 10.0, 0.0)
    assert any("--warmup" in w for w in warnings)


def test_recompile_while_timing_is_warned():
    clock = FakeClock()
    count = itertools.count()  # every reading of the counter sees one more compile
    stats = measure(fake_call(clock, 10e-6), FAST, clock, compiles=lambda: next(count))
    assert any("compiled 1 time" in w for w in stats.warnings), stats.warnings


def test_statistics_match_numpy():
    rng = np.random.default_rng(1)
    xs = list(rng.exponential(size=101))
    s = summarize(xs, reps=3)
    assert s.median == pytest.approx(np.median(xs))
    assert s.iqr == pytest.approx(np.percentile(xs, 75) - np.percentile(xs, 25))
    assert s.min == min(xs) and s.max == max(xs) and s.samples == 101 and s.reps == 3
    assert quantile(sorted(xs), 0.5) == pytest.approx(np.median(xs))


def test_resolution_of_a_ticking_clock():
    assert resolution(FakeClock(tick=1e-6), tries=5) == pytest.approx(1e-6)


def test_keyboard_interrupt_from_the_clock_propagates():
    class Exploding(FakeClock):
        def __call__(self):
            if self.reads > 10:
                raise KeyboardInterrupt
            return super().__call__()

    clock = Exploding()
    with pytest.raises(KeyboardInterrupt):
        measure(fake_call(clock, 10e-6), FAST, clock)


# Mann-Whitney U: U of the first sample and the two-sided p, checked against values computed
# by hand (exact: counting arrangements) and against scipy (jax's own dependency; not vmapx's).
@pytest.mark.parametrize("xs, ys, u, p", [
    ([1, 2, 3], [4, 5, 6], 0.0, 0.1),             # 2 of C(6,3)=20 arrangements as extreme
    ([4, 5, 6, 7], [1, 2, 3, 8], 12.0, 24 / 70),  # 2*P(U>=12): 12 of C(8,4)=70 arrangements
    ([1], [2], 0.0, 1.0),
])
def test_mann_whitney_u_known_values(xs, ys, u, p):
    from vmapx._bench.stats import mann_whitney_u

    got_u, got_p = mann_whitney_u(xs, ys)
    assert got_u == u and got_p == pytest.approx(p)


def test_mann_whitney_u_agrees_with_scipy():
    import random

    from scipy.stats import mannwhitneyu

    from vmapx._bench.stats import mann_whitney_u

    rng = random.Random(3)
    for n1, n2 in [(2, 9), (5, 5), (8, 40), (9, 9), (30, 12), (8, 300)]:
        for shift in (0.0, 0.4):
            xs = [rng.random() + shift for _ in range(n1)]
            ys = [rng.random() for _ in range(n2)]
            want = mannwhitneyu(xs, ys)
            assert mann_whitney_u(xs, ys) == pytest.approx((want.statistic, want.pvalue))
    ties = ([1, 2, 2, 3, 3, 3], [2, 3, 4, 4, 5])  # ties: the normal approximation, corrected
    want = mannwhitneyu(*ties)
    assert mann_whitney_u(*ties) == pytest.approx((want.statistic, want.pvalue))
