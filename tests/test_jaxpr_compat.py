"""Pins the jaxpr internals vmapx reads (vmapx/_compat.py) on the installed JAX."""

import jax
import jax.numpy as jnp
from jax import lax

from vmapx._analysis import _compat as compat

X = jax.ShapeDtypeStruct((3, 5), jnp.float32)


@jax.jit
def _inner(x):
    return jnp.sin(x) * 2


def _nested(x):
    return jax.nn.relu(_inner(x)).sum(1)


def _flat(x):
    return jnp.maximum(jnp.sin(x) * 2, 0.0).sum(1)


def _with_cond(x):
    return lax.cond(x.sum() > 0, jnp.sin, jnp.cos, x)


def test_equation_fields():
    cj = jax.make_jaxpr(_flat)(X)
    eqns = compat.eqns(cj)
    assert [compat.name(e) for e in eqns] == ["sin", "mul", "max", "reduce_sum"]
    assert compat.out_shapes(eqns[-1]) == [("float32", (3,))]
    assert compat.in_shapes(eqns[0]) == [("float32", (3, 5))]


def test_call_wrappers_are_flattened_and_walked_through():
    cj = jax.make_jaxpr(_nested)(X)
    top = [compat.name(e) for e in compat.eqns(cj)]
    assert any(n in compat.CALL_PRIMITIVES for n in top)  # jit / custom_jvp_call are there
    assert [compat.name(e) for e in compat.flat_eqns(cj)] == ["sin", "mul", "max", "reduce_sum"]
    assert sorted(compat.name(e) for e in compat.walk(cj)) == ["max", "mul", "reduce_sum", "sin"]
    assert compat.has_calls(cj) and not compat.has_calls(jax.make_jaxpr(_flat)(X))


def test_sub_jaxprs_of_control_flow():
    cj = jax.make_jaxpr(_with_cond)(jax.ShapeDtypeStruct((5,), jnp.float32))
    cond = [e for e in compat.eqns(cj) if compat.name(e) == "cond"][0]
    subs = compat.sub_jaxprs(cond)
    assert len(subs) == 2 and all(hasattr(s, "eqns") for s in subs)
    assert compat.call_body(cond) is None  # control flow is not a call wrapper
    assert {"cond", "sin", "cos"} <= {compat.name(e) for e in compat.walk(cj)}


def test_source_line_names_the_user_line():
    cj = jax.make_jaxpr(_flat)(X)
    line = compat.source_line(compat.eqns(cj)[0])
    assert line is None or ("test_jaxpr_compat.py" in line and "_flat" in line)


def test_inline_calls_prints_like_the_flat_function():
    inlined = compat.inline_calls(jax.make_jaxpr(_nested)(X))
    assert str(inlined) == str(jax.make_jaxpr(_flat)(X))


def test_inline_calls_returns_a_call_free_jaxpr_unchanged():
    cj = jax.make_jaxpr(_flat)(X)
    assert compat.inline_calls(cj) is cj


def _loops(x):
    y = lax.while_loop(lambda c: c.sum() < 10, jnp.sin, x)
    return lax.scan(lambda c, r: (c + r, jnp.cos(r)), y[0], y)[1]


def test_sub_jaxprs_with_jaxs_walker_and_without_agree(monkeypatch):
    """JAX's own `jaxprs_in_params` where this JAX has one, the fallback search otherwise: the
    same bodies either way (while: cond and body; scan: body; cond: both branches)."""
    shaped = jax.ShapeDtypeStruct((4, 5), jnp.float32)
    found = {}
    for walker in (compat._params_walker(), None):
        monkeypatch.setattr(compat, "_WALKER", walker)
        found[walker is None] = [
            (compat.name(e), sorted(compat.name(q) for s in compat.sub_jaxprs(e) for q in s.eqns))
            for f, x in ((_loops, shaped), (_with_cond, X))
            for e in compat.eqns(jax.make_jaxpr(f)(x)) if compat.sub_jaxprs(e)]
    assert found[True] == found[False]
    names = dict(found[True])
    assert {"while", "scan", "cond"} <= set(names)
    assert "sin" in names["while"] and "cos" in names["scan"]
    assert {"sin", "cos"} <= set(names["cond"])
