"""Read the per-example inputs a module declares in `VMAPX_EXAMPLES` (see examples/README.md)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from vmapx.errors import TargetError, VmapxError
from vmapx._text.inputs import to_spec

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
        space = getattr(module, "__dict__", {})
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
    where = f"{module.__name__}.{ATTRIBUTE}[{attr!r}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("inputs"), dict):
        raise TargetError(f"{where} must be a dict with an 'inputs' dict",
                          "see examples/README.md for the format")
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
