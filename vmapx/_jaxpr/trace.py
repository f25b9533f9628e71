"""Tracing for `vmapx jaxpr`: each version traced once with `jax.jit(f).trace` (its `.jaxpr` is
make_jaxpr's, and `.lower()` reuses it), failures explained in the user's terms."""

from __future__ import annotations

from typing import Any, Callable

from vmapx._analysis import _compat as compat
from vmapx._analysis.explain import classify, first_line
from vmapx._analysis.tracing import check_out_axes, nest, structs
from vmapx._problem.problem import Problem
from vmapx._text.specs import format_shape
from vmapx.errors import VmapFailure, VmapxError


def examples(problem: Problem) -> list[tuple[str, tuple[int, ...], str]]:
    """(name, per-example shape, dtype) per leaf: what a failure message names."""
    return [(leaf.name, s, leaf.dtype) for leaf, s in
            zip(problem.leaves, problem.example_shapes())]


def trace(problem: Problem, fn: Callable[..., Any], args: list[Any], stage: str) -> Any:
    """`jax.jit(fn).trace(*args)`; the user's exception explained as a `VmapFailure`."""
    import jax

    try:
        return jax.jit(fn).trace(*args)  # `.jaxpr` is make_jaxpr's; `.lower()` reuses it
    except VmapxError:  # already explained (out_axes checked inside the traced function)
        raise
    except Exception as exc:  # the user's function, traced: explained, not a traceback
        raise classify(exc, stage, problem.name, examples(problem), problem.surface) from None


def try_trace(fn: Callable[..., Any], args: list[Any]) -> Any | None:
    """make_jaxpr of `fn`, or None if it fails."""
    import jax

    try:
        return jax.make_jaxpr(fn)(*args)
    except Exception:  # a twin written for one batch size: its batch axes go untracked
        return None


def check_levels(problem: Problem, out: Any) -> None:
    """Each level's out_axes against what the level inside it returns per example, innermost
    first, as `vmapx shape` checks them (JAX's own message never names out_axes); `out` is
    the function's per-example output."""
    import jax

    levels = problem.levels
    for k in reversed(range(len(levels))):
        check_out_axes(levels[k].out_axes, out, problem.surface)
        if k:
            pos, kw = structs(problem, levels[k].shapes)
            fn = nest(problem, k)
            try:
                out = jax.eval_shape(fn, *pos, **kw)
            except Exception as exc:  # the user's vmap of the inner levels
                raise classify(exc, "vmap", problem.name, examples(problem),
                               problem.surface) from None


def trace_twin(twin: Callable[..., Any], label: str, problem: Problem, args: list[Any]) -> Any:
    """The hand-batched twin traced on the batched leaves (batch on axis 0)."""
    import jax

    try:
        return jax.jit(twin).trace(*args)
    except Exception as exc:  # the user's twin: a finding about it, not a vmapx bug
        given = ", ".join(f"{leaf.name}: {format_shape(s.shape, s.dtype)}"
                          for leaf, s in zip(problem.leaves, args))
        raise VmapFailure("other", f"the hand-batched {label} fails on the batched inputs "
                          f"({given}): {type(exc).__name__}: {first_line(str(exc))}",
                          f"{label} must take the batched inputs (the batch on axis 0 of each "
                          "mapped input, unmapped ones as they are) and return what vmap returns",
                          jax_message=f"{type(exc).__name__}: {exc}",
                          short="hand-batched twin fails") from None


def check_outputs(vm: Any, man: Any, label: str, mlabel: str, out_axes: Any) -> None:
    """The twin returns what vmap returns, shape for shape."""
    ours = compat.shapes(compat.open_jaxpr(vm).outvars)
    theirs = compat.shapes(compat.open_jaxpr(man).outvars)
    if [s for _, s in ours] == [s for _, s in theirs]:
        return
    fmt = (lambda xs: ", ".join(format_shape(s, d) for d, s in xs) or "nothing")
    raise VmapFailure("other", f"the hand-batched {mlabel} returns {fmt(theirs)} but {label} "
                      f"returns {fmt(ours)}, so they do not compute the same thing",
                      f"{mlabel} must return what vmap returns for the same batched inputs "
                      f"(out_axes {out_axes}): check which axis holds the batch",
                      short="hand-batched output differs")
