"""`vmapx bench`: loop vs vmap vs jit(vmap) vs lax.map vs hand-batched, measured honestly."""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Mapping, Optional

import typer

from vmapx._report.bench import VARIANTS
from vmapx.cli.common import (check_writable, guarded, named_args, print_json,
                               show_traceback, write)
from vmapx.cli.completion import complete_backend, complete_function, complete_variants
from vmapx.cli.options import (ArgPairs, Debug, InAxesLevels, Json, Lookup, MeshAxis, MeshOpt,
                               OutAxesLevels, Ranks, ShardOpt, Static, mesh_options,
                               vmap_options)
from vmapx.errors import SpecError, UsageError

FileOpt = Optional[str]  # a str, not a Path: Path('') would read as '.'


def _opt(*names: str, help: str, metavar: str | None = None, **kw: Any) -> Any:
    return typer.Option(*names, help=help, metavar=metavar, show_default=kw.pop("show", True),
                        **kw)


def bench(
    ctx: typer.Context,
    function: Annotated[Optional[str], typer.Argument(
        show_default=False, autocompletion=complete_function,
        help="The function to time (jnp.NAME, pkg.module:fn, "
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
        "A hand-batched version, e.g. examples/dot.py:batched_dot or just batched_dot from "
        "the same file: it takes the inputs as the outermost vmap does, each mapped input's "
        "batch axis moved to axis 0."))] = None,
    variants: Annotated[Optional[str], _opt("--variants", metavar="LIST", show=False,
                                            autocompletion=complete_variants, help=(
        "Which to time, comma-separated (e.g. loop,vmap): " + ", ".join(VARIANTS)
        + " [default: all]"))] = None,
    backend: Annotated[Optional[str], _opt("--backend", metavar="cpu|gpu|tpu", show=False,
                                           autocompletion=complete_backend,
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
                                                help="With --compare: exit 1 when a variant "
                                                "got slower by more than PCT percent, beyond "
                                                "the noise of both runs (their q1–q3 apart "
                                                "and a Mann-Whitney U test on their samples, "
                                                "p < 0.05).")] = None,
    async_dispatch: Annotated[bool, _opt(
        "--async-dispatch", help="Keep JAX's asynchronous CPU dispatch (noisier for tiny "
        "calls); by default CPU calls run synchronously, so each time is the computation's.")
    ] = False,
    mesh: MeshOpt = None,
    mesh_axis: MeshAxis = None,
    shard: ShardOpt = None,
    json: Json = False,
    debug: Debug = False,
) -> None:
    """Time a Python loop, vmap, jit(vmap), lax.map and a hand-batched version, honestly.

    Inputs are random, made once and put on the device; every variant is built once, outside the timer; compile time (lower + compile) is reported apart; each variant's values must match the loop's before it is timed; every call waits on all its outputs; calls are repeated so each sample is well above the timer's resolution. Reported per call: the median, the middle half of the samples (q1–q3), the samples taken, and the speedup against the loop.

    Without FUNCTION: the built-in suite (the seeds' functions from examples/). Give each argument's shape as --NAME SHAPE, as for vmapx shape (or an object in your code: --params @mymodel.py:init_params); with --batch 8,64,512 the shapes are per-example and every batch size is measured.

    Variants: loop (a Python loop of f, then stack) · loop-jit (a loop of jit(f)) · vmap (eager) · jit-vmap · lax-map (jit of lax.map: sequential) · manual, jit-manual (the hand-batched twin, from --manual or the module's VMAPX_EXAMPLES).

    Examples:

    \b
    vmapx bench
    vmapx bench examples/dot.py:dot --batch 8,64,512 --plot dot.svg
    vmapx bench jnp.dot --a 100 --b 100 --batch 5 --variants loop,vmap,jit-vmap
    vmapx bench examples/dot.py:dot --export-json base.json
    vmapx bench examples/dot.py:dot --compare base.json --fail-above 20
    vmapx bench examples/autovmap.py:foo --s f32[] --v 4,5,3 --m 4,5,3,3 \\
      --ranks 0,1,2
    vmapx bench jnp.add --a 8,16,3 --b 8,16,3 --in-axes 0 --in-axes 1
    vmapx bench examples/dot.py:dot --batch 64 --mesh data=8
    vmapx bench tests/fixtures/nest_funcs.py:affine --x 5 --batch 8,64 \\
      --params '{"W": "f32[3,5]", "b": [3]}' --in-axes '{"W": null, "b": null},0'

    With nested vmaps (--in-axes/--out-axes repeated, outermost first) or --ranks, vmap and jit-vmap are the nest of vmaps, loop and loop-jit one Python loop per level, lax-map one lax.map per level; --batch sweeps one vmap level only (the shapes give a nest's batch dims). Arguments may be pytrees (a JSON pytree of shapes). The hand-batched twin takes the inputs as the outermost vmap does, each mapped input's batch axis moved to axis 0; a module's declared twin is written for one vmap and is skipped for a nest.

    With --mesh data=8 (or data=4,model=2): also jit-vmap on batch-sharded inputs and shard_map of vmap over each device's shard, against 1-device jit-vmap, with throughput per device and scaling efficiency. On CPU the devices are simulated: the timings are a simulation, not a speed-up.

    Ctrl-C stops and shows what was measured. Exit 1 when the vmap fails for these inputs (explained, as vmapx shape does), values differ from the loop's, a variant fails, or --fail-above is exceeded; 130 when interrupted. --json prints the report in every case.
    """

    def body() -> int:
        report = bench_report(ctx.params, ctx.args)
        _show(report, json, debug)
        if report.error is None:
            export_files(report, ctx.params)
        if report.interrupted:
            return 130
        return 1 if report.regressions or not report.ok else 0

    guarded(debug, body)


