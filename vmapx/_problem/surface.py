"""Who asked: the command line or the library, and which command. Messages are worded for it.

A hint says what to type: `--in-axes 0,None` to a shell user, `in_axes=(0, None)` to a Python
caller. Every structural check words its hint through one `Surface`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


# Each command's own options, by Python name: an unknown `--NAME` close to one of these is a
# typo of the option, not an argument (tests/test_typos.py checks them against the commands).
_SHARED = ("in_axes", "out_axes", "ranks", "batch", "static", "arg", "json", "debug", "mesh",
           "mesh_axis", "shard")
OPTIONS = {
    "shape": _SHARED + ("axis_size", "explore"),
    "jaxpr": _SHARED + ("axis_size", "manual", "stage", "inline", "source_info", "name_stack",
                        "cost", "no_cost", "compile", "svg", "html"),
    "bench": _SHARED + ("manual", "variants", "backend", "runs", "min_time", "warmup", "seed",
                        "plot", "export_json", "export_csv", "export_markdown", "compare",
                        "fail_above", "async_dispatch"),
}


@dataclass(frozen=True)
class Surface:
    """The command (`shape`, `jaxpr`, `bench`) and whether it was typed (`cli`) or called."""

    command: str = "shape"
    cli: bool = True

    def option(self, name: str) -> str:
        """`--in-axes` on the command line, `in_axes=` in Python."""
        return f"--{name.replace('_', '-')}" if self.cli else f"{name.replace('-', '_')}="

    def option_typo(self, name: str) -> str | None:
        """The command's option `--name` (a typo for an argument) is closest to, if close."""
        import difflib

        if not self.cli:
            return None  # a Python keyword typo is Python's own TypeError
        close = difflib.get_close_matches(name.replace("-", "_").lower(),
                                          OPTIONS.get(self.command, _SHARED), n=1, cutoff=0.75)
        return self.option(close[0]) if close else None

    def set(self, name: str, value: str) -> str:
        """`--in-axes 0,None` / `in_axes=(0, None)`: an option with a value, as typed."""
        if self.cli:
            return f"--{name.replace('_', '-')} {value}"
        return f"{name.replace('-', '_')}={_python(value)}"

    def arg(self, name: str, spec: str) -> str:
        """One argument's shape: `--x f32[3]` / `x='f32[3]'`."""
        return f"--{name} {spec}" if self.cli else f"{name}={spec!r}"

    def static(self, name: str, value: str = "VALUE") -> str:
        return f"--static {name}={value}" if self.cli else f"static={{{name!r}: {value}}}"

    def call(self, fn_name: str, parts: list[str]) -> str:
        """A whole example: `vmapx shape fn --x f32[3]` / `vmapx.shape(fn, x='f32[3]')`."""
        if self.cli:
            return " ".join([f"vmapx {self.command} {fn_name}", *parts])
        return f"vmapx.{self.command}({', '.join([fn_name, *parts])})"


def _python(value: str) -> str:
    """`0,None` → `(0, None)`; `5` → `5`: the CLI's axes text as a Python value."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) == 1:
        return parts[0]
    return "(" + ", ".join(parts) + ")"


def in_axes_text(value: Any) -> str:
    """A per-argument in_axes (ints and None) as the CLI reads it: `0,None`."""
    if isinstance(value, (tuple, list)):
        return ",".join("None" if v is None else str(v) for v in value)
    return "None" if value is None else str(value)
