"""Bind inputs to a function's arguments and place the batch axis: the structural half of vmap.

`plan` names the arguments (by parameter name, or `a`, `b`, … for `*args` functions), borrows
shapes for arguments given none, and `place` works out, for one choice of in_axes, each
argument's batched and per-example shape, or the structural reason vmap must fail. Nothing here
traces the function, so `--explore` can reject most combinations without calling JAX.
"""

from __future__ import annotations

import inspect
import string
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from vmapx.errors import UsageError, VmapFailure
from vmapx._text.specs import DEFAULT_DTYPE, ShapeSpec, check_size, format_shape

Axes = Any  # int | None | tuple[int | None, ...]


@dataclass(frozen=True)
class Arg:
    """One array argument as given: its shape (batched, or per-example with --batch) and dtype."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    borrowed_from: str | None = None


@dataclass(frozen=True)
class Placed:
    """One argument with its batch axis placed."""

    arg: Arg
    in_axis: int | None          # resolved (non-negative) against the batched shape
    full_shape: tuple[int, ...]  # what vmap is called with
    example_shape: tuple[int, ...]  # what the function sees


def positional_names(fn: Callable[..., Any], count: int) -> tuple[list[str], bool]:
    """The names of `fn`'s positional parameters, and whether they are letters for `*args`."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    named = [p.name for p in params
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if named:
        return named, False
    return letters(max(count, 1)), True


