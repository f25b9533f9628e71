"""The few jaxpr internals vmapx reads, in one place, each with a fallback.

`make_jaxpr` and `pretty_print` are public; walking a jaxpr's equations is not quite. What is
read here (`jaxpr.eqns`, `eqn.primitive.name`, `eqn.params`, `var.aval.shape`, sub-jaxprs in
params, source info) has been stable for years and is pinned by tests/test_jaxpr_compat.py.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

# Primitives that only wrap a call: their body is the computation. Inlined before comparing.
CALL_PRIMITIVES = frozenset({
    "pjit", "jit", "closed_call", "core_call", "xla_call", "remat", "checkpoint", "remat2",
    "custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr", "custom_lin", "named_call",
})
# The logger JAX writes a failing `jax.debug.callback`'s traceback to (a private module's name;
# a different name on some release only lets that log through).
DEBUG_CALLBACK_LOGGER = "jax._src.debugging"
# Where these wrappers keep their body, in the order to look.
_BODY_PARAMS = ("jaxpr", "call_jaxpr", "fun_jaxpr")


def open_jaxpr(j: Any) -> Any:
    """A ClosedJaxpr's Jaxpr; a Jaxpr as it is."""
    return getattr(j, "jaxpr", j)


def eqns(j: Any) -> list[Any]:
    return list(open_jaxpr(j).eqns)


def name(eqn: Any) -> str:
    return eqn.primitive.name


def shapes(variables: Any) -> list[tuple[str, tuple[int, ...]]]:
    """(dtype name, shape) of each variable or literal; ("?", ()) where it has none."""
    out = []
    for v in variables:
        aval = getattr(v, "aval", None)
        shape = getattr(aval, "shape", None)
        out.append((_dtype_name(getattr(aval, "dtype", None)),
                    shape if type(shape) is tuple else tuple(shape or ())))
    return out


_DTYPE_NAMES: dict[Any, str] = {}


def _dtype_name(dtype: Any) -> str:
    """`dtype.name` (NumPy builds that string on every access: once per dtype here; keyed by
    type too, since `np.dtype("float32") == np.float32`)."""
    key = (type(dtype), dtype)
    try:
        return _DTYPE_NAMES[key]
    except KeyError:
        name = _DTYPE_NAMES[key] = dtype.name if hasattr(dtype, "name") else str(dtype or "?")
        return name
    except TypeError:  # an unhashable stand-in
        return dtype.name if hasattr(dtype, "name") else str(dtype or "?")


def out_shapes(eqn: Any) -> list[tuple[str, tuple[int, ...]]]:
    return shapes(eqn.outvars)


def in_shapes(eqn: Any) -> list[tuple[str, tuple[int, ...]]]:
    return shapes(eqn.invars)


def _params_walker() -> Any:
    """JAX's own `jaxprs_in_params`, or None on a JAX without it.

    `jax.extend.core` re-exports it from `jax._src.core`; importing the latter directly skips
    `jax.extend`'s package import, which loads every extension module (Pallas included, ~15 ms
    of `vmapx jaxpr`). tests/test_jaxpr_compat.py pins that both are the same function.
    """
    global _WALKER
    if _WALKER is _UNSET:
        try:
            from jax._src.core import jaxprs_in_params as _WALKER
        except ImportError:
            try:
                from jax.extend.core import jaxprs_in_params as _WALKER
            except ImportError:
                _WALKER = None
    return _WALKER


_UNSET = object()
_WALKER: Any = _UNSET


def sub_jaxprs(eqn: Any) -> list[Any]:
    """The jaxprs an equation holds in its params (cond branches, while bodies, call bodies)."""
    walker = _params_walker()
    if walker is not None:
        return [open_jaxpr(j) for j in walker(eqn.params)]
    found = []  # older JAX: look for anything with .eqns, one level into tuples
    for value in eqn.params.values():
        for v in value if isinstance(value, (tuple, list)) else (value,):
            if hasattr(open_jaxpr(v), "eqns"):
                found.append(open_jaxpr(v))
    return found


