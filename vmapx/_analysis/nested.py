"""`vmapx shape` for a nest of vmaps, pytree arguments, keyword arguments and `--ranks`.

The levels are placed structurally (`levels.py`, `ranks.py`), then traced with
`jax.eval_shape` from the innermost vmap outwards, so each level's output shapes are JAX's own.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Mapping

from vmapx._problem import binding as _inputs
from vmapx.errors import UsageError, VmapFailure
from vmapx._analysis.explain import classify
from vmapx._problem.placing import Leaf, LevelPlacement, place_levels, plain_axes
from vmapx._text.trees import is_tree, leaves, unflatten_like
from vmapx._problem.ranks import by_name, plan_ranks
from vmapx._report.shape import InputInfo, LevelInfo, OutputInfo, ShapeReport
from vmapx._text.specs import DEFAULT_DTYPE, ShapeSpec, short_dtype


def needs_nest(given: Mapping[str, Any], levels_in: list[Any], levels_out: list[Any],
               ranks: Any, fn: Callable[..., Any]) -> bool:
    """True when the one-vmap path of `shapes.analyze` cannot take these options."""
    return (ranks is not None or len(levels_in) > 1 or len(levels_out) > 1
            or any(is_tree(v) for v in given.values()) or not plain_axes(levels_in[0])
            or not plain_axes(levels_out[0]) or bool(keyword_only(fn) & set(given)))


def keyword_only(fn: Callable[..., Any]) -> set[str]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return set()
    return {p.name for p in params if p.kind == p.KEYWORD_ONLY}


def analyze_nested(fn: Callable[..., Any], given: Mapping[str, Any], *, fn_name: str,
                   levels_in: list[Any], levels_out: list[Any], axis_size: int | None,
                   static: Mapping[str, Any], ranks: Any = None, batch: int | None = None
                   ) -> ShapeReport:
    """Report on `vmap(vmap(fn, in_axes[1], …), in_axes[0], …)` (level 0 outermost)."""
    from vmapx._analysis.shape import enable_x64_if_needed

    if batch is not None:
        raise UsageError("--batch works with one plain vmap, not with nested vmaps, pytree "
                         "arguments or --ranks", "give the full (batched) shapes instead")
    if ranks is not None and (levels_in != [0] or levels_out != [0]):
        raise UsageError("--ranks builds the in_axes itself", "drop --in-axes/--out-axes")
    args, kwargs, kw_names = bind(fn, given, levels_in[0] if ranks is None else 0, static,
                                  fn_name)
    leafs = arg_leaves(args, kwargs, kw_names)
    notes = enable_x64_if_needed({leaf.name: ShapeSpec(leaf.shape, leaf.dtype) for leaf in leafs})
    notes += keyword_notes(kw_names)
    base = dict(function=fn_name, batch_size=None, inputs=[], outputs=[], out_axes_pattern=[],
                notes=notes, requested_in_axes=levels_in[0])
    given_leafs = leafs
    rank_map = None
    try:
        if ranks is not None:
            rank_map = by_name(ranks, [n for n, _ in args], fn_name)
            if kwargs:
                raise UsageError("--ranks covers positional arguments only",
                                 f"pass {', '.join(kw_names)} positionally or with --static")
            rp = plan_ranks(args, leafs, rank_map)
            levels_in, levels_out = rp.levels_in, [0] * len(rp.levels_in)
            leafs = [Leaf(lf.arg, lf.path, s, lf.dtype) for lf, s in zip(leafs, rp.shapes)]
            args = rebuild_args(args, leafs)
            notes += rp.notes
            if not levels_in:
                notes.append("no argument has extra leading dims: the function is called as is")
        placed = place_levels(leafs, args, levels_in, axis_size)
    except VmapFailure as failure:
        failure.jax_message = failure.jax_message or _jax_says(fn, static, args, kwargs, leafs,
                                                               levels_in, levels_out, axis_size)
        return _failed(base, given_leafs, failure, rank_map)
    f = functools.partial(fn, **static) if static else fn
    try:
        outs = _trace(f, fn_name, args, kwargs, leafs, placed, levels_in, levels_out, axis_size)
    except VmapFailure as failure:
        return _failed(base, given_leafs, failure, rank_map, placed, levels_in, levels_out)
    level_infos, outputs = outs
    size = placed[0].size if placed else None
    report_inputs = [InputInfo(g.name, g.shape, short_dtype(g.dtype),
                               placed[0].axes[i] if placed else None,
                               example_shape_at(placed, i, leafs[i].shape),
                               size if placed and placed[0].axes[i] is not None else None)
                     for i, g in enumerate(given_leafs)]
    pattern = []
    if len(placed) == 1 and outputs:
        from vmapx._analysis.shape import out_axes_pattern

        pattern = out_axes_pattern(outputs, size)
    return ShapeReport(**{**base, "batch_size": size, "inputs": report_inputs, "outputs": outputs,
                          "out_axes_pattern": pattern}, levels=level_infos, ranks=rank_map)


def bind(fn: Callable[..., Any], given: Mapping[str, Any], in_axes0: Any,
         static: Mapping[str, Any], fn_name: str
         ) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]], set[str]]:
    """The positional arguments in order and the keyword-only ones by name, each as
    (name, pytree of ShapeSpec), and the keyword-only names (vmap maps those on axis 0)."""
    kw_names = keyword_only(fn) & set(given)
    args = _order(fn, {n: v for n, v in given.items() if n not in kw_names}, in_axes0, static,
                  fn_name)
    return args, [(n, given[n]) for n in sorted(kw_names)], kw_names


def arg_leaves(args: list[tuple[str, Any]], kwargs: list[tuple[str, Any]], kw_names: set[str]
               ) -> list[Leaf]:
    """Every array leaf of the arguments, positional first."""
    return [Leaf(n, p, s.shape, s.dtype or DEFAULT_DTYPE, keyword=n in kw_names)
            for n, t in args + kwargs for p, s in leaves(t)]


def keyword_notes(kw_names: set[str]) -> list[str]:
    return [f"{n} is a keyword argument: vmap maps it on axis 0 at every level"
            for n in sorted(kw_names)]


def _order(fn, given, in_axes0, static, fn_name) -> list[tuple[str, Any]]:
    """The positional arguments in order, as (name, pytree of ShapeSpec); all must be given."""
    n_axes = len(in_axes0) if isinstance(in_axes0, (tuple, list)) else 0
    names, _ = _inputs.positional_names(fn, max(len(given), n_axes))
    given = _inputs._letter_aliases(given, names)
    # A pytree stands in as f32[1]: a scalar would fail plan's in_axes 0 before "no shape for".
    stand_in = {n: (v if isinstance(v, ShapeSpec) else ShapeSpec((1,))) for n, v in given.items()}
    axes = tuple(0 for _ in in_axes0) if isinstance(in_axes0, (tuple, list)) else 0
    args = _inputs.plan(fn, stand_in, axes, static, None, fn_name)
    missing = [a.name for a in args if a.borrowed_from or a.name not in given]
    if missing:
        raise UsageError(f"{fn_name}: no shape for {', '.join(missing)}",
                         "with nested vmaps, pytrees or --ranks every argument needs a shape: "
                         + " ".join(f"--{n} 3" for n in missing))
    return [(a.name, given[a.name]) for a in args]


def rebuild_args(args: list[tuple[str, Any]], leafs: list[Leaf]) -> list[tuple[str, Any]]:
    it = iter(leafs)
    return [(n, unflatten_like(t, (ShapeSpec(lf.shape, lf.dtype) for lf in it)))
            for n, t in args]


def example_shape_at(placed: list[LevelPlacement], i: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The leaf's per-example shape: what is left after every level took its axis."""
    if not placed:
        return shape
    last = placed[-1]
    s, a = last.shapes[i], last.axes[i]
    return s if a is None else s[:a] + s[a + 1:]


