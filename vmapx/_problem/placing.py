"""Place the batch axes of a nest of vmaps over pytree arguments: the structural half, no jax.

Levels are outermost first. Each level's in_axes is one entry per positional argument (or one
int/None for all), each entry a pytree prefix of its argument; keyword arguments are always
mapped on axis 0, as `jax.vmap` does. Failures are `VmapFailure`s in the user's names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vmapx.errors import UsageError, VmapFailure
from vmapx._problem.binding import length_failure
from vmapx._text.trees import is_tree, leaves
from vmapx._text.specs import format_shape


def plain_axes(axes: Any) -> bool:
    """An int or None, or a tuple of them: what one plain vmap reads (else pytree prefixes)."""
    one = lambda a: a is None or (isinstance(a, int) and not isinstance(a, bool))  # noqa: E731
    return one(axes) or (isinstance(axes, (tuple, list)) and all(one(a) for a in axes))


def normalise_levels(in_axes: Any, out_axes: Any, levels_in: list | None,
                     levels_out: list | None) -> tuple[list[Any], list[Any]]:
    """One in_axes and one out_axes entry per level (outermost first); a single --out-axes
    serves every level."""
    levels_in = list(levels_in) if levels_in else [in_axes]
    levels_out = list(levels_out) if levels_out else [out_axes]
    if len(levels_out) == 1 and len(levels_in) > 1:
        levels_out = levels_out * len(levels_in)
    if len(levels_out) != len(levels_in):
        raise UsageError(f"{len(levels_in)} --in-axes levels but {len(levels_out)} --out-axes",
                         "give --out-axes once (the same for every level) or once per level")
    return levels_in, levels_out


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
class LevelPlacement:
    """One vmap of the nest: per leaf, the shape it is called with and its resolved axis."""

    shapes: list[tuple[int, ...]]
    axes: list[int | None]
    size: int


def _describe(tree: Any) -> str:
    if isinstance(tree, dict):
        return "a dict with keys " + ", ".join(repr(k) for k in sorted(tree))
    if isinstance(tree, list):
        return f"a list of {len(tree)}"
    return f"an array {tree}" if tree is not None else "an array"


def broadcast_prefix(prefix: Any, tree: Any, label: str, what: str = "in_axes") -> list[Any]:
    """One value per leaf of `tree` from a pytree prefix; a mismatch names the key path."""
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
    if not isinstance(tree, list):
        raise fail(f"{what} has a list but the argument is {_describe(tree)}",
                   f"give {label} one int or None, or a structure matching it")
    if len(prefix) != len(tree):
        raise fail(f"{what} has a list of {len(prefix)} but the argument is a list of {len(tree)}",
                   f"give one entry per element of {label}, or one int/None for all of it")
    return [v for i, (p, t) in enumerate(zip(prefix, tree))
            for v in broadcast_prefix(p, t, f"{label}[{i}]", what)]


def leaf_axes(in_axes: Any, args: list[tuple[str, Any]], n_kw_leaves: int) -> list[Any]:
    """This level's raw axis for every leaf (positional args' leaves, then keyword args')."""
    if isinstance(in_axes, dict):
        names = [n for n, _ in args]
        raise VmapFailure(
            "in_axes_dict",
            f"in_axes is a dict ({json.dumps(in_axes)}); vmap takes a dict only as one entry of "
            "a tuple, one entry per positional argument, so it rejects a dict as the whole "
            "in_axes",
            "wrap it in a tuple, one entry per argument: --in-axes "
            + (f"'[{json.dumps(in_axes)}]'" if len(names) == 1 else
               f"'{json.dumps(in_axes)}{',0' * (len(names) - 1)}' ({', '.join(names)})"),
            short="in_axes is a dict")
    if isinstance(in_axes, (tuple, list)):
        if len(in_axes) != len(args):
            raise length_failure(tuple(in_axes), [n for n, _ in args])
        entries = list(in_axes)
    else:
        entries = [in_axes] * len(args)
    out = []
    for (name, tree), entry in zip(args, entries):
        out += broadcast_prefix(entry, tree, name)
    return out + [0] * n_kw_leaves


