"""Arrivals: gaps of missing days, batch uploads, and per-source volume and profile.

The scenario's arrival model (simulator/arrivals.py) is a Poisson process whose
rate in floor-local hour h of weekday d is ``per_week * hours[h] * weekdays[d] /
sum``: separable in hour and weekday. That is exactly a Poisson log-linear model
``log E[count] = b0 + a[hour] + c[weekday]``, fitted here with statsmodels' GLM on
hourly counts, so the fitted numbers are the scenario's numbers. Hours and
weekdays with no arrivals at all get weight 0 (they are left out of the GLM,
which could not fit minus infinity).

Missing days (a day with no rows where that weekday normally has many) are not
zero demand: they are reported and left out of the exposure.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from leadsim.calibration.estimates import (
    Z95,
    Estimate,
    FitLog,
    safe_exp,
    wald_transformed,
)
from leadsim.scenarios.schema import WEEKDAYS

#: Leads created in the same second, at least this many, are a batch upload.
BATCH_MIN_LEADS = 20
#: A day without rows is a gap when that weekday's median count is at least this
#: (a Poisson day with this mean is empty with probability below 0.7%).
GAP_MIN_EXPECTED = 5.0


def local_days(stamps: pd.Series, zone: str) -> pd.Series:
    """Floor-local calendar date of each timestamp."""
    # Wall-clock (naive) first: normalize() on an aware index fails where midnight does not exist.
    return pd.Series(pd.DatetimeIndex(stamps).tz_convert(zone).tz_localize(None).date, index=stamps.index)


def find_gaps(day_counts: pd.Series) -> list[dict[str, Any]]:
    """Runs of days with no rows where their weekday normally has many.

    "Normally" is local: the median of the same weekday in the four weeks before and
    after (a log whose volume grows over a year must not make its quiet first weeks gaps).

    Args:
        day_counts: rows per local date, every date of the span present (zeros included).

    Returns:
        One entry per run of missing days: first, last, days, expected rows.
    """
    if day_counts.empty:
        return []
    counts = day_counts.to_numpy()
    n = counts.size
    typical = np.zeros(n)
    for i in range(n):
        near = [counts[j] for j in range(i - 28, i + 29, 7) if 0 <= j < n and j != i]
        typical[i] = float(np.median(near)) if near else 0.0
    missing = (counts == 0) & (typical >= GAP_MIN_EXPECTED)
    gaps: list[dict[str, Any]] = []
    dates = list(day_counts.index)
    i = 0
    while i < n:
        if missing[i]:
            j = i
            while j + 1 < n and missing[j + 1]:
                j += 1
            gaps.append({"first": str(dates[i]), "last": str(dates[j]), "days": j - i + 1,
                         "expected_rows": round(float(typical[i:j + 1].sum()), 1)})
            i = j + 1
        else:
            i += 1
    return gaps


def day_counts(days: pd.Series, first: dt.date, last: dt.date) -> pd.Series:
    """Rows per date from ``first`` to ``last``, zeros included."""
    span = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    return days.value_counts().reindex(span, fill_value=0).sort_index()


@dataclass
class SourceArrivalFit:
    """What the arrival fit found for one source."""

    source: str
    kind: str  # "stream" or "batch"
    leads: int
    volume_per_day: Estimate | None = None
    hours: list[float] = field(default_factory=list)
    weekdays: dict[str, float] = field(default_factory=dict)
    hour_estimates: dict[int, Estimate] = field(default_factory=dict)
    weekday_estimates: dict[str, Estimate] = field(default_factory=dict)
    batches: list[dict[str, Any]] = field(default_factory=list)
    dispersion: dict[str, float] = field(default_factory=dict)
    goodness: dict[str, float] = field(default_factory=dict)
    by_hour: dict[int, dict[str, float]] = field(default_factory=dict)
    date_only: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind, "leads": self.leads, "date_only_timestamps": self.date_only,
            "volume_per_day": self.volume_per_day.as_dict() if self.volume_per_day else None,
            "profile_hours": self.hours, "profile_weekdays": self.weekdays,
            "hour_weight_estimates": {str(h): e.as_dict() for h, e in self.hour_estimates.items()},
            "weekday_weight_estimates": {d: e.as_dict() for d, e in self.weekday_estimates.items()},
            "batches": self.batches, "over_dispersion": self.dispersion, "goodness_of_fit": self.goodness,
            "mean_arrivals_per_hour_of_day": {str(h): v for h, v in self.by_hour.items()},
        }


def split_batches(created: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(mask of leads in batch uploads, batch sizes by timestamp)."""
    sizes = created.value_counts()
    big = sizes[sizes >= BATCH_MIN_LEADS]
    return created.isin(big.index), big.sort_index()


