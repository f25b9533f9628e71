"""Bind the given inputs to a function's parameters: names, order, statics, borrowed shapes.

Arguments are named by parameter name, or `a`, `b`, … by position (needed for `*args`
functions such as `jnp.add`). Positional parameters given a shape are the arrays vmap maps, in
order; keyword-only ones are passed by keyword (vmap maps them on axis 0); statics may sit
anywhere in the signature and are put back in their own place when the function is called, so a
static bound by name never shifts the arrays. An argument given no shape borrows the per-example
shape of the first mapped one. No jax here.
"""

from __future__ import annotations

import inspect
import string
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Mapping

from vmapx._problem.placing import per_arg
from vmapx._problem.surface import Surface
from vmapx._text.declared import home
from vmapx._text.objects import object_for, ref_to
from vmapx._text.specs import DEFAULT_DTYPE, ShapeSpec, format_shape
from vmapx.errors import UsageError


@dataclass(frozen=True)
class Arg:
    """One array argument: its name and a pytree of `ShapeSpec`s (a lone spec for an array)."""

    name: str
    tree: Any
    keyword: bool = False
    borrowed_from: str | None = None
    example: tuple[int, ...] | None = None   # a borrowed shape: the per-example shape it took


@dataclass(frozen=True)
class Bound:
    """The arrays in call order, the keyword-only ones, and where each static goes.

    `slots` lists the leading positional parameters as they are called: a static's name, or
    None for the next array; the arrays left over follow; `keywords` are statics passed by name.
    """

    args: tuple[Arg, ...]
    kwargs: tuple[Arg, ...]
    static: Mapping[str, Any]
    slots: tuple[str | None, ...]
    keywords: tuple[str, ...]

    @property
    def all(self) -> tuple[Arg, ...]:
        return self.args + self.kwargs


