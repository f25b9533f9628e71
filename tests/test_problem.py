"""The one problem object: binding (statics anywhere, *args, keyword-only), pytrees that keep
their type, --batch and --explore for every problem, declared pytree examples, and library
calls that leave JAX's settings as they found them. Shapes are checked against jax.vmap."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vmapx
from tests.fixtures import nest_funcs
from vmapx._problem.request import function_name, problem
from vmapx._problem.surface import Surface
from vmapx.cli import app

PARAMS = {"W": (3, 5), "b": (3,)}


def concrete(tree, seed=0):
    """Random arrays of a pytree of shapes (tuples of ints are shapes)."""
    rng = np.random.default_rng(seed)
    return jax.tree_util.tree_map(lambda s: jnp.asarray(rng.standard_normal(s), jnp.float32),
                                  tree, is_leaf=lambda x: isinstance(x, tuple) and
                                  all(isinstance(d, int) for d in x))


def real_shapes(fn, in_axes, *trees, out_axes=0, axis_size=None):
    out = jax.vmap(fn, in_axes=in_axes, out_axes=out_axes, axis_size=axis_size)(
        *[concrete(t) for t in trees])
    return [tuple(o.shape) for o in jax.tree_util.tree_leaves(out)]


def test_a_static_before_the_arrays_does_not_shift_them():
    def take(n, x):
        return x[:n].sum(0)

    report = vmapx.shape(take, x=(4, 6, 3), static={"n": 2})
    assert report.ok, report.error
    assert [o.shape for o in report.outputs] == [(4, 3)]
    assert [o.shape for o in report.outputs] == real_shapes(lambda x: take(2, x), 0, (4, 6, 3))


def test_a_positional_only_static_goes_in_its_slot():
    def scale(k, /, x, y):
        return k * x + y

    report = vmapx.shape(scale, x=(5, 2), y=(5, 2), static={"k": 3.0})
    assert report.ok and [o.shape for o in report.outputs] == [(5, 2)]
    assert [i.name for i in report.inputs] == ["x", "y"]


def test_named_parameters_and_star_args_take_more_arrays():
    def total(x, *rest):
        return x + sum(rest)

    report = vmapx.shape(total, (4, 3), (4, 3), (4, 3), in_axes=(0, 0, None))
    assert report.ok, report.error
    assert [i.name for i in report.inputs] == ["x", "b", "c"]
    assert [o.shape for o in report.outputs] == real_shapes(total, (0, 0, None), (4, 3), (4, 3),
                                                            (4, 3))


def test_explicit_in_axes_none_is_not_read_as_the_default(runner):
    r = runner.invoke(app, ["shape", "jnp.sin", "--a", "3", "--in-axes", "None",
                            "--axis-size", "4", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["outputs"][0]["shape"] == [4, 3]          # nothing mapped: broadcast to 4
    assert data["inputs"][0]["in_axis"] is None
    assert [tuple(s) for s in [data["outputs"][0]["shape"]]] == \
        real_shapes(jnp.sin, None, (3,), axis_size=4)


def test_tuple_pytrees_keep_their_type():
    def first(pair):
        a, b = pair
        return a * b.sum()

    p = problem(first, [((4, 3), (4, 2))], {}, {}, Surface(cli=False))
    assert isinstance(p.bound.args[0].tree, tuple)
    report = vmapx.shape(first, ((4, 3), (4, 2)))
    assert report.ok, report.error
    assert [o.shape for o in report.outputs] == real_shapes(first, 0, ((4, 3), (4, 2)))


def test_batch_with_pytree_arguments_agrees_with_jax():
    report = vmapx.shape(nest_funcs.affine, PARAMS, (5,), in_axes=({"W": None, "b": None}, 0),
                         batch=4)
    assert report.ok, report.error
    assert {i.name: i.shape for i in report.inputs} == {"params['W']": (3, 5),
                                                        "params['b']": (3,), "x": (4, 5)}
    assert [o.shape for o in report.outputs] == real_shapes(
        nest_funcs.affine, ({"W": None, "b": None}, 0), PARAMS, (4, 5))


def test_cli_batch_with_pytrees_for_shape(runner):
    r = runner.invoke(app, ["shape", "tests/fixtures/nest_funcs.py:affine", "--params",
                            '{"W": "f32[3,5]", "b": [3]}', "--x", "5", "--batch", "4",
                            "--in-axes", '{"W": null, "b": null},0', "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["outputs"][0]["shape"] == [4, 3]


def test_dict_params_with_default_in_axes_get_suggestions_that_work():
    """model(params, x) with in_axes 0: every leaf of params is mapped; None,0 is suggested,
    and every suggestion is what jax.vmap really returns."""
    params = {"W": (3, 5), "b": (3,)}
    report = vmapx.shape(nest_funcs.affine, params, (4, 5))
    assert not report.ok
    assert report.error.suggestions, report.error
    assert report.error.suggestions[0].in_axes == [None, 0]
    assert "try in_axes=(None, 0)" in report.error.hint
    for s in report.error.suggestions:
        assert s.shapes == real_shapes(nest_funcs.affine, tuple(s.in_axes), params, (4, 5))


def test_explore_rows_for_pytree_arguments_agree_with_jax():
    params = {"W": (3, 5), "b": (3,)}
    report = vmapx.shape(nest_funcs.affine, params, (4, 5), in_axes=(None, 0), explore=True)
    assert report.ok and report.arguments == ["params", "x"]
    rows = {tuple(r.in_axes): r for r in report.explore}
    assert rows[(None, 0)].mine and rows[(None, 0)].shapes == [(4, 3)]
    for axes, row in rows.items():
        if row.shapes is not None:
            assert row.shapes == real_shapes(nest_funcs.affine, axes, params, (4, 5)), axes
        else:
            with pytest.raises(Exception):
                real_shapes(nest_funcs.affine, axes, params, (4, 5))


def test_explore_on_a_nest_varies_the_outermost_level(runner):
    r = runner.invoke(app, ["shape", "jnp.add", "--a", "2,3", "--b", "2,3", "--in-axes", "0",
                            "--in-axes", "0", "--explore", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [lv["batch_size"] for lv in data["levels"]] == [2, 3]
    ok = [row for row in data["explore"] if row["shapes"] is not None]
    assert {tuple(row["in_axes"]) for row in ok} >= {(0, 0), (1, 1)}


def test_declared_pytree_examples(tmp_path, runner):
    mod = tmp_path / "decl.py"
    mod.write_text(
        "def affine(params, x):\n    return params['W'] @ x + params['b']\n\n"
        "VMAPX_EXAMPLES = {'affine': {'inputs': {'params': {'W': 'f32[3,5]', 'b': 'f32[3]'},"
        " 'x': 'f32[5]'}, 'batch': 8, 'in_axes': [{'W': None, 'b': None}, 0]}}\n")
    r = runner.invoke(app, ["shape", f"{mod}:affine", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["outputs"][0]["shape"] == [8, 3]
    assert any("VMAPX_EXAMPLES" in n for n in data["notes"])


def test_library_calls_leave_x64_as_they_found_it():
    before = jax.config.read("jax_enable_x64")
    report = vmapx.shape(jnp.add, "f64[2,3]", None, in_axes=(0, None))
    assert report.ok and report.outputs[0].dtype == "f64"
    assert any("x64" in n for n in report.notes)
    assert jax.config.read("jax_enable_x64") == before


def test_a_failing_call_leaves_traceback_filtering_as_it_found_it():
    before = jax.config.jax_traceback_filtering
    report = vmapx.shape(jnp.add, (2, 3, 5), (2, 3, 5), in_axes=(0, 1), explore=True)
    assert not report.ok and report.explore
    assert jax.config.jax_traceback_filtering == before


def test_hints_speak_the_surface_that_asked():
    lib = vmapx.shape(jnp.add, (2, 3), (3, 3))
    cli = vmapx.shape(jnp.add, (2, 3), (3, 3), _surface=Surface("shape"))
    assert lib.error.message == cli.error.message
    assert "in_axes=" in lib.error.hint and "--in-axes" not in lib.error.hint
    assert "--in-axes" in cli.error.hint


def test_reports_are_frozen_and_print_readably():
    report = vmapx.shape(jnp.add, (2, 3), (2, 3))
    with pytest.raises(Exception):
        report.notes = []  # frozen
    text = str(report)
    assert "vmap(jnp.add)" in text and "f32[2,3]" in text
    assert report.to_json()["schema_version"] >= 2 and report.to_json()["command"] == "shape"


def test_jax_functions_are_named_as_users_write_them_on_every_jax():
    import jax.scipy.special

    # JAX 0.4.30 defines them in jax._src.… and says so in __module__
    fns = [jnp.add, jnp.sum, jnp.stack, jax.lax.add, jax.lax.dot, jax.nn.relu, jnp.linalg.norm,
           jax.vmap]
    assert [function_name(f) for f in fns] == [
        "jnp.add", "jnp.sum", "jnp.stack", "lax.add", "lax.dot", "jax.nn.relu",
        "jnp.linalg.norm", "jax.vmap"]
    assert function_name(jax.scipy.special.logsumexp) in ("jax.nn.logsumexp",
                                                          "jax.scipy.special.logsumexp")

    def mine(x):
        return x

    assert function_name(mine) == "mine"


def test_an_in_axes_leaf_that_is_not_an_int_is_explained_not_a_crash():
    report = vmapx.shape(jnp.add, (2, 3), (2, 3), in_axes=(np.array(0), 0.5))
    assert not report.ok and "array(0), which is not an int or None" in report.error.message
    with pytest.raises(Exception):  # JAX refuses it too
        jax.vmap(jnp.add, in_axes=(0, 0.5))(jnp.zeros((2, 3)), jnp.zeros((2, 3)))
    # jax.vmap refuses numpy integers and bools as axes, and so does vmapx
    for axis in (np.int64(1), True):
        report = vmapx.shape(jnp.add, (2, 3), (2, 3), in_axes=(axis, 1))
        assert not report.ok and "not an int or None" in report.error.message
        with pytest.raises(TypeError):
            jax.vmap(jnp.add, in_axes=(axis, 1))(jnp.zeros((2, 3)), jnp.zeros((2, 3)))
