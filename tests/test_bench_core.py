"""`vmapx._bench.analysis` without the CLI, on tiny inputs: variants, the value check, backends, Ctrl-C.

No assertion on absolute times: only on what was measured, not how fast it was.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from vmapx._bench import analysis as bench
from vmapx._bench import variants as bench_values
from vmapx._bench.stats import Settings
from vmapx.errors import UsageError
from vmapx._text.specs import parse_shape

QUICK = Settings(runs=2, min_time=0.0, warmup=0, sample_time=1e-4)


def dot(x, y):
    return jnp.dot(x, y)


def good_twin(xs, ys):
    return jnp.einsum("bi,bi->b", xs, ys)


def wrong_twin(xs, ys):  # a typical slip: contracts over the batch axis too
    return jnp.einsum("bi,ci->b", xs, ys)


def wrong_shape_twin(xs, ys):
    return jnp.einsum("bi,bi->b", xs, ys)[:, None]


def dot_cases(manual, batches=(3,)):
    given = {"x": parse_shape("f32[4]"), "y": parse_shape("f32[4]")}
    return bench.cases(dot, "dot", given, 0, {}, list(batches), manual)


def by_variant(report):
    return {r.variant: r for r in report.results}


def test_every_variant_is_timed_and_matches_the_loop():
    report = bench.run(dot_cases(good_twin), settings=QUICK, tick=1e-7)
    got = by_variant(report)
    assert list(got) == list(bench.VARIANTS)
    for r in got.values():
        assert r.status == "timed" and r.matches_loop is True, r
        assert r.samples >= QUICK.runs and r.median_s > 0 and r.min_s <= r.median_s
        assert r.iqr_s >= 0 and r.speedup_vs_loop > 0
    assert got["loop"].speedup_vs_loop == pytest.approx(1.0)
    assert got["loop"].compile_s is None and got["vmap"].compile_s is None
    assert all(got[v].compile_s > 0 for v in ("loop-jit", "jit-vmap", "lax-map", "jit-manual"))
    assert report.backend == jax.default_backend() and report.jax_version == jax.__version__
    assert report.x64 is False and not report.interrupted and report.ok


def test_value_check_catches_a_wrong_hand_batched_function():
    report = bench.run(dot_cases(wrong_twin), variants=["loop", "jit-vmap", "manual",
                                                        "jit-manual"], settings=QUICK, tick=1e-7)
    got = by_variant(report)
    for v in ("manual", "jit-manual"):
        assert got[v].status == "mismatch" and got[v].matches_loop is False
        assert got[v].samples == 0 and got[v].median_s is None  # not timed
        assert "values differ" in got[v].detail
    assert got["jit-vmap"].matches_loop is True and not report.ok


def test_value_check_reports_a_wrong_shape():
    report = bench.run(dot_cases(wrong_shape_twin), variants=["loop", "manual"],
                       settings=QUICK, tick=1e-7)
    assert "shape f32[3,1] but the loop gives f32[3]" in by_variant(report)["manual"].detail


def test_mismatch_tolerances():
    a = np.linspace(-3, 3, 50, dtype=np.float32)
    assert bench_values.mismatch(a + 1e-6, a) is None          # summation-order noise
    assert bench_values.mismatch(a[::-1], a) is not None       # a permuted batch
    ints = np.arange(5, dtype=np.int32)
    assert bench_values.mismatch(ints + 1, ints) is not None   # integers: exact
    assert "structure" in bench_values.mismatch((a, a), a)


def test_inputs_are_random_and_on_the_device():
    case = dot_cases(None)[0]
    dev = jax.devices()[0]
    args = bench_values.random_inputs(case.placed, np.random.default_rng(0), dev)
    assert [a.shape for a in args] == [(3, 4), (3, 4)]
    assert all(a.devices() == {dev} for a in args)
    assert len(np.unique(np.asarray(args[0]))) == 12  # neither ones nor zeros


def test_sweep_gives_one_row_per_batch_and_variant():
    report = bench.run(dot_cases(None, batches=(2, 5)), variants=["loop", "jit-vmap"],
                       settings=QUICK, tick=1e-7)
    assert [(r.batch_size, r.variant) for r in report.results] == [
        (2, "loop"), (2, "jit-vmap"), (5, "loop"), (5, "jit-vmap")]
    assert report.batch_sizes("dot") == [2, 5]
    assert "x f32[5,4]" in report.results[-1].inputs


def test_manual_variants_need_a_twin():
    report = bench.run(dot_cases(None), variants=["loop", "manual"], settings=QUICK, tick=1e-7)
    assert [r.variant for r in report.results] == ["loop"]
    assert any("--manual" in n for n in report.notes)


def test_in_axes_none_and_nonzero():
    def affine(W, x):
        return W @ x

    given = {"W": parse_shape("f32[3,4]"), "x": parse_shape("f32[4,5]")}
    cases = bench.cases(affine, "affine", given, (None, 1), {}, [None],
                        lambda W, xs: xs @ W.T)
    report = bench.run(cases, settings=QUICK, tick=1e-7)
    assert report.results[0].batch_size == 5
    assert all(r.matches_loop for r in report.results), [r.detail for r in report.results]


def test_a_variant_that_raises_is_reported_not_fatal():
    def picky(x):
        if isinstance(x, jax.core.Tracer):
            raise ValueError("no tracing, please")
        return x * 2

    cases = bench.cases(picky, "picky", {"x": parse_shape("f32[2]")}, 0, {}, [2])
    report = bench.run(cases, variants=["loop", "jit-vmap"], settings=QUICK, tick=1e-7)
    got = by_variant(report)
    assert got["loop"].status == "timed"
    assert got["jit-vmap"].status == "error" and "no tracing" in got["jit-vmap"].detail


def test_missing_backend_lists_the_available_ones():
    have = bench.available_backends()
    missing = next((b for b in ("tpu", "gpu") if b not in have), "no-such-backend")
    with pytest.raises(UsageError) as info:
        bench.pick_device(missing)
    assert info.value.exit_code == 2
    assert missing in info.value.message and have[0] in info.value.message


def test_ctrl_c_returns_what_was_measured_so_far():
    class StopOnThird(bench.NullProgress):
        def __init__(self):
            self.seen = 0

        def begin(self, label):
            self.seen += 1
            if self.seen == 3:
                raise KeyboardInterrupt

    report = bench.run(dot_cases(good_twin), settings=QUICK, tick=1e-7,
                       progress=StopOnThird())
    assert report.interrupted
    assert [r.variant for r in report.results] == ["loop", "loop-jit"]


def test_ctrl_c_from_the_clock_mid_measurement():
    reads = [0]

    def clock():
        reads[0] += 1
        if reads[0] > 5:  # a few readings in: mid-way through the measuring
            raise KeyboardInterrupt
        return reads[0] * 1e-3

    report = bench.run(dot_cases(None), variants=["loop", "jit-vmap"], settings=QUICK,
                       clock=clock, tick=1e-7)
    assert report.interrupted and len(report.results) < 2


def test_compile_counter_sees_a_new_shape():
    f = jax.jit(lambda x: x + 1)
    x = jnp.ones(7).block_until_ready()
    before = bench_values.compile_count()
    f(x).block_until_ready()
    f(x).block_until_ready()  # cached: no new compile
    assert bench_values.compile_count() - before == 1


def test_suite_lists_the_seed_functions(tmp_path):
    from pathlib import Path

    cases = bench.suite(Path(__file__).resolve().parent.parent / "examples")
    assert [c.function for c in cases] == ["dot", "dot.affine", "neuron.model", "convolve",
                                           "logistic.predict_single",
                                           "logistic.per_example_grad"]
    assert cases[0].batch_size == 5 and all(c.manual is not None for c in cases)
    with pytest.raises(UsageError):
        bench.suite(tmp_path)
