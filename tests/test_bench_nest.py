"""`vmapx bench` with nested vmaps, pytree arguments, pytree in/out axes and --ranks.

Every run is tiny (--runs 1, --min-time 0, few variants); nothing asserts a time. The values
check is the real test: every variant must match the nested loop before it is timed.
"""

import csv
import json
import textwrap

import numpy as np
import pytest

from vmapx.cli import app

QUICK = ["--runs", "1", "--min-time", "0"]
F = "tests/fixtures/nest_funcs.py"
PARAMS = '{"W": "f32[3,5]", "b": [3]}'


def run(runner, *args):
    result = runner.invoke(app, ["bench", *args])
    assert "Traceback" not in result.output, result.output
    return result


def results(r):
    return [(x["variant"], x["status"], x["matches_loop"]) for x in json.loads(r.stdout)["results"]]


@pytest.fixture
def mod(tmp_path):
    path = tmp_path / "nestmod.py"
    path.write_text(textwrap.dedent("""
        import jax.numpy as jnp
        def two(x):
            return {"s": jnp.sum(x), "d": x * 2}
        def double(x):
            return x * 2
        def wrong_nest(xs):
            return xs.T * 2       # a hand-batched double with the batch axes swapped
    """))
    return path


def test_two_in_axes_levels_nest_vmaps_and_loops(runner):
    r = run(runner, "jnp.add", "--a", "2,3,4", "--b", "2,3,4", "--in-axes", "0", "--in-axes", "1",
            *QUICK, "--variants", "loop,loop-jit,vmap,jit-vmap,lax-map", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert results(r) == [(v, "timed", True) for v in
                          ("loop", "loop-jit", "vmap", "jit-vmap", "lax-map")]
    assert {(x["batch_size"], tuple(x["batch_shape"])) for x in data["results"]} == {(8, (2, 4))}
    assert any("2 nested vmaps" in n and "level 1: in_axes 1 (size 4)" in n
               for n in data["notes"])


def test_ranks_broadcast_nest_with_every_variant(runner):
    r = run(runner, "examples/autovmap.py:foo", "--s", "4,1", "--v", "5,3", "--m", "4,5,3,3",
            "--ranks", "0,1,2", *QUICK, "--variants", "loop,loop-jit,vmap,jit-vmap,lax-map",
            "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert all(ok for _, status, ok in results(r)) and len(results(r)) == 5
    assert data["results"][0]["batch_shape"] == [4, 5]
    assert data["results"][0]["inputs"] == "s f32[4,1], v f32[5,3], m f32[4,5,3,3]"
    assert any("squeezed once" in n for n in data["notes"])


def test_ranks_with_a_manual_twin_that_takes_the_inputs_as_given(runner):
    r = run(runner, "examples/autovmap.py:foo", "--s", "f32[]", "--v", "5,3", "--m", "5,3,3",
            "--ranks", "s=0,v=1,m=2", "--manual", "batched_foo", *QUICK,
            "--variants", "loop,jit-vmap,manual,jit-manual", "--json")
    assert r.exit_code == 0, r.output
    assert results(r) == [(v, "timed", True) for v in ("loop", "jit-vmap", "manual",
                                                        "jit-manual")]


def test_declared_twin_is_skipped_with_a_note_for_a_nest(runner):
    """The module's twin is written for one vmap: for a nest of two it is skipped, saying so."""
    nest = ["examples/autovmap.py:foo", "--s", "f32[]", "--v", "4,5,3", "--m", "4,5,3,3",
            "--ranks", "0,1,2", *QUICK]
    r = run(runner, *nest, "--variants", "loop,manual,jit-manual")
    assert r.exit_code == 0, r.output
    assert r.output.count("– skipped") == 2
    assert "manual, jit-manual skipped: the module's hand-batched batched_foo" in r.output
    assert "2 variants measured" not in r.output and "1 variant measured" in r.output
    r = run(runner, *nest, "--variants", "loop,manual", "--json")
    assert results(r) == [("loop", "timed", True), ("manual", "skipped", None)]
    assert "--manual SPEC" in json.loads(r.stdout)["results"][1]["detail"]


def test_declared_twin_is_used_when_ranks_give_one_vmap(runner):
    """One path: --ranks that give one level is a plain vmap, and the declared twin fits it."""
    r = run(runner, "examples/autovmap.py:foo", "--s", "f32[]", "--v", "5,3", "--m", "5,3,3",
            "--ranks", "0,1,2", *QUICK, "--variants", "loop,manual,jit-manual", "--json")
    assert r.exit_code == 0, r.output
    assert results(r) == [(v, "timed", True) for v in ("loop", "manual", "jit-manual")]


def test_markdown_export_shows_the_nest_and_skipped_rows(runner, tmp_path):
    md = tmp_path / "r.md"
    r = run(runner, "examples/autovmap.py:foo", "--s", "f32[]", "--v", "2,3,3", "--m",
            "2,3,3,3", "--ranks", "0,1,2", *QUICK, "--variants", "loop,manual",
            "--export-markdown", str(md))
    assert r.exit_code == 0, r.output
    text = md.read_text()
    assert "| 2×3 | loop |" in text and "| 2×3 | manual |" in text and "skipped |" in text


def test_pytree_params_with_pytree_in_axes_and_a_batch_sweep(runner, tmp_path):
    out = tmp_path / "r.csv"
    r = run(runner, f"{F}:affine", "--params", PARAMS, "--x", "5", "--in-axes",
            '{"W": null, "b": null},0', "--batch", "2,3", *QUICK,
            "--variants", "loop,vmap,jit-vmap,lax-map", "--json", "--export-csv", str(out))
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [(x["batch_size"], x["variant"]) for x in data["results"]] == [
        (b, v) for b in (2, 3) for v in ("loop", "vmap", "jit-vmap", "lax-map")]
    assert all(x["matches_loop"] for x in data["results"])
    assert data["results"][-1]["inputs"] == "params['W'] f32[3,5], params['b'] f32[3], x f32[3,5]"
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 8 and rows[0]["batch_shape"] == "[2]"


def test_mapped_pytree_leaf_and_pytree_outputs(runner):
    r = run(runner, f"{F}:split", "--params", '{"W": "f32[4,3,5]", "b": [3]}', "--x", "4,5",
            "--in-axes", '{"W": 0, "b": null},0', *QUICK,
            "--variants", "loop,loop-jit,vmap,jit-vmap,lax-map", "--json")
    assert r.exit_code == 0, r.output
    assert all(status == "timed" and ok for _, status, ok in results(r))


def test_pytree_out_axes_and_per_level_out_axes(runner, mod):
    r = run(runner, f"{mod}:two", "--x", "4,3", "--out-axes", '{"s": 0, "d": 1}', *QUICK,
            "--variants", "loop,vmap,lax-map", "--json")
    assert r.exit_code == 0, r.output
    assert results(r) == [(v, "timed", True) for v in ("loop", "vmap", "lax-map")]
    r = run(runner, f"{mod}:double", "--x", "4,5,3", "--in-axes", "0", "--in-axes", "1",
            "--out-axes", "1", "--out-axes", "0", *QUICK, "--variants",
            "loop,loop-jit,jit-vmap,lax-map", "--json")
    assert r.exit_code == 0, r.output
    assert all(ok for _, _, ok in results(r))


def test_keyword_only_argument_is_mapped_on_axis_0(runner):
    r = run(runner, f"{F}:scaled", "--x", "4,3", "--scale", "4,3", *QUICK,
            "--variants", "loop,vmap,lax-map", "--json")
    assert r.exit_code == 0, r.output
    assert all(ok for _, _, ok in results(r))
    assert any("keyword argument" in n for n in json.loads(r.stdout)["notes"])


def test_wrong_nested_twin_is_caught_before_timing(runner, mod):
    r = run(runner, f"{mod}:double", "--x", "4,5,3", "--in-axes", "0", "--in-axes", "0",
            "--out-axes", "1", "--manual", "wrong_nest", *QUICK, "--variants", "loop,manual")
    assert r.exit_code == 1, r.output
    assert "✗ values differ" in r.output and "but the loop gives f32[3,4,5]" in r.output


@pytest.mark.parametrize("args, code, says", [
    (["examples/autovmap.py:foo", "--s", "f32[]", "--v", "5,3", "--m", "5,3,3", "--ranks",
      "0,1,2", "--batch", "4,8"], 2, "with ranks the batch dims come from the shapes"),
    (["jnp.add", "--a", "2,3", "--b", "2,3", "--in-axes", "0", "--in-axes", "0", "--batch", "4"],
     2, "with 2 nested vmaps the batch dims come from the shapes"),
    (["examples/autovmap.py:foo", "--s", "f32[]", "--v", "3", "--m", "3,3", "--ranks", "0,1,2"],
     2, "no argument of examples/autovmap.py:foo has extra leading dims"),
    # the declared inputs are per-example (with the declared batch): ranks need full shapes
    (["examples/autovmap.py:foo", "--ranks", "0,1,2"], 2,
     "declared inputs (VMAPX_EXAMPLES) are per-example"),
    (["examples/autovmap.py:foo", "--s", "f32[]", "--v", "5,3", "--m", "4,3,3", "--ranks",
      "0,1,2"], 1, "do not broadcast at level 0"),
    ([f"{F}:affine", "--params", PARAMS, "--x", "4,5", "--in-axes", '{"W": null},0'], 1,
     "missing key 'b'"),
    ([f"{F}:affine", "--params", PARAMS, "--x", "5", "--in-axes", '{"W": null, "b": 5},0',
      "--batch", "2"], 1, "in_axis 5 for params['b'] is out of range"),
    (["jnp.add", "--a", "2,3", "--b", "3,3", "--in-axes", "0", "--in-axes", "0"], 1,
     "different sizes"),
    (["jnp.add", "--a", "0,3", "--b", "0,3", "--in-axes", "0", "--in-axes", "0"], 2,
     "has size 0"),
    (["--ranks", "0,1"], 2, "--ranks needs a FUNCTION"),
])
def test_nest_errors_are_explained_before_measuring(runner, args, code, says):
    r = run(runner, *args, *QUICK)
    assert r.exit_code == code, r.output
    assert says in " ".join(r.output.split()) and "measured" not in r.output


def test_nest_table_at_80_columns(runner, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    r = run(runner, "examples/autovmap.py:foo", "--s", "f32[]", "--v", "2,5,3", "--m",
            "2,5,3,3", "--ranks", "0,1,2", *QUICK, "--variants", "loop,jit-vmap")
    assert r.exit_code == 0, r.output
    assert "batch 2×5 = 10" in r.output and "2 nested vmaps (built by --ranks" in r.output
    assert max(len(line) for line in r.output.splitlines()) <= 80


def test_nested_loop_and_lax_map_equal_a_real_vmap_nest():
    """The variants against jax.vmap written by hand, on the same random leaves."""
    import jax
    import jax.numpy as jnp

    from vmapx._bench import values, variants
    from vmapx._problem import request
    from vmapx._problem.surface import Surface

    def f(p, x):
        return {"y": p["W"] @ x + p["b"], "n": jnp.sum(x)}

    levels_in = [({"W": None, "b": None}, 0), ({"W": 1, "b": None}, None)]
    levels_out = [1, {"y": 0, "n": 0}]
    problem = request.problem(f, (), {"p": {"W": (3, 4, 5), "b": (3,)}, "x": (2, 5)},
                              {"levels_in": levels_in, "levels_out": levels_out},
                              Surface("bench", cli=False))
    assert [lv.size for lv in problem.levels] == [2, 4]
    leaves = values.random_leaves([lf.shape for lf in problem.leaves],
                                  [lf.dtype for lf in problem.leaves],
                                  np.random.default_rng(0), jax.devices()[0])
    built = variants.build(problem, leaves, None)
    W, b, x = leaves
    want = jax.vmap(jax.vmap(f, in_axes=({"W": 1, "b": None}, None), out_axes={"y": 0, "n": 0}),
                    in_axes=({"W": None, "b": None}, 0), out_axes=1)({"W": W, "b": b}, x)
    for name in ("loop", "loop-jit", "vmap", "jit-vmap", "lax-map"):
        got = values.block(built[name].run())
        assert values.mismatch(got, want) is None, name
    assert want["y"].shape == (4, 2, 3)
