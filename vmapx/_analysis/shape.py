"""`vmapx shape`: trace a vmap abstractly and report shapes, the out_axes pattern and failures.

Everything goes through `jax.eval_shape`, so no input is ever allocated.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any, Callable, Mapping

from vmapx._problem import binding as _inputs
from vmapx.errors import SpecError, UsageError, VmapFailure
from vmapx._analysis.explain import classify
from vmapx._problem.binding import Arg, Placed
from vmapx._report.shape import (ErrorInfo, ExploreRow, InputInfo, OutputInfo, PatternRow, ShapeReport,
                          Suggestion)
from vmapx._text.specs import X64_DTYPES, ShapeSpec, parse_shape, short_dtype

EXPLORE_TRACE_CAP = 128     # combinations traced through JAX at most
EXPLORE_ENUM_CAP = 4096     # combinations considered at most (structural checks are cheap)
SUGGESTIONS = 5


def shape(fn: Callable[..., Any], *args: Any, in_axes: Any = 0, out_axes: Any = 0,
          batch: int | None = None, axis_size: int | None = None,
          static: Mapping[str, Any] | None = None, explore: bool = False,
          name: str | None = None, ranks: Any = None, levels_in: list | None = None,
          levels_out: list | None = None, **named: Any) -> ShapeReport:
    """Report what `jax.vmap(fn, in_axes, out_axes)` does to these inputs, without running it.

    Inputs are shapes (`(2, 3)`, `"f32[2,3]"`), `jax.ShapeDtypeStruct`s or arrays, by position
    or by parameter name; `None` borrows the first mapped argument's per-example shape. With
    `batch=N` the shapes are per-example and N is inserted at each argument's in_axis. An input
    may be a pytree (dicts and lists) of those. `levels_in`/`levels_out` give a nest of vmaps,
    outermost first (they replace in_axes/out_axes); `ranks` (a tuple, or a dict by name) builds
    the nest from base ranks as jax_autovmap does.
    """
    names, _ = _inputs.positional_names(fn, len(args))
    if len(args) > len(names):
        raise UsageError(f"{len(args)} inputs given but {function_name(fn)} takes {len(names)}")
    given: dict[str, ShapeSpec | None] = {n: to_spec(a) for n, a in zip(names, args)}
    given.update({n: to_spec(a) for n, a in named.items()})
    return analyze(fn, given, fn_name=name or function_name(fn), in_axes=in_axes, out_axes=out_axes,
                   batch=batch, axis_size=axis_size, static=static or {}, explore=explore,
                   ranks=ranks, levels_in=levels_in, levels_out=levels_out)


def function_name(fn: Callable[..., Any]) -> str:
    mod = getattr(fn, "__module__", None) or ""
    short = {"jax.numpy": "jnp", "jax.lax": "lax"}.get(mod, mod)
    base = getattr(fn, "__name__", None) or type(fn).__name__
    return f"{short}.{base}" if short.startswith(("jnp", "lax", "jax")) else base


def to_spec(value: Any) -> ShapeSpec | None:
    """A shape, spec string, ShapeDtypeStruct or array → ShapeSpec (None stays None)."""
    if value is None or isinstance(value, ShapeSpec):
        return value
    if isinstance(value, str):
        return parse_shape(value)
    if isinstance(value, (tuple, list)) and all(isinstance(d, int) for d in value):
        return ShapeSpec(tuple(value))
    if isinstance(value, dict):
        return {k: to_spec(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)) and all(v is not None for v in value):
        return [to_spec(v) for v in value]  # a list pytree (tuples are read as lists)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return ShapeSpec(tuple(value.shape), getattr(value.dtype, "name", str(value.dtype)))
    raise SpecError(f"cannot use {value!r} as an input",
                    "give a shape tuple like (2, 3), a spec like 'f32[2,3]', a "
                    "jax.ShapeDtypeStruct or an array")


def analyze(fn: Callable[..., Any], given: Mapping[str, ShapeSpec | None], *, fn_name: str,
            in_axes: Any, out_axes: Any, batch: int | None, axis_size: int | None,
            static: Mapping[str, Any], explore: bool, ranks: Any = None,
            levels_in: list | None = None, levels_out: list | None = None) -> ShapeReport:
    """The core of `vmapx shape`; raises `UsageError` for inputs that do not fit the function."""
    from vmapx._problem.placing import normalise_levels
    from vmapx._analysis.nested import analyze_nested, needs_nest

    levels_in, levels_out = normalise_levels(in_axes, out_axes, levels_in, levels_out)
    if needs_nest(given, levels_in, levels_out, ranks, fn):
        if explore:
            raise UsageError("--explore works with one plain vmap only",
                             "drop --explore, or use one --in-axes without pytrees")
        return analyze_nested(fn, given, fn_name=fn_name, levels_in=levels_in,
                              levels_out=levels_out, axis_size=axis_size, static=static,
                              ranks=ranks, batch=batch)
    in_axes, out_axes = levels_in[0], levels_out[0]
    notes = enable_x64_if_needed(given)
    f = functools.partial(fn, **static) if static else fn
    try:
        args = _inputs.plan(fn, given, in_axes, static, batch, fn_name)
    except VmapFailure as failure:
        return ShapeReport(fn_name, batch, [], [], [], error_info(failure, []), notes=notes,
                           batch_given=batch is not None, requested_in_axes=in_axes)
    notes += [f"{a.name} had no shape: it borrows {a.borrowed_from}'s per-example shape "
              f"({_fmt(a)}); give --{a.name} to set it" for a in args if a.borrowed_from]
    placed, size, outputs, failure = None, None, [], None
    try:
        placed, size = _inputs.place(args, in_axes, batch, axis_size)
        outputs = _trace(f, fn_name, placed, size, out_axes, axis_size)
    except VmapFailure as exc:
        failure = exc
        if failure.jax_message is None and placed is None and batch is None:
            failure.jax_message = _jax_says(f, args, in_axes, out_axes, axis_size)
    rows, explore_note = None, None
    out_axes_failure = failure is not None and failure.short.startswith("out_axes")
    if explore or (failure is not None and not out_axes_failure):
        rows, explore_note = _explore(f, fn_name, args, in_axes, out_axes, batch, axis_size)
    report_inputs = [_input_info(p, size) for p in placed] if placed else _unplaced(args, in_axes)
    return ShapeReport(
        function=fn_name, batch_size=size, inputs=report_inputs, outputs=outputs,
        out_axes_pattern=out_axes_pattern(outputs, size) if outputs else [],
        error=error_info(failure, rows or []) if failure else None,
        explore=rows if explore else None, explore_note=explore_note if explore else None,
        notes=notes, batch_given=batch is not None, requested_in_axes=in_axes)


def _fmt(a: Arg) -> str:
    return f"{short_dtype(a.dtype)}[{','.join(map(str, a.shape))}]"


def enable_x64_if_needed(given: Mapping[str, Any]) -> list[str]:
    """Turn on x64 when an input is 64-bit; say so in a note. Pytree inputs are skipped: the
    nested path passes their leaves, and a command that takes none refuses them later."""
    wide = [n for n, s in given.items() if isinstance(s, ShapeSpec) and s.dtype in X64_DTYPES]
    if not wide:
        return []
    import jax

    if jax.config.read("jax_enable_x64"):
        return []
    jax.config.update("jax_enable_x64", True)
    return [f"x64 turned on (jax_enable_x64) because {', '.join(wide)} "
            f"{'is' if len(wide) == 1 else 'are'} 64-bit"]


def _trace(f, fn_name, placed, size, out_axes, axis_size) -> list[OutputInfo]:
    """eval_shape the function per example, check out_axes, then eval_shape its vmap."""
    import jax

    examples = [(p.arg.name, p.example_shape, p.arg.dtype) for p in placed]
    try:
        example_out = jax.eval_shape(f, *_inputs.structs(placed, example=True))
    except Exception as exc:  # the user's function, traced on per-example shapes
        raise classify(exc, "example", fn_name, examples) from None
    leaves, leaf_axes = check_out_axes(out_axes, example_out)
    in_axes = tuple(p.in_axis for p in placed)
    vmapped = jax.vmap(f, in_axes=in_axes, out_axes=out_axes, axis_size=axis_size)
    try:
        out = jax.eval_shape(vmapped, *_inputs.structs(placed))
    except VmapFailure:
        raise
    except Exception as exc:
        raise classify(exc, "vmap", fn_name, examples) from None
    out_leaves = jax.tree_util.tree_leaves(out)
    return [OutputInfo(jax.tree_util.keystr(path), tuple(o.shape), short_dtype(o.dtype),
                       None if ax is None else ax % (len(leaf.shape) + 1), tuple(leaf.shape))
            for (path, leaf), o, ax in zip(leaves, out_leaves, leaf_axes)]


def _jax_says(f, args: list[Arg], in_axes, out_axes, axis_size) -> str | None:
    """JAX's own message for a vmap we found structurally broken (kept for --debug and JSON)."""
    import jax
    import jax.numpy as jnp

    structs = [jax.ShapeDtypeStruct(a.shape, jnp.dtype(a.dtype)) for a in args]
    axes = tuple(in_axes) if isinstance(in_axes, list) else in_axes
    try:
        jax.eval_shape(jax.vmap(f, in_axes=axes, out_axes=out_axes, axis_size=axis_size), *structs)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def check_out_axes(out_axes: Any, example_out: Any) -> tuple[list, list[int | None]]:
    """Check out_axes against the per-example outputs (JAX's own message never names
    out_axes); return the outputs' (path, leaf) pairs and each leaf's out_axes entry."""
    import jax

    leaves = jax.tree_util.tree_flatten_with_path(example_out)[0]
    leaf_axes = _leaf_out_axes(out_axes, example_out, len(leaves))
    for (path, leaf), ax in zip(leaves, leaf_axes):
        rank = len(leaf.shape)
        if ax is not None and not -(rank + 1) <= ax <= rank:
            label = jax.tree_util.keystr(path) or "the output"
            raise VmapFailure(
                "axis_out_of_range",
                f"out_axes {ax} is out of range for {label}: per example it is "
                f"{short_dtype(leaf.dtype)}[{','.join(map(str, leaf.shape))}] (rank {rank}), "
                f"so its out_axes can be -{rank + 1}..{rank}",
                f"pick --out-axes between -{rank + 1} and {rank}",
                short=f"out_axes {ax} out of range")
    return leaves, leaf_axes


