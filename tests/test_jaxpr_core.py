"""The `vmapx jaxpr` core, without the CLI: text, alignment, verdict, batch axes, loop, costs."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tests.conftest import EXAMPLES
from vmapx._analysis import _compat as compat
from vmapx._jaxpr import cost as jaxpr_cost
from vmapx._jaxpr import loop as loop_module
from vmapx._jaxpr.api import jaxpr
from vmapx._jaxpr.diff import AlignRow, align, equations, verdict
from vmapx._jaxpr.loop import COUNTED_UP_TO, level_structs, loop_fn, stacking
from vmapx._jaxpr.settings import JaxprSettings
from vmapx._problem.request import problem
from vmapx._problem.surface import Surface
from vmapx._text.target import resolve

W = np.arange(15, dtype=np.float32).reshape(3, 5) / 10


def model(v):
    return jnp.tanh(W @ v + 1.0).sum()


def batched_model(v_batch):
    return jnp.tanh(jnp.einsum("mk,nk->nm", W, v_batch) + 1.0).sum(1)


def lin(x):
    return W @ x


def lin_batched(xs):
    return jnp.einsum("mk,nk->nm", W, xs)


def wrong_shape(xs):
    return jnp.tanh(jnp.einsum("mk,nk->mn", W, xs) + 1.0)  # f32[3,4], vmap gives f32[4]


S = functools.partial(jax.ShapeDtypeStruct, dtype=jnp.float32)
NO_COST = JaxprSettings(cost=False)


@functools.lru_cache(maxsize=None)
def neuron():
    return jaxpr(model, "f32[5]", batch=4, manual=batched_model)


# --- text exactly as JAX prints it --------------------------------------------------------------

CASES = [
    (model, [S((4, 5))], 0),
    (jnp.dot, [S((5, 100)), S((100,))], (0, None)),
    (lambda x, y: jnp.sin(x) * y, [S((2, 3)), S((3, 2))], (0, 1)),
    (lambda x: jax.lax.cond(x.sum() > 0, jnp.sin, jnp.cos, x), [S((3, 4))], 0),
    (lambda x: jnp.cumsum(x, axis=0), [S((6, 3))], 1),
]


@pytest.mark.parametrize("fn,args,in_axes", CASES)
def test_text_is_jax_own_printing(fn, args, in_axes):
    report = jaxpr(fn, *args, in_axes=in_axes, settings=NO_COST)
    assert report.versions["vmap"].text == str(jax.make_jaxpr(jax.vmap(fn, in_axes))(*args))
    assert report.to_json()["versions"]["vmap"]["text"] == report.versions["vmap"].text


def test_source_info_and_name_stack_are_pretty_print_options():
    report = jaxpr(model, "f32[5]", batch=2,
                   settings=JaxprSettings(cost=False, source_info=True, name_stack=True))
    cj = jax.make_jaxpr(jax.vmap(model))(S((2, 5)))
    assert report.versions["vmap"].text == cj.pretty_print(use_color=False, source_info=True,
                                                           name_stack=True)
    assert "test_jaxpr_core.py" in report.versions["vmap"].text


# --- alignment and verdict ------------------------------------------------------------------------

def test_seed_000_same_primitives_same_order_and_batch_axes():
    r = neuron()
    assert r.verdict == ("same 4 primitives in the same order: "
                         "dot_general → add → tanh → reduce_sum")
    assert all(row.matched for row in r.alignment) and len(r.alignment) == 4
    vm, man = r.versions["vmap"].equations, r.versions["manual"].equations
    assert (vm[0].primitive, vm[0].axes) == ("dot_general", [1])   # f32[3,4]: batch at 1
    assert (man[0].primitive, man[0].axes) == ("dot_general", [0])  # f32[4,3]: batch at 0
    assert vm[0].outputs == [("f32", (3, 4))] and man[0].outputs == [("f32", (4, 3))]
    assert r.to_json()["batch_axes"][0] == {"equation": 0, "primitive": "dot_general",
                                            "axes": [1]}


def test_seed_000_from_the_examples_module_matches_too():
    target = resolve(f"{EXAMPLES}/neuron.py:model")
    r = jaxpr(target.fn, "f32[5]", batch=4, manual=target.module.batched_model,
              settings=NO_COST)
    assert r.verdict.startswith("same 4 primitives in the same order: dot_general")


def test_non_matching_pair():
    r = jaxpr(lin, "f32[5]", batch=4, manual=lin_batched, settings=NO_COST)
    assert r.verdict == "differ: 1 primitive lines up in order; only in vmap(lin): transpose"
    assert [(row.vmap, row.other, row.primitive, row.matched) for row in r.alignment] == [
        (0, 0, "dot_general", True), (1, None, "transpose", False)]


def test_align_and_verdict_units():
    a = equations(jax.make_jaxpr(lambda x: jnp.exp(jnp.sin(x)))(S((3,))))
    b = equations(jax.make_jaxpr(lambda x: jnp.sin(jnp.exp(x)))(S((3,))))
    rows = align(a, b)
    assert sum(r.matched for r in rows) == 1
    assert verdict(rows, "A", "B").startswith("same 2 primitives, in a different order")
    many = [AlignRow(i, i, f"p{i}", True) for i in range(30)]
    assert "…" in verdict(many, "A", "B") and verdict(many, "A", "B").startswith("same 30")


def test_comparison_looks_through_nested_jit_and_inline_shows_it_flat():
    inner = jax.jit(lambda x: jnp.sin(x) * 2)

    def f(x):
        return jax.nn.relu(inner(x)).sum()

    def fb(xs):
        return jnp.maximum(jnp.sin(xs) * 2, 0.0).sum(1)

    r = jaxpr(f, "f32[5]", batch=3, manual=fb,
              settings=JaxprSettings(cost=False, inline=True))
    assert r.verdict == "same 4 primitives in the same order: sin → mul → max → reduce_sum"
    assert "jit[" in r.versions["vmap"].text and "custom_jvp_call" in r.versions["vmap"].text
    def flat(x):
        return jnp.maximum(jnp.sin(x) * 2, 0.0).sum()

    assert r.versions["vmap"].inlined_text == str(jax.make_jaxpr(jax.vmap(flat))(S((3, 5))))
    assert r.versions["vmap"].primitives == {"sin": 1, "mul": 1, "max": 1, "reduce_sum": 1}


def test_primitives_are_counted_through_sub_jaxprs():
    def f(x):
        return jax.lax.fori_loop(0, 3, lambda i, c: jnp.sin(c), x)

    counts = jaxpr(f, "f32[4]", batch=2, settings=NO_COST).versions["vmap"].primitives
    assert counts.get("sin") == 1 and (counts.get("scan") or counts.get("while"))


# --- batch-axis tracking --------------------------------------------------------------------------

def test_batch_axes_known_cases():
    def f(x, w):
        return jnp.sin(w) + x  # sin(w) has no batch axis: w is unmapped

    r = jaxpr(f, "f32[3,4]", "f32[3,4]", in_axes=(1, None), batch=5, settings=NO_COST)
    axes = {e.primitive: e.axes for e in r.versions["vmap"].equations}
    assert axes["sin"] == [None]
    out_axis = r.versions["vmap"].equations[-1].axes
    assert out_axis == [0]  # out_axes=0 puts it first in the end


def test_batch_axis_in_the_middle():
    r = jaxpr(lambda x: jnp.exp(x), "f32[3,4]", in_axes=1, out_axes=1, batch=5,
              settings=NO_COST)
    assert r.versions["vmap"].equations[0].axes == [1]


# --- the loop version -----------------------------------------------------------------------------

def two_outputs(w, x):
    y = jnp.sin(w * x)
    return y, {"total": y.sum(), "first": x[0]}


def _real_loop(fn, inputs, in_axes, out_axes, b):
    """The loop vmapx describes, traced for real at B=b: (its problem, its jaxpr)."""
    p = problem(fn, inputs, {}, {"in_axes": in_axes, "out_axes": out_axes, "batch": b},
                Surface("jaxpr", cli=False))
    top = p.levels[0]
    return p, jax.make_jaxpr(loop_fn(p.flat(p.call), top.axes, out_axes, b))(
        *level_structs(p, b))


@pytest.mark.parametrize("fn,inputs,in_axes,out_axes", [
    (model, ["f32[5]"], 0, 0),
    (two_outputs, ["f32[3]", "f32[3]"], (None, 0), 0),
    (two_outputs, ["f32[3]", "f32[3]"], (None, 1), (1, 0)),
])
@pytest.mark.parametrize("b", [1, 2, 3, 5])
def test_loop_equation_count_matches_the_real_loop(fn, inputs, in_axes, out_axes, b):
    r = jaxpr(fn, *inputs, in_axes=in_axes, out_axes=out_axes, batch=b, settings=NO_COST)
    loop = r.versions["loop"]
    _, real = _real_loop(fn, inputs, in_axes, out_axes, b)
    assert loop.eqn_count == len(compat.flat_eqns(real))
    assert loop.eqn_count == loop.base + loop.per_example * b
    _, one = _real_loop(fn, inputs, in_axes, out_axes, 1)     # the text is one iteration's
    assert loop.text_batch == 1 and loop.text == one.pretty_print(use_color=False)


def test_loop_counts_are_real_up_to_the_counted_size_and_said_to_be_carried_on_above(
        monkeypatch):
    top = 20   # as COUNTED_UP_TO (512), at sizes whose real loops are quick to trace
    monkeypatch.setattr(loop_module, "COUNTED_UP_TO", top)
    real = {}
    for b in (top, top + 37):
        r = jaxpr(model, "f32[5]", batch=b, settings=NO_COST)
        real[b] = len(compat.flat_eqns(_real_loop(model, ["f32[5]"], 0, 0, b)[1]))
        loop = r.versions["loop"]
        assert loop.eqn_count == loop.base + loop.per_example * b
        said = [n for n in r.notes if "not traced" in n]
        assert said == ([] if b == top else [
            f"loop: a loop over {b} examples is not traced; its equations are counted at "
            f"B={top} and carried on at {loop.per_example} per example from there "
            "(how JAX stacks many outputs may grow unevenly)"])
    # carried on from the real count at `top` at the real loop's last step there (exact where
    # this JAX's stacking grows evenly: before 0.10.1 it concatenates in chunks of 16)
    before_top = len(compat.flat_eqns(_real_loop(model, ["f32[5]"], 0, 0, top - 1)[1]))
    assert loop.per_example == real[top] - before_top
    assert loop.eqn_count == real[top] + 37 * loop.per_example


def test_a_batch_of_zero_has_no_loop_version_as_a_real_loop_has_nothing_to_stack():
    r = jaxpr(jnp.sum, "f32[0,3]", static={"axis": 0}, settings=NO_COST)
    assert r.ok and r.versions["loop"] is None and r.versions["vmap"].eqn_count >= 1
    assert any(n.startswith("no loop version over 0 examples") for n in r.notes)
    with pytest.raises(ValueError):
        jnp.stack([])


@pytest.mark.parametrize("count,size", [
    (lambda n: 3 * n + (n >= 2), 2),                 # stack before JAX 0.10.1: a concatenate
    (lambda n: 3 * n + (n >= 2), 5),                 # from two elements on,
    (lambda n: 3 * n + (n + 15) // 16, 40),          # more in chunks of 16
    (lambda n: 4 * n + 7, COUNTED_UP_TO),
])
def test_stacking_is_counted_at_the_size(count, size):
    assert stacking(count, size) == (count(size), count(size) - count(size - 1), size)


def test_stacking_above_the_counted_sizes_is_carried_on_from_the_last_step():
    seen = []

    def count(n):
        seen.append(n)
        return 3 * n + (n + 15) // 16

    top = COUNTED_UP_TO
    assert stacking(count, top + 100) == (count(top) + 3 * 100, 3, top)
    assert max(seen) == top


# --- costs ----------------------------------------------------------------------------------------

def test_costs_present_on_cpu():
    r = neuron()
    vm, loop = r.versions["vmap"].cost, r.versions["loop"].cost
    assert vm.flops > 0 and vm.transcendentals == 12  # tanh on 4 × 3
    assert loop.times == 4 and loop.memory is None
    assert r.to_json()["versions"]["manual"]["cost"]["flops"] == r.versions["manual"].cost.flops


def test_compiled_costs_and_memory():
    r = jaxpr(model, "f32[5]", batch=4, manual=batched_model,
              settings=JaxprSettings(compile=True))
    vm = r.versions["vmap"].cost
    assert vm.source == "compiled" and vm.flops > 0
    assert vm.memory["argument"] == 4 * 5 * 4 and vm.memory["output"] == 4 * 4
    assert r.versions["loop"].cost.memory is None  # a product of figures, not a program


def test_costs_unavailable(monkeypatch):
    monkeypatch.setattr(jaxpr_cost, "normalise", lambda raw: None)
    monkeypatch.setattr(jaxpr_cost, "memory", lambda compiled: None)
    r = jaxpr(model, "f32[5]", batch=2, settings=JaxprSettings(compile=True))
    for v in r.versions.values():
        if v is not None:
            assert v.cost is None and v.cost_note == "unavailable on this backend"


def test_normalise_cost_forms():
    raw = {"flops": 10.0, "transcendentals": 2.0, "bytes accessed": 40.0, "utilization0{}": 1.0}
    want = {"flops": 10.0, "transcendentals": 2.0, "bytes_accessed": 40.0}
    assert jaxpr_cost.normalise(raw) == want
    assert jaxpr_cost.normalise([raw]) == want
    assert jaxpr_cost.normalise([raw, raw])["flops"] == 20.0
    assert jaxpr_cost.normalise(None) is None
    assert jaxpr_cost.normalise([]) is None
    assert jaxpr_cost.normalise({"flops": -1.0}) is None
    assert jaxpr_cost.normalise({"flops": 3.0}) == {"flops": 3.0, "transcendentals": 0.0,
                                                   "bytes_accessed": 0.0}


def test_no_cost_skips_compiling():
    r = jaxpr(model, "f32[5]", batch=2, settings=NO_COST)
    assert r.versions["vmap"].cost is None and r.versions["vmap"].cost_note is None


@pytest.mark.parametrize("stage,marker", [("stablehlo", "stablehlo.dot_general"),
                                          ("hlo", "HloModule")])
def test_stages(stage, marker):
    r = jaxpr(model, "f32[5]", batch=2, manual=batched_model,
              settings=JaxprSettings(cost=False, stage=stage))
    assert marker in r.versions["vmap"].stage_text and marker in r.versions["manual"].stage_text
    assert r.to_json()["versions"]["vmap"][stage] == r.versions["vmap"].stage_text


# --- the hand-batched twin failing: reported, not raised ------------------------------------------

def test_manual_with_wrong_output_shape_is_a_reported_failure():
    r = jaxpr(model, "f32[5]", batch=4, manual=wrong_shape, settings=NO_COST)
    assert not r.ok and r.versions == {} and r.error.kind == "other"
    assert "returns f32[3,4]" in r.error.message and "f32[4]" in r.error.message
    assert r.error.suggestions == []  # vmap works: no other in_axes to suggest
    assert r.to_json()["error"]["message"] == r.error.message


def test_manual_that_raises_is_a_reported_failure():
    r = jaxpr(model, "f32[5]", batch=4, manual=lambda a, b: a, settings=NO_COST)
    assert not r.ok and "fails on the batched inputs" in r.error.message
    assert "TypeError" in r.error.jax_message
