"""Python values to input specs: shape tuples, spec strings, `ShapeDtypeStruct`s, arrays,
pytrees of these, and objects in the user's code (`@module:NAME`, see objects.py). Structs and
arrays are read by their `.shape` and `.dtype`; jax runs only for what objects.py needs."""

from __future__ import annotations

from dataclasses import replace
from types import ModuleType
from typing import Any

from vmapx._text.objects import SYNTAX, evaluate, from_ref, is_init, is_ref, node
from vmapx._text.specs import ShapeSpec
from vmapx._text.trees import Node, parse_tree_spec
from vmapx.errors import SpecError


def _is_dims(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(
        isinstance(d, int) and not isinstance(d, bool) for d in value)


def to_spec(value: Any, module: ModuleType | None = None) -> Any:
    """One input → a `ShapeSpec`, or a pytree of them; None stays None (it borrows a shape).

    A tuple or list of ints is a shape; a string is a shape spec (or a JSON pytree of them), or
    `@module:NAME`, an object in the user's code (`module` resolves a bare `@NAME`); an object
    with `.shape` and `.dtype` is read as it is; a function of no arguments is run abstractly
    for its output; dicts, lists and tuples are pytrees and keep their type, and so does any
    other container JAX knows (a NamedTuple, a registered dataclass: a `Node`).
    """
    if value is None or isinstance(value, (ShapeSpec, Node)):
        return value
    if is_ref(value):
        obj, label = from_ref(value, module)
        return to_spec(evaluate(obj, label) if is_init(obj) else obj, module)
    if isinstance(value, str):
        return parse_tree_spec(value)
    if _is_dims(value) and type(value) in (tuple, list):
        return ShapeSpec(tuple(value))
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return ShapeSpec(tuple(value.shape), getattr(value.dtype, "name", str(value.dtype)))
    if type(value) is dict:
        return {k: to_spec(v, module) for k, v in value.items()}
    if type(value) in (tuple, list) and value and all(v is not None for v in value):
        return type(value)(to_spec(v, module) for v in value)
    if is_init(value):
        return to_spec(evaluate(value, getattr(value, "__name__", repr(value))), module)
    found = node(value) if not isinstance(value, (int, float, bool, complex)) else None
    if found is not None and found.children:
        return replace(found, children=tuple(to_spec(c, module) for c in found.children))
    raise SpecError(f"cannot use {value!r} as an input",
                    "give a shape tuple like (2, 3), a spec like 'f32[2,3]', a "
                    "jax.ShapeDtypeStruct or an array, a pytree of these (dict, list, tuple, "
                    f"NamedTuple, dataclass), or an object in your code: {SYNTAX}")
