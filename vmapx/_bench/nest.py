"""`vmapx bench` for a nest of vmaps, pytree arguments and `--ranks`: the cases, planned.

The nest is checked and placed by `vmapx shape`'s own analysis (`nested.analyze_nested`,
abstract: no arrays), so a nest that cannot work is explained exactly as `vmapx shape` explains
it, before anything is measured. The variants themselves are built in `bench_nest_values`.
No jax import here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from vmapx.errors import UsageError, VmapFailure
from vmapx._problem.placing import normalise_levels
from vmapx._text.trees import axes_text, leaves, unflatten_like
from vmapx._report.shape import LevelInfo
from vmapx._text.specs import DEFAULT_DTYPE, ShapeSpec, format_shape


@dataclass(frozen=True)
class NestCase:
    """One function over a nest of vmaps (level 0 outermost), inputs as pytrees of leaves.

    Leaves are in JAX's flattening order: the positional arguments' leaves, then the keyword
    arguments'. `shapes` is what the outermost vmap is called with: the given shapes, except
    that `--ranks` squeezes a size-1 leading dim that broadcasts (as jax_autovmap does).
    """

    function: str
    fn: Callable[..., Any]
    args: list[tuple[str, Any]]       # positional: (name, pytree of ShapeSpec), as given
    kwargs: list[tuple[str, Any]]     # keyword-only parameters (vmap maps them on axis 0)
    names: list[str]                  # per leaf: `params['W']`
    given: list[tuple[int, ...]]      # per leaf, as given (the hand-batched twin takes these)
    shapes: list[tuple[int, ...]]     # per leaf, as the outermost vmap takes them
    dtypes: list[str]
    levels: list[LevelInfo]
    manual: Callable[..., Any] | None = None
    static: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # variant → why it is not timed

    @property
    def batch_shape(self) -> list[int]:
        return [lv.batch_size or 1 for lv in self.levels]

    @property
    def batch_size(self) -> int:
        """Every level's size multiplied: how many times the loop calls the function."""
        return math.prod(self.batch_shape)

    def input_dtypes(self) -> list[tuple[str, str]]:
        return list(zip(self.names, self.dtypes))

    def describe(self) -> str:
        return ", ".join(f"{n} {format_shape(s, d)}" for n, s, d in
                         zip(self.names, self.given, self.dtypes))

    def prepare(self, values: Any, rng: Any, device: Any) -> dict[str, Any]:
        from vmapx._bench import nest_variants as bench_nest_values

        return bench_nest_values.build(self, bench_nest_values.random_leaves(self, rng, device))

    def rebuild(self, leaf_values: Sequence[Any]) -> tuple[list[Any], dict[str, Any]]:
        """Leaf values → (positional arguments, keyword arguments), as the function takes them."""
        it = iter(leaf_values)
        pos = [unflatten_like(t, it) for _, t in self.args]
        kw = {n: unflatten_like(t, it) for n, t in self.kwargs}
        return pos, kw


def nest_cases(fn: Callable[..., Any], fn_name: str, given: Mapping[str, Any],
               levels_in: list[Any], levels_out: list[Any], ranks: Any,
               static: Mapping[str, Any], batches: Sequence[int] | None,
               manual: Callable[..., Any] | None = None, declared_manual: str | None = None
               ) -> tuple[list[NestCase], list[str]]:
    """One NestCase per batch size (a sweep only for one vmap level), and notes on the nest."""
    levels_in, levels_out = normalise_levels(None, None, levels_in, levels_out)
    if batches and (ranks is not None or len(levels_in) > 1 or len(levels_out) > 1):
        what = "--ranks" if ranks is not None else f"{len(levels_in)} nested vmaps"
        raise UsageError(
            f"--batch sweeps the batch size of one vmap; with {what} the batch dims come from "
            "the shapes themselves", "drop --batch and give the full (batched) shapes, e.g. "
            "--x 8,16,3 for two levels of 8 and 16")
    skipped = {}
    if manual is None and declared_manual:
        why = (f"the module's hand-batched {declared_manual} is written for one vmap over its "
               "declared inputs, so it is not used with nested vmaps, pytrees or --ranks; give "
               "--manual SPEC, a function that takes the inputs exactly as given")
        skipped = {"manual": why, "jit-manual": why}
    out, notes = [], []
    for b in batches or [None]:
        shapes = given if b is None else _with_batch(fn, fn_name, given, levels_in[0], static, b)
        case, said = _plan(fn, fn_name, shapes, levels_in, levels_out, ranks, static, manual,
                           skipped)
        out.append(case)
        notes += [n for n in said if n not in notes]
    notes[:0] = _describe_levels(out, ranks)
    return out, notes