def letters(n: int) -> list[str]:
    """`a`, `b`, …, `z`, `a1`, `b1`, …: names for the arguments of a `*args` function."""
    abc = string.ascii_lowercase
    return [abc[i % 26] + (str(i // 26) if i >= 26 else "") for i in range(n)]


@dataclass(frozen=True)
class _Params:
    positional: list[str]       # named positional parameters, in order
    required: list[str]         # positional ones without a default
    keyword_only: set[str]
    required_kw: list[str]
    var_positional: bool        # takes *args (or no signature could be read)
    positional_only: set[str]
    any_keyword: bool = True    # takes **kwargs (or no signature could be read)


def _params(fn: Callable[..., Any]) -> _Params:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return _Params([], [], set(), [], True, set())
    pos = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    kw = [p for p in params if p.kind == p.KEYWORD_ONLY]
    return _Params([p.name for p in pos], [p.name for p in pos if p.default is p.empty],
                   {p.name for p in kw}, [p.name for p in kw if p.default is p.empty],
                   any(p.kind == p.VAR_POSITIONAL for p in params) or not pos,
                   {p.name for p in pos if p.kind == p.POSITIONAL_ONLY},
                   any(p.kind == p.VAR_KEYWORD for p in params))


def _arity(fn: Callable[..., Any]) -> int | None:
    """How many positional arrays an `*args` function takes, where it says (ufuncs' `nin`)."""
    nin = getattr(fn, "nin", None)
    return nin if isinstance(nin, int) else None


def bind(fn: Callable[..., Any], given: Mapping[str, Any], in_axes0: Any,
         static: Mapping[str, Any], batch: int | None, fn_name: str, surface: Surface) -> Bound:
    """Order the given inputs as the function's arguments and fill missing shapes by borrowing.

    Raises `UsageError` for inputs that do not fit the function, `VmapFailure` where the
    borrowing itself meets a structural failure (in_axes of the wrong length).
    """
    ps = _params(fn)
    n_axes = len(in_axes0) if isinstance(in_axes0, (tuple, list)) else 0
    keyword = {n: v for n, v in given.items() if n in ps.keyword_only}
    positional = {n: v for n, v in given.items() if n not in keyword}
    nin = _arity(fn)
    if nin is not None and len(positional) > nin:
        raise UsageError(f"{fn_name} takes {nin} arguments but {len(positional)} shapes are "
                         f"given", f"give {', '.join(surface.option(n).rstrip('=') for n in letters(nin))} only")
    names = _names(ps, positional, n_axes, nin)
    positional = _letter_aliases(positional, names)
    unknown = [n for n in positional if n not in names]
    if unknown:
        typo = surface.option_typo(unknown[0])
        if typo:  # the option's name first: `--inaxes` is far likelier `--in-axes` mistyped
            raise UsageError(f"{surface.option(unknown[0])} is not an option: did you mean "
                             f"{typo}? ({fn_name} has no parameter {unknown[0]!r} either)",
                             f"write {typo}; " + _known_hint(ps, names, fn_name, surface))
        raise UsageError(f"{fn_name} has no parameter {unknown[0]!r}",
                         _known_hint(ps, names, fn_name, surface))
    _check_statics(ps, static, fn_name, surface)
    both = [n for n in given if n in static] + [n for n in positional if n in static]
    if both:
        raise UsageError(f"{both[0]!r} is given both a shape and --static" if surface.cli else
                         f"{both[0]!r} is given both a shape and a static value",
                         f"drop {surface.option(both[0]).rstrip('=')} or "
                         f"{surface.static(both[0], '…')}")
    if ps.positional:
        required = [n for n in ps.required if n not in static]
        last = max([names.index(n) for n in positional] + [names.index(n) for n in required]
                   + [-1])
        order = [n for n in names[: max(last + 1, n_axes)] if n not in static]
    else:
        order = names[: (nin if nin is not None else max(len(positional), n_axes))]
    missing_kw = [n for n in ps.required_kw if n not in keyword and n not in static]
    if missing_kw:
        raise UsageError(f"{fn_name}: no shape for keyword-only {missing_kw[0]!r}",
                         f"give it a shape ({surface.arg(missing_kw[0], 'f32[3]')}) or "
                         f"{surface.static(missing_kw[0])}")
    module = home(fn)[0]
    if module is not None and module.__name__.split(".")[0] in ("jax", "jaxlib", "numpy"):
        module = None  # objects to suggest live in the user's modules only
    args = _borrow(order, positional, in_axes0, batch, fn_name, surface, module)
    kwargs = tuple(Arg(n, keyword[n], keyword=True) for n in sorted(keyword))
    slots, keywords = _slots(ps, names, order, static)
    return Bound(tuple(args), kwargs, dict(static), slots, keywords)


def positional_names(fn: Callable[..., Any], count: int) -> list[str]:
    """Names for the first `count` positional arguments: parameter names, then letters for
    what `*args` takes (`jnp.add`'s are `a`, `b`)."""
    ps = _params(fn)
    return _names(ps, {}, count, None)[:count] if ps.var_positional else ps.positional[:count]


def _names(ps: _Params, positional: Mapping[str, Any], n_axes: int, nin: int | None) -> list[str]:
    """The positional parameters' names, then letters for the positions `*args` takes."""
    named = ps.positional
    if not ps.var_positional:
        return list(named)
    extras = [n for n in positional if n not in named]
    want = nin if nin is not None else max(len(named) + len(extras), n_axes, 1)
    return named + letters(want)[len(named):]


def _check_statics(ps: _Params, static: Mapping[str, Any], fn_name: str, surface: Surface
                   ) -> None:
    """A static must name one of the function's parameters (unless it takes **kwargs)."""
    if ps.any_keyword:
        return
    known = ps.positional + sorted(ps.keyword_only)
    for name in static:
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, known, n=1)
            raise UsageError(f"{fn_name} has no parameter {name!r} for a static value",
                             (f"did you mean {surface.static(close[0], '…')}? " if close else "")
                             + f"its parameters are {', '.join(known) or 'none'}")


def _known_hint(ps: _Params, names: list[str], fn_name: str, surface: Surface) -> str:
    if not ps.positional:
        return (f"{fn_name} takes positional arguments: name them --a, --b, --c, … in order"
                if surface.cli else f"{fn_name} takes positional arguments: pass them in order")
    return f"its arguments are {', '.join(surface.option(n).rstrip('=') for n in names)}"


def _letter_aliases(given: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
    """`--a`, `--b`, … name arguments by position for any function (`jnp.sin --a 3` is x),
    except where the letter is itself one of its parameter names."""
    out: dict[str, Any] = {}
    abc = letters(len(names))
    for name, spec in given.items():
        if name not in names and name in abc and names[abc.index(name)] not in given:
            name = names[abc.index(name)]
        if name in out:
            raise UsageError(f"argument {name!r} is given twice (by name and by position)",
                             f"give --{name} once")
        out[name] = spec
    return out


def _slots(ps: _Params, names: list[str], order: list[str], static: Mapping[str, Any]
           ) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    """Where each static goes: in its positional slot when an array comes after it (or it is
    positional-only), else by keyword."""
    last = max([names.index(n) for n in order] + [-1])
    last = max([last] + [names.index(n) for n in static if n in ps.positional_only])
    slots = tuple(n if n in static else None for n in names[: last + 1])
    keywords = tuple(n for n in static if n not in slots)
    return slots, keywords


def _is_axis(a: Any) -> bool:
    return hasattr(a, "__index__") and not isinstance(a, bool)


def _borrow(order: list[str], given: Mapping[str, Any], in_axes: Any, batch: int | None,
            fn_name: str, surface: Surface, module: ModuleType | None = None) -> list[Arg]:
    axes = per_arg(in_axes, len(order))
    missing = [n for n in order if given.get(n) is None]
    if not missing:
        return [Arg(n, given[n]) for n in order]
    if axes is None:  # in_axes of the wrong length: placing reports it, with every shape known
        axes = [None] * len(order)
    # borrow from the first mapped array argument with a shape, else the first with a shape
    arrays = [(n, given[n], ax) for n, ax in zip(order, axes) if isinstance(given.get(n), ShapeSpec)]
    source = next((s for s in arrays if s[2] is not None), arrays[0] if arrays else None)
    if source is None:
        raise UsageError(
            f"{fn_name}: no shape for {', '.join(missing)}, and no argument with a shape to "
            "borrow one from", "give each a shape, e.g. " + _example(fn_name, order, given, surface, module))
    src_name, src, src_ax = source
    example, size = src.shape, None
    rank = len(src.shape)
    if _is_axis(src_ax) and batch is None and -rank <= src_ax < rank:  # else placing says why
        at = src_ax % rank
        example, size = src.shape[:at] + src.shape[at + 1:], src.shape[at]
    out = []
    for n, ax in zip(order, axes):
        if given.get(n) is not None:
            out.append(Arg(n, given[n]))
            continue
        shape = example
        if size is not None and _is_axis(ax):  # mapped: it gets the batch too, at its own axis
            at = ax if ax >= 0 else ax + len(example) + 1
            if not 0 <= at <= len(example):
                raise UsageError(
                    f"{fn_name}: {n} borrows {src_name}'s per-example shape"
                    f" {format_shape(example)}, but its in_axis {ax} does not fit that",
                    "give it a shape, e.g. " + _example(fn_name, order, given, surface))
            shape = example[:at] + (size,) + example[at:]
        out.append(Arg(n, ShapeSpec(tuple(shape), src.dtype or DEFAULT_DTYPE),
                       borrowed_from=src_name, example=tuple(example)))
    return out


def _example(fn_name: str, order: list[str], given: Mapping[str, Any], surface: Surface,
             module: ModuleType | None = None) -> str:
    """A call giving every argument: its shape, an object in the module that could hold it
    (`--params @mod:init_params`, for a pytree), else a placeholder shape."""
    parts = []
    for n in order:
        found = object_for(module, n, any_init=n == order[0]) if module is not None else None
        spec = str(given[n]) if isinstance(given.get(n), ShapeSpec) else \
            ref_to(module, fn_name, found) if found else "f32[3]"
        parts.append(surface.arg(n, spec))
    return surface.call(fn_name, parts)


def with_statics(fn: Callable[..., Any], bound: Bound) -> Callable[..., Any]:
    """`fn` as a function of the arrays alone: each static put back in its own place."""
    if not bound.static:
        return fn
    static, slots = bound.static, bound.slots
    named = {n: static[n] for n in bound.keywords}

    def call(*arrays: Any, **kwargs: Any) -> Any:
        it = iter(arrays)
        return fn(*[static[s] if s is not None else next(it) for s in slots], *it,
                  **named, **kwargs)

    call.__name__ = getattr(fn, "__name__", "f")
    call.__qualname__ = getattr(fn, "__qualname__", call.__name__)
    return call
