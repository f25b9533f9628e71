"""The one description of the vmap being asked about, built once and shared by every analysis.

A `Problem` holds the function, its arguments bound to parameters (every input a pytree of
leaves), and the nest of vmaps placed over them (one `in_axes` is a nest of one), with `--batch`
and `--ranks` already expanded into levels and shapes. Every structural check happens while
building it: a mistake in the options is a `UsageError` (raised); a vmap that cannot work for
these inputs is kept as `failure` (a finding, reported by each analysis). No jax here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Mapping, Sequence

from vmapx._problem.binding import Bound, bind, with_statics
from vmapx._problem.placing import Leaf, Level, insert_batch, leaf_axes, place_levels
from vmapx._problem.ranks import by_name, plan_ranks
from vmapx._problem.surface import Surface
from vmapx._text.declared import Declared, declared, home
from vmapx._text.specs import DEFAULT_DTYPE, X64_DTYPES, check_size, format_shape
from vmapx._text.trees import Node, leaves, unflatten_like
from vmapx.errors import TargetError, UsageError, VmapFailure


@dataclass(frozen=True)
class Request:
    """What was asked, as given: inputs by parameter name (a pytree of specs each, or None to
    borrow a shape), the levels' axes outermost first (empty: not given, 0), and options."""

    fn: Callable[..., Any]
    name: str
    given: Mapping[str, Any]
    in_axes: tuple[Any, ...] = ()
    out_axes: tuple[Any, ...] = ()
    ranks: Any = None
    batch: int | None = None
    axis_size: int | None = None
    static: Mapping[str, Any] = field(default_factory=dict)
    surface: Surface = Surface()


@dataclass(frozen=True)
class Problem:
    """A vmap problem: the bound arguments, their leaves and the nest of levels placed on them.

    `leaves` are in JAX's flattening order (positional arguments' leaves, then keyword ones),
    with the shapes the outermost vmap is called with; `given` holds each leaf's shape before
    `--ranks` squeezed a broadcasting size-1 dim. `levels` is empty when `failure` is set (or
    when `--ranks` leaves no batch dims). `twin` is the hand-batched version the module declares.
    """

    request: Request
    bound: Bound
    leaves: tuple[Leaf, ...]
    given: tuple[tuple[int, ...], ...]
    levels: tuple[Level, ...]
    failure: VmapFailure | None = None
    notes: tuple[str, ...] = ()
    ranks: Mapping[str, Any] | None = None
    declared: Declared | None = None
    twin: Callable[..., Any] | None = None

    @property
    def name(self) -> str:
        return self.request.name

    @property
    def surface(self) -> Surface:
        return self.request.surface

    @property
    def size(self) -> int | None:
        """The outermost level's batch size."""
        return self.levels[0].size if self.levels else None

    @functools.cached_property
    def call(self) -> Callable[..., Any]:
        """The user's function of its array arguments, statics put back in place."""
        return with_statics(self.request.fn, self.bound)

    def example_shapes(self) -> list[tuple[int, ...]]:
        """Each leaf's per-example shape: what is left after every level took its axis."""
        if not self.levels:
            return [leaf.shape for leaf in self.leaves]
        last = self.levels[-1]
        return [s if a is None else s[:a] + s[a + 1:] for s, a in zip(last.shapes, last.axes)]

    def unflatten(self, values: Sequence[Any]) -> tuple[list[Any], dict[str, Any]]:
        """Leaf values → (positional arguments, keyword arguments) as the function takes them."""
        it = iter(values)
        pos = [unflatten_like(a.tree, it) for a in self.bound.args]
        return pos, {a.name: unflatten_like(a.tree, it) for a in self.bound.kwargs}

    def flat(self, g: Callable[..., Any]) -> Callable[..., Any]:
        """`g` (a function of the arguments) as a function of the leaves, in `leaves` order."""
        @functools.wraps(g)
        def on_leaves(*values: Any) -> Any:
            pos, kw = self.unflatten(values)
            return g(*pos, **kw)

        return on_leaves

    def wide(self) -> list[str]:
        """The leaves whose dtype needs x64."""
        return [leaf.name for leaf in self.leaves if leaf.dtype in X64_DTYPES]

    def with_in_axes(self, in_axes: Any) -> Problem:
        """The same problem with the outermost level's in_axes replaced (shapes borrowed under
        the original in_axes stay): what `--explore` tries."""
        levels_in, levels_out = _levels(self.request)
        return _place(self.request, self.bound, [in_axes] + levels_in[1:], levels_out,
                      self.declared, self.twin, self.notes)


