"""`vmapx shape` through the CLI: outputs, every error kind, exit codes, JSON, help."""

import json
import subprocess
import sys

import pytest

from tests.conftest import add_names, with_add_names
from vmapx.cli import app
from vmapx.errors import VmapFailure


def run(runner, *args):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def test_readme_command(runner):
    r = run(runner, "shape", "jnp.add", "--a", "2,3,5", "--in-axes", "0,None")
    assert r.exit_code == 0, r.output
    assert "f32[2,3,5]" in r.output and with_add_names("{b} (from {a})") in r.output
    assert with_add_names("borrows {a}'s per-example shape (f32[3,5])") in r.output
    assert "1 ≡ -2" in r.output  # the out_axes pattern


def test_example_module_without_typed_shapes(runner):
    r = run(runner, "shape", "examples/dot.py:affine", "--batch", "3")
    assert r.exit_code == 0, r.output
    assert "f32[3,20]" in r.output and "f32[3,10]" in r.output


def test_named_parameters_and_equals_form(runner):
    r = run(runner, "shape", "examples/neuron.py:model", "--v=4,5", "--json")
    data = json.loads(r.stdout)
    assert data["inputs"][0]["name"] == "v" and data["outputs"][0]["shape"] == [4]


def test_static_argument(runner):
    r = run(runner, "shape", "jnp.sum", "--a", "4,3,2", "--static", "axis=0", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["outputs"][0]["shape"] == [4, 2]


def test_x64_dtype_turns_on_x64_and_says_so(runner):
    r = run(runner, "shape", "jnp.add", "--a", "f64[3,2]", "--b", "f64[3,2]")
    assert r.exit_code == 0 and "x64 turned on" in r.output and "f64[3,2]" in r.output


# every error kind: exit code 1, the kind, a message in the user's names, no traceback
KIND_CASES = [
    ("inconsistent_sizes", ["jnp.add", "--a", "2,3,5", "--b", "2,3,5", "--in-axes", "0,1"],
     ["{a} is f32[2,3,5] mapped on axis 0 (size 2)", "{b} is f32[2,3,5] mapped on axis 1 (size 3)"]),
    ("axis_out_of_range", ["jnp.add", "--a", "2,3", "--b", "2,3", "--in-axes", "2,0"],
     ["in_axis 2 for {a} is out of range", "-2..1 or None"]),
    ("axis_out_of_range", ["jnp.add", "--a", "2,3", "--in-axes", "0,None", "--out-axes", "5"],
     ["out_axes 5 is out of range", "-2..1"]),
    ("no_mapped_axis", ["jnp.add", "--a", "2,3", "--b", "2,3", "--in-axes", "None,None"],
     ["every in_axes entry is None", "--axis-size"]),
    ("in_axes_length", ["jnp.add", "--a", "2,3", "--b", "2,3", "--in-axes", "0,0,0"],
     ["in_axes has 3 entries", "2 arguments ({a}, {b})"]),
    ("example_shape", ["jnp.dot", "--a", "5,100", "--b", "5,100", "--in-axes", "0,None"],
     ["cannot take the per-example shapes", "a: f32[100], b: f32[5,100]"]),
    ("data_dependent", ["examples/failing.py:example_fun", "--length", "i32[9]"],
     ["data-dependent shape", "--static"]),
    ("data_dependent", ["examples/failing.py:relu_branch", "--x", "5"],
     ["Python bool", "jnp.where"]),
    ("other", ["tests/fixtures/user_funcs.py:boom", "--x", "3,2"],
     ["ValueError: boom from user code", "user_funcs.py"]),
]


@pytest.mark.parametrize("kind, args, needles", KIND_CASES)
def test_error_kinds(runner, kind, args, needles):
    r = run(runner, "shape", *args)
    assert r.exit_code == 1, r.output
    assert f"vmap fails: {kind}" in r.output
    data = json.loads(run(runner, "shape", *args, "--json").stdout)
    assert data["error"]["kind"] == kind and data["error"]["kind"] in VmapFailure.KINDS
    said = data["error"]["message"] + " " + (data["error"]["hint"] or "")
    for needle in map(with_add_names, needles):
        assert needle in said, (needle, said)
    # the terminal shows the same message (inside a panel, so compare without borders)
    words = data["error"]["message"].split()[:6]
    assert " ".join(words) in " ".join(r.output.replace("│", " ").split())


def test_failure_suggests_working_in_axes_closest_first(runner):
    r = run(runner, "shape", "jnp.add", "--a", "2,3,5", "--b", "2,3,5", "--in-axes", "0,1",
            "--json")
    err = json.loads(r.stdout)["error"]
    assert err["suggestions"][0] == {"in_axes": [0, 0], "shapes": [[2, 3, 5]]}
    assert "try --in-axes 0,0" in err["hint"]
    assert err["jax_message"].startswith("ValueError: vmap got inconsistent sizes")


def test_debug_shows_jax_message(runner):
    r = run(runner, "shape", "jnp.add", "--a", "2,3,5", "--b", "2,3,5", "--in-axes", "0,1",
            "--debug")
    assert "JAX said" in r.output and "inconsistent sizes" in r.output


@pytest.mark.parametrize("args, needle", [
    (["jnp.addd", "--a", "3"], "did you mean jnp.add?"),
    (["jnp.add", "--a", "f33[3]"], "unknown dtype"),
    (["jnp.add", "--a", "3", "--in-axes", "x"], "cannot read in_axes entry"),
    (["jnp.add", "--a"], "--a needs a shape"),
    (["jnp.add", "--a", "3", "--a", "4"], "--a is given twice"),
    (["jnp.add", "--a", "3", "--b", "3", "--c", "3"], "{third}"),
    (["examples/neuron.py:model", "--w", "3"], "has no parameter 'w'"),
    (["jnp.add", "3,4"], "unexpected argument '3,4'"),
    (["nope.py:f"], "does not exist"),
    (["tests/fixtures/raising_module.py:f", "--x", "3"], "refuses to import"),
    (["jnp.add"], "no shape for {a}, {b}"),
    (["jnp.sum", "--a", "3", "--static", "axis"], "NAME=VALUE"),
    (["jnp.add", "--a", "3", "--batch", "0"], "--batch"),
])
def test_bad_input_exits_2_with_hint(runner, args, needle):
    r = run(runner, "shape", *args)
    assert r.exit_code == 2, r.output
    assert with_add_names(needle) in " ".join(r.output.split())


def test_json_round_trip_and_stdout_is_only_json(runner):
    r = run(runner, "shape", "jnp.add", "--a", "2,3,5", "--in-axes", "0,None", "--explore",
            "--json")
    data = json.loads(r.stdout)
    assert set(data) >= {"function", "batch_size", "inputs", "outputs", "out_axes_pattern",
                         "explore", "error"}
    assert data["function"] == "jnp.add" and data["batch_size"] == 2
    a, b = add_names()
    assert data["inputs"][1] == {"name": b, "shape": [3, 5], "dtype": "f32", "in_axis": None,
                                 "example_shape": [3, 5], "batch_size": None,
                                 "borrowed_from": a}
    assert data["outputs"][0]["path"] == "" and data["outputs"][0]["out_axis"] == 0
    assert [row["out_axes"] for row in data["out_axes_pattern"]] == [-3, -2, -1, 0, 1, 2]
    assert data["error"] is None
    mine = [row for row in data["explore"] if row["mine"]]
    assert mine == [{"in_axes": [0, None], "shapes": [[2, 3, 5]], "kind": None, "reason": None,
                     "mine": True}]
    # same data as the Python API, called as the CLI calls it (hints and notes name options)
    import jax.numpy as jnp

    import vmapx
    from vmapx._problem.surface import Surface

    assert vmapx.shape(jnp.add, (2, 3, 5), None, in_axes=(0, None), explore=True,
                       name="jnp.add", _surface=Surface("shape")).to_json() == data


def test_explore_marks_the_users_row_and_caps(runner):
    r = run(runner, "shape", "jnp.add", "--a", "2,3,5", "--b", "2,3,5", "--in-axes", "0,1",
            "--explore")
    assert r.exit_code == 1
    assert "every in_axes combination" in r.output and "▶" in r.output
    import vmapx

    rep = vmapx.shape(lambda a, b, c, d: a + b + c + d, *[(2,) * 6] * 3, None, in_axes=0,
                       explore=True)
    # 4 arguments of rank 6 give 7**4 = 2401 combinations: most are not traced
    assert rep.explore_note and "of 2401" in rep.explore_note


@pytest.mark.parametrize("argv", [["--help"], ["shape", "--help"]])
def test_help_does_not_import_jax(argv):
    code = ("import sys; from vmapx.cli import main; sys.argv = ['vmapx'] + %r\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "assert 'jax' not in sys.modules, 'jax was imported'\nprint('NOJAX')" % argv)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "NOJAX" in out.stdout, out.stderr


def test_every_command_has_help(runner):
    import typer.main

    group = typer.main.get_command(app)
    for name in group.commands:
        r = runner.invoke(app, [name, "--help"])
        assert r.exit_code == 0 and "Usage" in r.output, name


def test_shape_help_teaches_the_syntax(runner):
    r = runner.invoke(app, ["shape", "--help"])
    flat = " ".join(r.output.split())
    for needle in ["f32[2,3,5]", "0,None", "--batch N", "vmapx shape jnp.add --a 2,3,5"]:
        assert needle in flat


def test_python_m_vmapx():
    out = subprocess.run([sys.executable, "-m", "vmapx", "--version"], capture_output=True,
                         text=True)
    assert out.returncode == 0 and out.stdout.startswith("vmapx ")


def test_letters_name_arguments_by_position_for_any_function(runner):
    r = run(runner, "shape", "jnp.sin", "--a", "100000,100000,1000", "--json")
    data = json.loads(r.stdout)  # abstract: a 40 TB input answers at once
    assert data["inputs"][0]["name"] == "x"
    assert data["outputs"][0]["shape"] == [100000, 100000, 1000]


def test_in_axes_of_the_wrong_length_are_shown_as_given_and_suggestions_start_near(runner):
    r = runner.invoke(app, ["shape", "jnp.add", "--a", "2,3", "--b", "2,3", "--in-axes",
                            "0,0,0"])
    assert r.exit_code == 1
    assert r.stdout.splitlines()[0] == "vmap(jnp.add) · in_axes (0,0,0)"  # not (—,—)
    table = r.stdout.split("in_axes that work (closest to yours first)")[1]
    first = [line for line in table.splitlines() if "[" in line][0]
    assert "0,0 " in first  # 0,0 is the closest to 0,0,0 (None,0 came first)
    assert "try --in-axes 0,0" in " ".join(r.stdout.split())


def test_out_axes_table_marks_the_batch_dim_without_colour(runner):
    r = runner.invoke(app, ["shape", "jnp.add", "--a", "3,3", "--b", "3,3"])
    assert "│ [B,3] │" in r.stdout and "│ [3,B] │" in r.stdout  # sizes equal: [3,3] twice
