"""Place the batch axes of a nest of vmaps over pytree arguments: the structural half, no jax.

`args` are the bound arguments (`binding.Arg`: a name and a pytree of shape specs).

Levels are outermost first. Each level's in_axes is one entry per positional argument (or one
int/None for all), each entry a pytree prefix of its argument; keyword arguments are always
mapped on axis 0, as `jax.vmap` does. Failures are `VmapFailure`s in the user's names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Iterator

from vmapx._problem.surface import Surface
from vmapx._text.specs import format_shape
from vmapx._text.trees import Node, is_tree, leaves
from vmapx.errors import VmapFailure


@dataclass(frozen=True)
class Leaf:
    """One array leaf of one argument: `params['W']` is arg `params`, path `['W']`."""

    arg: str
    path: str
    shape: tuple[int, ...]
    dtype: str
    keyword: bool = False

    @property
    def name(self) -> str:
        return self.arg + self.path


@dataclass(frozen=True)
class Level:
    """One vmap of the nest (level 0 is the outermost): its axes as passed to `jax.vmap`, its
    batch size, and per leaf the shape it is called with and the resolved axis it maps."""

    index: int
    in_axes: Any
    out_axes: Any
    size: int
    axes: tuple[int | None, ...]
    shapes: tuple[tuple[int, ...], ...]


def per_arg(in_axes: Any, n: int) -> list[Any] | None:
    """in_axes as one entry per argument, or None when its length does not match."""
    if isinstance(in_axes, (tuple, list)):
        return list(in_axes) if len(in_axes) == n else None
    return [in_axes] * n


def length_failure(in_axes: Any, names: list[str], surface: Surface) -> VmapFailure:
    """The failure for in_axes with a different number of entries than arguments."""
    fixed = ",".join(["0"] * len(names))
    return VmapFailure(
        "in_axes_length",
        f"in_axes has {len(in_axes)} entries but the function is given {len(names)} "
        f"argument{'s' * (len(names) != 1)} ({', '.join(names)})",
        f"give one entry per argument, e.g. {surface.set('in_axes', fixed)}, or one int for all",
        short=f"{len(in_axes)} in_axes for {len(names)} args")


def check_axis(name: str, shape: tuple[int, ...], dtype: str, ax: int, batch: int | None,
               surface: Surface, at: str = "") -> int:
    """`ax` resolved against `shape` (with --batch, against the shape with the batch inserted);
    the axis_out_of_range failure when it does not fit."""
    rank = len(shape) + (batch is not None)
    if -rank <= ax < rank:
        return ax % rank
    if batch is not None:
        raise VmapFailure(
            "axis_out_of_range",
            f"in_axis {ax} for {name} is out of range: with {surface.option('batch').rstrip('=')},"
            f" its per-example shape {format_shape(shape, dtype)} becomes rank {rank}, so "
            f"its in_axis can be -{rank}..{rank - 1} or None",
            f"pick an axis of {name} in range", short=f"{name} has no axis {ax}")
    valid = f"-{rank}..{rank - 1} or None" if rank else "only None (it is a scalar)"
    hint = f"pick an axis of {name} in range"
    hint += (" (each level sees the shapes left by the levels outside it)" if at else
             f", or pass {surface.set('batch', 'N')} to say the shapes are per-example")
    raise VmapFailure(
        "axis_out_of_range",
        f"in_axis {ax} for {name}{at} is out of range: {'there it' if at else name} is "
        f"{format_shape(shape, dtype)} (rank {rank}), so its in_axis can be {valid}",
        hint, short=f"{name} has no axis {ax}{at}")


def _describe(tree: Any) -> str:
    if isinstance(tree, dict):
        return "a dict with keys " + ", ".join(repr(k) for k in sorted(tree))
    if isinstance(tree, (list, tuple)):
        return f"a {type(tree).__name__} of {len(tree)}"
    if isinstance(tree, Node):
        return f"a {tree.kind} ({', '.join(tree.keys)})"
    return f"an array {tree}" if tree is not None else "an array"


def broadcast_prefix(prefix: Any, tree: Any, label: str, what: str = "in_axes") -> list[Any]:
    """One value per leaf of `tree` from a pytree prefix; a mismatch names the key path."""
    if isinstance(tree, Node) and prefix is not None and not isinstance(prefix, int):
        return _node_prefix(prefix, tree, label, what)
    if not is_tree(prefix):
        return [prefix for _ in leaves(tree)]

    def fail(detail: str, fix: str) -> VmapFailure:
        return VmapFailure(
            "pytree_prefix",
            f"the {what} entry for {label.split('[')[0]} ({json.dumps(prefix)}) "
            f"is not a tree prefix of the argument: at {label}, {detail}",
            fix, short=f"{what} does not fit {label}")

    if isinstance(prefix, dict):
        if not isinstance(tree, dict):
            raise fail(f"{what} has a dict but the argument is {_describe(tree)}",
                       f"give {label} one int or None, or a structure matching it")
        missing = sorted(set(tree) - set(prefix))
        extra = sorted(set(prefix) - set(tree))
        if missing or extra:
            said = []
            if missing:
                said.append("missing key" + "s" * (len(missing) > 1) + " "
                            + ", ".join(repr(k) for k in missing) + " (in the argument)")
            if extra:
                said.append("extra key" + "s" * (len(extra) > 1) + " "
                            + ", ".join(repr(k) for k in extra) + " (not in the argument)")
            keys = ", ".join(f'"{k}": …' for k in sorted(tree))
            raise fail(f"{what} has {' and '.join(said)}",
                       f"give every key of {label} and no other: {{{keys}}}, or one int/None "
                       f"for the whole of {label}")
        return [v for k in sorted(tree)
                for v in broadcast_prefix(prefix[k], tree[k], f"{label}['{k}']", what)]
    if not isinstance(tree, (list, tuple)):
        raise fail(f"{what} has a list but the argument is {_describe(tree)}",
                   f"give {label} one int or None, or a structure matching it")
    if len(prefix) != len(tree):
        raise fail(f"{what} has a list of {len(prefix)} but the argument is "
                   f"{_describe(tree)}",
                   f"give one entry per element of {label}, or one int/None for all of it")
    return [v for i, (p, t) in enumerate(zip(prefix, tree))
            for v in broadcast_prefix(p, t, f"{label}[{i}]", what)]


def _node_prefix(prefix: Any, tree: Node, label: str, what: str) -> list[Any]:
    """A prefix for a container only JAX knows (a NamedTuple, a dataclass): split one level by
    JAX's own treedef of the argument, so it matches exactly when jax.vmap's would."""
    try:
        parts = tree.rebuild.flatten_up_to(prefix)
    except (ValueError, TypeError):
        raise VmapFailure(
            "pytree_prefix", f"the {what} entry for {label.split('[')[0].split('.')[0]} "
            f"({prefix!r}) is not a tree prefix of the argument: at {label}, the argument is "
            f"{_describe(tree)}", f"give {label} one int or None, or a {tree.kind} of them",
            short=f"{what} does not fit {label}") from None
    return [v for key, p, t in zip(tree.keys, parts, tree.children)
            for v in broadcast_prefix(p, t, label + key, what)]


def leaf_axes(in_axes: Any, args: tuple[Any, ...], n_kw_leaves: int, surface: Surface
              ) -> list[Any]:
    """This level's raw axis for every leaf (positional args' leaves, then keyword args')."""
    if isinstance(in_axes, dict):
        names = [a.name for a in args]
        fix = (f"'[{json.dumps(in_axes)}]'" if len(names) == 1 else
               f"'{json.dumps(in_axes)}{',0' * (len(names) - 1)}' ({', '.join(names)})")
        raise VmapFailure(
            "in_axes_dict",
            f"in_axes is a dict ({json.dumps(in_axes)}); vmap takes a dict only as one entry of "
            "a tuple, one entry per positional argument, so it rejects a dict as the whole "
            "in_axes",
            "wrap it in a tuple, one entry per argument: " + (
                f"--in-axes {fix}" if surface.cli else f"in_axes=({json.dumps(in_axes)}, …)"),
            short="in_axes is a dict")
    if isinstance(in_axes, (tuple, list)):
        if len(in_axes) != len(args):
            raise length_failure(tuple(in_axes), [a.name for a in args], surface)
        entries = list(in_axes)
    else:
        entries = [in_axes] * len(args)
    out = []
    for arg, entry in zip(args, entries):
        out += broadcast_prefix(entry, arg.tree, arg.name)
    for entry in out:  # exactly what jax.vmap takes: no bool, no numpy integer
        if entry is not None and (type(entry) is not int):
            raise VmapFailure(
                "other", f"in_axes holds {entry!r}, which is not an int or None: vmap takes an "
                "integer axis or None for each argument (or each leaf of a pytree)",
                f"give ints and None only, e.g. {surface.set('in_axes', '0,None')}",
                short="in_axes entry not an int")
    return out + [0] * n_kw_leaves