def _structs(args, kwargs, shapes: list[tuple[int, ...]] | None = None):
    """The arguments as pytrees of ShapeDtypeStructs (optionally with other leaf shapes)."""
    import jax
    import jax.numpy as jnp

    n = 0

    def to_struct(spec: ShapeSpec):
        nonlocal n
        shape = spec.shape if shapes is None else shapes[n]
        n += 1
        return jax.ShapeDtypeStruct(shape, jnp.dtype(spec.dtype or DEFAULT_DTYPE))

    conv = lambda t: unflatten_like(t, (to_struct(s) for _, s in leaves(t)))  # noqa: E731
    pos = [conv(t) for _, t in args]
    kw = {n_: conv(t) for n_, t in kwargs}
    return pos, kw


def _vmap_axes(ax: Any) -> Any:
    return tuple(ax) if isinstance(ax, list) else ax


def nest_of_vmaps(f, levels_in, levels_out, axis_size, start: int):
    import jax

    g = f
    for k in reversed(range(start, len(levels_in))):
        g = jax.vmap(g, in_axes=_vmap_axes(levels_in[k]), out_axes=_vmap_axes(levels_out[k]),
                     axis_size=axis_size)
    return g


def _trace(f, fn_name, args, kwargs, leafs, placed, levels_in, levels_out, axis_size):
    import jax

    examples = [(lf.name, example_shape_at(placed, i, lf.shape), lf.dtype) for i, lf in enumerate(leafs)]
    pos, kw = _structs(args, kwargs, [s for _, s, _ in examples])
    try:
        example_out = jax.eval_shape(f, *pos, **kw)
    except Exception as exc:
        raise classify(exc, "example", fn_name, examples) from None
    example_leaves = jax.tree_util.tree_flatten_with_path(example_out)[0]
    infos = []
    for k in reversed(range(len(placed))):
        pos, kw = _structs(args, kwargs, placed[k].shapes)
        try:
            out = jax.eval_shape(nest_of_vmaps(f, levels_in, levels_out, axis_size, k), *pos, **kw)
        except Exception as exc:
            raise classify(exc, "vmap", fn_name, examples) from None
        infos.insert(0, LevelInfo(k, levels_in[k], levels_out[k], placed[k].size,
                                  placed[k].axes, placed[k].shapes,
                                  [tuple(o.shape) for o in jax.tree_util.tree_leaves(out)]))
    final = infos[0].output_shapes if infos else [tuple(x.shape) for _, x in example_leaves]
    outer = levels_out[0] if levels_out else None
    axes = _out_leaf_axes(outer, example_out, len(example_leaves)) if infos else \
        [None] * len(example_leaves)
    outputs = []
    for (path, leaf), shape, ax in zip(example_leaves, final, axes):
        rank = len(shape)
        outputs.append(OutputInfo(jax.tree_util.keystr(path), shape, short_dtype(leaf.dtype),
                                  None if ax is None or not rank else ax % rank,
                                  tuple(leaf.shape)))
    return infos, outputs


