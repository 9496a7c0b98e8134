"""Back-test: the calibrated scenario simulated with replications, beside the history's metrics.

Both sides are computed by the same function from the same neutral form (lead
creation minutes and sources; call starts, leads and outcomes), so a metric
means exactly the same thing for the history and for the simulation. The
simulation covers the history's days (warm-up 0, the same span) and counts the
leads created in them and their calls up to the end of those days: the log
ends there, so both sides are censored alike (the leads of the last days have
had less time to be called on both).

Reported per metric: the history's value, the simulation's mean with its 95%
interval for the mean and a 95% prediction interval for one replication (the
history is one realisation), the difference, the relative error, and whether
the history lies inside the prediction interval. This is an in-sample
back-test: a holdout period (``--train-until`` / ``--holdout-from``) is not
built yet.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from leadsim.calibration.reader import utc_ns
from leadsim.scenarios.schema import Scenario
from leadsim.simulator.results import CHANNELS, OUTCOMES
from leadsim.simulator.run import simulate

REACHED = ("contact", "qualified", "converted")
QUALIFIED = ("qualified", "converted")

#: Metrics compared, with their meaning (docs/calibrate.md repeats it).
METRICS = {
    "leads_per_day": "leads created per day",
    "contact_rate": "share of leads reached at least once",
    "qualified_rate": "share of leads that qualified",
    "conversion_rate": "share of leads that converted",
    "attempts_per_lead": "call attempts per lead",
    "share_never_attempted": "share of leads never called",
    "share_called_once": "share of called leads called exactly once",
    "speed_to_first_attempt_p50_min": "median minutes from creation to the first call (called leads)",
    "share_first_attempt_within_5_min": "share of leads first called within 5 minutes",
}


def outbound_metrics(created: np.ndarray, call_lead: np.ndarray, call_start: np.ndarray,
                     call_outcome: np.ndarray, days: float) -> dict[str, float]:
    """The compared metrics from neutral arrays (minutes; leads indexed 0..n-1; call outcome names)."""
    n = created.size
    if n == 0:
        return {}
    calls = np.bincount(call_lead, minlength=n)
    reached = np.zeros(n, bool)
    reached[call_lead[np.isin(call_outcome, REACHED)]] = True
    qualified = np.zeros(n, bool)
    qualified[call_lead[np.isin(call_outcome, QUALIFIED)]] = True
    converted = np.zeros(n, bool)
    converted[call_lead[call_outcome == "converted"]] = True
    first = np.full(n, np.inf)
    np.minimum.at(first, call_lead, call_start)
    delay = first - created
    called = calls > 0
    return {
        "leads_per_day": n / days,
        "contact_rate": float(reached.mean()),
        "qualified_rate": float(qualified.mean()),
        "conversion_rate": float(converted.mean()),
        "attempts_per_lead": float(calls.mean()),
        "share_never_attempted": float((~called).mean()),
        "share_called_once": float((calls[called] == 1).mean()) if called.any() else math.nan,
        "speed_to_first_attempt_p50_min": float(np.median(delay[called])) if called.any() else math.nan,
        "share_first_attempt_within_5_min": float((delay <= 5.0).mean()),
    }


def history_metrics(leads: pd.DataFrame, acts: pd.DataFrame, first_day: str, span_days: float,
                    zone: str) -> dict[str, float]:
    """The compared metrics of the history: its leads, and their calls up to the end of its last day.

    Minutes count from local midnight of ``first_day`` in ``zone``, as the simulation's do.
    """
    origin = utc_ns(pd.Series([pd.Timestamp(first_day).tz_localize(zone, nonexistent="shift_forward")]))[0]
    created = (utc_ns(leads["created"]) - origin) / 6e10
    calls = acts[acts["channel"] == "call"]
    start = (utc_ns(calls["started"]) - origin) / 6e10
    within = start < span_days * 1440.0
    return outbound_metrics(created, calls["lead"].to_numpy()[within], start[within],
                            np.asarray(calls["outcome"].astype(str).to_numpy())[within], span_days)


def simulated_metrics(scenario: Scenario, replication: int) -> dict[str, float]:
    """The compared metrics of one replication of the calibrated scenario (leads of the window)."""
    result = simulate(scenario, scenario.run.seed, replication)
    lo, hi = result.window
    created = result.leads.created
    keep = (created >= lo) & (created < hi)
    index = np.full(created.size, -1, dtype=np.int64)
    index[keep] = np.arange(int(keep.sum()))
    att = result.attempts
    is_call = np.asarray(CHANNELS, dtype=object)[att.channel.astype(np.int64)] == "call"
    lead = index[att.lead.astype(np.int64)]
    # Calls after the window are left out: the history's log ends with its last day, so both
    # sides are censored alike (a drain would follow the simulated leads further than the log).
    m = is_call & (lead >= 0) & (att.start < hi)
    outcome = np.asarray(OUTCOMES, dtype=object)[att.outcome.astype(np.int64)][m].astype(str)
    return outbound_metrics(created[keep] - lo, lead[m], att.start[m] - lo, outcome, (hi - lo) / 1440.0)


def backtest(scenario: Scenario, history: dict[str, float], replications: int,
             progress: Callable[[int, int], None] | None = None,
             metrics: dict[str, str] | None = None,
             measure: Callable[[Scenario, int], dict[str, float]] | None = None) -> dict[str, Any]:
    """Simulate ``replications`` replications and compare each metric with the history.

    ``metrics`` (name -> meaning) and ``measure`` (one replication's values) default to the
    outbound set; the inbound back-test passes :mod:`leadsim.calibration.inbound`'s.
    """
    measure = measure or simulated_metrics
    runs = []
    for r in range(replications):
        runs.append(measure(scenario, r))
        if progress is not None:
            progress(r + 1, replications)
    rows = {}
    for name, meaning in (metrics or METRICS).items():
        values = np.array([run.get(name, math.nan) for run in runs], float)
        values = values[np.isfinite(values)]
        hist = history.get(name, math.nan)
        if values.size == 0 or not math.isfinite(hist):
            continue
        mean = float(values.mean())
        sd = float(values.std(ddof=1)) if values.size > 1 else math.nan
        t = float(stats.t.ppf(0.975, values.size - 1)) if values.size > 1 else math.nan
        half_mean = t * sd / math.sqrt(values.size)
        half_pred = t * sd * math.sqrt(1 + 1 / values.size)
        rows[name] = {
            "meaning": meaning, "history": hist, "simulated_mean": mean,
            # every compared metric is a count, share or duration: the normal bounds stop at 0
            "simulated_ci95": [max(0.0, mean - half_mean), mean + half_mean],
            "simulated_prediction95": [max(0.0, mean - half_pred), mean + half_pred],
            "difference": mean - hist, "relative_error": (mean - hist) / hist if hist else None,
            "history_inside_prediction": bool(max(0.0, mean - half_pred) <= hist <= mean + half_pred)
            if math.isfinite(half_pred) else None,
        }
    return {"kind": "in-sample", "replications": replications, "seed": scenario.run.seed, "metrics": rows,
            "note": "the history is one realisation: it is compared with the 95% prediction interval of one "
                    "replication; simulated calls after the last day are left out, as the log has none"}
