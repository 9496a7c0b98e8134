"""Inbound call logs: volume, service times and patience (fit.json only for now).

Patience is a survival fit: an abandoned caller's wait is an observed patience;
an answered caller's wait is censored (the caller would have waited at least
that long). Kaplan-Meier is reported beside exponential and Weibull fits by
maximum likelihood with censoring (scipy's ``CensoredData``).

The scenario is written from these fits by :mod:`leadsim.calibration.inbound`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from leadsim.calibration.estimates import FitLog, mean_interval, proportion
from leadsim.calibration.fits_arrivals import day_counts, find_gaps, fit_source


def kaplan_meier(times: np.ndarray, observed: np.ndarray) -> list[dict[str, float]]:
    """Kaplan-Meier survival at each distinct event time (times in seconds)."""
    order = np.argsort(times, kind="stable")
    t, e = times[order], observed[order]
    at_risk = len(t)
    surv = 1.0
    rows = []
    for value in np.unique(t):
        here = t == value
        deaths = int(e[here].sum())
        if deaths:
            surv *= 1 - deaths / at_risk
            rows.append({"seconds": float(value), "survival": round(surv, 6), "at_risk": at_risk})
        at_risk -= int(here.sum())
    return rows


def fit_patience(wait: np.ndarray, abandoned: np.ndarray, log: FitLog) -> dict[str, Any]:
    """Exponential and Weibull patience with answered waits as right-censored."""
    wait = wait.astype(float)
    # An abandoned call that never waited (0 s) left before the queue (e.g. in the voice menu):
    # it says nothing about patience in the queue.
    before_queue = abandoned & (wait <= 0)
    if before_queue.any():
        log.note(f"patience: {int(before_queue.sum())} abandoned calls had no wait at all (left before "
                 "the queue); left out of the patience fit")
    wait, abandoned = np.maximum(wait[~before_queue], 1e-3), abandoned[~before_queue]
    out: dict[str, Any] = {"calls": int(wait.size), "abandoned": int(abandoned.sum()),
                           "abandoned_before_queue": int(before_queue.sum())}
    if abandoned.sum() < 10:
        log.warning("patience: fewer than 10 abandoned calls; not fitted")
        return out
    data = stats.CensoredData(uncensored=wait[abandoned], right=wait[~abandoned])
    fits: dict[str, Any] = {}
    for name, dist in (("exponential", stats.expon), ("weibull", stats.weibull_min)):
        params = dist.fit(data, floc=0)
        ll = float(np.sum(dist.logpdf(wait[abandoned], *params)) + np.sum(dist.logsf(wait[~abandoned], *params)))
        mean = float(dist.mean(*params))
        fits[name] = {"params": [float(p) for p in params], "loglik": round(ll, 3),
                      "mean_seconds": round(mean, 3) if math.isfinite(mean) else None}
    out["fits"] = fits
    out["_data"] = (wait, abandoned)  # for the intervals (inbound.patience_estimates); not in fit.json
    out["best"] = max(fits, key=lambda k: fits[k]["loglik"] - (1 if k == "weibull" else 0))
    km = kaplan_meier(wait, abandoned)
    out["kaplan_meier"] = km[:: max(1, len(km) // 200)]
    # Fitted survival beside Kaplan-Meier at the same times (for the plot, fitted vs observed).
    times = np.array([r["seconds"] for r in out["kaplan_meier"]], dtype=float)
    out["survival_curves"] = {
        "seconds": [round(float(t), 3) for t in times],
        "kaplan_meier": [r["survival"] for r in out["kaplan_meier"]],
        **{name: [round(float(v), 6) for v in dist.sf(times, *fits[name]["params"])]
           for name, dist in (("exponential", stats.expon), ("weibull", stats.weibull_min))}}
    return out


def fit_inbound(calls: pd.DataFrame, zone: str, log: FitLog) -> dict[str, Any]:
    """Volume by hour of week, answer/abandon shares, service times and patience, per line and overall."""
    out: dict[str, Any] = {"offered": len(calls)}
    if not len(calls):
        return out
    answered = (calls["outcome"] == "answered").to_numpy()
    abandoned = (calls["outcome"] == "abandoned").to_numpy()
    out["abandonment_rate"] = proportion(int(abandoned.sum()), len(calls)).as_dict()
    queued = calls["wait"].to_numpy() > 0
    out["abandonment_of_queued"] = proportion(int((abandoned & queued).sum()), int(queued.sum())).as_dict()
    out["service_seconds"] = mean_interval(calls["service"].to_numpy()[answered]).as_dict()
    out["wait_seconds_answered"] = mean_interval(calls["wait"].to_numpy()[answered]).as_dict()
    local = pd.DatetimeIndex(calls["arrived"]).tz_convert(zone)
    dates = pd.Series(local.date)
    counts = day_counts(dates, dates.min(), dates.max())
    gaps = find_gaps(counts)
    for g in gaps:
        log.warning(f"calls: no calls at all from {g['first']} to {g['last']} ({g['days']} day(s)): treated "
                    "as missing data, not zero demand")
    missing = sum(g["days"] for g in gaps)
    days = max(1, len(counts) - missing)
    out["days"] = {"first": str(dates.min()), "last": str(dates.max()), "gaps": gaps, "days_used": days}
    out["offered_per_day"] = round(len(calls) / days, 3)
    excluded = {dt.date.fromisoformat(g["first"]) + dt.timedelta(days=k) for g in gaps for k in range(g["days"])}
    first = dates.min()
    out["arrivals"] = fit_source("offered calls", calls["arrived"], zone, first, dates.max(), excluded, first,
                                 log).as_dict()
    how = pd.Series(local.day_of_week * 24 + local.hour).value_counts().sort_index()
    out["offered_per_hour_of_week_total"] = {int(k): int(v) for k, v in how.items()}
    keep = answered | abandoned
    out["patience"] = fit_patience(calls["wait"].to_numpy()[keep], abandoned[keep], log)
    out["staffing"] = agent_staffing(calls[answered], zone)
    lines = {}
    for line in calls["line"].astype(str).unique():
        m = (calls["line"].astype(str) == line).to_numpy()
        if line and m.sum() >= 30:
            lines[line] = {"offered": int(m.sum()),
                           "service_seconds": mean_interval(calls["service"].to_numpy()[m & answered]).as_dict(),
                           "abandonment_rate": proportion(int((m & abandoned).sum()), int(m.sum())).as_dict()}
    out["by_line"] = lines
    return out


def agent_staffing(answered: pd.DataFrame, zone: str) -> dict[str, Any]:
    """Agents seen serving calls per floor-local hour of week (mean over the weeks), and occupancy.

    An agent counts as on duty in an hour when a call it served overlaps that hour, so
    idle agents who served nothing that hour are missed: the figure is a lower bound on
    staffing and the occupancy an upper bound.
    """
    if not len(answered):
        return {}
    start = pd.DatetimeIndex(answered["answered"]).tz_convert(zone).tz_localize(None)
    end = pd.DatetimeIndex(answered["ended"]).tz_convert(zone).tz_localize(None)
    agent = answered["agent"].astype(str).to_numpy()
    hours, agents, busy = [], [], []
    first_hour, last_hour = start.floor("h"), end.floor("h")
    steps = ((last_hour - first_hour) // pd.Timedelta(hours=1)).to_numpy()
    for k in range(int(steps.max(initial=0)) + 1):
        m = steps >= k
        h = first_hour[m] + pd.Timedelta(hours=k)
        lo = np.maximum(start[m].to_numpy(), h.to_numpy())
        hi = np.minimum(end[m].to_numpy(), (h + pd.Timedelta(hours=1)).to_numpy())
        hours.append(h.to_numpy())
        agents.append(agent[m])
        busy.append((hi - lo) / np.timedelta64(1, "s"))
    frame = pd.DataFrame({"hour": np.concatenate(hours), "agent": np.concatenate(agents),
                          "busy": np.concatenate(busy)})
    per_hour = frame.groupby("hour").agg(agents=("agent", "nunique"), busy=("busy", "sum"))
    idx = pd.DatetimeIndex(per_hour.index)
    weeks = max(1, int(np.ceil(((idx.max() - idx.min()).days + 1) / 7)))
    how = idx.day_of_week * 24 + idx.hour
    table = per_hour["agents"].groupby(how).sum() / weekday_counts(idx)[np.asarray(sorted(set(how))) // 24]
    occupancy = float(per_hour["busy"].sum() / (per_hour["agents"].sum() * 3600.0))
    return {"agents_serving_per_hour_of_week": {int(k): round(float(v), 3) for k, v in table.items()},
            "weeks": weeks, "agents_seen": int(frame["agent"].nunique()),
            "occupancy_of_serving_agent_hours": round(occupancy, 4),
            "note": "agents seen serving in an hour (a lower bound on staffing; idle agents are not "
                    "logged), occupancy = served seconds / (those agents x 3600)"}


def weekday_counts(hours: pd.DatetimeIndex) -> np.ndarray:
    """How many dates of each weekday (Monday first) the span of ``hours`` covers."""
    days = pd.date_range(hours.min().normalize(), hours.max().normalize(), freq="D")
    return np.maximum(np.bincount(days.day_of_week, minlength=7), 1)
