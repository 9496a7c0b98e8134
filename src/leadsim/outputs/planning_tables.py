"""Readable terminal tables for the planners: compare and sweep (staff: outputs/verdict.py).

Numbers are formatted as in ``leadsim run``'s table (shares as percentages);
a difference of two shares is shown in percentage points ("pp").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from leadsim.outputs.table import format_value
from leadsim.simulator.metrics import METRICS, METRICS_BY_NAME

if TYPE_CHECKING:  # only for annotations: outputs never run a planner
    from leadsim.planner.compare import Comparison, Difference

_NAME = 36
_COL = 12


def _unit(metric: str) -> str:
    return METRICS_BY_NAME[metric].unit if metric in METRICS_BY_NAME else ""


def format_diff(value: float | None, unit: str, signed: bool = True) -> str:
    """A difference: shares in percentage points, others like their metric."""
    if value is None or not math.isfinite(value):
        return "-"
    if unit in ("share", "percent"):
        points = value * 100 if unit == "share" else value
        return f"{points:+.1f} pp" if signed else f"{points:.1f} pp"
    text = format_value(value, unit)
    return f"+{text}" if signed and value > 0 else text


def _narrowing(d: Difference) -> str:
    ratio = d.narrowing
    if ratio is None:
        return "-"
    return "identical" if math.isinf(ratio) else f"{ratio:.1f}x"


def _diff_row(metric: str, d: Difference) -> str:
    unit = _unit(metric)
    interval = "" if d.ci_low is None or d.ci_high is None else \
        f"[{format_diff(d.ci_low, unit)}, {format_diff(d.ci_high, unit)}]"
    unpaired = "-" if d.unpaired_width is None else f"±{format_diff(d.unpaired_width / 2, unit, False)}"
    sig = {True: "yes", False: "no", None: "-"}[d.significant]
    return (f"  {metric:<{_NAME}}{format_value(d.base, unit):>{_COL}}{format_value(d.value, unit):>{_COL}}"
            f"{format_diff(d.diff, unit):>{_COL}}  {interval:<28}{sig:<5}{unpaired:>11} {_narrowing(d):>10}")


def format_compare(comparison: Comparison, metrics: Sequence[str] | None = None) -> str:
    """The compare table: per what-if, per metric, base, value, paired difference and interval.

    Args:
        comparison: the comparison.
        metrics: metrics to show (default: all, grouped as in ``leadsim run``).
    """
    shown = [m.name for m in METRICS if metrics is None or m.name in metrics]
    head = (f"compare: base {comparison.base}, {comparison.replications} replications, "
            f"seed {comparison.seed} (common random numbers: replication r of every scenario "
            "sees the same leads and luck)")
    lines = [head]
    for variant in comparison.variants:
        lines += ["", f"WHAT-IF {variant.name} vs {comparison.base}",
                  f"  {'metric':<{_NAME}}{'base':>{_COL}}{'what-if':>{_COL}}"
                  f"{'difference':>{_COL}}  {'95% interval (paired)':<28}{'sig':<5}"
                  f"{'unpaired':>11} {'narrower':>10}"]
        group = None
        for name in shown:
            if name not in variant.metrics:
                continue
            if METRICS_BY_NAME[name].group != group:
                group = METRICS_BY_NAME[name].group
                lines.append(f"  {group.upper()}")
            lines.append(_diff_row(name, variant.metrics[name]))
        lines.append("")
        lines.append(narrowing_sentence(variant.name, variant.metrics, comparison.base))
    lines += ["", "sig: yes when the paired 95% interval excludes zero. unpaired: half-width of the "
              "interval if the runs were independent (Welch); narrower: unpaired / paired width."]
    return "\n".join(lines)


def narrowing_sentence(name: str, metrics: dict[str, Difference], base: str) -> str:
    """How much narrower pairing made the intervals, in one sentence."""
    ratios = [d.narrowing for d in metrics.values() if d.narrowing is not None]
    finite = sorted(r for r in ratios if math.isfinite(r))
    identical = len(ratios) - len(finite)
    if not ratios:
        return f"  {name}: no intervals to compare (need 2 or more replications)."
    parts = []
    if finite:
        median = finite[len(finite) // 2] if len(finite) % 2 else \
            (finite[len(finite) // 2 - 1] + finite[len(finite) // 2]) / 2
        parts.append(f"paired intervals are a median {median:.1f}x narrower than unpaired ones "
                     f"(range {finite[0]:.1f}x-{finite[-1]:.1f}x over {len(finite)} metrics)")
    if identical:
        parts.append(f"{identical} metrics came out identical to {base} in every replication")
    return f"  {name}: " + "; ".join(parts) + "."


def replications_per_point(rows: Sequence[dict[str, Any]], requested: int) -> str:
    """``4 replications per point``, or, when some points have fewer (an interrupted
    sweep), ``2-3 of 4 replications per point (interrupted: 5 partial points marked *)``."""
    done = [int(r["replications"]) for r in rows]
    if not done or min(done) >= requested:
        return f"{requested} replications per point"
    low, high = min(done), max(done)
    got = str(low) if low == high else f"{low}-{high}"
    partial = sum(d < requested for d in done)
    return (f"{got} of {requested} replications per point "
            f"(interrupted: {partial} partial point{'s' if partial != 1 else ''} marked *)")


def sweep_title(scenario: str, rows: Sequence[dict[str, Any]], requested: int, seed: int) -> str:
    """The sweep plot's title: the scenario and the replications each point really has."""
    return f"{scenario}: {replications_per_point(rows, requested)}, seed {seed}"


def format_sweep(rows: Sequence[dict[str, Any]], params: Sequence[str], metrics: Sequence[str],
                 replications: int, seed: int) -> str:
    """The sweep table: one line per grid point, each metric as mean ± interval half-width.

    ``replications`` is what was asked for per point; a point with fewer (an
    interrupted sweep) shows its own count marked with ``*``.
    """
    width = {p: max(len(p.split(".")[-1]), 6) + 2 for p in params}
    cols = {m: max(len(m) + 2, 18) for m in metrics}
    header = "".join(f"{p.split('.')[-1]:>{width[p]}}" for p in params) + \
        f"{'reps':>6}" + "".join(f"{m:>{cols[m]}}" for m in metrics)
    lines = [f"sweep over {', '.join(params)}: {replications_per_point(rows, replications)}, seed {seed}, "
             "same seeds at every point; mean ± 95% half-width", header]
    for row in rows:
        reps = f"{row['replications']}{'*' if int(row['replications']) < replications else ''}"
        cells = "".join(f"{row[p]!s:>{width[p]}}" for p in params) + f"{reps:>6}"
        for m in metrics:
            unit, mean = _unit(m), row.get(m)
            low, high = row.get(f"{m}_ci_low"), row.get(f"{m}_ci_high")
            text = format_value(mean, unit)
            if low is not None and high is not None:
                text += f" ±{format_diff((high - low) / 2, unit, False).replace(' pp', '')}"
            cells += f"{text:>{cols[m]}}"
        lines.append(cells)
    return "\n".join(lines)
