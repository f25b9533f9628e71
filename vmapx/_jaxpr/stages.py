"""StableHLO and HLO texts as `--stage` shows them: their ops read off (to count and align, as
jaxpr equations are), and compiled HLO's location metadata left out unless asked for.

Works on the texts JAX prints (`Lowered.as_text()`, `Compiled.as_text()`), with no other
access to XLA: what cannot be read is left out of the ops, never guessed.
"""

from __future__ import annotations

import re

from vmapx._report.jaxpr import Equation
from vmapx._text.specs import short_dtype

# `%0 = stablehlo.add %a, %b : tensor<3xf32>`, `%0:2 = stablehlo.while(…)`, `stablehlo.return`
_SHLO_OP = re.compile(r'^\s*(?:%[\w#:]+(?:\s*,\s*%[\w#:]+)*\s*=\s*)?"?([a-z_]+\.[\w.]+)')
_TENSOR = re.compile(r"tensor<([^>]*)>")
# `%add.0 = f32[3,10]{1,0} add(%a, %b), metadata={…}` (ROOT first, % optional)
_HLO_OP = re.compile(r"^\s*(?:ROOT\s+)?%?[\w.\-]+\s*=\s*(.*?)\s([a-z][\w\-]*)\(")
_HLO_TYPE = re.compile(r"\b([a-z]+\d*)\[([\d,]*)\]")
# The stack-frame tables newer XLA prints at the top of a module, one header each.
_HLO_TABLES = ("FileNames", "FunctionNames", "FileLocations", "StackFrames")
_DTYPES = {"i1": "bool", "pred": "bool"}
_SKIPPED = ("func.func", "func.return", "stablehlo.return", "mhlo.return", "module")


def stage_ops(text: str, stage: str) -> list[Equation]:
    """The ops of a StableHLO or HLO text, in order, with their result types; terminators
    (`return`) and HLO parameters left out, as a jaxpr's equations leave out its in/outvars."""
    reader = _stablehlo_op if stage == "stablehlo" else _hlo_op
    out = []
    for line in text.splitlines():
        found = reader(line)
        if found is not None:
            out.append(Equation(len(out), *found))
    return out


def _stablehlo_op(line: str) -> tuple[str, list[tuple[str, tuple[int, ...]]]] | None:
    m = _SHLO_OP.match(line)
    if m is None or m.group(1).startswith(_SKIPPED) or line.lstrip().startswith("return"):
        return None
    name = m.group(1).split(".", 1)[1] if m.group(1).startswith(("stablehlo.", "chlo.",
                                                                 "mhlo.")) else m.group(1)
    result = line.split(" -> ")[-1] if " -> " in line else line.rpartition(" : ")[2]
    return name, [_tensor(t) for t in _TENSOR.findall(result.split(" loc(")[0])]


def _tensor(spec: str) -> tuple[str, tuple[int, ...]]:
    *dims, dtype = spec.split("x") if "x" in spec else [spec]
    try:
        shape = tuple(int(d) for d in dims)
    except ValueError:  # dynamic dims (`?`): the dtype only
        shape = ()
    if dtype.startswith("ui"):
        dtype = "u" + dtype[2:]
    return _DTYPES.get(dtype, short_dtype(dtype) if dtype else dtype), shape


def _hlo_op(line: str) -> tuple[str, list[tuple[str, tuple[int, ...]]]] | None:
    m = _HLO_OP.match(line)
    if m is None or m.group(2) == "parameter":
        return None
    types = [(_DTYPES.get(d, d), tuple(int(x) for x in dims.split(",") if x))
             for d, dims in _HLO_TYPE.findall(m.group(1))]
    return m.group(2), types


def clean_hlo(text: str, keep_source: bool) -> str:
    """Compiled HLO without the location metadata: the stack-frame tables at the top and each
    instruction's `metadata={…}` (kept with `keep_source`, as --source-info asks)."""
    if keep_source:
        return text
    lines, skipping = [], False
    for line in text.splitlines():
        if line.strip() in _HLO_TABLES:
            skipping = True
            continue
        if skipping:
            if line.strip():
                continue
            skipping = False
        lines.append(_without_metadata(line))
    out = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", out).strip() + "\n"


def _without_metadata(line: str) -> str:
    """`…, metadata={op_name="a{b}" …}` → `…`: the braces matched outside quoted strings."""
    start = line.find(", metadata={")
    if start < 0:
        return line
    i, depth, quoted = start + len(", metadata={"), 1, False
    while i < len(line) and depth:
        c = line[i]
        if c == "\\" and quoted:
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif not quoted:
            depth += {"{": 1, "}": -1}.get(c, 0)
        i += 1
    return _without_metadata(line[:start] + line[i:])
