"""vmapx's Python API: `shape`, `jaxpr` and `bench`, one convention for all three.

Inputs go by position or by parameter name (`inputs={...}` for names that clash with these
keywords): shape tuples, spec strings (`"f32[2,3]"`), `jax.ShapeDtypeStruct`s, arrays, or
pytrees (dicts, lists, tuples) of these; `None` borrows the first mapped argument's per-example
shape. Each call builds one `Problem` and runs one analysis; it leaves the caller's JAX settings
as it found them. The CLI calls these same functions.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from vmapx._problem.binding import positional_names
from vmapx._problem.problem import Problem, Request, build
from vmapx._problem.surface import Surface
from vmapx._text.inputs import to_spec
from vmapx.errors import UsageError


def function_name(fn: Callable[..., Any]) -> str:
    """`jnp.add`, `lax.dot`, or the function's own name."""
    mod = getattr(fn, "__module__", None) or ""
    short = {"jax.numpy": "jnp", "jax.lax": "lax"}.get(mod, mod)
    base = getattr(fn, "__name__", None) or type(fn).__name__
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
    axes = options.get(f"{side}_axes", _UNSET)
    return () if axes is _UNSET else (axes,)


_UNSET: Any = object()


def shape(fn: Callable[..., Any], *args: Any, in_axes: Any = _UNSET, out_axes: Any = _UNSET,
          batch: int | None = None, axis_size: int | None = None,
          static: Mapping[str, Any] | None = None, ranks: Any = None, explore: bool = False,
          levels_in: list | None = None, levels_out: list | None = None,
          name: str | None = None, inputs: Mapping[str, Any] | None = None,
          _surface: Surface | None = None, **named: Any) -> Any:
    """What `jax.vmap(fn, in_axes, out_axes)` does to these inputs, found without running it.

    Arguments:
        fn: the function to vmap.
        *args, **named: its inputs (see the module docstring); `inputs` for names that clash.
        in_axes, out_axes: as for `jax.vmap` (default 0); `levels_in`/`levels_out` instead give
            a nest of vmaps, outermost first.
        batch: the shapes are per-example; `batch` is inserted at each mapped input's in_axis.
        axis_size: the batch size when nothing is mapped. static: non-array arguments by name.
        ranks: base ranks (a tuple, or a dict by name): a nest of vmaps as jax_autovmap builds.
        explore: also try every outermost in_axes combination.

    Returns a `ShapeReport` (`.ok`, `.outputs`, `.error`, `.to_json()`; it renders as tables in
    Jupyter). Raises `vmapx.UsageError`/`SpecError` for inputs that do not fit the function.

        >>> vmapx.shape(jnp.add, (2, 3, 5), None, in_axes=(0, None)).outputs[0].shape
        (2, 3, 5)
    """
    from vmapx._analysis.shape import analyze

    options = dict(in_axes=in_axes, out_axes=out_axes, batch=batch, axis_size=axis_size,
                   static=static, ranks=ranks, levels_in=levels_in, levels_out=levels_out,
                   name=name)
    surface = _surface or Surface("shape", cli=False)
    p = problem(fn, args, {**(inputs or {}), **named}, options, surface)
    return analyze(p, explore)
