"""Python values to input specs: shape tuples, spec strings, `ShapeDtypeStruct`s, arrays, and
pytrees (dicts, lists, tuples) of these. No jax import: structs and arrays are read by their
`.shape` and `.dtype`."""

from __future__ import annotations

from typing import Any

from vmapx._text.specs import ShapeSpec
from vmapx._text.trees import parse_tree_spec
from vmapx.errors import SpecError


def _is_dims(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(
        isinstance(d, int) and not isinstance(d, bool) for d in value)


def to_spec(value: Any) -> Any:
    """One input → a `ShapeSpec`, or a pytree of them; None stays None (it borrows a shape).

    A tuple or list of ints is a shape; a string is a shape spec (or a JSON pytree of them);
    an object with `.shape` and `.dtype` is read as it is; dicts, lists and tuples of these
    are pytrees and keep their type.
    """
    if value is None or isinstance(value, ShapeSpec):
        return value
    if isinstance(value, str):
        return parse_tree_spec(value)
    if _is_dims(value):
        return ShapeSpec(tuple(value))
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return ShapeSpec(tuple(value.shape), getattr(value.dtype, "name", str(value.dtype)))
    if isinstance(value, dict):
        return {k: to_spec(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)) and value and all(v is not None for v in value):
        return type(value)(to_spec(v) for v in value)
    raise SpecError(f"cannot use {value!r} as an input",
                    "give a shape tuple like (2, 3), a spec like 'f32[2,3]', a "
                    "jax.ShapeDtypeStruct or an array, or a dict/list/tuple of these")
