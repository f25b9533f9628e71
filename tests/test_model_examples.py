"""The real-model examples (examples/mlp.py, eqx_mlp.py, nnx_mlp.py) as a new user runs them:
no shapes typed (declared), shapes from the module's objects, and callables that are pytrees
themselves (an Equinox module, a Flax NNX module, a partial, an instance with `__call__`).
Every predicted shape is checked against `jax.vmap` on concrete arrays; tree inputs and outputs
render as an indented table by key path (issue 10)."""

import functools
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import vmapx
from examples import eqx_mlp, mlp, nnx_mlp
from vmapx._bench.settings import BenchSettings
from vmapx._render import to_text
from vmapx._render.common import BATCH_STYLE, arg_axes_cells, tree_rows
from vmapx.cli import app

QUICK = BenchSettings(runs=2, min_time=0.0, warmup=0, sample_time=1e-4, tick=1e-7)
B = 8
XS = jnp.asarray(np.random.RandomState(0).randn(B, mlp.IN), jnp.float32)
YS = jnp.asarray(np.random.RandomState(1).randn(B, mlp.OUT), jnp.float32)


def _real(fn, args, in_axes):
    """What jax.vmap really returns on concrete arrays: (key path, shape) per output leaf."""
    out = jax.vmap(fn, in_axes=in_axes)(*args)
    return [(jax.tree_util.keystr(p), list(x.shape))
            for p, x in jax.tree_util.tree_flatten_with_path(out)[0]]


# (spec as typed, what jax.vmap really returns for the declared inputs)
DECLARED = [
    ("examples/mlp.py:model", lambda: _real(mlp.model, (mlp.init_params(), XS), (None, 0))),
    ("examples/mlp.py:grad_loss",
     lambda: _real(mlp.grad_loss, (mlp.init_params(), XS, YS), (None, 0, 0))),
    ("examples/eqx_mlp.py:model", lambda: _real(eqx_mlp.model, (XS,), 0)),
    ("examples/eqx_mlp.py:apply",
     lambda: _real(eqx_mlp.apply, (eqx_mlp.model, XS), (None, 0))),
    ("examples/nnx_mlp.py:model", lambda: _real(nnx_mlp.model, (XS,), 0)),
    ("examples/nnx_mlp.py:apply",
     lambda: _real(nnx_mlp.apply, (nnx.state(nnx_mlp.model), XS), (None, 0))),
]