def _levels(req: Request) -> tuple[list[Any], list[Any]]:
    """One in_axes and one out_axes entry per level; a single out_axes serves every level."""
    levels_in = list(req.in_axes) or [0]
    levels_out = list(req.out_axes) or [0]
    if len(levels_out) == 1 and len(levels_in) > 1:
        levels_out = levels_out * len(levels_in)
    if len(levels_out) != len(levels_in):
        s = req.surface
        raise UsageError(f"{len(levels_in)} in_axes levels but {len(levels_out)} out_axes"
                         if not s.cli else
                         f"{len(levels_in)} --in-axes levels but {len(levels_out)} --out-axes",
                         f"give {s.option('out_axes').rstrip('=')} once (the same for every "
                         "level) or once per level")
    return levels_in, levels_out


def with_declared(req: Request) -> tuple[Request, Declared | None, tuple[str, ...]]:
    """When no input is given, the per-example inputs the function's module declares
    (`VMAPX_EXAMPLES`), with its batch size, in_axes and statics; a note says so."""
    module, attr = home(req.fn)
    decl = declared(module, attr, not req.given) if module is not None and attr else None
    if decl is None:
        return req, None, ()
    if req.given:
        return replace(req, static={**decl.static, **req.static}), decl, ()
    batch = req.batch or decl.batch
    if batch is None:
        raise UsageError(f"{req.name} declares per-example inputs but no batch size",
                         f"give the batch size with {req.surface.set('batch', 'N')}")
    where = module.__name__.removeprefix("vmapx_user_")
    note = (f"per-example inputs from {where}.VMAPX_EXAMPLES: "
            + ", ".join(f"{n} {_spec_text(s)}" for n, s in decl.inputs.items()))
    in_axes = req.in_axes or ((decl.in_axes,) if decl.in_axes is not None else ())
    return (replace(req, given=dict(decl.inputs), batch=batch, in_axes=in_axes,
                    static={**decl.static, **req.static}), decl, (note,))


def _spec_text(tree: Any) -> str:
    """A declared input as text: a shape, a JSON tree, or key paths for other containers."""
    if hasattr(tree, "shape"):
        return str(tree)
    if any(isinstance(t, Node) for t in _nodes(tree)):
        return "{" + ", ".join(f"{p} {s}" for p, s in leaves(tree)) + "}"
    import json

    return json.dumps(unflatten_like(tree, (str(s) for _, s in leaves(tree))))


def _nodes(tree: Any) -> Iterator[Any]:
    yield tree
    children = tree.values() if isinstance(tree, dict) else tree.children \
        if isinstance(tree, Node) else tree if isinstance(tree, (list, tuple)) else ()
    for c in children:
        yield from _nodes(c)


