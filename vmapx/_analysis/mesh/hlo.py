"""The collectives in a compiled module's HLO text, with their sizes and where they came from.

XLA prints each instruction as `%name = TYPE opcode(operands), …, metadata={op_name="…"
source_file="…" source_line=N}`; newer XLA replaces the file and line by a `stack_frame_id`.
The op_name ends in the JAX primitive (`jit(f)/vmap(jit(fft))/jit(fft)/fft` → `fft`; JAX 0.4.30
appends its parameters, `fft[fft_type=…]`), which
names the jaxpr equation; its source line comes from the jaxpr (JAX's own source info).
Asynchronous pairs (`all-gather-start` / `-done`) count once.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Mapping, Sequence

from vmapx._report.mesh import COLLECTIVES, Collective

# The result type may carry a layout with parentheses (TPU tiling: `{1,0:T(8,128)}`).
_INSTR = re.compile(r"=\s*(?P<type>[^=]+?)\s+(?P<op>"
                    + "|".join(COLLECTIVES) + r")(?P<start>-start)?\(")
_ARRAY = re.compile(r"(?P<dtype>[a-z]+\d*(?:e\d+m\d+\w*)?)\[(?P<dims>[\d,]*)\]")
_BYTES = {"pred": 1, "s8": 1, "u8": 1, "s16": 2, "u16": 2, "f16": 2, "bf16": 2, "s32": 4,
          "u32": 4, "f32": 4, "s64": 8, "u64": 8, "f64": 8, "c64": 8, "c128": 16}


def _arrays(type_text: str) -> list[tuple[str, tuple[int, ...]]]:
    return [(m["dtype"], tuple(int(d) for d in m["dims"].split(",") if d))
            for m in _ARRAY.finditer(type_text)]


def _size(dtype: str, dims: tuple[int, ...]) -> int:
    return _BYTES.get(dtype, 1 if dtype.startswith("f8") else 4) * math.prod(dims)


def _meta(line: str, key: str) -> str | None:
    m = re.search(key + r'=("(?P<q>[^"]*)"|(?P<v>\d+))', line)
    return None if m is None else (m["q"] if m["q"] is not None else m["v"])


def collectives(hlo: str, sources: Mapping[str, Sequence[str]]) -> list[Collective]:
    """Every collective instruction of the module (identical ones grouped, in order of first
    appearance); `sources` maps a primitive name to the source lines of its equations."""
    found: Counter[tuple] = Counter()
    for line in hlo.splitlines():
        m = _INSTR.search(line)
        if m is None:
            continue
        arrays = _arrays(m["type"])
        if m["start"] and len(arrays) > 1:  # (operand, result) of an async start: the result
            arrays = arrays[-1:]
        shape = ", ".join(f"{d}[{','.join(map(str, s))}]" for d, s in arrays)
        op_name = _meta(line, "op_name")
        primitive = _primitive(op_name) if op_name else None
        source = _source(line, primitive, sources)
        found[(m["op"], shape, sum(_size(d, s) for d, s in arrays), op_name, primitive,
               source)] += 1
    return [Collective(*key, count=n) for key, n in found.items()]


def _primitive(op_name: str) -> str:
    """The op_name's last part, without the parameters JAX 0.4.30 appends to some
    (`…/fft[fft_type=… fft_lengths=(1024,)]` → `fft`)."""
    if op_name.endswith("]"):
        depth = 0
        for i in range(len(op_name) - 1, -1, -1):
            depth += {"]": 1, "[": -1}.get(op_name[i], 0)
            if depth == 0:
                op_name = op_name[:i]
                break
    return op_name.rsplit("/", 1)[-1]


def _source(line: str, primitive: str | None, sources: Mapping[str, Sequence[str]]
            ) -> str | None:
    file, at = _meta(line, "source_file"), _meta(line, "source_line")
    if file and at:
        return f"{file}:{at}"
    lines = list(dict.fromkeys(sources.get(primitive or "", ())))
    if not lines:
        return None
    return lines[0] + (f" (or {len(lines) - 1} other place{'s' * (len(lines) > 2)})"
                       if len(lines) > 1 else "")


def verdict(found: Sequence[Collective]) -> str:
    """`embarrassingly parallel: no collectives` or what XLA inserted, and where."""
    if not found:
        return "embarrassingly parallel: no collectives"
    total = sum(c.count for c in found)
    parts = []
    for c in found:
        where = c.primitive or "?"
        if c.source:
            where += f" in {c.source}"
        parts.append(f"{c.count} {c.kind} of {c.shape} at {where}")
    head = f"XLA inserted {'' if total == 1 else f'{total} collectives: '}"
    return head + "; ".join(parts)


def remedies(found: Sequence[Collective], batch_axis: str, spmd: int | None) -> list[str]:
    """What to try when the batch does not stay put (the usual three); `spmd`: how many
    collectives XLA still inserts with spmd_axis_name (vmapx tried it), or None."""
    if not found:
        return []
    tried = ("" if spmd is None else " (tried here: XLA then inserts no collectives)"
             if not spmd else f" (tried here: XLA still inserts {spmd})")
    return [f"jax.vmap(f, spmd_axis_name={batch_axis!r}): vmap tells the partitioner that "
            f"its batch axis is the mesh axis, so batched ops keep it sharded{tried}",
            "jax.lax.with_sharding_constraint(y, NamedSharding(mesh, P("
            f"{batch_axis!r}))) on the intermediate that gets gathered, to pin its layout",
            f"jax.shard_map(jax.vmap(f), mesh=mesh, in_specs=P({batch_axis!r}), "
            f"out_specs=P({batch_axis!r})): each device runs vmap on its own shard, and XLA "
            "cannot insert collectives (the bench's shard_map variant)"]
