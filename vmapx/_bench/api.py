"""`vmapx.bench`: time a loop, vmap, jit(vmap), lax.map and a hand-batched twin of a function.

One `Problem` per batch size (one vmap, or a nest of levels over pytree leaves); a vmap that
cannot work for these inputs is reported (`report.error`), not raised. The call sets up what it
needs (x64 for 64-bit inputs, synchronous CPU dispatch) and puts JAX's settings back after.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from vmapx._bench import analysis
from vmapx._bench.analysis import Case, Context
from vmapx._bench.baseline import load_baseline
from vmapx._analysis.mesh.analysis import prepare
from vmapx._bench.device import cpu_dispatch
from vmapx._bench.settings import BenchSettings
from vmapx._bench.suite import suite
from vmapx._problem import request
from vmapx._problem.problem import Problem
from vmapx._problem.request import UNSET
from vmapx._problem.surface import Surface
from vmapx._report.bench import BenchReport
from vmapx._text.trees import axes_text
from vmapx.errors import UsageError


def bench(fn: Callable[..., Any] | None = None, *args: Any, batch: int | Sequence[int] | None = None,
          in_axes: Any = UNSET, out_axes: Any = UNSET, axis_size: int | None = None,
          static: Mapping[str, Any] | None = None, ranks: Any = None,
          levels_in: list | None = None, levels_out: list | None = None,
          manual: Callable[..., Any] | str | None = None,
          settings: BenchSettings = BenchSettings(), name: str | None = None,
          inputs: Mapping[str, Any] | None = None, mesh: Any = None,
          mesh_axis: str | None = None, shard: Any = None,
          _surface: Surface | None = None,
          **named: Any) -> BenchReport:
    """Time `fn` under vmap against a Python loop, jit, lax.map and its hand-batched version.

    Arguments:
        fn: the function (None: the built-in suite from examples/).
        *args, **named: its inputs, as for `vmapx.shape` (`inputs` for names that clash).
        batch: the shapes are per-example; one batch size, or a list of them (a sweep).
        in_axes, out_axes, levels_in, levels_out, axis_size, static, ranks, name: as for
            `vmapx.shape`.
        manual: the hand-batched twin (a function, or its name in fn's module, or a spec
            like "examples/dot.py:batched_dot"): it takes the inputs as the outermost vmap
            does, each mapped input's batch axis moved to axis 0.
        mesh: a device mesh ("data=8", "data=4,model=2", or {"data": 8}): also time jit(vmap)
            on batch-sharded inputs and shard_map of vmap against 1-device jit(vmap)
            (`report.mesh`); mesh_axis: the mesh axis the batch is split over (the first);
            shard: leaves laid out as you say instead, e.g. {"w": ("model", None)}.
        settings: a `BenchSettings` (variants, runs, min_time, warmup, seed, backend, compare,
            fail_above, clock, progress …).

    Returns a `BenchReport` (`.ok`, `.results`, `.error`, `.compare`, `.to_json()`; it renders
    as the CLI's tables in Jupyter). Raises `vmapx.UsageError`/`SpecError` for inputs or
    settings that do not fit.

        >>> vmapx.bench(jnp.dot, (100,), (100,), batch=[8, 64]).results[0].variant
        'loop'
    """
    surface = _surface or Surface("bench", cli=False)
    settings = settings.checked()
    spec = prepare(mesh, mesh_axis, surface.cli, shard)  # before anything starts JAX's backend
    options = {k: v for k, v in dict(in_axes=in_axes, out_axes=out_axes, axis_size=axis_size,
                                     static=static, ranks=ranks, levels_in=levels_in,
                                     levels_out=levels_out, name=name).items()
               if v is not UNSET and (v is not None or k in ("in_axes", "out_axes"))}
    named = {**(inputs or {}), **named}
    with cpu_dispatch(settings.async_dispatch) as note:
        baseline = (load_baseline(settings.compare, surface)
                    if settings.compare is not None else None)
        if fn is None:
            _suite_only(args, named, options, batch, manual, surface, spec is not None)
            problems, twin = suite(surface), None
        else:
            problems = [request.problem(fn, args, named, {**options, "batch": b}, surface)
                        for b in _batches(batch, surface)]
            twin, _ = request.resolve_twin(manual, fn, problems[0].name)
        context = Context([note] if note else [], baseline, fn is not None)
        broken = next((p for p in problems if p.failure is not None), None)
        if broken is not None:
            return analysis.failed(broken, settings, context)
        return _run(problems, [_case(p, twin) for p in problems], spec, settings, context)


def _run(problems: list[Problem], cases: list[Case], spec: Any, settings: BenchSettings,
         context: Context) -> BenchReport:
    """Time the cases; on a mesh (checked first: a mesh that does not fit is refused before
    anything is timed), the mesh variants too."""
    from vmapx._bench.mesh import on_mesh, with_timings  # imports jax

    meshed = on_mesh(problems, spec, settings) if spec is not None else None
    report = analysis.run(cases, settings, context)
    if meshed and not report.interrupted:
        return with_timings(report, problems, meshed, settings)
    return report


def _batches(batch: Any, surface: Surface) -> list[int | None]:
    """One batch size or a sweep → the list of them, without repeats ([None]: none given)."""
    if batch is None:
        return [None]
    sizes = [batch] if not isinstance(batch, (list, tuple)) else list(batch)
    if not sizes or not all(isinstance(b, int) and not isinstance(b, bool) for b in sizes):
        raise UsageError(f"{surface.option('batch').rstrip('=')} takes whole numbers: one batch "
                         f"size or a list of them, not {batch!r}",
                         f"e.g. {surface.set('batch', '8,64,512')}" if surface.cli else
                         "e.g. batch=8 or batch=[8, 64, 512]")
    return list(dict.fromkeys(sizes))


def _suite_only(args: Sequence[Any], named: Mapping[str, Any], options: Mapping[str, Any],
                batch: Any, manual: Any, surface: Surface, mesh: bool = False) -> None:
    """Without a function, the suite runs: an option about a function has nothing to go to."""
    given = {"batch": batch is not None, "in_axes": bool(options.get("levels_in"))
             or "in_axes" in options, "out_axes": bool(options.get("levels_out"))
             or "out_axes" in options, "ranks": "ranks" in options,
             "static": bool(options.get("static")), "manual": manual is not None,
             "axis_size": "axis_size" in options, "mesh": mesh}
    used = [surface.option(k).rstrip("=") for k, v in given.items() if v]
    if args or named:
        used.append("shapes" if surface.cli else "inputs")
    if not used:
        return
    if surface.cli:
        raise UsageError(f"{used[0]} needs a FUNCTION; without one vmapx bench runs its "
                         "built-in suite", "name the function first, e.g. vmapx bench "
                         "examples/dot.py:dot --batch 8,64,512")
    raise UsageError(f"{used[0]} needs a function; without one vmapx.bench runs its built-in "
                     "suite", "pass the function first, e.g. vmapx.bench(dot, x=(100,), "
                     "y=(100,), batch=[8, 64])")


def _case(problem: Problem, twin: Callable[..., Any] | None) -> Case:
    """What to time for one problem; the module's declared twin only for one vmap."""
    s, n = problem.surface, len(problem.levels)
    if n == 0:
        ranks = ",".join(f"{k}={axes_text(v)}" for k, v in (problem.ranks or {}).items())
        raise UsageError(f"with {s.option('ranks').rstrip('=')} {ranks}, no argument of "
                         f"{problem.name} has extra leading dims: there is no batch to time",
                         "give an argument leading batch dims beyond its base rank, e.g. "
                         f"{s.set('ranks', '0,1,2')} with {s.arg('v', '5,3')} for a batch of "
                         "5 vectors")
    empty = [lv.index for lv in problem.levels if not lv.size]
    if empty:
        raise UsageError(f"vmap level {empty[0]} has size 0: there is nothing to time",
                         "give the mapped axes a size of 1 or more")
    if twin is not None or problem.twin is None:
        return Case(problem, twin)
    if n == 1:
        return Case(problem, problem.twin)
    how = "--manual SPEC" if s.cli else "manual=FUNCTION"
    why = (f"the module's hand-batched {problem.declared.manual} is written for one vmap, and "
           f"this is a nest of {n}, so it is not used; give {how}, a function that takes the "
           "inputs as the outermost vmap does, each mapped input's batch axis moved to axis 0")
    return Case(problem, None, {"manual": why, "jit-manual": why})
