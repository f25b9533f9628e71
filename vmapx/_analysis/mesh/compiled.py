"""A problem's jit(vmap) compiled for a mesh, on shapes only: the shardings XLA chose for each
output, the shape each device holds, and the collectives in the compiled module.

`jax.jit(f, in_shardings=…).lower(ShapeDtypeStruct(…, sharding=…)).compile()` partitions the
program without allocating any input; the compiled executable's `output_shardings` and HLO text
are what XLA decided.
"""

from __future__ import annotations

from typing import Any, Callable

from vmapx._analysis import _compat
from vmapx._analysis.mesh.devices import Placed
from vmapx._analysis.mesh.hlo import collectives
from vmapx._analysis.mesh.layout import spec_at, spec_text
from vmapx._analysis.tracing import leaf_structs, out_leaf_axes, vmap_axes
from vmapx._problem.problem import Problem
from vmapx._report.mesh import Collective, MeshLeaf
from vmapx._text.specs import short_dtype


def vmapped(problem: Problem, spmd_axis_name: str | None = None) -> Callable[..., Any]:
    """The nest of vmaps as a function of the leaves; the outermost level names the mesh
    axis (`spmd_axis_name`) when given."""
    import jax

    g = problem.call
    for level in reversed(problem.levels):
        g = jax.vmap(g, in_axes=vmap_axes(level.in_axes), out_axes=level.out_axes,
                     axis_size=problem.request.axis_size,
                     spmd_axis_name=spmd_axis_name if level.index == 0 else None)
    return problem.flat(g)


def compile_on(problem: Problem, placed: Placed, specs: list[Any],
               spmd_axis_name: str | None = None) -> tuple[Any, Any]:
    """(the compiled executable, the output structs) of jit(vmap) with these input specs."""
    import jax
    from jax.sharding import NamedSharding

    shardings = [NamedSharding(placed.mesh, p) for p in specs]
    plain = leaf_structs([leaf.shape for leaf in problem.leaves], problem)
    structs = [jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sh)
               for s, sh in zip(plain, shardings)]
    fn = vmapped(problem, spmd_axis_name)
    compiled = jax.jit(fn, in_shardings=tuple(shardings)).lower(*structs).compile()
    return compiled, jax.eval_shape(fn, *plain)


def input_leaves(problem: Problem, placed: Placed, specs: list[Any]) -> list[MeshLeaf]:
    from jax.sharding import NamedSharding

    return [MeshLeaf(leaf.name, tuple(leaf.shape), short_dtype(leaf.dtype), spec_text(p),
                     tuple(NamedSharding(placed.mesh, p).shard_shape(tuple(leaf.shape))))
            for leaf, p in zip(problem.leaves, specs)]


def output_leaves(problem: Problem, placed: Placed, compiled: Any, out: Any,
                  batch_axis: str) -> list[MeshLeaf]:
    """Each output leaf as XLA shards it, against the sharding that keeps the batch in place."""
    import jax
    from jax.sharding import NamedSharding

    pairs = jax.tree_util.tree_flatten_with_path(out)[0]
    chosen = jax.tree_util.tree_leaves(compiled.output_shardings)
    axes = out_leaf_axes(problem.levels[0].out_axes, out, problem.surface)
    rows = []
    for (path, struct), sharding, ax in zip(pairs, chosen, axes):
        shape, ndim = tuple(struct.shape), len(struct.shape)
        want = spec_at(None if ax is None else ax % ndim, batch_axis)
        flag = None
        if not sharding.is_equivalent_to(NamedSharding(placed.mesh, want), ndim):
            flag = "replicated" if sharding.is_fully_replicated else "different"
        text = (spec_text(sharding.spec) if hasattr(sharding, "spec") else
                type(sharding).__name__)  # e.g. SingleDeviceSharding for a constant
        rows.append(MeshLeaf(jax.tree_util.keystr(path), shape, short_dtype(struct.dtype),
                             text, tuple(sharding.shard_shape(shape)), spec_text(want), flag))
    return rows


def found_collectives(problem: Problem, compiled: Any) -> list[Collective]:
    """The collectives of the compiled module, each traced to its jaxpr equation's line."""
    import jax

    plain = leaf_structs([leaf.shape for leaf in problem.leaves], problem)
    closed = jax.make_jaxpr(vmapped(problem))(*plain)
    sources: dict[str, list[str]] = {}
    _sources(closed.jaxpr, None, sources)
    return collectives(compiled.as_text(), sources)


def _relative(line: str | None) -> str | None:
    """`/home/me/proj/m.py:3:4 (f)` as `m.py:3:4 (f)` when run from /home/me/proj."""
    import os

    here = os.getcwd() + os.sep
    return line[len(here):] if line and line.startswith(here) else line


def _sources(j: Any, enclosing: str | None, out: dict[str, list[str]]) -> None:
    """Primitive name → the source lines of its equations, at any depth. An equation inside a
    jitted library function (jnp.fft.fft) has no user frame of its own: it gets the line of
    the user's call that encloses it."""
    for eqn in _compat.eqns(j):
        line = _relative(_compat.source_line(eqn)) or enclosing
        if _compat.call_body(eqn) is None and line:
            out.setdefault(_compat.name(eqn), []).append(line)
        for sub in _compat.sub_jaxprs(eqn):
            _sources(sub, line, out)
