"""What vmapx predicts equals what jax.vmap really returns on small concrete arrays."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vmapx
from tests import truth
from tests.fixtures import user_funcs
from vmapx._problem.binding import letters
from vmapx._text.specs import DTYPES, short_dtype


def _arrays(report, seed=0):
    rng = np.random.default_rng(seed)
    return [truth.concrete(i.shape, DTYPES[i.dtype], rng) for i in report.inputs]


def _real(fn, report, in_axes, each_out_axes, axis_size=None):
    """Run the real vmap on concrete arrays of the batched shapes vmapx reports, once per
    out_axes in `each_out_axes` (all in one jitted program: one compile): leaves per out_axes."""
    def every(*args):
        return [jax.vmap(fn, in_axes=in_axes, out_axes=oa, axis_size=axis_size)(*args)
                for oa in each_out_axes]

    return [jax.tree_util.tree_leaves(out) for out in truth.run(every, *_arrays(report))]


def check(fn, *shapes, in_axes=0, out_axes=0, batch=None, axis_size=None, **kw):
    report = vmapx.shape(fn, *shapes, in_axes=in_axes, out_axes=out_axes, batch=batch,
                         axis_size=axis_size, **kw)
    axes = tuple(i.in_axis for i in report.inputs)
    if report.error is not None:
        # vmapx says it fails: so must JAX, on the same inputs
        if report.inputs:
            with pytest.raises(Exception):
                jax.eval_shape(jax.vmap(fn, in_axes=in_axes if not isinstance(in_axes, list)
                                        else tuple(in_axes), out_axes=out_axes,
                                        axis_size=axis_size),
                               *[jax.ShapeDtypeStruct(i.shape, DTYPES[i.dtype])
                                 for i in report.inputs])
        return report
    # and every row of the out_axes pattern is what vmap gives with that out_axes
    rows = [row for row in report.out_axes_pattern if not any(s is None for s in row.shapes)]
    leaves, *real = _real(fn, report, axes, [out_axes] + [row.out_axes for row in rows],
                          axis_size)
    assert [tuple(x.shape) for x in leaves] == [o.shape for o in report.outputs]
    assert [short_dtype(x.dtype) for x in leaves] == [o.dtype for o in report.outputs]
    for row, got in zip(rows, real, strict=True):
        assert [tuple(x.shape) for x in got] == list(row.shapes), row
    return report


CASES = [
    (jnp.add, [(2, 3, 5), None], (0, None), 0),
    (jnp.add, [(2, 3, 5), (2, 3, 5)], (0, 0), 1),
    (jnp.add, [(2, 3, 5), (3, 5, 2)], (0, 2), -1),
    (jnp.add, [(3, 2), (3,)], (1, None), 0),
    (jnp.multiply, [(4, 3), (3, 4)], (0, 1), 1),
    (jnp.dot, [(5, 100), (5, 100)], 0, 0),
    (jnp.dot, [(100,), (5, 100)], (None, 0), 0),
    (jnp.matmul, [(4, 3, 2), (2, 5)], (0, None), 2),
    (jnp.sum, [(4, 3, 2)], 1, 0),
    (jnp.tanh, [(2, 3)], -1, -1),
    (jnp.outer, [(3, 4), (3, 5)], (0, 0), 1),
    (user_funcs.two_outputs, [(4, 3), (4, 3)], 0, (0, 0)),
    (user_funcs.two_outputs, [(4, 3), (3,)], (0, None), (1, 0)),
    (user_funcs.matvec, [(6, 3, 2), (2,)], (0, None), 0),
    (user_funcs.reduce_rows, [(3, 7, 2)], 1, 1),
    (jax.nn.relu, [(5, 2)], 0, 1),
    (jnp.linalg.norm, [(4, 3)], 0, 0),
]


@pytest.mark.parametrize("fn, shapes, in_axes, out_axes", CASES)
def test_predicted_shapes_match_real_vmap(fn, shapes, in_axes, out_axes):
    report = check(fn, *shapes, in_axes=in_axes, out_axes=out_axes)
    assert report.error is None


def test_batch_mode_inserts_n_at_each_in_axis():
    report = check(jnp.add, (3, 5), (3, 5), in_axes=(1, -1), batch=4)
    assert [i.shape for i in report.inputs] == [(3, 4, 5), (3, 5, 4)]
    assert report.outputs[0].shape == (4, 3, 5)


def test_axis_size_with_all_none():
    report = check(jnp.add, (2, 3), (2, 3), in_axes=None, axis_size=4)
    assert report.outputs[0].shape == (4, 2, 3)


def test_examples_match_real_vmap():
    import examples.dot as dot
    import examples.logistic as logistic
    import examples.neuron as neuron

    check(neuron.model, (4, 5))
    check(dot.affine, (10, 20), (10,), (3, 20), in_axes=(None, None, 0))
    check(logistic.per_example_grad, (2,), (3, 2), (3,), in_axes=(None, 0, 0))


@pytest.mark.parametrize("fn, shapes, in_axes", [
    (jnp.add, [(2, 3, 5), (2, 3, 5)], (0, 1)),       # inconsistent sizes
    (jnp.add, [(2, 3), (2, 3)], (2, 0)),             # axis out of range
    (jnp.add, [(2, 3), (2, 3)], (None, None)),       # nothing mapped
    (jnp.add, [(2, 3), (2, 3)], (0, 0, 0)),          # in_axes length
    (jnp.dot, [(5, 100), (5, 100)], (0, None)),      # per-example shapes rejected
])
def test_predicted_failures_really_fail(fn, shapes, in_axes):
    report = check(fn, *shapes, in_axes=in_axes)
    assert report.error is not None


# -- property: random elementwise/reduction cases ---------------------------------------------

_FNS = [jnp.add, jnp.multiply, jnp.subtract]


@st.composite
def _case(draw):
    fn = draw(st.sampled_from(_FNS))
    rank = draw(st.integers(0, 3))
    example = tuple(draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank)))
    b = draw(st.integers(1, 4))
    shapes, axes = [], []
    for _ in range(2):
        ax = draw(st.one_of(st.none(), st.integers(-(rank + 1), rank)))
        if ax is None:
            shapes.append(example)
        else:
            at = ax % (rank + 1)
            shapes.append(example[:at] + (b,) + example[at:])
        axes.append(ax)
    if all(a is None for a in axes):
        axes[0] = 0
        shapes[0] = (b,) + example
    out_axes = draw(st.integers(-(rank + 1), rank))
    return fn, shapes, tuple(axes), out_axes


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(_case())
def test_property_elementwise_matches_vmap(case):
    fn, shapes, in_axes, out_axes = case
    report = check(fn, *shapes, in_axes=in_axes, out_axes=out_axes)
    assert report.error is None
    assert report.outputs[0].out_axis == out_axes % (len(report.outputs[0].example_shape) + 1)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3),
       st.lists(st.integers(1, 4), min_size=1, max_size=3),
       st.integers(-3, 2), st.integers(-3, 2))
def test_property_any_axes_agree_with_jax(shape_a, shape_b, ax_a, ax_b):
    """Arbitrary shapes and axes: vmapx succeeds exactly when JAX does, with JAX's shapes."""
    report = vmapx.shape(jnp.add, tuple(shape_a), tuple(shape_b), in_axes=(ax_a, ax_b))
    structs = [jax.ShapeDtypeStruct(tuple(s), jnp.float32) for s in (shape_a, shape_b)]
    try:
        real = jax.eval_shape(jax.vmap(jnp.add, in_axes=(ax_a, ax_b)), *structs)
    except Exception:
        assert report.error is not None
        return
    assert report.error is None, report.error
    assert report.outputs[0].shape == tuple(real.shape)


def test_letters_name_star_args():
    assert letters(3) == ["a", "b", "c"]
    assert letters(28)[26:] == ["a1", "b1"]
