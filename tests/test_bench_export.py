"""Exports, --compare, the SVG plot and the renderer, on a hand-made report (no JAX, no timing)."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from dataclasses import replace

from vmapx._bench.baseline import compare, load_baseline
from vmapx._problem.surface import Surface
from vmapx._render import export
from vmapx._render.bench import fmt_time, render_bench
from vmapx._render.compare import render_compare
from vmapx._render.plot import to_svg
from vmapx._report.bench import BenchReport, VariantResult
from vmapx.cli.common import check_writable
from vmapx.errors import UsageError

ISSUE_TOP = {"backend", "device", "jax_version", "x64", "results"}
ISSUE_RESULT = {"function", "batch_size", "variant", "compile_s", "median_s", "iqr_s", "min_s",
                "samples", "speedup_vs_loop", "matches_loop"}


def result(variant, batch, median, function="dot", **kw):
    m = median or 0.0
    base = dict(compile_s=None if variant in ("loop", "vmap") else 0.05, median_s=median,
                iqr_s=m / 10, min_s=m * 0.9, samples=40, speedup_vs_loop=None,
                matches_loop=True, max_s=m * 2, mean_s=m, reps_per_sample=3,
                inputs=f"x f32[{batch},100]")
    base.update(kw)
    return VariantResult(function, batch, variant, **base)


def report(results, **kw):
    return BenchReport("cpu", "cpu:0", "cpu", "0.0.test", False, results,
                       settings={"runs": 7, "min_time_s": 0.2, "sample_time_s": 1e-3},
                       wall_s=1.5, **kw)


SWEEP = report([
    result("loop", 8, 7e-4, speedup_vs_loop=1.0), result("jit-vmap", 8, 6e-6, speedup_vs_loop=116),
    result("loop", 64, 5e-3, speedup_vs_loop=1.0), result("jit-vmap", 64, 7e-6, speedup_vs_loop=700),
    result("manual", 64, None, iqr_s=None, min_s=None, samples=0, matches_loop=False,
           status="mismatch", detail="values differ from the loop's; not timed"),
])


def test_json_has_the_issue_names():
    data = json.loads(export.to_json_text(SWEEP))
    assert ISSUE_TOP <= data.keys() and isinstance(data["x64"], bool)
    for r in data["results"]:
        assert ISSUE_RESULT <= r.keys()
        assert isinstance(r["matches_loop"], bool)
    assert data["results"][1]["median_s"] == 6e-6


def test_csv_parses_and_holds_every_field():
    rows = list(csv.DictReader(io.StringIO(export.to_csv(SWEEP))))
    assert len(rows) == len(SWEEP.results)
    assert set(export.RESULT_FIELDS) | {"backend", "device", "jax_version", "x64"} <= rows[0].keys()
    assert float(rows[0]["median_s"]) == 7e-4 and rows[4]["matches_loop"] == "False"
    assert rows[0]["compile_s"] == ""  # the loop is not compiled


def test_markdown_parses_and_holds_every_field():
    text = export.to_markdown(SWEEP)
    assert "`cpu`" in text and "JAX 0.0.test" in text and "x64 off" in text
    table = [line for line in text.splitlines() if line.startswith("|")]
    header = [c.strip() for c in table[0].strip("|").split("|")]
    # compile times (50 ms) in a unit of their own, not as 50000 µs beside µs medians
    assert header == ["Function", "Batch", "Variant", "Compile [ms]", "Median [µs]",
                      "IQR [µs]", "Min [µs]", "Samples", "Speedup vs loop", "Matches loop"]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in table[2:]]
    assert len(rows) == len(SWEEP.results)
    assert rows[1][:5] == ["`dot`", "8", "jit-vmap", "50", "6"]
    assert rows[4][-1] == "**no**" and rows[4][4] == ""


def test_compare_and_fail_above():
    baseline = json.loads(export.to_json_text(SWEEP))
    baseline["results"][1]["median_s"] = 4e-6     # jit-vmap at 8 was faster: now 50% slower
    baseline["results"].append({"function": "old", "batch_size": 1, "variant": "loop",
                                "median_s": 1.0})
    changes = compare(SWEEP.results, baseline, complete=True)
    by_key = {(c.function, c.batch_size, c.variant): c for c in changes}
    assert by_key[("dot", 8, "jit-vmap")].change_pct == pytest.approx(50)
    assert by_key[("dot", 8, "loop")].change_pct == pytest.approx(0)
    assert by_key[("old", 1, "loop")].current_s is None  # gone
    with_compare = replace(SWEEP, compare=changes, baseline="base.json", fail_above=20)
    assert [c.variant for c in with_compare.regressions] == ["jit-vmap"]
    assert replace(with_compare, fail_above=60).regressions == []
    text = _text(render_compare(with_compare))
    assert "+50.0%" in text and "1 regression: slower by more than 20%" in text
    assert "gone" in text
    # the regression is named, and marked without colour (no samples here: by the quartiles)
    assert "✗ dot · batch 8 · jit-vmap: 4 µs → 6 µs (+50.0%)" in text
    assert "✗ REGRESSION" in text and "p = iqr" in text
    assert "change against base.json" in _text(render_bench(with_compare), 120)
    assert compare(SWEEP.results, baseline, complete=False)[-1].function == "dot"


@pytest.mark.parametrize("content, says", [
    (None, "no such file"), ("{not json", "not JSON"), ('{"results": [{"x": 1}]}', "not a vmapx")])
def test_bad_baseline(tmp_path, content, says):
    path = tmp_path / "base.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UsageError, match=says):
        load_baseline(path, Surface("bench"))


def test_unwritable_paths(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        check_writable(tmp_path / "nope" / "x.json", "--export-json")
    with pytest.raises(UsageError, match="is a directory"):
        check_writable(tmp_path, "--plot")
    check_writable(tmp_path / "fine.csv", "--export-csv")  # no error


def test_svg_sweep_and_bars_parse():
    ns = "{http://www.w3.org/2000/svg}"
    root = ET.fromstring(to_svg(SWEEP))
    assert root.tag == f"{ns}svg"
    assert len(root.findall(f"{ns}polyline")) == 2  # loop and jit-vmap over 8, 64
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "64" in texts and "jit-vmap" in texts
    single = report([result("loop", 5, 4e-4), result("jit-vmap", 5, 3e-5)])
    root = ET.fromstring(to_svg(single))
    assert len(root.findall(f"{ns}rect")) == 3  # background + two bars


def _text(renderable, width=80):
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize("width", [80, 160])
def test_render_fits_the_width(width):
    text = _text(render_bench(SWEEP), width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "q1–q3" in text and "700×" in text and "✗ values differ" in text
    assert "time per call against batch size" in text  # the sweep chart
    assert "■ jit-vmap" in text and "● loop" in text    # its legend


def test_render_single_batch_and_interrupted():
    rep = report([result("loop", 5, 4e-4, speedup_vs_loop=1.0)], interrupted=True)
    text = _text(render_bench(rep))
    assert "dot · batch 5 · x f32[5,100]" in text
    assert "interrupted (Ctrl-C)" in text and "time per call against" not in text


def test_fmt_time():
    assert [fmt_time(x) for x in (1.78e-3, 111e-6, 52.3e-9, 2.0, None)] == [
        "1.78 ms", "111 µs", "52.3 ns", "2 s", "—"]


def test_compare_matches_nests_by_their_batch_shape():
    """A 4×5 nest and a 5×4 nest both have 20 examples: they are not compared with each other."""
    base = report([result("vmap", 20, 1e-5, batch_shape=[4, 5])])
    now = report([result("vmap", 20, 9e-5, batch_shape=[5, 4])])
    changes = compare(now.results, json.loads(export.to_json_text(base)), complete=True)
    assert [(c.baseline_s, c.current_s) for c in changes] == [(None, 9e-5), (1e-5, None)]
    same = compare(base.results, json.loads(export.to_json_text(base)), complete=True)
    assert [c.change_pct for c in same] == [pytest.approx(0)]


def test_a_failure_renders_its_error_and_exports_its_json():
    from vmapx._report.common import ErrorInfo, Suggestion

    error = ErrorInfo("inconsistent_sizes", "the mapped axes have different sizes", "try this",
                      [Suggestion([None, 0], [(3, 2, 3)])])
    rep = report([], error=error, notes=["a note"])
    text = _text(render_bench(rep))
    assert "vmap fails: inconsistent_sizes" in text and "None,0" in text and "a note" in text
    assert "measured" not in text and not rep.ok
    data = json.loads(export.to_json_text(rep))
    assert data["error"]["kind"] == "inconsistent_sizes" and data["results"] == []
    assert data["schema_version"] >= 2 and data["command"] == "bench"


def _sampled(variant, times):
    xs = sorted(times)
    return result(variant, 8, xs[len(xs) // 2], times_s=list(times), q1_s=xs[len(xs) // 4],
                  q3_s=xs[3 * len(xs) // 4], iqr_s=xs[3 * len(xs) // 4] - xs[len(xs) // 4])


def test_a_change_within_the_noise_is_not_a_regression():
    """The same noisy timings twice: medians 27% apart by chance, samples overlapping. It used
    to fail the run (`--fail-above 20` was noise-blind); now the Mann-Whitney U test on both
    runs' samples says it is noise, and a real slowdown is named."""
    noisy_before = [1.0, 1.3, 0.9, 2.0, 1.1, 0.8, 1.9, 1.0, 1.2]
    noisy_after = [1.4, 1.5, 0.9, 2.0, 1.4, 0.8, 1.9, 1.0, 1.5]
    slow = [t * 3 for t in noisy_before]
    before = report([_sampled("loop", noisy_before), _sampled("vmap", noisy_before)])
    after = report([_sampled("loop", noisy_after), _sampled("vmap", slow)])
    baseline = json.loads(export.to_json_text(before))
    assert baseline["results"][0]["times_s"] == noisy_before  # the export keeps the samples
    changes = compare(after.results, baseline, complete=True)
    loop, vmap = changes
    assert loop.change_pct == pytest.approx(100 * 0.3 / 1.1) and loop.test == "mann-whitney-u"
    assert loop.p_value > 0.05 and not loop.beyond_noise
    assert vmap.p_value < 0.001 and vmap.beyond_noise
    judged = replace(after, compare=changes, baseline="base.json", fail_above=20)
    assert [c.variant for c in judged.regressions] == ["vmap"]
    text = _text(render_compare(judged))
    assert "~ within noise" in text and "✗ REGRESSION" in text
    assert "✗ dot · batch 8 · vmap: 1.1 s → 3.3 s (+200.0%, p = " in text
    assert "1 slower by more than 20% but within the noise (not counted): loop" in text
    assert "Mann-Whitney U" in text


