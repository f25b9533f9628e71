"""The `vmapx jaxpr` renderer at fixed widths, colour off: side by side when wide, else stacked."""

import functools
import io
import re

import jax.numpy as jnp
import numpy as np
import pytest
from rich.console import Console

from vmapx._jaxpr.api import jaxpr
from vmapx._jaxpr.settings import JaxprSettings
from vmapx._render.jaxpr import render_jaxpr

W = np.ones((3, 5), np.float32)


def model(v):
    return jnp.tanh(W @ v + 1.0).sum()


def batched_model(v_batch):
    return jnp.tanh(jnp.einsum("mk,nk->nm", W, v_batch) + 1.0).sum(1)


@functools.lru_cache(maxsize=None)
def report():
    return jaxpr(model, "f32[5]", batch=4, manual=batched_model)


def text(width, r=None):
    console = Console(width=width, file=io.StringIO(), color_system=None, record=True)
    console.print(render_jaxpr(r or report()))
    return console.export_text(styles=False)


def test_side_by_side_at_160_columns():
    lines = text(160).splitlines()
    assert any(line.count("{ lambda") == 2 for line in lines)
    both = [line for line in lines if "= dot_general[" in line]
    assert any("c:f32[3,4]" in line and "c:f32[4,3]" in line for line in both)


def test_stacked_at_80_columns():
    out = text(80)
    assert all(line.count("{ lambda") <= 1 for line in out.splitlines())
    assert out.index("c:f32[3,4] = dot_general") < out.index("c:f32[4,3] = dot_general")
    assert max(len(line) for line in out.splitlines()) <= 80


def test_verdict_alignment_costs_and_no_pitfalls():
    out = text(160)
    assert "vmap(model) vs batched_model: same 4 primitives in the same order" in out
    assert "equations, aligned by primitive" in out and "XLA cost estimates" in out
    assert "loop (1 iteration × 4)" in out
    assert "no pitfalls found" in out
    loop = report().versions["loop"]   # its figures: pinned against real loops in _core
    assert f"{loop.eqn_count} equations at B=4 = {loop.base} + {loop.per_example} per " \
        "example" in out and loop.eqn_count == loop.base + 4 * loop.per_example


def test_warnings_panel():
    r = jaxpr(lambda x, i: x[i], "f32[5]", "i32[]", batch=3, settings=JaxprSettings(cost=False))
    out = text(120, r)
    assert "pitfalls" in out and "batched_gather (eqn" in out


def test_unavailable_cost_is_said(monkeypatch):
    from vmapx._jaxpr import cost as jaxpr_cost

    monkeypatch.setattr(jaxpr_cost, "normalise", lambda raw: None)
    monkeypatch.setattr(jaxpr_cost, "memory", lambda compiled: None)
    out = text(140, jaxpr(model, "f32[5]", batch=2))
    assert "unavailable on this backend" in out


def _stack(n):
    """An n-layer tanh MLP as in benchmarks/bench_scale.py: vmap adds a transpose per layer."""
    sq, bias = np.ones((5, 5), np.float32), np.zeros(5, np.float32)

    def f(x):
        for _ in range(n):
            x = jnp.tanh(sq @ x + bias)
        return x.sum()

    def batched(xs):
        for _ in range(n):
            xs = jnp.tanh(xs @ sq.T + bias)
        return xs.sum(1)

    return f, batched


def _inside(out):
    """The lines inside the jaxpr panels (between the frame's │ … │), right-trimmed."""
    return [line[2:-2].rstrip() for line in out.splitlines()
            if line.startswith("│ ") and line.endswith(" │")]


def test_long_lines_fold_inside_the_frame_and_keep_every_character():
    r = jaxpr(lambda x: x + 1.0, "f32[5]", batch=2, settings=JaxprSettings(cost=False))
    long = "x:f32[5] " * 30   # one line far wider than 80 columns
    from dataclasses import replace
    r = replace(r, versions={**r.versions, "vmap": replace(r.versions["vmap"],
                                                           text="{ lambda " + long + "}")})
    out = text(60, r)
    assert max(len(line) for line in out.splitlines()) <= 60
    inside = _inside(out)
    start = next(k for k, line in enumerate(inside) if line.startswith("{ lambda"))
    pieces = [inside[start]] + [p for p in inside[start + 1:start + 40] if p.startswith("    x")]
    assert all(p.startswith("    ") for p in pieces[1:])       # continuations indented
    assert "".join(p.strip() + " " for p in pieces).replace("  ", " ").startswith(
        ("{ lambda " + long).strip())


def test_fold_pieces_fit_and_join_back():
    from vmapx._render.code import fold

    for line in ["    a:f32[32] b = dot_general[dimension_numbers=(([1], [0]), ([], []))] a b",
                 "x" * 200, "   " + "y " * 100, "short", " " * 30 + "z"]:
        for width in (10, 17, 40, 76):
            pieces, indent = fold(line, width)
            assert "".join(pieces) == line
            assert len(pieces[0]) <= width and all(len(p) + indent <= width for p in pieces[1:])


def test_colours_are_kept_where_they_show():
    """Highlighting is skipped only where the console would drop it: a recording console
    (what --svg/--html export) keeps the colours."""
    rec = Console(width=160, file=io.StringIO(), record=True)
    rec.print(render_jaxpr(report()))
    html = rec.export_html(inline_styles=True)
    assert re.search(r'<span style="color: #[0-9a-f]{6}[^>]*>dot_general</span>', html)
    plain = Console(width=160, file=io.StringIO(), color_system=None)
    plain.print(render_jaxpr(report()))
    assert "dot_general" in plain.file.getvalue()


@pytest.mark.parametrize("layers", [2, 12])
def test_a_pitfall_found_at_many_equations_is_one_entry(layers):
    f, batched = _stack(layers)
    r = jaxpr(f, "f32[5]", batch=4, manual=batched, settings=JaxprSettings(cost=False))
    transposes = [w for w in r.warnings if w.kind == "extra_transpose"]
    assert len(transposes) == layers      # the report keeps each one (and --json too)
    out = " ".join(text(100, r).split())
    assert out.count("extra_transpose (") == 1
    eqns = [w.equation for w in transposes]
    where = (", ".join(map(str, eqns)) if layers <= 6 else
             ", ".join(map(str, eqns[:5])) + f", … {eqns[-1]}")
    assert f"extra_transpose (×{layers}, eqns {where}): transpose with permutation" in out


def test_alignment_table_keeps_shapes_whole_at_80_columns():
    """vmap beside the twin (broadcast_in_dim, two-digit shapes) fits 80 columns: no shape cut
    over two lines."""
    f, batched = _stack(3)
    r = jaxpr(f, "f32[5]", batch=16, manual=batched, settings=JaxprSettings(cost=False))
    out = text(80, r)
    table = out[out.index("equations, aligned by primitive"):]
    rows = [line for line in table.splitlines() if "broadcast_in_dim" in line]
    assert rows and all(line.count("f32[1,5]") == 2 for line in rows)
    assert "f32[5,16]" in table and "f32[16,5]" in table