def fit_source(name: str, created: pd.Series, zone: str, first: dt.date, last: dt.date,
               excluded: set[dt.date], calendar_start: dt.date, log: FitLog) -> SourceArrivalFit:
    """Fit one source's arrivals over the local dates ``first..last`` minus ``excluded`` (gaps)."""
    fit = SourceArrivalFit(name, "stream", int(created.size))
    local = pd.DatetimeIndex(created).tz_convert(zone)
    at_midnight = (local.hour == 0) & (local.minute == 0) & (local.second == 0)
    if created.size >= 20 and float(np.mean(at_midnight)) > 0.9:
        # Dates without a time of day: every lead of a day shares one timestamp, which is
        # neither a batch upload nor an hour profile.
        fit.date_only = True
        log.warning(f"source {name!r}: creation times are dates without a time of day; volume and "
                    "weekday weights are fitted, the hours of its profile come from the base")
        _fit_stream(fit, created, zone, first, last, excluded, log, daily=True)
        return fit
    in_batch, batch_sizes = split_batches(created)
    for stamp, count in batch_sizes.items():
        local = pd.Timestamp(stamp).tz_convert(zone)
        fit.batches.append({"day": (local.date() - calendar_start).days, "at": local.strftime("%H:%M"),
                            "count": int(count), "timestamp": local.isoformat()})
    stream = created[~in_batch]
    if fit.batches and stream.size < int(in_batch.sum()):
        fit.kind = "batch"
        if stream.size:
            log.warning(f"source {name!r}: {stream.size} leads outside its {len(fit.batches)} batch "
                     "upload(s) are not modelled (a batch source has no stream part)")
        return fit
    if fit.batches:
        log.warning(f"source {name!r}: {int(in_batch.sum())} leads in {len(fit.batches)} batch upload(s) "
                 "reported in fit.json but not written (a stream source cannot hold batches)")
    _fit_stream(fit, stream, zone, first, last, excluded, log)
    return fit


def _hour_table(stream: pd.Series, zone: str, first: dt.date, last: dt.date,
                excluded: set[dt.date], daily: bool = False) -> pd.DataFrame:
    """One row per observed local hour (or day, all at hour 0): weekday, hour of day, arrivals."""
    local = pd.DatetimeIndex(stream).tz_convert(zone)
    unit = "D" if daily else "h"
    keys = pd.Series(local.tz_localize(None).floor(unit)).value_counts()
    end = pd.Timestamp(last) + (pd.Timedelta(0) if daily else pd.Timedelta(hours=23))
    hours = pd.date_range(pd.Timestamp(first), end, freq=unit)
    hours = hours[~pd.Index(hours.date).isin(list(excluded))]
    table = pd.DataFrame({"hour": hours.hour, "weekday": hours.day_of_week,
                          "count": keys.reindex(hours, fill_value=0).to_numpy()})
    return table