def test_noise_warnings_are_one_line_per_kind_per_function():
    """A busy machine used to print one `! … wide spread …` line per variant (95 of 179
    lines); now one line per kind names each variant with its figure and the remedy once."""
    spread = ("wide spread: the IQR is {}% of the median; other programs may be competing "
              "for the machine: close them, or raise --min-time / --runs")
    rows = [result(v, b, 1e-3, warnings=[spread.format(30 + i)])
            for b in (8, 64) for i, v in enumerate(("loop", "vmap", "jit-vmap"))]
    rows[0] = replace(rows[0], warnings=[*rows[0].warnings, "the first sample took 4.0x the "
                                         "median: caches were cold; raise --warmup"])
    text = _text(render_bench(report(rows)), 100)
    lines = [line for line in text.splitlines() if line.startswith("!")]
    assert len(lines) == 2, text
    flat = " ".join(text.split())
    assert ("! wide spread (the IQR as a share of the median) in 6 of 6 timings (batch 8: "
            "loop 30%, vmap 31%, jit-vmap 32%; batch 64: loop 30%, vmap 31%, jit-vmap 32%): "
            "other programs") in flat
    assert flat.count("raise --min-time / --runs") == 1
    assert "a slow first sample (against the median) in 1 of 6 timings (batch 8: loop 4.0x)" \
        in flat


