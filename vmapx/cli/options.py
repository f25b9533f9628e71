"""Options shared by every command (Typer `Annotated` types) and the request they build."""

from __future__ import annotations

from typing import Annotated, Any, Callable, Optional

import typer

from vmapx._text.specs import parse_static
from vmapx.cli.completion import complete_function

# A name → the callable it names in a caller's namespace (a notebook's), or None.
Lookup = Optional[Callable[[str], Any]]

Function = Annotated[str, typer.Argument(
    show_default=False, autocompletion=complete_function,
    help="jnp.NAME, lax.NAME, jax.nn.NAME, jax.scipy…, pkg.module:fn or path/file.py:fn")]
InAxesLevels = Annotated[Optional[list[str]], typer.Option(
    "--in-axes", metavar="AXES", show_default=False,
    help="One entry per positional argument (0,None,-1) or one int for all; an entry may be a "
         "JSON pytree prefix ({\"W\": null, \"b\": 0}). Repeat for nested vmaps, outermost "
         "first. [default: 0]")]
OutAxesLevels = Annotated[Optional[list[str]], typer.Option(
    "--out-axes", metavar="AXES", show_default=False,
    help="One int for all outputs, or one entry per output; repeat once per --in-axes level. "
         "[default: 0]")]
Ranks = Annotated[Optional[str], typer.Option(
    "--ranks", metavar="RANKS", show_default=False,
    help="Base rank of each argument (0,1,2 or s=0,v=1,m=2): extra leading dims are batch "
         "dims, broadcast NumPy-style by a nest of vmaps (as jax_autovmap does).")]
Batch = Annotated[Optional[int], typer.Option(
    "--batch", min=1, metavar="N", show_default=False,
    help="Shapes are per-example; N is inserted at each mapped argument's in_axis.")]
AxisSize = Annotated[Optional[int], typer.Option(
    "--axis-size", min=1, metavar="N", show_default=False,
    help="The batch size when every in_axes entry is None.")]
Static = Annotated[Optional[list[str]], typer.Option(
    "--static", metavar="NAME=VALUE", show_default=False,
    help="A non-array argument as a Python literal, e.g. --static axis=0 (repeatable).")]
ArgPairs = Annotated[Optional[list[str]], typer.Option(
    "--arg", metavar="NAME=SHAPE", show_default=False,
    help="An argument's shape, for names that clash with an option (repeatable).")]
MeshOpt = Annotated[Optional[str], typer.Option(
    "--mesh", metavar="AXES", show_default=False,
    help="A device mesh, e.g. data=8 or data=4,model=2: the batch is sharded over one of its "
         "axes (--mesh-axis, default the first), unmapped inputs replicated. On CPU, vmapx "
         "simulates the devices (XLA's host-platform device count); on GPU/TPU it uses the "
         "real ones.")]
MeshAxis = Annotated[Optional[str], typer.Option(
    "--mesh-axis", metavar="NAME", show_default=False,
    help="The mesh axis the batch is sharded over [default: the mesh's first].")]
ShardOpt = Annotated[Optional[list[str]], typer.Option(
    "--shard", metavar="LEAF=AXES", show_default=False,
    help="With --mesh: lay an input leaf out as you say, one mesh axis or None per dim, e.g. "
         "--shard w=model,None (repeatable); the others: mapped ones split along the batch, "
         "unmapped ones replicated.")]
Json = Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")]
Debug = Annotated[bool, typer.Option(
    "--debug", help="Show JAX's own messages and Python tracebacks.")]


def vmap_options(function: str, extra: list[str], pairs: list[str] | None,
                 in_axes: list[str] | None, out_axes: list[str] | None, ranks: str | None,
                 static: list[str] | None, lookup: Lookup = None, command: str = ""
                 ) -> tuple[Callable[..., Any], dict[str, Any], dict[str, Any]]:
    """The function, its inputs by name, and the vmap options, as the library takes them.

    A repeated `--in-axes`/`--out-axes` is a nest of vmaps (outermost first); entries may be
    JSON pytree prefixes. An explicit `--in-axes None` is kept (it is not "not given").
    `lookup` (the notebook's namespace) is asked first for FUNCTION; None there: as the CLI.
    """
    from vmapx._text.target import resolve
    from vmapx._text.trees import parse_level_axes, parse_ranks
    from vmapx.cli.common import named_args

    given = named_args(extra, pairs or [], command)
    options: dict[str, Any] = {
        "levels_in": [parse_level_axes(t, "in_axes") for t in in_axes or []],
        "levels_out": [parse_level_axes(t, "out_axes") for t in out_axes or []],
        "ranks": parse_ranks(ranks) if ranks is not None else None,
        "static": dict(parse_static(s) for s in static or []),
        "name": function,
    }
    found = lookup(function) if lookup is not None else None
    return (found if found is not None else resolve(function).fn), given, options



def mesh_options(params: Any) -> dict[str, Any]:
    """--mesh/--mesh-axis as the library's keywords, with the CPU device count asked of JAX
    now: before FUNCTION's module is imported (it may start JAX) or anything else runs JAX."""
    mesh, axis, shard = params.get("mesh"), params.get("mesh_axis"), params.get("shard")
    if mesh is None and axis is None and not shard:
        return {}
    from vmapx._analysis.mesh.analysis import prepare

    prepare(mesh, axis, True, shard)
    return {"mesh": mesh, "mesh_axis": axis, "shard": shard}
