"""`vmapx jaxpr` with issue 5's options: pytree arguments and in_axes, keyword arguments,
repeated --in-axes/--out-axes (a nest of vmaps) and --ranks, through the CLI."""

import json
from collections import Counter

import jax
import jax.numpy as jnp
import pytest

from tests.fixtures import jaxpr_nest_funcs as fx
from vmapx.cli import app

F = "tests/fixtures/jaxpr_nest_funcs.py"
PARAMS = '{"W": "f32[3,5]", "b": [3]}'
S = jax.ShapeDtypeStruct


def run(runner, *args, env=None):
    result = runner.invoke(app, ["jaxpr", *args], env=env)
    assert "Traceback" not in result.output, result.output
    return result


def as_json(runner, *args):
    r = run(runner, *args, "--json", "--no-cost")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def jax_text(fn, *structs, **kw):
    return jax.make_jaxpr(fn)(*structs, **kw).pretty_print(use_color=False)


PARAMS_STRUCT = {"W": S((3, 5), jnp.float32), "b": S((3,), jnp.float32)}


def test_pytree_argument_and_pytree_in_axes(runner):
    data = as_json(runner, f"{F}:affine", "--params", PARAMS, "--x", "4,5",
                   "--in-axes", '{"W": null, "b": null},0')
    expected = jax_text(jax.vmap(fx.affine, in_axes=({"W": None, "b": None}, 0)),
                        PARAMS_STRUCT, S((4, 5), jnp.float32))
    assert data["versions"]["vmap"]["text"] == expected
    assert data["batch_size"] == 4 and data["levels"][0]["batch_size"] == 4
    assert data["in_axes"] == [None, None, 0]  # W, b, x: one entry per leaf
    assert data["versions"]["loop"]["eqn_count"] > 0  # one vmap: the loop is built
    assert data["versions"]["loop"]["per_example"] > 0


def test_pytree_twin_is_compared(runner):
    data = as_json(runner, f"{F}:affine", "--params", PARAMS, "--x", "4,5",
                   "--in-axes", "None,0", "--manual", "batched_affine")
    assert data["alignment_with"] == "manual"
    assert data["versions"]["manual"]["text"] == jax_text(
        fx.batched_affine, PARAMS_STRUCT, S((4, 5), jnp.float32))
    assert {"dot_general", "add"} <= set(data["versions"]["manual"]["primitives"])


def test_pytree_outputs_loop_stacks_every_leaf(runner):
    params = '{"W": "f32[4,3,5]", "b": [4,3]}'
    data = as_json(runner, f"{F}:split", "--params", params, "--x", "4,5")
    expected = jax_text(jax.vmap(fx.split), {"W": S((4, 3, 5), jnp.float32),
                                             "b": S((4, 3), jnp.float32)}, S((4, 5), jnp.float32))
    assert data["versions"]["vmap"]["text"] == expected
    # beyond one example's equations, the loop stacks each of the 4 output leaves (however
    # this JAX writes jnp.stack)
    one = jax.make_jaxpr(fx.split)(PARAMS_STRUCT, S((5,), jnp.float32))
    leaves = jax.tree.leaves(jax.eval_shape(fx.split, PARAMS_STRUCT, S((5,), jnp.float32)))
    stacking = Counter()
    for leaf in leaves:
        stacking.update(e.primitive.name for e in jax.make_jaxpr(
            lambda v: jnp.stack([v]))(leaf).eqns)
    beyond = Counter(data["versions"]["loop"]["primitives"])
    beyond.subtract(e.primitive.name for e in one.eqns)
    assert len(leaves) == 4 and all(beyond[p] >= n for p, n in stacking.items()), beyond


def test_pytree_out_axes_has_no_loop_and_says_so(runner):
    params = '{"W": "f32[4,3,5]", "b": [4,3]}'
    data = as_json(runner, f"{F}:split", "--params", params, "--x", "4,5",
                   "--out-axes", '{"norm": 0, "y": 1},0')
    assert data["versions"]["loop"] is None
    assert any("no loop version with pytree out_axes" in n for n in data["notes"])
    expected = jax_text(jax.vmap(fx.split, out_axes=({"norm": 0, "y": 1}, 0)),
                        {"W": S((4, 3, 5), jnp.float32), "b": S((4, 3), jnp.float32)},
                        S((4, 5), jnp.float32))
    assert data["versions"]["vmap"]["text"] == expected


