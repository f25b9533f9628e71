"""Pytree arguments and pytree in_axes: predictions equal real jax.vmap; errors explained."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vmapx
from tests import truth
from tests.fixtures.nest_funcs import affine, split
from vmapx.cli import app


def _concrete(tree):
    rng = np.random.default_rng(0)
    return jax.tree.map(lambda s: truth.concrete(s, np.float32, rng), tree,
                        is_leaf=lambda x: isinstance(x, tuple))


def _real(fn, args, in_axes):
    out = truth.run(jax.vmap(fn, in_axes=in_axes), *[_concrete(a) for a in args])
    return [tuple(x.shape) for x in jax.tree_util.tree_leaves(out)]


@settings(max_examples=25, deadline=None, derandomize=True)
@given(n=st.integers(1, 4), o=st.integers(1, 3), i=st.integers(1, 3),
       w_mapped=st.booleans(), b_mapped=st.booleans(), fn=st.sampled_from([affine, split]))
def test_pytree_in_axes_match_jax(n, o, i, w_mapped, b_mapped, fn):
    params = {"W": (n, o, i) if w_mapped else (o, i), "b": (n, o) if b_mapped else (o,)}
    in_axes = ({"W": 0 if w_mapped else None, "b": 0 if b_mapped else None}, 0)
    report = vmapx.shape(fn, params, (n, i), in_axes=in_axes)
    assert report.error is None, report.error
    assert [o_.shape for o_ in report.outputs] == _real(fn, [params, (n, i)], in_axes)
    paths = [jax.tree_util.keystr(p) for p, _ in jax.tree_util.tree_flatten_with_path(
        jax.eval_shape(jax.vmap(fn, in_axes=in_axes), *[_concrete(a) for a in [params, (n, i)]]))[0]]
    assert [o_.path for o_ in report.outputs] == paths


def test_mismatch_is_failure_for_jax_too():
    report = vmapx.shape(affine, {"W": (3, 5), "b": (3,)}, (4, 5),
                         in_axes=({"W": None, "c": 0}, 0))
    assert report.error.kind == "in_axes_length" and report.error.detail == "pytree_prefix"
    with pytest.raises(ValueError):
        jax.vmap(affine, in_axes=({"W": None, "c": 0}, 0))(
            _concrete({"W": (3, 5), "b": (3,)}), _concrete((4, 5)))


def run(*args):
    from typer.testing import CliRunner

    r = CliRunner().invoke(app, ["shape", *args])
    assert "Traceback" not in r.output, r.output
    return r


F = "tests/fixtures/nest_funcs.py"
PARAMS = '{"W": "f32[3,5]", "b": [3]}'


def test_pytree_outputs_by_key_path_in_json():
    r = run(f"{F}:split", "--params", '{"W": "f32[4,3,5]", "b": [3]}', "--x", "4,5",
            "--in-axes", '{"W": 0, "b": null},0', "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [o["path"] for o in data["outputs"]] == ["[0]['norm']", "[0]['y']", "[1][0]", "[1][1]"]
    assert [i["name"] for i in data["inputs"]] == ["params['W']", "params['b']", "x"]
    assert data["outputs"][1]["shape"] == [4, 3]


@pytest.mark.parametrize("args, kind, code, words", [
    ([f"{F}:affine", "--params", PARAMS, "--x", "4,5", "--in-axes", '{"W": null, "c": 0},0'],
     "pytree_prefix", 1, ["missing key 'b'", "extra key 'c'", "params"]),
    ([f"{F}:affine", "--params", PARAMS, "--x", "4,5", "--in-axes", '{"W": null, "b": [0]},0'],
     "pytree_prefix", 1, ["at params['b']", "a list"]),
    ([f"{F}:affine", "--params", PARAMS, "--x", "4,5", "--in-axes", '{"W": null, "b": 0}'],
     "in_axes_dict", 1, ["wrap it in a tuple", '{"W": null, "b": 0},0']),
    ([f"{F}:scaled", "--x", "4,3", "--scale", "f32[]"], "kwargs_mapped", 1,
     ["axis 0", "--static scale"]),
    ([f"{F}:scaled", "--x", "4,3", "--scale", "5"], "kwargs_mapped", 1, ["size 5"]),
    ([f"{F}:affine", "--params", '{"W": "f32[3,5]", "b": [3', "--x", "4,5"], None, 2,
     ["cannot read pytree spec"]),
    ([f"{F}:affine", "--params", PARAMS, "--x", "4,5", "--in-axes", '{"W": nul},0'], None, 2,
     ["cannot read in_axes entry"]),
])
def test_errors_through_the_cli(args, kind, code, words):
    r = run(*args)
    assert r.exit_code == code, r.output
    flat = " ".join(r.output.replace("│", " ").split())  # a hint may wrap inside the panel
    for w in words + ([kind] if kind else []):
        assert w in flat, r.output


def test_keyword_argument_mapped_on_axis_0():
    r = run(f"{F}:scaled", "--x", "4,3", "--scale", "4", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["outputs"][0]["shape"] == [4, 3]


def test_json_kind_stays_in_the_contract_with_the_finer_detail():
    from vmapx.errors import VmapFailure

    r = run(f"{F}:affine", "--params", PARAMS, "--x", "4,5", "--in-axes",
            '{"W": null, "c": 0},0', "--json")
    err = json.loads(r.stdout)["error"]
    assert err["kind"] in VmapFailure.KINDS and err["kind"] == "in_axes_length"
    assert err["detail"] == "pytree_prefix"
