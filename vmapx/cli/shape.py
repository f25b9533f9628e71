"""`vmapx shape`: the vmap shape explorer."""

from __future__ import annotations

from typing import Annotated, Any, Mapping

import typer

from vmapx.cli.common import guarded, print_json, show_traceback
from vmapx.cli.options import (ArgPairs, AxisSize, Batch, Debug, Function, InAxesLevels, Json,
                               Lookup, MeshAxis, MeshOpt, OutAxesLevels, Ranks, ShardOpt,
                               Static, mesh_options, vmap_options)


def shape(
    ctx: typer.Context,
    function: Function,
    in_axes: InAxesLevels = None,
    out_axes: OutAxesLevels = None,
    ranks: Ranks = None,
    batch: Batch = None,
    axis_size: AxisSize = None,
    static: Static = None,
    arg: ArgPairs = None,
    explore: Annotated[bool, typer.Option(
        "--explore", help="Try every in_axes combination and show what each gives.")] = False,
    mesh: MeshOpt = None,
    mesh_axis: MeshAxis = None,
    shard: ShardOpt = None,
    json: Json = False,
    debug: Debug = False,
) -> None:
    """Show what vmap does to shapes: outputs, where the batch axis lands, why it fails.

    Give each argument's shape as --NAME SHAPE, NAME being the function's parameter name (--v 4,5 for model(v)) or, for functions taking *args like jnp.add, its position: --a, --b, --c … An argument left without a shape borrows the per-example shape of the first mapped argument.

    SHAPE: 2,3,5 · f32[2,3,5] · float32[2,3,5] · f32[] or scalar for a scalar. Dtypes: bool, i8…i64, u8…u64, bf16, f16, f32 (the default), f64, c64, c128, or their long names (float32); a 64-bit dtype turns on x64.

    AXES: 0,None (one entry per positional argument) · 1 (the same for all) · -1 (counted from the end). An entry may be a JSON pytree prefix: '{"W": null, "b": 0},0'. Repeat --in-axes (and --out-axes) for nested vmaps, outermost first.

    A SHAPE may be a JSON pytree of shapes: --params '{"W": "f32[3,5]", "b": [3]}' (a list of ints is a shape). --ranks 0,1,2 (or s=0,v=1,m=2) gives each argument's base rank; extra leading dims become a nest of vmaps, broadcast as NumPy does.

    A SHAPE may also name an object in your code with a leading @: --params @mymodel:params (arrays, jax.ShapeDtypeStructs, or a pytree of them: dicts, lists, tuples, NamedTuples, registered dataclasses) or --params @mymodel.py:init_params (a function taking no required arguments, run with jax.eval_shape: nothing is allocated).

    Without --batch the shapes are the full, batched shapes; with --batch N they are per-example and N is inserted at each mapped argument's in_axis. With --mesh, also the shape each device holds of every input and output, and the sharding XLA chose for each output (compiled on shapes: nothing allocated), flagged when it is replicated or sharded otherwise than the batch.

    Examples:

    \b
    vmapx shape jnp.add --a 2,3,5 --in-axes 0,None
    vmapx shape jnp.dot --a 5,100 --b 100 --in-axes 0,None
    vmapx shape examples/neuron.py:model --v 4,5
    vmapx shape examples/dot.py:affine --batch 3
    vmapx shape jnp.add --a 2,3,5 --b 2,3,5 --in-axes 0,1 --explore  # exit 1
    vmapx shape jnp.sum --a 4,3 --static axis=0 --json
    vmapx shape examples/autovmap.py:foo --s f32[] --v 5,3 --m 5,3,3 --ranks 0,1,2
    vmapx shape jnp.add --a 2,3,4 --b 2,3,4 --in-axes 0 --in-axes 1
    vmapx shape examples/mlp.py:model --x 5 --batch 8 --in-axes None,0 \\
      --params @examples/mlp.py:init_params
    vmapx shape examples/dot.py:dot --batch 64 --mesh data=8
    """

    def body() -> int:
        report = shape_report(ctx.params, ctx.args)
        if json:
            print_json(report.to_json())
        else:
            from rich.console import Console

            from vmapx._render.shape import render_shape

            Console().print(render_shape(report, show_jax_message=debug))
        if debug:
            show_traceback(report)
        return 0 if report.ok else 1

    guarded(debug, body)


def shape_report(params: Mapping[str, Any], extra: list[str], lookup: Lookup = None) -> Any:
    """Parse the command's options (`params`, by parameter name) and make the one library
    call: the `ShapeReport`. The command and the notebook magic both call this."""
    from vmapx._analysis.shape import shape as run
    from vmapx._problem.surface import Surface

    p = params
    on_mesh = mesh_options(p)
    fn, given, options = vmap_options(p["function"], extra, p["arg"], p["in_axes"],
                                      p["out_axes"], p["ranks"], p["static"], lookup,
                                      "shape")
    return run(fn, inputs=given, batch=p["batch"], axis_size=p["axis_size"],
               explore=p["explore"], _surface=Surface("shape"), **on_mesh, **options)