def build(req: Request) -> Problem:
    """Bind, expand `--batch`/`--ranks` and place every level; raise `UsageError` for options
    that do not fit, keep a structural `VmapFailure` in the problem."""
    s = req.surface
    req, decl, notes = with_declared(req)
    check_size(req.batch, s.option("batch").rstrip("="))
    check_size(req.axis_size, s.option("axis_size").rstrip("="))
    levels_in, levels_out = _levels(req)
    if req.ranks is not None and (req.in_axes or req.out_axes):
        raise UsageError(f"{s.option('ranks').rstrip('=')} and {s.option('in_axes').rstrip('=')}"
                         " both set the in_axes" if s.cli else "ranks and in_axes both set the "
                         "in_axes", "give one: ranks build every level's in_axes from the base "
                         "ranks")
    from_declaration = bool(notes)  # the inputs are the module's per-example ones
    if from_declaration and (req.ranks is not None or len(levels_in) > 1):
        raise UsageError(f"{req.name}'s declared inputs (VMAPX_EXAMPLES) are per-example, and "
                         "ranks or nested vmaps take the full (batched) shapes",
                         "give every argument's full shape, e.g. " + s.arg("x", "8,16,3"))
    if req.batch is not None and (req.ranks is not None or len(levels_in) > 1):
        what = "ranks" if req.ranks is not None else f"{len(levels_in)} nested vmaps"
        raise UsageError(
            f"{s.option('batch').rstrip('=')} gives one vmap's batch size; with {what} the "
            "batch dims come from the shapes themselves",
            "drop it and give the full (batched) shapes, e.g. "
            + s.arg("x", "8,16,3") + " for two levels of 8 and 16")
    bound = bind(req.fn, req.given, levels_in[0] if req.ranks is None else 0, req.static,
                 req.batch, req.name, s)
    notes += tuple(f"{a.name} had no shape: it borrows {a.borrowed_from}'s per-example shape "
                   f"({format_shape(a.example, a.tree.dtype or DEFAULT_DTYPE)}); give "
                   f"{s.option(a.name)}{'' if s.cli else '…'} to set it"
                   for a in bound.args if a.borrowed_from)
    notes += tuple(f"{a.name} is a keyword argument: vmap maps it on axis 0 at every level"
                   for a in bound.kwargs)
    return _place(req, bound, levels_in, levels_out, decl, _twin(req, decl), notes)


def _twin(req: Request, decl: Declared | None) -> Callable[..., Any] | None:
    if decl is None or not decl.manual:
        return None
    twin = getattr(decl.module, decl.manual, None)
    if not callable(twin):
        raise TargetError(f"{req.name}'s VMAPX_EXAMPLES names the hand-batched "
                          f"{decl.manual!r}, which its module does not define",
                          "define it, or drop 'manual' from the declaration")
    return twin


def _place(req: Request, bound: Bound, levels_in: list[Any], levels_out: list[Any],
           decl: Declared | None, twin: Callable[..., Any] | None, notes: tuple[str, ...]
           ) -> Problem:
    leafs = [Leaf(a.name, p, spec.shape, spec.dtype or DEFAULT_DTYPE, a.keyword)
             for a in bound.all for p, spec in leaves(a.tree)]
    n_kw = sum(1 for lf in leafs if lf.keyword)
    made = functools.partial(Problem, req, bound, declared=decl, twin=twin)
    rank_map = None
    if req.ranks is not None:
        rank_map = by_name(req.ranks, [a.name for a in bound.args], req.name)
        if bound.kwargs:
            raise UsageError(f"{req.surface.option('ranks').rstrip('=')} covers positional "
                             "arguments only",
                             f"pass {', '.join(a.name for a in bound.kwargs)} positionally or "
                             "as statics")
    try:
        if req.batch is not None:
            leafs = insert_batch(leafs, leaf_axes(levels_in[0], bound.args, n_kw, req.surface),
                                 req.batch, req.surface)
        given = tuple(lf.shape for lf in leafs)
        if rank_map is not None:
            plan = plan_ranks(bound.args, leafs, rank_map)
            levels_in, levels_out = plan.levels_in, [0] * len(plan.levels_in)
            leafs = [replace(lf, shape=s) for lf, s in zip(leafs, plan.shapes)]
            notes += tuple(plan.notes)
        levels = place_levels(leafs, bound.args, levels_in, levels_out, req.axis_size,
                              req.surface)
    except VmapFailure as failure:
        return made(tuple(leafs), tuple(lf.shape for lf in leafs), (), failure, notes, rank_map)
    return made(tuple(leafs), given, tuple(levels), None, notes, rank_map)
