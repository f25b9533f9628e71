"""vmapx in a real Jupyter kernel (ipykernel + nbclient): the tour notebook top to bottom, and a
notebook of `%vmapx` magics. One kernel per notebook; predicted shapes are checked against
`jax.vmap` in the same kernel (an `assert` in a cell fails the cell, and nbclient raises)."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent


def execute(nb, monkeypatch) -> list:
    """Run every cell in a fresh kernel (this checkout's vmapx first on its path)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return [c for c in nb.cells if c.cell_type == "code"]


def texts(cell, kind: str = "text/plain") -> str:
    """Everything a cell showed: its streams and the `kind` of its results and displays (HTML
    as its text, tags dropped, with `<svg` kept as a marker of the chart)."""
    out = []
    for o in cell.outputs:
        if o.output_type == "stream":
            out.append(o.text)
        elif o.output_type in ("execute_result", "display_data"):
            data = o.data.get(kind, "")
            if kind == "text/html":
                data = html.unescape(re.sub(r"<(?!svg)[^>]*>", "", data))
            out.append(data)
        elif o.output_type == "error":
            out.append("\n".join(o.traceback))
    return "\n".join(out)


def test_tour_notebook_runs_top_to_bottom(monkeypatch):
    path = ROOT / "examples" / "tour.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "the tour is stored without outputs"
    cells = execute(nb, monkeypatch)
    by_source = {c.source.splitlines()[0]: c for c in cells}
    shape = by_source["r = %vmapx shape model --v 5 --batch 4"]
    assert "f32[4,5]" in texts(shape, "text/html") and "f32[4]" in texts(shape, "text/html")
    jaxpr = texts(by_source["%vmapx jaxpr model --v 5 --batch 4 --manual batched_model "
                            "--no-cost"], "text/html")
    assert "batched_model (hand-batched)" in jaxpr and "dot_general" in jaxpr
    wrong = texts(by_source["%vmapx shape model --v 5,4 --in-axes 0"])
    assert "in_axes" in wrong and "Traceback" not in wrong
    bench = by_source[next(s for s in by_source if s.startswith("%vmapx bench"))]
    assert "<svg" in texts(bench, "text/html") and "jit-vmap" in texts(bench)
    assert "CPU dispatch sync" in texts(bench)  # set in the tour's first cell, as the CLI


MAGICS = [
    # 0: the extension, and this checkout's vmapx
    "%load_ext vmapx\nimport functools, sys\nimport jax, jax.numpy as jnp, numpy as np\n"
    "import vmapx\nassert 'jax' in sys.modules\nprint(vmapx.__file__)",
    # 1: functions defined in a cell, a lambda, a partial
    "def model(v, W):\n    return jnp.tanh(W @ v)\n\n"
    "def batched_model(v, W):\n    return jnp.tanh(v @ W.T)\n\n"
    "scale = lambda x: 2.0 * x\nadd1 = functools.partial(jnp.add, 1.0)\n"
    "ones = lambda *s: np.ones(s, np.float32)",
    # 2: the report is returned ...
    "r = %vmapx shape model --v 5 --W 3,5 --in-axes 0,None --batch 4\n"
    "real = jax.vmap(model, in_axes=(0, None))(ones(4, 5), ones(3, 5))\n"
    "assert r.outputs[0].shape == real.shape == (4, 3), (r.outputs[0].shape, real.shape)\n"
    "r.outputs[0].shape",
    # 3: ... and shown as HTML
    "%vmapx shape model --v 5 --W 3,5 --in-axes 0,None --batch 4",
    # 4: a lambda bound to a name, batch on axis 1
    "s = %vmapx shape scale --x 6,2 --in-axes 1\n"
    "assert s.outputs[0].shape == jax.vmap(scale, in_axes=1)(ones(6, 2)).shape == (2, 6)",
    # 5: a partial
    "p = %vmapx shape add1 --a 3,4\n"
    "assert p.outputs[0].shape == jax.vmap(add1)(ones(3, 4)).shape",
    # 6: a vmap that fails: the explanation, no traceback
    "%vmapx shape model --v 5 --W 3,4 --in-axes 0,None --batch 4",
    # 7: a mistake: the CLI's error and hint
    "%vmapx shape no_such_function --v 3",
    # 8: the kernel is alive, and the next cell runs
    "print('alive', 1 + 1)",
    # 9: jaxpr, with --manual from the notebook
    "j = %vmapx jaxpr model --v 5 --W 3,5 --in-axes 0,None --batch 4 --manual batched_model "
    "--no-cost\nassert j.ok and sorted(j.versions) == ['loop', 'manual', 'vmap']\nj",
    # 10: bench, tiny, with its chart
    "b = %vmapx bench model --v 5 --W 3,5 --in-axes 0,None --batch 4 --runs 1 --min-time 0 "
    "--warmup 0 --variants loop,jit-vmap,manual --manual batched_model\n"
    "assert b.ok and {x.variant for x in b.results} == {'loop', 'jit-vmap', 'manual'}\nb",
    # 11: interrupted (Ctrl-C is a KeyboardInterrupt in the kernel): the partial report is kept
    "calls = []\n"
    "def clock():\n    calls.append(1)\n"
    "    if len(calls) > 30:\n        raise KeyboardInterrupt\n    return len(calls) * 1e-3\n"
    "cut = vmapx.bench(model, v=(5,), W=(3, 5), in_axes=(0, None), batch=4, settings="
    "vmapx.BenchSettings(variants=('loop', 'vmap', 'jit-vmap'), runs=50, min_time=0, warmup=0, "
    "clock=clock, tick=1e-9))\nassert cut.interrupted\ncut",
    # 12: help
    "%vmapx --help",
    "%vmapx bench --help",
    # 14: assigned on the cell's last line: kept and shown
    "shown = %vmapx shape scale --x 6,2",
    "type(shown).__name__",
]


def test_magics_in_a_real_kernel(monkeypatch):
    cells = execute(new_notebook(cells=[new_code_cell(s) for s in MAGICS]), monkeypatch)
    assert texts(cells[0]).strip().startswith(str(ROOT / "vmapx"))
    assert texts(cells[2]).strip() == "(4, 3)"
    shown = texts(cells[3], "text/html")
    assert "f32[4,5]" in shown and "f32[3,5]" in shown and "f32[4,3]" in shown
    failing = texts(cells[6]) + texts(cells[6], "text/html")
    assert "model cannot take the per-example shapes" in failing and "Traceback" not in failing
    mistake = texts(cells[7])
    assert mistake.startswith("error: cannot resolve 'no_such_function'") and "hint:" in mistake
    assert "Traceback" not in mistake
    assert texts(cells[8]).strip() == "alive 2"
    assert "batched_model (hand-batched)" in texts(cells[9], "text/html")
    bench_html = texts(cells[10], "text/html")
    assert "<svg" in bench_html and "jit-vmap" in bench_html
    progress = [o for o in cells[10].outputs if o.output_type == "display_data"]
    assert progress, "bench shows a progress line"
    assert "interrupted" in texts(cells[11])
    assert "Usage: %vmapx [OPTIONS] COMMAND" in texts(cells[12])
    assert "Usage: %vmapx bench" in texts(cells[13]) and "--min-time" in texts(cells[13])
    assert "f32[6,2]" in texts(cells[14], "text/html")
    assert texts(cells[15]).strip() == "'ShapeReport'"


@pytest.mark.parametrize("line, said", [
    ("", "Usage:"),
    ("shape jnp.add --a 2,3 --in-axes", "error: Option '--in-axes' requires an argument."),
    ("frobnicate x", "error: no command 'frobnicate'"),
    ("shape n --a 3", "error: 'n' in the notebook is an int, not a function"),
    ("shape 'jnp.add --a 2", "error: cannot read the line"),
])
def test_magic_mistakes_are_said_not_raised(line, said, capsys):
    from vmapx._notebook.magic import run

    assert run(line, {"n": 3}) is None
    out = capsys.readouterr()
    assert said in out.out + out.err and "Traceback" not in out.err


def test_magic_names_come_from_the_namespace_first():
    import jax
    import jax.numpy as jnp
    import numpy as np

    from vmapx._notebook.magic import run

    def add(a, b):  # shadows nothing in jnp, but is found before any spec
        return a + b

    report = run("shape add --a 3,4 --b 3,4", {"add": add})
    assert report.outputs[0].shape == jax.vmap(add, in_axes=(0, 0))(
        np.ones((3, 4)), np.ones((3, 4))).shape
    dotted = run("shape jnp.outer --a 2,3 --b 2,5", {"jnp": jnp})
    assert dotted.outputs[0].shape == (2, 3, 5)
    assert run("shape jnp.add --a 2,3 --json", {})["outputs"][0]["shape"] == [2, 3]


def test_magic_writes_the_files_the_cli_writes(tmp_path):
    import json

    from vmapx._notebook.magic import run

    svg, data = tmp_path / "j.svg", tmp_path / "b.json"
    jaxpr = run(f"jaxpr jnp.dot --a 3 --b 3 --batch 2 --no-cost --svg {svg}", {})
    assert jaxpr.ok and svg.read_text().startswith("<svg")
    bench = run(f"bench jnp.dot --a 3 --b 3 --batch 2 --runs 1 --min-time 0 --warmup 0 "
                f"--variants loop,jit-vmap --export-json {data}", {})
    assert bench.ok and {r["variant"] for r in json.loads(data.read_text())["results"]} == {
        "loop", "jit-vmap"}
