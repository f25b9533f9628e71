"""`vmapx jaxpr` through the CLI: the seed 000 comparison, JSON, stages, exports, errors."""

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp

from tests.conftest import ROOT
from vmapx.cli import app

NEURON = "examples/neuron.py:model"


def run(runner, *args, env=None):
    result = runner.invoke(app, ["jaxpr", *args], env=env)
    assert "Traceback" not in result.output, result.output
    return result


def test_seed_000_as_a_new_user_types_it(runner):
    r = run(runner, NEURON, "--batch", "4", env={"COLUMNS": "160"})
    assert r.exit_code == 0, r.output
    out = r.output
    assert ("same 4 primitives in the same order: dot_general → add → tanh → reduce_sum"
            in out.replace("\n", " "))
    assert "batched_model (hand-batched)" in out and "loop · one iteration" in out
    assert "c:f32[3,4] = dot_general[" in out and "c:f32[4,3] = dot_general[" in out


def test_json_names(runner):
    r = run(runner, NEURON, "--batch", "4", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert {"function", "batch_size", "versions", "alignment", "verdict", "batch_axes",
            "warnings"} <= set(data)
    assert data["batch_size"] == 4 and set(data["versions"]) == {"vmap", "manual", "loop"}
    for v in data["versions"].values():
        assert {"text", "eqn_count", "primitives", "cost"} <= set(v)
    assert data["batch_axes"][0] == {"equation": 0, "primitive": "dot_general", "axes": [1]}
    assert data["manual_batch_axes"][0]["axes"] == [0]
    assert data["warnings"] == []
    want = jax.make_jaxpr(jax.vmap(_load_neuron().model))(jax.ShapeDtypeStruct((4, 5),
                                                                               jnp.float32))
    assert data["versions"]["vmap"]["text"] == str(want)


def _load_neuron():
    import importlib.util

    spec = importlib.util.spec_from_file_location("neuron_for_test", ROOT / "examples/neuron.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_typed_shapes_and_manual_by_bare_name(runner):
    r = run(runner, NEURON, "--v", "4,5", "--manual", "batched_model", "--json", "--no-cost")
    data = json.loads(r.stdout)
    assert r.exit_code == 0 and data["versions"]["manual"]["label"] == "batched_model"
    assert data["versions"]["vmap"]["cost"] is None


def test_without_a_twin_compares_with_the_loop(runner):
    r = run(runner, "jnp.dot", "--a", "5,100", "--b", "100", "--in-axes", "0,None", "--json",
            "--no-cost")
    data = json.loads(r.stdout)
    assert r.exit_code == 0, r.output
    assert data["versions"]["manual"] is None and data["alignment_with"] == "loop"


def test_stage_stablehlo(runner):
    r = run(runner, NEURON, "--batch", "4", "--stage", "stablehlo", "--no-cost")
    assert r.exit_code == 0 and "StableHLO" in r.output and "stablehlo." in r.output


def test_bad_stage_is_exit_2(runner):
    r = run(runner, NEURON, "--batch", "4", "--stage", "mlir")
    assert r.exit_code == 2 and "unknown --stage" in r.output


def test_svg_and_html_exports(runner, tmp_path):
    svg, html = tmp_path / "n.svg", tmp_path / "n.html"
    r = run(runner, NEURON, "--batch", "4", "--no-cost", "--svg", str(svg), "--html", str(html))
    assert r.exit_code == 0, r.output
    assert svg.read_text().startswith("<svg") and "dot_general" in svg.read_text()
    assert "<html" in html.read_text().lower() and "reduce_sum" in html.read_text()
    assert f"wrote {svg}" in r.stderr and f"wrote {html}" in r.stderr  # said, on stderr
    assert "wrote" not in r.stdout


def test_unwritable_export_path_is_exit_2(runner, tmp_path):
    r = run(runner, NEURON, "--batch", "4", "--svg", str(tmp_path / "no" / "such" / "x.svg"))
    assert r.exit_code == 2 and "cannot write there" in " ".join(r.output.split())
    r = run(runner, NEURON, "--batch", "4", "--html", str(tmp_path))
    assert r.exit_code == 2 and "is a directory" in " ".join(r.output.split())


def test_manual_with_wrong_output_shape_is_exit_1(runner, tmp_path):
    mod = tmp_path / "twin.py"
    mod.write_text("import jax.numpy as jnp\n"
                   "def f(x):\n    return jnp.sin(x).sum()\n"
                   "def f_batched(xs):\n    return jnp.sin(xs).sum(0)\n")
    r = run(runner, f"{mod}:f", "--x", "4,3", "--manual", "f_batched")
    assert r.exit_code == 1, r.output
    assert "f_batched returns f32[3] but vmap(f) returns f32[4]" in r.output.replace("\n", " ")


def test_unknown_manual_is_exit_2(runner):
    r = run(runner, NEURON, "--batch", "4", "--manual", "no_such_twin")
    assert r.exit_code == 2 and "no_such_twin" in r.output


def test_failing_vmap_is_exit_1(runner):
    r = run(runner, "examples/failing.py:relu_branch")
    assert r.exit_code == 1 and "vmap fails: data_dependent" in r.output
    assert "relu_branch uses a traced value as a Python bool" in r.output


def test_pitfall_shown(runner, tmp_path):
    mod = tmp_path / "pit.py"
    mod.write_text("def take(x, i):\n    return x[i]\n")
    r = run(runner, f"{mod}:take", "--x", "3,5", "--i", "i32[3]", "--no-cost")
    assert r.exit_code == 0, r.output
    assert "pitfalls" in r.output and "batched_gather" in r.output


def test_help_lists_the_options(runner):
    r = runner.invoke(app, ["jaxpr", "--help"], env={"COLUMNS": "120"})
    assert r.exit_code == 0
    for flag in ("--manual", "--stage", "--inline", "--source-info", "--name-stack", "--svg",
                 "--html", "--json"):
        assert flag in r.output


def test_help_does_not_import_jax():
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom vmapx.cli import app\n"
            "r = CliRunner().invoke(app, ['jaxpr', '--help'])\nassert r.exit_code == 0\n"
            "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0\n"
            "print('jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "False", out.stderr


def test_compile_adds_memory(runner):
    r = run(runner, NEURON, "--batch", "4", "--compile", env={"COLUMNS": "140"})
    assert r.exit_code == 0, r.output
    assert "compiled modules" in r.output and "temp mem" in r.output


def test_inline_and_source_info(runner, tmp_path):
    mod = tmp_path / "nested.py"
    mod.write_text("import jax, jax.numpy as jnp\n"
                   "inner = jax.jit(lambda x: jnp.sin(x) * 2)\n"
                   "def f(x):\n    return inner(x).sum()\n")
    plain = json.loads(run(runner, f"{mod}:f", "--x", "3,4", "--json", "--no-cost").stdout)
    assert "jit[" in plain["versions"]["vmap"]["text"]
    assert "inlined_text" not in plain["versions"]["vmap"]
    r = run(runner, f"{mod}:f", "--x", "3,4", "--inline", "--source-info", "--no-cost")
    assert r.exit_code == 0, r.output
    assert "jit[" not in r.output and "nested.py:2" in r.output
