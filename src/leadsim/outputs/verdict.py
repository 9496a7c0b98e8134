"""Verdicts: the few lines a manager reads first, built from results data.

Every function here is pure: results in, text out (no printing, no
simulation). ``leadsim run``, ``compare`` and ``staff`` print these lines
before anything else; ``leadsim report`` puts them at the top of report.html.

Rules the text follows:

* the period is always said (measured days or weeks) and money is given per
  week as well as over the window;
* every figure from several replications carries its 95% interval; with one
  replication the text says there is no interval and how large luck alone
  typically is (about ±2 sqrt(n) for a count n: a Poisson count's 95% range);
* a what-if is "better", "worse" or "no detectable difference", decided by
  the paired 95% interval alone and by the metric's direction (a lower speed
  to lead is better);
* lines fit the terminal (:func:`terminal_width`, 100 columns when unknown).
"""

from __future__ import annotations

import math
import shutil
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadsim.outputs.planning_tables import format_diff, replications_per_point
from leadsim.outputs.table import format_value
from leadsim.simulator.metrics import METRICS_BY_NAME

if TYPE_CHECKING:  # annotations only: outputs never run a planner
    from leadsim.planner.compare import Comparison, Difference
    from leadsim.planner.staffing import StaffingAnswer

#: Width used when the terminal's is unknown (a pipe, a test runner).
FALLBACK_WIDTH = 100

#: The headline metrics of a comparison: (metric, label, higher is better).
HEADLINE: tuple[tuple[str, str, bool], ...] = (
    ("conversions", "conversions", True),
    ("profit", "profit", True),
    ("speed_to_first_attempt_p50_min", "median first call", False),
    ("contact_rate", "contact rate", True),
)

BETTER, WORSE, NO_DIFFERENCE = "better", "worse", "no detectable difference"


def terminal_width() -> int:
    """The terminal's width in columns (``FALLBACK_WIDTH`` when unknown), at least 60."""
    return max(60, shutil.get_terminal_size((FALLBACK_WIDTH, 24)).columns)


def fit(lines: Sequence[str], width: int) -> list[str]:
    """Wrap every line longer than ``width``, continuing it indented under its first word."""
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        out += textwrap.wrap(line, width=width, subsequent_indent=indent,
                             break_on_hyphens=False) or [""]
    return out


