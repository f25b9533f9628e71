"""`vmapx.bench` without the CLI, on tiny inputs: variants, the value check, backends, Ctrl-C.

No assertion on absolute times: only on what was measured, not how fast it was.
"""

from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from vmapx._bench import values
from vmapx._bench.api import bench
from vmapx._bench.device import available_backends, pick_device
from vmapx._bench.settings import BenchSettings, NullProgress
from vmapx._problem.surface import Surface
from vmapx._report.bench import VARIANTS
from vmapx.errors import UsageError

QUICK = BenchSettings(runs=2, min_time=0.0, warmup=0, sample_time=1e-4, tick=1e-7)


def dot(x, y):
    return jnp.dot(x, y)


def good_twin(xs, ys):
    return jnp.einsum("bi,bi->b", xs, ys)


def wrong_twin(xs, ys):  # a typical slip: contracts over the batch axis too
    return jnp.einsum("bi,ci->b", xs, ys)


def wrong_shape_twin(xs, ys):
    return jnp.einsum("bi,bi->b", xs, ys)[:, None]


def dot_bench(manual=None, batch=3, **settings):
    return bench(dot, (4,), (4,), batch=batch, manual=manual,
                 settings=replace(QUICK, **settings))


def by_variant(report):
    return {r.variant: r for r in report.results}


def test_every_variant_is_timed_and_matches_the_loop():
    report = dot_bench(good_twin)
    got = by_variant(report)
    assert list(got) == list(VARIANTS)
    for r in got.values():
        assert r.status == "timed" and r.matches_loop is True, r
        assert r.samples >= QUICK.runs and r.median_s > 0 and r.min_s <= r.median_s
        assert r.iqr_s >= 0 and r.speedup_vs_loop > 0
    assert got["loop"].speedup_vs_loop == pytest.approx(1.0)
    assert got["loop"].compile_s is None and got["vmap"].compile_s is None
    assert all(got[v].compile_s > 0 for v in ("loop-jit", "jit-vmap", "lax-map", "jit-manual"))
    assert report.backend == jax.default_backend() and report.jax_version == jax.__version__
    assert report.x64 is False and not report.interrupted and report.ok
    assert [(lv.level, lv.batch_size, lv.shapes) for lv in report.levels] == [
        (0, 3, [(3, 4), (3, 4)])]


def test_value_check_catches_a_wrong_hand_batched_function():
    report = dot_bench(wrong_twin, variants=("loop", "jit-vmap", "manual", "jit-manual"))
    got = by_variant(report)
    for v in ("manual", "jit-manual"):
        assert got[v].status == "mismatch" and got[v].matches_loop is False
        assert got[v].samples == 0 and got[v].median_s is None  # not timed
        assert "values differ" in got[v].detail
    assert got["jit-vmap"].matches_loop is True and not report.ok


def test_value_check_reports_a_wrong_shape():
    report = dot_bench(wrong_shape_twin, variants=("loop", "manual"))
    assert "shape f32[3,1] but the loop gives f32[3]" in by_variant(report)["manual"].detail


def test_mismatch_tolerances():
    a = np.linspace(-3, 3, 50, dtype=np.float32)
    assert values.mismatch(a + 1e-6, a) is None          # summation-order noise
    assert values.mismatch(a[::-1], a) is not None       # a permuted batch
    ints = np.arange(5, dtype=np.int32)
    assert values.mismatch(ints + 1, ints) is not None   # integers: exact
    assert "structure" in values.mismatch((a, a), a)


def test_inputs_are_random_and_on_the_device():
    dev = jax.devices()[0]
    args = values.random_leaves([(3, 4), (3, 4)], ["float32", "float32"],
                                np.random.default_rng(0), dev)
    assert [a.shape for a in args] == [(3, 4), (3, 4)]
    assert all(a.devices() == {dev} for a in args)
    assert len(np.unique(np.asarray(args[0]))) == 12  # neither ones nor zeros


def test_sweep_gives_one_row_per_batch_and_variant():
    report = dot_bench(batch=[2, 5], variants=("loop", "jit-vmap"))
    assert [(r.batch_size, r.variant) for r in report.results] == [
        (2, "loop"), (2, "jit-vmap"), (5, "loop"), (5, "jit-vmap")]
    assert report.batch_sizes("dot") == [2, 5]
    assert "x f32[5,4]" in report.results[-1].inputs
    assert report.levels[0].batch_size == 2  # the first batch size's levels


def test_manual_variants_need_a_twin():
    report = dot_bench(variants=("loop", "manual"))
    assert [r.variant for r in report.results] == ["loop"]
    assert any("give one with manual=" in n for n in report.notes)


def test_in_axes_none_and_nonzero():
    def affine(W, x):
        return W @ x

    report = bench(affine, (3, 4), (4, 5), in_axes=(None, 1), manual=lambda W, xs: xs @ W.T,
                   settings=QUICK)
    assert report.results[0].batch_size == 5
    assert all(r.matches_loop for r in report.results), [r.detail for r in report.results]


def test_a_variant_that_raises_is_reported_not_fatal():
    def picky(x):
        if isinstance(x, jax.core.Tracer):
            raise ValueError("no tracing, please")
        return x * 2

    report = bench(picky, (2,), batch=2, settings=replace(QUICK, variants=("loop", "jit-vmap")))
    got = by_variant(report)
    assert got["loop"].status == "timed"
    assert got["jit-vmap"].status == "error" and "no tracing" in got["jit-vmap"].detail


def test_vmapx_own_errors_are_not_variant_rows(monkeypatch):
    """A bug in vmapx's variant builder reaches the caller; it is no "error" row."""
    from vmapx._bench import variants

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in vmapx")

    monkeypatch.setattr(variants, "build", broken)
    with pytest.raises(RuntimeError, match="a bug in vmapx"):
        dot_bench(variants=("loop",))


