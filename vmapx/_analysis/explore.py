"""Other in_axes for a problem, and the error object every report shows when its vmap fails.

The choices are per top-level positional argument: None, or an axis for the whole argument
(for a pytree, the axis of every leaf: an in_axes prefix). Most combinations are rejected by
the problem's structural checks without calling JAX; at most `TRACE_CAP` are traced.
"""

from __future__ import annotations

import itertools
from typing import Any

from vmapx._analysis.abstract import trace
from vmapx._analysis.tracing import jax_says, unfiltered_tracebacks
from vmapx._problem.problem import Problem
from vmapx._problem.surface import in_axes_text
from vmapx._report.common import ErrorInfo, Suggestion
from vmapx._report.shape import ExploreRow
from vmapx._text.trees import leaves
from vmapx.errors import UsageError, VmapFailure

TRACE_CAP = 128     # combinations traced through JAX at most
ENUM_CAP = 4096     # combinations considered at most (structural checks are cheap)
SUGGESTIONS = 5


def diagnose(problem: Problem, failure: VmapFailure, rows: list[ExploreRow] | None = None
             ) -> ErrorInfo:
    """The error object for a failing vmap: JAX's own message where vmapx found the failure
    itself, and the in_axes that work, closest to the user's first (explored here when `rows`
    is None; not for a failing out_axes, which no in_axes fixes)."""
    jax_message = failure.jax_message
    if jax_message is None and failure is problem.failure and problem.ranks is None \
            and problem.request.batch is None:
        jax_message = jax_says(problem)
    if rows is None and not failure.short.startswith("out_axes") and problem.ranks is None:
        rows, _ = explore(problem, enough=SUGGESTIONS)
    suggestions = [Suggestion(r.in_axes, r.shapes) for r in rows or []
                   if r.shapes is not None and not r.mine][:SUGGESTIONS]
    hint = failure.hint
    if suggestions:
        best = problem.surface.set("in_axes", in_axes_text(suggestions[0].in_axes))
        hint = f"try {best}" + (f"; {hint}" if hint else "")
    return ErrorInfo(failure.kind, failure.message, hint, suggestions, jax_message,
                     failure.detail, getattr(failure, "traceback", None))


def explore(problem: Problem, enough: int | None = None
            ) -> tuple[list[ExploreRow], str | None]:
    """Every outermost in_axes combination, closest to the user's first, with its output
    shapes or why it fails; and a note when the list was capped. With `enough`, stop once
    that many combinations other than the user's work (all that suggestions need)."""
    batch = problem.request.batch is not None
    ranks = [max((len(s.shape) for _, s in leaves(a.tree)), default=0) + batch
             for a in problem.bound.args]
    options = [[None] + list(range(r)) for r in ranks]
    mine = _normalise((problem.request.in_axes or (0,))[0], ranks)
    total = 1
    for o in options:
        total *= len(o)
    combos = itertools.islice(itertools.product(*options), ENUM_CAP)
    trees = [len(list(leaves(a.tree))) > 1 for a in problem.bound.args]
    near = mine if mine is not None else _nearest((problem.request.in_axes or (0,))[0], ranks)
    ordered = sorted(combos, key=lambda c: _distance(c, near, trees))
    if mine is not None and mine not in ordered:
        ordered.insert(0, mine)
    rows, traced, working = [], 0, 0
    with unfiltered_tracebacks():
        for combo in ordered:
            row, was_traced = _try(problem, combo, combo == mine, traced < TRACE_CAP)
            traced += was_traced
            if row is not None:
                rows.append(row)
                working += row.shapes is not None and not row.mine
            if enough is not None and working >= enough:
                break
    note = None
    if len(rows) < total:
        note = (f"showing {len(rows)} of {total} in_axes combinations (closest to yours first; "
                f"at most {TRACE_CAP} are traced)")
    return rows, note


def _try(problem: Problem, combo: tuple[Any, ...], mine: bool, may_trace: bool
         ) -> tuple[ExploreRow | None, bool]:
    """One combination's row (its structural failure, or if it may still be traced its shapes
    or JAX's failure), and whether it was traced."""
    candidate = problem.with_in_axes(combo)
    if candidate.failure is not None:
        failure = candidate.failure
        return ExploreRow(list(combo), None, failure.kind, failure.short, mine), False
    if not may_trace:
        return None, False
    try:
        _, outputs, _ = trace(candidate, derive=False)  # most fail: traced level by level
    except (VmapFailure, UsageError) as exc:
        return ExploreRow(list(combo), None, getattr(exc, "kind", "other"),
                          getattr(exc, "short", str(exc)), mine), True
    return ExploreRow(list(combo), [o.shape for o in outputs], None, None, mine), True


def _normalise(in_axes: Any, ranks: list[int]) -> tuple | None:
    """The user's in_axes as one resolved entry per argument (None if it cannot be)."""
    axes = list(in_axes) if isinstance(in_axes, (tuple, list)) else [in_axes] * len(ranks)
    if len(axes) != len(ranks) or not all(a is None or isinstance(a, int) for a in axes):
        return None
    out = []
    for ax, r in zip(axes, ranks):
        if ax is not None and not -r <= ax < r:
            return tuple(axes)
        out.append(None if ax is None else ax % r)
    return tuple(out)


def _nearest(in_axes: Any, ranks: list[int]) -> tuple | None:
    """For in_axes of the wrong length (`0,0,0` for two arguments), what to rank the
    suggestions by: its first entries, the last one repeated if it is short."""
    if not isinstance(in_axes, (tuple, list)) or not in_axes:
        return None
    fitted = (list(in_axes) + [in_axes[-1]] * len(ranks))[: len(ranks)]
    return _normalise(tuple(fitted), ranks)


def _distance(combo: tuple, mine: tuple | None, trees: list[bool]) -> tuple[int, int, int]:
    """How far from the user's in_axes; at the same count of changes, a pytree argument left
    unmapped comes first (the usual fix: parameters shared, data mapped)."""
    shared = -sum(1 for a, t in zip(combo, trees) if t and a is None)
    if mine is None:
        return (0, shared, 0)
    diff = [(a, b) for a, b in zip(combo, mine) if a != b]
    return (len(diff), shared, sum(abs((a if a is not None else -1) -
                                       (b if b is not None else -1)) for a, b in diff))