def _scalar_leaves(spec: Any) -> Iterator[Any]:
    """The leaves of an axes spec built of dicts, lists and tuples (other nodes: JAX's to judge)."""
    if isinstance(spec, dict):
        for value in spec.values():
            yield from _scalar_leaves(value)
    elif isinstance(spec, (list, tuple)):
        for value in spec:
            yield from _scalar_leaves(value)
    else:
        yield spec


def check_out_axes(out_axes: Any, surface: Surface) -> None:
    """jax.vmap takes ints and None as out_axes leaves; a bool, a float, a string or a numpy
    integer is refused as in_axes leaves are (JAX raises TypeError when the vmap is built)."""
    for entry in _scalar_leaves(out_axes):
        if entry is not None and type(entry) is not int and (
                isinstance(entry, (bool, float, complex, str, bytes)) or hasattr(entry, "dtype")):
            raise VmapFailure(
                "other", f"out_axes holds {entry!r}, which is not an int or None: vmap takes an "
                "integer axis or None for each output (or each leaf of a pytree output)",
                f"give ints and None only, e.g. {surface.set('out_axes', '0')}",
                short="out_axes entry not an int")


def insert_batch(leafs: list[Leaf], axes: list[Any], batch: int, surface: Surface) -> list[Leaf]:
    """--batch: each leaf's per-example shape with `batch` inserted at its in_axis (None: as
    it is)."""
    out = []
    for leaf, ax in zip(leafs, axes):
        shape = leaf.shape
        if ax is not None:
            at = check_axis(leaf.name, shape, leaf.dtype, ax, batch, surface)
            shape = shape[:at] + (batch,) + shape[at:]
        out.append(replace(leaf, shape=shape))
    return out


