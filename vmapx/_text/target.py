"""Function specs to callables: `jnp.add`, `jax.nn.relu`, `pkg.mod:attr.path`, `path/file.py:attr`.

Resolved by import and attribute lookup only, never `eval`. Naming a user module imports it,
which runs its top-level code.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import sys
import sysconfig
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

from vmapx.errors import TargetError

# Short prefixes people type, expanded to the module they name.
_ALIASES = {"jnp": "jax.numpy", "lax": "jax.lax", "jsp": "jax.scipy", "jrandom": "jax.random"}
FUNCTION_SYNTAX = "jnp.add | lax.dot | jax.nn.relu | pkg.module:fn | path/to/file.py:fn"


@dataclass(frozen=True)
class Target:
    """A resolved function: the callable, the spec as typed, and its module (for examples)."""

    fn: Callable[..., Any]
    spec: str
    module: ModuleType | None
    attr: str


def resolve(spec: str) -> Target:
    """Resolve a function spec to a `Target`; raise `TargetError` with close matches."""
    spec = spec.strip()
    if not spec:
        raise TargetError("no function given", f"name one like {FUNCTION_SYNTAX}")
    if ":" in spec:
        mod_part, _, attr = spec.rpartition(":")
        if not attr:
            raise TargetError(f"{spec!r} names no attribute after ':'",
                              f"write {mod_part}:FUNCTION_NAME")
        module = _load_user_module(mod_part)
        return Target(_lookup(module, attr, spec), spec, module, attr)
    head, _, rest = spec.partition(".")
    if not rest and head not in _ALIASES and head != "jax":
        raise TargetError(f"cannot resolve {spec!r}: a function is named with its module",
                          _bare_name_hint(spec))
    if head not in _ALIASES and head != "jax":
        raise TargetError(f"cannot resolve {spec!r}: only jax functions are named by dotted path",
                          f"for your own function write module:function or path/file.py:function"
                          f" (e.g. {spec.rpartition('.')[0] or spec}:{spec.rpartition('.')[2]})")
    full = f"{_ALIASES.get(head, head)}.{rest}" if rest else _ALIASES.get(head, head)
    module, attr = _import_longest_prefix(full, spec)
    fn = _lookup(module, attr, spec)
    return Target(fn, spec, None, attr)


def _import_longest_prefix(full: str, spec: str) -> tuple[ModuleType, str]:
    parts = full.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        return module, ".".join(parts[i:])
    raise TargetError(f"cannot resolve {spec!r}", f"name a function like {FUNCTION_SYNTAX}")


def resolve_object(spec: str, module: ModuleType | None = None, mark: str = "") -> Any:
    """Any object (not only a function) named `pkg.mod:attr.path` or `path/file.py:attr`, or
    `attr.path` in `module` when one is given; `TargetError` with close matches (written with
    `mark` in front, as the user typed it)."""
    spec = spec.strip()
    mod_part, colon, attr = spec.rpartition(":")
    if not colon and module is not None:
        return walk(module, spec, mark + spec)
    if not colon or not mod_part or not attr:
        raise TargetError(f"cannot resolve {mark + spec!r}: an object is named with its module",
                          f"write {mark}module:NAME or {mark}path/file.py:NAME, e.g. "
                          f"{mark}mymodel.py:params")
    return walk(_load_user_module(mod_part), attr, mark + spec)


def walk(module: ModuleType, attr: str, spec: str) -> Any:
    """`module.attr.path`, one attribute at a time; a missing one says what is close."""
    obj: Any = module
    walked = []
    for name in attr.split("."):
        if not hasattr(obj, name):
            where = ".".join(walked) or None
            raise TargetError(f"{spec!r}: {_describe(module, where)} has no attribute {name!r}",
                              _did_you_mean(obj, name, spec, attr, walked))
        obj = getattr(obj, name)
        walked.append(name)
        if isinstance(obj, ModuleType):
            module = obj
    return obj


def _lookup(module: ModuleType, attr: str, spec: str) -> Callable[..., Any]:
    obj = walk(module, attr, spec)
    if isinstance(obj, ModuleType) or not callable(obj):
        kind = "a module" if isinstance(obj, ModuleType) else _article(type(obj).__name__)
        funcs = _functions(obj) if isinstance(obj, ModuleType) else []
        raise TargetError(f"{spec!r} is {kind}, not a function",
                          f"name a function inside it, e.g. {spec}.{funcs[0]}" if funcs else
                          "name a function (something callable)")
    return obj


def _article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _functions(module: ModuleType) -> list[str]:
    """The module's public functions (lower-case callables that are not classes)."""
    return [n for n in _public(module) if n[:1].islower()
            and callable(getattr(module, n, None))
            and not isinstance(getattr(module, n), (type, ModuleType))]


