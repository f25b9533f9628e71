"""`vmapx bench`: loop vs vmap vs jit(vmap) vs lax.map vs hand-batched, measured honestly."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from vmapx.cli.common import guarded, named_args, print_json
from vmapx.cli.options import (ArgPairs, Debug, InAxesLevels, Json, OutAxesLevels, Ranks,
                               Static, build_request)
from vmapx.errors import SpecError, UsageError

VARIANT_NAMES = ("loop", "loop-jit", "vmap", "jit-vmap", "lax-map", "manual", "jit-manual")
FileOpt = Optional[Path]


def _opt(*names: str, help: str, metavar: str | None = None, **kw: Any) -> Any:
    return typer.Option(*names, help=help, metavar=metavar, show_default=kw.pop("show", True),
                        **kw)


def bench(
    ctx: typer.Context,
    function: Annotated[Optional[str], typer.Argument(
        show_default=False, help="The function to time (jnp.NAME, pkg.module:fn, "
        "path/file.py:fn). Left out: the built-in suite from examples/.")] = None,
    batch: Annotated[Optional[str], _opt("--batch", metavar="N[,N…]", show=False, help=(
        "Batch sizes to sweep, e.g. 8,64,512; the shapes are then per-example (one vmap "
        "level only)."))] = None,
    in_axes: InAxesLevels = None,
    out_axes: OutAxesLevels = None,
    ranks: Ranks = None,
    static: Static = None,
    arg: ArgPairs = None,
    manual: Annotated[Optional[str], _opt("--manual", metavar="SPEC", show=False, help=(
        "A hand-batched version (batch on axis 0 of each mapped input), e.g. "
        "examples/dot.py:batched_dot or just batched_dot from the same file. With nested "
        "vmaps, pytrees or --ranks it takes the inputs exactly as given."))] = None,
    variants: Annotated[Optional[str], _opt("--variants", metavar="LIST", show=False, help=(
        "Which to time: " + ",".join(VARIANT_NAMES) + " [default: all]"))] = None,
    backend: Annotated[Optional[str], _opt("--backend", metavar="cpu|gpu|tpu", show=False,
                                           help="Where to run [default: JAX's default]")] = None,
    runs: Annotated[int, _opt("--runs", min=1, metavar="N", help="At least this many samples.")] = 7,
    min_time: Annotated[float, _opt("--min-time", min=0.0, metavar="SECONDS",
                                    help="At least this long sampling each variant.")] = 0.2,
    warmup: Annotated[int, _opt("--warmup", min=0, metavar="N", help="Untimed calls first.")] = 1,
    seed: Annotated[int, _opt("--seed", metavar="N", help="Seed of the random inputs.")] = 0,
    plot: Annotated[FileOpt, _opt("--plot", metavar="FILE.svg", show=False,
                                  help="Write the chart as an SVG image.")] = None,
    export_json: Annotated[FileOpt, _opt("--export-json", metavar="FILE", show=False,
                                         help="Write the results as JSON.")] = None,
    export_csv: Annotated[FileOpt, _opt("--export-csv", metavar="FILE", show=False,
                                        help="Write the results as CSV.")] = None,
    export_markdown: Annotated[FileOpt, _opt("--export-markdown", metavar="FILE", show=False,
                                             help="Write the results as a Markdown table.")
                               ] = None,
    compare: Annotated[FileOpt, _opt("--compare", metavar="BASELINE.json", show=False,
                                     help="Show the change against an earlier --export-json."
                                     )] = None,
    fail_above: Annotated[Optional[float], _opt("--fail-above", metavar="PCT", show=False,
                                                help="With --compare: exit 1 when any variant "
                                                "got slower by more than PCT percent.")] = None,
    async_dispatch: Annotated[bool, _opt(
        "--async-dispatch", help="Keep JAX's asynchronous CPU dispatch (noisier for tiny "
        "calls); by default CPU calls run synchronously, so each time is the computation's.")
    ] = False,
    json: Json = False,
    debug: Debug = False,
) -> None:
    """Time a Python loop, vmap, jit(vmap), lax.map and a hand-batched version, honestly.

    Inputs are random, made once and put on the device; every variant is built once, outside the timer; compile time (lower + compile) is reported apart; each variant's values must match the loop's before it is timed; every call waits on all its outputs; calls are repeated so each sample is well above the timer's resolution. Reported: median ± IQR per call, min, samples, and the speedup against the loop.

    Without FUNCTION: the built-in suite (the seeds' functions from examples/). Give each argument's shape as --NAME SHAPE, as for vmapx shape; with --batch 8,64,512 the shapes are per-example and every batch size is measured.

    Variants: loop (a Python loop of f, then stack) · loop-jit (a loop of jit(f)) · vmap (eager) · jit-vmap · lax-map (jit of lax.map: sequential) · manual, jit-manual (the hand-batched twin, from --manual or the module's VMAPX_EXAMPLES).

    Examples:

      vmapx bench

      vmapx bench examples/dot.py:dot --batch 8,64,512 --plot dot.svg

      vmapx bench jnp.dot --a 100 --b 100 --batch 5 --variants loop,vmap,jit-vmap

      vmapx bench --export-json base.json ; vmapx bench --compare base.json --fail-above 20

      vmapx bench examples/autovmap.py:foo --s f32[] --v 4,5,3 --m 4,5,3,3 --ranks 0,1,2

      vmapx bench jnp.add --a 8,16,3 --b 8,16,3 --in-axes 0 --in-axes 1

      vmapx bench tests/fixtures/nest_funcs.py:affine --params '{"W": "f32[3,5]", "b": [3]}' --x 5 --in-axes '{"W": null, "b": null},0' --batch 8,64

    With nested vmaps (--in-axes/--out-axes repeated, outermost first), pytree arguments (a JSON pytree of shapes) or --ranks, vmap and jit-vmap are the nest of vmaps, loop and loop-jit one Python loop per level, lax-map one lax.map per level; --batch sweeps one vmap level only (the shapes give a nest's batch dims), and --manual takes the inputs exactly as given.

    Ctrl-C stops and shows what was measured. Exit 1 when values differ from the loop's, a variant fails, or --fail-above is exceeded; 130 when interrupted.
    """

    def body() -> int:
        return _run(ctx.args, function, batch, (in_axes, out_axes, ranks), static, arg, manual,
                    variants, backend, runs, min_time, warmup, seed, plot, export_json,
                    export_csv, export_markdown, compare, fail_above, json, async_dispatch)

    guarded(debug, body)


def parse_batches(text: str) -> list[int]:
    """`8,64,512` → [8, 64, 512]: positive ints, no repeats."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise SpecError(f"--batch {text!r}: {part!r} is not a positive whole number",
                            "write batch sizes like --batch 8,64,512")
        if int(part) not in out:
            out.append(int(part))
    return out


def parse_variants(text: str | None) -> list[str]:
    if text is None:
        return list(VARIANT_NAMES)
    out = []
    for name in (p.strip() for p in text.split(",") if p.strip()):
        if name not in VARIANT_NAMES:
            close = difflib.get_close_matches(name, VARIANT_NAMES, n=1)
            raise UsageError(f"unknown variant {name!r}", (f"did you mean {close[0]}? " if close
                             else "") + "the variants are " + ",".join(VARIANT_NAMES))
        out.append(name)
    if not out:
        raise UsageError("--variants is empty", "e.g. --variants loop,jit-vmap")
    return list(dict.fromkeys(out))


def examples_dir() -> Path:
    """examples/ beside the vmapx package (vmapx/cli/bench.py → ../../examples)."""
    return Path(__file__).resolve().parent.parent.parent / "examples"


def _cases(function, extra, batch, axes, static, arg, manual) -> tuple[list, list[str]]:
    from vmapx._bench import analysis as core

    in_axes, out_axes, ranks = axes
    batches = parse_batches(batch) if batch is not None else None
    given = named_args(extra, arg or [])
    if function is None:
        used = [o for o, v in (("--batch", batch), ("--in-axes", in_axes),
                               ("--out-axes", out_axes), ("--ranks", ranks),
                               ("--static", static), ("--manual", manual), ("shapes", given))
                if v]
        if used:
            raise UsageError(f"{used[0]} needs a FUNCTION; without one vmapx bench runs its "
                             "built-in suite", "name the function first, e.g. vmapx bench "
                             "examples/dot.py:dot --batch 8,64,512")
        return core.suite(examples_dir()), []
    req = build_request(function, given, in_axes, out_axes, batches[0] if batches else None,
                        None, static, ranks)
    from vmapx._analysis.nested import needs_nest

    if needs_nest(req.given, req.levels_in, req.levels_out, req.ranks, req.fn) or \
            req.levels_out != [0]:
        from vmapx._bench.nest import nest_cases

        decl = req.declared.manual if req.declared is not None else None
        if not given and req.batch is not None and batches is None:  # declared per-example
            if req.ranks is not None or len(req.levels_in) > 1 or len(req.levels_out) > 1:
                raise UsageError(f"{function}'s declared inputs are per-example, and --ranks or "
                                 "nested vmaps take the full (batched) shapes",
                                 "give every argument's full shape, e.g. --x 8,16,3")
            batches = [req.batch]
        cases, notes = nest_cases(req.fn, req.fn_name, req.given, req.levels_in, req.levels_out,
                                  req.ranks, req.static, batches,
                                  _manual(manual, req) if manual else None, decl)
        return cases, req.notes + notes
    twin = _manual(manual, req) if manual else (
        getattr(req.target.module, req.declared.manual) if req.declared and
        req.declared.manual and not given else None)
    return core.cases(req.fn, req.fn_name, req.given, req.in_axes, req.static,
                      batches or [req.batch], twin), req.notes


def _manual(spec: str, req) -> Any:
    from vmapx._text.target import resolve

    module = req.target.module if req.target is not None else None
    if module is not None and ":" not in spec and "." not in spec and hasattr(module, spec):
        return getattr(module, spec)
    return resolve(spec).fn


class _Bar:
    """The core's progress hooks on a Rich progress bar (on stderr: --json keeps stdout)."""

    def __init__(self, progress: Any):
        self.progress, self.task = progress, None

    def start(self, total: int) -> None:
        self.task = self.progress.add_task("measuring", total=total)

    def begin(self, label: str) -> None:
        self.progress.update(self.task, description=label)

    def advance(self) -> None:
        self.progress.advance(self.task)


def _run(extra, function, batch, in_axes, static, arg, manual, variants, backend, runs,
         min_time, warmup, seed, plot, export_json, export_csv, export_markdown, compare,
         fail_above, json, async_dispatch=False) -> int:
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn)

    from vmapx._bench import analysis as core
    from vmapx._bench import export as export
    from vmapx._bench.stats import Settings

    chosen = parse_variants(variants)
    if fail_above is not None and compare is None:
        raise UsageError("--fail-above needs --compare BASELINE.json",
                         "e.g. --compare base.json --fail-above 20")
    outputs = {"--plot": plot, "--export-json": export_json, "--export-csv": export_csv,
               "--export-markdown": export_markdown}
    for option, path in outputs.items():
        if path is not None:
            export.check_writable(path, option)
    baseline = export.load_baseline(compare) if compare is not None else None
    dispatch_note = core.set_cpu_dispatch(async_dispatch)  # before any module can start JAX
    cases, notes = _cases(function, extra, batch, in_axes, static, arg, manual)
    notes = notes + ([dispatch_note] if dispatch_note else [])
    settings = Settings(runs=runs, min_time=min_time, warmup=warmup)
    err = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        report = core.run(cases, chosen, settings, backend, seed=seed, progress=_Bar(progress))
    report.notes[:0] = notes
    changes = export.compare(report, baseline) if baseline is not None else None
    if json:
        data = report.to_json()
        if changes is not None:
            data["compare"] = [{"function": c.function, "batch_size": c.batch_size,
                                "variant": c.variant, "baseline_s": c.baseline_s,
                                "current_s": c.current_s, "change_pct": c.change_pct}
                               for c in changes]
        print_json(data)
    else:
        from vmapx._render.bench import render_bench, render_compare

        out = Console()
        out.print(render_bench(report))
        if changes is not None:
            out.print(render_compare(changes, str(compare), fail_above))
    for kind, path in (("json", export_json), ("csv", export_csv),
                       ("markdown", export_markdown)):
        if path is not None:
            export.write(path, export.EXPORTERS[kind](report), f"--export-{kind}")
    if plot is not None:
        from vmapx._render.plot import to_svg

        export.write(plot, to_svg(report), "--plot")
    if report.interrupted:
        return 130
    if changes is not None and fail_above is not None and export.regressions(changes,
                                                                             fail_above):
        return 1
    return 0 if report.ok else 1