def place_levels(leafs: list[Leaf], args: tuple[Any, ...], levels_in: list[Any],
                 levels_out: list[Any], axis_size: int | None, surface: Surface
                 ) -> list[Level]:
    """Each level's shapes and resolved axes, outermost first, or the structural failure."""
    n_kw = sum(1 for leaf in leafs if leaf.keyword)
    shapes = [leaf.shape for leaf in leafs]
    out = []
    for out_axes in levels_out:
        check_out_axes(out_axes, surface)
    for k, in_axes in enumerate(levels_in):
        at = f" at level {k}" if len(levels_in) > 1 else ""
        raw = leaf_axes(in_axes, args, n_kw, surface)
        axes: list[int | None] = []
        for leaf, shape, ax in zip(leafs, shapes, raw):
            if ax is not None and leaf.keyword and not -len(shape) <= ax < len(shape):
                raise _kwarg_failure(leaf, f"it is {format_shape(shape, leaf.dtype)}{at}, "
                                     "with no axis 0 to map", surface)
            axes.append(None if ax is None else
                        check_axis(leaf.name, shape, leaf.dtype, ax, None, surface, at))
        entries = in_axes if isinstance(in_axes, (tuple, list)) else [in_axes] * len(args)
        whole = {arg.name for arg, entry in zip(args, entries) if isinstance(entry, int)}
        size = _level_size(leafs, shapes, axes, axis_size, at, surface, whole)
        out.append(Level(k, in_axes, levels_out[k], size, tuple(axes), tuple(shapes)))
        shapes = [s if a is None else s[:a] + s[a + 1:] for s, a in zip(shapes, axes)]
    return out


