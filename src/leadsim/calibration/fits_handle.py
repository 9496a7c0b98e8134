"""Handle times by outcome: lognormal, gamma and Weibull fitted by maximum likelihood.

The family with the highest log-likelihood (all three have two parameters, so
this is also the lowest AIC) is reported with its Kolmogorov-Smirnov distance.
The written form is the family that fits best: the Weibull with its fitted
parameters, or a gamma or lognormal with the sample's mean and standard deviation
(this keeps the mean rep time exact, which is what capacity depends on); every
family's parameters are in fit.json.

A logged duration is all the rep's time on the attempt: after-call work (wrap-up)
is not logged separately, so it cannot be identified. The calibrated team's
``wrap`` is therefore 0 and each outcome's time includes it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats

from leadsim.calibration.estimates import Estimate, FitLog, mean_interval
from leadsim.scenarios.schema import MAX_HANDLE_MINUTES

#: Rows used for the maximum-likelihood fits (a fixed-seed subsample beyond this).
MAX_FIT_ROWS = 200_000
#: Fewer observations than this: no family fitted, the base scenario's value kept.
MIN_ROWS = 20

FAMILIES: dict[str, Any] = {"lognormal": stats.lognorm, "gamma": stats.gamma, "weibull": stats.weibull_min}

#: Handle-time field of the scenario for each logged outcome.
FIELD_OF_OUTCOME = {"no_answer": "no_answer", "voicemail": "voicemail", "busy": "busy",
                    "bad_number": "bad_number", "contact": "talk", "qualified": "talk", "converted": "talk"}


def fit_durations(minutes: np.ndarray, label: str, log: FitLog) -> dict[str, Any]:
    """Fit one sample of durations (minutes).

    Returns:
        A fit.json entry: ``mean`` (Estimate dict), ``sd``, ``families`` (log-likelihood,
        KS distance, parameters), ``best``, ``written`` (the scenario's distribution).
    """
    x = minutes[np.isfinite(minutes)]
    out: dict[str, Any] = {"n": int(x.size)}
    if x.size < MIN_ROWS:
        log.warning(f"handle time {label}: only {x.size} observations; kept from the base scenario")
        out["written"] = None
        return out
    mean = mean_interval(x)
    sd = float(x.std(ddof=1))
    out["mean_minutes"] = mean.as_dict()
    out["sd_minutes"] = round(sd, 6)
    if sd <= 1e-9 * max(mean.value, 1.0):
        out["best"] = "fixed"
        out["written"] = {"fixed": round(min(mean.value, MAX_HANDLE_MINUTES), 6)}
        return out
    positive = x[x > 0]
    zeros = int(x.size - positive.size)
    if zeros:
        log.note(f"handle time {label}: {zeros} zero durations are in the mean but not in the family fits")
    if positive.size > MAX_FIT_ROWS:
        positive = np.random.default_rng(0).choice(positive, MAX_FIT_ROWS, replace=False)
    families: dict[str, Any] = {}
    for name, dist in FAMILIES.items():
        try:
            params = dist.fit(positive, floc=0)
            ll = float(np.sum(dist.logpdf(positive, *params)))
            ks = stats.kstest(positive, dist.cdf, args=params)
            families[name] = {"loglik": round(ll, 3), "ks_distance": round(float(ks.statistic), 5),
                              "params": [float(p) for p in params]}
        except (ValueError, RuntimeError, FloatingPointError) as exc:  # a family may not converge
            families[name] = {"error": str(exc)}
    out["families"] = families
    ranked = [k for k in families if "loglik" in families[k] and math.isfinite(families[k]["loglik"])]
    out["best"] = max(ranked, key=lambda k: families[k]["loglik"]) if ranked else None
    out["ks_note"] = "KS distance of the fitted family; its p-value would ignore that parameters were fitted"
    written_mean = min(max(mean.value, 1e-6), MAX_HANDLE_MINUTES)
    out["written"] = {"lognormal": {"mean": round(written_mean, 6), "sd": round(min(sd, MAX_HANDLE_MINUTES), 6)}}
    probs = np.linspace(0.05, 0.95, 19)
    sigma2 = math.log1p((sd / written_mean) ** 2)
    written = stats.lognorm(math.sqrt(sigma2), scale=written_mean * math.exp(-sigma2 / 2))
    out["quantiles"] = {"p": [round(float(p), 3) for p in probs],
                        "observed": [round(float(q), 4) for q in np.quantile(x, probs)],
                        "written_lognormal": [round(float(q), 4) for q in written.ppf(probs)]}
    if out["best"] not in (None, "lognormal"):
        log.note(f"handle time {label}: {out['best']} fits better than lognormal (see fit.json); "
                 + ("the Weibull is written" if out["best"] == "weibull" else
                    "a gamma with the same mean and sd is written"))
    return out


def fit_handle_times(outcomes: np.ndarray, seconds: np.ndarray, log: FitLog) -> dict[str, Any]:
    """Fit every scenario handle-time field from call outcomes and durations (seconds).

    Returns:
        {field: fit entry} for no_answer, voicemail, busy, bad_number and talk.
    """
    minutes = seconds.astype(np.float64) / 60.0
    fields: dict[str, Any] = {}
    for name in ("no_answer", "voicemail", "busy", "bad_number", "talk"):
        wanted = [o for o, f in FIELD_OF_OUTCOME.items() if f == name]
        sample = minutes[np.isin(outcomes, wanted)]
        fields[name] = fit_durations(sample, name, log)
    log.note("after-call work (wrap-up) is not logged separately: it cannot be identified, so each "
             "outcome's fitted time includes it and the calibrated team's wrap is 0")
    return fields


def mean_estimate(entry: dict[str, Any]) -> Estimate | None:
    """The fitted mean of a fit entry as an Estimate (None if not fitted)."""
    m = entry.get("mean_minutes")
    if not m:
        return None
    return Estimate(m["estimate"], m["ci95"][0], m["ci95"][1], m["n"], m["method"])
