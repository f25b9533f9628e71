"""`vmapx jaxpr`: the batched jaxpr beside the hand-batched and loop versions."""

from __future__ import annotations

from typing import Annotated, Any, Mapping, Optional

import typer

from vmapx.cli.common import check_writable, guarded, print_json, show_traceback, write
from vmapx.cli.completion import complete_stage
from vmapx.cli.streams import console
from vmapx.cli.options import (ArgPairs, AxisSize, Batch, Debug, Function, InAxesLevels, Json,
                               Lookup, MeshAxis, MeshOpt, OutAxesLevels, Ranks, ShardOpt,
                               Static, mesh_options, vmap_options)


def export_view(renderable: Any, svg: str | None, html: str | None, title: str) -> None:
    """Save what the terminal shows as --svg/--html (the command and the magic both call it)."""
    import io

    from rich.console import Console

    recorder = Console(record=True, file=io.StringIO(), width=Console().width,
                       force_jupyter=False)  # recorded only (also under %vmapx)
    recorder.print(renderable)
    if svg is not None:
        write(svg, recorder.export_svg(title=title, clear=False), "--svg")
    if html is not None:
        write(html, recorder.export_html(clear=False), "--html")


def jaxpr(
    ctx: typer.Context,
    function: Function,
    in_axes: InAxesLevels = None,
    out_axes: OutAxesLevels = None,
    ranks: Ranks = None,
    batch: Batch = None,
    axis_size: AxisSize = None,
    static: Static = None,
    arg: ArgPairs = None,
    manual: Annotated[Optional[str], typer.Option(
        "--manual", metavar="SPEC", show_default=False,
        help="The hand-batched twin: a function taking the batched inputs (a bare name is "
             "looked up in FUNCTION's module). Default: the one its module declares.")] = None,
    stage: Annotated[str, typer.Option(
        "--stage", metavar="STAGE", autocompletion=complete_stage,
        help="What to show: jaxpr, stablehlo (lowered) or hlo (compiled).")] = "jaxpr",
    inline: Annotated[bool, typer.Option(
        "--inline", help="Show jaxprs with nested jit/pjit/custom_jvp calls flattened "
                         "(comparisons always look through them).")] = False,
    source_info: Annotated[bool, typer.Option(
        "--source-info", help="Print each equation's source line (pretty_print source_info).")
    ] = False,
    name_stack: Annotated[bool, typer.Option(
        "--name-stack", help="Print each equation's name stack (pretty_print name_stack).")
    ] = False,
    cost: Annotated[bool, typer.Option(
        "--cost/--no-cost", help="XLA's cost estimates (FLOPs, transcendentals, bytes) of "
                                 "each lowered version.")] = True,
    compile_: Annotated[bool, typer.Option(
        "--compile", help="Compile each version: the optimised module's estimates and its "
                          "memory (memory_analysis). Slower.")] = False,
    svg: Annotated[Optional[str], typer.Option(
        "--svg", metavar="FILE", show_default=False,
        help="Also save what the terminal shows as SVG.")] = None,
    html: Annotated[Optional[str], typer.Option(
        "--html", metavar="FILE", show_default=False,
        help="Also save what the terminal shows as HTML.")] = None,
    mesh: MeshOpt = None,
    mesh_axis: MeshAxis = None,
    shard: ShardOpt = None,
    json: Json = False,
    debug: Debug = False,
) -> None:
    """Show vmap's jaxpr beside the hand-batched and loop versions, and what differs.

    Inputs as for vmapx shape: --NAME SHAPE per argument, or nothing when the function's module
    declares example inputs (VMAPX_EXAMPLES), with --batch N for per-example shapes. A SHAPE may
    name an object in your code: --params @mymodel.py:init_params (run with jax.eval_shape).

    Shows each version's jaxpr as JAX prints it (side by side when the terminal is wide enough),
    a verdict ("same 4 primitives in the same order: ..."), the equations aligned by primitive
    with the batch axis of each output, XLA's cost estimates, and pitfalls: a cond turned into
    select_n, a while with a batched predicate, gather/scatter at batched indices, transposes
    the hand-batched version does not have.

    Equations are numbered after inlining nested calls (jit, custom_jvp); the comparison always
    looks through them, --inline also shows them flattened.

    As in vmapx shape: a SHAPE may be a JSON pytree ('{"W": "f32[3,5]", "b": [3]}'), an
    --in-axes entry a pytree prefix ('{"W": null, "b": 0},0'); repeat --in-axes/--out-axes
    for a nest of vmaps (outermost first), or give --ranks; the jaxpr shown is the whole
    nest's. A nest has no loop version (it would be nested loops); a nest or --ranks takes
    the full (batched) shapes, not --batch.

    With --mesh: the collectives XLA inserted into the compiled, batch-sharded jit(vmap) (all-gather, all-reduce, reduce-scatter, all-to-all, collective-permute) with their shapes and bytes, traced to the source line where XLA's metadata allows, and a verdict: embarrassingly parallel, or what was inserted and the usual remedies.

    Examples:

    \b
    vmapx jaxpr examples/neuron.py:model --batch 4
    vmapx jaxpr examples/dot.py:affine --batch 3 --stage stablehlo
    vmapx jaxpr examples/neuron.py:model --manual batched_model --svg neuron.svg
    vmapx jaxpr jnp.dot --a 5,100 --b 100 --in-axes 0,None --json
    vmapx jaxpr jnp.add --a 2,3,4 --b 2,3,4 --in-axes 0 --in-axes 1
    vmapx jaxpr tests/fixtures/mesh_funcs.py:spectrum --mesh data=8
    """

    def body() -> int:
        report = jaxpr_report(ctx.params, ctx.args)
        code = 0 if report.ok else 1
        if debug:
            show_traceback(report)
        if json:
            print_json(report.to_json())
            if not (svg or html):
                return code  # Rich is not even imported
        from vmapx._render.jaxpr import render_jaxpr

        view = render_jaxpr(report, show_jax_message=debug)
        if not json:
            console().print(view)
        if svg or html:
            export_view(view, svg, html, f"vmapx jaxpr {function}")
        return code

    guarded(debug, body, json)


def jaxpr_report(params: Mapping[str, Any], extra: list[str], lookup: Lookup = None) -> Any:
    """Parse the command's options (`params`, by parameter name) and make the one library
    call: the `JaxprReport`. The command and the notebook magic both call this; `lookup`
    is asked first for FUNCTION and --manual."""
    from vmapx._jaxpr.api import jaxpr as run
    from vmapx._jaxpr.settings import JaxprSettings
    from vmapx._problem.surface import Surface

    p = params
    for option in ("svg", "html"):
        if p.get(option) is not None:
            check_writable(p[option], f"--{option}")
    on_mesh = mesh_options(p)
    fn, given, options = vmap_options(p["function"], extra, p["arg"], p["in_axes"],
                                      p["out_axes"], p["ranks"], p["static"], lookup,
                                      "jaxpr")
    settings = JaxprSettings(p["stage"], p["inline"], p["source_info"], p["name_stack"],
                             p["cost"], p["compile_"])
    manual = p["manual"]
    if manual is not None and lookup is not None:
        manual = lookup(manual) or manual
    return run(fn, inputs=given, batch=p["batch"], axis_size=p["axis_size"], manual=manual,
               settings=settings, _surface=Surface("jaxpr"), **on_mesh, **options)