def _level_size(leafs: list[Leaf], shapes: list[tuple[int, ...]], axes: list[int | None],
                axis_size: int | None, at: str, surface: Surface, whole: set[str]) -> int:
    mapped = [(leaf, s[a], a) for leaf, s, a in zip(leafs, shapes, axes) if a is not None]
    sizes = {m[1] for m in mapped} | ({axis_size} if axis_size is not None else set())
    if len(sizes) > 1:
        kw = [m for m in mapped if m[0].keyword]
        if kw and len({m[1] for m in mapped if not m[0].keyword} | {kw[0][1]}) > 1:
            raise _kwarg_failure(kw[0][0], f"its axis 0 has size {kw[0][1]}{at}, but the batch is "
                                 + ", ".join(f"{leaf.name}[{a}]={s}" for leaf, s, a in mapped
                                             if not leaf.keyword), surface)
        tree = _unbatched_tree(mapped, shapes, leafs, at, whole)
        if tree is not None:
            raise tree
        detail = "; ".join(f"{leaf.name} is {format_shape(shapes[leafs.index(leaf)], leaf.dtype)}"
                           f" mapped on axis {a} (size {s})" for leaf, s, a in mapped)
        if axis_size is not None:
            detail += f"; {surface.option('axis_size').rstrip('=')} is {axis_size}"
        raise VmapFailure(
            "inconsistent_sizes", f"the mapped axes{at} have different sizes: {detail}",
            "map axes of the same size (see the suggestions), or fix the shapes",
            short="sizes differ: " + ", ".join(f"{leaf.name}[{a}]={s}" for leaf, s, a in mapped))
    if not mapped and axis_size is None:
        raise VmapFailure(
            "no_mapped_axis", f"every in_axes entry{at} is None, so vmap has no axis to map "
            "over and no batch size",
            f"map at least one argument (e.g. {surface.set('in_axes', '0,None')}) or give the "
            f"batch size with {surface.set('axis_size', 'N')}")
    return mapped[0][1] if mapped else axis_size


def _unbatched_tree(mapped: list[tuple[Leaf, int, int]], shapes: list[tuple[int, ...]],
                    leafs: list[Leaf], at: str, whole: set[str]) -> VmapFailure | None:
    """A pytree argument whose mapped leaves share no batch axis (a parameter tree given the
    data's in_axes): said in the user's terms, or None when no tree is to blame. `whole`: the
    arguments whose in_axes entry is one int for the whole tree."""
    trees: dict[str, list[tuple[Leaf, int, int]]] = {}
    for m in mapped:
        if m[0].path:
            trees.setdefault(m[0].arg, []).append(m)
    data = {s for leaf, s, _ in mapped if not leaf.path}
    for arg, ms in trees.items():
        sizes = {s for _, s, _ in ms}
        if len(ms) < 2 or (len(sizes) == 1 and (not data or sizes == data)):
            continue
        size = f" of size {next(iter(data))}" if len(data) == 1 else ""
        shown = [f"{leaf.name} {format_shape(shapes[leafs.index(leaf)], leaf.dtype)} has size "
                 f"{s} on axis {a}" for leaf, s, a in ms if not data or s not in data]
        more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
        mapped_data = "".join(f"; {leaf.name} is mapped with size {s}" for leaf, s, _ in mapped
                              if not leaf.path)
        return VmapFailure(
            "tree_unbatched",
            f"{arg} is a pytree of {len(ms)} arrays mapped "
            f"{'as a whole' if arg in whole else 'leaf by leaf'}{at}, but its leaves have "
            f"no common batch axis{size}: " + "; ".join(shown[:3]) + more + mapped_data,
            f"if {arg} holds parameters, the same for every example, map it with None "
            f"(parameters shared, data mapped); else give every leaf of {arg} a batch "
            f"axis{size}", short=f"{arg}: leaves have no batch axis{size}")
    return None


def _kwarg_failure(leaf: Leaf, why: str, surface: Surface) -> VmapFailure:
    return VmapFailure(
        "kwargs_mapped",
        f"{leaf.arg} is passed as a keyword argument, and vmap maps every keyword argument on "
        f"axis 0 (in_axes covers positional arguments only); {leaf.name}: {why}",
        f"pass it with {surface.static(leaf.arg)} if it is the same for every example, or make "
        f"it a positional parameter of the function so in_axes can say None for it",
        short=f"keyword {leaf.arg} mapped on axis 0")
