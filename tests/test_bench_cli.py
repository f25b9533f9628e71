"""`vmapx bench` through the CLI: suite, sweeps, exports, compare, errors, Ctrl-C, help.

Every run is tiny (--runs 1 or 2, --min-time 0, few variants); nothing asserts a time.
"""

import csv
import json
import subprocess
import sys
import textwrap

import pytest

from vmapx.cli import app

QUICK = ["--runs", "2", "--min-time", "0"]


def run(runner, *args):
    result = runner.invoke(app, ["bench", *args])
    assert "Traceback" not in result.output, result.output
    return result


def test_suite_runs_every_seed_function(runner):
    r = run(runner, "--runs", "1", "--min-time", "0", "--variants", "loop,jit-vmap")
    assert r.exit_code == 0, r.output
    for name in ("dot · batch 5", "dot.affine", "neuron.model", "convolve",
                 "logistic.predict_single", "logistic.per_example_grad"):
        assert name in r.output
    assert "vmapx bench · cpu" in r.output and "JAX " in r.output and "x64 off" in r.output
    assert "12 variants measured in" in r.output


def test_sweep_with_json_on_stdout_and_every_export(runner, tmp_path):
    files = {k: tmp_path / f"out.{k}" for k in ("json", "csv", "md", "svg")}
    r = run(runner, "examples/dot.py:dot", "--batch", "2,6", *QUICK, "--variants",
            "loop,vmap,jit-vmap,manual", "--json", "--export-json", str(files["json"]),
            "--export-csv", str(files["csv"]), "--export-markdown", str(files["md"]),
            "--plot", str(files["svg"]))
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)  # stdout holds the JSON and nothing else
    assert [(x["batch_size"], x["variant"]) for x in data["results"]] == [
        (b, v) for b in (2, 6) for v in ("loop", "vmap", "jit-vmap", "manual")]
    assert all(x["matches_loop"] for x in data["results"])
    assert json.loads(files["json"].read_text())["results"] == data["results"]
    assert len(list(csv.DictReader(files["csv"].open()))) == 8
    assert files["md"].read_text().count("| `examples/dot.py:dot` |") == 8
    assert files["svg"].read_text().startswith("<svg")


def test_sweep_table_and_chart(runner):
    r = run(runner, "jnp.dot", "--a", "100", "--b", "100", "--batch", "2,8,32", *QUICK,
            "--variants", "loop,jit-vmap")
    assert r.exit_code == 0, r.output
    assert "jnp.dot · batch 2, 8, 32" in r.output
    assert "time per call against batch size" in r.output and "■ jit-vmap" in r.output


def test_full_shapes_without_batch(runner):
    r = run(runner, "jnp.add", "--a", "3,4", "--b", "4", "--in-axes", "0,None", *QUICK,
            "--variants", "loop,lax-map", "--json")
    assert r.exit_code == 0, r.output
    assert [x["batch_size"] for x in json.loads(r.stdout)["results"]] == [3, 3]


def test_wrong_manual_twin_is_reported_and_exits_1(runner, tmp_path):
    mod = tmp_path / "twin.py"
    mod.write_text(textwrap.dedent("""
        import jax.numpy as jnp
        def f(x):
            return jnp.sum(x ** 2)
        def wrong(xs):
            return jnp.sum(xs ** 2, axis=0)   # reduces the batch axis instead
    """))
    r = run(runner, f"{mod}:f", "--x", "5", "--batch", "4", "--manual", "wrong", *QUICK,
            "--variants", "loop,manual")
    assert r.exit_code == 1, r.output
    assert "✗ values differ" in r.output and "shape f32[5] but the loop gives f32[4]" in r.output


def test_compare_and_fail_above(runner, tmp_path):
    base = tmp_path / "base.json"
    args = ["jnp.sin", "--a", "3", "--batch", "2", *QUICK, "--variants", "jit-vmap"]
    assert run(runner, *args, "--export-json", str(base)).exit_code == 0
    data = json.loads(base.read_text())
    data["results"][0]["median_s"] = 1e-12  # the baseline was impossibly fast
    base.write_text(json.dumps(data))
    r = run(runner, *args, "--compare", str(base), "--fail-above", "10")
    assert r.exit_code == 1, r.output
    assert "change against" in r.output and "1 got slower by more than 10%" in r.output
    data["results"][0]["median_s"] = 1e3     # ... or impossibly slow
    base.write_text(json.dumps(data))
    r = run(runner, *args, "--compare", str(base), "--fail-above", "10", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["compare"][0]["change_pct"] < 0


@pytest.mark.parametrize("args, says", [
    (["jnp.sin", "--a", "3", "--batch", "8,x"], "not a positive whole number"),
    (["jnp.sin", "--a", "3", "--variants", "jit-vamp"], "did you mean jit-vmap"),
    (["--batch", "8"], "--batch needs a FUNCTION"),
    (["jnp.sin", "--a", "3", "--fail-above", "5"], "--fail-above needs --compare"),
    (["jnp.sin", "--a", "3", "--export-json", "/no/such/dir/x.json"], "does not exist"),
    (["jnp.sin", "--a", "3", "--compare", "/no/such/base.json"], "no such file"),
    (["jnp.nosuch", "--a", "3"], "has no attribute"),
])
def test_bad_input_exits_2_before_measuring(runner, args, says):
    r = run(runner, *args)
    assert r.exit_code == 2, r.output
    assert says in r.output and "measured" not in r.output


def test_missing_backend(runner):
    from vmapx._bench.analysis import available_backends

    missing = next((b for b in ("tpu", "gpu") if b not in available_backends()), "nosuch")
    r = run(runner, "jnp.sin", "--a", "3", "--batch", "2", "--backend", missing)
    assert r.exit_code == 2, r.output
    assert f"backend '{missing}' is not available" in r.output and "available: cpu" in r.output


def test_suite_without_examples_folder(runner, monkeypatch, tmp_path):
    monkeypatch.setattr("vmapx.cli.bench.examples_dir", lambda: tmp_path)
    r = run(runner)
    assert r.exit_code == 2 and "examples/ folder" in r.output


def test_ctrl_c_prints_what_was_measured(runner, monkeypatch):
    from vmapx.cli import bench as cli_bench

    calls = []
    original = cli_bench._Bar.begin

    def begin(self, label):
        calls.append(label)
        if len(calls) == 2:
            raise KeyboardInterrupt
        original(self, label)

    monkeypatch.setattr(cli_bench._Bar, "begin", begin)
    r = run(runner, "jnp.sin", "--a", "3", "--batch", "2", *QUICK, "--variants",
            "loop,jit-vmap")
    assert r.exit_code == 130, r.output
    assert "interrupted (Ctrl-C)" in r.output and "● loop" in r.output
    assert "■ jit-vmap" not in r.output


def test_help_does_not_import_jax():
    code = ("import sys; from typer.testing import CliRunner; from vmapx.cli import app; "
            "r = CliRunner().invoke(app, ['bench', '--help']); assert r.exit_code == 0; "
            "assert '--export-markdown' in r.output; print('jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
