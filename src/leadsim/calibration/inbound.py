"""Inbound call logs -> an inbound scenario: arrivals, staffing, handle times, patience, abandonment.

What is written (each value with its estimate, 95% interval and sample size in a comment):

* one ``inbound_call`` source: volume per day, an hour-of-week arrival table (mean
  offered calls per hour of week over the days observed), the day-to-day
  over-dispersion (Pearson variance-to-mean ratio of daily counts around their
  weekday means), the patience distribution chosen by likelihood (exponential or
  Weibull, answered waits censored) and ``abandonment: lost`` (the canonical log
  has no caller identity, so redials cannot be seen);
* one team ``agents`` with a staffing table: agents on duty per hour of week and a
  roster per date, from agent sessions (an agent is on duty from the answer of
  the first call of a session to the end of its last, sessions broken by gaps
  longer than :data:`SESSION_GAP_MINUTES`); and the handle time (``talk``, wrap 0:
  after-call work is not logged separately).

Over-dispersion and per-date volume factors answer different questions: the
calibrated scenario plans a typical period (hour-of-week table plus day-to-day
dispersion), a holdout back-test replays a known period (its own per-date volume
and rosters, no extra dispersion).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from leadsim.calibration.estimates import Estimate, FitLog
from leadsim.calibration.fits_handle import fit_durations
from leadsim.calibration.writer import Calibrated
from leadsim.scenarios.schema import Scenario
from leadsim.simulator.metrics import compute_metrics
from leadsim.simulator.run import simulate

#: A gap between an agent's calls longer than this ends its session (it went off duty).
SESSION_GAP_MINUTES = 30.0
#: Name of the inbound source and of the team written for an inbound-only floor.
SOURCE, TEAM = "calls", "agents"


# ---------------------------------------------------------------- tables per date and hour


def _local(stamps: pd.Series, zone: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(stamps).tz_convert(zone).tz_localize(None)


def arrival_grid(calls: pd.DataFrame, zone: str, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Offered calls per floor-local date (rows, every date first..last) and hour (24 columns)."""
    local = _local(calls["arrived"], zone)
    frame = pd.DataFrame({"date": local.date, "hour": local.hour, "n": 1})
    grid = frame.pivot_table(index="date", columns="hour", values="n", aggfunc="sum", fill_value=0)
    dates = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    return grid.reindex(index=dates, columns=range(24), fill_value=0).astype(float)


