"""Real models (issue 10): parameters as pytrees (dict, NamedTuple list, registered dataclass),
taken from the user's own objects and init functions (`@module:NAME`), through shape, jaxpr,
bench and the library; predictions checked against jax.vmap on concrete arrays."""

import json
from typing import NamedTuple

import jax
import jax.numpy as jnp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vmapx
from tests import truth
from tests.fixtures import models as m
from vmapx._bench.settings import BenchSettings
from vmapx._text.inputs import to_spec
from vmapx._text.trees import Node, leaves, unflatten_like
from vmapx.cli import app
from vmapx.errors import SpecError, TargetError

MOD = "tests.fixtures.models"
QUICK = BenchSettings(variants=("loop", "vmap", "manual"), runs=2, min_time=0.0, warmup=0,
                      sample_time=1e-4, tick=1e-7)


def _real(fn, args, in_axes):
    """What jax.vmap really returns on concrete arrays: (key path, shape) per output leaf."""
    out = truth.run(jax.vmap(fn, in_axes=in_axes), *args)
    return [(jax.tree_util.keystr(p), tuple(x.shape))
            for p, x in jax.tree_util.tree_flatten_with_path(out)[0]]


def _predicted(report):
    return [(o.path, o.shape) for o in report.outputs]


XS = jnp.ones((4, m.IN))


@pytest.mark.parametrize("fn, params", [
    (m.model, m.init_params), (m.model, m.params), (m.model, m.init_params()),
    (m.layers_model, m.init_layers), (m.mlp_model, m.init_mlp), (m.two_outputs, m.init_mlp),
])
def test_library_takes_objects_and_init_functions(fn, params):
    report = vmapx.shape(fn, params, XS, in_axes=(None, 0))
    assert report.ok, report.error
    concrete = params() if callable(params) else jax.tree.map(
        lambda s: jnp.zeros(s.shape, s.dtype), params)
    assert _predicted(report) == _real(fn, (concrete, XS), (None, 0))


def test_container_types_reach_the_traced_call():
    # layers_model and mlp_model assert isinstance: a list of NamedTuples stays one, a
    # registered dataclass stays one (jax-free trees rebuild them through JAX's treedef)
    spec = to_spec(m.init_mlp)
    assert isinstance(spec, Node) and spec.kind == "MLP"
    assert [p for p, _ in leaves(spec)] == [".hidden.W", ".hidden.b", ".out.W", ".out.b"]
    rebuilt = unflatten_like(spec, iter(range(4)))
    assert isinstance(rebuilt, m.MLP) and rebuilt.hidden == m.Layer(0, 1)
    layers = to_spec(m.init_layers)
    assert type(layers) is list and isinstance(unflatten_like(layers, iter(range(4)))[1], m.Layer)


def test_init_function_stays_abstract():
    seen = []

    def init_big():  # 40 GB as float32 if it were ever allocated
        w = jnp.ones((100_000, 100_000))
        seen.append(isinstance(w, jax.core.Tracer))
        return {"W": w, "b": jnp.zeros(100_000)}

    spec = to_spec(init_big)
    assert spec["W"].shape == (100_000, 100_000) and spec["W"].dtype == "float32"
    assert seen == [True]   # traced by jax.eval_shape: nothing allocated
    report = vmapx.shape(lambda p, x: p["W"] @ x + p["b"], init_big, (3, 100_000),
                         in_axes=(None, 0))
    assert report.outputs[0].shape == (3, 100_000)


def test_tree_outputs_by_key_path_and_pattern():
    report = vmapx.shape(m.two_outputs, m.init_mlp, (7, m.IN), in_axes=(None, 0))
    assert _predicted(report) == [(".W", (7, m.HIDDEN)), (".b", (7, m.OUT))]


def test_jaxpr_and_bench_take_objects():
    report = vmapx.jaxpr(m.model, m.init_params, (4, m.IN), in_axes=(None, 0),
                         manual=m.batched_model)
    assert report.ok, report.error
    assert report.versions["manual"] is not None
    assert vmapx.jaxpr(m.mlp_model, m.init_mlp, (4, m.IN), in_axes=(None, 0)).ok
    bench = vmapx.bench(m.layers_model, m.init_layers, (m.IN,), batch=4, in_axes=(None, 0),
                        settings=QUICK)
    assert bench.ok, bench.error
    assert {r.variant for r in bench.results if r.status == "timed"} == {"loop", "vmap"}
    # the dict model's hand-batched twin runs on the same random parameters and agrees
    bench = vmapx.bench(m.model, m.init_params, (m.IN,), batch=4, in_axes=(None, 0),
                        manual=m.batched_model, settings=QUICK)
    assert {r.variant: r.status for r in bench.results} == {
        "loop": "timed", "vmap": "timed", "manual": "timed"}


