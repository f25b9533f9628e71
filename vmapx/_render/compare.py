"""The change of a `vmapx bench` run against a baseline export: a table per function, each
row's verdict in words, and every regression named."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from vmapx._render.common import DASH, fmt_time
from vmapx._report.bench import ALPHA, BenchReport, Change


def _verdict(c: Change, fail_above: float | None) -> Text:
    """The row's verdict in words and a mark (not colour alone): regression, slower, faster,
    within the noise, new, gone."""
    if c.change_pct is None:
        return Text("new" if c.baseline_s is None else "gone" if c.current_s is None
                    else DASH, style="dim")
    if not c.beyond_noise:
        return Text("~ within noise", style="dim")
    if c.change_pct > 0 and fail_above is not None and c.change_pct > fail_above:
        return Text("✗ REGRESSION", style="bold red")
    return Text("▲ slower", style="red") if c.change_pct > 0 else Text("▼ faster",
                                                                        style="green")


def _p(c: Change) -> str:
    if c.test == "iqr":
        return "iqr"
    return DASH if c.p_value is None else f"{c.p_value:.2g}"


def _test_words(changes: list[Change]) -> str:
    tests = {c.test for c in changes if c.test}
    if not tests:
        return "no change could be tested"
    words = "the two runs' middle halves (q1–q3) do not overlap"
    if "mann-whitney-u" in tests:
        words += (f" and a two-sided Mann-Whitney U test on both runs' samples gives p < "
                  f"{ALPHA:g}")
    if "iqr" in tests:
        words += " (the quartiles only, for a baseline exported without its samples: p = iqr)"
    return words


def render_compare(report: BenchReport) -> Group:
    """The change of each median against the baseline export, each row's verdict, and every
    regression named: slower by more than --fail-above and beyond both runs' noise."""
    fail_above = report.fail_above
    changes = report.compare or []
    parts: list = [Text(f"change against {report.baseline}", style="bold")]
    for function in dict.fromkeys(c.function for c in changes):  # a table per function
        table = Table(title=Text(function, style="bold cyan"), title_justify="left",
                      box=box.SIMPLE_HEAD, pad_edge=False)
        for col in ("batch", "variant", "baseline", "now", "change", "p", "verdict"):
            table.add_column(col, no_wrap=True, justify="left" if col in (
                "variant", "verdict") else "right")
        for c in changes:
            if c.function == function:
                pct = DASH if c.change_pct is None else f"{c.change_pct:+.1f}%"
                table.add_row(str(c.batch_size), c.variant, fmt_time(c.baseline_s),
                              fmt_time(c.current_s), pct, _p(c), _verdict(c, fail_above))
        parts.append(table)
    parts.append(Text(f"beyond the noise: {_test_words(changes)}", style="dim"))
    if fail_above is None:
        return Group(*parts)
    worse = report.regressions
    noisy = [c for c in changes if c.change_pct is not None and c.change_pct > fail_above
             and not c.beyond_noise]
    if worse:
        parts.append(Text(f"✗ {len(worse)} regression{'s' * (len(worse) != 1)}: slower by "
                          f"more than {fail_above:g}% and beyond the noise", style="bold red"))
        for c in worse:
            p = f", p = {c.p_value:.2g}" if c.p_value is not None else ""
            parts.append(Text(f"  ✗ {c.function} · batch {c.batch_size} · {c.variant}: "
                              f"{fmt_time(c.baseline_s)} → {fmt_time(c.current_s)} "
                              f"({c.change_pct:+.1f}%{p})", style="red"))
    else:
        parts.append(Text(f"✓ no regression: none got slower by more than {fail_above:g}% "
                          "beyond the noise", style="green"))
    if noisy:
        parts.append(Text(f"~ {len(noisy)} slower by more than {fail_above:g}% but within "
                          "the noise (not counted): " + ", ".join(
                              f"{c.variant} (batch {c.batch_size})" for c in noisy)
                          + "; more samples (--runs, --min-time) can tell", style="yellow"))
    return Group(*parts)
