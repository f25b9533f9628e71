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
    for path in files.values():  # each file written is said, on stderr
        assert f"wrote {path}" in r.stderr


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
    # 6 samples a run: enough for the Mann-Whitney U test to reach p < 0.05 (2 never can)
    args = ["jnp.sin", "--a", "3", "--batch", "2", "--runs", "6", "--min-time", "0",
            "--variants", "jit-vmap"]
    assert run(runner, *args, "--export-json", str(base)).exit_code == 0
    data = json.loads(base.read_text())
    assert len(data["results"][0]["times_s"]) == data["results"][0]["samples"] >= 6
    row = data["results"][0]
    row.update(median_s=1e-12, q1_s=1e-12, q3_s=1e-12,  # the baseline was impossibly fast
               times_s=[1e-12 * (1 + i / 100) for i in range(len(row["times_s"]))])
    base.write_text(json.dumps(data))
    r = run(runner, *args, "--compare", str(base), "--fail-above", "10")
    assert r.exit_code == 1, r.output
    flat = " ".join(r.output.split())
    assert "✗ 1 regression: slower by more than 10% and beyond the noise" in flat
    assert "✗ jnp.sin · batch 2 · jit-vmap: 1e-12" not in flat  # times in units, named
    assert "✗ jnp.sin · batch 2 · jit-vmap: 0.001 ns →" in flat
    row["median_s"] = 1e3     # ... or impossibly slow
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
    flat = " ".join(r.output.split())  # a long path wraps the message at 80 columns
    assert says in flat and "measured" not in r.output


def test_missing_backend(runner):
    from vmapx._bench.device import available_backends

    missing = next((b for b in ("tpu", "gpu") if b not in available_backends()), "nosuch")
    r = run(runner, "jnp.sin", "--a", "3", "--batch", "2", "--backend", missing)
    assert r.exit_code == 2, r.output
    assert f"backend '{missing}' is not available" in r.output and "available: cpu" in r.output


def test_suite_without_examples_folder(runner, monkeypatch, tmp_path):
    monkeypatch.setattr("vmapx._bench.suite.examples_dir", lambda: tmp_path)
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


# -- the CLI is one library call: its --json is the library's to_json() ---------------------------

FAST = ["--runs", "1", "--min-time", "0", "--warmup", "0"]


def _untimed(data):
    """A report's JSON without what differs from one run to the next (the measurements)."""
    from vmapx._report.bench import TIMING_FIELDS

    out = {k: v for k, v in data.items() if k != "wall_s"}
    out["settings"] = {k: v for k, v in data["settings"].items() if k != "clock_tick_s"}
    out["results"] = [{k: v for k, v in r.items() if k not in TIMING_FIELDS}
                      for r in data["results"]]
    return out


@pytest.mark.parametrize("cli, args, options", [
    (["jnp.add", "--a", "3", "--b", "3", "--batch", "2"], ((3,), (3,)), {"batch": [2]}),
    (["jnp.add", "--a", "2,3", "--b", "3,3"], ((2, 3), (3, 3)), {}),
])
def test_json_is_the_library_calls_to_json(runner, cli, args, options):
    import jax.numpy as jnp

    import vmapx
    from vmapx._bench.settings import BenchSettings
    from vmapx._problem.surface import Surface

    r = run(runner, *cli, *FAST, "--variants", "loop,vmap", "--json")
    settings = BenchSettings(variants=("loop", "vmap"), runs=1, min_time=0, warmup=0)
    report = vmapx.bench(jnp.add, *args, settings=settings, name="jnp.add",
                         _surface=Surface("bench"), **options)
    assert r.exit_code == (0 if report.ok else 1), r.output
    data = json.loads(r.stdout)
    assert data["command"] == "bench" and data["schema_version"] >= 2
    assert _untimed(data) == _untimed(report.to_json())
    assert [x["variant"] for x in data["results"]] == [x.variant for x in report.results]


def test_structural_failure_exits_1_with_the_error_in_json(runner):
    r = run(runner, "jnp.add", "--a", "2,3", "--b", "3,3", *FAST, "--json")
    assert r.exit_code == 1, r.output
    data = json.loads(r.stdout)
    assert data["ok"] is False and data["results"] == [] and data["levels"] == []
    assert data["error"]["kind"] == "inconsistent_sizes"
    assert data["error"]["hint"].startswith("try --in-axes None,0")
    r = run(runner, "jnp.add", "--a", "2,3", "--b", "3,3", *FAST)
    assert r.exit_code == 1, r.output
    assert "vmap fails: inconsistent_sizes" in r.output and "measured" not in r.output


def test_dict_params_batch_sweep_matches_the_loop(runner):
    r = run(runner, "tests/fixtures/nest_funcs.py:affine", "--params",
            '{"W": "f32[3,5]", "b": [3]}', "--x", "5", "--in-axes", '{"W": null, "b": null},0',
            "--batch", "8,16", *FAST, "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [(x["batch_size"], x["variant"]) for x in data["results"]] == [
        (b, v) for b in (8, 16) for v in ("loop", "loop-jit", "vmap", "jit-vmap", "lax-map")]
    assert all(x["status"] == "timed" and x["matches_loop"] for x in data["results"])
    assert data["levels"][0]["in_axes"] == [{"W": None, "b": None}, 0]
    assert data["levels"][0]["batch_size"] == 8
    assert any("no hand-batched version known" in n for n in data["notes"])
