"""What every command shares: the error boundary, named-argument parsing, JSON output."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, NoReturn

import typer

from vmapx.errors import SpecError, UsageError, VmapxError
from vmapx._problem.surface import Surface
from vmapx._text.inputs import to_spec
from vmapx._text.objects import is_ref
from vmapx._text.trees import parse_tree_spec
from vmapx._text.specs import ShapeSpec

# Options that let a command take `--NAME SHAPE` for each of the function's own arguments.
DYNAMIC = {"allow_extra_args": True, "ignore_unknown_options": True}


def fail(error: VmapxError) -> NoReturn:
    """Print a VmapxError as `error: …` / `hint: …` on stderr and exit with its code."""
    from rich.console import Console
    from rich.text import Text

    console = Console(stderr=True)
    msg = Text("error: ", style="bold red")
    msg.append(error.message)
    if error.hint:
        msg.append("\nhint: ", style="bold green")
        msg.append(error.hint)
    console.print(msg)
    raise typer.Exit(error.exit_code)


@contextlib.contextmanager
def fewer_collections():
    """Run with the cyclic garbage collector's gen-0 threshold at 50,000 allocations, not 700.

    Importing jax and tracing allocate a million objects, mostly kept; at the default
    threshold the collector walks them again and again (~100 ms of a ~700 ms `vmapx jaxpr`;
    benchmarks/). Collections still run, so cyclic garbage stays bounded; the defaults come
    back after. (timeit goes further and turns the collector off while timing.)
    """
    old = gc.get_threshold()
    gc.set_threshold(50_000, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def guarded(debug: bool, body: Callable[[], int]) -> None:
    """Run a command body: VmapxErrors become messages and exit codes; no traceback unless
    --debug. The body returns its exit code."""
    try:
        with fewer_collections():
            code = body()
    except typer.Exit:
        raise
    except VmapxError as error:
        if debug:
            raise
        fail(error)
    except KeyboardInterrupt:
        raise typer.Exit(130)
    except MemoryError as exc:  # absurd shapes or batch sizes: bad input, not a vmapx bug
        if debug:
            raise
        fail(VmapxError(f"not enough memory for these inputs ({exc or 'MemoryError'})",
                        "use smaller shapes or batch sizes"))
    except Exception as exc:  # a bug in vmapx or an error we did not foresee
        if debug:
            raise
        fail(VmapxError(f"unexpected {type(exc).__name__}: {exc}",
                        "run again with --debug to see the traceback, and please report it"))
    raise typer.Exit(code)


def named_args(extra: list[str], pairs: list[str], command: str = "") -> dict[str, ShapeSpec]:
    """`--a 2,3 --b=f32[3]` (left over by the option parser) and `--arg NAME=SHAPE` → specs.
    `command` names whose options a mistyped flag is compared with."""
    out: dict[str, ShapeSpec] = {}
    tokens = list(extra)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.startswith("--") or len(tok) < 3:
            raise SpecError(f"unexpected argument {tok!r}",
                            "name the FUNCTION first, then each argument's shape as --NAME "
                            "SHAPE, e.g. jnp.add --a 2,3 --b f32[2,3]")
        name, eq, value = tok[2:].partition("=")
        if not eq:
            if i + 1 >= len(tokens) or tokens[i + 1].startswith("--"):
                typo = Surface(command).option_typo(name) if command else None
                if typo:
                    raise UsageError(f"--{name} is not an option: did you mean {typo}?",
                                     f"write {typo}; arguments are --NAME SHAPE")
                raise SpecError(f"--{name} needs a shape",
                                f"write e.g. --{name} f32[3,4] (or --{name} 3,4)")
            value = tokens[i + 1]
            i += 1
        i += 1
        _add(out, name.replace("-", "_") if not name.isidentifier() else name, value, command)
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name.strip().isidentifier():
            raise SpecError(f"cannot read --arg {pair!r}", "write --arg NAME=SHAPE, e.g. "
                            "--arg x=f32[3,4]")
        _add(out, name.strip(), value)
    return out


def _add(out: dict[str, ShapeSpec], name: str, value: str, command: str = "") -> None:
    if not name.isidentifier():
        raise SpecError(f"--{name} is not an option or an argument name",
                        "run with --help to see the options; arguments are --NAME SHAPE")
    if name in out:
        raise SpecError(f"--{name} is given twice", f"give --{name} once")
    try:
        out[name] = to_spec(value) if is_ref(value) else parse_tree_spec(value)
    except SpecError as err:
        typo = Surface(command).option_typo(name) if command else None
        if typo:   # `--mesh-axes data`: a mistyped option, not a bad shape
            raise UsageError(f"--{name.replace('_', '-')} is not an option: did you mean "
                             f"{typo}?", f"write {typo} {value}") from None
        raise SpecError(f"--{name}: {err.message}", err.hint) from None


def show_traceback(report: Any) -> None:
    """--debug: the traceback of the exception behind a failing vmap (the chain down to the
    user's frame, JAX's message last) on stderr, unwrapped, as Python prints one."""
    tbs = [getattr(getattr(report, "error", None), "traceback", None)]
    tbs += [getattr(r, "traceback", None) for r in getattr(report, "results", None) or []]
    for tb in dict.fromkeys(tb for tb in tbs if tb):  # a bench's failing variants: each once
        sys.stderr.write(tb + "\n")


def print_json(data: Any) -> None:
    """The report as JSON on stdout, and nothing else there."""
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


_SUFFIX = {"--svg": ".svg", "--html": ".html", "--plot": ".svg", "--export-json": ".json",
           "--export-csv": ".csv", "--export-markdown": ".md"}


def check_writable(path: Path | str, option: str) -> None:
    """Refuse (exit 2), before any work starts, a file option that cannot be written."""
    suffix = _SUFFIX.get(option, Path(path).suffix)
    hint = f"give {option} a file in a folder you can write, e.g. {option} out{suffix}"
    if not str(path).strip():
        raise UsageError(f"{option} needs a file name (it was given an empty one)", hint)
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{option} {path}: cannot write there (it is a directory)", hint)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option} {path}: cannot write there (the folder {parent} does "
                         "not exist)",
                         f"create it first (mkdir -p {parent}), or {hint}")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"{option} {path}: cannot write there (permission denied)", hint)


def write(path: Path | str, text: str, option: str) -> None:
    """Write a file an option asks for and say so on stderr (`wrote PATH`: stdout stays the
    report's); a failure is bad input (exit 2), said in the option's words. Every file vmapx
    writes goes through here."""
    check_writable(path, option)
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write: {exc.strerror or exc}",
                         "give a file in a folder you can write to") from None
    sys.stderr.write(f"wrote {path}\n")
