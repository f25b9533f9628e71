"""`vmapx watch`: a shape or jaxpr command line answered again each time you save.

JAX is imported once; each save of the FUNCTION's file (or a local module it imports) is seen
by `watchfiles` (a thread), the user's modules are imported fresh and the command's own report
function answers again (watching.py). On a terminal the answer is redrawn in place (Rich
`Live`); on a pipe each answer is printed after the last, its status line last. A line typed
at the prompt (a thread reading stdin) replaces options. Ctrl-C exits 130.
"""

from __future__ import annotations

import queue
import sys
import threading
from typing import Annotated, Any

import typer

from vmapx.cli.common import guarded
from vmapx.cli.watching import Session
from vmapx.errors import UsageError

STEP_MS = 5  # how long watchfiles waits for more changes after one: an editor's save is one


def watch(
    ctx: typer.Context,
    command: Annotated[str, typer.Argument(
        metavar="COMMAND", show_default=False,
        help="shape or jaxpr, followed by that command's FUNCTION and options.")],
) -> None:
    """Answer a shape or jaxpr command line again each time you save your code.

    Takes any vmapx shape or jaxpr command line. JAX is imported once; the answer is redrawn
    in place each time the FUNCTION's file, or a local module it imports, is saved. A syntax
    error or an exception in your code is shown in place, the last good answer greyed below
    it, and the watch goes on. Type options at the prompt and press Enter to change them
    without restarting (--in-axes None,0 --batch 8; a bare name replaces FUNCTION; an empty
    line answers again). Ctrl-C quits (exit code 130).

    Examples:

      vmapx watch shape examples/neuron.py:model --batch 4

      vmapx watch jaxpr examples/dot.py:affine --batch 3 --no-cost
    """
    debug = "--debug" in ctx.args

    def body() -> int:
        return run([command, *ctx.args], ctx.find_root().command)

    guarded(debug, body)


def run(argv: list[str], group: Any, console: Any = None, stdin: Any = None) -> int:
    """Watch `argv` (`[shape|jaxpr, FUNCTION, options…]`, parsed by the CLI's Click `group`)
    until Ctrl-C (KeyboardInterrupt, which the CLI turns into exit code 130) or a `q` line at
    the prompt (0)."""
    from rich.console import Console

    _need_watchfiles()
    session = Session(argv, group)
    console = console or Console()
    events: queue.Queue = queue.Queue()
    _read_lines(stdin if stdin is not None else sys.stdin, events)
    watcher = Watcher(events)
    try:
        if console.is_terminal:
            return _live(session, console, events, watcher)
        return _printed(session, console, events, watcher)
    finally:
        watcher.stop()


def _live(session: Session, console: Any, events: queue.Queue, watcher: "Watcher") -> int:
    from rich.live import Live

    session.run()
    watcher.follow(session.files())
    with Live(session.view(status_first=True), console=console, auto_refresh=False) as live:
        while _next(session, events, watcher):
            live.update(session.view(status_first=True), refresh=True)
    return 0


def _printed(session: Session, console: Any, events: queue.Queue, watcher: "Watcher") -> int:
    session.run()
    watcher.follow(session.files())
    console.print(session.view())
    while _next(session, events, watcher):
        console.print(session.view())
    return 0


def _need_watchfiles() -> None:
    """Import watchfiles here, in the main thread: a missing install is said, not left to
    fail silently in the watcher's thread (no answer would ever come again)."""
    try:
        import watchfiles  # noqa: F401
    except ImportError:
        raise UsageError("vmapx watch needs the watchfiles package, which is not installed",
                         "pip install watchfiles (a vmapx dependency: reinstall vmapx)") from None


def _next(session: Session, events: queue.Queue, watcher: "Watcher") -> bool:
    """Wait for a save or a prompt line and answer it; False to stop (`q`)."""
    while True:
        try:
            kind, value = events.get(timeout=0.2)  # a timeout keeps Ctrl-C prompt everywhere
        except queue.Empty:
            continue
        if kind == "files":
            paths = set(value)
            while not events.empty() and events.queue[0][0] == "files":
                paths |= set(events.get()[1])  # one answer for saves that came together
            session.changed(paths)
        elif kind == "line":
            line = value.strip()
            if line in ("q", "quit", "exit"):
                return False
            session.edit(line) if line else session.run("again")
        else:
            continue  # stdin closed: keep watching the files
        watcher.follow(session.files())
        return True


def _read_lines(stream: Any, events: queue.Queue) -> None:
    """Each line typed at the prompt, as an event (a daemon thread: it never holds exit)."""
    def read() -> None:
        try:
            for line in stream:
                events.put(("line", line))
        except (OSError, ValueError):  # stdin closed or not readable
            pass
        events.put(("eof", None))

    threading.Thread(target=read, name="vmapx-watch-stdin", daemon=True).start()


class Watcher:
    """`watchfiles.watch` over the folders of the files to watch, in a daemon thread; events
    on those files (and only those) are put on the queue as ("files", paths)."""

    def __init__(self, events: queue.Queue) -> None:
        self.events = events
        self.files: frozenset[str] = frozenset()
        self.folders: frozenset[str] = frozenset()
        self._stop: threading.Event | None = None

    def follow(self, files: set[str]) -> None:
        """Watch these files from now on (the watcher restarts when their folders change)."""
        import os

        self.files = frozenset(files)
        folders = frozenset(os.path.dirname(f) for f in files)
        if folders == self.folders and self._stop is not None:
            return
        self.stop()
        self.folders = folders
        if folders:
            self._stop = threading.Event()
            threading.Thread(target=self._watch, args=(sorted(folders), self._stop),
                             name="vmapx-watch-files", daemon=True).start()

    def _watch(self, folders: list[str], stop: threading.Event) -> None:
        import watchfiles  # imported here: no other command pays for it

        for changes in watchfiles.watch(*folders, stop_event=stop, step=STEP_MS,
                                        recursive=False, raise_interrupt=False):
            paths = {p for _, p in changes if p in self.files}
            if paths:
                self.events.put(("files", paths))

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
            self._stop = None
