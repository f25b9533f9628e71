"""`compare`: an earlier export as the baseline, and the change of each median against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from vmapx._problem.surface import Surface
from vmapx._bench.stats import mann_whitney_u
from vmapx._report.bench import ALPHA, Change, VariantResult
from vmapx.errors import UsageError

KEYS = {"function", "batch_size", "variant", "median_s"}


def load_baseline(source: Mapping[str, Any] | str | Path, surface: Surface
                  ) -> tuple[dict[str, Any], str]:
    """The baseline (an export's JSON, from a file or as a dict) and what to call it;
    UsageError when it is not one."""
    option = surface.option("compare").rstrip("=")
    hint = "give a file written by " + ("vmapx bench --export-json FILE" if surface.cli else
                                        "vmapx bench --export-json FILE, or a report's to_json()")
    if isinstance(source, Mapping):
        data, label, where = dict(source), "baseline", f"{option}"
    else:
        path = Path(source)
        label, where = str(path), f"{option} {path}"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(f"{where}: no such file", hint) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{where}: cannot read it: {exc}", hint) from None
        except json.JSONDecodeError as exc:
            raise UsageError(f"{where}: not JSON ({exc.msg}, line {exc.lineno})", hint) from None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or not all(isinstance(r, dict) and KEYS <= r.keys()
                                                for r in results):
        raise UsageError(f"{where}: not a vmapx bench export (needs \"results\" with "
                         f"{', '.join(sorted(KEYS))})", hint)
    return data, label


def _change(function: str, batch_size: int, variant: str, old: Mapping[str, Any] | None,
            new: VariantResult | None) -> Change:
    baseline_s = old.get("median_s") if old else None
    current_s = new.median_s if new else None
    if not (baseline_s and current_s):
        return Change(function, batch_size, variant, baseline_s, current_s)
    pct = (current_s - baseline_s) / baseline_s * 100
    apart = _apart(_quartiles(baseline_s, old.get("iqr_s"), old.get("q1_s"), old.get("q3_s")),
                   _quartiles(current_s, new.iqr_s, new.q1_s, new.q3_s))
    before, after = list(old.get("times_s") or []), list(new.times_s)
    if before and after:  # the samples differ, and by more than either run's spread
        _, p = mann_whitney_u(after, before)
        return Change(function, batch_size, variant, baseline_s, current_s, pct, p,
                      p < ALPHA and apart, "mann-whitney-u")
    return Change(function, batch_size, variant, baseline_s, current_s, pct, None, apart,
                  "iqr")


def _quartiles(median: float, iqr: float | None, q1: float | None, q3: float | None
               ) -> tuple[float, float]:
    """q1..q3; from an older export without them, median ± IQR/2."""
    if q1 is not None and q3 is not None:
        return q1, q3
    half = (iqr or 0.0) / 2
    return median - half, median + half


def _apart(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[1] < b[0] or b[1] < a[0]


def compare(results: list[VariantResult], baseline: Mapping[str, Any], complete: bool
            ) -> list[Change]:
    """The change of each current median against the baseline's, in the current order; and,
    when the run is `complete` (not interrupted), those the baseline has and this run lacks."""
    # matched on the batch's shape too: a 4×5 nest is not a 5×4 one (older exports have none)
    old = {(r["function"], r["batch_size"], tuple(r.get("batch_shape") or ()), r["variant"]):
           r for r in baseline["results"]}
    out = []
    for r in results:
        key = (r.function, r.batch_size, tuple(r.batch_shape or ()), r.variant)
        before = old.pop(key) if key in old else old.pop((*key[:2], (), key[3]), None)
        out.append(_change(r.function, r.batch_size, r.variant, before, r))
    if complete:
        out += [_change(f, b, v, before, None) for (f, b, _, v), before in old.items()]
    return out