_FILES = ("plot", "export_json", "export_csv", "export_markdown")


def bench_report(params: Mapping[str, Any], extra: list[str], lookup: Lookup = None,
                 rich_bar: bool = True) -> Any:
    """Parse the command's options (`params`, by parameter name) and make the one library
    call: the `BenchReport`, under a Rich progress bar on stderr (else the library's own
    progress). The command and the notebook magic both call this; `lookup` is asked first
    for FUNCTION and --manual."""
    p = params
    settings = _settings(p["variants"], p["runs"], p["min_time"], p["warmup"], p["seed"],
                         p["backend"], p["async_dispatch"], (p["compare"], p["fail_above"]))
    batches = parse_batches(p["batch"]) if p["batch"] is not None else None
    for name in _FILES:
        if p.get(name) is not None:
            check_writable(p[name], "--" + name.replace("_", "-"))
    manual = p["manual"]
    if manual is not None and lookup is not None:
        manual = lookup(manual) or manual
    from vmapx._bench.device import cpu_dispatch

    on_mesh = mesh_options(p)  # before any module can start JAX, as the dispatch mode
    with cpu_dispatch(p["async_dispatch"]):
        return _measure(extra, p["function"], p["arg"], (p["in_axes"], p["out_axes"],
                        p["ranks"], p["static"]), batches, manual,
                        settings, (lookup, rich_bar, on_mesh))


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
        return list(VARIANTS)
    out = []
    for name in (p.strip() for p in text.split(",") if p.strip()):
        if name not in VARIANTS:
            close = difflib.get_close_matches(name, VARIANTS, n=1)
            raise UsageError(f"unknown variant {name!r}", (f"did you mean {close[0]}? " if close
                             else "") + "the variants are " + ",".join(VARIANTS))
        out.append(name)
    if not out:
        raise UsageError("--variants is empty", "e.g. --variants loop,jit-vmap")
    return list(dict.fromkeys(out))


class _Bar:
    """The library's progress hooks on a Rich progress bar (on stderr: --json keeps stdout),
    shown from when measuring starts: a mistake found before it prints nothing else."""

    def __init__(self, progress: Any):
        self.progress, self.task = progress, None

    def start(self, total: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task("measuring", total=total)

    def stop(self) -> None:
        if self.task is not None:  # Rich prints a line on stopping, even a bar never shown
            self.progress.stop()

    def begin(self, label: str) -> None:
        self.progress.update(self.task, description=label)

    def advance(self) -> None:
        self.progress.advance(self.task)


def _settings(variants: str | None, runs: int, min_time: float, warmup: int, seed: int,
              backend: str | None, async_dispatch: bool, against: tuple[Any, Any]) -> Any:
    from vmapx._bench.settings import BenchSettings

    compare, fail_above = against
    if fail_above is not None and compare is None:
        raise UsageError("--fail-above needs --compare BASELINE.json",
                         "e.g. --compare base.json --fail-above 20")
    return BenchSettings(variants=tuple(parse_variants(variants)), runs=runs,
                         min_time=min_time, warmup=warmup, seed=seed, backend=backend,
                         async_dispatch=async_dispatch, compare=compare,
                         fail_above=fail_above)


def _measure(extra: list[str], function: str | None, pairs: list[str] | None,
             axes: tuple[Any, ...], batches: list[int] | None, manual: Any,
             settings: Any, how: tuple[Lookup, bool, dict[str, Any]]) -> Any:
    """One library call (the built-in suite without FUNCTION), under a progress bar."""
    from dataclasses import replace

    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn)

    from vmapx._bench.api import bench
    from vmapx._problem.surface import Surface

    in_axes, out_axes, ranks, static = axes
    lookup, rich_bar, on_mesh = how
    if function is None:  # the suite: options about a function are refused by the library
        fn, given = None, named_args(extra, pairs or [], "bench")
        options = {"levels_in": list(in_axes or []) or None, "levels_out": list(out_axes or
                   []) or None, "ranks": ranks, "static": list(static or []) or None}
    else:
        fn, given, options = vmap_options(function, extra, pairs, in_axes, out_axes, ranks,
                                          static, lookup, "bench")
    if not rich_bar:  # the library's own progress (in a notebook, a line it updates)
        return bench(fn, inputs=given, batch=batches, manual=manual, settings=settings,
                     _surface=Surface("bench"), **on_mesh, **options)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    bar = _Bar(Progress(*columns, console=Console(stderr=True), transient=True))
    try:
        return bench(fn, inputs=given, batch=batches, manual=manual,
                     settings=replace(settings, progress=bar), _surface=Surface("bench"),
                     **on_mesh, **options)
    finally:
        bar.stop()


def _show(report: Any, json: bool, debug: bool) -> None:
    if debug:
        show_traceback(report)
    if json:
        print_json(report.to_json())
        return
    from rich.console import Console

    from vmapx._render.bench import render_bench

    Console().print(render_bench(report, show_jax_message=debug))


def export_files(report: Any, params: Mapping[str, Any]) -> None:
    """Write the files the options ask for (--export-json/csv/markdown, --plot)."""
    from vmapx._render.export import EXPORTERS

    for kind in ("json", "csv", "markdown"):
        path = params.get(f"export_{kind}")
        if path is not None:
            write(path, EXPORTERS[kind](report), f"--export-{kind}")
    if params.get("plot") is not None:
        from vmapx._render.plot import to_svg

        write(params["plot"], to_svg(report), "--plot")