@pytest.mark.parametrize("argv, shape", [
    ([f"{MOD}:model", "--params", f"@{MOD}:init_params", "--x", "4,5", "--in-axes", "None,0"],
     [4, 3]),
    ([f"{MOD}:model", "--params", f"@{MOD}:params", "--x", "5", "--batch", "4",
      "--in-axes", "None,0"], [4, 3]),
    (["tests/fixtures/models.py:layers_model", "--layers",
      "@tests/fixtures/models.py:init_layers", "--x", "5", "--batch", "6",
      "--in-axes", "None,0"], [6, 3]),
    ([f"{MOD}:mlp_model", "--mlp", f"@{MOD}:init_mlp", "--x", "2,5", "--in-axes", "None,0"],
     [2, 3]),
    ([f"{MOD}:model"], [4, 3]),          # VMAPX_EXAMPLES: "@init_params" in its own module
    ([f"{MOD}:mlp_model"], [4, 3]),      # VMAPX_EXAMPLES: the init function itself
])
def test_cli_shape_takes_objects(runner, argv, shape):
    result = runner.invoke(app, ["shape", *argv, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outputs"][0]["shape"] == shape


def test_cli_jaxpr_and_bench_with_declared_and_object_inputs(runner):
    result = runner.invoke(app, ["jaxpr", f"{MOD}:model", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["versions"]["manual"] is not None          # the declared twin
    result = runner.invoke(app, ["bench", f"{MOD}:mlp_model", "--mlp", f"@{MOD}:init_mlp",
                                 "--x", "5", "--batch", "4", "--in-axes", "None,0",
                                 "--variants", "vmap", "--runs", "2", "--min-time", "0",
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["variant"] == "vmap"


@pytest.mark.parametrize("value, message, hint", [
    (f"@{MOD}:init_parms", "has no attribute 'init_parms'", f"did you mean @{MOD}:init_params"),
    (f"@{MOD}:needs_key", "takes required argument (key)", "takes none"),
    (f"@{MOD}:broken_init", "raised RuntimeError: no weights here", "models.py"),
    ("@init_params", "is named with its module", "@module:NAME"),
    ("@tests/fixtures/nope.py:params", "does not exist", "relative to the current directory"),
])
def test_bad_object_names_exit_2(runner, value, message, hint):
    result = runner.invoke(app, ["shape", f"{MOD}:model", "--params", value, "--x", "4,5"])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert message in text and hint in text
    assert "Traceback" not in result.output


def test_library_bad_object():
    with pytest.raises(SpecError, match="required argument"):
        vmapx.shape(m.model, m.needs_key, XS)
    with pytest.raises(TargetError, match="has no attribute 'parms'") as info:
        vmapx.shape(m.model, f"@{MOD}:parms", XS)
    assert f"did you mean @{MOD}:params" in info.value.hint


def test_whole_tree_mapped_is_explained_and_the_fix_works(runner):
    argv = ["shape", f"{MOD}:model", "--params", f"@{MOD}:init_params", "--x", "4,5"]
    result = runner.invoke(app, argv + ["--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    error = data["error"]
    # the table shows the in_axes as asked and each leaf's size there (not "—" everywhere)
    assert [(i["name"], i["in_axis"], i["batch_size"]) for i in data["inputs"]] == [
        ("params['W1']", 0, 16), ("params['W2']", 0, 3), ("params['b1']", 0, 16),
        ("params['b2']", 0, 3), ("x", 0, 4)]
    assert error["detail"] == "tree_unbatched" and error["kind"] == "inconsistent_sizes"
    assert "params is a pytree of 4 arrays mapped as a whole" in error["message"]
    assert "params['W1'] f32[16,5] has size 16 on axis 0" in error["message"]
    assert "map it with None" in error["hint"]
    assert error["suggestions"][0]["in_axes"] == [None, 0]
    fixed = runner.invoke(app, argv + ["--in-axes", "None,0", "--json"])
    assert fixed.exit_code == 0, fixed.output
    # jax.vmap agrees: with in_axes 0 it fails, with (None, 0) it gives the suggested shapes
    with pytest.raises(ValueError, match="inconsistent sizes"):
        jax.vmap(m.model)(m.init_params(), XS)
    assert [list(s) for _, s in _real(m.model, (m.init_params(), XS), (None, 0))] == \
        error["suggestions"][0]["shapes"]


def test_flat_shape_for_a_tree_names_the_tree_and_the_object(runner):
    result = runner.invoke(app, ["shape", f"{MOD}:model", "--params", "f32[3]", "--x",
                                 "f32[3]", "--batch", "4"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "reads params like a dict" in text and "params is a pytree" in text
    suggested = f"--params @{MOD}:params"
    assert suggested in text
    fixed = runner.invoke(app, ["shape", f"{MOD}:model", *suggested.split(), "--x", "f32[5]",
                                "--batch", "4", "--in-axes", "None,0"])
    assert fixed.exit_code == 0, fixed.output


class Pair(NamedTuple):
    a: object
    b: object


def _tree(draw, depth):
    kind = draw(st.sampled_from(["leaf"] * 2 + (["dict", "list", "tuple", "pair"] if depth else [])))
    if kind == "leaf":
        return jnp.zeros(tuple(draw(st.lists(st.integers(1, 3), max_size=2))))
    kids = [_tree(draw, depth - 1) for _ in range(draw(st.integers(1, 2)) if kind != "pair" else 2)]
    if kind == "dict":
        return {f"k{i}": k for i, k in enumerate(kids)}
    return {"list": list, "tuple": tuple, "pair": lambda k: Pair(*k)}[kind](kids)


@st.composite
def _params(draw):
    return _tree(draw, 2)


def _loss(params, x):
    return jax.tree_util.tree_reduce(lambda acc, leaf: acc + jnp.sum(leaf), params, 0.0) * jnp.sum(x)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(params=_params(), n=st.integers(1, 3), data=st.data())
def test_random_trees_and_prefix_in_axes_agree_with_jax_vmap(params, n, data):
    # a random subset of leaves gets a batch axis of size n; in_axes is the matching prefix
    # tree (dicts, lists, tuples, NamedTuples of 0/None), or one 0/None for the whole tree
    flat, treedef = jax.tree_util.tree_flatten(params)
    mask = data.draw(st.lists(st.booleans(), min_size=len(flat), max_size=len(flat)))
    params = treedef.unflatten([jnp.zeros((n,) + p.shape) if b else p
                                for p, b in zip(flat, mask)])
    axes = treedef.unflatten([0 if b else None for b in mask])
    if all(mask) or not any(mask):
        axes = 0 if all(mask) else None
    in_axes = (axes, 0)
    report = vmapx.shape(_loss, params, (n, 2), in_axes=in_axes)
    assert report.ok, report.error
    x = jnp.ones((n, 2))
    assert _predicted(report) == _real(_loss, (params, x), in_axes)
    per_grad = vmapx.shape(jax.grad(_loss), params, (n, 2), in_axes=in_axes)
    assert _predicted(per_grad) == _real(jax.grad(_loss), (params, x), in_axes)


@pytest.mark.parametrize("fn, init, in_axes", [
    (m.layers_model, m.init_layers, ([m.Layer(None, None), m.Layer(None, None)], 0)),
    (m.mlp_model, m.init_mlp, (m.MLP(m.Layer(None, None), None), 0)),
])
def test_namedtuple_and_dataclass_in_axes_prefixes_match_jax(fn, init, in_axes):
    report = vmapx.shape(fn, init, XS, in_axes=in_axes)
    assert report.ok, report.error
    assert _predicted(report) == _real(fn, (init(), XS), in_axes)
    json.dumps(report.to_json())


def test_a_dict_prefix_for_a_dataclass_fails_as_in_jax():
    in_axes = ({"hidden": None, "out": None}, 0)
    report = vmapx.shape(m.mlp_model, m.init_mlp, XS, in_axes=in_axes)
    assert report.error.detail == "pytree_prefix" and "a MLP (.hidden, .out)" in report.error.message
    with pytest.raises(ValueError):
        jax.vmap(m.mlp_model, in_axes=in_axes)(m.init_mlp(), XS)


def test_no_shapes_at_all_suggests_the_modules_init_function(runner):
    result = runner.invoke(app, ["jaxpr", "tests/fixtures/models.py:layers_model", "--batch", "4"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "vmapx jaxpr tests/fixtures/models.py:layers_model --layers " \
           "@tests/fixtures/models.py:init_layers --x f32[3]" in text
    fixed = runner.invoke(app, ["jaxpr", "tests/fixtures/models.py:layers_model", "--layers",
                                "@tests/fixtures/models.py:init_layers", "--x", f"f32[{m.IN}]",
                                "--batch", "4", "--in-axes", "None,0"])
    assert fixed.exit_code == 0, fixed.output


def test_declared_init_functions_run_only_when_the_declared_inputs_are_used(monkeypatch):
    ran = []
    monkeypatch.setitem(m.VMAPX_EXAMPLES["mlp_model"]["inputs"], "mlp",
                        lambda: ran.append(1) or m.init_mlp())
    assert vmapx.shape(m.mlp_model, m.init_mlp, XS, in_axes=(None, 0)).ok
    assert ran == []                       # the caller's own inputs: the declared ones unread
    assert vmapx.shape(m.mlp_model).ok and ran == [1]
