"""A problem from a library call: the one input convention of `vmapx.shape`, `vmapx.jaxpr` and
`vmapx.bench` (the CLI calls them too).

Inputs go by position or by parameter name (`inputs={...}` for names that clash with the
keywords): shape tuples, spec strings (`"f32[2,3]"`), `jax.ShapeDtypeStruct`s, arrays, or
pytrees (dicts, lists, tuples) of these; `None` borrows the first mapped argument's per-example
shape. Options: `in_axes`/`out_axes` (one vmap) or `levels_in`/`levels_out` (a nest, outermost
first), `ranks`, `batch`, `axis_size`, `static`, `name`.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Mapping, Sequence

from vmapx._problem.binding import positional_names
from vmapx._problem.problem import Problem, Request, build
from vmapx._problem.surface import Surface
from vmapx._text.declared import home
from vmapx._text.inputs import to_spec
from vmapx.errors import TargetError, UsageError


# Where JAX exports its functions, as users write them; the first that holds the function itself
# names it (`jnp.add`, whatever private module JAX defines it in on a given release).
_PUBLIC = (("jnp", "jax.numpy"), ("lax", "jax.lax"), ("jax.nn", "jax.nn"),
           ("jnp.linalg", "jax.numpy.linalg"), ("jnp.fft", "jax.numpy.fft"),
           ("jax.scipy.special", "jax.scipy.special"), ("jax.scipy.linalg", "jax.scipy.linalg"),
           ("jax.random", "jax.random"), ("jax", "jax"))


def function_name(fn: Callable[..., Any]) -> str:
    """`jnp.add`, `lax.dot`, or the function's own name."""
    mod = getattr(fn, "__module__", None) or ""
    base = getattr(fn, "__name__", None) or type(fn).__name__
    if mod.partition(".")[0] == "jax":
        for short, public in _PUBLIC:
            if getattr(sys.modules.get(public), base, None) is fn:
                return f"{short}.{base}"
    short = {"jax.numpy": "jnp", "jax.lax": "lax"}.get(mod, mod)
    short = "jnp" + short[len("jax.numpy"):] if short.startswith("jax.numpy.") else short
    return f"{short}.{base}" if short.startswith(("jnp", "lax", "jax")) else base


def problem(fn: Callable[..., Any], args: Sequence[Any], named: Mapping[str, Any],
            options: Mapping[str, Any], surface: Surface) -> Problem:
    """The one `Problem` for a library call: inputs by position and by name, and the vmap
    options (`in_axes`, `out_axes`, `levels_in`, `levels_out`, `ranks`, `batch`,
    `axis_size`, `static`, `name`)."""
    if not callable(fn):
        raise UsageError(f"{fn!r} is not a function", "pass the function to vmap first")
    name = options.get("name") or function_name(fn)
    names = positional_names(fn, len(args))
    if len(args) > len(names):
        raise UsageError(f"{len(args)} inputs given but {name} takes {len(names)}",
                         "give one input per positional parameter")
    given = {n: to_spec(a) for n, a in zip(names, args)}
    for n, value in named.items():
        if n in given:
            raise UsageError(f"{n!r} is given twice (by position and by name)",
                             f"give {n} once")
        given[n] = to_spec(value)
    return build(Request(fn, name, given, _levels(options, "in"), _levels(options, "out"),
                         options.get("ranks"), options.get("batch"),
                         options.get("axis_size"), dict(options.get("static") or {}),
                         surface))


def _levels(options: Mapping[str, Any], side: str) -> tuple[Any, ...]:
    """`levels_in` (a list, outermost first) or `in_axes` (one vmap); () when neither is given."""
    levels = options.get(f"levels_{side}")
    if levels is not None:
        return tuple(levels)
    axes = options.get(f"{side}_axes", UNSET)
    return () if axes is UNSET else (axes,)


UNSET: Any = object()


def resolve_twin(manual: Any, fn: Callable[..., Any], fn_name: str
                 ) -> tuple[Callable[..., Any] | None, str | None]:
    """The hand-batched twin and its label: a function as it is; a bare name looked up in
    `fn`'s module; else a function spec (`path/file.py:fn`, `pkg.mod:fn`, `jnp.NAME`)."""
    if manual is None:
        return None, None
    if callable(manual):
        return manual, getattr(manual, "__name__", "manual")
    if not isinstance(manual, str):
        raise UsageError(f"manual={manual!r} is not a function",
                         "give the hand-batched function, or its name")
    module = home(fn)[0]
    if manual.isidentifier() and callable(getattr(module, manual, None)):
        return getattr(module, manual), manual
    from vmapx._text.target import resolve

    try:
        target = resolve(manual)
    except TargetError as err:
        if not manual.isidentifier():
            raise
        raise TargetError(f"cannot resolve {manual!r}: {fn_name}'s module has no function "
                          "by that name, and it is not a function spec",
                          "name a function in that module, or give path/file.py:fn "
                          f"({err.hint})") from None
    return target.fn, target.attr
