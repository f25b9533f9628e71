"""The JAX side every analysis shares: a problem's inputs as `ShapeDtypeStruct`s, its nest of
vmaps, out_axes per output leaf, and the JAX settings a call needs, scoped to the call."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Callable, Iterator, Sequence

from vmapx._problem.problem import Problem
from vmapx._text.specs import format_shape
from vmapx.errors import UsageError, VmapFailure


def leaf_structs(shapes: Sequence[tuple[int, ...]], problem: Problem) -> list[Any]:
    """One `jax.ShapeDtypeStruct` per leaf of `problem`, at the given shapes."""
    import jax
    import jax.numpy as jnp

    return [jax.ShapeDtypeStruct(tuple(s), jnp.dtype(leaf.dtype))
            for s, leaf in zip(shapes, problem.leaves)]


def structs(problem: Problem, shapes: Sequence[tuple[int, ...]] | None = None
            ) -> tuple[list[Any], dict[str, Any]]:
    """The arguments as pytrees of structs: (positional, keyword), at `shapes` per leaf
    (default: what the outermost vmap is called with)."""
    shapes = [leaf.shape for leaf in problem.leaves] if shapes is None else shapes
    return problem.unflatten(leaf_structs(shapes, problem))


def vmap_axes(ax: Any) -> Any:
    """A level's in_axes as `jax.vmap` takes them: a top-level list is a tuple, as jax.vmap
    makes it. (out_axes go to jax.vmap as they are: it does not, and a list is a prefix of a
    list output only.)"""
    return tuple(ax) if isinstance(ax, list) else ax


def nest(problem: Problem, start: int = 0, fn: Callable[..., Any] | None = None
         ) -> Callable[..., Any]:
    """`vmap(vmap(f, in_axes[1], …), in_axes[0], …)` from level `start` inwards."""
    import jax

    g = problem.call if fn is None else fn
    for level in reversed(problem.levels[start:]):
        g = jax.vmap(g, in_axes=vmap_axes(level.in_axes), out_axes=level.out_axes,
                     axis_size=problem.request.axis_size)
    return g


def out_leaf_axes(out_axes: Any, out: Any, surface: Any = None) -> list[Any]:
    """One out_axes entry (int or None) per leaf of `out`, from a pytree-prefix out_axes; an
    out_axes that does not fit the outputs is the user's option mistake (`UsageError`)."""
    import jax

    axes = out_axes
    n = len(jax.tree_util.tree_leaves(out))
    if axes is None or isinstance(axes, int):
        return [axes] * n
    top = out if isinstance(out, (tuple, list)) else (out,)
    if isinstance(axes, (tuple, list)) and len(axes) != len(top):
        option = "--out-axes" if surface is None or surface.cli else "out_axes"
        raise UsageError(f"{option} has {len(axes)} entries but the function returns "
                         f"{len(top)} output{'s' * (len(top) != 1)}",
                         "give one entry per output, or one int for all")
    if isinstance(axes, (tuple, list)) and not isinstance(out, (tuple, list)):
        out = type(axes)(top)   # one output, one entry: jax.vmap's own check judges the wrapping
    try:
        per = jax.tree_util.tree_map(
            lambda ax, sub: _Group([ax] * len(jax.tree_util.tree_leaves(sub))), axes, out,
            is_leaf=lambda x: x is None)
    except (ValueError, TypeError):
        text = json.dumps(out_axes) if isinstance(out_axes, (dict, list)) else repr(out_axes)
        raise VmapFailure(
            "other", f"the out_axes specification must be a tree prefix of the outputs, and "
            f"{text} is not one: the function returns {_describe(out)}",
            "give one int for all outputs, or a structure that matches them", jax_message=None,
            short="out_axes does not fit the outputs") from None
    return [a for group in jax.tree_util.tree_leaves(per) for a in group.axes]


class _Group:
    """One out_axes leaf's axis for each output leaf under it (not a pytree: a leaf itself,
    so a list out_axes, a prefix of a list output, is not mistaken for one)."""

    def __init__(self, axes: list[Any]):
        self.axes = axes