def _entry(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(doc.get("metrics", {}).get(name) or {})


def _num(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _count(n: float | None) -> str:
    return "-" if n is None else f"{n:,.0f}"


def _money(value: float | None, currency: str) -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}"
    return f"{text} {currency}" if currency else text


def _interval(low: Any, high: Any, fmt: Any) -> str:
    lo, hi = _num(low), _num(high)
    return "" if lo is None or hi is None else f" (95%: {fmt(lo)} to {fmt(hi)})"


def period_text(days: float) -> str:
    """``4 measured weeks`` for a whole number of weeks, else ``9 measured days``."""
    if days >= 7 and float(days / 7).is_integer():
        weeks = int(days / 7)
        return f"{weeks} measured week{'s' if weeks != 1 else ''}"
    shown = f"{days:g}"
    return f"{shown} measured day{'s' if days != 1 else ''}"


@dataclass(frozen=True)
class OffHours:
    """How leads that arrived while nobody was on shift fared (replication 0).

    Attributes:
        share_of_leads: off-hours leads / counted leads.
        share_waiting_over_8h: off-hours leads first called more than 8 hours
            after arrival, or never / off-hours leads.
        median_wait_min: median minutes to the first call of off-hours leads
            that got one (None if none did).
        office_median_wait_min: the same for leads that arrived on shift.
    """

    share_of_leads: float
    share_waiting_over_8h: float
    median_wait_min: float | None
    office_median_wait_min: float | None


def _minutes(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1:
        return "under a minute"
    if value < 90:
        return f"{value:.0f} min"
    return f"{value / 60:.1f} h"


def run_verdict(doc: dict[str, Any], days: float, reps: int, currency: str = "",
                off_hours: OffHours | None = None, width: int = FALLBACK_WIDTH) -> list[str]:
    """The first lines of ``leadsim run``: volume, conversions, money, speed, off-hours and noise.

    Args:
        doc: the metrics.json document.
        days: the measured window in days (``run.days``).
        reps: reps on the floor (all teams).
        currency: the money's name or code ("" when the scenario names none).
        off_hours: how off-hours leads fared (None: not known, line left out).
        width: the line width.

    Returns:
        The lines (no trailing empty line).
    """
    n_reps = int(doc.get("replications", 1))
    conv, leads, profit = _entry(doc, "conversions"), _entry(doc, "leads"), _entry(doc, "profit")
    weeks = days / 7 if days > 0 else float("nan")
    p_mean = _num(profit.get("mean"))
    per_week = None if p_mean is None or not math.isfinite(weeks) else p_mean / weeks

    def week(x: float) -> str:
        return _money(x / weeks, "")

    head = (f"{doc.get('scenario', '?')}: {period_text(days)}, {reps} rep{'s' if reps != 1 else ''}, "
            f"{n_reps} replication{'s' if n_reps != 1 else ''} (seed {doc.get('seed', '?')})")
    lines = [head]
    lines.append(
        f"  {_count(_num(leads.get('mean')))} leads, {_count(_num(conv.get('mean')))} conversions"
        f"{_interval(conv.get('ci_low'), conv.get('ci_high'), _count)}, "
        f"profit {_money(per_week, currency)} per week"
        f"{_interval(profit.get('ci_low'), profit.get('ci_high'), week)}"
        f" ({_money(p_mean, currency)} over the window)")
    p50 = _num(_entry(doc, "speed_to_first_attempt_p50_min").get("mean"))
    within5 = _num(_entry(doc, "share_first_attempt_within_5_min").get("mean"))
    never = _num(_entry(doc, "share_never_attempted").get("mean"))
    speed = f"  median first call {_minutes(p50)}"
    if within5 is not None:
        speed += f"; {within5:.0%} called within 5 min"
    if never is not None:
        speed += f"; {never:.0%} never called"
    lines.append(speed)
    if off_hours is not None and off_hours.share_of_leads > 0:
        lines.append(
            f"  {off_hours.share_waiting_over_8h:.0%} of off-hours leads ({off_hours.share_of_leads:.0%} of all) "
            f"wait over 8 h for a first call (median {_minutes(off_hours.median_wait_min)}; "
            f"on shift: {_minutes(off_hours.office_median_wait_min)})"
            + (" in replication 0" if n_reps > 1 else ""))
    lines += noise_lines(doc)
    return fit(lines, width)


def noise_lines(doc: dict[str, Any]) -> list[str]:
    """With one replication: say there is no interval and how big luck alone is; else nothing."""
    if int(doc.get("replications", 1)) > 1:
        return []
    conversions = _num(_entry(doc, "conversions").get("mean"))
    luck = "" if conversions is None else (
        f" (e.g. conversions could as easily be {max(conversions - 2 * math.sqrt(conversions), 0):,.0f}-"
        f"{conversions + 2 * math.sqrt(conversions):,.0f}: about ±2√n for a count n)")
    return [f"  1 replication: one draw of luck, no interval{luck}; use -r 10 for 95% intervals."]


# ---------------------------------------------------------------- compare


def judge(diff: Difference, higher_is_better: bool) -> str:
    """The plain verdict on one paired difference, decided by its 95% interval alone.

    Returns:
        ``better`` / ``worse`` when the interval excludes zero (direction-aware),
        ``no difference`` when every pair was identical, ``no detectable
        difference`` when the interval contains zero, ``no interval`` with
        fewer than two pairs.
    """
    low, high = diff.ci_low, diff.ci_high
    if low is None or high is None:
        return "no interval"
    if low == 0 and high == 0 and (diff.diff or 0) == 0:
        return "no difference"
    if low > 0 or high < 0:
        up = low > 0
        return BETTER if up == higher_is_better else WORSE
    return NO_DIFFERENCE


def _unit(metric: str) -> str:
    return METRICS_BY_NAME[metric].unit if metric in METRICS_BY_NAME else ""


def _short(value: float | None, unit: str, signed: bool = False, with_unit: bool = True) -> str:
    """A compact number: minutes to 0.1 min, shares in % (differences in pp), counts as in the tables."""
    if value is None or not math.isfinite(value):
        return "-"
    if unit == "minutes":
        text = f"{value:+.1f}" if signed else f"{value:.1f}"
        return f"{text} min" if with_unit else text
    text = format_diff(value, unit) if signed else format_value(value, unit)
    if unit in ("share", "percent") and signed and not with_unit:
        text = text.replace(" pp", "")
    return text


def compare_verdict(comparison: Comparison, days: float | None = None,
                    width: int = FALLBACK_WIDTH) -> list[str]:
    """The first lines of ``leadsim compare``: per what-if, the headline metrics and a verdict each.

    Args:
        comparison: the paired comparison.
        days: the measured window in days (said in the heading), if known.
        width: the line width.
    """
    n = comparison.replications
    period = f", {period_text(days)} each" if days else ""
    lines = [(f"compare with {comparison.base}: {n} paired replication{'s' if n != 1 else ''}"
              f"{period}, seed {comparison.seed} (totals over the window; "
              "verdict from the paired 95% interval)")]
    label_width = max(len(label) for _, label, _ in HEADLINE)
    lines.append(f"  {'':<{label_width}}{'base':>10}{'what-if':>10}  {'difference (95% interval)':<32}verdict")
    for variant in comparison.variants:
        lines.append(variant.name)
        for metric, label, up in HEADLINE:
            d = variant.metrics.get(metric)
            if d is None:
                continue
            unit = _unit(metric)
            interval = "" if d.ci_low is None or d.ci_high is None else \
                f" ({_short(d.ci_low, unit, True, False)} to {_short(d.ci_high, unit, True, False)})"
            diff = f"{_short(d.diff, unit, True)}{interval}"
            lines.append(f"  {label:<{label_width}}{_short(d.base, unit):>10}{_short(d.value, unit):>10}  "
                         f"{diff:<32}{judge(d, up)}")
    if n < 2:
        lines.append("1 replication: no intervals, so no verdicts; use -r 10 or more.")
    return fit(lines, width)


# ---------------------------------------------------------------- staff


def staffing_rows(answer: StaffingAnswer) -> list[dict[str, Any]]:
    """The staffing table's rows: one per evaluated headcount, the answer marked.

    Returns:
        Dicts with ``headcount``, ``mean``, ``ci_low``, ``ci_high`` (the target
        metric), ``cost``, ``conversions``, ``profit`` (means over the
        replications; None when not known), ``meets`` and ``answer`` (True on
        the row of ``answer.by_mean``).
    """
    rows = []
    for c in answer.candidates:
        extra = getattr(c, "extras", {}) or {}
        rows.append({"headcount": c.headcount, "mean": c.mean, "ci_low": c.ci_low, "ci_high": c.ci_high,
                     "cost": extra.get("cost"), "conversions": extra.get("conversions"),
                     "profit": extra.get("profit"), "meets": c.meets,
                     "answer": c.headcount == answer.by_mean})
    return rows


def erlang_sentence(answer: StaffingAnswer) -> str:
    """The Erlang C comparison in one short sentence."""
    erlang = answer.erlang
    if erlang is None:
        return "Erlang C: not computed."
    if erlang.servers is None:
        return f"Erlang C gives no answer here ({erlang.reason})."
    sim = answer.by_mean
    same = "the same as" if sim == erlang.servers else "against"
    simulated = "no headcount in range" if sim is None else f"{sim}"
    return (f"Erlang C says {erlang.servers} on duty ({same} {simulated} simulated), assuming steady "
            "arrivals, one call per lead and no shifts (why they differ: staff.json).")


def staff_verdict(answer: StaffingAnswer, scenario_name: str, days: float | None = None,
                  currency: str = "", width: int = FALLBACK_WIDTH) -> list[str]:
    """The ``leadsim staff`` answer: a headcount table with the answer marked, then Erlang C.

    Args:
        answer: the finished (or interrupted) search, with Erlang C added.
        scenario_name: the scenario's name.
        days: the measured window in days (cost, conversions and profit are over it).
        currency: the money's name or code, if any.
        width: the line width.
    """
    t = answer.target
    unit = _unit(t.metric)
    period = f" over {period_text(days)}" if days else ""
    lines = []
    chosen = answer.candidate(answer.by_mean)
    if chosen is None:
        lines.append(f"{scenario_name}: no headcount of team {answer.team} from {answer.low} to {answer.high} "
                     f"meets {t.metric} {t.op} {_short(t.value, unit)} on the mean.")
    else:
        confident = "none up to the maximum" if answer.by_interval is None else str(answer.by_interval)
        lines.append(f"{scenario_name}: {chosen.headcount} reps in team {answer.team} meet {t.metric} {t.op} "
                     f"{_short(t.value, unit)} on the mean of {answer.replications} replications; "
                     f"with 95% confidence: {confident}.")
    money = f" ({currency})" if currency else ""
    lines.append(f"  {'reps':>5}  {'target metric (95% interval)':<34}{'cost' + money:>14}{'conversions':>13}"
                 f"{'profit' + money:>14}")
    for row in staffing_rows(answer):
        interval = "" if row["ci_low"] is None or row["ci_high"] is None else \
            f" ({_short(row['ci_low'], unit)} to {_short(row['ci_high'], unit)})"
        metric = f"{_short(row['mean'], unit)}{interval}"
        mark = "  <- answer" if row["answer"] else ("" if row["meets"] else "  misses")
        lines.append(f"  {row['headcount']:>5}  {metric:<34}{_money(_num(row['cost']), ''):>14}"
                     f"{_count(_num(row['conversions'])):>13}{_money(_num(row['profit']), ''):>14}{mark}")
    lines.append(f"  (cost, conversions, profit: means{period})")
    if answer.interrupted:
        lines.append("(interrupted: the search stopped early; the answer may be incomplete)")
    if answer.replications < 2:
        lines.append("1 replication: no intervals, the answer rests on one draw of luck; use -r 10.")
    lines.append(erlang_sentence(answer))
    return fit(lines, width)


# ---------------------------------------------------------------- sweep

#: Metrics where a higher value is better, beyond the shares of leads called or reached in time.
_HIGHER_BETTER = frozenset({"profit", "revenue", "conversions", "conversion_rate", "contact_rate",
                            "qualification_rate", "attempt_contact_rate", "inbound_answered_rate",
                            "conversions_per_rep"})
#: Metrics where a lower value is better, beyond waiting times.
_LOWER_BETTER = frozenset({"share_never_attempted", "share_waited", "share_censored", "cost",
                           "cost_per_conversion", "backlog_due_mean", "backlog_new_mean"})


def higher_is_better(metric: str) -> bool | None:
    """Whether a higher value of the metric is better (None: it depends, e.g. occupancy or attempts)."""
    if metric in _HIGHER_BETTER or metric.startswith(("share_first_attempt_within", "share_first_contact_within")):
        return True
    if metric in _LOWER_BETTER or _unit(metric) == "minutes":
        return False
    return None


def sweep_verdict(rows: Sequence[dict[str, Any]], params: Sequence[str], metrics: Sequence[str],
                  replications: int, seed: int, days: float | None = None,
                  width: int = FALLBACK_WIDTH) -> list[str]:
    """The first lines of ``leadsim sweep``: per metric, its best and worst grid point.

    "Best" follows the metric's direction (:func:`higher_is_better`); for a
    metric without one (occupancy, attempts) the highest and lowest points are
    named instead. Each value carries its 95% interval; points whose intervals
    overlap may not really differ.

    Args:
        rows: the sweep table (one dict per grid point, with ``METRIC``, ``METRIC_ci_low``, ``METRIC_ci_high``).
        params: the swept paths.
        metrics: the metrics to speak of.
        replications: replications per point.
        seed: the root seed.
        days: the measured window in days, if known.
        width: the line width.
    """
    period = f", {period_text(days)} each" if days else ""
    # An interrupted sweep has fewer replications at some points: say so, as the table does.
    lines = [(f"sweep over {', '.join(params)}: {len(rows)} points, {replications_per_point(rows, replications)}"
             f"{period}, seed {seed}")]

    def point(row: dict[str, Any]) -> str:
        return ", ".join(f"{p.split('.')[-1]}={row[p]}" for p in params)

    def value(row: dict[str, Any], metric: str, interval: bool = True) -> str:
        unit = _unit(metric)
        text = _short(_num(row.get(metric)), unit)
        low, high = _num(row.get(f"{metric}_ci_low")), _num(row.get(f"{metric}_ci_high"))
        if interval and low is not None and high is not None:
            text += f" (95%: {_short(low, unit, with_unit=False)} to {_short(high, unit, with_unit=False)})"
        return text

    for metric in metrics:
        defined = [r for r in rows if _num(r.get(metric)) is not None]
        if not defined:
            continue
        top = max(defined, key=lambda r: float(r[metric]))
        bottom = min(defined, key=lambda r: float(r[metric]))
        up = higher_is_better(metric)
        if up is None:
            lines.append(f"  {metric}: highest {value(top, metric)} at {point(top)}; "
                         f"lowest {value(bottom, metric, False)} at {point(bottom)}")
        else:
            best, worst = (top, bottom) if up else (bottom, top)
            lines.append(f"  {metric}: best {value(best, metric)} at {point(best)}; "
                         f"worst {value(worst, metric, False)} at {point(worst)}")
    if replications < 2:
        lines.append("1 replication per point: no intervals; use -r 10 or more before choosing.")
    return fit(lines, width)
