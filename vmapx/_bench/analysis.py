"""`vmapx bench`: time a Python loop, vmap, jit(vmap), lax.map and a hand-batched twin, honestly.

Inputs are random, made once and put on the chosen device; every variant is built once, outside
the timer and outside any `try` (vmapx's own code); a jitted variant's compile time (lower +
compile) is measured apart; each variant's values must match the loop's before it is timed;
every call blocks on every output leaf. The timing itself is `stats.measure`, with an injectable
clock. An exception raised by the user's function while a variant runs is that variant's
finding (an `error` row); nothing else is caught. Nothing here prints.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from vmapx._analysis.abstract import level_infos
from vmapx._analysis.explain import user_traceback
from vmapx._analysis.explore import diagnose
from vmapx._analysis.tracing import x64_for
from vmapx._bench import device as devices
from vmapx._bench.baseline import compare
from vmapx._bench.progress import default_progress
from vmapx._bench.settings import BenchSettings
from vmapx._bench.stats import measure, resolution
from vmapx._problem.problem import Problem
from vmapx._problem.surface import Surface
from vmapx._report.bench import MANUAL, BenchReport, VariantResult
from vmapx._text.specs import format_shape
from vmapx._text.trees import axes_text
from vmapx.errors import VmapxError


@dataclass(frozen=True)
class Case:
    """One problem to time (one function at one batch size), with its hand-batched twin (or
    None) and the variants that do not apply to it, each with why."""

    problem: Problem
    twin: Callable[..., Any] | None = None
    skipped: Mapping[str, str] = field(default_factory=dict)

    @property
    def function(self) -> str:
        return self.problem.name

    @property
    def batch_shape(self) -> list[int]:
        return [lv.size for lv in self.problem.levels]

    def describe(self) -> str:
        """The inputs as given: `x f32[5,4], params['W'] f32[3,5]`."""
        return ", ".join(f"{leaf.name} {format_shape(s, leaf.dtype)}"
                         for leaf, s in zip(self.problem.leaves, self.problem.given))


@dataclass(frozen=True)
class Context:
    """What a run reports beside its results: notes so far, the baseline, whose levels."""

    notes: Sequence[str] = ()
    baseline: tuple[Mapping[str, Any], str] | None = None
    one_function: bool = True   # the levels of the first problem describe the report


def _machine(device: Any) -> dict[str, Any]:
    import jax

    return {"backend": device.platform, "device": str(device), "device_kind": device.device_kind,
            "jax_version": jax.__version__,
            "cpu_async_dispatch": (devices.cpu_async_dispatch() if device.platform == "cpu"
                                   else None)}


def failed(problem: Problem, settings: BenchSettings, context: Context) -> BenchReport:
    """The report for a vmap that fails for these inputs: the error object, nothing timed."""
    import jax

    device = devices.pick_device(settings.backend, problem.surface)
    with x64_for(problem) as said:
        error = diagnose(problem, problem.failure)
        x64 = bool(jax.config.read("jax_enable_x64"))
    return BenchReport(**_machine(device), x64=x64, results=[],
                       settings=settings.as_dict(settings.tick),
                       notes=_unique([*context.notes, *problem.notes, *said]), error=error,
                       ranks=problem.ranks)


def run(cases: Sequence[Case], settings: BenchSettings, context: Context) -> BenchReport:
    """Measure every variant of every case on the backend's first device.

    Ctrl-C (KeyboardInterrupt) stops the run and returns what was measured so far, with
    `interrupted` set; the JAX settings the cases needed (x64) are put back either way.
    """
    import jax
    import numpy as np

    surface = cases[0].problem.surface
    progress = settings.progress or default_progress()  # in a notebook: a line it updates
    device = devices.pick_device(settings.backend, surface)
    todo = [(c, [v for v in settings.variants if v not in MANUAL or c.twin is not None
                 or v in c.skipped]) for c in cases]
    notes = [*context.notes, *(n for c in cases for n in c.problem.notes),
             *_nest_notes(cases[0], surface), *_twin_notes(cases, settings)]
    results: list[VariantResult] = []
    wall0, interrupted, x64 = time.perf_counter(), False, False
    tick = resolution(settings.clock) if settings.tick is None else settings.tick
    rng = np.random.default_rng(settings.seed)
    try:
        progress.start(sum(len(vs) for _, vs in todo))
        with jax.default_device(device):
            for case, names in todo:
                with x64_for(case.problem) as said:
                    notes += said
                    x64 = x64 or bool(jax.config.read("jax_enable_x64"))
                    _run_case(case, names, settings, tick, (rng, device, progress), results)
    except KeyboardInterrupt:
        interrupted = True
    results = _with_speedups(results)
    changes = (compare(results, context.baseline[0], not interrupted)
               if context.baseline is not None else None)
    first = cases[0].problem
    return BenchReport(
        **_machine(device), x64=x64 or bool(jax.config.read("jax_enable_x64")),
        results=results, settings=settings.as_dict(tick), wall_s=time.perf_counter() - wall0,
        interrupted=interrupted, notes=_unique(notes),
        levels=level_infos(first) if context.one_function else [],
        ranks=first.ranks if context.one_function else None, compare=changes,
        baseline=context.baseline[1] if context.baseline is not None else None,
        fail_above=settings.fail_above)


def _unique(notes: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(notes))


def _nest_notes(case: Case, surface: Surface) -> list[str]:
    """What the variants are for a nest of vmaps (or --ranks), in words."""
    problem = case.problem
    if len(problem.levels) < 2 and problem.ranks is None:
        return []
    how = (f"built by {surface.option('ranks').rstrip('=')}" if problem.ranks is not None else
           f"in_axes from {surface.option('in_axes').rstrip('=')}")
    parts = [f"level {lv.index}: in_axes {axes_text(lv.in_axes)}"
             + (f", out_axes {axes_text(lv.out_axes)}" if lv.out_axes != 0 else "")
             + f" (size {lv.size})" for lv in problem.levels]
    n = len(problem.levels)
    notes = [(f"{n} nested vmaps ({how}, outermost first): " if n > 1 else
              f"one vmap ({how}): ") + "; ".join(parts)]
    if n > 1:
        notes.append("loop and loop-jit nest one Python loop per level; lax-map nests one "
                     "lax.map per level")
    if any(g != leaf.shape for g, leaf in zip(problem.given, problem.leaves)):
        notes.append("the size-1 leading dims that broadcast are squeezed once, before timing "
                     "(jax_autovmap squeezes them on every call)")
    return notes


def _twin_notes(cases: Sequence[Case], settings: BenchSettings) -> list[str]:
    if not any(v in MANUAL for v in settings.variants):
        return []
    s = cases[0].problem.surface
    how = "--manual SPEC" if s.cli else "manual=FUNCTION"
    return [f"{c.function}: no hand-batched version known, so no manual variants; give one "
            f"with {how}" for c in cases if c.twin is None and not c.skipped]


def _run_case(case: Case, names: list[str], settings: BenchSettings, tick: float,
              where: tuple[Any, Any, Any], results: list[VariantResult]) -> None:
    """Build the variants on random leaves (vmapx's own work: nothing caught), then time each
    variant the user's function runs in."""
    from vmapx._bench import values, variants

    rng, device, progress = where
    problem = case.problem
    leaves = values.random_leaves([leaf.shape for leaf in problem.leaves],
                                  [leaf.dtype for leaf in problem.leaves], rng, device)
    built = variants.build(problem, leaves, case.twin)
    base = functools.partial(VariantResult, case.function, math.prod(case.batch_shape),
                             inputs=case.describe(), batch_shape=case.batch_shape)
    try:
        reference, ref_error, ref_tb = values.block(built["loop"].run()), None, None
    except VmapxError:
        raise
    except Exception as exc:  # the user's function raised while the loop ran it
        reference, ref_error = None, values.short_error(exc)
        ref_tb = user_traceback(exc)
    for name in names:
        progress.begin(f"{case.function} · batch {_batch(case)} · {name}")
        if name in case.skipped:
            results.append(base(name, None, None, None, None, 0, None, None, status="skipped",
                                detail=case.skipped[name]))
        elif ref_error is not None:
            results.append(base(name, None, None, None, None, 0, None, None, status="error",
                                detail=f"the loop (the reference) failed: {ref_error}",
                                traceback=ref_tb))
        else:
            results.append(_run_variant(name, built[name], reference, settings, tick, base))
        progress.advance()


def _batch(case: Case) -> str:
    return "×".join(map(str, case.batch_shape))


def _run_variant(name: str, variant: Any, reference: Any, settings: BenchSettings,
                 tick: float, base: Callable[..., VariantResult]) -> VariantResult:
    from vmapx._bench import values

    def failed_(status: str, detail: str, compile_s: float | None = None,
                matches: bool | None = None, tb: str | None = None) -> VariantResult:
        return base(name, compile_s, None, None, None, 0, None, matches, status=status,
                    detail=detail, traceback=tb)

    clock, compile_s = settings.clock, None
    try:
        if variant.lower is not None:
            t0 = clock()
            variant.lower()
            compile_s = clock() - t0
        out = values.block(variant.run())
    except (KeyboardInterrupt, VmapxError):
        raise
    except Exception as exc:  # the user's function raised under this variant
        return failed_("error", values.short_error(exc), compile_s, tb=user_traceback(exc))
    if name != "loop":
        problem = values.mismatch(out, reference)
        if problem:
            return failed_("mismatch", problem + "; not timed", compile_s, False)
    stats = measure(values.blocking(variant.run, out), settings, clock, tick,
                    values.compile_count)
    return base(name, compile_s, stats.median, stats.iqr, stats.min, stats.samples, None, True,
                max_s=stats.max, mean_s=stats.mean, reps_per_sample=stats.reps,
                warnings=list(stats.warnings), q1_s=stats.q1, q3_s=stats.q3,
                times_s=list(stats.times))


def _with_speedups(results: list[VariantResult]) -> list[VariantResult]:
    loops = {(r.function, r.batch_size, tuple(r.batch_shape)): r.median_s for r in results
             if r.variant == "loop" and r.median_s}
    out = []
    for r in results:
        base = loops.get((r.function, r.batch_size, tuple(r.batch_shape)))
        speed = base / r.median_s if base and r.median_s else None
        out.append(dataclasses.replace(r, speedup_vs_loop=speed))
    return out
