"""Each pitfall warning on a function that triggers it, and its absence on one that doesn't."""

import jax.numpy as jnp
import numpy as np
from jax import lax

from vmapx._jaxpr.api import jaxpr
from vmapx._jaxpr.settings import JaxprSettings

W = np.ones((3, 5), np.float32)
NO_COST = JaxprSettings(cost=False)


def kinds(report):
    return [w.kind for w in report.warnings]


def branchy(p, x):
    return lax.cond(p.sum() > 0, jnp.sin, jnp.cos, x)


def test_batched_cond_becomes_select_n():
    r = jaxpr(branchy, "f32[5]", "f32[5]", in_axes=(0, 0), batch=3, settings=NO_COST)
    assert kinds(r) == ["batched_cond"]
    w = r.warnings[0]
    eqn = r.versions["vmap"].equations[w.equation]
    assert eqn.primitive == "select_n" and "both branches run" in w.message
    assert "test_jaxpr_pitfalls.py" in w.message  # names the user's cond line
    assert "cond" not in r.versions["vmap"].primitives


def test_unbatched_cond_predicate_is_fine():
    r = jaxpr(branchy, "f32[5]", "f32[5]", in_axes=(None, 0), batch=3, settings=NO_COST)
    assert kinds(r) == [] and r.versions["vmap"].primitives.get("cond") == 1


def count_to(x, n):
    return lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 2.0), (0, x))[1]


def test_while_with_batched_predicate():
    r = jaxpr(count_to, "f32[5]", "i32[]", in_axes=(0, 0), batch=3, settings=NO_COST)
    assert kinds(r) == ["batched_while"]
    assert r.versions["vmap"].equations[r.warnings[0].equation].primitive == "while"
    assert "longest" in r.warnings[0].message


def test_while_with_unbatched_predicate_is_fine():
    r = jaxpr(count_to, "f32[5]", "i32[]", in_axes=(0, None), batch=3, settings=NO_COST)
    assert kinds(r) == []


def take(x, i):
    return x[i]


def put(x, i):
    return x.at[i].set(1.0)


def test_gather_from_batched_indices():
    r = jaxpr(take, "f32[5]", "i32[]", in_axes=(0, 0), batch=3, settings=NO_COST)
    assert kinds(r) == ["batched_gather"]
    assert r.versions["vmap"].equations[r.warnings[0].equation].primitive == "gather"


def test_gather_with_shared_index_is_fine():
    r = jaxpr(take, "f32[5]", "i32[]", in_axes=(0, None), batch=3, settings=NO_COST)
    assert kinds(r) == []


def test_scatter_to_batched_indices():
    r = jaxpr(put, "f32[5]", "i32[]", in_axes=(0, 0), batch=3, settings=NO_COST)
    assert kinds(r) == ["batched_scatter"]
    assert r.versions["vmap"].equations[r.warnings[0].equation].primitive.startswith("scatter")


def test_scatter_with_shared_index_is_fine():
    r = jaxpr(put, "f32[5]", "i32[]", in_axes=(0, None), batch=3, settings=NO_COST)
    assert kinds(r) == []


def lin(x):
    return W @ x


def test_transpose_the_manual_version_lacks():
    r = jaxpr(lin, "f32[5]", batch=4, settings=NO_COST,
              manual=lambda xs: jnp.einsum("mk,nk->nm", W, xs))
    assert kinds(r) == ["extra_transpose"]
    assert "(1, 0)" in r.warnings[0].message


def test_transpose_the_manual_version_has_too():
    r = jaxpr(lin, "f32[5]", batch=4, settings=NO_COST, manual=lambda xs: (W @ xs.T).T)
    assert kinds(r) == []


def test_no_transpose_warning_without_a_manual_version():
    assert kinds(jaxpr(lin, "f32[5]", batch=4, settings=NO_COST)) == []