def staffing_grid(calls: pd.DataFrame, zone: str, first: dt.date, last: dt.date,
                  gap_minutes: float = SESSION_GAP_MINUTES) -> pd.DataFrame:
    """Agents on duty (agent-hours per hour) per floor-local date and hour, from agent sessions.

    An agent is on duty from the answer of the first call of a session to the end of
    its last; a gap of more than ``gap_minutes`` between one call's end and the next
    answer starts a new session. Idle time inside a session counts as on duty.
    """
    answered = calls[(calls["outcome"] == "answered").to_numpy()]
    dates = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    empty = pd.DataFrame(0.0, index=dates, columns=range(24))
    if not len(answered):
        return empty
    frame = pd.DataFrame({"agent": answered["agent"].astype(str).to_numpy(),
                          "start": _local(answered["answered"], zone), "end": _local(answered["ended"], zone)})
    frame = frame.sort_values(["agent", "start"], kind="stable")
    prev_end = frame.groupby("agent")["end"].cummax().groupby(frame["agent"]).shift()
    new = prev_end.isna() | ((frame["start"] - prev_end) > pd.Timedelta(minutes=gap_minutes))
    frame["session"] = new.cumsum()
    sessions = frame.groupby("session").agg(start=("start", "min"), end=("end", "max"))
    start = pd.DatetimeIndex(sessions["start"])
    end = pd.DatetimeIndex(sessions["end"])
    first_hour = start.floor("h")
    steps = ((end.floor("h") - first_hour) // pd.Timedelta(hours=1)).to_numpy()
    hours, secs = [], []
    for k in range(int(steps.max(initial=0)) + 1):
        m = steps >= k
        h = first_hour[m] + pd.Timedelta(hours=k)
        lo = np.maximum(start[m].to_numpy(), h.to_numpy())
        hi = np.minimum(end[m].to_numpy(), (h + pd.Timedelta(hours=1)).to_numpy())
        hours.append(h.to_numpy())
        secs.append((hi - lo) / np.timedelta64(1, "s"))
    onduty = pd.DataFrame({"hour": pd.DatetimeIndex(np.concatenate(hours)), "s": np.concatenate(secs)})
    onduty["date"] = onduty["hour"].dt.date
    onduty["h"] = onduty["hour"].dt.hour
    grid = onduty.pivot_table(index="date", columns="h", values="s", aggfunc="sum", fill_value=0.0) / 3600.0
    return grid.reindex(index=dates, columns=range(24), fill_value=0.0).astype(float)


def week_table(grid: pd.DataFrame, used: list[dt.date]) -> np.ndarray:
    """Mean per hour of week (168 values, Monday 00:00 first) over the used dates.

    A weekday the dates do not cover gets the mean day of those they do (say so: see
    :func:`missing_weekdays`), so a short log does not put a week's volume on the days it saw.
    """
    rows = grid.loc[used].to_numpy()
    weekday = np.array([d.weekday() for d in used])
    out = np.zeros(168)
    seen = [w for w in range(7) if (weekday == w).any()]
    for w in seen:
        out[w * 24:(w + 1) * 24] = rows[weekday == w].mean(axis=0)
    if seen:
        typical = np.mean([out[w * 24:(w + 1) * 24] for w in seen], axis=0)
        for w in set(range(7)) - set(seen):
            out[w * 24:(w + 1) * 24] = typical
    return out


def missing_weekdays(used: list[dt.date]) -> list[str]:
    """Weekdays (mon..sun) that no used date falls on."""
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    seen = {d.weekday() for d in used}
    return [names[w] for w in range(7) if w not in seen]


def weekly_mean(daily: np.ndarray, weekday: np.ndarray) -> Estimate:
    """Calls per day over a week (the mean of the weekday means), with a normal interval.

    A weekday without dates counts as the mean observed weekday; a weekday seen once adds the
    pooled within-weekday variance (its own cannot be measured).
    """
    groups = [daily[weekday == w] for w in range(7) if (weekday == w).any()]
    means = np.array([g.mean() for g in groups])
    pooled = [g.var(ddof=1) for g in groups if g.size > 1]
    fallback = float(np.mean(pooled)) if pooled else float(means.mean())
    var = np.array([(g.var(ddof=1) if g.size > 1 else fallback) / g.size for g in groups])
    value = float(means.mean())
    se = math.sqrt(float(var.sum())) / len(groups)
    z = float(stats.norm.ppf(0.975))
    return Estimate(value, value - z * se, value + z * se, int(daily.size),
                    "mean of the weekday means of offered calls per day, normal interval")


def dispersion(daily: np.ndarray, weekday: np.ndarray) -> Estimate:
    """Variance-to-mean ratio of daily counts around their weekday means (Pearson), chi-square interval."""
    expected = np.zeros(daily.size)
    groups = 0
    for w in range(7):
        m = weekday == w
        if m.any():
            expected[m] = daily[m].mean()
            groups += 1
    df = daily.size - groups
    ok = expected > 0
    if df < 1 or not ok.any():
        return Estimate(math.nan, math.nan, math.nan, int(daily.size), "Pearson X2/df (too few days)")
    x2 = float(np.sum((daily[ok] - expected[ok]) ** 2 / expected[ok]))
    return Estimate(x2 / df, x2 / float(stats.chi2.ppf(0.975, df)), x2 / float(stats.chi2.ppf(0.025, df)),
                    int(daily.size), "Pearson X2/df around weekday means, chi-square interval")


# ---------------------------------------------------------------- patience


def patience_estimates(patience: dict[str, Any]) -> dict[str, Estimate]:
    """Intervals for the patience fits: exponential mean (chi-square) and Weibull shape/scale (Wald, log scale)."""
    out: dict[str, Estimate] = {}
    data = patience.get("_data")
    if data is None:
        return out
    wait, abandoned = data
    d = int(abandoned.sum())
    total = float(wait.sum())
    out["exponential.mean"] = Estimate(total / d, 2 * total / float(stats.chi2.ppf(0.975, 2 * d)),
                                       2 * total / float(stats.chi2.ppf(0.025, 2 * d)), d,
                                       "censored MLE, chi-square interval on the abandonments")
    shape, _, scale = patience["fits"]["weibull"]["params"]

    def loglik(theta: np.ndarray) -> float:
        k, lam = math.exp(theta[0]), math.exp(theta[1])
        return float(np.sum(stats.weibull_min.logpdf(wait[abandoned], k, scale=lam))
                     + np.sum(stats.weibull_min.logsf(wait[~abandoned], k, scale=lam)))

    theta = np.array([math.log(shape), math.log(scale)])
    cov = _inverse_hessian(loglik, theta)
    z = float(stats.norm.ppf(0.975))
    for i, (name, value) in enumerate((("weibull.shape", shape), ("weibull.scale", scale))):
        se = math.sqrt(cov[i, i]) if cov is not None and cov[i, i] > 0 else math.nan
        out[name] = Estimate(value, value * math.exp(-z * se), value * math.exp(z * se), d,
                             "censored MLE, Wald interval on the log scale (observed information)")
    return out


def _inverse_hessian(f: Any, x: np.ndarray, h: float = 1e-4) -> np.ndarray | None:
    """Inverse of minus the Hessian of a log-likelihood (central differences); None if not definite."""
    n = x.size
    hess = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            ei, ej = np.eye(n)[i] * h, np.eye(n)[j] * h
            hess[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        return None
    return cov if np.all(np.diag(cov) > 0) else None


def patience_form(patience: dict[str, Any], est: dict[str, Estimate]) -> tuple[dict[str, Any], str] | None:
    """The scenario's patience distribution (the family chosen by likelihood) and its comment."""
    best = patience.get("best")
    if best == "weibull" and "weibull.shape" in est:
        s, c = est["weibull.shape"], est["weibull.scale"]
        return ({"weibull": {"shape": round(s.value, 4), "scale": round(c.value, 3)}},
                f"Weibull (better by likelihood, answered waits censored); shape {s.comment(3)}; "
                f"scale seconds {c.comment(4)}")
    if best == "exponential" and "exponential.mean" in est:
        e = est["exponential.mean"]
        return ({"exponential": {"mean": round(e.value, 3)}},
                f"exponential (better by likelihood, answered waits censored); mean seconds {e.comment(4)}")
    return None


# ---------------------------------------------------------------- the scenario


def handle_form(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The handle-time distribution to write for a fit entry: the family that fits best.

    Weibull is written with its fitted parameters; gamma and lognormal are written with the
    sample's mean and sd (what capacity depends on), so the mean rep time stays exact.
    """
    if entry.get("written") is None:
        return None
    fams = entry.get("families", {})
    if entry.get("best") == "weibull" and "params" in fams.get("weibull", {}):
        k, _, lam = fams["weibull"]["params"]
        if 0.05 <= k <= 20:
            return {"weibull": {"shape": round(float(k), 4), "scale": round(float(lam), 5)}}
    moments = entry["written"].get("lognormal")
    if entry.get("best") == "gamma" and moments is not None:
        mean, sd = float(moments["mean"]), float(moments["sd"])
        if 1e-3 <= (mean / sd) ** 2 <= 1e4:  # the schema's range for the gamma's shape
            return {"gamma": {"mean": mean, "sd": sd}}
    return dict(entry["written"])


def write_inbound(doc: Calibrated, calls: pd.DataFrame, fit_in: dict[str, Any], zone: str, log: FitLog,
                  holdout: bool = False) -> dict[str, Estimate]:
    """Put an inbound-only floor fitted from a call log into ``doc`` (sources, teams, calendar, run).

    Args:
        doc: the calibrated document (its sources and teams are replaced).
        calls: the call log (from :func:`read_calls`).
        fit_in: :func:`fit_inbound`'s result (days, gaps, patience).
        zone: the floor's time zone.
        log: warnings and notes.
        holdout: a known period is replayed: per-date volume factors instead of over-dispersion.

    Returns:
        The written estimates by name (for the round-trip checks).
    """
    first, last = dt.date.fromisoformat(fit_in["days"]["first"]), dt.date.fromisoformat(fit_in["days"]["last"])
    gaps = {dt.date.fromisoformat(g["first"]) + dt.timedelta(days=k) for g in fit_in["days"]["gaps"]
            for k in range(g["days"])}
    offered = calls[(calls["outcome"] == "answered").to_numpy() | (
        (calls["outcome"] == "abandoned").to_numpy() & (calls["wait"].to_numpy(dtype=float) > 0))]
    arrivals = arrival_grid(offered, zone, first, last)
    used = [d for d in arrivals.index if d not in gaps]
    daily = arrivals.loc[used].sum(axis=1).to_numpy()
    weekday = np.array([d.weekday() for d in used])
    est: dict[str, Estimate] = {}
    span = (last - first).days + 1
    doc.put(("calendar", "start"), str(first), "first day of the call log", "calendar.start")
    doc.put(("calendar", "timezone"), zone, None, "calendar.timezone")
    doc.put(("run", "warmup_days"), 0, "the simulation starts where the log starts", "run.warmup_days")
    doc.put(("run", "days"), span, f"the log spans {span} days", "run.days")
    per_day = weekly_mean(daily, weekday)
    est["volume.per_day"] = per_day
    table = week_table(arrivals, used)
    absent = missing_weekdays(used)
    if absent:
        log.warning(f"the call log covers no {', '.join(absent)}: those weekdays get the mean observed day's "
                    "arrivals and staffing (not fitted)")
    source: dict[str, Any] = {"name": SOURCE, "kind": "inbound_call", "volume": {"per_day": round(per_day.value, 3)},
                              "profile": {"hour_of_week": [round(float(v), 4) for v in table]},
                              "quality": {"fixed": 0.5}, "service_level_seconds": 20}
    doc.data["sources"] = [source]
    doc.comments[("sources", 0, "volume", "per_day")] = per_day.comment()
    doc.comments[("sources", 0, "profile")] = (f"mean offered calls per hour of week over {len(used)} days "
                                               "(relative rates; Monday 00:00 first)")
    doc.fitted += ["sources.calls.volume", "sources.calls.profile"]
    if holdout:
        weights = table / table.sum() * 7.0 * per_day.value
        expected = np.array([weights[d.weekday() * 24:(d.weekday() + 1) * 24].sum() for d in used])
        factors = {str(d): round(float(n / e), 4) for d, n, e in zip(used, daily, expected, strict=True) if e > 0}
        doc.put(("sources", 0, "date_factors"), factors, "the period's own volume per date (holdout)",
                "sources.calls.date_factors")
    else:
        disp = dispersion(daily, weekday)
        est["day_variance_ratio"] = disp
        if math.isfinite(disp.value):
            value = round(min(max(disp.value, 1.0), 1000.0), 4)
            doc.put(("sources", 0, "day_variance_ratio"), value, disp.comment(3)
                    + ("" if disp.value >= 1 else " (below 1: written as 1, Poisson)"),
                    "sources.calls.day_variance_ratio")
    pat = fit_in.get("patience", {})
    pest = patience_estimates(pat)
    est.update({f"patience.{k}": v for k, v in pest.items()})
    form = patience_form(pat, pest)
    if form is not None:
        doc.put(("sources", 0, "patience_seconds"), form[0], form[1], "sources.calls.patience_seconds")
    else:
        log.warning("patience not fitted (too few abandoned calls): the base scenario's first inbound "
                    "source's patience is kept")
    doc.put(("sources", 0, "abandonment"), {"then": "lost"},
            "the log has no caller identity, so redials cannot be seen: a caller who hangs up is lost",
            "sources.calls.abandonment")
    staff = staffing_grid(calls, zone, first, last)
    week = week_table(staff, used)
    if not (week > 0).any():
        log.warning("no answered calls: no staffing table can be measured; one agent around the clock written")
        week = np.ones(168)
    team: dict[str, Any] = {"name": TEAM, "staffing": {
        "hour_of_week": [round(float(v), 3) for v in week],
        "dates": {str(d): [round(float(v), 3) for v in staff.loc[d]] for d in used}}}
    answered = calls[(calls["outcome"] == "answered").to_numpy()]
    handle = fit_durations(answered["service"].to_numpy(dtype=float) / 60.0, "inbound service", log)
    fit_in["handle_minutes"] = handle
    form_h = handle_form(handle)
    team["handle_minutes"] = {"wrap": {"fixed": 0.0}}
    doc.data["teams"] = [team]
    doc.comments[("teams", 0, "staffing")] = (
        f"agents on duty from agent sessions (first answer to last end, gaps over {SESSION_GAP_MINUTES:g} min "
        f"end a session); the weekly table is the mean over {len(used)} days, the dates are the log's own roster")
    doc.fitted += ["teams.agents.staffing.hour_of_week", "teams.agents.staffing.dates"]
    if form_h is not None:
        m = handle["mean_minutes"]
        est["handle.talk.mean_minutes"] = Estimate(m["estimate"], m["ci95"][0], m["ci95"][1], m["n"], m["method"])
        doc.put(("teams", 0, "handle_minutes", "talk"), form_h,
                f"mean {est['handle.talk.mean_minutes'].comment(4)}; best family {handle.get('best')}",
                "teams.agents.handle_minutes.talk")
    doc.comments[("teams", 0, "handle_minutes", "wrap")] = "after-call work is not logged separately: in talk"
    for section in ("contact", "conversion"):
        doc.data[section] = None
    doc.data["policy"] = {"cadence": {"calling_window": {"start": "00:00", "end": "24:00", "in": "floor_time"}}}
    return est


# ---------------------------------------------------------------- back-test metrics

#: Inbound metrics compared (names as in metrics.json).
INBOUND_METRICS = {
    "calls_offered_per_day": "offered calls per day (answered, and abandoned after a wait in the queue)",
    "service_level": "share of offered calls answered within 20 s",
    "asa_seconds": "mean wait of answered calls, seconds",
    "abandonment_rate": "share of offered calls abandoned",
    "wait_mean_seconds": "mean wait of all offered calls, seconds",
    "rep_occupancy": "served time / on-duty agent time",
}


def history_inbound(calls: pd.DataFrame, fit_in: dict[str, Any], zone: str) -> dict[str, float]:
    """The compared inbound metrics of a call log (answered and abandoned calls, gap days left out)."""
    first, last = dt.date.fromisoformat(fit_in["days"]["first"]), dt.date.fromisoformat(fit_in["days"]["last"])
    # Callers who hung up before reaching the queue (no wait at all, e.g. in the voice menu) are
    # left out, as in the patience fit: the simulated callers all reach the queue.
    m = (calls["outcome"] == "answered").to_numpy() | (
        (calls["outcome"] == "abandoned").to_numpy() & (calls["wait"].to_numpy(dtype=float) > 0))
    c = calls[m]
    answered = (c["outcome"] == "answered").to_numpy()
    wait = c["wait"].to_numpy(dtype=float)
    staff = staffing_grid(calls, zone, first, last).to_numpy().sum()
    served = float(c["service"].to_numpy(dtype=float)[answered].sum())
    days = max(1, int(fit_in["days"]["days_used"]))
    return {
        "calls_offered_per_day": len(c) / days,
        "service_level": float(np.mean(answered & (wait <= 20.0 + 1e-9))) if len(c) else math.nan,
        "asa_seconds": float(wait[answered].mean()) if answered.any() else math.nan,
        "abandonment_rate": float(np.mean(~answered)) if len(c) else math.nan,
        "wait_mean_seconds": float(wait.mean()) if len(c) else math.nan,
        "rep_occupancy": served / (staff * 3600.0) if staff > 0 else math.nan,
    }


def simulated_inbound(scenario: Scenario, replication: int) -> dict[str, float]:
    """The compared inbound metrics of one replication (calls offered in the measured window)."""
    result = simulate(scenario, scenario.run.seed, replication)
    metrics = compute_metrics(result)
    lo, hi = result.window
    out = {k: float(metrics.get(k, math.nan)) for k in INBOUND_METRICS}
    out["calls_offered_per_day"] = float(metrics.get("calls_offered", math.nan)) / ((hi - lo) / 1440.0)
    return out


# ---------------------------------------------------------------- capacity factor

#: Replications per evaluation when fitting the capacity factor (common random numbers across scales).
CAPACITY_REPLICATIONS = 2
#: Range searched for the capacity factor (team staffing_scale).
CAPACITY_RANGE = (0.2, 3.0)


def daily_wait_interval(calls: pd.DataFrame, zone: str, value: float) -> tuple[float, float, int]:
    """A 95% interval for the history's mean wait: day-to-day spread of daily mean waits around ``value``."""
    m = (calls["outcome"] == "answered").to_numpy() | (
        (calls["outcome"] == "abandoned").to_numpy() & (calls["wait"].to_numpy(dtype=float) > 0))
    c = calls[m]
    days = pd.Series(_local(c["arrived"], zone).date)
    per_day = pd.Series(c["wait"].to_numpy(dtype=float)).groupby(days.to_numpy()).mean().to_numpy()
    if per_day.size < 2:
        return value, value, int(per_day.size)
    half = float(stats.t.ppf(0.975, per_day.size - 1)) * float(per_day.std(ddof=1)) / math.sqrt(per_day.size)
    return max(value - half, 0.0), value + half, int(per_day.size)


def fit_capacity(doc: Calibrated, target: float, interval: tuple[float, float, int], log: FitLog,
                 progress: Any = None) -> Estimate | None:
    """Fit the team's ``staffing_scale`` so the simulated mean wait matches the history's.

    The measured rosters count every agent between the first and last call of a session as on
    duty; a real floor loses some of that time (not-ready states, breaks inside a session, skills
    that keep an agent from a line). The factor absorbs it: it is named, written with its
    interval (the scales matching the ends of the history's 95% interval for the mean wait), and
    back-tested like every other value. Solved with scipy's ``brentq`` on common random numbers.

    Returns:
        The fitted factor, or None when the history's wait cannot be matched in :data:`CAPACITY_RANGE`.
    """
    from scipy.optimize import brentq

    data = doc.data
    evaluations = 0

    def wait_at(scale: float) -> float:
        nonlocal evaluations
        trial = dict(data)
        trial["teams"] = [{**data["teams"][0], "staffing_scale": float(scale)}] + list(data["teams"][1:])
        scenario = Scenario.model_validate(trial)
        values = [simulated_inbound(scenario, r)["wait_mean_seconds"] for r in range(CAPACITY_REPLICATIONS)]
        evaluations += 1
        if progress is not None:
            progress("back-test simulations fitting the capacity factor", evaluations * CAPACITY_REPLICATIONS)
        return float(np.mean(values))

    lo_s, hi_s = CAPACITY_RANGE
    w_lo, w_hi = wait_at(lo_s), wait_at(hi_s)  # wait falls as the scale grows

    def solve(wait: float) -> float:
        if wait >= w_lo:
            return lo_s
        if wait <= w_hi:
            return hi_s
        return float(brentq(lambda s: wait_at(s) - wait, lo_s, hi_s, xtol=0.005))

    if not (w_hi <= target <= w_lo):
        log.warning(f"capacity factor: the history's mean wait {target:.1f} s is outside what staffing_scale "
                    f"{lo_s}-{hi_s} gives ({w_hi:.1f}-{w_lo:.1f} s); staffing_scale left at 1")
        return None
    value = solve(target)
    low, high = solve(interval[1]), solve(interval[0])  # a longer wait needs fewer agents
    est = Estimate(value, min(low, value), max(high, value), interval[2],
                   "staffing_scale matching the history's mean wait (brentq, common random numbers); "
                   "interval: the scales matching the ends of its 95% interval over days")
    doc.put(("teams", 0, "staffing_scale"), round(value, 4),
            f"capacity factor fitted to the mean wait ({target:.1f} s): {est.comment(3)}",
            "teams.agents.staffing_scale (capacity factor)")
    if abs(value - 1.0) > 0.05:
        log.warning(f"capacity factor: staffing_scale {value:.3f} (95% CI [{est.low:.3f}, {est.high:.3f}]) makes "
                    "the simulated mean wait match the history's: the agents measured on duty were "
                    f"{'less' if value < 1 else 'more'} available than their sessions suggest")
    return est
