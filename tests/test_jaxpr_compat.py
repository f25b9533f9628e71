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


def test_params_walker_is_jax_extends_own():
    from jax.extend.core import jaxprs_in_params

    assert compat._params_walker() is jaxprs_in_params
