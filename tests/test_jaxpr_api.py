"""`vmapx.jaxpr`, the library call behind `vmapx jaxpr`: failures reported (not raised), the CLI's
JSON equal to the library's, --batch with pytree arguments against jax.vmap, the twin
convention, and JAX's settings left as they were."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vmapx
from tests.conftest import add_names
from tests.fixtures import nest_funcs
from vmapx._jaxpr.api import jaxpr
from vmapx._jaxpr.settings import JaxprSettings
from vmapx._problem.surface import Surface
from vmapx._text.target import resolve
from vmapx.cli import app
from vmapx.errors import UsageError

NO_COST = JaxprSettings(cost=False)
NEST = "tests/fixtures/nest_funcs.py"
PARAMS = '{"W": "f32[3,5]", "b": [3]}'
S = jax.ShapeDtypeStruct


def cli(runner, *args):
    r = runner.invoke(app, ["jaxpr", *args])
    assert "Traceback" not in r.output, r.output
    return r


def test_the_public_name_is_this_function():
    assert vmapx.jaxpr is jaxpr


# -- a failing vmap is a report -----------------------------------------------------------------

def test_structural_failure_is_exit_1_with_the_report_as_json(runner):
    r = cli(runner, "jnp.add", "--a", "2,3", "--b", "3,3", "--json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["command"] == "jaxpr" and data["ok"] is False and data["versions"] == {}
    assert data["error"]["kind"] == "inconsistent_sizes"
    assert data["error"]["suggestions"][0]["in_axes"] == [None, 0]
    assert data["error"]["hint"].startswith("try --in-axes None,0")


def test_traced_failure_is_exit_1_with_the_report_as_json(runner):
    r = cli(runner, "examples/failing.py:relu_branch", "--json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["error"]["kind"] == "data_dependent" and "JAX" not in r.stderr
    assert data["error"]["jax_message"] and data["batch_size"] == 5
    r = cli(runner, "examples/failing.py:relu_branch")
    assert r.exit_code == 1 and "vmap fails: data_dependent" in r.output


def test_the_library_returns_failures_worded_for_python():
    r = jaxpr(jnp.add, (2, 3), (3, 3), settings=NO_COST)
    assert not r.ok and r.error.kind == "inconsistent_sizes" and r.versions == {}
    assert r.error.hint.startswith("try in_axes=(None, 0)")
    assert [lv.batch_size for lv in r.levels] == [] and [i.name for i in r.inputs] == list(add_names())
    assert "vmap fails: inconsistent_sizes" in str(r)  # renders with print() too


def test_usage_errors_still_raise():
    with pytest.raises(UsageError, match="unknown stage 'mlir'"):
        jaxpr(jnp.sin, (4, 3), settings=JaxprSettings(stage="mlir"))
    with pytest.raises(UsageError, match="no vmap to show"):
        jaxpr(nest_funcs.foo, "f32[]", (3,), (3, 3), ranks=(0, 1, 2))


# -- the CLI's JSON is the library's ------------------------------------------------------------

CASES = [
    (["jnp.dot", "--a", "5,100", "--b", "100", "--in-axes", "0,None", "--no-cost"],
     "jnp.dot", dict(a=(5, 100), b=(100,), in_axes=(0, None), settings=NO_COST)),
    (["jnp.add", "--a", "2,3", "--b", "3,3"], "jnp.add", dict(a=(2, 3), b=(3, 3))),
    (["jnp.add", "--a", "2,3,4", "--b", "2,3,4", "--in-axes", "0", "--in-axes", "1",
      "--no-cost"], "jnp.add", dict(a=(2, 3, 4), b=(2, 3, 4), levels_in=[0, 1],
                                    settings=NO_COST)),
    ([f"{NEST}:affine", "--params", PARAMS, "--x", "5", "--batch", "4", "--in-axes",
      '{"W": null, "b": 0},0'], f"{NEST}:affine",
     dict(params={"W": "f32[3,5]", "b": [3]}, x="5", batch=4,
          in_axes=({"W": None, "b": 0}, 0))),
    (["examples/neuron.py:model", "--batch", "4", "--stage", "stablehlo", "--no-cost"],
     "examples/neuron.py:model", dict(batch=4, settings=JaxprSettings(stage="stablehlo",
                                                                       cost=False))),
    (["examples/failing.py:relu_branch"], "examples/failing.py:relu_branch", {}),
]


@pytest.mark.parametrize("argv,spec,kwargs", CASES, ids=[c[1] + str(i) for i, c in
                                                         enumerate(CASES)])
def test_cli_json_equals_the_library_call(runner, argv, spec, kwargs):
    r = cli(runner, *argv, "--json")
    assert r.exit_code in (0, 1), r.output
    report = jaxpr(resolve(spec).fn, name=spec, _surface=Surface("jaxpr"), **kwargs)
    assert json.loads(r.stdout) == json.loads(json.dumps(report.to_json()))
    assert r.exit_code == (0 if report.ok else 1)


# -- --batch with a dict-params model, checked against jax.vmap ---------------------------------

def _leaves_as(make, params, x):
    """(params, x) with each shape tuple made into a value."""
    return {k: make(s) for k, s in params.items()}, make(x)


def _real(in_axes, params, x):
    rng = np.random.default_rng(0)
    arrays = _leaves_as(lambda s: jnp.asarray(rng.standard_normal(s), jnp.float32), params, x)
    out = jax.vmap(nest_funcs.affine, in_axes=in_axes)(*arrays)
    return [tuple(o.shape) for o in jax.tree_util.tree_leaves(out)]


@pytest.mark.parametrize("in_axes,params,x", [
    (0, {"W": (4, 3, 5), "b": (4, 3)}, (4, 5)),
    ((None, 0), {"W": (3, 5), "b": (3,)}, (4, 5)),
    (({"W": None, "b": 0}, 1), {"W": (3, 5), "b": (4, 3)}, (5, 4)),
])
def test_batch_with_dict_params_agrees_with_jax_vmap(in_axes, params, x):
    r = jaxpr(nest_funcs.affine, {"W": (3, 5), "b": (3,)}, (5,), batch=4, in_axes=in_axes,
              settings=NO_COST)
    assert r.ok, r.error
    assert [i.shape for i in r.inputs] == [params["W"], params["b"], x]  # batch inserted
    assert [s for _, s in r.versions["vmap"].outputs] == _real(in_axes, params, x)
    structs = _leaves_as(lambda s: S(s, jnp.float32), params, x)
    want = jax.make_jaxpr(jax.vmap(nest_funcs.affine, in_axes=in_axes))(*structs)
    assert r.versions["vmap"].text == want.pretty_print(use_color=False)
    assert r.versions["loop"] is not None and r.versions["loop"].eqn_count > 0


def test_batch_with_dict_params_through_the_cli(runner):
    r = cli(runner, f"{NEST}:affine", "--params", PARAMS, "--x", "5", "--batch", "4",
            "--json", "--no-cost")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["versions"]["vmap"]["outputs"] == ["f32[4,3]"]
    assert _real(0, {"W": (4, 3, 5), "b": (4, 3)}, (4, 5)) == [(4, 3)]
    assert [lv["shapes"] for lv in data["levels"]] == [[[4, 3, 5], [4, 3], [4, 5]]]


# -- the hand-batched twin: batch on axis 0, unmapped inputs as they are, statics by keyword --

def test_twin_gets_the_batch_on_axis_0_whatever_the_in_axes():
    r = jaxpr(lambda x: jnp.sin(x).sum(), (3, 4), in_axes=1, settings=NO_COST,
              manual=lambda xs: jnp.sin(xs).sum(1), manual_name="sum_batched")
    assert r.ok, r.error
    assert r.alignment_with == "manual" and "a:f32[4,3]" in r.versions["manual"].text
    assert r.versions["vmap"].outputs == r.versions["manual"].outputs == [("f32", (4,))]


def test_twin_of_pytree_arguments_with_statics():
    def affine(params, x, scale):
        return scale * (params["W"] @ x + params["b"])

    def batched(params, xs, scale):
        return scale * (xs @ params["W"].T + params["b"])

    r = jaxpr(affine, {"W": (3, 5), "b": (4, 3)}, (5, 4), in_axes=({"W": None, "b": 0}, 1),
              static={"scale": 2.0}, manual=batched, settings=NO_COST)
    assert r.ok, r.error
    assert "f32[4,5]" in r.versions["manual"].text  # xs: the batch moved to axis 0
    assert r.versions["manual"].outputs == [("f32", (4, 3))]


def test_a_twin_that_fails_is_reported_without_in_axes_suggestions(runner, tmp_path):
    mod = tmp_path / "twin.py"
    mod.write_text("import jax.numpy as jnp\n"
                   "def f(x):\n    return jnp.sin(x).sum()\n"
                   "def f_batched(xs):\n    return jnp.sin(xs).sum(0)\n")
    r = cli(runner, f"{mod}:f", "--x", "4,3", "--manual", "f_batched", "--json")
    assert r.exit_code == 1
    error = json.loads(r.stdout)["error"]
    assert "do not compute the same thing" in error["message"] and error["suggestions"] == []


# -- JAX's settings are left as they were -------------------------------------------------------

@pytest.mark.parametrize("inputs", [("f64[4,3]",), ("f64[2,3]", "f64[3,3]")])
def test_the_library_call_leaves_x64_as_it_found_it(inputs):
    before = bool(jax.config.read("jax_enable_x64"))
    r = jaxpr(jnp.add if len(inputs) == 2 else jnp.sin, *inputs, settings=NO_COST)
    assert bool(jax.config.read("jax_enable_x64")) == before
    if len(inputs) == 1:
        assert r.ok and "f64[4,3]" in r.versions["vmap"].text
    else:
        assert r.error.kind == "inconsistent_sizes"
    if not before:
        assert any("x64 turned on" in n for n in r.notes)
