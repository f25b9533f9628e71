"""A device mesh as typed: `data=8`, `data=4,model=2` (axis names and sizes, in order). No jax.

The library also takes a dict (`{"data": 4, "model": 2}`); the batch goes over one named axis
(`mesh_axis`, default the first). An input leaf may be laid out as the user says instead:
`--shard w=model,None` (`shard={"w": ("model", None)}`), one mesh axis or None per dim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from vmapx.errors import SpecError, UsageError


@dataclass(frozen=True)
class MeshSpec:
    """The mesh's axes, (name, size) in order, and the one the batch is sharded over."""

    axes: tuple[tuple[str, int], ...]
    batch_axis: str
    shard: tuple[tuple[str, tuple[str | None, ...]], ...] = ()   # leaf name → given layout

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.axes)

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(s for _, s in self.axes)

    @property
    def devices(self) -> int:
        return math.prod(self.sizes)

    @property
    def shards(self) -> int:
        """How many pieces the batch is cut into: the batch axis's size."""
        return dict(self.axes)[self.batch_axis]

    def text(self) -> str:
        return ",".join(f"{n}={s}" for n, s in self.axes)


def parse_mesh(text: str, option: str = "--mesh") -> tuple[tuple[str, int], ...]:
    """`data=4,model=2` → (("data", 4), ("model", 2)); SpecError naming what is wrong."""
    hint = f"write {option} NAME=SIZE[,NAME=SIZE…], e.g. {option} data=8 or data=4,model=2"
    axes: list[tuple[str, int]] = []
    for part in str(text).split(","):
        name, eq, size = (p.strip() for p in part.partition("="))
        if not eq or not name.isidentifier() or not size.isdigit():
            raise SpecError(f"cannot read {option} {text!r}: {part.strip()!r} is not NAME=SIZE",
                            hint)
        axes.append((name, int(size)))
    return _checked(axes, option, hint)


def _text(axes: Any) -> str:
    return ",".join(f"{n}={s}" for n, s in axes)


def _checked(axes: list[tuple[str, int]], option: str, hint: str
             ) -> tuple[tuple[str, int], ...]:
    names = [n for n, _ in axes]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise SpecError(f"{option}: mesh axis {twice!r} is named twice", hint)
    zero = next((n for n, s in axes if s < 1), None)
    if zero is not None:
        raise SpecError(f"{option}: mesh axis {zero!r} has size 0; sizes are 1 or more", hint)
    return tuple(axes)


def parse_shard(text: str) -> tuple[str, tuple[str | None, ...]]:
    """`w=model,None` → ("w", ("model", None)); `params['W']=None,model` likewise."""
    leaf, eq, spec = (p.strip() for p in str(text).partition("="))
    dims = tuple(None if d.strip() in ("None", "") else d.strip() for d in spec.split(","))
    if not eq or not leaf or not all(d is None or d.isidentifier() for d in dims):
        raise SpecError(f"cannot read --shard {text!r}",
                        "write --shard LEAF=AXIS,… with one mesh axis name or None per dim, "
                        "e.g. --shard w=model,None")
    return leaf, dims


def _shards(shard: Any, cli: bool) -> tuple[tuple[str, tuple[str | None, ...]], ...]:
    if not shard:
        return ()
    if isinstance(shard, (list, tuple)) and all(isinstance(s, str) for s in shard):
        return tuple(parse_shard(s) for s in shard)
    if isinstance(shard, Mapping) and all(
            isinstance(v, (tuple, list)) and all(d is None or isinstance(d, str) for d in v)
            for v in shard.values()):
        return tuple((str(k), tuple(v)) for k, v in shard.items())
    raise UsageError(f"{'--shard' if cli else 'shard='} {shard!r} is not a layout",
                     "give each leaf's layout, one mesh axis name or None per dim, e.g. "
                     + ("--shard w=model,None" if cli else
                        "shard={'w': ('model', None)} (a PartitionSpec works too)"))


def mesh_spec(mesh: Any, axis: str | None, cli: bool, shard: Any = None) -> MeshSpec:
    """The mesh as given (text, or a mapping of name → size), the batch's mesh axis, and the
    leaves laid out as the user says."""
    option, axis_option = ("--mesh", "--mesh-axis") if cli else ("mesh=", "mesh_axis=")
    if isinstance(mesh, str):
        axes = parse_mesh(mesh, option)
    elif isinstance(mesh, Mapping) and mesh and all(
            isinstance(k, str) and k.isidentifier() and isinstance(v, int)
            and not isinstance(v, bool) for k, v in mesh.items()):
        axes = _checked(list(mesh.items()), option, "e.g. mesh={'data': 8}")
    else:
        raise UsageError(f"{option}{mesh!r} is not a mesh",
                         "give axis names and sizes, e.g. mesh='data=4,model=2' or "
                         "mesh={'data': 4, 'model': 2}")
    names = [n for n, _ in axes]
    if axis is None:
        axis = names[0]
    elif axis not in names:
        raise UsageError(f"{axis_option.rstrip('=')} {axis!r}: the mesh {_text(axes)} has "
                         f"no such axis; its axes are {', '.join(names)}",
                         f"give one of them, e.g. {axis_option} {names[0]}" if cli else
                         f"give one of them, e.g. mesh_axis={names[0]!r}")
    return MeshSpec(axes, axis, _shards(shard, cli))