def _leaf_out_axes(out_axes: Any, example_out: Any, n_leaves: int) -> list[int | None]:
    """out_axes as one entry per output leaf: an int/None for all, or one per output."""
    import jax

    if not isinstance(out_axes, (tuple, list)):
        return [out_axes] * n_leaves
    top = example_out if isinstance(example_out, (tuple, list)) else (example_out,)
    if len(out_axes) != len(top):
        raise UsageError(f"--out-axes has {len(out_axes)} entries but the function returns "
                         f"{len(top)} output{'s' * (len(top) != 1)}",
                         "give one entry per output, or one int for all")
    return [ax for ax, sub in zip(out_axes, top) for _ in jax.tree_util.tree_leaves(sub)]


def _unplaced(args: list[Arg], in_axes: Any) -> list[InputInfo]:
    """Inputs whose batch axis could not be placed: shown as given, with the raw in_axes."""
    axes = _inputs._per_arg(in_axes, len(args)) or [None] * len(args)
    return [InputInfo(a.name, a.shape, short_dtype(a.dtype), ax, a.shape, None, a.borrowed_from)
            for a, ax in zip(args, axes)]


def _input_info(p: Placed, size: int | None) -> InputInfo:
    return InputInfo(p.arg.name, p.full_shape, short_dtype(p.arg.dtype), p.in_axis,
                     p.example_shape, size if p.in_axis is not None else None,
                     p.arg.borrowed_from)


