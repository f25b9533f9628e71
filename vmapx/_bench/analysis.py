"""`vmapx bench`: time a Python loop, vmap, jit(vmap), lax.map and a hand-batched twin, honestly.

Inputs are random, made once and put on the chosen device; every variant is built once, outside
the timer; a jitted variant's compile time (lower + compile) is measured apart; each variant's
values must match the loop's before it is timed; every call blocks on every output leaf. The
timing itself is `bench_stats.measure`, with an injectable clock. Nothing here prints.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from vmapx._problem import binding as _inputs
from vmapx._bench.stats import Clock, Settings, measure, resolution
from vmapx.errors import UsageError
from vmapx._problem.binding import Placed
from vmapx._text.specs import X64_DTYPES, ShapeSpec, format_shape

VARIANTS = ("loop", "loop-jit", "vmap", "jit-vmap", "lax-map", "manual", "jit-manual")
MANUAL = ("manual", "jit-manual")
BACKENDS = ("cpu", "gpu", "tpu")
# The built-in suite: the seeds' functions, each at its seed's batch size (examples/*.py).
SUITE = (("dot.py", "dot"), ("dot.py", "affine"), ("neuron.py", "model"),
         ("convolve.py", "convolve"), ("logistic.py", "predict_single"),
         ("logistic.py", "per_example_grad"))


@dataclass(frozen=True)
class Case:
    """One function at one batch size: its inputs placed, and its hand-batched twin if known."""

    function: str
    fn: Callable[..., Any]
    placed: list[Placed]
    batch_size: int
    manual: Callable[..., Any] | None = None
    static: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # variant → why it is not timed

    @property
    def batch_shape(self) -> list[int]:
        return [self.batch_size]

    def input_dtypes(self) -> list[tuple[str, str]]:
        return [(p.arg.name, p.arg.dtype) for p in self.placed]

    def describe(self) -> str:
        return ", ".join(f"{p.arg.name} {format_shape(p.full_shape, p.arg.dtype)}"
                         for p in self.placed)

    def prepare(self, values: Any, rng: Any, device: Any) -> dict[str, Any]:
        """Random inputs on `device`, and every variant built once on them."""
        return values.build(self, values.random_inputs(self.placed, rng, device))


@dataclass(frozen=True)
class VariantResult:
    """One (function, batch size, variant): its times in seconds per call, or why it has none.

    `status` is `timed`, `mismatch` (values differ from the loop's: not timed), `error`, or
    `skipped` (the variant does not apply to this case; `detail` says why). `batch_shape` is
    each vmap level's size, outermost first (`[batch_size]` for one vmap).
    """

    function: str
    batch_size: int
    variant: str
    compile_s: float | None
    median_s: float | None
    iqr_s: float | None
    min_s: float | None
    samples: int
    speedup_vs_loop: float | None
    matches_loop: bool | None
    max_s: float | None = None
    mean_s: float | None = None
    reps_per_sample: int = 0
    status: str = "timed"
    detail: str | None = None
    inputs: str = ""
    warnings: list[str] = field(default_factory=list)
    batch_shape: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class BenchReport:
    """What `vmapx bench` measured, and on what: the one struct every exporter reads."""

    backend: str
    device: str
    device_kind: str
    jax_version: str
    x64: bool
    results: list[VariantResult]
    settings: dict[str, Any] = field(default_factory=dict)
    wall_s: float | None = None
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)
    cpu_async_dispatch: bool | None = None  # JAX's CPU dispatch mode during the run

    @property
    def functions(self) -> list[str]:
        return list(dict.fromkeys(r.function for r in self.results))

    def batch_sizes(self, function: str) -> list[int]:
        return list(dict.fromkeys(r.batch_size for r in self.results if r.function == function))

    @property
    def ok(self) -> bool:
        return all(r.status in ("timed", "skipped") for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def __rich__(self):
        from vmapx._render.bench import render_bench

        return render_bench(self)


class NullProgress:
    """The progress hooks `run` calls; the CLI passes a Rich progress bar instead."""

    def start(self, total: int) -> None: ...

    def begin(self, label: str) -> None: ...

    def advance(self) -> None: ...


def cases(fn: Callable[..., Any], fn_name: str, given: Mapping[str, ShapeSpec | None],
          in_axes: Any, static: Mapping[str, Any], batches: Sequence[int | None],
          manual: Callable[..., Any] | None = None) -> list[Case]:
    """One Case per batch size (None: the shapes given are the batched ones)."""
    out = []
    for b in batches:
        placed, size = _inputs.resolve(fn, given, in_axes, static, b, None, fn_name)
        out.append(Case(fn_name, fn, placed, size, manual, dict(static)))
    return out


def suite(examples_dir: Path) -> list[Case]:
    """The built-in suite from examples/, each function at its declared batch size."""
    from vmapx._text.declared import declared
    from vmapx._text.target import resolve

    if not all((examples_dir / f).is_file() for f, _ in SUITE):
        raise UsageError(f"the built-in suite reads vmapx's examples/ folder, and it is not at "
                         f"{examples_dir}", "run vmapx from a checkout of the repository, or "
                         "name a function: vmapx bench FUNC --NAME SHAPE --batch 8,64,512")
    out = []
    for file, attr in SUITE:
        target = resolve(f"{examples_dir / file}:{attr}")
        decl = declared(target.module, attr)
        manual = getattr(target.module, decl.manual) if decl.manual else None
        stem = file.removesuffix(".py")
        name = attr if stem == attr else f"{stem}.{attr}"
        in_axes = decl.in_axes if decl.in_axes is not None else 0
        out += cases(target.fn, name, decl.inputs, in_axes, decl.static, [decl.batch], manual)
    return out


ASYNC_FLAG = "jax_cpu_enable_async_dispatch"


def set_cpu_dispatch(async_dispatch: bool) -> str | None:
    """Make CPU calls synchronous (unless `async_dispatch`), before JAX starts its CPU client.

    With JAX's default asynchronous dispatch, a tiny jitted call blocked on at once costs
    anywhere from ~6 µs to ~30 µs on CPU depending on the executable and the process's state
    (benchmarks/bench_harness.py); synchronous dispatch gives the computation's own, repeatable
    time. Returns a note when the setting could not be applied.
    """
    import jax

    from vmapx._analysis._compat import backends_initialized

    try:
        current = bool(jax.config.read(ASYNC_FLAG))
    except (AttributeError, KeyError):
        return None if async_dispatch else f"this JAX has no {ASYNC_FLAG}: CPU dispatch as is"
    if current == async_dispatch:
        return None
    if backends_initialized():
        return (f"CPU dispatch stays {'async' if current else 'sync'}: JAX's backend had already "
                "started (the function's module ran JAX when imported)")
    jax.config.update(ASYNC_FLAG, async_dispatch)
    return None


def cpu_async_dispatch() -> bool | None:
    import jax

    try:
        return bool(jax.config.read(ASYNC_FLAG))
    except (AttributeError, KeyError):
        return None


def pick_device(backend: str | None):
    """The first device of `backend` (JAX's default when None); UsageError listing the others."""
    import jax

    if backend is None:
        return jax.devices()[0]
    try:
        return jax.devices(backend)[0]
    except RuntimeError:
        have = available_backends()
        raise UsageError(f"backend {backend!r} is not available on this machine; available: "
                         f"{', '.join(have)}", f"use --backend {have[0]}, or drop --backend "
                         "to use JAX's default") from None


def available_backends() -> list[str]:
    import jax

    have = []
    for name in BACKENDS:
        try:
            jax.devices(name)
        except RuntimeError:
            continue
        have.append(name)
    return have or [jax.default_backend()]


def enable_x64_if_needed(cases_: Sequence[Case]) -> list[str]:
    """Turn on x64 when an input is 64-bit (as `vmapx shape` does); say so in a note."""
    import jax

    wide = sorted({name for c in cases_ for name, dtype in c.input_dtypes()
                   if dtype in X64_DTYPES})
    if not wide or jax.config.read("jax_enable_x64"):
        return []
    jax.config.update("jax_enable_x64", True)
    return [f"x64 turned on (jax_enable_x64) because {', '.join(wide)} is 64-bit"]


def run(cases_: Sequence[Case], variants: Sequence[str] = VARIANTS,
        settings: Settings = Settings(), backend: str | None = None,
        clock: Clock = time.perf_counter, tick: float | None = None, seed: int = 0,
        progress: Any = None) -> BenchReport:
    """Measure every variant of every case on `backend`'s first device.

    Ctrl-C (KeyboardInterrupt) stops the run and returns what was measured so far, with
    `interrupted` set. `tick` is the clock's resolution (measured when None).
    """
    import jax
    import numpy as np

    from vmapx._bench import variants as bench_values

    progress = progress or NullProgress()
    device = pick_device(backend)
    notes = enable_x64_if_needed(cases_)
    todo = [(c, [v for v in variants if c.manual is not None or v not in MANUAL
                 or v in c.skipped]) for c in cases_]
    for c in cases_:
        if c.manual is None and any(v in MANUAL and v not in c.skipped for v in variants):
            notes.append(f"{c.function}: no hand-batched version known, so no manual variants; "
                         "give one with --manual SPEC")
    notes = list(dict.fromkeys(notes))
    results: list[VariantResult] = []
    interrupted = False
    wall0 = time.perf_counter()
    tick = resolution(clock) if tick is None else tick
    rng = np.random.default_rng(seed)
    try:
        progress.start(sum(len(vs) for _, vs in todo))
        with jax.default_device(device):
            for case, names in todo:
                _run_case(case, names, settings, clock, tick, rng, device, progress, results,
                          bench_values)
    except KeyboardInterrupt:
        interrupted = True
    return BenchReport(
        backend=device.platform, device=str(device), device_kind=device.device_kind,
        jax_version=jax.__version__, x64=bool(jax.config.read("jax_enable_x64")),
        results=_with_speedups(results),
        settings={"variants": list(variants), "runs": settings.runs,
                  "min_time_s": settings.min_time, "warmup": settings.warmup,
                  "sample_time_s": settings.sample_time, "seed": seed, "clock_tick_s": tick},
        wall_s=time.perf_counter() - wall0, interrupted=interrupted, notes=notes,
        cpu_async_dispatch=cpu_async_dispatch() if device.platform == "cpu" else None)


def _run_case(case: Case, names: list[str], settings: Settings, clock: Clock, tick: float,
              rng, device, progress, results: list[VariantResult], values) -> None:
    """One case (a `Case`, or a `bench_nest.NestCase` for nested vmaps and pytrees)."""
    built = case.prepare(values, rng, device)
    base = functools.partial(VariantResult, case.function, case.batch_size,
                             inputs=case.describe(), batch_shape=case.batch_shape)
    try:
        reference = values.block(built["loop"].run())
        ref_error = None
    except Exception as exc:
        reference, ref_error = None, values.short_error(exc)
    for name in names:
        progress.begin(f"{case.function} · batch {case.batch_size} · {name}")
        if name in case.skipped:
            results.append(base(name, None, None, None, None, 0, None, None, status="skipped",
                                detail=case.skipped[name]))
            progress.advance()
            continue
        results.append(_run_variant(name, built[name], reference, ref_error, settings, clock,
                                    tick, base, values))
        progress.advance()


def _run_variant(name, variant, reference, ref_error, settings, clock, tick, base, values
                 ) -> VariantResult:
    def failed(status: str, detail: str, compile_s=None, matches=None) -> VariantResult:
        return base(name, compile_s, None, None, None, 0, None, matches, status=status,
                    detail=detail)

    if ref_error is not None:
        return failed("error", f"the loop (the reference) failed: {ref_error}")
    compile_s = None
    try:
        if variant.lower is not None:
            t0 = clock()
            variant.lower()
            compile_s = clock() - t0
        out = values.block(variant.run())
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        return failed("error", values.short_error(exc), compile_s)
    if name != "loop":
        problem = values.mismatch(out, reference)
        if problem:
            return failed("mismatch", problem + "; not timed", compile_s, False)
    stats = measure(values.blocking(variant.run, out), settings, clock, tick,
                    values.compile_count)
    return base(name, compile_s, stats.median, stats.iqr, stats.min, stats.samples, None, True,
                max_s=stats.max, mean_s=stats.mean, reps_per_sample=stats.reps,
                warnings=list(stats.warnings))


def _with_speedups(results: list[VariantResult]) -> list[VariantResult]:
    loops = {(r.function, r.batch_size): r.median_s for r in results
             if r.variant == "loop" and r.median_s}
    out = []
    for r in results:
        base = loops.get((r.function, r.batch_size))
        speed = base / r.median_s if base and r.median_s else None
        out.append(dataclasses.replace(r, speedup_vs_loop=speed))
    return out
