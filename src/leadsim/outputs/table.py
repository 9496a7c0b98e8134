"""A readable fixed-width summary of a metrics.json document, for the terminal.

One row per metric, grouped as in :data:`leadsim.simulator.metrics.METRICS`
(volume, speed to lead, persistence, contact & conversion, capacity, inbound,
money), with the mean, its 95% interval "[lo, hi]" when there is more than one
replication, and the unit; then a compact block per source for the key metrics.
Shares are printed as percentages, with the unit column saying what they are a
share of ("of leads", "of attempts", ...); minutes are labelled "min".
"""

from __future__ import annotations

import math
from typing import Any

from leadsim.simulator.metrics import METRICS, METRICS_BY_NAME

#: The per-source block: (metric name, column header).
SOURCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("leads", "leads"),
    ("speed_to_first_attempt_p50_min", "p50 speed"),
    ("share_first_attempt_within_5_min", "<=5 min"),
    ("contact_rate", "contact"),
    ("conversion_rate", "conversion"),
    ("conversions", "conv."),
)

#: Unit column labels by unit. Shares and percents already carry their "%" in the
#: value, so their unit column says what they are a share *of* (see _SHARE_BASIS).
_UNIT_LABELS: dict[str, str] = {"minutes": "min"}

#: What a share (or percent) metric is a share of, where it is not the counted
#: leads; every other registered share is "of leads" (docs/metrics.md).
_SHARE_BASIS: dict[str, str] = {
    "attempt_contact_rate": "of attempts",
    "rep_occupancy": "of rep time",
    "inbound_answered_rate": "of inbound calls",
    "service_level": "of offered calls",
    "abandonment_rate": "of offered calls",
    "abandonment_rate_of_queued": "of queued calls",
    "occupancy_without_acw": "of rep time",
    "penetration_rate": "of call target",
    "penetration_rate_day1": "of call target",
}

_NAME_WIDTH = 36
_VALUE_WIDTH = 12
_INTERVAL_WIDTH = 25


def format_value(value: float | None, unit: str) -> str:
    """Format one number for the table according to its unit.

    Args:
        value: the number; None or NaN prints as "-".
        unit: the metric's unit; "share" prints as a percentage (0.123 -> "12.3%"),
            "percent" as given with a % sign, anything else as a plain number.

    Returns:
        The text.
    """
    if value is None or not math.isfinite(value):
        return "-"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "percent":
        return f"{value:.1f}%"
    magnitude = abs(value)
    if magnitude >= 1000 or (magnitude >= 100 and float(value).is_integer()):
        return f"{value:,.0f}"
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.2f}" if magnitude < 100 else f"{value:,.1f}"


def _interval(entry: dict[str, Any], unit: str) -> str:
    low, high = entry.get("ci_low"), entry.get("ci_high")
    if low is None or high is None:
        return ""
    return f"[{format_value(low, unit)}, {format_value(high, unit)}]"


def unit_label(name: str, unit: str) -> str:
    """The text of the unit column for one metric.

    Args:
        name: the metric's name.
        unit: its unit as in metrics.json.

    Returns:
        "min" for minutes; for a share or percent (whose value already shows "%")
        what it is a share of, e.g. "of leads", "of attempts", "of call target",
        or "" for a share this table does not know; otherwise the unit itself.
    """
    if unit in ("share", "percent"):
        if name in _SHARE_BASIS:
            return _SHARE_BASIS[name]
        return "of leads" if unit == "share" and name in METRICS_BY_NAME else ""
    return _UNIT_LABELS.get(unit, unit)


def _metric_row(name: str, entry: dict[str, Any], show_ci: bool) -> str:
    unit = entry.get("unit") or (METRICS_BY_NAME[name].unit if name in METRICS_BY_NAME else "")
    value = format_value(entry.get("mean"), unit)
    label = unit_label(name, unit)
    interval = f"{_interval(entry, unit):<{_INTERVAL_WIDTH}}" if show_ci else ""
    return f"  {name:<{_NAME_WIDTH}}{value:>{_VALUE_WIDTH}}  {interval}{label}".rstrip()


def _grouped_rows(metrics: dict[str, Any], show_ci: bool) -> list[str]:
    lines: list[str] = []
    group = None
    for definition in METRICS:
        if definition.name not in metrics:
            continue
        if definition.group != group:
            group = definition.group
            lines += ["", group.upper()]
        lines.append(_metric_row(definition.name, metrics[definition.name], show_ci))
    extras = [name for name in metrics if name not in METRICS_BY_NAME]
    if extras:  # a newer document than this table knows: show, don't hide
        lines += ["", "OTHER"] + [_metric_row(n, metrics[n], show_ci) for n in extras]
    return lines


def _source_block(by_source: dict[str, dict[str, Any]]) -> list[str]:
    if not by_source:
        return []
    width = max(12, max(len(name) for name in by_source) + 2)
    header = f"  {'source':<{width}}" + "".join(f"{title:>12}" for _, title in SOURCE_COLUMNS)
    lines = ["", "BY SOURCE (means)", header]
    for source, metrics in by_source.items():
        cells = []
        for name, _ in SOURCE_COLUMNS:
            entry = metrics.get(name, {})
            unit = entry.get("unit") or METRICS_BY_NAME[name].unit
            cells.append(f"{format_value(entry.get('mean'), unit):>12}")
        lines.append(f"  {source:<{width}}" + "".join(cells))
    return lines


def format_summary(doc: dict[str, Any]) -> str:
    """Render a metrics.json document as a fixed-width table.

    Args:
        doc: the document built by ``leadsim.planner.replicate.aggregate``.

    Returns:
        The table, lines joined with newlines (no trailing newline).
    """
    replications = int(doc.get("replications", 1))
    show_ci = replications > 1
    title = f"scenario {doc.get('scenario', '?')}  seed {doc.get('seed', '?')}  " \
            f"replications {replications}"
    interval_head = f"{'95% interval':<{_INTERVAL_WIDTH}}" if show_ci else ""
    column_head = (f"  {'metric':<{_NAME_WIDTH}}{'mean' if show_ci else 'value':>{_VALUE_WIDTH}}  "
                   f"{interval_head}unit")
    lines = [title, column_head.rstrip()]
    lines += _grouped_rows(doc.get("metrics", {}), show_ci)
    lines += _source_block(doc.get("by_source", {}))
    censored = doc.get("censored_leads")
    if censored:
        scope = f" (total over {replications} replications)" if replications > 1 else ""
        lines += ["", f"{censored} counted leads were still open when the run ended: "
                      f"censored{scope}."]
    return "\n".join(lines)