def place_levels(leafs: list[Leaf], args: list[tuple[str, Any]], levels_in: list[Any],
                 axis_size: int | None) -> list[LevelPlacement]:
    """Each level's shapes and resolved axes, outermost first, or the structural failure."""
    n_kw = sum(1 for leaf in leafs if leaf.keyword)
    shapes = [leaf.shape for leaf in leafs]
    out = []
    for k, in_axes in enumerate(levels_in):
        at = f" at level {k}" if len(levels_in) > 1 else ""
        raw = leaf_axes(in_axes, args, n_kw)
        axes: list[int | None] = []
        for leaf, shape, ax in zip(leafs, shapes, raw):
            rank = len(shape)
            if ax is not None and not -rank <= ax < rank:
                if leaf.keyword:
                    raise _kwarg_failure(leaf, shape, f"it is {format_shape(shape, leaf.dtype)}"
                                         f"{at}, with no axis 0 to map")
                valid = f"-{rank}..{rank - 1} or None" if rank else "only None (it is a scalar)"
                raise VmapFailure(
                    "axis_out_of_range",
                    f"in_axis {ax} for {leaf.name}{at} is out of range: there it is "
                    f"{format_shape(shape, leaf.dtype)} (rank {rank}), so its in_axis can be "
                    f"{valid}", f"pick an axis of {leaf.name} in range"
                    + (" (each level sees the shapes left by the levels outside it)" if at else ""),
                    short=f"{leaf.name} has no axis {ax}{at}")
            axes.append(None if ax is None else ax % rank)
        mapped = [(leaf, s[a], a) for leaf, s, a in zip(leafs, shapes, axes) if a is not None]
        sizes = {m[1] for m in mapped} | ({axis_size} if axis_size is not None else set())
        if len(sizes) > 1:
            kw = [m for m in mapped if m[0].keyword]
            if kw and len({m[1] for m in mapped if not m[0].keyword} | {kw[0][1]}) > 1:
                raise _kwarg_failure(kw[0][0], shapes[leafs.index(kw[0][0])],
                                     f"its axis 0 has size {kw[0][1]}{at}, but the batch is "
                                     + ", ".join(f"{leaf.name}[{a}]={s}" for leaf, s, a in mapped
                                                 if not leaf.keyword))
            raise VmapFailure(
                "inconsistent_sizes",
                f"the mapped axes{at} have different sizes: " + "; ".join(
                    f"{leaf.name} is {format_shape(shapes[leafs.index(leaf)], leaf.dtype)} mapped"
                    f" on axis {a} (size {s})" for leaf, s, a in mapped),
                "map axes of the same size, or fix the shapes",
                short="sizes differ: " + ", ".join(f"{leaf.name}[{a}]={s}" for leaf, s, a in mapped))
        if not mapped and axis_size is None:
            raise VmapFailure("no_mapped_axis", f"every in_axes entry{at} is None, so vmap has no "
                              "axis to map over and no batch size",
                              "map at least one argument or give --axis-size N")
        size = mapped[0][1] if mapped else axis_size
        out.append(LevelPlacement(list(shapes), axes, size))
        shapes = [s if a is None else s[:a] + s[a + 1:] for s, a in zip(shapes, axes)]
    return out


def _kwarg_failure(leaf: Leaf, shape: tuple[int, ...], why: str) -> VmapFailure:
    return VmapFailure(
        "kwargs_mapped",
        f"{leaf.arg} is passed as a keyword argument, and vmap maps every keyword argument on "
        f"axis 0 (in_axes covers positional arguments only); {leaf.name}: {why}",
        f"pass it with --static {leaf.arg}=VALUE if it is the same for every example, or make "
        f"it a positional parameter of the function so in_axes can say None for it",
        short=f"keyword {leaf.arg} mapped on axis 0")


def insert_batch(leafs: list[Leaf], axes: list[Any], batch: int) -> list[Leaf]:
    """--batch: each leaf's per-example shape with `batch` inserted at its in_axis (None: as
    it is); an axis that does not fit fails as `inputs.place` does for plain arguments."""
    out = []
    for leaf, ax in zip(leafs, axes):
        shape = leaf.shape
        if ax is not None:
            rank = len(shape) + 1
            if not -rank <= ax < rank:
                raise VmapFailure(
                    "axis_out_of_range",
                    f"in_axis {ax} for {leaf.name} is out of range: with --batch, its per-example "
                    f"shape {format_shape(shape, leaf.dtype)} becomes rank {rank}, so its in_axis "
                    f"can be -{rank}..{rank - 1} or None",
                    f"pick an axis of {leaf.name} in range", short=f"{leaf.name} has no axis {ax}")
            at = ax % rank
            shape = shape[:at] + (batch,) + shape[at:]
        out.append(Leaf(leaf.arg, leaf.path, shape, leaf.dtype, leaf.keyword))
    return out