def out_axes_pattern(outputs: list[OutputInfo], size: int) -> list[PatternRow]:
    """Every out_axes k from -(r+1) to r: the batch axis inserted at k (JAX's moveaxis rule)."""
    r = max(len(o.example_shape) for o in outputs)
    rows = []
    for k in range(-(r + 1), r + 1):
        shapes = []
        for o in outputs:
            ex = o.example_shape
            if not -(len(ex) + 1) <= k <= len(ex):
                shapes.append(None)
                continue
            at = k % (len(ex) + 1)
            shapes.append(ex[:at] + (size,) + ex[at:])
        rows.append(PatternRow(k, shapes))
    return rows


def error_info(failure: VmapFailure, rows: list[ExploreRow]) -> ErrorInfo:
    suggestions = [Suggestion(r.in_axes, r.shapes) for r in rows if r.shapes is not None
                   and not r.mine][:SUGGESTIONS]
    hint = failure.hint
    if suggestions:
        best = ",".join("None" if a is None else str(a) for a in suggestions[0].in_axes)
        hint = f"try --in-axes {best}" + (f"; {hint}" if hint else "")
    return ErrorInfo(failure.kind, failure.message, hint, suggestions, failure.jax_message,
                     failure.detail)


def _explore(f, fn_name, args: list[Arg], in_axes, out_axes, batch, axis_size
             ) -> tuple[list[ExploreRow], str | None]:
    """Every in_axes combination, closest to the user's first, with its shapes or why it fails."""
    ranks = [len(a.shape) + (batch is not None) for a in args]
    options = [[None] + list(range(r)) for r in ranks]
    mine = _normalise(in_axes, ranks)
    total = 1
    for o in options:
        total *= len(o)
    combos = itertools.islice(itertools.product(*options), EXPLORE_ENUM_CAP)
    ordered = sorted(combos, key=lambda c: _distance(c, mine))
    if mine is not None and mine not in ordered:
        ordered.insert(0, mine)
    rows, traced = [], 0
    for combo in ordered:
        try:
            placed, size = _inputs.place(args, combo, batch, axis_size)
        except VmapFailure as exc:
            rows.append(ExploreRow(list(combo), None, exc.kind, exc.short, combo == mine))
            continue
        if traced >= EXPLORE_TRACE_CAP:
            continue
        traced += 1
        try:
            outs = _trace(f, fn_name, placed, size, out_axes, axis_size)
        except (VmapFailure, UsageError) as exc:
            kind = getattr(exc, "kind", "other")
            rows.append(ExploreRow(list(combo), None, kind, getattr(exc, "short", str(exc)),
                                   combo == mine))
            continue
        rows.append(ExploreRow(list(combo), [o.shape for o in outs], None, None, combo == mine))
    note = None
    shown = len(rows)
    if shown < total:
        note = (f"showing {shown} of {total} in_axes combinations (closest to yours first; "
                f"at most {EXPLORE_TRACE_CAP} are traced)")
    return rows, note


def _normalise(in_axes: Any, ranks: list[int]) -> tuple | None:
    """The user's in_axes as one resolved entry per argument (None if it cannot be)."""
    axes = list(in_axes) if isinstance(in_axes, (tuple, list)) else [in_axes] * len(ranks)
    if len(axes) != len(ranks):
        return None
    out = []
    for ax, r in zip(axes, ranks):
        if ax is not None and not -r <= ax < r:
            return tuple(axes)
        out.append(None if ax is None else ax % r)
    return tuple(out)


def _distance(combo: tuple, mine: tuple | None) -> tuple[int, int]:
    if mine is None:
        return (0, 0)
    diff = [(a, b) for a, b in zip(combo, mine) if a != b]
    return (len(diff), sum(abs((a if a is not None else -1) - (b if b is not None else -1))
                           for a, b in diff))