def letters(n: int) -> list[str]:
    """`a`, `b`, …, `z`, `a1`, `b1`, …: names for the arguments of a `*args` function."""
    abc = string.ascii_lowercase
    return [abc[i % 26] + (str(i // 26) if i >= 26 else "") for i in range(n)]


def required_names(fn: Callable[..., Any]) -> list[str]:
    """Positional parameters with no default: the arguments that must be given."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.default is p.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def arity(fn: Callable[..., Any]) -> int | None:
    """How many positional arrays an `*args` function takes, where it says (ufuncs' `nin`)."""
    nin = getattr(fn, "nin", None)
    return nin if isinstance(nin, int) else None


def plan(fn: Callable[..., Any], given: Mapping[str, ShapeSpec | None], in_axes: Axes,
         static: Mapping[str, Any], batch: int | None, fn_name: str) -> list[Arg]:
    """Order the given inputs as positional arguments and fill missing shapes by borrowing."""
    check_size(batch, "--batch")
    entries = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,)
    if not all(a is None or (hasattr(a, "__index__") and not isinstance(a, bool))
               for a in entries):
        raise UsageError(f"in_axes {in_axes!r} holds a pytree prefix, and only vmapx shape and "
                         "vmapx bench take those", "give one int or None per argument, e.g. "
                         "--in-axes 0,None")
    trees = [n for n, v in given.items() if isinstance(v, (dict, list))]
    if trees:  # nested.py takes pytrees for vmapx shape; this one vmap takes arrays only
        raise UsageError(f"{fn_name}: --{trees[0]} is a pytree, and only vmapx shape and "
                         "vmapx bench take pytree arguments",
                         f"give --{trees[0]} one array shape, e.g. --{trees[0]} f32[3,4]")
    n_axes = len(in_axes) if isinstance(in_axes, (tuple, list)) else 0
    nin = arity(fn)
    if nin is not None and len(given) > nin:
        raise UsageError(f"{fn_name} takes {nin} arguments but {len(given)} shapes are given",
                         f"give {', '.join('--' + n for n in letters(nin))} only")
    want = nin if nin is not None else max(len(given), n_axes)
    names, lettered = positional_names(fn, want)
    given = _letter_aliases(given, names)
    unknown = [n for n in given if n not in names]
    if unknown:
        raise UsageError(
            f"{fn_name} has no parameter {unknown[0]!r}",
            f"its arguments are {', '.join('--' + n for n in names)}" if not lettered else
            f"{fn_name} takes positional arguments: name them --a, --b, --c, … in order")
    if lettered:
        order = names[:want]
    else:
        required = [n for n in required_names(fn) if n not in static]
        last = max([names.index(n) for n in given] + [names.index(n) for n in required] + [-1])
        order = [n for n in names[: max(last + 1, n_axes)] if n not in static]
    for n in given:  # `order` leaves static names out, so look at every given name
        if n in static:
            raise UsageError(f"{n!r} is given both a shape and --static",
                             f"drop --{n} or --static {n}=…")
    return _borrow(order, given, in_axes, batch, fn_name)


def _letter_aliases(given: Mapping[str, ShapeSpec | None], names: list[str]
                    ) -> dict[str, ShapeSpec | None]:
    """`--a`, `--b`, … name arguments by position for any function (`jnp.sin --a 3` is x),
    except where the letter is itself one of its parameter names."""
    out: dict[str, ShapeSpec | None] = {}
    abc = letters(len(names))
    for name, spec in given.items():
        if name not in names and name in abc and names[abc.index(name)] not in given:
            name = names[abc.index(name)]
        if name in out:
            raise UsageError(f"argument {name!r} is given twice (by name and by position)",
                             f"give --{name} once")
        out[name] = spec
    return out


def _borrow(order: list[str], given: Mapping[str, ShapeSpec | None], in_axes: Axes,
            batch: int | None, fn_name: str) -> list[Arg]:
    axes = _per_arg(in_axes, len(order))
    missing = [n for n in order if given.get(n) is None]
    if axes is None:
        if missing:
            raise length_failure(in_axes, order)
        axes = [None] * len(order)  # every shape is given; `place` reports the length
    # borrow from the first mapped argument with a shape, else from the first with a shape
    with_shape = [(n, given[n], ax) for n, ax in zip(order, axes) if given.get(n) is not None]
    source = next((s for s in with_shape if s[2] is not None), with_shape[0] if with_shape else None)
    args = []
    for n, ax in zip(order, axes):
        spec = given.get(n)
        if spec is not None:
            args.append(Arg(n, spec.shape, spec.dtype or DEFAULT_DTYPE))
            continue
        if source is None:
            raise UsageError(
                f"{fn_name}: no shape for {', '.join(missing)}, and no argument with a shape to"
                " borrow one from",
                "give each a shape, e.g. " + _example_command(fn_name, order, given))
        src_name, src_spec, src_ax = source
        example = src_spec.shape
        if src_ax is not None:
            source_arg = Arg(src_name, src_spec.shape, src_spec.dtype or DEFAULT_DTYPE)
            example = _place_one(source_arg, src_ax, batch).example_shape  # raises if out of range
        if batch is None and ax is not None:
            ax_r = ax if ax >= 0 else ax + len(example) + 1
            if not 0 <= ax_r <= len(example):
                raise UsageError(
                    f"{fn_name}: {n} borrows {src_name}'s per-example shape"
                    f" {format_shape(example)}, but its in_axis {ax} does not fit that",
                    "give it a shape, e.g. " + _example_command(fn_name, order, given))
            # it is mapped: give it the batch too, at its own axis, with the source's size
            size = src_spec.shape[src_ax % len(src_spec.shape)] if src_ax is not None else None
            if size is None:  # nothing mapped to take a size from: leave it per-example
                args.append(Arg(n, tuple(example), src_spec.dtype or DEFAULT_DTYPE, src_name))
                continue
            example = example[:ax_r] + (size,) + example[ax_r:]
        args.append(Arg(n, tuple(example), src_spec.dtype or DEFAULT_DTYPE, borrowed_from=src_name))
    return args


def _example_command(fn_name: str, order: list[str], given: Mapping[str, ShapeSpec | None]) -> str:
    parts = [f"--{n} {given[n] if given.get(n) is not None else 'f32[3]'}" for n in order]
    return f"vmapx shape {fn_name} " + " ".join(parts)


def _per_arg(in_axes: Axes, n: int) -> list[int | None] | None:
    """in_axes as one entry per argument, or None when its length does not match."""
    if isinstance(in_axes, (tuple, list)):
        return list(in_axes) if len(in_axes) == n else None
    return [in_axes] * n


def length_failure(in_axes: tuple, names: list[str]) -> VmapFailure:
    """The failure for in_axes with a different number of entries than arguments."""
    fixed = ",".join(["0"] * len(names))
    return VmapFailure(
        "in_axes_length",
        f"in_axes has {len(in_axes)} entries but the function is given {len(names)} "
        f"argument{'s' * (len(names) != 1)} ({', '.join(names)})",
        f"give one entry per argument, e.g. --in-axes {fixed}, or one int for all",
        short=f"{len(in_axes)} in_axes for {len(names)} args")


def place(args: list[Arg], in_axes: Axes, batch: int | None, axis_size: int | None
          ) -> tuple[list[Placed], int]:
    """Place the batch axis for one in_axes choice; return the placed args and the batch size.

    Raises `VmapFailure` for the structural failures: in_axes of the wrong length, an axis out of
    range, no mapped axis, inconsistent batch sizes.
    """
    check_size(axis_size, "--axis-size")
    axes = _per_arg(in_axes, len(args))
    if axes is None:
        raise length_failure(in_axes, [a.name for a in args])
    placed = []
    for arg, ax in zip(args, axes):
        placed.append(_place_one(arg, ax, batch))
    mapped = [(p, p.full_shape[p.in_axis]) for p in placed if p.in_axis is not None]
    if not mapped:
        if axis_size is None:
            raise VmapFailure("no_mapped_axis",
                              "every in_axes entry is None, so vmap has no axis to map over "
                              "and no batch size",
                              "map at least one argument (e.g. --in-axes 0,None) or give the "
                              "batch size with --axis-size N")
        return placed, axis_size
    sizes = {size for _, size in mapped} | ({axis_size} if axis_size is not None else set())
    if len(sizes) > 1:
        detail = "; ".join(f"{p.arg.name} is {format_shape(p.full_shape, p.arg.dtype)} mapped on"
                           f" axis {p.in_axis} (size {s})" for p, s in mapped)
        if axis_size is not None:
            detail += f"; --axis-size is {axis_size}"
        raise VmapFailure("inconsistent_sizes",
                          f"the mapped axes have different sizes: {detail}",
                          "map axes of the same size (see the suggestions), or fix the shapes",
            short="sizes differ: " + ", ".join(f"{p.arg.name}[{p.in_axis}]={s}" for p, s in mapped))
    return placed, mapped[0][1]


def _place_one(arg: Arg, ax: int | None, batch: int | None) -> Placed:
    if ax is None:
        return Placed(arg, None, arg.shape, arg.shape)
    shape = arg.shape
    if batch is None:
        rank = len(shape)
        if not -rank <= ax < rank:
            valid = f"-{rank}..{rank - 1} or None" if rank else "only None (it is a scalar)"
            raise VmapFailure(
                "axis_out_of_range",
                f"in_axis {ax} for {arg.name} is out of range: {arg.name} is "
                f"{format_shape(shape, arg.dtype)} (rank {rank}), so its in_axis can be {valid}",
                f"pick an axis of {arg.name} in range, or pass --batch N to say the shapes are "
                "per-example", short=f"{arg.name} has no axis {ax}")
        r = ax % rank
        return Placed(arg, r, shape, shape[:r] + shape[r + 1:])
    rank = len(shape) + 1  # --batch: the shape is per-example; N is inserted at the axis
    if not -rank <= ax < rank:
        raise VmapFailure(
            "axis_out_of_range",
            f"in_axis {ax} for {arg.name} is out of range: with --batch, {arg.name}'s "
            f"per-example shape {format_shape(shape, arg.dtype)} becomes rank {rank}, so its "
            f"in_axis can be -{rank}..{rank - 1} or None",
            f"pick an axis of {arg.name} in range", short=f"{arg.name} has no axis {ax}")
    r = ax % rank
    return Placed(arg, r, shape[:r] + (batch,) + shape[r:], shape)


def resolve(fn: Callable[..., Any], given: Mapping[str, ShapeSpec | None], in_axes: Axes,
            static: Mapping[str, Any], batch: int | None, axis_size: int | None, fn_name: str
            ) -> tuple[list[Placed], int]:
    """`plan` then `place`: the arguments with their batch axes placed, and the batch size."""
    return place(plan(fn, given, in_axes, static, batch, fn_name), in_axes, batch, axis_size)


def structs(placed: list[Placed], example: bool = False) -> list[Any]:
    """`jax.ShapeDtypeStruct`s of the batched shapes (or the per-example ones)."""
    import jax
    import jax.numpy as jnp

    return [jax.ShapeDtypeStruct(p.example_shape if example else p.full_shape,
                                 jnp.dtype(p.arg.dtype)) for p in placed]