def _with_batch(fn, fn_name, given, in_axes, static, b: int) -> dict[str, Any]:
    """Per-example pytree shapes → batched ones: b inserted at each mapped leaf's in_axis."""
    from vmapx._problem.placing import insert_batch, leaf_axes
    from vmapx._analysis.nested import arg_leaves, bind

    args, kwargs, kw_names = bind(fn, given, in_axes, static, fn_name)
    leafs = arg_leaves(args, kwargs, kw_names)
    n_kw = sum(1 for lf in leafs if lf.keyword)
    it = iter(ShapeSpec(lf.shape, lf.dtype) for lf in
              insert_batch(leafs, leaf_axes(in_axes, args, n_kw), b))
    return {name: unflatten_like(tree, it) for name, tree in args + kwargs}


def _plan(fn, fn_name, given, levels_in, levels_out, ranks, static, manual, skipped
          ) -> tuple[NestCase, list[str]]:
    from vmapx._analysis.nested import analyze_nested, bind

    report = analyze_nested(fn, given, fn_name=fn_name, levels_in=levels_in,
                            levels_out=levels_out, axis_size=None, static=static, ranks=ranks)
    if report.error is not None:
        e = report.error
        failure = VmapFailure(e.detail or e.kind, e.message, e.hint, e.jax_message)
        raise failure
    if not report.levels:
        raise UsageError(f"with --ranks {axes_text(_ranks_text(ranks))}, no argument of "
                         f"{fn_name} has extra leading dims: there is no batch to time",
                         "give an argument leading batch dims beyond its base rank, e.g. "
                         "--ranks 0,1,2 with --v 5,3 for a batch of 5 vectors")
    empty = [lv.level for lv in report.levels if not lv.batch_size]
    if empty:
        raise UsageError(f"vmap level {empty[0]} has size 0: there is nothing to time",
                         "give the mapped axes a size of 1 or more")
    args, kwargs, _ = bind(fn, given, levels_in[0] if ranks is None else 0, static, fn_name)
    specs = [s for _, t in args + kwargs for _, s in leaves(t)]
    return NestCase(fn_name, fn, args, kwargs, [i.name for i in report.inputs],
                    [s.shape for s in specs], list(report.levels[0].shapes),
                    [s.dtype or DEFAULT_DTYPE for s in specs], list(report.levels), manual,
                    dict(static), dict(skipped)), list(report.notes)


def _ranks_text(ranks: Any) -> Any:
    if isinstance(ranks, dict):
        return ",".join(f"{k}={axes_text(v)}" for k, v in ranks.items())
    return ranks


def _describe_levels(cases: list[NestCase], ranks: Any) -> list[str]:
    case = cases[0]
    n = len(case.levels)
    how = "built by --ranks" if ranks is not None else "in_axes from --in-axes"
    parts = [f"level {lv.level}: in_axes {axes_text(lv.in_axes)}"
             + (f", out_axes {axes_text(lv.out_axes)}" if lv.out_axes != 0 else "")
             + (f" (size {lv.batch_size})" if len(cases) == 1 else " (size from --batch)")
             for lv in case.levels]
    head = (f"{n} nested vmaps ({how}, outermost first): " if n > 1 else
            f"one vmap ({how}): ")
    notes = [head + "; ".join(parts)]
    if n > 1:
        notes.append("loop and loop-jit nest one Python loop per level; lax-map nests one "
                     "lax.map per level")
    if any(g != s for g, s in zip(case.given, case.shapes)):
        notes.append("the size-1 leading dims that broadcast are squeezed once, before timing "
                     "(jax_autovmap squeezes them on every call); the hand-batched twin gets "
                     "the inputs as given")
    return notes
