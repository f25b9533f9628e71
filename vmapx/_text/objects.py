"""Inputs taken from the user's own objects, abstractly.

`@module:NAME` (or `@path/file.py:NAME`, or `@NAME` inside a module's `VMAPX_EXAMPLES`) names
an object in the user's code: arrays, `ShapeDtypeStruct`s or a pytree of them, or a function
taking no required arguments that builds them (an `init_params`), run with `jax.eval_shape`, so
nothing is allocated. Containers JSON has no word for (NamedTuples, registered dataclasses, …)
are read one level at a time with `jax.tree_util` into `Node`s that keep their type.

jax is imported here only when an object needs it (an init function, or a container only JAX
can flatten), as resolving `jnp.add` does in target.py; nothing below the analyses runs JAX
otherwise.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any, Callable

from vmapx._text.target import resolve_object
from vmapx._text.usercode import guard_user, user_location
from vmapx._text.trees import Node
from vmapx.errors import SpecError

MARK = "@"
SYNTAX = "@module:NAME or @path/file.py:NAME"


def is_ref(value: Any) -> bool:
    """True for `@…`: an object named in the user's code, not a shape."""
    return isinstance(value, str) and value.lstrip().startswith(MARK)


def from_ref(text: str, module: ModuleType | None = None) -> tuple[Any, str]:
    """The object `@…` names (in `module` when it gives no module), and its name as typed."""
    label = text.strip()
    return resolve_object(label[len(MARK):], module, MARK), label


def is_init(value: Any) -> bool:
    """A function to run for its output (not a container of arrays JAX can flatten)."""
    return callable(value) and not hasattr(value, "shape") and node(value) is None


def evaluate(fn: Callable[..., Any], label: str) -> Any:
    """`fn()` run abstractly (`jax.eval_shape`): its output's shapes and dtypes, nothing
    allocated. A function that needs arguments, or raises, is bad input."""
    required = _required(fn)
    if required:
        raise SpecError(f"{label} takes required argument{'s' * (len(required) > 1)} "
                        f"({', '.join(required)}), so vmapx cannot call it to build the inputs",
                        "name a function that takes none (give the others defaults, e.g. "
                        "key=None), or an object holding the arrays")
    import jax

    try:
        return jax.eval_shape(guard_user(fn))
    except Exception as exc:  # the user's own init function raised
        where = user_location(exc)
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        raise SpecError(f"{label}() raised {type(exc).__name__}: {first}",
                        f"raised at {where}" if where else "fix it, or name an object holding "
                        "the arrays") from None


def _required(fn: Callable[..., Any]) -> list[str]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.default is p.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def node(value: Any) -> Node | None:
    """One level of a container JAX knows (children not yet converted); None for a leaf."""
    import jax

    tu = jax.tree_util

    def inner(x: Any) -> bool:  # stop one level down; None children are empty subtrees
        return x is not value and x is not None

    pairs, treedef = tu.tree_flatten_with_path(value, is_leaf=inner)
    if len(pairs) == 1 and pairs[0][0] == ():
        return None
    return Node(type(value).__name__, tuple(tu.keystr(p) for p, _ in pairs),
                tuple(c for _, c in pairs), treedef)


def object_for(module: ModuleType | None, name: str, any_init: bool = False) -> str | None:
    """What `@…:NAME` could name for an argument `name` in `module`: an object called `name`,
    `init_NAME`, or (with `any_init`) a function whose name starts with `init`. Names only."""
    if module is None:
        return None
    found = vars(module)
    names = [name, f"init_{name}"] + (sorted(n for n in found if n.startswith("init")
                                             and callable(found[n])) if any_init else [])
    return next((n for n in names if n in found and not isinstance(found[n], ModuleType)),
                None)


def ref_to(module: ModuleType, fn_spec: str, attr: str) -> str:
    """`@mod:attr` written the way the function was named (`path/file.py:fn` → that path)."""
    where = fn_spec.rpartition(":")[0] if ":" in fn_spec else module.__name__
    return f"{MARK}{where}:{attr}"
