"""Options shared by every command (Typer `Annotated` types) and the request they build."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Callable, Optional

import typer

from vmapx.errors import UsageError
from vmapx.spec import ShapeSpec, parse_axes, parse_static

Function = Annotated[str, typer.Argument(
    show_default=False,
    help="jnp.NAME, lax.NAME, jax.nn.NAME, jax.scipy…, pkg.module:fn or path/file.py:fn")]
InAxes = Annotated[Optional[str], typer.Option(
    "--in-axes", metavar="AXES", show_default=False,
    help="One entry per positional argument (0,None,-1) or one int for all. [default: 0]")]
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


def build_request(function: str, given: dict[str, ShapeSpec], in_axes: str | None,
                  out_axes: str, batch: int | None, axis_size: int | None,
                  static: list[str] | None) -> Request:
    """Resolve the function, parse axes and statics, and fall back on declared example inputs."""
    from vmapx.declared import declared as find_declared
    from vmapx.target import resolve

    axes_in = parse_axes(in_axes, "in_axes") if in_axes is not None else None
    axes_out = parse_axes(out_axes, "out_axes")
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
    return Request(target.fn, function, given, 0 if axes_in is None else axes_in, axes_out,
                   batch, axis_size, statics, target, decl, notes)
