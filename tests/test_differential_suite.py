"""Differential suite: what vmapx predicts agrees with jax.vmap run on small concrete arrays.

The real vmap runs under jax.jit on NumPy arrays (tests/truth.py: one quick compile a case).
Every case is drawn by hypothesis with `derandomize=True` (the same cases on every run). For a
case vmapx says works, the real `jax.vmap` on concrete arrays of the reported shapes must return
the same output shapes and dtypes; for a case vmapx says fails, JAX must raise too, and the error
kind must be the one an independent structural model of vmap's rules expects.

Cases per test (the `max_examples` below): elementwise 110, reduction 60, matmul 60,
multi-output 60, --batch mode 50, pytree 60, nested 60, anything-goes 50: 510 in all.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vmapx
from tests import truth
from vmapx.errors import UsageError
from vmapx._text.specs import short_dtype

DTYPES = {"f32": jnp.float32, "i32": jnp.int32, "bf16": jnp.bfloat16, "f16": jnp.float16,
          "bool": jnp.bool_}
NUMERIC = ["f32", "i32", "bf16", "f16"]
ALL = NUMERIC + ["bool"]


def _settings(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


# -- the reference: real jax.vmap on concrete arrays (tests/truth.py) -------------------------

def _tree_concrete(tree, rng):
    """A pytree of (shape, dtype) pairs → the same pytree of concrete arrays."""
    if isinstance(tree, dict):
        return {k: _tree_concrete(v, rng) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_tree_concrete(v, rng) for v in tree]
    shape, dtype = tree
    return truth.concrete(shape, DTYPES[dtype], rng)


def _spec(tree):
    """(shape, dtype) pairs → vmapx's `f32[2,3]` strings, keeping the pytree structure."""
    if isinstance(tree, dict):
        return {k: _spec(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_spec(v) for v in tree]
    shape, dtype = tree
    return f"{dtype}[{','.join(map(str, shape))}]"


def _real(fn, args, levels_in, levels_out, axis_size=None):
    """Run the real (nested) vmap; leaves as (shape, short dtype), or the exception raised."""
    g = fn
    for ia, oa in reversed(list(zip(levels_in, levels_out))):
        g = jax.vmap(g, in_axes=ia, out_axes=oa, axis_size=axis_size)
    rng = np.random.default_rng(0)
    try:
        out = truth.run(g, *[_tree_concrete(a, rng) for a in args])
    except Exception as exc:  # noqa: BLE001 - any failure of JAX's is the answer
        return exc
    return [(tuple(x.shape), short_dtype(x.dtype)) for x in jax.tree_util.tree_leaves(out)]


def _predict(fn, args, **kw):
    """vmapx's prediction: leaves as (shape, dtype), or ("error", kind), or ("usage", msg)."""
    try:
        report = vmapx.shape(fn, *[_spec(a) for a in args], **kw)
    except UsageError as err:
        return ("usage", err.message)
    if report.error is not None:
        assert report.error.kind in vmapx.errors.VmapFailure.KINDS, report.error
        assert report.error.message and report.error.hint is not None, report.error
        return ("error", report.error.kind)
    return [(o.shape, o.dtype) for o in report.outputs]


def agree(fn, args, in_axes, out_axes, *, expect=None, levels=None, **kw):
    """vmapx and JAX agree on this case. `expect` is the error kind the structural model
    expects (or "example" for a per-example failure, decided by tracing fn per example)."""
    if levels is None:
        predicted = _predict(fn, args, in_axes=in_axes, out_axes=out_axes, **kw)
        real = _real(kw.get("static") and functools.partial(fn, **kw["static"]) or fn, args,
                     [in_axes], [out_axes], kw.get("axis_size"))
    else:
        levels_in, levels_out = levels
        predicted = _predict(fn, args, levels_in=levels_in, levels_out=levels_out, **kw)
        real = _real(fn, args, levels_in, levels_out)
    if isinstance(real, Exception):
        assert isinstance(predicted, tuple), (f"vmapx predicts {predicted} but JAX raises "
                                              f"{type(real).__name__}: {real}")
        if expect is not None and predicted[0] == "error":
            assert predicted[1] == expect, (predicted, expect, real)
        return predicted
    assert not isinstance(predicted, tuple), f"vmapx predicts {predicted}, JAX returns {real}"
    assert predicted == real
    assert expect is None, f"the model expected {expect}, but JAX and vmapx both succeed"
    return predicted


# -- an independent model of vmap's structural rules -------------------------------------------

def structural_kind(shapes, in_axes, axis_size=None):
    """The first structural failure JAX's vmap hits (in vmapx's order), or None."""
    n = len(shapes)
    axes = list(in_axes) if isinstance(in_axes, tuple) else [in_axes] * n
    if len(axes) != n:
        return "in_axes_length"
    for s, a in zip(shapes, axes):
        if a is not None and not -len(s) <= a < len(s):
            return "axis_out_of_range"
    sizes = {s[a] for s, a in zip(shapes, axes) if a is not None}
    if not sizes and axis_size is None:
        return "no_mapped_axis"
    if len(sizes | ({axis_size} if axis_size else set())) > 1:
        return "inconsistent_sizes"
    return None


def per_example_kind(fn, shapes, dtypes, in_axes, out_axes, static=None):
    """After the structural checks: does fn fail per example, or is out_axes out of range?"""
    axes = list(in_axes) if isinstance(in_axes, tuple) else [in_axes] * len(shapes)
    ex = [jax.ShapeDtypeStruct(tuple(d for i, d in enumerate(s) if a is None or i != a % len(s)),
                               DTYPES[t]) for s, t, a in zip(shapes, dtypes, axes)]
    f = functools.partial(fn, **static) if static else fn
    try:
        out = jax.eval_shape(f, *ex)
    except (TypeError, ValueError, IndexError):
        return "example_shape"
    except Exception:  # noqa: BLE001
        return "other"
    top = out if isinstance(out, (tuple, list)) else (out,)
    per = out_axes if isinstance(out_axes, tuple) else (out_axes,) * len(top)
    if len(per) != len(top):
        return None  # a usage error, checked by the caller
    for o, oa in zip(top, per):
        for leaf in jax.tree_util.tree_leaves(o):
            if oa is not None and not -(leaf.ndim + 1) <= oa <= leaf.ndim:
                return "axis_out_of_range"
    return None


def expected_kind(fn, shapes, dtypes, in_axes, out_axes, static=None, axis_size=None):
    return structural_kind(shapes, in_axes, axis_size) or per_example_kind(
        fn, shapes, dtypes, in_axes, out_axes, static)


# -- strategies ---------------------------------------------------------------------------------

dims = st.integers(1, 6)


def example_shape(rank_max=4):
    return st.integers(0, rank_max).flatmap(lambda r: st.tuples(*[dims] * r))


@st.composite
def batched(draw, examples, dtypes, *, allow_none=True, corrupt=0.3):
    """Insert a batch dim into each per-example shape at a drawn axis (None: unmapped), then
    sometimes break one thing: a size, an axis out of range, the in_axes length, all None."""
    b = draw(dims)
    shapes, axes = [], []
    for ex in examples:
        r = len(ex)
        ax = draw(st.none() if allow_none and draw(st.integers(0, 3)) == 0
                  else st.integers(-(r + 1), r))
        if ax is None:
            shapes.append(tuple(ex))
        else:
            at = ax % (r + 1)
            shapes.append(tuple(ex[:at]) + (b,) + tuple(ex[at:]))
        axes.append(ax)
    if all(a is None for a in axes):
        axes[0] = 0
        shapes[0] = (b,) + tuple(shapes[0])
    in_axes = tuple(axes)
    if draw(st.floats(0, 1)) < corrupt:
        how = draw(st.sampled_from(["size", "range", "length", "none", "scalar"]))
        i = draw(st.integers(0, len(shapes) - 1))
        if how == "size" and in_axes[i] is not None:
            s = list(shapes[i])
            s[in_axes[i]] = s[in_axes[i]] % 6 + 1 if s[in_axes[i]] != 1 else 2
            shapes[i] = tuple(s)
        elif how == "range":
            r = len(shapes[i])
            in_axes = in_axes[:i] + (draw(st.sampled_from([r, r + 1, -r - 1, -r - 3])),) \
                + in_axes[i + 1:]
        elif how == "length":
            # shorter (an entry more would make vmapx borrow a shape for the next parameter)
            in_axes = in_axes[:-1]
        elif how == "none":
            in_axes = (None,) * len(in_axes)
        elif how == "scalar" and in_axes[i] is not None:
            in_axes = in_axes[0] if len(set(in_axes)) == 1 else in_axes
    elif len(set(in_axes)) == 1 and draw(st.booleans()):
        in_axes = in_axes[0]  # one int (or None) for every argument
    return shapes, [draw(dtypes[min(i, len(dtypes) - 1)]) for i in range(len(shapes))], in_axes


def out_axis_for(rank):
    """Mostly in range for a rank-`rank` output, sometimes one beyond either end."""
    return st.one_of(st.integers(-(rank + 1), rank), st.integers(-(rank + 1), rank),
                     st.sampled_from([-(rank + 2), rank + 1]))


# -- elementwise ----------------------------------------------------------------------------------

def _broadcastable(draw, ex):
    """A second per-example shape: equal, with 1s (broadcasts), shorter, or incompatible."""
    how = draw(st.sampled_from(["same", "ones", "suffix", "bad"]))
    if how == "same" or not ex:
        return tuple(ex)
    if how == "ones":
        return tuple(1 if draw(st.booleans()) else d for d in ex)
    if how == "suffix":
        return tuple(ex[draw(st.integers(0, len(ex))):])
    return tuple(d + 1 for d in ex)


BINARY = [jnp.add, jnp.multiply, jnp.subtract, jnp.maximum, jnp.where, jnp.true_divide]
UNARY = [jnp.sin, jnp.abs, jnp.negative, jnp.exp, jnp.logical_not]


@_settings(110)
@given(data=st.data())
def test_elementwise(data):
    draw = data.draw
    ex = draw(example_shape())
    if draw(st.integers(0, 3)) == 0:
        fn = draw(st.sampled_from(UNARY))
        examples = [ex]
    else:
        fn = draw(st.sampled_from(BINARY))
        examples = [ex, _broadcastable(draw, ex)]
        if fn is jnp.where:
            examples = [ex, ex, examples[1]]  # where(cond, x, y): cond is broadcast too
    dtypes = [st.sampled_from(["bool"] if fn is jnp.where and i == 0 else ALL)
              for i in range(len(examples))]
    shapes, dts, in_axes = draw(batched(examples, dtypes))
    if fn in (jnp.subtract, jnp.negative) and "bool" in dts:
        dts = ["i32" if d == "bool" else d for d in dts]  # bool - bool is not allowed
    rank = max(len(e) for e in examples)
    out_axes = draw(st.one_of(out_axis_for(rank), st.just(0)))
    args = [(s, d) for s, d in zip(shapes, dts)]
    agree(fn, args, in_axes, out_axes, expect=expected_kind(fn, shapes, dts, in_axes, out_axes))


# -- reductions -------------------------------------------------------------------------------

REDUCE = [jnp.sum, jnp.max, jnp.mean, jnp.prod, jnp.argmax, jnp.any, jnp.cumsum]


@_settings(60)
@given(data=st.data())
def test_reduction(data):
    draw = data.draw
    fn = draw(st.sampled_from(REDUCE))
    ex = draw(example_shape())
    shapes, dts, in_axes = draw(batched([ex], [st.sampled_from(ALL)]))
    static = {}
    if draw(st.booleans()):
        r = len(ex)
        static["axis"] = draw(st.integers(-(r + 1), r))  # sometimes out of range per example
    if fn in (jnp.sum, jnp.max, jnp.mean, jnp.prod, jnp.any) and draw(st.booleans()):
        static["keepdims"] = True
    out_axes = draw(st.integers(-1, 1))
    args = [(shapes[0], dts[0])]
    agree(fn, args, in_axes, out_axes, static=static,
          expect=expected_kind(fn, shapes, dts, in_axes, out_axes, static))


# -- matmul -----------------------------------------------------------------------------------

@st.composite
def matmul_examples(draw):
    """Per-example operands of matmul/dot: (m,k)@(k,n), (k,)@(k,n), (m,k)@(k,), stacked, or
    with a mismatched k."""
    m, k, n = draw(dims), draw(dims), draw(dims)
    form = draw(st.sampled_from(["mm", "vm", "mv", "vv", "stack"]))
    a, b = {"mm": ((m, k), (k, n)), "vm": ((k,), (k, n)), "mv": ((m, k), (k,)),
            "vv": ((k,), (k,)), "stack": ((2, m, k), (2, k, n))}[form]
    if draw(st.integers(0, 5)) == 0:
        b = (b[0] + 1,) + b[1:] if form in ("vm", "vv", "mm", "mv") else b[:-2] + (k + 1, n)
    return [a, b]


@_settings(60)
@given(data=st.data())
def test_matmul(data):
    draw = data.draw
    fn = draw(st.sampled_from([jnp.matmul, jnp.dot, jnp.inner, jnp.vdot, jnp.outer]))
    examples = draw(matmul_examples())
    shapes, dts, in_axes = draw(batched(examples, [st.sampled_from(NUMERIC)] * 2))
    out_axes = draw(out_axis_for(3))
    args = [(s, d) for s, d in zip(shapes, dts)]
    agree(fn, args, in_axes, out_axes, expect=expected_kind(fn, shapes, dts, in_axes, out_axes))


# -- several outputs --------------------------------------------------------------------------

def two_outputs(x, y):
    return x + y, (x * y).sum()


def three_outputs(x, y):
    return x * 2, y, jnp.mean(x) + jnp.mean(y)


def unmapped_second(x, y):
    return x + y, y.sum()   # with in_axes (0, None) the second output is unmapped


@_settings(60)
@given(data=st.data())
def test_multi_output(data):
    draw = data.draw
    fn = draw(st.sampled_from([two_outputs, three_outputs, unmapped_second]))
    ex = draw(example_shape(3))
    if fn is unmapped_second and draw(st.booleans()):
        b = draw(dims)
        ax = draw(st.integers(0, len(ex)))
        shapes, dts, in_axes = [ex[:ax] + (b,) + ex[ax:], ex], ["f32", "f32"], (ax, None)
        out_axes = (draw(st.integers(-1, 1)), draw(st.sampled_from([None, 0])))
        expect = None
        if out_axes[1] is not None:
            expect = per_example_kind(fn, shapes, dts, in_axes, out_axes)
    else:
        shapes, dts, in_axes = draw(batched([ex, ex], [st.sampled_from(ALL)] * 2))
        n_out = 3 if fn is three_outputs else 2
        out_axes = draw(st.one_of(
            st.integers(-1, 1),
            st.tuples(*[st.integers(-(len(ex) + 1), len(ex))] * n_out),
            st.tuples(*[st.integers(0, 1)] * (5 - n_out))))   # the wrong number of entries
        expect = expected_kind(fn, shapes, dts, in_axes, out_axes)
    args = [(s, d) for s, d in zip(shapes, dts)]
    got = agree(fn, args, in_axes, out_axes, expect=expect)
    if isinstance(out_axes, tuple) and structural_kind(shapes, in_axes) is None and \
            expect is None and len(out_axes) != (3 if fn is three_outputs else 2):
        assert got[0] == "usage"   # out_axes of the wrong length is the user's option mistake


# -- --batch: per-example shapes, N inserted at each in_axis ------------------------------------

@_settings(50)
@given(data=st.data())
def test_batch_mode(data):
    draw = data.draw
    fn = draw(st.sampled_from([jnp.add, jnp.multiply, jnp.matmul, two_outputs]))
    if fn is jnp.matmul:
        examples = draw(matmul_examples())
    else:
        ex = draw(example_shape(3))
        examples = [ex, ex if draw(st.booleans()) else ex[1:]]
    n = draw(dims)
    axes = tuple(draw(st.one_of(st.none(), st.integers(-(len(e) + 2), len(e) + 1)))
                 for e in examples)
    dts = [draw(st.sampled_from(NUMERIC)) for _ in examples]
    full, bad = [], False
    for e, a in zip(examples, axes):
        if a is None:
            full.append(tuple(e))
        elif -(len(e) + 1) <= a <= len(e):
            at = a % (len(e) + 1)
            full.append(tuple(e[:at]) + (n,) + tuple(e[at:]))
        else:
            full.append(tuple(e))  # out of range with the batch dim too: JAX must refuse
            bad = True
    out_axes = draw(st.integers(-1, 1))
    if all(a is None for a in axes):
        expect = "no_mapped_axis"
    elif bad:
        expect = "axis_out_of_range"
    else:
        expect = per_example_kind(fn, full, dts, axes, out_axes)
    predicted = _predict(fn, [(e, d) for e, d in zip(examples, dts)], in_axes=axes,
                         out_axes=out_axes, batch=n)
    real = _real(fn, [(s, d) for s, d in zip(full, dts)], [axes], [out_axes])
    if isinstance(real, Exception):
        assert predicted == ("error", expect), (predicted, expect, real)
    else:
        assert predicted == real and expect is None


# -- pytrees: dict/list arguments and pytree in_axes prefixes ---------------------------------

def tree_fn(p, x):
    return {"y": p["w"] * x + p["b"], "s": [jnp.sum(p["w"]), x]}


def list_fn(xs, y):
    return xs[0] + xs[1] * y


@_settings(60)
@given(data=st.data())
def test_pytree(data):
    draw = data.draw
    ex = draw(example_shape(3))
    b = draw(dims)
    put = lambda s, a: s if a is None else s[:a % (len(s) + 1)] + (b,) + s[a % (len(s) + 1):]  # noqa: E731
    ax = lambda: draw(st.one_of(st.none(), st.integers(-(len(ex) + 1), len(ex))))  # noqa: E731
    dt = lambda: draw(st.sampled_from(NUMERIC))  # noqa: E731
    if draw(st.booleans()):
        fn = tree_fn
        aw, ab, axx = ax(), ax(), ax()
        if aw is None and ab is None and axx is None:
            axx = 0
        p = {"w": (put(ex, aw), dt()), "b": (put(ex, ab), dt())}
        args = [p, (put(ex, axx), dt())]
        if aw == ab and draw(st.booleans()):
            in_axes = (aw, axx)                       # one entry for the whole dict
        else:
            in_axes = ({"w": aw, "b": ab}, axx)
    else:
        fn = list_fn
        a0, a1, ay = ax(), ax(), ax()
        if a0 is None and a1 is None and ay is None:
            a0 = 0
        args = [[(put(ex, a0), dt()), (put(ex, a1), dt())], (put(ex, ay), dt())]
        in_axes = ([a0, a1], ay) if a0 != a1 or draw(st.booleans()) else (a0, ay)
    expect = None
    how = draw(st.sampled_from(["ok", "ok", "ok", "key", "size", "length"]))
    if how == "key" and isinstance(in_axes[0], (dict, list)):
        in_axes = ({"w": 0, "c": 0} if fn is tree_fn else [0, 0, 0], in_axes[1])
        expect = "in_axes_length"
    elif how == "size":
        leaf = args[1]
        args[1] = (tuple(d + 7 for d in leaf[0]) or (7,), leaf[1])
        in_axes = (in_axes[0], 0)
        expect = None  # JAX decides: a size clash, or a shape the function rejects
    elif how == "length":
        in_axes = in_axes + (0,)
        expect = "in_axes_length"
    got = agree(fn, args, in_axes, 0)
    if expect is not None:
        assert got == ("error", expect), got


# -- nested vmaps (repeated --in-axes / --out-axes) ------------------------------------------

@_settings(60)
@given(data=st.data())
def test_nested(data):
    draw = data.draw
    fn = draw(st.sampled_from([jnp.add, jnp.multiply, jnp.matmul, two_outputs]))
    if fn is jnp.matmul:
        ex = draw(matmul_examples())
    else:
        e = draw(example_shape(2))
        ex = [e, e]
    b0, b1 = draw(dims), draw(dims)
    levels_in, shapes = [], [tuple(e) for e in ex]
    # build from the innermost level out: each level inserts its size at its axis
    for size in (b1, b0):
        axes = []
        for i, s in enumerate(shapes):
            a = draw(st.one_of(st.none(), st.integers(-(len(s) + 1), len(s))))
            if a is not None:
                at = a % (len(s) + 1)
                shapes[i] = s[:at] + (size,) + s[at:]
            axes.append(a)
        if all(a is None for a in axes):
            axes[0] = 0
            shapes[0] = (size,) + shapes[0]
        levels_in.insert(0, tuple(axes))
    if draw(st.integers(0, 4)) == 0:   # break the outer level: an axis out of range
        levels_in[0] = (len(shapes[0]) + 1,) + levels_in[0][1:]
    levels_out = [draw(st.integers(0, 1)), draw(st.integers(0, 1))]
    dts = [draw(st.sampled_from(NUMERIC)) for _ in shapes]
    got = agree(fn, [(s, d) for s, d in zip(shapes, dts)], None, None,
                levels=(levels_in, levels_out))
    if levels_in[0][0] == len(shapes[0]) + 1:
        assert got == ("error", "axis_out_of_range"), got


# -- anything goes: random shapes and axes, no construction -------------------------------------

@_settings(50)
@given(data=st.data())
def test_anything(data):
    draw = data.draw
    fn = draw(st.sampled_from([jnp.add, jnp.matmul, jnp.sum, two_outputs, jnp.where]))
    n = {jnp.sum: 1, jnp.where: 3}.get(fn, 2)
    shapes = [draw(example_shape()) for _ in range(n)]
    dts = [draw(st.sampled_from(["bool"] if fn is jnp.where and i == 0 else NUMERIC))
           for i in range(n)]
    in_axes = draw(st.one_of(st.integers(-3, 3), st.none(),
                             st.tuples(*[st.one_of(st.none(), st.integers(-5, 4))] * n)))
    out_axes = draw(st.integers(-3, 3))
    axis_size = draw(st.sampled_from([None, None, None, 1, 3]))
    expect = expected_kind(fn, shapes, dts, in_axes, out_axes, axis_size=axis_size)
    agree(fn, [(s, d) for s, d in zip(shapes, dts)], in_axes, out_axes, axis_size=axis_size,
          expect=expect)
