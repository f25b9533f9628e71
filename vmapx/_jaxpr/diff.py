"""What differs between two jaxprs: primitive counts, alignment, a verdict, batch-axis tracking.

Equations are compared after inlining call wrappers (`compat.flat_eqns`): a nested `jit` or
`custom_jvp_call` is packaging, not computation, so `jnp.einsum` (a jit in some JAX versions)
compares equal to the `dot_general` that vmap emits. Control flow stays one equation each.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from vmapx._analysis import _compat as compat
from vmapx._report.jaxpr import AlignRow, Equation
from vmapx._text.specs import short_dtype

ARROW = " → "
_VERDICT_SHOWN = 10  # primitives listed in a verdict before it abbreviates


def primitive_counts(closed: Any) -> dict[str, int]:
    """How many times each primitive occurs, through every sub-jaxpr, call wrappers excluded."""
    return dict(Counter(compat.name(e) for e in compat.walk(closed)))


def equations(closed: Any, axes: list[list[int | None]] | None = None) -> list[Equation]:
    flat = compat.flat_eqns(closed)
    return [Equation(i, compat.name(e), [(short_dtype(d), s) for d, s in compat.out_shapes(e)],
                     axes[i] if axes is not None else None) for i, e in enumerate(flat)]


def batch_axes(at_b: Any, at_b1: Any) -> list[list[int | None]] | None:
    """Per flattened equation, the axis of each output whose size changes between two traces at
    batch sizes B and B+1: that is the batch axis (None where no axis changes).

    Returns None when the two traces do not line up equation for equation.
    """
    a, b = compat.flat_eqns(at_b), compat.flat_eqns(at_b1)
    if len(a) != len(b) or any(compat.name(x) != compat.name(y) for x, y in zip(a, b)):
        return None
    return [[_changed_axis(s1, s2) for (_, s1), (_, s2) in
             zip(compat.out_shapes(x), compat.out_shapes(y))] for x, y in zip(a, b)]


def derived_batch_axes(closed: Any, batched_in: list[bool], size: int
                       ) -> list[list[int | None]] | None:
    """`batch_axes` of vmap's jaxpr at batch size `size` without a second trace, or None when
    this jaxpr leaves any doubt (then trace it again at size+1).

    Under vmap a value is batched when an operand it is computed from is, and its batch axis is
    a separate dimension of exactly `size`. So an output computed from a batched input with
    exactly one dimension of `size` has its batch axis there, and one computed from unbatched
    values only, with no dimension of `size`, has none. Anything else is a doubt: a batched
    output with no or several dimensions of `size`, an unbatched one with such a dimension
    (vmap's own broadcast of an unbatched value), control flow (`cond`, `while`, `scan`: some
    outputs stay unbatched) and gather/scatter (the pitfalls compare their indices at size+1).
    `batched_in`: whether each input of the jaxpr is mapped (the outermost vmap's leaves).
    """
    out: list[list[int | None]] = []
    env: dict[Any, bool] = dict(zip(compat.open_jaxpr(closed).invars, batched_in))

    def run(j: Any, flags: list[bool]) -> list[bool] | None:
        j = compat.open_jaxpr(j)
        env.update(zip(j.invars, flags))
        for eqn in j.eqns:
            ins = [_batched(env, v) for v in eqn.invars]
            body = compat.call_body(eqn)
            if body is not None:
                outs = run(body, ins)
                if outs is None:
                    return None
                env.update(zip(eqn.outvars, outs))
                continue
            name = compat.name(eqn)
            if compat.sub_jaxprs(eqn) or name == "gather" or name.startswith("scatter"):
                return None
            row = []
            for _, shape in compat.out_shapes(eqn):
                at = [i for i, d in enumerate(shape) if d == size]
                if any(ins) and len(at) == 1:
                    row.append(at[0])
                elif not any(ins) and not at:
                    row.append(None)
                else:
                    return None
            env.update((v, any(ins)) for v in eqn.outvars)
            out.append(row)
        return [_batched(env, v) for v in j.outvars]

    return out if run(closed, list(batched_in)) is not None else None


def _batched(env: dict[Any, bool], v: Any) -> bool:
    """Whether a variable holds a batched value; literals and constants do not."""
    return False if hasattr(v, "val") else env.get(v, False)


def _changed_axis(s1: tuple[int, ...], s2: tuple[int, ...]) -> int | None:
    if len(s1) != len(s2):
        return None
    changed = [i for i, (p, q) in enumerate(zip(s1, s2)) if p != q]
    return changed[0] if changed else None


def changes_with_batch(x: Any, y: Any) -> bool:
    """True when any equation inside these two same-structure jaxprs changes shape with B."""
    ex, ey = compat.eqns(x), compat.eqns(y)
    if len(ex) != len(ey):
        return True
    for p, q in zip(ex, ey):
        if compat.out_shapes(p) != compat.out_shapes(q):
            return True
        if any(changes_with_batch(s, t) for s, t in zip(compat.sub_jaxprs(p),
                                                        compat.sub_jaxprs(q))):
            return True
    return False


def align(vmap: list[Equation], other: list[Equation]) -> list[AlignRow]:
    """Match equations by primitive, in order: a longest common subsequence (Myers' diff, fast
    when the two differ by a few equations); between matches, vmap's unmatched rows first."""
    a = [e.primitive for e in vmap]
    b = [e.primitive for e in other]
    rows: list[AlignRow] = []
    i = j = 0
    for x, y in _matches(a, b) + [(len(a), len(b))]:
        rows += [AlignRow(k, None, a[k], False) for k in range(i, x)]
        rows += [AlignRow(None, k, b[k], False) for k in range(j, y)]
        if x < len(a):
            rows.append(AlignRow(x, y, a[x], True))
        i, j = x + 1, y + 1
    return rows


def _matches(a: list[str], b: list[str], max_edits: int = 2000) -> list[tuple[int, int]]:
    """Index pairs of a shortest edit script's matches (Myers 1986, O((N+M)·D)); past
    `max_edits` differences, where Myers' time and its trace's memory (D² entries) would show,
    a longest common subsequence by bit-parallel rows (`_lcs_pairs`, O(N·M/64)).

    Each round d computes every diagonal k at once with numpy (they depend only on round d-1),
    keeping round d-1's `v[-d-1..d+1]` for the backtrack: the same script as the one-diagonal-
    at-a-time loop of the paper, whose Python loop took seconds at a few thousand equations.
    """
    import numpy as np

    n, m = len(a), len(b)
    size = n + m
    codes: dict[str, int] = {}
    aa = np.array([codes.setdefault(p, len(codes)) for p in a] + [-1], dtype=np.int64)
    bb = np.array([codes.setdefault(p, len(codes)) for p in b] + [-2], dtype=np.int64)
    rows = _BitRows(aa[:-1].tolist(), bb[:-1].tolist())
    edits = size - 2 * rows.lcs(m, n)  # known before Myers runs
    if edits > max_edits:
        return _lcs_pairs(rows)
    off = size + 1
    v = np.zeros(2 * size + 3, dtype=np.int64)
    trace = []
    for d in range(edits + 1):  # Myers reaches the end in round `edits`
        trace.append(v[off - d - 1:off + d + 2].copy())
        ks = np.arange(-d, d + 1, 2)
        left, right = v[off + ks - 1], v[off + ks + 1]
        down = (ks == -d) | ((ks != d) & (left < right))
        xs = np.where(down, right, left + 1)
        ys = xs - ks
        active = np.arange(len(ks))
        while active.size:  # follow each diagonal's snake (runs of equal primitives)
            xa, ya = np.minimum(xs[active], n), np.minimum(ys[active], m)
            active = active[aa[xa] == bb[ya]]  # the sentinels never match: stops at the ends
            xs[active] += 1
            ys[active] += 1
        v[off + ks] = xs
        if np.any((xs >= n) & (ys >= m)):
            return _backtrack(trace, n, m)
    raise AssertionError(f"Myers' diff did not end in {edits} rounds")


class _BitRows:
    """Bit-parallel LCS rows (Allison & Dix 1986; Hyyrö 2004) of `a` against each prefix of
    `b`: bit j of row i is 0 where the LCS of b[:i] and a[:j+1] is one longer than that of
    b[:i] and a[:j], so that LCS of b[:i] and a[:j] is the count of 0 bits below j. A row is
    one Python int of len(a) bits; every `step`-th row is kept and the others recomputed a
    block at a time (memory ~2·sqrt(len(b)) rows, not len(b))."""

    def __init__(self, a: list[int], b: list[int]):
        import math

        self.a, self.b, self.n = a, b, len(a)
        self.ones = (1 << self.n) - 1
        self.masks: dict[int, int] = {}
        for j, code in enumerate(a):
            self.masks[code] = self.masks.get(code, 0) | (1 << j)
        self.step = max(1, math.isqrt(len(b)))
        self.kept = {0: self.ones}
        v = self.ones
        for i, code in enumerate(b, 1):
            v = self._next(v, code)
            if i % self.step == 0:
                self.kept[i] = v
        self.last = v
        self.block_start, self.block = -1, [v]

    def _next(self, v: int, code: int) -> int:
        u = v & self.masks.get(code, 0)
        return ((v + u) | (v - u)) & self.ones

    def row(self, i: int) -> int:
        if i == len(self.b):
            return self.last
        start = i - i % self.step
        if start != self.block_start:
            v, self.block = self.kept[start], [self.kept[start]]
            for code in self.b[start:start + self.step]:
                v = self._next(v, code)
                self.block.append(v)
            self.block_start = start
        return self.block[i - start]

    def lcs(self, i: int, j: int) -> int:
        """The LCS length of b[:i] and a[:j]."""
        return j - (self.row(i) & ((1 << j) - 1)).bit_count()


def _lcs_pairs(rows: _BitRows) -> list[tuple[int, int]]:
    """Index pairs of a longest common subsequence of `rows.a` and `rows.b`, walked back from
    the ends. (difflib, used here before, drops frequent symbols as junk in sequences over 200
    and found 3 of ~4,800 matches between a 1,600-layer vmap and its loop.)"""
    a, b = rows.a, rows.b
    pairs = []
    i, j = len(b), len(a)
    here = rows.lcs(i, j)
    while i > 0 and j > 0 and here > 0:
        if a[j - 1] == b[i - 1] and rows.lcs(i - 1, j - 1) == here - 1:
            pairs.append((j - 1, i - 1))
            i, j, here = i - 1, j - 1, here - 1
        elif rows.lcs(i - 1, j) == here:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def _backtrack(trace: list[Any], x: int, y: int) -> list[tuple[int, int]]:
    """The matches on the path back from (x, y); `trace[d]` holds v[-d-1..d+1] before round d."""
    pairs = []
    for d in range(len(trace) - 1, -1, -1):
        window, k = trace[d], x - y

        def v(j: int) -> int:
            return int(window[j + d + 1])

        prev_k = k + 1 if k == -d or (k != d and v(k - 1) < v(k + 1)) else k - 1
        prev_x = v(prev_k)
        prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:
            x, y = x - 1, y - 1
            pairs.append((x, y))
        if d > 0:
            x, y = prev_x, prev_y
    return pairs[::-1]


def _chain(names: list[str]) -> str:
    if len(names) <= _VERDICT_SHOWN:
        return ARROW.join(names)
    return ARROW.join(names[:6]) + ARROW + "…" + ARROW + ARROW.join(names[-3:])


def _tally(names: list[str]) -> str:
    return ", ".join(f"{n} ×{c}" if c > 1 else n for n, c in Counter(names).most_common())


def verdict(rows: list[AlignRow], vmap_label: str, other_label: str) -> str:
    """One line: the same primitives in the same order, or what each side has that the other
    lacks."""
    matched = [r.primitive for r in rows if r.matched]
    only_v = [r.primitive for r in rows if r.vmap is not None and not r.matched]
    only_o = [r.primitive for r in rows if r.other is not None and not r.matched]
    n = len(matched)
    if not only_v and not only_o:
        return f"same {n} primitive{'s' * (n != 1)} in the same order: {_chain(matched)}"
    if Counter(only_v) == Counter(only_o):
        total = n + len(only_v)
        return f"same {total} primitives, in a different order ({n} line up in order)"
    parts = [f"{n} primitive{'s' * (n != 1)} line{'s' * (n == 1)} up in order"]
    if only_v:
        parts.append(f"only in {vmap_label}: {_tally(only_v)}")
    if only_o:
        parts.append(f"only in {other_label}: {_tally(only_o)}")
    return "differ: " + "; ".join(parts)