def _bare_name_hint(name: str) -> str:
    """`add` → did you mean jnp.add?; otherwise the syntax of a function spec."""
    if name.isidentifier():
        try:
            import jax.numpy as jnp
        except ImportError:  # pragma: no cover - jax is a dependency
            jnp = None
        if jnp is not None and callable(getattr(jnp, name, None)):
            return f"did you mean jnp.{name}?"
    return f"name it like {FUNCTION_SYNTAX}"


def _describe(module: ModuleType, where: str | None) -> str:
    return f"{module.__name__}" + (f" ({where})" if where else "")


def _public(obj: Any) -> list[str]:
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def _did_you_mean(obj: Any, name: str, spec: str, attr: str, walked: list[str]) -> str:
    close = difflib.get_close_matches(name, _public(obj), n=3, cutoff=0.6)
    if not close:
        return "check the spelling; list what exists with python -c 'import ...; print(dir(...))'"
    prefix = spec[: len(spec) - len(attr)] + "".join(w + "." for w in walked)
    return "did you mean " + " or ".join(prefix + c for c in close) + "?"


def _load_user_module(mod_part: str) -> ModuleType:
    """Import `pkg.mod` from the current directory, or load `path/file.py` by path."""
    if mod_part.endswith(".py") or os.sep in mod_part or "/" in mod_part:
        path = os.path.abspath(mod_part)
        if not os.path.isfile(path):
            hint = (f"{mod_part}.py:FUNCTION" if os.path.isfile(path + ".py") else
                    "check the path; it is relative to the current directory")
            raise TargetError(f"file {mod_part!r} does not exist", hint)
        name = "vmapx_user_" + os.path.splitext(os.path.basename(path))[0]
        loaded = sys.modules.get(name)
        if loaded is not None and getattr(loaded, "__file__", None) == path and \
                getattr(loaded, "_vmapx_mtime", None) == os.path.getmtime(path):
            return loaded  # once per file, as import does: `fn` and `@…:params` share classes
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise TargetError(f"cannot load {mod_part!r} as a Python module",
                              "name a .py file: path/to/file.py:function")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            _run_import(lambda: spec.loader.exec_module(module), mod_part)
        except BaseException:
            sys.modules.pop(name, None)  # as a failed import does
            raise
        module._vmapx_mtime = os.path.getmtime(path)  # type: ignore[attr-defined]
        return module
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return _run_import(lambda: importlib.import_module(mod_part), mod_part)
    except ModuleNotFoundError as exc:
        if exc.name and mod_part.startswith(exc.name):
            hint = (f"run vmapx from the directory that holds {exc.name.split('.')[0]}/ or "
                    f"{exc.name.split('.')[0]}.py, or name the file: path/to/file.py:function")
            raise TargetError(f"no module named {exc.name!r}", hint) from None
        raise


def _run_import(load: Callable[[], Any], what: str) -> Any:
    try:
        return load()
    except ModuleNotFoundError as exc:
        if exc.name and what.replace("/", ".").startswith(exc.name):
            raise
        where = user_location(exc)
        raise TargetError(f"importing {what!r} failed: {exc}",
                          f"raised at {where}" if where else f"install {exc.name} or fix the "
                          "import") from None
    except SyntaxError as exc:
        raise TargetError(f"{what!r} has a syntax error: {exc.msg} "
                          f"({exc.filename}, line {exc.lineno})", "fix the file and run again"
                          ) from None
    except Exception as exc:  # the module's own top-level code raised
        where = user_location(exc)
        raise TargetError(f"importing {what!r} raised {type(exc).__name__}: {exc}",
                          f"raised at {where}" if where else "fix the module's top-level code"
                          ) from None


def user_location(exc: BaseException) -> str | None:
    """`file.py:12 in fn: line` for the innermost frame of the user's own code, if any."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if is_user_frame(f.filename)]
    if not frames:
        return None
    f = frames[-1]
    return f"{f.filename}:{f.lineno} in {f.name}" + (f": {f.line.strip()}" if f.line else "")


VMAPX_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_LIB_DIRS = (VMAPX_DIR, os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep)


def is_user_frame(filename: str) -> bool:
    """True for a frame in the user's code: not jax, not vmapx, not the standard library."""
    if filename.startswith("<frozen") or filename.startswith(_LIB_DIRS):
        return False
    norm = filename.replace("\\", "/")
    return not any(f"/{pkg}/" in norm for pkg in ("jax", "jaxlib", "site-packages/typer",
                                                  "site-packages/click", "site-packages/rich"))
