"""One `vmapx watch` session: the command line being watched, the user's modules, the view.

`Session` is the library entry of live mode: `run()` answers the command line as the command
would (its own `shape_report`/`jaxpr_report`, rendered by its own renderer: there is no second
pipeline), `changed(paths)` forgets the user's modules and answers again, `edit(line)` replaces
options (`--in-axes None,0`) and answers again, `view()` is what the screen shows. The loop
around it (file events, the prompt, Rich Live, Ctrl-C) is in watch.py.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any, Iterable

from vmapx.errors import UsageError, VmapxError

COMMANDS = ("shape", "jaxpr")
_LIBRARY_PARTS = ("site-packages", "dist-packages")
_VMAPX = str(Path(__file__).resolve().parent.parent) + os.sep


class Session:
    """The state of one watch: argv (`[command, FUNCTION, options…]`), the last answer, the
    last good one, and what failed since."""

    def __init__(self, argv: list[str], group: Any) -> None:
        command_of(argv)
        self.group = group       # the CLI's Click group: its commands parse the line
        self.argv = list(argv)
        self.count = 0          # answers drawn so far
        self.answer: Any = None  # the last answer's renderable (a report or an error)
        self.good: Any = None    # the last answer that was a report without error
        self.failed = False      # the last answer is an error (shown above the good one)
        self.ms = 0.0
        self.why = "started"
        self.roots = _roots(self.argv)
        self.baseline = set(sys.modules)  # modules that are not the user's to forget

    def run(self, why: str = "") -> bool:
        """Answer the command line now; True when the answer is a report without error."""
        t0 = time.perf_counter()
        self.why = why or self.why
        try:
            report, debug = self._report()
        except VmapxError as error:
            self.answer, self.failed = _error_view(error.message, error.hint), True
        except Exception as exc:  # the CLI's option parser, or something unforeseen
            message = (exc.format_message() if hasattr(exc, "format_message")
                       else f"{type(exc).__name__}: {exc}")
            self.answer, self.failed = _error_view(message, None), True
        else:
            self.answer = _render(report, debug)
            self.failed = not report.ok
            if report.ok:
                self.good = self.answer
        self.count += 1
        self.ms = (time.perf_counter() - t0) * 1e3
        return not self.failed

    def changed(self, paths: Iterable[str]) -> bool:
        """Some of the user's files were saved: forget their modules, answer again."""
        names = sorted(Path(p).name for p in paths)
        forget_user_modules(self.roots, self.baseline)
        return self.run(f"{', '.join(names) or 'a file'} saved")

    def edit(self, line: str) -> bool:
        """Replace options from a prompt line (`--in-axes None,0 --batch 8`; a first word
        without `--` replaces FUNCTION; `shape`/`jaxpr` switches the command) and answer."""
        try:
            argv = replaced(self.argv, shlex.split(line), self.group)
        except (ValueError, UsageError) as exc:
            message = exc.message if isinstance(exc, UsageError) else f"cannot read it: {exc}"
            hint = exc.hint if isinstance(exc, UsageError) else "close each quote"
            self.answer, self.failed, self.count = _error_view(message, hint), True, \
                self.count + 1
            return False
        self.argv = argv
        self.roots = _roots(argv)
        forget_user_modules(self.roots, self.baseline)
        return self.run(f"options: {shlex.join(argv[1:])}")

    def files(self) -> set[str]:
        """The user's files to watch: every module loaded from under the roots (the folder the
        command runs in, the FUNCTION file's folder) that is not a library, and the .py files
        the command line names (watched even when they fail to import)."""
        found = {os.path.abspath(m.__file__) for name, m in list(sys.modules.items())
                 if _is_users(name, m, self.roots, self.baseline)}
        for part in self.argv[1:]:
            path = part.lstrip("@").split(":")[0]
            if path.endswith(".py") and os.path.isfile(path):
                found.add(os.path.abspath(path))
        return found

    def view(self, status_first: bool = False) -> Any:
        """What the screen shows: the answer; under an error, the last good answer greyed;
        the status line last (first when drawn in place, where a tall answer is cropped)."""
        from rich.console import Group
        from rich.styled import Styled
        from rich.text import Text

        parts = [self.answer] if self.answer is not None else []
        if self.failed and self.good is not None and self.good is not self.answer:
            parts += [Text("last good answer:", style="dim bold"), Styled(self.good, "dim")]
        return Group(self.status(), *parts) if status_first else Group(*parts, self.status())

    def status(self) -> Any:
        from rich.text import Text

        n = len(self.files())
        text = Text(f"─ vmapx watch {shlex.join(self.argv)} · answer #{self.count} "
                    f"({self.ms:.0f} ms, {self.why}) · watching {n} file{'s' * (n != 1)}",
                    style="bold cyan" if not self.failed else "bold red")
        text.append("\n  type options and Enter to change them (e.g. --in-axes None,0); "
                    "Ctrl-C quits", style="dim")
        return text

    def _report(self) -> tuple[Any, bool]:
        """The command's own report function on the parsed command line."""
        command = command_of(self.argv)
        group = self.group
        root = group.context_class(group, info_name="vmapx")
        ctx = group.get_command(root, command).make_context(command, self.argv[1:],
                                                           parent=root)
        if command == "shape":
            from vmapx.cli.shape import shape_report as report_of
        else:
            from vmapx.cli.jaxpr import jaxpr_report as report_of
        return report_of(ctx.params, ctx.args), bool(ctx.params.get("debug"))


