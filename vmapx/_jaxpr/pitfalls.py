"""Pitfall warnings: where vmap made something costlier than the per-example code suggests.

Each is found by comparing jaxprs vmapx already has: the per-example one, the batched one at
batch sizes B and B+1 (what changes with B is batched), and the hand-batched one.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

from vmapx._analysis import _compat as compat
from vmapx._jaxpr.diff import changes_with_batch
from vmapx._report.jaxpr import AlignRow, Pitfall

KINDS = ("batched_cond", "batched_while", "batched_gather", "batched_scatter", "extra_transpose")


def _indexed(closed: Any) -> Iterator[tuple[int, Any]]:
    """(index of the top-level flattened equation it sits in, equation), at any depth."""
    for i, eqn in enumerate(compat.flat_eqns(closed)):
        yield i, eqn
        for sub in compat.sub_jaxprs(eqn):
            for inner in compat.walk(sub):
                yield i, inner


def find(example: Any, at_b: Any, at_b1: Any, manual_rows: list[AlignRow] | None = None,
         manual: Any = None, manual_name: str = "the hand-batched version") -> list[Pitfall]:
    """Every pitfall in the batched jaxpr `at_b` (traced again at B+1 as `at_b1`; None when
    `at_b` has no while, gather or scatter, whose batched operands it shows)."""
    out = _conds(example, at_b)
    pairs = list(zip(_indexed(at_b), _indexed(at_b1))) if at_b1 is not None else []
    for (i, eqn), (_, eqn1) in pairs:
        name = compat.name(eqn)
        if name == "while" and "cond_jaxpr" in eqn.params and changes_with_batch(
                eqn.params["cond_jaxpr"], eqn1.params["cond_jaxpr"]):
            out.append(Pitfall("batched_while", i, (
                f"while (eqn {i}) has a batched predicate: every example runs as many "
                "iterations as the longest one, the finished ones masked. If the trip count is "
                "the same for every example, compute the predicate from unmapped values "
                "(in_axes None); otherwise expect the slowest example's cost for all of them")))
        elif (name == "gather" or name.startswith("scatter")) and len(eqn.invars) > 1:
            if compat.in_shapes(eqn)[1] != compat.in_shapes(eqn1)[1]:
                kind = "batched_gather" if name == "gather" else "batched_scatter"
                verb = "reads" if name == "gather" else "writes"
                out.append(Pitfall(kind, i, (
                    f"{name} (eqn {i}) {verb} at indices batched per example: each example "
                    "indexes its own positions, a general gather/scatter rather than a slice. "
                    "If every example uses the same indices, pass them unmapped (in_axes None); "
                    "for one-hot-sized index sets, a dense jnp.take_along_axis or a mask can be "
                    "faster")))
    if manual_rows is not None and manual is not None:
        out += _transposes(at_b, manual_rows, manual, manual_name)
    return sorted(out, key=lambda w: w.equation)


def _conds(example: Any, at_b: Any) -> list[Pitfall]:
    """A `cond` in the per-example jaxpr that vmap turned into `select_n` (batched predicate)."""
    conds = [e for e in compat.walk(example) if compat.name(e) == "cond"]
    kept = Counter(compat.source_line(e) for e in compat.walk(at_b) if compat.name(e) == "cond")
    if not conds or len(conds) <= sum(kept.values()):
        return []
    selects = [(i, e) for i, e in _indexed(at_b) if compat.name(e) == "select_n"]
    example_selects = {compat.source_line(e) for e in compat.walk(example)
                       if compat.name(e) == "select_n"}
    out = []
    for cond in conds:
        line = compat.source_line(cond)
        if kept.get(line, 0) > 0:
            kept[line] -= 1
            continue
        at = [i for i, e in selects if line is not None and compat.source_line(e) == line]
        if not at:  # no source lines: the last select_n the per-example code does not have
            at = [i for i, e in selects if compat.source_line(e) not in example_selects] or \
                 [i for i, _ in selects]
        if not at:
            continue
        where = f" at {line}" if line else ""
        out.append(Pitfall("batched_cond", at[-1], (
            f"cond{where} has a batched predicate, so vmap turned it into select_n (eqn "
            f"{at[-1]}): both branches run for every example and one result is kept. If the "
            "predicate is the same for every example, pass what it depends on unmapped (in_axes "
            "None); if a branch is costly, batch it yourself or move the choice out of vmap")))
    return out


def _transposes(at_b: Any, rows: list[AlignRow], manual: Any, manual_name: str) -> list[Pitfall]:
    """Transposes in the batched jaxpr beyond those the hand-batched one has."""
    flat = compat.flat_eqns(at_b)
    count = sum(1 for e in compat.walk(at_b) if compat.name(e) == "transpose")
    theirs = sum(1 for e in compat.walk(manual) if compat.name(e) == "transpose")
    extra = [r.vmap for r in rows if r.vmap is not None and not r.matched
             and r.primitive == "transpose"][: max(count - theirs, 0)]
    out = []
    for i in extra:
        perm = flat[i].params.get("permutation")
        how = f" with permutation {tuple(int(p) for p in perm)}" if perm is not None else ""
        out.append(Pitfall("extra_transpose", i, (
            f"transpose (eqn {i}){how} moves the batch axis; {manual_name} has no such "
            "transpose. It is a copy of the array (XLA can often fuse it away); choosing "
            "out_axes where the batch axis already is, or ordering the operands as the "
            "hand-batched version does, avoids it")))
    return out
