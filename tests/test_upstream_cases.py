"""Cases derived from other projects' own vmap tests, checked against the real `jax.vmap`.

What JAX's tests/batching_test.py and tests/api_test.py, jax_autovmap's tests and Equinox's
test_vmap.py check, written here as small table rows (not copied): each row names its source, a
function (tests/fixtures/upstream_funcs.py), concrete inputs (pytrees allowed), and in_axes /
out_axes / axis_size / nested levels / ranks. For a row JAX runs, `vmapx.shape` predicts the same
output key paths, shapes and dtypes as `jax.vmap` (or `jax_autovmap.autovmap`) on those arrays;
for a row JAX refuses, vmapx says it fails (`ok == False`, the expected `error.kind`), or refuses
the option as bad input where the bad-input corpus does (exit 2). A subset goes through the CLI
(`--json`) and agrees with the library; a handful go through `vmapx.jaxpr`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vmapx
from tests import truth
from tests.fixtures import upstream_funcs as U
from vmapx.cli import app
from vmapx.errors import SpecError, UsageError, VmapFailure
from vmapx._text.specs import short_dtype

F = "tests/fixtures/upstream_funcs.py"


@dataclass(frozen=True)
class A:
    """A leaf input: its shape and dtype (made concrete for JAX, read as is by vmapx)."""
    shape: tuple
    dtype: Any = jnp.float32


def a(*shape, dtype=jnp.float32):
    return A(tuple(shape), dtype)


def i32(*shape):
    return A(tuple(shape), jnp.int32)


@dataclass
class Case:
    source: str
    fn: Callable[..., Any]
    args: tuple
    kw: dict = field(default_factory=dict)          # in_axes, out_axes, axis_size, levels, ranks
    named: dict = field(default_factory=dict)       # keyword arguments (vmap maps them on axis 0)
    fails: str | None = None                        # the error kind, or "usage" (bad input)
    says: str | None = None                         # words the failure's message must hold
    cli: list | None = None                         # argv after the function, for the CLI check
    jaxpr: bool = False                             # vmapx.jaxpr reports ok too
    jaxpr_fails: bool = False                       # vmapx.jaxpr reports the same failure
    # JAX releases before this one accept the case silently, where vmapx still reports it
    jax_accepts_before: tuple | None = None


def _linear(n_members=None):
    """An Equinox `Linear(3 → 2)`; with `n_members`, an ensemble: its parameters stacked on 0."""
    import equinox as eqx

    lin = eqx.nn.Linear(3, 2, key=jax.random.PRNGKey(0))
    if n_members is None:
        return lin
    rng = np.random.default_rng(1)
    w = rng.standard_normal((n_members, 2, 3)).astype(np.float32)
    b = rng.standard_normal((n_members, 2)).astype(np.float32)
    return eqx.tree_at(lambda m: (m.weight, m.bias), lin, (w, b))


class Lazy:
    """An input built when the case runs (Equinox modules: no JAX work at import)."""

    def __init__(self, make):
        self.make = make


CASES = [
    # -- JAX tests/batching_test.py -----------------------------------------------------------
    Case("jax batching_test: testConstantFunction", U.const3, (a(4),), cli=["--x", "4"],
         jaxpr=True),
    Case("jax batching_test: testNestedBatchingMatMat", U.vdot, (a(4, 3), a(3, 2)),
         dict(levels_in=[(None, 1), (0, None)], levels_out=[1, 0]),
         cli=["--a", "4,3", "--b", "3,2", "--in-axes", "None,1", "--out-axes", "1",
              "--in-axes", "0,None", "--out-axes", "0"], jaxpr=True),
    Case("jax batching_test: testPerExampleGradients (the forward pass)", U.predict,
         ([(a(4, 3), a(4)), (a(2, 4), a(2))], a(5, 3)), dict(in_axes=(None, 0))),
    Case("jax batching_test: testDot (both mapped)", U.dot, (a(10, 3), a(10, 3)),
         cli=["--a", "10,3", "--b", "10,3"]),
    Case("jax batching_test: testDot2 (in_axes (1, None))", U.dot, (a(3, 10), a(3)),
         dict(in_axes=(1, None)), cli=["--a", "3,10", "--b", "3", "--in-axes", "1,None"]),
    Case("jax batching_test: testDot3 (matrix, batched on 2)", U.dot, (a(5, 3), a(3, 2, 7)),
         dict(in_axes=(None, 2))),
    Case("jax batching_test: testDot4 (out_axes 1)", U.dot, (a(4, 3), a(3, 6)),
         dict(in_axes=(None, 1), out_axes=1), jaxpr=True),
    Case("jax batching_test: testDotGeneral (both mapped)", U.dot_general,
         (a(6, 2, 3, 5), a(6, 2, 5, 4))),
    Case("jax batching_test: testDotGeneral (lhs on 1)", U.dot_general,
         (a(2, 6, 3, 5), a(2, 5, 4)), dict(in_axes=(1, None))),
    Case("jax batching_test: testDotGeneral (rhs on 2, out_axes -1)", U.dot_general,
         (a(2, 3, 5), a(2, 5, 6, 4)), dict(in_axes=(None, 2), out_axes=-1)),
    Case("jax batching_test: testConcatenate (lhs mapped)", U.concat0, (a(4, 3), a(2)),
         dict(in_axes=(0, None))),
    Case("jax batching_test: testConcatenate (rhs on 1, out_axes 1)", U.concat0,
         (a(3), a(2, 4)), dict(in_axes=(None, 1), out_axes=1),
         cli=["--x", "3", "--y", "2,4", "--in-axes", "None,1", "--out-axes", "1"]),
    Case("jax batching_test: testSliceLax (axis 0)", U.slice_1_4, (a(6, 5),)),
    Case("jax batching_test: testSliceLax (axis 1)", U.slice_1_4, (a(5, 6),),
         dict(in_axes=1), jaxpr=True),
    Case("jax batching_test: testDynamicSlice (operand and index mapped)", U.dyn_slice,
         (a(4, 5), i32(4)), cli=["--x", "4,5", "--i", "i32[4]"]),
    Case("jax batching_test: testDynamicSlice (index mapped)", U.dyn_slice, (a(5), i32(4)),
         dict(in_axes=(None, 0))),
    Case("jax batching_test: testDynamicSlice (operand on 1)", U.dyn_slice, (a(5, 4), i32()),
         dict(in_axes=(1, None))),
    Case("jax batching_test: testGatherBatchedOperand", U.take, (a(4, 5), i32(3)),
         dict(in_axes=(0, None))),
    Case("jax batching_test: testGatherBatchedIndices", U.take, (a(5), i32(4, 3)),
         dict(in_axes=(None, 0)), jaxpr=True),
    Case("jax batching_test: testGatherBatchedBoth", U.take, (a(5, 4), i32(4, 3)),
         dict(in_axes=(1, 0)), cli=["--x", "5,4", "--idx", "i32[4,3]", "--in-axes", "1,0"]),
    Case("jax batching_test: testSort (axis 0)", U.sort, (a(3, 7),)),
    Case("jax batching_test: testSort (in and out on 1)", U.sort, (a(7, 3),),
         dict(in_axes=1, out_axes=1)),
    Case("jax batching_test: testSort (last axis, in_axes -1)", U.sort_last, (a(2, 7, 3),),
         dict(in_axes=-1)),
    Case("jax batching_test: testTranspose", U.transpose, (a(2, 4, 3),),
         dict(in_axes=1, out_axes=2)),
    Case("jax batching_test: testArgmax", U.argmax, (a(5, 4),), dict(in_axes=1),
         cli=["--x", "5,4", "--in-axes", "1"]),
    Case("jax batching_test: testCumsum (negative in_axes)", U.cumsum, (a(3, 6),),
         dict(in_axes=-1)),
    Case("jax batching_test: testWhileLoop (batched trip count)", U.count_up, (a(3), i32(4)),
         dict(in_axes=(None, 0)), jaxpr=True),
    Case("jax batching_test: testCond (batched predicate)", U.branch,
         (a(4, dtype=jnp.bool_), a(4, 3))),
    Case("jax batching_test: testScan (mapped on 1)", U.running_sum, (a(5, 4, 2),),
         dict(in_axes=1)),
    Case("jax batching_test: testRandom (a batch of keys)", U.sample,
         (A((4, 2), jnp.uint32),)),
    Case("jax batching_test: testLinalgSolve (matrix shared)", U.solve, (a(3, 3), a(5, 3)),
         dict(in_axes=(None, 0))),
    # -- JAX tests/api_test.py (vmap) --------------------------------------------------------
    Case("jax api_test: vmap in_axes tree prefix", U.tree_in,
         ({"a": a(4, 3), "b": a(3)}, a(4, 3)), dict(in_axes=({"a": 0, "b": None}, 0)),
         cli=["--p", '{"a": "f32[4,3]", "b": "f32[3]"}', "--x", "4,3",
              "--in-axes", '{"a": 0, "b": null},0']),
    Case("jax api_test: vmap in_axes given as a list", U.add, (a(4, 3), a(3)),
         dict(in_axes=[0, None])),
    Case("jax api_test: vmap out_axes pytree", U.dict_out, (a(4, 2, 3),),
         dict(out_axes={"a": 0, "b": 1})),
    Case("jax api_test: vmap out_axes a list, a prefix of a list output", U.list_out,
         (a(4, 2, 3),), dict(out_axes=[0, 1])),
    Case("jax api_test: vmap out_axes a list is not a prefix of a tuple output", U.tuple_out,
         (a(4, 2, 3),), dict(out_axes=[0, 1]), fails="other", says="tree prefix"),
    Case("jax api_test: vmap out_axes a tuple is not a prefix of a list output", U.list_out,
         (a(4, 2, 3),), dict(out_axes=(0, 1)), fails="other", says="tree prefix",
         jaxpr_fails=True),
    Case("jax api_test: vmap out_axes None for an unbatched output", U.mul_and_sum,
         (a(4, 3), a(3)), dict(in_axes=(0, None), out_axes=(0, None)),
         cli=["--x", "4,3", "--y", "3", "--in-axes", "0,None", "--out-axes", "0,None"]),
    Case("jax api_test: vmap axis_size with every in_axes None", U.add, (a(3), a(3)),
         dict(in_axes=None, axis_size=5),
         cli=["--x", "3", "--y", "3", "--in-axes", "None", "--axis-size", "5"]),
    Case("jax api_test: vmap negative out_axes on outputs of different ranks", U.dict_out,
         (a(4, 2, 3),), dict(out_axes=-1)),
    Case("jax api_test: vmap negative in_axes in a tree prefix", U.tree_in,
         ({"a": a(3, 4), "b": a(3)}, a(3, 4)), dict(in_axes=({"a": -1, "b": None}, -1))),
    Case("jax api_test: nested vmap, out_axes None at the inner level", U.pair_inner_none,
         (a(2, 3), a(3)), dict(levels_in=[(0, None), (0, None)], levels_out=[0, (0, None)])),
    Case("jax api_test: vmap negative in_axes and out_axes", U.add, (a(3, 4), a(3, 4)),
         dict(in_axes=-1, out_axes=-1)),
    Case("jax api_test: vmap kwargs are mapped on axis 0", U.scaled, (a(4, 3),),
         dict(in_axes=(0,)), named={"scale": a(4)}),
    Case("jax api_test: vmap over a list argument", U.list_in, ([a(4, 2, 3), a(4, 3, 5)],)),
    Case("jax api_test: nested vmap, an outer product", U.add, (a(3), a(5)),
         dict(levels_in=[(0, None), (None, 0)], levels_out=[0, 0])),
    Case("jax api_test: vmap leaves an unmapped default alone", U.with_default, (a(4, 3),)),
    # the errors JAX's tests check are raised
    Case("jax api_test: mismatched axis sizes", U.add, (a(2, 3), a(3, 3)),
         fails="inconsistent_sizes", cli=["--x", "2,3", "--y", "3,3"]),
    Case("jax api_test: rank too small for the in_axis", U.sort, (a(3),), dict(in_axes=1),
         fails="axis_out_of_range", cli=["--x", "3", "--in-axes", "1"]),
    Case("jax api_test: negative in_axis out of range", U.add, (a(2, 3), a(2, 3)),
         dict(in_axes=(-3, 0)), fails="axis_out_of_range"),
    Case("jax api_test: in_axes longer than the arguments", U.add, (a(2, 3), a(2, 3)),
         dict(in_axes=(0, 0, 0)), fails="in_axes_length"),
    Case("jax api_test: in_axes shorter than the arguments", U.add, (a(2, 3), a(2, 3)),
         dict(in_axes=(0,)), fails="in_axes_length"),
    Case("jax api_test: out_axes with the wrong number of entries", U.mul_and_sum,
         (a(4, 3), a(4, 3)), dict(out_axes=(0, 0, 0)), fails="usage",
         cli=["--x", "4,3", "--y", "4,3", "--out-axes", "0,0,0"]),
    Case("jax api_test: non-int in_axes (a float)", U.add, (a(2, 3), a(2, 3)),
         dict(in_axes=(0.5, 0)), fails="other", says="in_axes holds 0.5"),
    Case("jax api_test: non-int in_axes (a string)", U.add, (a(2, 3), a(2, 3)),
         dict(in_axes=("x", 0)), fails="other"),
    Case("jax api_test: non-int in_axes (a bool)", U.add, (a(2, 3), a(2, 3)),
         dict(in_axes=(True, 0)), fails="other"),
    Case("jax api_test: non-int in_axes (a numpy integer)", U.add, (a(2, 3), a(2, 3)),
         dict(in_axes=(np.int64(0), 0)), fails="other"),
    Case("jax api_test: non-int out_axes (a float)", U.add, (a(2, 3), a(2, 3)),
         dict(out_axes=0.5), fails="other", says="out_axes holds 0.5", jaxpr_fails=True),
    Case("jax api_test: non-int out_axes (a bool)", U.add, (a(2, 3), a(2, 3)),
         dict(out_axes=True), fails="other"),
    Case("jax api_test: non-int out_axes leaf in a pytree", U.mul_and_sum, (a(4, 3), a(4, 3)),
         dict(out_axes=(0, np.int32(0))), fails="other"),
    Case("jax api_test: every in_axes None and no axis_size", U.add, (a(2, 3), a(2, 3)),
         dict(in_axes=None), fails="no_mapped_axis"),
    Case("jax api_test: axis_size disagrees with the mapped axis", U.add, (a(2, 3), a(2, 3)),
         dict(axis_size=3), fails="inconsistent_sizes", jax_accepts_before=(0, 4, 38)),
    Case("jax api_test: out_axes None for a batched output", U.add, (a(4, 3), a(4, 3)),
         dict(out_axes=None), fails="other", says="depends on a mapped input",
         cli=["--x", "4,3", "--y", "4,3", "--out-axes", "None"]),
    Case("jax api_test: out_axes None for one batched output of two", U.mul_and_sum,
         (a(4, 3), a(4, 3)), dict(out_axes=(0, None)), fails="other",
         says="of mul_and_sum depends on a mapped input", jaxpr_fails=True),
    Case("jax api_test: out_axes out of range", U.sort, (a(4, 3),), dict(out_axes=3),
         fails="axis_out_of_range"),
    Case("jax api_test: in_axes a dict at the top level", U.tree_in,
         ({"a": a(4, 3), "b": a(3)}, a(4, 3)), dict(in_axes={"a": 0}),
         fails="in_axes_length"),
    Case("jax api_test: in_axes not a tree prefix of the argument", U.tree_in,
         ({"a": a(4, 3), "b": a(3)}, a(4, 3)), dict(in_axes=({"a": 0, "c": 0}, 0)),
         fails="in_axes_length"),
    Case("jax api_test: mismatched sizes inside a pytree", U.tree_in,
         ({"a": a(4, 3), "b": a(5, 3)}, a(4, 3)), fails="inconsistent_sizes"),
    Case("jax api_test: per-leaf in_axes of a tuple argument with different sizes",
         U.pair_sum, ((a(2, 3), a(2, 3)),), dict(in_axes=((0, 1),)), fails="inconsistent_sizes",
         says="mapped leaf by leaf"),
    Case("jax api_test: a parameter dict mapped as a whole, sizes differ", U.tree_in,
         ({"a": a(3, 2), "b": a(2, 3)}, a(2, 2)), fails="inconsistent_sizes",
         says="mapped as a whole"),
    Case("jax api_test: a scalar keyword argument mapped on axis 0", U.scaled, (a(4, 3),),
         dict(in_axes=(0,)), named={"scale": a()}, fails="other"),
    Case("jax batching_test: per-example shapes that do not fit dot", U.dot,
         (a(4, 3), a(4, 5)), fails="example_shape"),
    Case("jax api_test: nested vmap, the inner axis out of range", U.add, (a(3, 2), a(3, 2)),
         dict(levels_in=[(0, 0), (1, 1)], levels_out=[0, 0]), fails="axis_out_of_range"),
    # -- jax_autovmap's tests (ranks) ---------------------------------------------------------
    Case("jax_autovmap test: ranks matched exactly (no vmap)", U.foo, (a(), a(3), a(3, 3)),
         dict(ranks=(0, 1, 2))),
    Case("jax_autovmap test: one leading batch dim", U.foo, (a(), a(5, 3), a(5, 3, 3)),
         dict(ranks=(0, 1, 2)), cli=["--s", "f32[]", "--v", "5,3", "--m", "5,3,3",
                                     "--ranks", "0,1,2"]),
    Case("jax_autovmap test: broadcast leading dims", U.foo, (a(7, 1), a(5, 3), a(7, 5, 3, 3)),
         dict(ranks=(0, 1, 2))),
    Case("jax_autovmap test: broadcast a size-1 leading dim", U.foo, (a(2, 5), a(3), a(1, 3, 3)),
         dict(ranks=(0, 1, 2))),
    Case("jax_autovmap test: ranks by name", U.foo, (a(), a(5, 3), a(3, 3)),
         dict(ranks={"s": 0, "v": 1, "m": 2})),
    Case("jax_autovmap test: two vectors with separate leading dims", U.outer_rank,
         (a(4, 3), a(4, 5)), dict(ranks=(1, 1))),
    Case("jax_autovmap test: a None rank is not vmapped", U.rank_none, (a(6, 4), a(4, 2)),
         dict(ranks=(1, None))),
    Case("jax_autovmap test: size-1 leading dims broadcast both ways", U.add,
         (a(1, 4), a(3, 1)), dict(ranks=(0, 0))),
    Case("jax_autovmap test: a vector and a scalar per example", U.add, (a(5, 3), a(5)),
         dict(ranks=(1, 0)), cli=["--x", "5,3", "--y", "5", "--ranks", "1,0"]),
    Case("jax_autovmap test: a pytree output", U.dot_and_keep, (a(4, 3), a(3)),
         dict(ranks=(1, 1))),
    Case("jax_autovmap test: a scalar's leading dim does not match", U.add, (a(5, 3), a(3)),
         dict(ranks=(1, 0)), fails="inconsistent_sizes"),
    Case("jax_autovmap test: rank smaller than the base rank", U.foo, (a(), a(5, 3), a(3)),
         dict(ranks=(0, 1, 2)), fails="axis_out_of_range"),
    Case("jax_autovmap test: leading dims that do not broadcast", U.foo,
         (a(), a(4, 3), a(5, 3, 3)), dict(ranks=(0, 1, 2)), fails="inconsistent_sizes",
         cli=["--s", "f32[]", "--v", "4,3", "--m", "5,3,3", "--ranks", "0,1,2"]),
    # -- Equinox's test_vmap.py ---------------------------------------------------------------
    Case("equinox test_vmap: ensemble (parameters mapped, input shared)", U.linear,
         (Lazy(U.ensemble), a(3)), dict(in_axes=(0, None)), jaxpr=True,
         cli=["--model", f"@{F}:ensemble", "--x", "3", "--in-axes", "0,None"]),
    Case("equinox test_vmap: ensemble (parameters and input mapped)", U.linear,
         (Lazy(U.ensemble), a(4, 3)), cli=["--model", f"@{F}:ensemble", "--x", "4,3"]),
    Case("equinox test_vmap: ensemble (stacked by hand, input shared)", U.linear,
         (Lazy(lambda: _linear(4)), a(3)), dict(in_axes=(0, None))),
    Case("equinox test_vmap: one model, a batch of inputs", U.linear,
         (Lazy(_linear), a(5, 3)), dict(in_axes=(None, 0))),
    Case("equinox test_vmap: ensemble members and batch disagree", U.linear,
         (Lazy(U.ensemble), a(3, 3)), fails="inconsistent_sizes",
         cli=["--model", f"@{F}:ensemble", "--x", "3,3"]),
    Case("equinox test_vmap: keyword arguments", U.add, (a(4, 3),), named={"y": a(4, 3)}),
    Case("equinox test_vmap: out_axes a pytree prefix", U.pair_out, (a(4, 3), a(4, 3)),
         dict(out_axes=(1, {"s": 0, "y": 1}))),
    Case("equinox test_vmap: out_axes a prefix with None for an unbatched leaf", U.pair_out,
         (a(4, 3), a(3)), dict(in_axes=(0, None), out_axes=(0, {"s": 0, "y": None}))),
    Case("equinox test_vmap: axis_size with nothing mapped", U.const3, (a(),),
         dict(in_axes=None, axis_size=5)),
]


# -- the ground truth and vmapx's answers -------------------------------------------------------

def _concrete(tree, rng):
    if isinstance(tree, A):
        return truth.concrete(tree.shape, tree.dtype, rng)
    if isinstance(tree, Lazy):
        return tree.make()
    if isinstance(tree, dict):
        return {k: _concrete(v, rng) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_concrete(v, rng) for v in tree)
    return tree


def _leaves(out):
    flat, _ = jax.tree_util.tree_flatten_with_path(out)
    return [(jax.tree_util.keystr(p), tuple(np.shape(x)), short_dtype(jnp.result_type(x)))
            for p, x in flat]


def _real(case, args, named):
    """What JAX does: leaves as (key path, shape, dtype), or the exception it raises."""
    kw = case.kw
    if "ranks" in kw:
        import jax_autovmap

        r = kw["ranks"]
        g = jax_autovmap.autovmap(**r)(case.fn) if isinstance(r, dict) else \
            jax_autovmap.autovmap(*r)(case.fn)
    elif "levels_in" in kw:
        g = case.fn
        for ia, oa in reversed(list(zip(kw["levels_in"], kw["levels_out"]))):
            g = jax.vmap(g, in_axes=ia, out_axes=oa)
    else:
        try:
            g = jax.vmap(case.fn, in_axes=kw.get("in_axes", 0), out_axes=kw.get("out_axes", 0),
                         axis_size=kw.get("axis_size"))
        except Exception as exc:  # noqa: BLE001 - JAX refuses the axes before tracing
            return exc
    names = list(named)

    def call(*flat):
        return g(*flat[:len(args)], **dict(zip(names, flat[len(args):])))

    try:
        return _leaves(truth.run(call, *args, *named.values()))
    except Exception as exc:  # noqa: BLE001 - any failure of JAX's is the answer
        return exc


def _predict(case, args, named):
    """vmapx's answer: leaves as (key path, shape, dtype), ("error", kind, message), or
    ("usage", message)."""
    try:
        report = vmapx.shape(case.fn, *args, **case.kw, **named)
    except (UsageError, SpecError) as err:
        return ("usage", err.message)
    if not report.ok:
        err = report.error
        assert err.kind in VmapFailure.KINDS and err.message and err.hint, err
        return ("error", err.kind, err.message)
    return [(o.path, tuple(o.shape), o.dtype) for o in report.outputs]


def _inputs(case):
    rng = np.random.default_rng(0)
    return _concrete(case.args, rng), _concrete(case.named, rng)


@pytest.mark.parametrize("case", CASES, ids=[c.source for c in CASES])
def test_vmapx_agrees_with_jax(case):
    args, named = _inputs(case)
    real = _real(case, args, named)
    predicted = _predict(case, args, named)
    if case.fails is None:
        assert not isinstance(real, Exception), f"the case should run: {real!r}"
        assert predicted == real, (predicted, real)
    else:
        if not _jax_older_than(case.jax_accepts_before):
            assert isinstance(real, Exception), f"JAX should refuse this case, it returns {real}"
        want = ("usage",) if case.fails == "usage" else ("error", case.fails)
        assert predicted[:len(want)] == want, (predicted, want, real)
        assert case.says is None or case.says in predicted[-1], (predicted, case.says)


def _jax_older_than(version: tuple | None) -> bool:
    """The running JAX is older than `version` (README: vmapx reports what later JAX refuses,
    e.g. an axis_size that disagrees with the mapped axes, which JAX < 0.4.38 ignores)."""
    if version is None:
        return False
    return tuple(int(p) for p in jax.__version__.split(".")[:3]) < version


def test_the_table_covers_each_source():
    sources = [c.source.split(":")[0] for c in CASES]
    for name in ("jax batching_test", "jax api_test", "jax_autovmap test", "equinox test_vmap"):
        assert sources.count(name) >= 6, name
    assert len(CASES) >= 40
    assert sum(c.fails is not None for c in CASES) >= 15
    for c in CASES:
        assert c.fails in (None, "usage", *VmapFailure.KINDS), c.source


CLI_CASES = [c for c in CASES if c.cli is not None]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.source for c in CLI_CASES])
def test_the_cli_agrees_with_the_library(case, runner):
    r = runner.invoke(app, ["shape", f"{F}:{case.fn.__name__}", *case.cli, "--json"])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output and "unexpected" not in r.output, r.output
    args, named = _inputs(case)
    predicted = _predict(case, args, named)
    if case.fails == "usage":
        assert r.exit_code == 2, r.output
        return
    data = json.loads(r.stdout)
    if case.fails is None:
        assert r.exit_code == 0, r.output
        got = [(o["path"], tuple(o["shape"]), o["dtype"]) for o in data["outputs"]]
        assert got == predicted
    else:
        assert r.exit_code == 1, r.output
        assert data["ok"] is False and ("error", data["error"]["kind"]) == predicted[:2]
        assert case.says is None or case.says in data["error"]["message"], data["error"]


JAXPR_CASES = [c for c in CASES if c.jaxpr or c.jaxpr_fails]


@pytest.mark.parametrize("case", JAXPR_CASES, ids=[c.source for c in JAXPR_CASES])
def test_jaxpr_agrees(case):
    args, named = _inputs(case)
    report = vmapx.jaxpr(case.fn, *args, **case.kw, **named)
    if case.fails is None:
        assert report.ok and report.error is None, report.error
    else:
        assert not report.ok and report.error.kind == case.fails, report.error



@pytest.mark.parametrize("argv, says, not_said", [
    # the axis JAX refuses is the one the header shows (it showed "in_axes (—)")
    ([f"{F}:sort", "--x", "3", "--in-axes", "1"], "in_axes (1)", "in_axes (—)"),
    ([f"{F}:add", "--x", "3", "--y", "3", "--in-axes", "2,None"], "in_axes (2,—)", "(—,—)"),
    # leading dims that do not broadcast: a failure, not "no vmap (no extra leading dims)"
    ([f"{F}:foo", "--s", "f32[]", "--v", "4,3", "--m", "5,3,3", "--ranks", "0,1,2"],
     "ranks s=0,v=1,m=2", "no vmap"),
])
def test_the_header_of_a_failed_placement(argv, says, not_said, runner):
    r = runner.invoke(app, ["shape", *argv])
    assert r.exit_code == 1, r.output
    head = r.output.splitlines()[0]
    assert says in head and not_said not in head, head