def command_of(argv: list[str]) -> str:
    if not argv or argv[0] not in COMMANDS:
        raise UsageError(f"vmapx watch takes a shape or jaxpr command line, not "
                         f"{argv[0] if argv else 'nothing'!r}",
                         "e.g. vmapx watch shape examples/neuron.py:model --batch 4")
    if len(argv) < 2 or argv[1].startswith("-"):
        raise UsageError(f"vmapx watch {argv[0]} needs a FUNCTION",
                         f"e.g. vmapx watch {argv[0]} examples/neuron.py:model --batch 4")
    return argv[0]


def _render(report: Any, debug: bool) -> Any:
    if type(report).__name__ == "ShapeReport":
        from vmapx._render.shape import render_shape

        return render_shape(report, show_jax_message=debug)
    from vmapx._render.jaxpr import render_jaxpr

    return render_jaxpr(report, show_jax_message=debug)


def _error_view(message: str, hint: str | None) -> Any:
    """`error: …` / `hint: …` as the CLI prints them."""
    from rich.text import Text

    text = Text("error: ", style="bold red")
    text.append(message)
    if hint:
        text.append("\nhint: ", style="bold green")
        text.append(hint)
    return text


def _flags(group: Any, command: str) -> dict[str, bool]:
    """Each option name of `command` (`--batch`, `--no-cost`) → whether it is a flag."""
    cmd = group.get_command(group.context_class(group, info_name="vmapx"), command)
    out = {}
    for param in cmd.params:
        for name in [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]:
            if name.startswith("--"):
                out[name] = bool(getattr(param, "is_flag", False))
    return out


def _options(tokens: list[str], flags: dict[str, bool]) -> list[tuple[str, list[str]]]:
    """`--in-axes 0 --cost --x=3` → [("--in-axes", ["0"]), ("--cost", []), ("--x", ["3"])];
    an option vmapx does not know is an argument's `--NAME SHAPE`."""
    out, i = [], 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.startswith("--"):
            raise UsageError(f"{tok!r} is not an option", "type options, e.g. --in-axes None,0")
        name, eq, value = tok.partition("=")
        if eq:
            out.append((name, [value]))
        elif flags.get(name, False):
            out.append((name, []))
        elif i + 1 < len(tokens):
            out.append((name, [tokens[i + 1]]))
            i += 1
        else:
            raise UsageError(f"{name} needs a value", f"e.g. {name} VALUE")
        i += 1
    return out


def replaced(argv: list[str], tokens: list[str], group: Any) -> list[str]:
    """`argv` with the options in `tokens` replacing every occurrence of the same options (a
    flag and its `--no-` form count as one); a leading `shape`/`jaxpr` switches the command,
    a leading word without `--` replaces FUNCTION. `group`: the CLI's Click group."""
    command, function, rest = argv[0], argv[1], argv[2:]
    if tokens and tokens[0] in COMMANDS:
        command, tokens = tokens[0], tokens[1:]
    if tokens and not tokens[0].startswith("--"):
        function, tokens = tokens[0], tokens[1:]
    flags = {**_flags(group, argv[0]), **_flags(group, command)}
    new = _options(tokens, flags)
    kin = {name: _family(name) for name, _ in new}
    kept = [(n, v) for n, v in _options(rest, flags) if _family(n) not in kin.values()]
    return [command, function] + [t for n, v in kept + new for t in (n, *v)]


def _family(name: str) -> str:
    """`--no-cost` and `--cost` are one option; `--in_axes`, `--in-axes` too."""
    bare = name[2:].replace("_", "-")
    return bare[3:] if bare.startswith("no-") else bare


def _roots(argv: list[str]) -> tuple[str, ...]:
    roots = {os.path.abspath(os.getcwd())}
    for part in argv[1:]:
        path = part.lstrip("@").split(":")[0]
        if path.endswith(".py"):
            roots.add(os.path.dirname(os.path.abspath(path)))
    return tuple(sorted(r + os.sep for r in roots))


def _is_user_file(path: str, roots: tuple[str, ...]) -> bool:
    path = os.path.abspath(path)
    return (path.startswith(roots) and not path.startswith(_VMAPX)
            and not any(f"{os.sep}{p}{os.sep}" in path for p in _LIBRARY_PARTS)
            and path.endswith(".py"))


def _is_users(name: str, module: Any, roots: tuple[str, ...], baseline: set[str]) -> bool:
    return ((name not in baseline or name.startswith("vmapx_user_"))
            and _is_user_file(getattr(module, "__file__", None) or "", roots))


def forget_user_modules(roots: tuple[str, ...], baseline: set[str]) -> list[str]:
    """Drop the user's modules from `sys.modules` so that the next answer imports them fresh
    (the FUNCTION's module and the local modules it imports, which importlib.reload would
    leave holding the old ones); returns their names. The user's: loaded from under `roots`
    since the watch started (`baseline`: what was loaded before), or a file vmapx loaded by
    path (`vmapx_user_*`)."""
    gone = [name for name, m in list(sys.modules.items())
            if _is_users(name, m, roots, baseline)]
    for name in gone:
        sys.modules.pop(name, None)
    return gone
