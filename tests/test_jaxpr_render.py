"""The `vmapx jaxpr` renderer at fixed widths, colour off: side by side when wide, else stacked."""

import functools
import io

import jax.numpy as jnp
import numpy as np
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
