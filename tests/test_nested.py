"""Nested vmaps by hand (repeated --in-axes/--out-axes): predictions equal real nested jax.vmap."""

import json

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import vmapx
from tests import truth
from tests.conftest import with_add_names
from vmapx.cli import app


def _real(fn, shapes, levels_in, levels_out):
    g = fn
    for ia, oa in reversed(list(zip(levels_in, levels_out))):
        g = jax.vmap(g, in_axes=ia, out_axes=oa)
    rng = np.random.default_rng(0)
    out = truth.run(g, *[truth.concrete(s, np.float32, rng) for s in shapes])
    return [tuple(x.shape) for x in jax.tree_util.tree_leaves(out)]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(dims=st.lists(st.integers(1, 4), min_size=2, max_size=4), data=st.data())
def test_two_levels_match_jax(dims, data):
    rank = len(dims)
    ax0 = data.draw(st.integers(-rank, rank - 1))
    ax1 = data.draw(st.integers(-(rank - 1), rank - 2))
    o1 = data.draw(st.integers(0, rank - 2))
    o0 = data.draw(st.integers(0, rank - 1))
    b_ax0 = data.draw(st.sampled_from([ax0, None]))
    shapes = [tuple(dims), tuple(dims)]
    levels_in, levels_out = [(ax0, b_ax0), (ax1, None)], [o0, o1]
    b_shape = tuple(dims)
    # b is unmapped at level 1; give it the shape level 1 sees so the add broadcasts the same
    report = vmapx.shape(jnp.add, *shapes, levels_in=levels_in, levels_out=levels_out)
    try:
        want = _real(jnp.add, [tuple(dims), b_shape], levels_in, levels_out)
    except Exception:
        assert report.error is not None
        return
    assert report.error is None, report.error
    assert [o.shape for o in report.outputs] == want
    assert len(report.levels) == 2


def test_level_shapes_in_json():
    r = CliRunner().invoke(app, ["shape", "jnp.add", "--a", "2,3,4", "--b", "2,3,4",
                                 "--in-axes", "0", "--in-axes", "1", "--out-axes", "0",
                                 "--out-axes", "1", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["outputs"][0]["shape"] == [2, 3, 4]
    assert [lv["batch_size"] for lv in data["levels"]] == [2, 4]
    assert data["levels"][1]["shapes"] == [[3, 4], [3, 4]]
    assert data["levels"][1]["output_shapes"] == [[3, 4]]


def test_inner_level_axis_out_of_range_names_the_level():
    r = CliRunner().invoke(app, ["shape", "jnp.add", "--a", "2,3", "--b", "2,3",
                                 "--in-axes", "0", "--in-axes", "1"])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "at level 1" in r.output and "axis_out_of_range" in r.output


def test_out_axes_count_must_match_levels():
    r = CliRunner().invoke(app, ["shape", "jnp.add", "--a", "2,3", "--in-axes", "0",
                                 "--in-axes", "0", "--out-axes", "0", "--out-axes", "0",
                                 "--out-axes", "0"])
    assert r.exit_code == 2 and "Traceback" not in r.output and "--out-axes" in r.output


def test_single_in_axes_unchanged():
    r = CliRunner().invoke(app, ["shape", "jnp.add", "--a", "2,3,5", "--in-axes", "0,None"])
    assert r.exit_code == 0 and with_add_names("{b} (from {a})") in r.output and "levels" not in r.output


def test_batch_axis_out_of_range_on_a_pytree_leaf_is_one_message_for_jaxpr_and_bench():
    from typer.testing import CliRunner

    from vmapx.cli import app

    args = ["tests/fixtures/nest_funcs.py:affine", "--params", '{"W": "f32[3,5]", "b": [3]}',
            "--x", "5", "--in-axes", '{"W": null, "b": 3},0', "--batch", "8"]
    for command, extra in (("jaxpr", []), ("bench", ["--runs", "1", "--min-time", "0"])):
        r = CliRunner().invoke(app, [command, *args, *extra])
        assert r.exit_code == 1, r.output
        flat = " ".join(r.output.replace("│", " ").split())  # the error panel's borders
        assert "in_axis 3 for params['b'] is out of range: with --batch, its per-example shape " \
               "f32[3] becomes rank 2, so its in_axis can be -2..1 or None" in flat, r.output