def test_pytree_per_example_shapes_with_batch(runner):
    data = as_json(runner, f"{F}:affine", "--params", PARAMS, "--x", "5",
                   "--in-axes", '{"W": null, "b": 0},-1', "--batch", "4")
    expected = jax_text(jax.vmap(fx.affine, in_axes=({"W": None, "b": 0}, -1)),
                        {"W": S((3, 5), jnp.float32), "b": S((4, 3), jnp.float32)},
                        S((5, 4), jnp.float32))
    assert data["versions"]["vmap"]["text"] == expected and data["batch_size"] == 4
    data = as_json(runner, f"{F}:scaled", "--x", "3", "--scale", "f32[]", "--batch", "4")
    assert data["versions"]["vmap"]["text"] == jax_text(
        jax.vmap(fx.scaled), S((4, 3), jnp.float32), scale=S((4,), jnp.float32))


def test_keyword_argument_is_mapped_on_axis_0(runner):
    data = as_json(runner, f"{F}:scaled", "--x", "4,3", "--scale", "4")
    assert any("scale is a keyword argument" in n for n in data["notes"])
    expected = jax_text(jax.vmap(fx.scaled), S((4, 3), jnp.float32),
                        scale=S((4,), jnp.float32))
    assert data["versions"]["vmap"]["text"] == expected


def test_nested_in_axes_show_the_nests_jaxpr(runner):
    data = as_json(runner, f"{F}:add", "--a", "2,3,4", "--b", "2,3,4",
                   "--in-axes", "0", "--in-axes", "1")
    a = S((2, 3, 4), jnp.float32)
    assert data["versions"]["vmap"]["text"] == jax_text(
        jax.vmap(jax.vmap(fx.add, in_axes=1), in_axes=0), a, a)
    assert [(lv["in_axes"], lv["batch_size"]) for lv in data["levels"]] == [(0, 2), (1, 4)]
    assert data["levels"][1]["shapes"] == [[3, 4], [3, 4]]  # what level 1 is called with
    assert data["versions"]["loop"] is None and data["alignment_with"] == "none"
    assert any("no loop version for a nest of 2 vmaps" in n for n in data["notes"])
    assert data["batch_axes"][0]["axes"] == [0]  # the outermost level's batch axis


def test_nested_out_axes_per_level(runner):
    data = as_json(runner, f"{F}:add", "--a", "2,3,4", "--b", "2,3,4", "--in-axes", "0",
                   "--in-axes", "1", "--out-axes", "1", "--out-axes", "0")
    a = S((2, 3, 4), jnp.float32)
    assert data["versions"]["vmap"]["text"] == jax_text(
        jax.vmap(jax.vmap(fx.add, in_axes=1, out_axes=0), in_axes=0, out_axes=1), a, a)


def test_nest_with_an_explicit_twin(runner):
    data = as_json(runner, f"{F}:add", "--a", "2,3,4", "--b", "2,3,4", "--in-axes", "0",
                   "--in-axes", "1", "--manual", "nested_add")
    assert data["alignment_with"] == "manual" and data["verdict"]


def test_nest_twin_with_the_wrong_output_is_exit_1(runner):
    r = run(runner, f"{F}:add", "--a", "2,3,4", "--b", "2,3,4", "--in-axes", "0",
            "--in-axes", "1", "--manual", "wrong_nested_add", "--no-cost")
    assert r.exit_code == 1 and "do not compute the same thing" in r.output


def test_ranks_one_level(runner):
    data = as_json(runner, f"{F}:foo", "--s", "f32[]", "--v", "5,3", "--m", "5,3,3",
                   "--ranks", "0,1,2")
    assert data["versions"]["vmap"]["text"] == jax_text(
        jax.vmap(fx.foo, in_axes=(None, 0, 0)), S((), jnp.float32), S((5, 3), jnp.float32),
        S((5, 3, 3), jnp.float32))
    assert data["levels"] == [{"level": 0, "in_axes": [None, 0, 0], "out_axes": 0,
                               "batch_size": 5, "axes": [None, 0, 0],
                               "shapes": [[], [5, 3], [5, 3, 3]], "output_shapes": []}]
    assert data["alignment_with"] == "manual"  # the declared twin fits one level


def test_ranks_two_levels_by_name_leave_the_declared_twin_out(runner):
    data = as_json(runner, f"{F}:foo", "--s", "f32[]", "--v", "2,5,3", "--m", "5,3,3",
                   "--ranks", "s=0,v=1,m=2")
    assert [lv["in_axes"] for lv in data["levels"]] == [[None, 0, None], [None, 0, 0]]
    assert data["versions"]["vmap"]["text"] == jax_text(
        jax.vmap(jax.vmap(fx.foo, in_axes=(None, 0, 0)), in_axes=(None, 0, None)),
        S((), jnp.float32), S((2, 5, 3), jnp.float32), S((5, 3, 3), jnp.float32))
    assert data["versions"]["manual"] is None
    assert any("written for one vmap, not this nest of 2" in n for n in data["notes"])