@pytest.mark.parametrize("spec, real", DECLARED, ids=[d[0] for d in DECLARED])
def test_declared_examples_need_no_shapes_and_agree_with_jax(runner, spec, real):
    result = runner.invoke(app, ["shape", spec, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(o["path"], o["shape"]) for o in data["outputs"]] == real()
    assert any("VMAPX_EXAMPLES" in n for n in data["notes"])


def test_per_example_gradients_are_a_params_tree_with_a_batch_axis(runner):
    result = runner.invoke(app, ["shape", "examples/mlp.py:grad_loss", "--json"])
    outs = {o["path"]: o for o in json.loads(result.stdout)["outputs"]}
    params = mlp.init_params()
    assert set(outs) == {f"['{k}']" for k in params}
    for k, leaf in params.items():
        assert outs[f"['{k}']"]["shape"] == [B, *leaf.shape]
        assert outs[f"['{k}']"]["out_axis"] == 0


@pytest.mark.parametrize("argv, real", [
    (["examples/mlp.py:model", "--params", "@examples/mlp.py:init_params", "--x", "5",
      "--batch", "8", "--in-axes", "None,0"],
     lambda: _real(mlp.model, (mlp.init_params(), XS), (None, 0))),
    (["examples/eqx_mlp.py:apply", "--model", "@examples/eqx_mlp.py:init_model", "--x", "8,5",
      "--in-axes", "None,0"],
     lambda: _real(eqx_mlp.apply, (eqx_mlp.model, XS), (None, 0))),
    (["examples/nnx_mlp.py:apply", "--state", "@examples/nnx_mlp.py:init_state", "--x", "5",
      "--batch", "8", "--in-axes", "None,0"],
     lambda: _real(nnx_mlp.apply, (nnx.state(nnx_mlp.model), XS), (None, 0))),
])
def test_shapes_from_the_modules_objects(runner, argv, real):
    result = runner.invoke(app, ["shape", *argv, "--json"])
    assert result.exit_code == 0, result.output
    assert [(o["path"], o["shape"]) for o in json.loads(result.stdout)["outputs"]] == real()


@pytest.mark.parametrize("spec", ["examples/mlp.py:grad_loss", "examples/eqx_mlp.py:model",
                                  "examples/nnx_mlp.py:model"])
def test_jaxpr_and_bench_use_the_declared_twin(runner, spec):
    result = runner.invoke(app, ["jaxpr", spec, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["versions"]["manual"] is not None
    result = runner.invoke(app, ["bench", spec, "--variants", "vmap,manual", "--runs", "2",
                                 "--min-time", "0", "--warmup", "0", "--json"])
    assert result.exit_code == 0, result.output
    # bench checks each variant's values against the loop's: the twin agrees with vmap
    rows = {r["variant"]: r["status"] for r in json.loads(result.stdout)["results"]}
    assert rows == {"vmap": "timed", "manual": "timed"}


def test_hand_batched_gradients_equal_jax_per_example_gradients():
    params = mlp.init_params()
    real = jax.vmap(mlp.grad_loss, in_axes=(None, 0, 0))(params, XS, YS)
    by_hand = mlp.batched_grads(params, XS, YS)
    for k in params:
        np.testing.assert_allclose(by_hand[k], real[k], rtol=1e-5, atol=1e-6)


class Scaled:
    """A class instance with `__call__` whose array field is closed over."""

    def __init__(self):
        self.W = jnp.ones((3, mlp.IN))

    def __call__(self, x):
        return self.W @ x


@pytest.mark.parametrize("fn", [
    functools.partial(mlp.model, mlp.init_params()), Scaled(), eqx_mlp.model, nnx_mlp.model],
    ids=["partial", "instance", "equinox", "nnx"])
def test_pytree_callables_close_over_their_arrays(fn):
    report = vmapx.shape(fn, (B, mlp.IN))
    assert report.ok, report.error
    assert [i.name for i in report.inputs] == ["x"]           # the weights are not inputs
    assert [(o.path, list(o.shape)) for o in report.outputs] == _real(fn, (XS,), 0)
    assert vmapx.jaxpr(fn, (B, mlp.IN)).ok


def test_tree_rows_group_leaves_under_their_argument():
    names = ["params['W1']", "params['b1']", "x", "layers[0].W", "out"]
    assert tree_rows(names) == [
        ("params", [0, 1], "tree"), ("  ['W1']", [0], "leaf"), ("  ['b1']", [1], "leaf"),
        ("x", [2], "array"), ("layers", [3], "tree"), ("  [0].W", [3], "leaf"),
        ("out", [4], "array")]
    assert arg_axes_cells(names, [None, None, 0, 1, 0]) == "—,0,1,0"
    assert arg_axes_cells(["p['a']", "p['b']"], [None, 0]) == "mixed"


def test_tree_inputs_and_outputs_render_indented_by_key_path():
    report = vmapx.shape(mlp.grad_loss, mlp.init_params, (mlp.IN,), (mlp.OUT,), batch=B,
                         in_axes=(None, 0, 0))
    text = to_text(report, width=100)
    lines = text.splitlines()
    assert "in_axes (—,0,0) · out_axes (0) · batch size 8" in lines[0]
    row = next(ln for ln in lines if ln.startswith("│ params "))
    assert "4 leaves" in row and "—" in row
    w1 = [ln for ln in lines if "['W1']" in ln and "│   ['W1']" in ln]
    assert len(w1) == 2                                       # one input row, one output row
    assert "f32[16,5]" in w1[0] and "f32[8,16,5]" in w1[1]
    out = next(ln for ln in lines if ln.startswith("│ out "))
    assert "4 leaves" in out


def test_the_batch_dim_of_each_tree_leaf_is_marked():
    from vmapx._render.shape import _outputs_table

    report = vmapx.shape(mlp.grad_loss, mlp.init_params, (mlp.IN,), (mlp.OUT,), batch=B,
                         in_axes=(None, 0, 0), out_axes=1)
    table = _outputs_table(report)
    batched = table.columns[2]._cells
    marked = [[cell.plain[s.start:s.end] for s in cell.spans if s.style == BATCH_STYLE]
              for cell in batched if hasattr(cell, "spans")]
    # header row first (no shape), then W1 f32[16,8,5], W2 f32[3,8,16], b1 f32[16,8], b2 f32[3,8]
    assert marked[1:] == [["8"]] * 4
    assert [c.plain for c in batched[1:]] == ["f32[16,8,5]", "f32[3,8,16]", "f32[16,8]",
                                              "f32[3,8]"]


@pytest.mark.parametrize("command, argv", [
    ("jaxpr", ["examples/nnx_mlp.py:apply", "--state", "@examples/nnx_mlp.py:init_state",
               "--x", "5", "--batch", "8", "--in-axes", "None,0"]),
    ("bench", ["examples/mlp.py:model", "--params", "@examples/mlp.py:init_params", "--x", "5",
               "--batch", "8", "--in-axes", "None,0", "--manual", "examples/mlp.py:batched_model",
               "--variants", "vmap,manual", "--runs", "2", "--min-time", "0", "--warmup", "0"]),
])
def test_jaxpr_and_bench_take_the_modules_objects(runner, command, argv):
    result = runner.invoke(app, [command, *argv, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"]
    if command == "jaxpr":   # the state's 4 leaves are unmapped, x is mapped
        assert data["in_axes"] == [None, None, None, None, 0]
    else:
        assert {r["variant"]: r["status"] for r in data["results"]} == {
            "vmap": "timed", "manual": "timed"}


def test_declarations_are_found_by_identity_whatever_sys_modules_holds(monkeypatch):
    """`grad_loss = jax.grad(loss)` is named `loss` by JAX: its declaration is found because
    the module's attribute *is* it; entries of sys.modules that are not modules are passed by."""
    from vmapx._text.declared import home

    monkeypatch.setitem(__import__("sys").modules, "not_a_module", 42)
    assert mlp.grad_loss.__name__ == "loss"
    module, key = home(mlp.grad_loss)
    assert module is mlp and key == "grad_loss"
    assert home(eqx_mlp.model) == (eqx_mlp, "model")
