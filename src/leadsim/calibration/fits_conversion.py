"""Qualification and conversion given a contact, and the conversion-vs-speed curve.

The scenario's conversion model (simulator/physics.py): given a contact at
``t`` minutes after creation,

    odds(qualify) = odds(qualify[s]) * speed_factor(t) * quality / mean_quality
    speed_factor  = floor + (1 - floor) * 0.5 ** (t / half_life)
    odds(close | qualified) = odds(close[s]) * skill * attempt_odds[k] * (email_day1_lift if emailed)

Lead quality is latent (no log records it), so the qualification likelihood
integrates over the base scenario's quality distribution per source (64 quantile
points); the fitted ``qualify[s]`` is then the value that reproduces the observed
rates *with that quality distribution*. Both models are fitted by maximum
likelihood (statsmodels), with standard errors from the Hessian. Raw rates with
Wilson intervals and the observed curve by speed-to-first-contact band are
reported beside them.
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit as np_expit
from statsmodels.base.model import GenericLikelihoodModel
from statsmodels.tools.numdiff import approx_fprime

from leadsim.calibration.attempts import NS_PER_MINUTE
from leadsim.calibration.estimates import (
    Estimate,
    FitLog,
    expit,
    logit,
    proportion,
    safe_exp,
    wald_transformed,
)

#: Bands of minutes from creation to first contact for the observed curve.
SPEED_BANDS = (0, 1, 5, 15, 60, 240, 1440, 10080, math.inf)
QUALITY_POINTS = 64
#: Fewest qualified contacts (with both outcomes) for a source's own close rate.
MIN_QUALIFIED = 10
#: Fewest contacts for a source's own qualification rate.
MIN_CONTACTS = 10


def quality_points(quality: Any) -> np.ndarray:
    """Quantile points of a source's quality distribution divided by its mean (1 for fixed)."""
    beta = getattr(quality, "beta", None)
    if beta is None:
        return np.ones(QUALITY_POINTS)
    a, b = beta
    q = stats.beta.ppf((np.arange(QUALITY_POINTS) + 0.5) / QUALITY_POINTS, a, b)
    return np.asarray(np.clip(q, 1e-9, 1 - 1e-9) / (a / (a + b)))


class _QualifyLikelihood(GenericLikelihoodModel):
    """P(qualify) = mean over quality points of expit(b_s + log speed(t) + log(q/mean q))."""

    def __init__(self, endog: np.ndarray, exog: np.ndarray, minutes: np.ndarray,
                 log_quality: np.ndarray, names: list[str], with_speed: bool) -> None:
        extra = ["log_half_life", "logit_floor"] if with_speed else []
        super().__init__(endog, exog, extra_params_names=extra)
        self.minutes, self.log_quality, self.with_speed = minutes, log_quality, with_speed
        self.exog_names[:] = names + extra
        self.n_beta = exog.shape[1]

    def _prob(self, params: np.ndarray) -> np.ndarray:
        eta = self.exog @ params[: self.n_beta]
        if self.with_speed:
            half, floor = math.exp(min(params[-2], 30.0)), float(np_expit(params[-1]))
            eta = eta + np.log(floor + (1 - floor) * np.exp2(-self.minutes / half))
        return np.asarray(np_expit(eta[:, None] + self.log_quality).mean(axis=1))

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        p = np.clip(self._prob(params), 1e-12, 1 - 1e-12)
        y = self.endog
        return np.asarray(y * np.log(p) + (1 - y) * np.log1p(-p))

    def score(self, params: np.ndarray) -> np.ndarray:
        return np.asarray(approx_fprime(params, self.loglike, centered=True))

    def hessian(self, params: np.ndarray) -> np.ndarray:
        return np.asarray(approx_fprime(params, self.score, centered=True))


def _fit(model: GenericLikelihoodModel, start: np.ndarray) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(start_params=start, method="bfgs", maxiter=2000, disp=False)
        try:
            bse = np.asarray(result.bse)
        except (np.linalg.LinAlgError, ValueError):  # not identified: no standard errors
            bse = np.full(np.shape(result.params), np.nan)
    return result, bse


def contacts_table(table: pd.DataFrame) -> pd.DataFrame:
    """The first reaching call of each lead, with minutes to contact and the day-1 email flag."""
    first = table[table["reached"].to_numpy() & ~table["after_reach"].to_numpy()].copy()
    first["minutes"] = first["age_min"].clip(lower=0.0)
    step = first["first_step_ns"].to_numpy()
    first["emailed"] = (step <= first["started_ns"].to_numpy()) & \
        (step - first["created_ns"].to_numpy() <= 1440 * NS_PER_MINUTE)
    return first


