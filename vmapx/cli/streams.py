"""vmapx's output streams as CLIs treat them: a reader that has gone (`| head -1`) stops the
command quietly (exit 141), and output that cannot be encoded gets ASCII stand-ins."""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import typer


def console(**kwargs: Any) -> Any:
    """A Rich Console that stops with `reader_gone` (exit 141) when stdout's reader has gone,
    where Rich's own would exit 1, which vmapx uses for "your vmap fails"."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            reader_gone()

    return _Console(**kwargs)


# Exit status when the reader of stdout has gone, as a shell reports a program that SIGPIPE
# stopped (128 + 13): `vmapx … | head -1` is not a failure of the vmap (1) or of the input (2).
EXIT_PIPE = 141


def reader_gone() -> NoReturn:
    """Stop quietly: stdout's reader has gone. Later writes (Python's final flush) go to
    /dev/null instead of raising again, as Python's docs on SIGPIPE recommend."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):  # no real file behind stdout (a test's)
        pass
    raise typer.Exit(EXIT_PIPE)


# ASCII stand-ins for the glyphs vmapx prints, used when stdout or stderr cannot encode them
# (PYTHONIOENCODING=ascii, a latin-1 terminal); anything else becomes "?".
GLYPHS = {"·": "-", "…": "...", "→": "->", "×": "x", "µ": "u", "±": "+-", "✗": "x", "✓": "v",
          "≥": ">=", "≤": "<=", "—": "--", "–": "-", "★": "*", "●": "o", "○": "o", "◆": "*",
          "◀": "<", "▶": ">", "▼": "v", "▲": "^", "■": "#", "≡": "==", "≠": "!=", "┤": "|",
          "└": "+", "─": "-", "│": "|", "━": "-"}
_ASCII_ERRORS = "vmapx-ascii"


def _to_ascii(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):
        raise err
    text = err.object[err.start:err.end]
    return "".join(GLYPHS.get(ch, "?") for ch in text), err.end


def ascii_fallback() -> None:
    """Where stdout or stderr cannot encode vmapx's glyphs, write ASCII stand-ins instead of
    failing with UnicodeEncodeError (Rich draws its tables in ASCII there by itself)."""
    import codecs

    try:
        codecs.lookup_error(_ASCII_ERRORS)
    except LookupError:
        codecs.register_error(_ASCII_ERRORS, _to_ascii)
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        try:
            "".join(GLYPHS).encode(encoding)
        except UnicodeEncodeError:
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors=_ASCII_ERRORS)
        except LookupError:
            pass