def _out_leaf_axes(out_axes: Any, example_out: Any, n: int) -> list[Any]:
    """The outermost level's out_axes per output leaf, where it is an int/None or a tuple."""
    import jax

    if out_axes is None or isinstance(out_axes, int):
        return [out_axes] * n
    top = example_out if isinstance(example_out, (tuple, list)) else (example_out,)
    if isinstance(out_axes, (tuple, list)) and len(out_axes) == len(top):
        return [a if isinstance(a, int) else None
                for a, sub in zip(out_axes, top) for _ in jax.tree_util.tree_leaves(sub)]
    return [None] * n


def _jax_says(fn, static, args, kwargs, leafs, levels_in, levels_out, axis_size) -> str | None:
    """JAX's own message for a nest we found structurally broken (for --debug and JSON)."""
    import jax

    f = functools.partial(fn, **static) if static else fn
    try:
        pos, kw = _structs(args, kwargs)
        jax.eval_shape(nest_of_vmaps(f, levels_in, levels_out, axis_size, 0), *pos, **kw)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _failed(base: dict, leafs: list[Leaf], failure: VmapFailure, rank_map,
            placed=None, levels_in=None, levels_out=None) -> ShapeReport:
    from vmapx._analysis.shape import error_info

    report_inputs = [InputInfo(lf.name, lf.shape, short_dtype(lf.dtype),
                               placed[0].axes[i] if placed else None, lf.shape, None)
                     for i, lf in enumerate(leafs)]
    levels = None
    if placed:
        levels = [LevelInfo(k, levels_in[k], levels_out[k], p.size, p.axes, p.shapes, [])
                  for k, p in enumerate(placed)]
    return ShapeReport(**{**base, "inputs": report_inputs}, error=error_info(failure, []),
                       levels=levels, ranks=rank_map)
