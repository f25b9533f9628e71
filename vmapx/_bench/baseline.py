"""`compare`: an earlier export as the baseline, and the change of each median against it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from vmapx._problem.surface import Surface
from vmapx._report.bench import Change, VariantResult
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


def _change(function: str, batch_size: int, variant: str, baseline_s: float | None,
            current_s: float | None) -> Change:
    pct = ((current_s - baseline_s) / baseline_s * 100 if baseline_s and current_s else None)
    return Change(function, batch_size, variant, baseline_s, current_s, pct)


def compare(results: list[VariantResult], baseline: Mapping[str, Any], complete: bool
            ) -> list[Change]:
    """The change of each current median against the baseline's, in the current order; and,
    when the run is `complete` (not interrupted), those the baseline has and this run lacks."""
    # matched on the batch's shape too: a 4×5 nest is not a 5×4 one (older exports have none)
    old = {(r["function"], r["batch_size"], tuple(r.get("batch_shape") or ()), r["variant"]):
           r.get("median_s") for r in baseline["results"]}
    out = []
    for r in results:
        key = (r.function, r.batch_size, tuple(r.batch_shape or ()), r.variant)
        median = old.pop(key) if key in old else old.pop((*key[:2], (), key[3]), None)
        out.append(_change(r.function, r.batch_size, r.variant, median, r.median_s))
    if complete:
        out += [_change(f, b, v, median, None) for (f, b, _, v), median in old.items()]
    return out
