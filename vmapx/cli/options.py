"""Options shared by every command (Typer `Annotated` types) and the request they build."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Optional

import typer

from vmapx.errors import UsageError
from vmapx._text.specs import ShapeSpec, parse_static

Function = Annotated[str, typer.Argument(
    show_default=False,
    help="jnp.NAME, lax.NAME, jax.nn.NAME, jax.scipy…, pkg.module:fn or path/file.py:fn")]
InAxes = Annotated[Optional[str], typer.Option(
    "--in-axes", metavar="AXES", show_default=False,
    help="One entry per positional argument (0,None,-1) or one int for all. [default: 0]")]
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
OutAxes = Annotated[str, typer.Option(
    "--out-axes", metavar="AXES", help="One int for all outputs, or one entry per output.")]
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
Json = Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")]
Debug = Annotated[bool, typer.Option(
    "--debug", help="Show JAX's own messages and Python tracebacks.")]


@dataclass
class Request:
    """What a command needs from the shared options: the callable and its inputs."""

    fn: Callable[..., Any]
    fn_name: str
    given: dict[str, ShapeSpec]
    in_axes: Any
    out_axes: Any
    batch: int | None
    axis_size: int | None
    static: dict[str, Any]
    target: Any = None
    declared: Any = None
    notes: list[str] = field(default_factory=list)
    levels_in: list[Any] = field(default_factory=list)   # every --in-axes level, outermost first
    levels_out: list[Any] = field(default_factory=list)
    ranks: Any = None


def build_request(function: str, given: dict[str, Any], in_axes: str | list[str] | None,
                  out_axes: str | list[str] | None, batch: int | None, axis_size: int | None,
                  static: list[str] | None, ranks: str | None = None) -> Request:
    """Resolve the function, parse axes and statics, and fall back on declared example inputs.

    `in_axes`/`out_axes` may be lists (a repeated option: one per nested vmap, outermost first);
    entries may be JSON pytree prefixes.
    """
    from vmapx._text.declared import declared as find_declared
    from vmapx._text.trees import parse_level_axes, parse_ranks
    from vmapx._text.target import resolve

    texts_in = [in_axes] if isinstance(in_axes, str) else list(in_axes or [])
    texts_out = [out_axes] if isinstance(out_axes, str) else list(out_axes or ["0"])
    levels_in = [parse_level_axes(t, "in_axes") for t in texts_in]
    levels_out = [parse_level_axes(t, "out_axes") for t in texts_out]
    if ranks is not None and texts_in:
        raise UsageError("--ranks and --in-axes both set the in_axes",
                         "give one: --ranks builds every level's in_axes from the base ranks")
    if len(levels_out) > 1 and len(levels_out) != max(len(levels_in), 1):
        raise UsageError(f"{len(levels_in)} --in-axes levels but {len(levels_out)} --out-axes",
                         "give --out-axes once (the same for every level) or once per level")
    axes_in = levels_in[0] if levels_in else None
    axes_out = levels_out[0]
    statics = dict(parse_static(s) for s in static or [])
    target = resolve(function)
    decl = find_declared(target.module, target.attr)
    notes = []
    if decl is not None:
        if not given:
            given = dict(decl.inputs)
            batch = batch or decl.batch
            if batch is None:
                raise UsageError(f"{function} declares per-example inputs but no batch size",
                                 "give the batch size with --batch N")
            notes.append(f"per-example inputs from {target.module.__name__.removeprefix('vmapx_user_')}"
                         f".VMAPX_EXAMPLES: " + ", ".join(f"{n} {s}" for n, s in given.items()))
            if axes_in is None and decl.in_axes is not None:
                axes_in = decl.in_axes
        statics = {**decl.static, **statics}
    first = 0 if axes_in is None else axes_in
    return Request(target.fn, function, given, first, axes_out, batch, axis_size, statics,
                   target, decl, notes, levels_in=[first] + levels_in[1:], levels_out=levels_out,
                   ranks=parse_ranks(ranks) if ranks is not None else None)
