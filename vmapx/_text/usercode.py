"""The user's own code as vmapx meets it: which frames of a traceback are the user's, and the
user's function guarded so that a SystemExit (or another BaseException) it raises is its error."""

from __future__ import annotations

import importlib.util
import os
import sysconfig
import traceback
from typing import Any, Callable


class _Stopped(Exception):
    """Base of the stand-ins `guard_user` raises for a SystemExit (or another BaseException
    that is not an Exception) out of the user's function: JAX and vmapx handle it as the
    function's error, named as the user raised it."""

    original: BaseException


_STOPPED: dict[str, type] = {}


def guard_user(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn`, with a SystemExit, GeneratorExit or other non-Exception it raises turned into an
    Exception of the same name and traceback (Ctrl-C still stops): the function's error,
    explained, not the end of vmapx (or a silent exit 0)."""
    import functools

    if getattr(fn, "_vmapx_guarded", False):
        return fn

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (Exception, KeyboardInterrupt):
            raise
        except BaseException as exc:
            kind = type(exc).__name__
            cls = _STOPPED.setdefault(kind, type(kind, (_Stopped,), {}))
            stand_in = cls(str(exc) or f"{kind} raised inside the function")
            stand_in.original = exc
            raise stand_in.with_traceback(exc.__traceback__) from None

    guarded._vmapx_guarded = True  # type: ignore[attr-defined]
    return guarded


def user_location(exc: BaseException) -> str | None:
    """`file.py:12 in fn: line` for the innermost frame of the user's own code, if any."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if is_user_frame(f.filename)]
    if not frames:
        return None
    f = frames[-1]
    return f"{f.filename}:{f.lineno} in {f.name}" + (f": {f.line.strip()}" if f.line else "")


VMAPX_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_LIB_DIRS = (VMAPX_DIR, os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep)
_NOT_USER = ("jax", "jaxlib", "typer", "click", "rich")
_package_dirs: list[tuple[str, ...]] = []


def _packages() -> tuple[str, ...]:
    """The folders of the packages whose frames are not the user's (jax, jaxlib, typer, …),
    found where they are installed: a user's own folder named `jax/` stays the user's."""
    if not _package_dirs:
        found = []
        for name in _NOT_USER:
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                spec = None
            for folder in (spec.submodule_search_locations or []) if spec else []:
                found.append(os.path.abspath(folder) + os.sep)
        _package_dirs.append(tuple(found))
    return _package_dirs[0]


def is_user_frame(filename: str) -> bool:
    """True for a frame in the user's code: not jax, not vmapx, not the standard library."""
    if filename.startswith("<frozen") or filename.startswith(_LIB_DIRS):
        return False
    return not os.path.abspath(filename).startswith(_packages())
