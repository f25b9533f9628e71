"""How a problem's inputs lie on the mesh: each mapped leaf sharded along its outermost batch
axis over the mesh's batch axis, each unmapped leaf replicated; and the output layout that keeps
the batch where it is (what a vmap that stays embarrassingly parallel returns)."""

from __future__ import annotations

from typing import Any

from vmapx._problem.problem import Problem
from vmapx._text.mesh import MeshSpec
from vmapx._text.specs import format_shape
from vmapx.errors import UsageError


def spec_at(axis: int | None, batch_axis: str) -> Any:
    """`PartitionSpec(None, …, batch_axis)` with the mesh axis at `axis`; `P()` when None."""
    from jax.sharding import PartitionSpec as P

    return P() if axis is None else P(*([None] * axis), batch_axis)


def spec_text(spec: Any) -> str:
    """`P('data', None)` as JAX prints it, without the trailing Nones XLA may add or drop."""
    parts = list(spec)
    while parts and parts[-1] is None:
        parts.pop()
    return "P(" + ", ".join("None" if p is None else repr(p) for p in parts) + ")"


def input_specs(problem: Problem, spec: MeshSpec) -> list[Any]:
    """One PartitionSpec per input leaf; UsageError when the batch cannot be cut evenly."""
    s = problem.surface
    if not problem.levels:
        raise UsageError(f"{s.option('mesh').rstrip('=')} shards the batch, and this call "
                         "has no vmap level to shard", "give a batch (e.g. "
                         f"{s.set('batch', '64')}) or leading batch dims")
    top = problem.levels[0]
    if all(a is None for a in top.axes):
        raise UsageError("no input is mapped, so there is no batch to shard over the mesh",
                         "map at least one input (in_axes 0 for it)")
    if top.size % spec.shards:
        mesh_option = s.option("mesh").rstrip("=")
        raise UsageError(f"the batch of {top.size} does not divide into {spec.shards} equal "
                         f"shards over mesh axis {spec.batch_axis}={spec.shards} "
                         f"({mesh_option} {spec.text()})",
                         f"use a batch that is a multiple of {spec.shards} (e.g. "
                         f"{s.set('batch', str(spec.shards * max(1, top.size // spec.shards)))})"
                         f", or a mesh axis whose size divides {top.size}")
    specs = [spec_at(a, spec.batch_axis) for a in top.axes]
    return given_layouts(problem, spec, specs)


def given_layouts(problem: Problem, spec: MeshSpec, specs: list[Any]) -> list[Any]:
    """`specs` with the leaves the user laid out (`--shard LEAF=AXIS,…`) as given, checked:
    a known leaf, a mesh axis per dim (each once), sizes the axes divide."""
    from jax.sharding import PartitionSpec as P

    s = problem.surface
    option = "--shard" if s.cli else "shard="
    names = [leaf.name for leaf in problem.leaves]
    sizes = dict(spec.axes)
    out = list(specs)
    for name, dims in spec.shard:
        if name not in names:
            raise UsageError(f"{option.rstrip('=')} {name}: {problem.name} has no input leaf "
                             f"{name!r}; its leaves are {', '.join(names)}",
                             "name a leaf as vmapx shows it, e.g. " + names[0])
        leaf = problem.leaves[names.index(name)]
        where = f"{option.rstrip('=')} {name}={','.join(map(str, dims))}"
        if len(dims) > len(leaf.shape):
            raise UsageError(f"{where}: {len(dims)} dims given but {name} has "
                             f"{len(leaf.shape)} ({format_shape(leaf.shape, leaf.dtype)})",
                             "give at most one entry per dim")
        used = [d for d in dims if d is not None]
        bad = next((d for d in used if d not in sizes or used.count(d) > 1), None)
        if bad is not None:
            raise UsageError(f"{where}: mesh axis {bad!r} is "
                             + ("used twice" if bad in sizes else "not in the mesh "
                                f"{spec.text()}"), "use each of " + ", ".join(sizes)
                             + " at most once")
        uneven = next(((n, d) for n, d in zip(leaf.shape, dims)
                       if d is not None and n % sizes[d]), None)
        if uneven is not None:
            raise UsageError(f"{where}: a dim of size {uneven[0]} does not divide into "
                             f"{uneven[1]}={sizes[uneven[1]]} shards",
                             "shard a dim whose size the mesh axis divides")
        out[names.index(name)] = P(*dims)
    return out