def test_out_axes_that_do_not_fit_the_outputs_are_a_usage_error():
    def two(x):
        return x, x * 2

    with pytest.raises(UsageError, match="out_axes has 3 entries but the function returns 2"):
        bench(two, (4, 3), out_axes=(0, 0, 0), settings=replace(QUICK, variants=("loop",)))


def test_a_failing_vmap_is_reported_not_raised():
    report = bench(jnp.add, (2, 3), (3, 3), settings=QUICK)
    assert not report.ok and report.results == [] and report.levels == []
    assert report.error.kind == "inconsistent_sizes"
    assert report.error.suggestions and "in_axes=(None, 0)" in report.error.hint
    data = report.to_json()
    assert data["command"] == "bench" and data["ok"] is False
    assert data["error"]["kind"] == "inconsistent_sizes" and data["results"] == []


def test_twin_of_a_nest_takes_the_inputs_with_level_0_moved_to_axis_0():
    """Two levels, the outer one mapping x on axis 1: the twin gets x with that axis first."""
    def f(x):
        return x * 2

    def twin(xs):  # xs: (4, 5, 3), the outer batch first, the inner one still on axis 0
        return jnp.transpose(xs * 2, (1, 0, 2))

    report = bench(f, (5, 4, 3), levels_in=[1, 0], levels_out=[1, 0], manual=twin,
                   settings=replace(QUICK, variants=("loop", "vmap", "manual")))
    assert [(r.variant, r.status, r.matches_loop) for r in report.results] == [
        ("loop", "timed", True), ("vmap", "timed", True), ("manual", "timed", True)]
    assert report.results[0].batch_shape == [4, 5]


def test_dict_params_with_a_batch_sweep_match_the_loop():
    from tests.fixtures.nest_funcs import affine

    report = bench(affine, {"W": (3, 5), "b": (3,)}, (5,), in_axes=({"W": None, "b": None}, 0),
                   batch=[2, 3], settings=replace(QUICK, variants=("loop", "vmap", "lax-map")))
    assert [(r.batch_size, r.variant, r.matches_loop) for r in report.results] == [
        (b, v, True) for b in (2, 3) for v in ("loop", "vmap", "lax-map")]


def test_compare_against_a_baseline_dict_is_part_of_the_report():
    first = dot_bench(variants=("jit-vmap",), runs=6)  # 6 samples: a test can tell
    baseline = first.to_json()
    row = baseline["results"][0]
    row.update(median_s=1e-12, q1_s=1e-12, q3_s=1e-12,  # impossibly fast: now a regression
               times_s=[1e-12] * len(row["times_s"]))
    report = dot_bench(variants=("jit-vmap",), runs=6, compare=baseline, fail_above=10)
    assert report.baseline == "baseline" and len(report.compare) == 1
    assert report.compare[0].change_pct > 10 and report.regressions == report.compare
    assert report.to_json()["compare"][0]["change_pct"] > 10


@pytest.mark.parametrize("settings, says", [
    (BenchSettings(variants=("jit-vamp",)), "unknown variant 'jit-vamp'"),
    (BenchSettings(fail_above=5), "fail_above needs a baseline"),
    (BenchSettings(compare="/no/such/base.json"), "no such file"),
])
def test_bad_settings_are_usage_errors(settings, says):
    with pytest.raises(UsageError, match=says):
        bench(dot, (4,), (4,), batch=2, settings=settings)


def test_options_without_a_function_are_refused():
    with pytest.raises(UsageError, match="batch needs a function; without one vmapx.bench"):
        bench(batch=8)


def test_missing_backend_lists_the_available_ones():
    have = available_backends()
    missing = next((b for b in ("tpu", "gpu") if b not in have), "no-such-backend")
    with pytest.raises(UsageError) as info:
        pick_device(missing, Surface("bench"))
    assert info.value.exit_code == 2
    assert missing in info.value.message and have[0] in info.value.message


def test_ctrl_c_returns_what_was_measured_so_far():
    class StopOnThird(NullProgress):
        def __init__(self):
            self.seen = 0

        def begin(self, label):
            self.seen += 1
            if self.seen == 3:
                raise KeyboardInterrupt

    report = dot_bench(good_twin, progress=StopOnThird())
    assert report.interrupted
    assert [r.variant for r in report.results] == ["loop", "loop-jit"]


def test_ctrl_c_from_the_clock_mid_measurement():
    reads = [0]

    def clock():
        reads[0] += 1
        if reads[0] > 5:  # a few readings in: mid-way through the measuring
            raise KeyboardInterrupt
        return reads[0] * 1e-3

    report = dot_bench(variants=("loop", "jit-vmap"), clock=clock)
    assert report.interrupted and len(report.results) < 2


def test_compile_counter_sees_a_new_shape():
    f = jax.jit(lambda x: x + 1)
    x = jnp.ones(7).block_until_ready()
    before = values.compile_count()
    f(x).block_until_ready()
    f(x).block_until_ready()  # cached: no new compile
    assert values.compile_count() - before == 1


def test_suite_lists_the_seed_functions(monkeypatch, tmp_path):
    from vmapx._bench import suite

    problems = suite.suite(Surface("bench", cli=False))
    assert [p.name for p in problems] == ["dot", "dot.affine", "neuron.model", "convolve",
                                          "logistic.predict_single",
                                          "logistic.per_example_grad"]
    assert problems[0].size == 5 and all(p.twin is not None for p in problems)
    assert all(not p.notes for p in problems)  # the suite says where its inputs are from
    monkeypatch.setattr(suite, "examples_dir", lambda: tmp_path)
    with pytest.raises(UsageError, match="examples/ folder"):
        suite.suite(Surface("bench", cli=False))