def _describe(out: Any) -> str:
    if isinstance(out, dict):
        return "a dict with keys " + ", ".join(map(repr, sorted(out)))
    if isinstance(out, (tuple, list)):
        return f"a {type(out).__name__} of {len(out)}"
    return "one array"


def check_out_axes(out_axes: Any, out: Any, surface: Any) -> list[Any]:
    """out_axes per output leaf, each in range for the output it moves (JAX's own message
    never names out_axes); `out` is what the level's function returns per example."""
    import jax

    pairs = jax.tree_util.tree_flatten_with_path(out)[0]
    axes = out_leaf_axes(out_axes, out, surface)
    for (path, leaf), ax in zip(pairs, axes):
        rank = len(getattr(leaf, "shape", ()))
        if ax is not None and not -(rank + 1) <= ax <= rank:
            label = jax.tree_util.keystr(path) or "the output"
            raise VmapFailure(
                "axis_out_of_range",
                f"out_axes {ax} is out of range for {label}: per example it is "
                f"{format_shape(leaf.shape, leaf.dtype)} (rank {rank}), so its out_axes can be "
                f"-{rank + 1}..{rank}",
                f"pick {surface.option('out_axes').rstrip('=')} between -{rank + 1} and {rank}",
                short=f"out_axes {ax} out of range")
    return axes


def jax_says(problem: Problem) -> str | None:
    """JAX's own message for the vmap a problem describes (kept for --debug and JSON), run
    on the shapes as given when vmapx found it structurally broken."""
    import jax

    levels = problem.request.in_axes or (0,)
    outs = problem.request.out_axes or (0,)
    if len(outs) == 1:
        outs = outs * len(levels)
    g = problem.call
    pos, kw = structs(problem, problem.given)
    try:  # jax.vmap checks in_axes when it is built: part of JAX's verdict
        for ax, oax in reversed(list(zip(levels, outs))):
            g = jax.vmap(g, in_axes=vmap_axes(ax), out_axes=oax,
                         axis_size=problem.request.axis_size)
        jax.eval_shape(g, *pos, **kw)
    except Exception as exc:  # JAX's verdict on the broken vmap is what we want
        return f"{type(exc).__name__}: {exc}"
    return None


X64 = "jax_enable_x64"


@contextlib.contextmanager
def x64_for(problem: Problem) -> Iterator[list[str]]:
    """Turn x64 on while a 64-bit input needs it, and back off after; yields the notes."""
    import jax

    wide = problem.wide()
    before = bool(jax.config.read(X64))
    if not wide or before:
        yield []
        return
    jax.config.update(X64, True)
    try:
        yield [f"x64 turned on (jax_enable_x64) for this call because {', '.join(wide)} "
               f"{'is' if len(wide) == 1 else 'are'} 64-bit"]
    finally:
        jax.config.update(X64, before)


@contextlib.contextmanager
def unfiltered_tracebacks() -> Iterator[None]:
    """JAX's traceback filtering off while many failing traces are tried (`--explore`): it
    costs half of each failed trace (a stat per frame), and nobody reads those tracebacks."""
    import jax

    before = getattr(jax.config, "jax_traceback_filtering")
    jax.config.update("jax_traceback_filtering", "off")
    try:
        yield
    finally:
        jax.config.update("jax_traceback_filtering", before)


def array_outputs(fn: Callable[..., Any], name: str, once: bool = False
                  ) -> Callable[..., Any]:
    """`fn`, raising JAX's own TypeError for an output that is no JAX type (a string, an
    object) where a loop would otherwise fail later, stacking it, with an unrelated message.
    With `once`, only the first call's outputs are looked at (a timed loop pays nothing)."""
    import functools

    import jax
    import numpy as np

    seen: list[bool] = []

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        out = fn(*args, **kwargs)
        if seen:
            return out
        for path, leaf in jax.tree_util.tree_flatten_with_path(out)[0]:
            if not (isinstance(leaf, (jax.Array, np.ndarray, np.generic, int, float, complex))
                    or hasattr(leaf, "aval")):
                at = f" at output{jax.tree_util.keystr(path)}" if path else ""
                raise TypeError(f"function {name} returned a value of type {type(leaf)}{at}, "
                                "which is not a valid JAX type")
        if once:
            seen.append(True)
        return out

    return checked