def test_nest_renders_levels_and_equations(runner):
    r = run(runner, f"{F}:add", "--a", "2,3,4", "--b", "2,3,4", "--in-axes", "0",
            "--in-axes", "1", "--no-cost", env={"COLUMNS": "120"})
    assert r.exit_code == 0, r.output
    assert "level 0: in_axes (0)" in r.output and "level 1: in_axes (1)" in r.output
    assert "equations (batch axis highlighted)" in r.output
    assert "note: no loop version for a nest of 2 vmaps" in r.output


@pytest.mark.parametrize("args, code, says", [
    ((f"{F}:affine", "--params", PARAMS, "--x", "4,5", "--in-axes", '{"W": null},0'), 1,
     "missing key 'b'"),
    ((f"{F}:affine", "--params", PARAMS, "--x", "4,5", "--in-axes", '{"W": null, "b": null}'),
     1, "wrap it in a tuple"),
    ((f"{F}:scaled", "--x", "4,3", "--scale", "f32[]"), 1, "keyword argument"),
    ((f"{F}:foo", "--s", "f32[]", "--v", "5,3", "--m", "5,3,3", "--ranks", "0,1,4"), 1,
     "base rank 4"),
    ((f"{F}:add", "--a", "2,3,4", "--b", "2,3", "--in-axes", "0", "--in-axes", "1"), 1,
     "out of range"),
    ((f"{F}:add", "--a", "3,4", "--b", "3,4", "--in-axes", "0", "--in-axes", "0", "--batch",
      "2"), 2, "--batch gives one vmap's batch size"),
    ((f"{F}:foo", "--ranks", "0,1,2"), 2,
     "declared inputs (VMAPX_EXAMPLES) are per-example, and ranks or nested vmaps take the full"),
    ((f"{F}:affine", "--params", PARAMS, "--x", "5", "--in-axes", "None,3", "--batch", "4"), 1,
     "in_axis 3 for x is out of range"),
    ((f"{F}:foo", "--s", "f32[]", "--v", "3", "--m", "3,3", "--ranks", "0,1,2"), 2,
     "no vmap to show"),
    ((f"{F}:foo", "--s", "f32[]", "--v", "5,3", "--m", "5,3,3", "--ranks", "0,1,2",
      "--in-axes", "0"), 2, "--ranks and --in-axes"),
    ((f"{F}:add", "--a", "2,3,4", "--b", "2,3,4", "--in-axes", "0", "--in-axes", "1",
      "--out-axes", "0", "--out-axes", "0", "--out-axes", "0"), 2, "--out-axes"),
    ((f"{F}:affine", "--params", '{"W": "f32[3,5]", "b": [3}', "--x", "4,5"), 2,
     "cannot read pytree spec"),
])
def test_errors_are_explained(runner, args, code, says):
    r = run(runner, *args, "--no-cost")
    assert r.exit_code == code, r.output
    # a failing vmap (exit 1) is the report's error panel; bad input (exit 2) an `error:` line
    assert ("vmap fails" if code == 1 else "error:") in r.output, r.output
    assert says in " ".join(r.output.replace("│", " ").split()), r.output


def test_python_api_takes_pytrees_nests_and_ranks():
    from vmapx._jaxpr.api import jaxpr
    from vmapx._jaxpr.settings import JaxprSettings

    no_cost = JaxprSettings(cost=False)
    r = jaxpr(fx.affine, {"W": (3, 5), "b": (3,)}, (4, 5), in_axes=({"W": None, "b": None}, 0),
              settings=no_cost)
    assert r.versions["vmap"].text == jax_text(
        jax.vmap(fx.affine, in_axes=({"W": None, "b": None}, 0)), PARAMS_STRUCT,
        S((4, 5), jnp.float32))
    r = jaxpr(fx.add, (2, 3, 4), (2, 3, 4), levels_in=[0, 1], settings=no_cost)
    assert [lv.batch_size for lv in r.levels] == [2, 4] and r.versions["loop"] is None
    r = jaxpr(fx.foo, "f32[]", (5, 3), (5, 3, 3), ranks=(0, 1, 2), settings=no_cost)
    assert tuple(r.levels[0].in_axes) == (None, 0, 0) and r.versions["loop"] is not None
