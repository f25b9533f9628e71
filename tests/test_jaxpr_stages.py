"""--stage stablehlo|hlo shows every version at that stage: the loop too, panel titles count
that stage's ops, the aligned table is of those ops, and compiled HLO comes without its
location metadata (the stack-frame tables and `metadata={…}`) unless --source-info."""

import json
import re

from vmapx._jaxpr.stages import clean_hlo, stage_ops
from vmapx.cli import app

SHLO = """module @jit_f attributes {mhlo.num_partitions = 1 : i32} {
  func.func public @main(%arg0: tensor<3xf32>) -> (tensor<i32>, tensor<3xf32>) {
    %c = stablehlo.constant dense<0> : tensor<i32>
    %0:2 = stablehlo.while(%iterArg = %c, %iterArg_0 = %arg0) : tensor<i32>, tensor<3xf32>
    cond {
      %1 = stablehlo.compare LT, %iterArg, %c, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %1 : tensor<i1>
    } do {
      %3 = stablehlo.multiply %iterArg_0, %iterArg_0 : tensor<3xf32>
      stablehlo.return %c, %3 : tensor<i32>, tensor<3xf32>
    }
    %4 = stablehlo.dot_general %arg0, %arg0, contracting_dims = [0] x [0] : (tensor<3xf32>, tensor<3xf32>) -> tensor<f32> loc(#loc3)
    return %0#0, %0#1 : tensor<i32>, tensor<3xf32>
  }
}
"""

HLO = """HloModule jit_f, entry_computation_layout={(f32[3,20]{1,0})->f32[3,10]{1,0}}

FileNames
1 "/site-packages/typer/main.py"

StackFrames
1 {file_location_id=1 parent_frame_id=1}

ENTRY %main.1 (x.1: f32[3,20]) -> f32[3,10] {
  %x.1 = f32[3,20]{1,0} parameter(0), metadata={op_name="x"}
  %s = (f32[3]{0}, s32[]) tuple(%a, %b)
  ROOT %t = f32[3,10]{1,0} tanh(%x.1), metadata={op_name="jit(f)/tanh{\\"a\\"}" stack_frame_id=3}, backend_config={"x":1}
}
"""


def test_stablehlo_ops_are_read_with_their_types():
    ops = stage_ops(SHLO, "stablehlo")
    assert [e.primitive for e in ops] == ["constant", "while", "compare", "multiply",
                                          "dot_general"]
    assert ops[0].outputs == [("i32", ())] and ops[2].outputs == [("bool", ())]
    assert ops[1].outputs == [("i32", ()), ("f32", (3,))] and ops[4].outputs == [("f32", ())]


def test_hlo_instructions_are_read_and_its_location_metadata_dropped():
    assert [(e.primitive, e.outputs) for e in stage_ops(HLO, "hlo")] == [
        ("tuple", [("f32", (3,)), ("s32", ())]), ("tanh", [("f32", (3, 10))])]
    clean = clean_hlo(HLO, keep_source=False)
    assert "FileNames" not in clean and "StackFrames" not in clean and "typer" not in clean
    assert "metadata" not in clean and 'backend_config={"x":1}' in clean
    assert "ROOT %t = f32[3,10]{1,0} tanh(%x.1), backend_config" in clean
    assert clean_hlo(HLO, keep_source=True) == HLO


def _run(runner, *args):
    r = runner.invoke(app, ["jaxpr", *args])
    assert r.exit_code == 0, r.output
    return r


def test_hlo_stage_shows_every_version_at_that_stage_without_metadata(runner):
    r = _run(runner, "examples/neuron.py:model", "--batch", "4", "--stage", "hlo")
    out = r.stdout
    assert out.count("HloModule jit_") == 3  # vmap, the twin and the loop's iteration
    assert "FileNames" not in out and "metadata=" not in out and "typer" not in out
    assert "compiled HLO ops, aligned by op" in out
    data = json.loads(_run(runner, "examples/neuron.py:model", "--batch", "4", "--stage",
                           "hlo", "--json").stdout)
    for key, v in data["versions"].items():
        assert v["stage_op_count"] == len(v["stage_ops"]) > 0
        assert f"{v['stage_op_count']} HLO instruction" in out, key
        assert "metadata=" not in v["hlo"]
    assert data["stage_alignment"] and data["stage_alignment"][0]["primitive"]
    kept = _run(runner, "examples/neuron.py:model", "--batch", "4", "--stage", "hlo",
                "--source-info", "--no-cost").stdout
    assert "metadata=" in kept


def test_stablehlo_stage_counts_its_ops_in_every_panel(runner):
    data = json.loads(_run(runner, "examples/dot.py:affine", "--stage", "stablehlo",
                           "--json", "--no-cost").stdout)
    out = _run(runner, "examples/dot.py:affine", "--stage", "stablehlo", "--no-cost").stdout
    for v in data["versions"].values():
        ops = [line for line in v["stablehlo"].splitlines()
               if re.search(r"= stablehlo\.", line)]
        assert v["stage_op_count"] == len(ops)
        assert f"StableHLO · {len(ops)} StableHLO ops" in out
    assert "loop · one iteration (B=1) · StableHLO" in out
    assert "StableHLO ops, aligned by op" in out and " equations ─" not in out


def test_small_truths_in_jaxpr_output(runner):
    """The cost ratio says it is of FLOPs; the loop's JSON says its equations are one
    iteration's, beside the count at the batch size."""
    out = _run(runner, "examples/neuron.py:model", "--batch", "4").stdout
    assert "FLOPs vs vmap" in out
    data = json.loads(_run(runner, "examples/neuron.py:model", "--batch", "4", "--json",
                           "--no-cost").stdout)
    loop = data["versions"]["loop"]
    assert loop["equations_are"] == "one iteration (B=1)"
    assert loop["iteration_eqn_count"] == len(loop["equations"]) < loop["eqn_count"]
    assert loop["eqn_count"] == loop["base"] + loop["per_example"] * 4
