"""Base ranks → a nest of vmaps, as jax_autovmap builds it (seed 003). No jax import here.

Each leaf has `ndim - rank` extra leading dims. The deepest leaf sets the number of levels;
leading dims are right-aligned, as NumPy broadcasts: a leaf with c extra dims is mapped on
axis 0 by the innermost c levels. At a level where some mapped leaf has size > 1, a leaf of
size 1 broadcasts: that dim is squeezed away and the leaf is not mapped there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vmapx.errors import UsageError, VmapFailure
from vmapx._problem.placing import Leaf, broadcast_prefix
from vmapx._text.trees import is_tree, leaves, unflatten_like
from vmapx._text.specs import format_shape


@dataclass(frozen=True)
class RankPlan:
    """The nest jax_autovmap would build: per level (outermost first) each argument's in_axes."""

    extra: list[int]                     # extra leading dims per leaf
    levels_in: list[tuple[Any, ...]]     # per level, one in_axes entry per argument
    shapes: list[tuple[int, ...]]        # per leaf, after squeezing the broadcast size-1 dims
    batch_shape: tuple[int, ...]         # the leading dims of every output
    notes: list[str]


def by_name(ranks: Any, order: list[str], fn_name: str, params: list[str] | None = None
            ) -> dict[str, Any]:
    """Positional (tuple) or named (dict) ranks → {argument: rank} for the given arguments.

    `params` are all the function's positional parameters: as jax_autovmap documents, a rank
    of None means "not vmapped", so a None may go to a parameter given as a static or left to
    its default, by name or by position (one entry per parameter: `--ranks 2,None,1`).
    """
    params = list(params or [])
    not_given = [p for p in params if p not in order]   # statics and defaulted parameters
    if isinstance(ranks, dict):
        unknown = [n for n in ranks if n not in order]
        for n in unknown:
            if n in not_given and ranks[n] is None:
                continue
            if n in not_given:
                raise UsageError(f"--ranks gives {n} rank {ranks[n]}, but {n} is not an array "
                                 f"given to {fn_name} (a static, or left to its default)",
                                 f"give {n}=None (not vmapped), or drop it from --ranks")
            raise UsageError(f"--ranks names {n!r}, which is not an argument given to "
                             f"{fn_name}", f"its arguments are {', '.join(order)}")
        return {n: r for n, r in ranks.items() if n in order}
    ranks = tuple(ranks) if isinstance(ranks, (tuple, list)) else (ranks,)
    if len(ranks) > len(order) and not_given and len(ranks) <= len(params):
        return by_name(dict(zip(params, ranks)), order, fn_name, params)
    if len(ranks) > len(order):
        raise UsageError(f"--ranks has {len(ranks)} entries but {fn_name} is given "
                         f"{len(order)} arguments ({', '.join(order)})",
                         "give one base rank per argument, in order, or name them: s=0,v=1")
    return dict(zip(order, ranks))


def plan_ranks(args: tuple[Any, ...], leafs: list[Leaf], ranks: dict[str, Any]
               ) -> RankPlan:
    """The levels for these base ranks, or the failure jax_autovmap (or vmap) would hit."""
    extra: list[int] = []
    for arg in args:
        name, tree = arg.name, arg.tree
        rank = ranks.get(name)
        per_leaf = broadcast_prefix(rank, tree, name, "ranks") if is_tree(rank) else \
            [rank for _ in leaves(tree)]
        for (path, spec), r in zip(leaves(tree), per_leaf):
            ndim = len(spec.shape)
            if r is not None and r > ndim:
                label = name + path
                raise VmapFailure(
                    "rank_too_large",
                    f"--ranks gives {label} base rank {r}, but {label} is "
                    f"{format_shape(spec.shape, spec.dtype or 'float32')} (ndim {ndim}): the base"
                    f" rank is how many trailing dims the function takes per example, so it can"
                    f" be at most {ndim}",
                    f"lower {label}'s rank to {ndim} or less, or give {label} at least {r} dims",
                    short=f"{label}: rank {r} > ndim {ndim}")
            extra.append(0 if r is None else ndim - r)
    depth = max(extra, default=0)
    shapes = [list(leaf.shape) for leaf in leafs]
    keep = [list(leaf.shape) for leaf in leafs]  # the dims left after squeezing
    consumed = [0] * len(leafs)
    levels_leaf: list[list[int | None]] = []
    batch: list[int] = []
    notes: list[str] = []
    for k in range(depth):
        inner = depth - 1 - k  # jax_autovmap counts levels from the innermost
        mapped = [i for i, c in enumerate(extra) if c > inner]
        big = sorted({shapes[i][0] for i in mapped} - {1})
        if len(big) > 1:
            detail = ", ".join(f"{leafs[i].name} {format_shape(leafs[i].shape)} has {shapes[i][0]}"
                               for i in mapped)
            raise VmapFailure(
                "inconsistent_sizes",
                f"the leading batch dims do not broadcast at level {k}: {detail} (dims are "
                "right-aligned, as in NumPy; sizes must match or be 1)",
                "fix the leading dims so they broadcast, or check the base ranks",
                short=f"level {k}: sizes {', '.join(map(str, big))} do not broadcast")
        axes: list[int | None] = [None] * len(leafs)
        for i in mapped:
            if big and shapes[i][0] == 1:
                keep[i][consumed[i]] = None
                notes.append(f"{leafs[i].name}'s dim {consumed[i]} has size 1 and broadcasts "
                             f"at level {k}: squeezed, not mapped there")
            else:
                axes[i] = 0
            consumed[i] += 1
            shapes[i] = shapes[i][1:]
        levels_leaf.append(axes)
        batch.append(big[0] if big else 1)
    levels_in = [_per_arg(args, axes) for axes in levels_leaf]
    return RankPlan(extra, levels_in, [tuple(d for d in s if d is not None) for s in keep],
                    tuple(batch), notes)


def _per_arg(args: tuple[Any, ...], axes: list[int | None]) -> tuple[Any, ...]:
    """Leaf axes → one in_axes entry per argument (one int/None where all its leaves agree)."""
    it = iter(axes)
    out = []
    for arg in args:
        sub = unflatten_like(arg.tree, it)
        values = [v for _, v in leaves(sub)]
        out.append(values[0] if len(set(values)) == 1 else sub)
    return tuple(out)
