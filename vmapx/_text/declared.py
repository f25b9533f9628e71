"""Read the per-example inputs a module declares in `VMAPX_EXAMPLES` (see examples/README.md)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from vmapx.errors import TargetError, VmapxError
from vmapx._text.inputs import to_spec
from vmapx._text.specs import MAX_DIM
from vmapx._text.target import module_label

ATTRIBUTE = "VMAPX_EXAMPLES"


@dataclass(frozen=True)
class Declared:
    """One function's declared inputs: per-example shapes, batch size, in_axes, twin, statics."""

    inputs: dict[str, Any]             # per argument: a ShapeSpec or a pytree of them
    batch: int | None = None
    in_axes: Any = None
    manual: str | None = None
    static: dict[str, Any] = field(default_factory=dict)
    module: ModuleType | None = None   # the module that declares it (its twin lives there)


def home(fn: Any) -> tuple[ModuleType | None, str | None]:
    """Where `fn` is declared: the module and the `VMAPX_EXAMPLES` key whose module attribute is
    `fn` itself (so `grad_loss = jax.grad(loss)`, a `partial` or an Equinox module is found
    under the name the user gave it), looked up in `fn`'s own module first, then in every loaded
    module that declares examples; else `fn`'s own module and `__name__`."""
    own = sys.modules.get(getattr(fn, "__module__", None) or "")
    for module in (own, *list(sys.modules.values())):
        try:   # not every entry of sys.modules is a plain module
            space = vars(module)
        except TypeError:
            continue
        table = space.get(ATTRIBUTE)
        if isinstance(table, dict):
            key = next((k for k in table if isinstance(k, str) and space.get(k) is fn), None)
            if key is not None:
                return module, key
    return own, getattr(fn, "__name__", None)


def declared(module: ModuleType | None, attr: str, read_inputs: bool = True
             ) -> Declared | None:
    """The declaration for `module.attr`, or None when the module declares none; without
    `read_inputs` its inputs are left unread (empty): the caller gave its own, and an init
    function declared there need not run."""
    table = getattr(module, ATTRIBUTE, None) if module is not None else None
    if not isinstance(table, dict) or attr not in table:
        return None
    entry = table[attr]
    where = f"{module_label(module)}: {ATTRIBUTE}[{attr!r}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("inputs"), dict):
        raise TargetError(f"{where} must be a dict with an 'inputs' dict",
                          "see examples/README.md for the format")
    _check_fields(entry, where)
    try:
        inputs = {name: to_spec(spec, module) for name, spec in entry["inputs"].items()
                  if read_inputs}
    except VmapxError as exc:
        raise TargetError(f"{where}: bad input: {exc.message}",
                          exc.hint or "see examples/README.md") from None
    in_axes = entry.get("in_axes")
    return Declared(inputs, entry.get("batch"),
                    tuple(in_axes) if isinstance(in_axes, list) else in_axes,
                    entry.get("manual"), dict(entry.get("static") or {}), module)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _axes_ok(value: Any, depth: int = 0) -> bool:
    """An in_axes value: None, an int, or a list/tuple/dict of them (a pytree prefix)."""
    if value is None or _is_int(value):
        return True
    if depth > 100:
        return False
    if isinstance(value, (list, tuple)):
        return all(_axes_ok(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _axes_ok(v, depth + 1) for k, v in value.items())
    return False


# Each optional field: the check, and what it must be (for the message).
_FIELDS = {
    "batch": (lambda v: v is None or (_is_int(v) and 1 <= v <= MAX_DIM),
              "a whole number from 1 to 2**40, e.g. 8"),
    "static": (lambda v: v is None or (isinstance(v, dict) and all(
        isinstance(k, str) and k.isidentifier() for k in v)),
               "a dict of parameter names to values, e.g. {'axis': 0}"),
    "in_axes": (_axes_ok, "ints and None, one per argument, e.g. (0, None)"),
    "manual": (lambda v: v is None or (isinstance(v, str) and v.isidentifier()),
               "the name of a function in the module, e.g. 'batched_dot'"),
}


def _check_fields(entry: dict, where: str) -> None:
    """Every field the module declares has the type the format gives it (bad input, exit 2,
    naming the field), before any of them is used."""
    for key, (ok, want) in _FIELDS.items():
        if key in entry and not ok(entry[key]):
            shown = repr(entry[key])
            shown = shown if len(shown) <= 40 else shown[:39] + "…"
            raise TargetError(f"{where}[{key!r}] is {shown}: it must be {want}",
                              f"fix {key!r} in the module's {ATTRIBUTE} (see examples/README.md "
                              "for the format)")