def call_body(eqn: Any) -> Any | None:
    """The body (ClosedJaxpr or Jaxpr) of a call-wrapper equation, or None for any other."""
    if name(eqn) not in CALL_PRIMITIVES:
        return None
    for key in _BODY_PARAMS:
        body = eqn.params.get(key)
        if body is not None and hasattr(open_jaxpr(body), "eqns"):
            return body
    return None


def flat_eqns(j: Any) -> list[Any]:
    """The equations with call wrappers (jit, custom_jvp_call, …) replaced by their bodies'.

    Control flow (cond, while, scan) stays one equation each.
    """
    out = []
    for eqn in eqns(j):
        body = call_body(eqn)
        out.extend(flat_eqns(body) if body is not None else [eqn])
    return out


def walk(j: Any) -> Iterator[Any]:
    """Every equation at any depth, call wrappers left out (their bodies are walked)."""
    for eqn in eqns(j):
        if call_body(eqn) is None:
            yield eqn
        for sub in sub_jaxprs(eqn):
            yield from walk(sub)


def source_line(eqn: Any) -> str | None:
    """`file.py:12:8 (fn)` where the user's code made this equation; None if unknown."""
    try:
        from jax._src import source_info_util

        return source_info_util.summarize(eqn.source_info)
    except Exception:  # internals moved: source lines are a nicety, not a requirement
        return None


def _user_context(eqn: Any):
    try:
        from jax._src import source_info_util

        return source_info_util.user_context(eqn.source_info.traceback,
                                             name_stack=eqn.source_info.name_stack)
    except Exception:
        return contextlib.nullcontext()


def has_calls(j: Any) -> bool:
    return any(call_body(e) is not None or has_calls_in(e) for e in eqns(j))


def has_calls_in(eqn: Any) -> bool:
    return any(has_calls(s) for s in sub_jaxprs(eqn))


def inline_calls(closed: Any) -> Any:
    """The same ClosedJaxpr with top-level call wrappers inlined, re-traced so JAX prints it.

    The interpreter of JAX's "Writing custom Jaxpr interpreters" guide: each equation is bound
    again, except call wrappers, whose bodies are evaluated in place. Returns `closed` itself
    when there is nothing to inline; raises whatever binding raises (callers fall back).
    """
    if not any(call_body(e) is not None for e in eqns(closed)):
        return closed
    import jax
    from jax.extend.core import Literal

    def run(j: Any, consts: list[Any], args: list[Any]) -> list[Any]:
        j = open_jaxpr(j)
        env: dict[Any, Any] = {}

        def read(v: Any) -> Any:
            return v.val if isinstance(v, Literal) else env[v]

        env.update(zip(j.constvars, consts))
        env.update(zip(j.invars, args))
        for eqn in j.eqns:
            invals = [read(v) for v in eqn.invars]
            body = call_body(eqn)
            if body is not None:
                outs = run(body, list(getattr(body, "consts", [])), invals)
            else:
                with _user_context(eqn):
                    outs = eqn.primitive.bind(*invals, **eqn.params)
                outs = outs if eqn.primitive.multiple_results else [outs]
            env.update(zip(eqn.outvars, outs))
        return [read(v) for v in j.outvars]

    structs = [jax.ShapeDtypeStruct(v.aval.shape, v.aval.dtype) for v in closed.jaxpr.invars]
    return jax.make_jaxpr(lambda *a: run(closed.jaxpr, list(closed.consts), list(a)))(*structs)


def backends_initialized() -> bool | None:
    """Whether JAX has started its backends (clients) yet; None when this JAX cannot say.

    Settings such as `jax_cpu_enable_async_dispatch` are read when the CPU client starts, so
    `vmapx bench` must know whether it is too late to change them.
    """
    try:
        from jax._src import xla_bridge
    except ImportError:  # pragma: no cover - a JAX without the module
        return None
    fn = getattr(xla_bridge, "backends_are_initialized", None)
    return bool(fn()) if callable(fn) else None
