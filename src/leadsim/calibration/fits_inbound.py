"""Inbound call logs: volume, service times and patience (fit.json only for now).

Patience is a survival fit: an abandoned caller's wait is an observed patience;
an answered caller's wait is censored (the caller would have waited at least
that long). Kaplan-Meier is reported beside exponential and Weibull fits by
maximum likelihood with censoring (scipy's ``CensoredData``).

These numbers are not written into the scenario yet: patience distributions,
staffing tables and abandonment outcomes are the scenario fields of the issue
"Model a real floor", which does not exist on main yet.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from leadsim.calibration.estimates import FitLog, mean_interval, proportion


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
    wait = np.maximum(wait.astype(float), 1e-3)
    out: dict[str, Any] = {"calls": int(wait.size), "abandoned": int(abandoned.sum())}
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
    out["best"] = max(fits, key=lambda k: fits[k]["loglik"] - (1 if k == "weibull" else 0))
    km = kaplan_meier(wait, abandoned)
    out["kaplan_meier"] = km[:: max(1, len(km) // 200)]
    return out


def fit_inbound(calls: pd.DataFrame, zone: str, log: FitLog) -> dict[str, Any]:
    """Volume by hour of week, answer/abandon shares, service times and patience, per line and overall."""
    out: dict[str, Any] = {"offered": len(calls)}
    if not len(calls):
        return out
    answered = (calls["outcome"] == "answered").to_numpy()
    abandoned = (calls["outcome"] == "abandoned").to_numpy()
    out["abandonment_rate"] = proportion(int(abandoned.sum()), len(calls)).as_dict()
    out["service_seconds"] = mean_interval(calls["service"].to_numpy()[answered]).as_dict()
    out["wait_seconds_answered"] = mean_interval(calls["wait"].to_numpy()[answered]).as_dict()
    local = pd.DatetimeIndex(calls["arrived"]).tz_convert(zone)
    days = max(1, len(np.unique(local.date)))
    out["offered_per_day"] = round(len(calls) / days, 3)
    how = pd.Series(local.day_of_week * 24 + local.hour).value_counts().sort_index()
    out["offered_per_hour_of_week_total"] = {int(k): int(v) for k, v in how.items()}
    keep = answered | abandoned
    out["patience"] = fit_patience(calls["wait"].to_numpy()[keep], abandoned[keep], log)
    lines = {}
    for line in calls["line"].astype(str).unique():
        m = (calls["line"].astype(str) == line).to_numpy()
        if line and m.sum() >= 30:
            lines[line] = {"offered": int(m.sum()),
                           "service_seconds": mean_interval(calls["service"].to_numpy()[m & answered]).as_dict(),
                           "abandonment_rate": proportion(int((m & abandoned).sum()), int(m.sum())).as_dict()}
    out["by_line"] = lines
    log.note("inbound fits (volume, service, patience) are in fit.json only: the scenario fields they "
             "belong to (staffing tables, patience distributions, abandonment outcomes) come with the "
             "issue 'Model a real floor'")
    return out
