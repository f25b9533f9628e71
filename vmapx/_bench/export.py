"""Exports of a `BenchReport` (JSON, CSV, Markdown, like hyperfine's) and `--compare`.

Every exporter reads the same report; none measures or formats anything it does not hold.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vmapx._bench.analysis import BenchReport, VariantResult
from vmapx.errors import UsageError

RESULT_FIELDS = [f.name for f in dataclasses.fields(VariantResult)]
HEADER_FIELDS = ["backend", "device", "device_kind", "jax_version", "x64"]
_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))


def to_json_text(report: BenchReport) -> str:
    return json.dumps(report.to_json(), indent=2) + "\n"


def to_csv(report: BenchReport) -> str:
    """One row per result: the report's header fields, then every result field (seconds)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=HEADER_FIELDS + RESULT_FIELDS, lineterminator="\n")
    writer.writeheader()
    head = {k: getattr(report, k) for k in HEADER_FIELDS}
    for r in report.results:
        row = dataclasses.asdict(r)
        row["warnings"] = " | ".join(r.warnings)
        writer.writerow({**head, **{k: "" if v is None else v for k, v in row.items()}})
    return buf.getvalue()


def unit_for(seconds: list[float]) -> tuple[float, str]:
    """One unit for a whole table, chosen so the fastest time reads as 1 or more."""
    fastest = min((s for s in seconds if s), default=1.0)
    return next(((scale, name) for scale, name in _UNITS if fastest >= scale), _UNITS[-1])


def to_markdown(report: BenchReport) -> str:
    """A Markdown table of every result, in one time unit, under a line naming the machine."""
    scale, unit = unit_for([r.median_s for r in report.results if r.median_s])

    def t(v: float | None) -> str:
        if v is None:
            return ""
        x = v / scale
        return f"{x:.0f}" if x >= 1000 else f"{x:.4g}"

    lines = [f"Backend `{report.backend}`, device `{report.device}` ({report.device_kind}), "
             f"JAX {report.jax_version}, x64 {'on' if report.x64 else 'off'}.", "",
             f"| Function | Batch | Variant | Compile [{unit}] | Median [{unit}] | "
             f"IQR [{unit}] | Min [{unit}] | Samples | Speedup vs loop | Matches loop |",
             "|:---|---:|:---|---:|---:|---:|---:|---:|---:|:---|"]
    for r in report.results:
        speed = "" if r.speedup_vs_loop is None else f"{r.speedup_vs_loop:.3g}"
        match = {True: "yes", False: "**no**", None: ""}[r.matches_loop]
        if r.status == "skipped":
            match = "skipped"
        batch = "×".join(map(str, r.batch_shape)) if len(r.batch_shape) > 1 else r.batch_size
        lines.append(f"| `{r.function}` | {batch} | {r.variant} | {t(r.compile_s)} | "
                     f"{t(r.median_s)} | {t(r.iqr_s)} | {t(r.min_s)} | {r.samples} | {speed} | "
                     f"{match} |")
    return "\n".join(lines) + "\n"


EXPORTERS = {"json": to_json_text, "csv": to_csv, "markdown": to_markdown}


def check_writable(path: Path, option: str) -> None:
    """Raise UsageError (exit 2) now, before measuring, if `path` cannot be written."""
    hint = "give a file in a folder you can write to"
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a folder, not a file", hint)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option} {path}: the folder {parent} does not exist",
                         f"create it first (mkdir -p {parent}), or {hint}")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"{option} {path}: cannot write there (permission denied)", hint)


def write(path: Path, text: str, option: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write: {exc.strerror or exc}",
                         "give a file in a folder you can write to") from None


@dataclass(frozen=True)
class Change:
    """One (function, batch size, variant) against the baseline; None where one side lacks it."""

    function: str
    batch_size: int
    variant: str
    baseline_s: float | None
    current_s: float | None

    @property
    def change_pct(self) -> float | None:
        if not self.baseline_s or not self.current_s:
            return None
        return (self.current_s - self.baseline_s) / self.baseline_s * 100


def load_baseline(path: Path) -> dict[str, Any]:
    """An earlier `--export-json` (or `--json`) file; UsageError when it is not one."""
    hint = "give a file written by vmapx bench --export-json FILE"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--compare {path}: no such file", hint) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--compare {path}: cannot read it: {exc}", hint) from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"--compare {path}: not JSON ({exc.msg}, line {exc.lineno})",
                         hint) from None
    results = data.get("results") if isinstance(data, dict) else None
    keys = {"function", "batch_size", "variant", "median_s"}
    if not isinstance(results, list) or not all(isinstance(r, dict) and keys <= r.keys()
                                                for r in results):
        raise UsageError(f"--compare {path}: not a vmapx bench export (needs \"results\" with "
                         f"{', '.join(sorted(keys))})", hint)
    return data


def compare(report: BenchReport, baseline: dict[str, Any]) -> list[Change]:
    """The change of each current median against the baseline's, in the current order."""
    # matched on the batch's shape too: a 4×5 nest is not a 5×4 one (older exports have none)
    old = {(r["function"], r["batch_size"], tuple(r.get("batch_shape") or ()), r["variant"]):
           r.get("median_s") for r in baseline["results"]}
    out = []
    for r in report.results:
        key = (r.function, r.batch_size, tuple(r.batch_shape or ()), r.variant)
        median = old.pop(key) if key in old else old.pop((*key[:2], (), key[3]), None)
        out.append(Change(r.function, r.batch_size, r.variant, median, r.median_s))
    if not report.interrupted:  # those the baseline has and this run does not
        out += [Change(f, b, v, median, None) for (f, b, _, v), median in old.items()]
    return out


def regressions(changes: list[Change], fail_above: float) -> list[Change]:
    """Those that got slower by more than `fail_above` percent."""
    return [c for c in changes if c.change_pct is not None and c.change_pct > fail_above]