def test_spread_is_shown_as_the_middle_half_not_plus_minus():
    text = _text(render_bench(report([result("loop", 5, 1.25e-3, q1_s=1.2e-3, q3_s=1.31e-3),
                                      result("vmap", 5, 2e-4, q1_s=9e-5, q3_s=1.1e-3)])), 100)
    assert "±" not in text and "q1–q3" in text
    assert "1.2–1.31ms" in text and "90µs–1.1ms" in text


def test_svg_title_names_the_device_once():
    ns = "{http://www.w3.org/2000/svg}"
    title = next(ET.fromstring(to_svg(SWEEP)).iter(f"{ns}text")).text
    assert title.startswith("vmapx bench · cpu · JAX") and "cpu · cpu" not in title
    gpu = replace(SWEEP, backend="gpu", device_kind="NVIDIA H200")
    assert next(ET.fromstring(to_svg(gpu)).iter(f"{ns}text")).text.startswith(
        "vmapx bench · gpu (NVIDIA H200) · JAX")


def test_chart_shows_every_series_where_they_overlap():
    """loop and loop-jit at the same times used to share cells: the later marker hid the
    loop baseline. Every series' marker is on the chart, at every batch size."""
    rows = [result(v, b, t) for b, t in ((8, 1e-3), (64, 8e-3), (512, 6e-2))
            for v in ("loop", "loop-jit")] + [result("jit-vmap", b, 1e-5) for b in (8, 64, 512)]
    text = _text(render_bench(report(rows)), 100)
    chart = text.split("time per call against batch size")[1].split("batch size")[0]
    assert chart.count("●") == 3 and chart.count("○") == 3 and chart.count("■") == 3
    assert "moved a row or two apart" in text
