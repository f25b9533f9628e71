"""Tracing for `vmapx jaxpr`: each version traced once with `jax.jit(f).trace` (its `.jaxpr` is
make_jaxpr's, and `.lower()` reuses it), failures explained in the user's terms."""

from __future__ import annotations

from typing import Any, Callable

from vmapx._analysis import _compat as compat
from vmapx.errors import VmapFailure
from vmapx._analysis.explain import classify, first_line
from vmapx._problem.binding import Placed
from vmapx._jaxpr.loop import structs
from vmapx._text.specs import format_shape


def trace(fn: Callable[..., Any], structs: list[Any], stage: str, fn_name: str,
           examples: list) -> Any:
    import jax

    try:
        return jax.jit(fn).trace(*structs)  # `.jaxpr` is make_jaxpr's; `.lower()` reuses it
    except VmapFailure:  # already explained (e.g. out_axes checked inside the loop version)
        raise
    except Exception as exc:  # the user's function, traced: explained, not a traceback
        raise classify(exc, stage, fn_name, examples) from None


def try_trace(fn: Callable[..., Any], structs: list[Any]) -> Any | None:
    import jax

    try:
        return jax.make_jaxpr(fn)(*structs)
    except Exception:  # a twin written for one batch size: its batch axes go untracked
        return None


def trace_manual(manual: Callable[..., Any], label: str, placed: list[Placed], size: int,
                  examples: list) -> Any:
    import jax

    args = structs(placed, size)
    try:
        return jax.jit(manual).trace(*args)
    except Exception as exc:
        given = ", ".join(f"{p.arg.name}: {format_shape(s.shape, s.dtype)}"
                          for p, s in zip(placed, args))
        raise VmapFailure("other", f"the hand-batched {label} fails on the batched inputs "
                          f"({given}): {type(exc).__name__}: {first_line(str(exc))}",
                          f"{label} must take the inputs vmap is given (the batch on each "
                          "mapped argument's in_axis) and return what vmap returns",
                          jax_message=f"{type(exc).__name__}: {exc}",
                          short="hand-batched twin fails") from None


def check_outputs(vm: Any, man: Any, label: str, mlabel: str, out_axes: Any) -> None:
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
