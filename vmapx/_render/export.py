"""Text exports of a `BenchReport` (JSON, CSV, Markdown, like hyperfine's).

Every exporter reads the same report; none measures or computes anything it does not hold.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json

from vmapx._report.bench import BenchReport, VariantResult

# a row per result: the many-valued fields (every sample, a traceback) are in the JSON only
RESULT_FIELDS = [f.name for f in dataclasses.fields(VariantResult)
                 if f.name not in ("traceback", "times_s")]
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
        row.pop("traceback"), row.pop("times_s")
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
    # compile times are seconds where calls are µs: a unit of their own
    cscale, cunit = unit_for([r.compile_s for r in report.results if r.compile_s])

    def t(v: float | None, by: float = scale) -> str:
        if v is None:
            return ""
        x = v / by
        return f"{x:.0f}" if x >= 1000 else f"{x:.4g}"

    lines = [f"Backend `{report.backend}`, device `{report.device}` ({report.device_kind}), "
             f"JAX {report.jax_version}, x64 {'on' if report.x64 else 'off'}.", "",
             f"| Function | Batch | Variant | Compile [{cunit}] | Median [{unit}] | "
             f"IQR [{unit}] | Min [{unit}] | Samples | Speedup vs loop | Matches loop |",
             "|:---|---:|:---|---:|---:|---:|---:|---:|---:|:---|"]
    for r in report.results:
        speed = "" if r.speedup_vs_loop is None else f"{r.speedup_vs_loop:.3g}"
        match = {True: "yes", False: "**no**", None: ""}[r.matches_loop]
        if r.status == "skipped":
            match = "skipped"
        batch = "×".join(map(str, r.batch_shape)) if len(r.batch_shape) > 1 else r.batch_size
        lines.append(f"| `{r.function}` | {batch} | {r.variant} | {t(r.compile_s, cscale)} | "
                     f"{t(r.median_s)} | {t(r.iqr_s)} | {t(r.min_s)} | {r.samples} | {speed} | "
                     f"{match} |")
    return "\n".join(lines) + "\n"


EXPORTERS = {"json": to_json_text, "csv": to_csv, "markdown": to_markdown}