def _fit_stream(fit: SourceArrivalFit, stream: pd.Series, zone: str, first: dt.date, last: dt.date,
                excluded: set[dt.date], log: FitLog, daily: bool = False) -> None:
    table = _hour_table(stream, zone, first, last, excluded, daily)
    by_hour = table.groupby("hour")["count"].sum().reindex(range(24), fill_value=0)
    by_day = table.groupby("weekday")["count"].sum().reindex(range(7), fill_value=0)
    live_hours = [h for h in range(24) if by_hour[h] > 0]
    live_days = [d for d in range(7) if by_day[d] > 0]
    if not live_hours or not live_days:
        log.warning(f"source {fit.source!r}: no stream arrivals to fit")
        return
    ref_h, ref_d = int(by_hour.idxmax()), int(by_day.idxmax())
    data = table[table["hour"].isin(live_hours) & table["weekday"].isin(live_days)]
    design = pd.DataFrame({"const": 1.0}, index=data.index)
    for h in live_hours:
        if h != ref_h:
            design[f"h{h}"] = (data["hour"] == h).astype(float)
    for d in live_days:
        if d != ref_d:
            design[f"d{d}"] = (data["weekday"] == d).astype(float)
    result = sm.GLM(data["count"].to_numpy(float), design, family=sm.families.Poisson()).fit()
    params, cov = result.params, result.cov_params()
    n = int(data["count"].sum())
    fit.hours = [0.0] * 24
    for h, est in _centred(params, cov, "h", live_hours, ref_h, n,
                           "Poisson GLM, hour-of-day weight relative to the geometric mean of hours "
                           "with arrivals").items():
        fit.hour_estimates[h] = est
        fit.hours[h] = round(est.value, 6)
    for d, est in _centred(params, cov, "d", live_days, ref_d, n,
                           "Poisson GLM, weekday weight relative to the geometric mean of weekdays "
                           "with arrivals").items():
        fit.weekday_estimates[WEEKDAYS[d]] = est
    fit.weekdays = {WEEKDAYS[d]: round(fit.weekday_estimates[WEEKDAYS[d]].value, 6) if d in live_days else 0.0
                    for d in range(7)}
    # Expected leads in one standard week (all 168 cells), by the delta method.
    week = pd.DataFrame({"const": 1.0}, index=range(len(live_hours) * len(live_days)))
    cells = [(h, d) for d in live_days for h in live_hours]
    for col in design.columns[1:]:
        kind, value = col[0], int(col[1:])
        week[col] = [float((h if kind == "h" else d) == value) for h, d in cells]
    mu = np.exp(week.to_numpy() @ params.to_numpy())
    total = float(mu.sum())
    grad = week.to_numpy().T @ mu
    se_log = math.sqrt(float(grad @ cov.to_numpy() @ grad)) / total
    fit.volume_per_day = Estimate(total / 7.0, total / 7.0 * math.exp(-Z95 * se_log),
                                  total / 7.0 * math.exp(Z95 * se_log), n,
                                  "Poisson GLM (hour + weekday), expected weekly total / 7")
    observed = data.assign(mu=result.predict(design)).groupby("hour")[["count", "mu"]].mean()
    fit.by_hour = {int(h): {"observed": round(float(r["count"]), 4), "fitted": round(float(r["mu"]), 4)}
                   for h, r in observed.iterrows()}
    df = max(int(result.df_resid), 1)
    pearson = float(result.pearson_chi2) / df
    by_day_table = table.assign(mu=result.predict(design).reindex(table.index).fillna(0.0))
    days = by_day_table.groupby(by_day_table.index // (1 if daily else 24)).agg(count=("count", "sum"), mu=("mu", "sum"))
    days = days[days["mu"] > 0]
    var_ratio = float(((days["count"] - days["mu"]) ** 2).sum() / days["mu"].sum()) if len(days) else math.nan
    fit.dispersion = {"pearson_chi2_per_df_hourly": round(pearson, 4),
                      "daily_variance_to_mean": round(var_ratio, 4), "days": len(days)}
    fit.goodness = {"deviance": round(float(result.deviance), 3), "df_resid": df,
                    "deviance_p_value": round(float(stats.chi2.sf(result.deviance, df)), 6)}
    if var_ratio > 1.5 and len(days) >= 14:
        log.warning(f"source {fit.source!r}: day-to-day volume is over-dispersed (variance/mean "
                 f"{var_ratio:.2f} per day): written as the source's day_variance_ratio (gamma-Poisson "
                 "day factor)")
    sparse = [h for h in live_hours if by_hour[h] < 5]
    if sparse:
        log.warning(f"source {fit.source!r}: hours {sparse} have fewer than 5 arrivals; their weights "
                 "are fitted but uncertain")


def _centred(params: pd.Series, cov: pd.DataFrame, prefix: str, levels: list[int], ref: int, n: int,
             method: str) -> dict[int, Estimate]:
    """Weights relative to the geometric mean of the levels, with delta-method intervals.

    Relative to the busiest level would be simpler, but the busiest level is picked by
    the same noisy counts, which biases every ratio to it downwards.
    """
    names = list(params.index)
    contrast = np.zeros((len(levels), len(names)))
    for i, level in enumerate(levels):
        if level != ref:
            contrast[i, names.index(f"{prefix}{level}")] += 1.0
        for other in levels:
            if other != ref:
                contrast[i, names.index(f"{prefix}{other}")] -= 1.0 / len(levels)
    centred = contrast @ params.to_numpy()
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", contrast, cov.to_numpy(), contrast), 0.0))
    return {level: wald_transformed(float(centred[i]), float(se[i]), n, safe_exp, method)
            for i, level in enumerate(levels)}
