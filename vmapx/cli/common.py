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
from vmapx._report.common import jsonable
from vmapx._text.inputs import to_spec
from vmapx._text.objects import is_ref
from vmapx._text.trees import parse_tree_spec
from vmapx._text.specs import ShapeSpec
from vmapx.cli.streams import console, reader_gone

# Options that let a command take `--NAME SHAPE` for each of the function's own arguments.
DYNAMIC = {"allow_extra_args": True, "ignore_unknown_options": True}


def fail(error: VmapxError) -> NoReturn:
    """Print a VmapxError as `error: …` / `hint: …` on stderr and exit with its code."""
    from rich.text import Text

    console_ = console(stderr=True)
    msg = Text("error: ", style="bold red")
    msg.append(_cut(error.message))
    if error.hint:
        msg.append("\nhint: ", style="bold green")
        msg.append(_cut(error.hint))
    console_.print(msg)
    raise typer.Exit(error.exit_code)


def _cut(text: str) -> str:
    """A message with any run of 200+ characters without a space (a 100,000-character name or
    number the user typed, echoed back) cut to its first 60."""
    import re

    return re.sub(r"\S{200,}", lambda m: m.group()[:60] + "…", text)


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


# Where `print_json` writes while the user's own prints are sent to stderr (innermost last).
_JSON_OUT: list[Any] = []


@contextlib.contextmanager
def users_prints_to_stderr(json_out: bool):
    """With --json, whatever the user's code prints while vmapx runs (at import, in the
    function, through jax.debug.print and callbacks, which print to Python's sys.stdout) goes
    to stderr: stdout holds the JSON and nothing else."""
    if not json_out:
        yield
        return
    _JSON_OUT.append(sys.stdout)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        _JSON_OUT.pop()


@contextlib.contextmanager
def quiet_callback_logs(debug: bool):
    """Without --debug, JAX's own log of a failing `jax.debug.callback` (a traceback on
    stderr) is held back: vmapx reports that failure itself, at the user's line."""
    import logging

    from vmapx._analysis._compat import DEBUG_CALLBACK_LOGGER

    logger = logging.getLogger(DEBUG_CALLBACK_LOGGER)
    before = logger.level
    if not debug:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(before)


def guarded(debug: bool, body: Callable[[], int], json_out: bool = False) -> None:
    """Run a command body: VmapxErrors become messages and exit codes; no traceback unless
    --debug. The body returns its exit code. With `json_out`, the user's prints go to stderr."""
    try:
        with fewer_collections(), users_prints_to_stderr(json_out), \
                quiet_callback_logs(debug):
            code = body()
    except typer.Exit:
        raise
    except VmapxError as error:
        if debug:
            raise
        fail(error)
    except KeyboardInterrupt:
        raise typer.Exit(130)
    except BrokenPipeError:  # the reader went away (`vmapx … | head -1`): stop quietly
        reader_gone()
    except MemoryError as exc:  # absurd shapes or batch sizes: bad input, not a vmapx bug
        if debug:
            raise
        fail(VmapxError(f"not enough memory for these inputs ({exc or 'MemoryError'})",
                        "use smaller shapes or batch sizes"))
    except Exception as exc:  # a bug in vmapx or an error we did not foresee
        if debug:
            raise
        fail(backend_error() or VmapxError(f"unexpected {type(exc).__name__}: {exc}",
                        "run again with --debug to see the traceback, and please report it"))
    except BaseException as exc:  # SystemExit & co. from the user's code, outside its function
        if debug:
            raise
        fail(VmapxError(f"your code raised {type(exc).__name__}"
                        + (f": {exc}" if str(exc) else "") + " while vmapx was using it",
                        "a module or object vmapx reads must not exit or stop the program; "
                        "--debug shows where"))
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
                typo = _typo(f"--{name}", command, None)
                if typo:
                    raise typo
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


def _typo(flag: str, command: str, value: str | None) -> UsageError | None:
    """`--inaxes` → "did you mean --in-axes?", when `flag` (as shown to the user) is close to
    one of `command`'s options; None when it is not (then it names a function argument)."""
    typo = Surface(command).option_typo(flag[2:]) if command else None
    if not typo:
        return None
    return UsageError(f"{flag} is not an option: did you mean {typo}?",
                      f"write {typo} {value}" if value is not None
                      else f"write {typo}; arguments are --NAME SHAPE")


def _add(out: dict[str, ShapeSpec], name: str, value: str, command: str = "") -> None:
    if not name.isidentifier():
        raise SpecError(f"--{name} is not an option or an argument name",
                        "run with --help to see the options; arguments are --NAME SHAPE")
    if name in out:
        raise SpecError(f"--{name} is given twice", f"give --{name} once")
    try:
        out[name] = to_spec(value) if is_ref(value) else parse_tree_spec(value)
    except SpecError as err:
        # `--mesh-axes data`: a mistyped option, not a bad shape
        typo = _typo(f"--{name.replace('_', '-')}", command, value)
        if typo:
            raise typo from None
        raise SpecError(f"--{name}: {err.message}", err.hint) from None


def show_traceback(report: Any) -> None:
    """--debug: the traceback of the exception behind a failing vmap (the chain down to the
    user's frame, JAX's message last) on stderr, unwrapped, as Python prints one."""
    tbs = [getattr(getattr(report, "error", None), "traceback", None)]
    tbs += [getattr(r, "traceback", None) for r in getattr(report, "results", None) or []]
    for tb in dict.fromkeys(tb for tb in tbs if tb):  # a bench's failing variants: each once
        sys.stderr.write(tb + "\n")


def print_json(data: Any) -> None:
    """The report as strict JSON on stdout, and nothing else there: a NaN or infinite number
    (a benchmark's ratio, say) is written as null, which every JSON reader accepts."""
    out = _JSON_OUT[-1] if _JSON_OUT else sys.stdout
    out.write(json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n")


def backend_error() -> VmapxError | None:
    """When JAX cannot start the backends JAX_PLATFORMS names (`bogus`, `cuda` without a GPU),
    the same clear message as `--backend gpu` on a machine without one; None otherwise."""
    platforms = os.environ.get("JAX_PLATFORMS") or os.environ.get("JAX_PLATFORM_NAME")
    if not platforms or "jax" not in sys.modules:
        return None
    import jax

    try:
        jax.devices()
    except Exception as exc:  # JAX raises RuntimeError, or (no plugin for it) AssertionError
        said = (str(exc).strip().splitlines() or [""])[0][:200]
        return UsageError(f"JAX_PLATFORMS={platforms}: JAX cannot start that backend on this "
                          "machine" + (f" ({said})" if said else ""),
                          "set JAX_PLATFORMS=cpu, or unset it to let JAX pick what this "
                          "machine has")
    return None


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
