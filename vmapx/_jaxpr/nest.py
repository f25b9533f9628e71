"""What `vmapx jaxpr` vmaps: one argument list, or the leaves of pytree arguments and a nest.

`vmapx jaxpr` works on flat argument lists (`Placed`, one batch axis each). Pytree arguments,
pytree in_axes, keyword arguments, repeated --in-axes (a nest of vmaps) and --ranks are brought
to that form here, without changing the jaxpr JAX prints: `vmap` over pytrees is `vmap` over
their leaves (`make_jaxpr` flattens them the same way), and the outermost vmap of a nest is a
vmap of the inner ones. The structure is placed by `levels.py` / `ranks.py` (shared with
`vmapx shape`), so the same inputs give the same failures, explained the same way.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from vmapx.errors import UsageError
from vmapx._problem.binding import Arg, Placed
from vmapx._text.trees import axes_text, is_tree, unflatten_like


@dataclass
class Prepared:
    """What the outermost vmap maps: `f` over `placed` (arguments, or pytree leaves), its axes.

    `wrap` turns a function of the original (pytree) arguments into one of `placed`'s values:
    it is applied to the hand-batched twin. `example` is f itself on one example's leaves (its
    jaxpr is the per-example one), set only for a nest, where the loop is not built.
    """

    f: Callable[..., Any]
    placed: list[Placed]
    size: int
    axes: tuple[Any, ...]
    out_axes: Any
    wrap: Callable[[Callable[..., Any]], Callable[..., Any]] = lambda g: g
    levels: list[dict[str, Any]] = field(default_factory=list)  # each level's axes and size
    example: Callable[..., Any] | None = None
    example_placed: list[Placed] | None = None
    loop_note: str | None = None     # why there is no loop version, if there is none
    notes: list[str] = field(default_factory=list)


def prepare(fn: Callable[..., Any], given: Mapping[str, Any], *, fn_name: str,
            levels_in: list[Any], levels_out: list[Any], axis_size: int | None,
            static: Mapping[str, Any], ranks: Any, batch: int | None) -> Prepared:
    """Place a nest (or pytree arguments) level by level; raise its failure as vmapx shape does.

    Raises UsageError for options that cannot go together, VmapFailure (exit 1) for a nest
    that vmap would reject (pytree prefix mismatch, dict in_axes, sizes, ranks too large).
    """
    from vmapx._problem.placing import Leaf, insert_batch, leaf_axes, place_levels, plain_axes
    from vmapx._analysis.nested import example_shape_at, nest_of_vmaps, rebuild_args, arg_leaves, bind, keyword_notes
    from vmapx._problem.ranks import by_name, plan_ranks
    from vmapx._text.specs import ShapeSpec, check_size

    check_size(batch, "--batch")

    if batch is not None and (ranks is not None or len(levels_in) > 1):
        raise UsageError("--batch works with one vmap, not with nested vmaps or --ranks "
                         "(which read the batch dims off the shapes)",
                         "give the full (batched) shapes instead")
    if ranks is not None and (levels_in != [0] or levels_out != [0]):
        raise UsageError("--ranks builds the in_axes itself", "drop --in-axes/--out-axes")
    args, kwargs, kw_names = bind(fn, given, levels_in[0] if ranks is None else 0, static,
                                  fn_name)
    leafs = arg_leaves(args, kwargs, kw_names)
    notes = keyword_notes(kw_names)
    if batch is not None:  # per-example shapes: insert the batch at each leaf's in_axis
        n_kw = sum(1 for lf in leafs if lf.keyword)
        leafs = insert_batch(leafs, leaf_axes(levels_in[0], args, n_kw), batch)
        it = iter(ShapeSpec(lf.shape, lf.dtype) for lf in leafs)
        args = [(n, unflatten_like(t, it)) for n, t in args]
        kwargs = [(n, unflatten_like(t, it)) for n, t in kwargs]
    if ranks is not None:
        rank_map = by_name(ranks, [n for n, _ in args], fn_name)
        if kwargs:
            raise UsageError("--ranks covers positional arguments only",
                             f"pass {', '.join(sorted(kw_names))} positionally or with --static")
        plan = plan_ranks(args, leafs, rank_map)
        if not plan.levels_in:
            raise UsageError(f"--ranks leaves no extra leading dims on any argument of {fn_name}, "
                             "so there is no vmap to show",
                             "give an argument more dims than its base rank, or lower a rank")
        levels_in, levels_out = plan.levels_in, [0] * len(plan.levels_in)
        leafs = [Leaf(lf.arg, lf.path, s, lf.dtype) for lf, s in zip(leafs, plan.shapes)]
        args = rebuild_args(args, leafs)
        notes += [f"--ranks: level {k} in_axes ({axes_text(ax)})"
                  for k, ax in enumerate(levels_in)] + plan.notes
    placed_levels = place_levels(leafs, args, levels_in, axis_size)
    top = placed_levels[0]
    f = functools.partial(fn, **static) if static else fn

    def unflatten(values: tuple[Any, ...]) -> tuple[list[Any], dict[str, Any]]:
        it = iter(values)
        pos = [unflatten_like(t, it) for _, t in args]
        return pos, {n: unflatten_like(t, it) for n, t in kwargs}

    def wrap(g: Callable[..., Any]) -> Callable[..., Any]:
        if not kwargs and not any(is_tree(t) for _, t in args):
            return g

        @functools.wraps(g)
        def flat(*values: Any) -> Any:
            pos, kw = unflatten(values)
            return g(*pos, **kw)

        return flat

    inner = nest_of_vmaps(f, levels_in, levels_out, axis_size, 1)
    placed = [Placed(Arg(lf.name, shape, lf.dtype), ax, shape, _drop(shape, ax))
              for lf, shape, ax in zip(leafs, top.shapes, top.axes)]
    levels = [{"level": k, "in_axes": axes_text(levels_in[k]),
               "out_axes": axes_text(levels_out[k]), "size": p.size}
              for k, p in enumerate(placed_levels)]
    prep = Prepared(wrap(inner), placed, top.size, tuple(top.axes), levels_out[0], wrap, levels,
                    notes=notes)
    if len(placed_levels) > 1:
        sizes = "×".join(str(p.size) for p in placed_levels)
        prep.loop_note = (f"no loop version for a nest of {len(placed_levels)} vmaps: it would "
                          f"be {len(placed_levels)} nested loops over {sizes} examples; the "
                          "per-example jaxpr is used for the pitfalls")
    elif not plain_axes(levels_out[0]):
        prep.loop_note = (f"no loop version with pytree out_axes ({axes_text(levels_out[0])}): "
                          "the loop stacks each output on an int axis")
    if prep.loop_note is not None:  # no loop at B=1 to read the per-example jaxpr from
        prep.example = wrap(f)
        prep.example_placed = [
            Placed(Arg(lf.name, ex, lf.dtype), None, ex, ex)
            for i, lf in enumerate(leafs) for ex in [example_shape_at(placed_levels, i, lf.shape)]]
    return prep


def _drop(shape: tuple[int, ...], axis: int | None) -> tuple[int, ...]:
    return shape if axis is None else shape[:axis] + shape[axis + 1:]
