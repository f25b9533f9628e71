"""`--mesh` / `mesh=`: the batch sharded over a device mesh.

The checks that need 8 devices run once, in one fresh process (tests/mesh_checks.py) with
8 simulated CPU devices, since JAX fixes its device count when its backend starts; they compare
what vmapx reports with what `jax.jit` with those shardings really produces on concrete arrays.
The rest run here, on this process's devices (a mesh of 1 device, and the errors).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

import vmapx
from vmapx._analysis.mesh.hlo import collectives, verdict
from vmapx.cli import app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def on8():
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8",
           "NO_COLOR": "1", "COLUMNS": "100", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "mesh_checks.py")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_checks_ran_on_8_devices(on8):
    assert on8["devices"] == 8


def test_per_device_shapes_and_output_shardings_are_what_jax_produces(on8):
    for name, case in on8["cases"].items():
        mine, real = case["vmapx"], case["jax"]
        assert [list(i["device_shape"]) for i in mine["inputs"]] == real["inputs"], name
        assert len(mine["outputs"]) == len(real["outputs"]), name
        for m, r in zip(mine["outputs"], real["outputs"]):
            assert list(m["shape"]) == r["shape"], name
            assert list(m["device_shape"]) == r["device_shape"], name
            assert m["sharding"] == r["sharding"], name
            assert (m["flag"] is None) == r["as_batch"], name


def test_an_output_that_comes_back_replicated_is_flagged(on8):
    out = on8["cases"]["replicated"]["vmapx"]["outputs"][0]
    assert out["flag"] == "replicated" and out["expected"] == "P('data')"
    assert out["device_shape"] == out["shape"]
    notes = on8["cases"]["replicated"]["vmapx"]["notes"]
    assert any(n.startswith("the output comes back replicated: every device holds all of it "
                            "(f32[16,8])") for n in notes)


def test_the_batch_goes_over_the_chosen_mesh_axis(on8):
    two = on8["cases"]["two_axes"]["vmapx"]
    assert two["axes"] == {"data": 4, "model": 2} and two["batch_axis"] == "data"
    assert any("replicated over model=2" in n for n in two["notes"])
    model = on8["cases"]["model_axis"]["vmapx"]
    assert model["batch_axis"] == "model" and model["inputs"][0]["sharding"] == "P('model')"


def test_a_leaf_laid_out_as_given(on8):
    given = on8["cases"]["given_layout"]["vmapx"]
    assert [i["sharding"] for i in given["inputs"]] == ["P('data')", "P('model')"]
    assert [i["device_shape"] for i in given["inputs"]] == [[4, 64], [16]]
    assert "w is laid out as given: P('model')" in given["notes"]


def test_collectives_are_those_in_the_compiled_module(on8):
    for name, case in on8["cases"].items():
        kinds = sorted({c["kind"] for c in case["vmapx"]["collectives"]})
        assert kinds == case["jax"]["collectives"], name
        if not kinds:
            assert case["vmapx"]["verdict"] == "embarrassingly parallel: no collectives"
            assert case["vmapx"]["remedies"] == []


def test_the_fft_all_gather_is_traced_to_its_source_line(on8):
    fft = on8["jaxpr"]["fft"]
    [c] = fft["collectives"]
    assert (c["kind"], c["shape"], c["primitive"]) == ("all-gather", "c64[16,1024]", "fft")
    assert c["bytes"] == 16 * 1024 * 8
    assert "tests/fixtures/mesh_funcs.py:" in c["source"]
    assert fft["verdict"].startswith("XLA inserted 1 all-gather of c64[16,1024] at fft in ")
    assert [r.split("(")[0] for r in fft["remedies"]] == [
        "jax.vmap", "jax.lax.with_sharding_constraint", "jax.shard_map"]
    assert fft["simulated"] and fft["platform"] == "cpu"
    assert on8["jaxpr"]["elementwise"]["verdict"] == "embarrassingly parallel: no collectives"


def test_bench_times_the_mesh_variants_and_checks_their_values(on8):
    report = on8["bench"]
    assert report["ok"] and report["schema_version"] == 2
    rows = report["mesh"]["timings"]
    assert [(r["batch_size"], r["variant"]) for r in rows] == [
        (b, v) for b in (16, 32) for v in ("1-device", "jit-sharded", "shard_map")]
    for r in rows:
        assert r["status"] == "timed" and r["median_s"] > 0
        assert r["matches"] is (None if r["variant"] == "1-device" else True)
        assert r["devices"] == (1 if r["variant"] == "1-device" else 8)
        assert r["throughput"] == pytest.approx(r["batch_size"] / r["median_s"])
        assert r["per_device_throughput"] == pytest.approx(r["throughput"] / r["devices"])
    one = {r["batch_size"]: r["median_s"] for r in rows if r["variant"] == "1-device"}
    for r in rows:
        assert r["scaling_efficiency"] == pytest.approx(
            one[r["batch_size"]] / r["median_s"] / r["devices"])
    assert any("simulation, not a speed-up" in n for n in report["mesh"]["notes"])


def test_cli_bench_of_dot_on_8_devices_says_it_is_a_simulation(on8):
    run = on8["cli"]["bench"]
    assert run["code"] == 0, run["err"]
    text = " ".join(run["out"].split())
    assert "mesh data=8 over 8 simulated CPU devices" in text
    assert "shard_map" in text and "jit-sharded" in text and "1-device" in text
    assert "simulation, not a speed-up" in text
    assert "embarrassingly parallel: no collectives" in text


def test_cli_jaxpr_json_and_shape_on_the_mesh(on8):
    run = on8["cli"]["jaxpr_json"]
    assert run["code"] == 0
    data = json.loads(run["out"])
    [gather] = data["mesh"]["collectives"]
    assert gather["kind"] == "all-gather" and gather["equations"]
    equations = data["versions"]["vmap"]["equations"]
    assert {equations[i]["primitive"] for i in gather["equations"]} == {"fft"}
    shape = " ".join(on8["cli"]["shape"]["out"].split())
    assert "mesh data=4,model=2 over 8 simulated CPU devices" in shape
    assert "f32[4,1024]" in shape  # 16 examples over data=4


@pytest.mark.parametrize("case, needles", [
    ("too_many", ["mesh data=16 needs 16 devices", "there are 8 cpu devices",
                  "already started", "--xla_force_host_platform_device_count=16"]),
    ("not_dividing", ["batch of 12 does not divide into 8 equal shards",
                      "multiple of 8"]),
    ("unknown_axis", ["--mesh-axis 'model'", "its axes are data"]),
    ("shard_uneven", ["--shard y=model: a dim of size 6 does not divide into model=4 shards"]),
])
def test_bad_meshes_exit_2_naming_what_exists(on8, case, needles):
    run = on8["cli"][case]
    assert run["code"] == 2
    text = " ".join(run["err"].split())
    assert "Traceback" not in text
    for needle in needles:
        assert needle in text


# -- in this process: a mesh of one device, and meshes that cannot be read ----------------

@pytest.mark.parametrize("mesh, needle", [
    ("data", "is not NAME=SIZE"), ("data=x", "is not NAME=SIZE"), ("8", "is not NAME=SIZE"),
    ("data=0", "has size 0"), ("data=2,data=2", "named twice"),
])
def test_unreadable_meshes_exit_2(runner, mesh, needle):
    result = runner.invoke(app, ["shape", "jnp.sin", "--a", "8,3", "--mesh", mesh])
    assert result.exit_code == 2
    assert needle in result.stderr and "data=4,model=2" in result.stderr


def test_mesh_axis_without_a_mesh_exits_2(runner):
    result = runner.invoke(app, ["shape", "jnp.sin", "--a", "8,3", "--mesh-axis", "data"])
    assert result.exit_code == 2 and "--mesh-axis needs a mesh" in result.stderr


def test_a_backend_started_with_too_few_devices_is_said_in_python_words():
    n = len(jax.devices())  # the backend is started now, with however many it has
    with pytest.raises(vmapx.UsageError) as err:
        vmapx.shape(jnp.sin, (2 * n, 3), mesh=f"data={2 * n}")
    assert f"needs {2 * n} devices" in err.value.message
    assert "already started" in err.value.message
    assert "jax_num_cpu_devices" in err.value.hint and "restart the kernel" in err.value.hint


def test_a_mesh_of_one_device_runs_here():
    report = vmapx.shape(lambda x, w: jnp.tanh(x * w), (4,), (4,), batch=6, in_axes=(0, None),
                         mesh={"data": 1})
    mesh = report.mesh
    assert mesh.devices == 1 and mesh.verdict == "embarrassingly parallel: no collectives"
    assert [i.device_shape for i in mesh.inputs] == [(6, 4), (4,)]
    assert [i.sharding for i in mesh.inputs] == ["P('data')", "P()"]
    assert report.to_json()["mesh"]["outputs"][0]["device_shape"] == [6, 4]
    assert vmapx.shape(jnp.sin, (6, 4)).to_json()["mesh"] is None


def test_library_mesh_errors_use_python_words():
    with pytest.raises(vmapx.UsageError, match="mesh_axis 'model'") as err:
        vmapx.shape(jnp.sin, (6, 4), mesh="data=1", mesh_axis="model")
    assert "mesh_axis='data'" in err.value.hint
    with pytest.raises(vmapx.UsageError, match="no input is mapped"):
        vmapx.shape(jnp.sin, (6, 4), in_axes=None, axis_size=3, mesh="data=1")
    with pytest.raises(vmapx.UsageError, match="is not a mesh"):
        vmapx.shape(jnp.sin, (6, 4), mesh=["data", 8])


def test_a_failing_vmap_has_no_mesh_record():
    report = vmapx.shape(jnp.add, (3, 4), (5, 4), mesh="data=1")
    assert not report.ok and report.mesh is None


def test_the_hlo_reader_takes_async_pairs_tuples_and_old_source_metadata():
    hlo = "\n".join([
        '%ag = (f32[2,8]{1,0}, f32[16,8]{1,0}) all-gather-start(f32[2,8]{1,0} %p), '
        'dimensions={0}, metadata={op_name="jit(f)/vmap(g)/fft" source_file="m.py" '
        'source_line=7}',
        '%agd = f32[16,8]{1,0} all-gather-done((f32[2,8]{1,0}, f32[16,8]{1,0}) %ag)',
        '%ar = f32[] all-reduce(f32[] %x), to_apply=%add, metadata={op_name="jit(f)/reduce_sum"}',
        '%ar.1 = f32[] all-reduce(f32[] %y), to_apply=%add, metadata={op_name="jit(f)/reduce_sum"}',
        '%add = f32[] add(f32[] %a, f32[] %b)',
        '%cp = bf16[4,128]{1,0:T(8,128)(2,1)} collective-permute(bf16[4,128]{1,0:T(8,128)(2,1)} '
        '%z), source_target_pairs={{0,1},{1,0}}',
    ])
    found = collectives(hlo, {"reduce_sum": ["a.py:3:4 (f)", "a.py:9:1 (f)"]})
    assert [(c.kind, c.shape, c.bytes, c.source, c.count) for c in found] == [
        ("all-gather", "f32[16,8]", 16 * 8 * 4, "m.py:7", 1),
        ("all-reduce", "f32[]", 4, "a.py:3:4 (f) (or 1 other place)", 2),
        ("collective-permute", "bf16[4,128]", 4 * 128 * 2, None, 1)]
    assert verdict(found[:2]) == ("XLA inserted 3 collectives: 1 all-gather of f32[16,8] at fft "
                                  "in m.py:7; 2 all-reduce of f32[] at reduce_sum in a.py:3:4 "
                                  "(f) (or 1 other place)")
    assert verdict([]) == "embarrassingly parallel: no collectives"


def test_the_hlo_reader_strips_the_parameters_jax_0_4_30_puts_in_op_names():
    hlo = ('%ag = f32[16,8]{1,0} all-gather(f32[2,8]{1,0} %p), dimensions={0}, metadata={'
           'op_name="jit(f)/vmap(g)/fft[fft_type=jaxlib.xla_extension.FftType.FFT '
           'fft_lengths=(8,)]"}')
    [c] = collectives(hlo, {"fft": ["m.py:7:2 (g)"]})
    assert (c.primitive, c.source) == ("fft", "m.py:7:2 (g)")


def test_the_mesh_view_renders_at_a_fixed_width():
    from rich.console import Console

    from vmapx._render.mesh import render_mesh

    report = vmapx.shape(jnp.sin, (4,), batch=6, mesh="data=1")
    console = Console(width=100, record=True, color_system=None, file=open(os.devnull, "w"))
    console.print(render_mesh(report.mesh))
    text = console.export_text()
    assert "mesh data=1" in text and "batch sharded over data" in text
    assert "f32[6,4]" in text and "as the batch" in text
    assert "embarrassingly parallel: no collectives" in text


def test_mesh_values_are_checked_shard_by_shard_against_one_device():
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    from vmapx._bench.mesh import local_mismatch

    mesh = Mesh(np.array(jax.devices()[:1]), ("data",))
    ref = np.arange(16.0, dtype=np.float32).reshape(8, 2)
    put = lambda x: jax.device_put(x, NamedSharding(mesh, P("data")))  # noqa: E731
    assert local_mismatch(put(ref), jnp.asarray(ref)) is None
    bad = ref.copy()
    bad[5, 1] = 100.0
    said = local_mismatch((put(ref), put(bad)), (jnp.asarray(ref), jnp.asarray(ref)))
    assert said.startswith("output 1, shard [0:8,0:2]: values differ from the 1-device run's")


def test_shard_map_is_skipped_when_leaves_are_laid_out_by_hand():
    from tests.fixtures.mesh_funcs import scale

    report = vmapx.bench(scale, (4,), (4,), batch=2, in_axes=(0, None), mesh="data=1,model=1",
                         shard={"w": ("model",)}, settings=vmapx.BenchSettings(
                             variants=("jit-vmap",), runs=1, min_time=0.0))
    rows = {t.variant: t for t in report.mesh.timings}
    assert rows["shard_map"].status == "skipped" and "--shard" in rows["shard_map"].detail
    assert rows["jit-sharded"].status == "timed" and rows["jit-sharded"].matches
    assert report.ok


@pytest.mark.parametrize("shard, needle", [
    ("v=model", "has no input leaf 'v'; its leaves are x, w"),
    ("w=foo", "mesh axis 'foo' is not in the mesh data=1,model=1"),
    ("w=model,None", "2 dims given but w has 1 (f32[4])"),
    ("=model", "cannot read --shard '=model'"),
])
def test_bad_layouts_exit_2(runner, shard, needle):
    result = runner.invoke(app, ["shape", "tests/fixtures/mesh_funcs.py:scale", "--x", "2,4",
                                 "--w", "4", "--in-axes", "0,None", "--mesh", "data=1,model=1",
                                 "--shard", shard])
    assert result.exit_code == 2
    assert needle in " ".join(result.stderr.split())


def test_the_magic_takes_mesh_and_says_when_the_kernel_started_too_small(capsys):
    from vmapx._notebook.magic import run

    n = len(jax.devices())
    report = run("shape jnp.sin --a 4,3 --mesh data=1", {"jnp": jnp})
    assert report.mesh.verdict == "embarrassingly parallel: no collectives"
    assert run(f"shape jnp.sin --a {2 * n},3 --mesh data={2 * n}", {"jnp": jnp}) is None
    said = " ".join(capsys.readouterr().err.split())
    assert "already started" in said and "restart the kernel" in said