def fit_conversion(table: pd.DataFrame, qualities: dict[str, Any], skill: float,
                   log: FitLog) -> dict[str, Any]:
    """Fit qualification (with the speed decay) and closing (with the day-1 email lift).

    Args:
        table: the attempt table.
        qualities: per source, its quality distribution (from the base scenario).
        skill: the team's skill (close-odds multiplier) from the base scenario.
        log: warnings and notes.
    """
    first = contacts_table(table)
    estimates: dict[str, Estimate] = {}
    out: dict[str, Any] = {"contacts": len(first)}
    sources = sorted(first["source"].unique())
    raw: dict[str, Any] = {}
    for s in sources:
        rows = first[first["source"] == s]
        q = proportion(int(rows["qualified"].sum()), len(rows))
        c = proportion(int(rows["converted"].sum()), int(rows["qualified"].sum()))
        raw[s] = {"qualified_given_contact": q.as_dict(), "converted_given_qualified": c.as_dict()}
        if len(rows) < 30:
            log.warning(f"conversion: source {s!r} has only {len(rows)} contacts; its rates are uncertain")
    out["observed_rates"] = raw
    out["speed_curve"] = speed_curve(first)
    few = [s for s in sources if (first["source"] == s).sum() < MIN_CONTACTS
           or first.loc[first["source"] == s, "qualified"].nunique() < 2]
    if few:
        log.warning(f"conversion: sources {few} have fewer than {MIN_CONTACTS} contacts (or all with one "
                 "outcome): their qualification rates are kept from the base scenario")
        first = first[~first["source"].isin(few)]
        sources = [s for s in sources if s not in few]
    if len(first) < 20 or first["qualified"].nunique() < 2:
        log.warning("conversion: too few contacts with both outcomes to fit; kept from the base scenario")
        out["_estimates"], out["estimates"] = estimates, {}
        return out
    # Qualification.
    exog = np.column_stack([(first["source"] == s).to_numpy(float) for s in sources])
    by_source = np.vstack([np.log(quality_points(qualities.get(s))) for s in sources])
    lq = by_source[np.searchsorted(np.asarray(sources), first["source"].to_numpy())]
    y = first["qualified"].to_numpy(float)
    start = [logit(float(y[exog[:, i] > 0].mean())) for i in range(len(sources))]
    model = _QualifyLikelihood(y, exog, first["minutes"].to_numpy(float), lq, list(sources), True)
    result, bse = _fit(model, np.array(start + [math.log(10.0), 0.0]))
    params = np.asarray(result.params)
    for i, s in enumerate(sources):
        estimates[f"conversion.qualify.{s}"] = wald_transformed(
            params[i], float(bse[i]), int(exog[:, i].sum()), expit,
            "MLE integrating over the base quality distribution, expit(coefficient)")
    n = len(y)
    estimates["conversion.speed_decay.half_life_minutes"] = wald_transformed(
        params[-2], float(bse[-2]), n, safe_exp, "MLE, exp(log half-life)")
    estimates["conversion.speed_decay.floor"] = wald_transformed(
        params[-1], float(bse[-1]), n, expit, "MLE, expit(logit floor)")
    out["qualify_loglik"] = round(float(result.llf), 3)
    fitted = model._prob(params)
    minutes = first["minutes"].to_numpy()
    for row in out["speed_curve"]:
        hi = math.inf if row["minutes_to"] is None else row["minutes_to"]
        m = (minutes >= row["minutes_from"]) & (minutes < hi)
        row["fitted_qualified_share"] = round(float(fitted[m].mean()), 5) if m.any() else None
    # Closing, given qualified.
    qual = first[first["qualified"].to_numpy()]
    close_src = []
    for s in sources:
        rows = qual[qual["source"] == s]
        if len(rows) >= MIN_QUALIFIED and rows["converted"].nunique() == 2:
            close_src.append(s)
        else:
            log.warning(f"conversion: source {s!r} has {len(rows)} qualified contacts (fewer than "
                     f"{MIN_QUALIFIED}, or all with one outcome): its close rate is kept from the base scenario")
    qual = qual[qual["source"].isin(close_src)]
    if len(qual) >= 10 and qual["converted"].nunique() == 2:
        cols = [(qual["source"] == s).to_numpy(float) for s in close_src]
        emailed = qual["emailed"].to_numpy(float)
        with_email = 0 < emailed.sum() < len(emailed)
        if with_email:
            cols.append(emailed)
        else:
            log.note("conversion: every (or no) qualified contact had a day-1 email; the email lift "
                     "cannot be identified and is kept from the base scenario")
        X = np.column_stack(cols)
        yc = qual["converted"].to_numpy(float)
        cmodel = _QualifyLikelihood(yc, X, np.zeros(len(yc)), np.full((len(yc), 1), math.log(skill)),
                                    close_src + (["email_day1"] if with_email else []), False)
        cstart = [logit(float(yc[X[:, i] > 0].mean())) for i in range(len(close_src))] + ([0.0] if with_email else [])
        cres, cbse = _fit(cmodel, np.array(cstart))
        cp = np.asarray(cres.params)
        for i, s in enumerate(close_src):
            estimates[f"conversion.close.{s}"] = wald_transformed(
                cp[i], float(cbse[i]), int(X[:, i].sum()), expit, "logistic MLE given the base skill, expit(coefficient)")
        if with_email:
            estimates["conversion.email_day1_lift"] = wald_transformed(
                cp[-1], float(cbse[-1]), int(emailed.sum()), safe_exp, "logistic MLE, exp(coefficient)")
    else:
        log.warning("conversion: too few qualified contacts to fit closing; kept from the base scenario")
    out["estimates"] = {k: e.as_dict() for k, e in estimates.items()}
    out["_estimates"] = estimates
    return out


def speed_curve(first: pd.DataFrame) -> list[dict[str, Any]]:
    """Observed qualification and conversion by band of minutes to first contact."""
    rows = []
    minutes = first["minutes"].to_numpy()
    for lo, hi in itertools.pairwise(SPEED_BANDS):
        m = (minutes >= lo) & (minutes < hi)
        n = int(m.sum())
        if not n:
            continue
        q = proportion(int(first["qualified"].to_numpy()[m].sum()), n)
        c = proportion(int(first["converted"].to_numpy()[m].sum()), n)
        rows.append({"minutes_from": lo, "minutes_to": None if math.isinf(hi) else hi, "contacts": n,
                     "qualified_share": q.as_dict(), "converted_share": c.as_dict()})
    return rows
