"""`%vmapx shape|jaxpr|bench …`: the CLI's commands as an IPython line magic.

The line is parsed by the CLI's own Click commands (same options, same help, same messages)
and handed to the same report functions the commands call; FUNCTION and `--manual` are looked
up in the notebook's namespace first (a function defined in a cell, a lambda bound to a name,
a `functools.partial`, `module.attr` of an imported module), then resolved as the CLI does.
The magic returns the report, which the notebook shows as its tables (HTML), also when it is
assigned on a cell's last line (`r = %vmapx …`); a mistake is
shown as the CLI's `error: …` / `hint: …`, never as a traceback (unless `--debug`).
"""

from __future__ import annotations

import ast
import shlex
import sys
from typing import Any, Callable, Mapping

from vmapx.errors import TargetError, VmapxError

# The command → the function that parses its options and makes the one library call.
_REPORTS = {"shape": ("vmapx.cli.shape", "shape_report"),
            "jaxpr": ("vmapx.cli.jaxpr", "jaxpr_report"),
            "bench": ("vmapx.cli.bench", "bench_report")}


def load(shell: Any) -> None:
    """Register `%vmapx` on an IPython shell (what `%load_ext vmapx` calls)."""

    def vmapx(line: str) -> Any:
        return run(line, shell.user_ns)

    vmapx.__doc__ = __doc__
    shell.register_magic_function(vmapx, magic_kind="line", magic_name="vmapx")
    if not any(isinstance(t, ShowAssigned) for t in shell.ast_transformers):
        shell.ast_transformers.append(ShowAssigned())


class ShowAssigned(ast.NodeTransformer):
    """`r = %vmapx …` as a cell's last statement shows the report too, as a bare `%vmapx …`
    does: the cell gets a last line `r` (IPython's documented `ast_transformers` hook, which
    sees the magic as `get_ipython().run_line_magic('vmapx', …)`)."""

    def visit_Module(self, node: ast.Module) -> ast.Module:
        last = node.body[-1] if node.body else None
        if (isinstance(last, ast.Assign) and len(last.targets) == 1
                and isinstance(last.targets[0], ast.Name) and _is_magic(last.value)):
            show = ast.Expr(ast.Name(last.targets[0].id, ast.Load()))
            node.body.append(ast.fix_missing_locations(ast.copy_location(show, last)))
        return node


def _is_magic(value: ast.expr) -> bool:
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr == "run_line_magic" and bool(value.args)
            and isinstance(value.args[0], ast.Constant) and value.args[0].value == "vmapx")


def lookup_in(namespace: Mapping[str, Any]) -> Callable[[str], Any]:
    """A lookup of names in `namespace`: `model`, `jnp.add` (when `jnp` is there) → the
    callable; None when the name is not there (the CLI resolves it then)."""

    def lookup(spec: str) -> Any:
        head, _, rest = spec.strip().partition(".")
        if ":" in spec or not head.isidentifier() or head not in namespace:
            return None
        obj = namespace[head]
        for part in rest.split(".") if rest else []:
            obj = getattr(obj, part, None)
        if callable(obj):
            return obj
        if not rest:
            raise TargetError(f"{head!r} in the notebook is {_a(type(obj).__name__)}, not a "
                              "function", "name a function defined in the notebook (def or "
                              "a lambda bound to a name), or a spec like jnp.add")
        return None

    return lookup


def run(line: str, namespace: Mapping[str, Any]) -> Any:
    """Run one `%vmapx` line: the report (or, with --json, its JSON as a dict); None after
    --help or a mistake, which is shown as the CLI shows it."""
    debug = "--debug" in line.split()
    try:
        argv = shlex.split(line)
    except ValueError as exc:  # an unclosed quote
        _say(f"cannot read the line: {exc}", "close each quote, e.g. --W '{\"a\": [3]}'")
        return None
    try:
        return _run(argv, namespace)
    except VmapxError as error:
        if debug:
            raise
        _say(error.message, error.hint)
    except KeyboardInterrupt:
        _say("interrupted", None)
    except Exception as exc:
        if debug:
            raise
        _said_by_click(exc) or _say(f"unexpected {type(exc).__name__}: {exc}",
                                    "run again with --debug to see the traceback, and please "
                                    "report it")
    return None


def _run(argv: list[str], namespace: Mapping[str, Any]) -> Any:
    import importlib

    import typer
    import typer.main

    from vmapx.cli import app

    group = typer.main.get_command(app)
    try:
        if not argv or argv[0].startswith("-"):  # --help, --version, nothing: as the CLI
            group.make_context("%vmapx", argv or ["--help"])
            return None
        name, rest = argv[0], argv[1:]
        if name not in _REPORTS:
            raise VmapxError(f"no command {name!r}", "the commands are shape, jaxpr and bench "
                             "(%vmapx --help)")
        root = group.context_class(group, info_name="%vmapx")
        ctx = group.get_command(root, name).make_context(name, rest, parent=root)
    except typer.Exit:
        return None
    module, attr = _REPORTS[name]
    report = getattr(importlib.import_module(module), attr)(
        ctx.params, ctx.args, lookup_in(namespace), **({"rich_bar": False}
                                                      if name == "bench" else {}))
    _write_files(name, report, ctx.params)
    if ctx.params.get("debug"):
        from vmapx.cli.common import show_traceback

        show_traceback(report)
    return report.to_json() if ctx.params.get("json") else report


def _write_files(name: str, report: Any, params: Mapping[str, Any]) -> None:
    """The files the options ask for, as the CLI writes them."""
    if name == "bench" and report.error is None:
        from vmapx.cli.bench import export_files

        export_files(report, params)
    elif name == "jaxpr" and (params.get("svg") or params.get("html")):
        from vmapx._render.jaxpr import render_jaxpr
        from vmapx.cli.jaxpr import export_view

        export_view(render_jaxpr(report), params.get("svg"), params.get("html"),
                f"vmapx jaxpr {params['function']}")


def _said_by_click(exc: Exception) -> bool:
    """A mistake the option parser found (unknown option, missing value): its message."""
    if not hasattr(exc, "format_message"):
        return False
    _say(exc.format_message(), "see %vmapx --help, or %vmapx COMMAND --help")
    return True


def _say(message: str, hint: str | None) -> None:
    """`error: …` / `hint: …` on stderr, as the CLI prints them (a red block in Jupyter)."""
    sys.stderr.write(f"error: {message}\n" + (f"hint: {hint}\n" if hint else ""))


def _a(noun: str) -> str:
    return ("an " if noun[:1] in "aeiou" else "a ") + noun
