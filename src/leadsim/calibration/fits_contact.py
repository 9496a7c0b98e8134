"""The contact model: a logistic regression of "reached a person" on the attempt's circumstances.

The scenario's contact model (docs/model.md, simulator/physics.py) is

    logit p = logit(base[source]) + log attempt_odds[k] + log age_factor(age)
              + log hour_odds[h] + log weekday_odds[d],
    age_factor = floor + (1 - floor) * 0.5 ** (age / half_life),

which is a logistic regression except for the age factor's two parameters. It is
fitted as written, by maximum likelihood with statsmodels'
``GenericLikelihoodModel`` (standard errors from the numerical Hessian), so each
coefficient maps onto a scenario field without translation:

* ``base[s] = expit(b_s)``; ``attempt_odds[k] = exp(g_k)`` (attempt 1 is 1);
* ``half_life = exp(t_h)``, ``floor_odds = expit(t_f)``;
* ``hour_odds[h] = exp(d_h)``, ``weekday_odds[d] = exp(e_d)`` relative to the
  hour and weekday with the most attempts (their odds are 1 by definition, so
  ``base`` is the probability at that hour and weekday).

Rows left out, and why: bad numbers (not drawn from the contact model: the
first call to a bad number ends the lead), live inbound answers (reached by
definition), calls after a lead was already reached. Sparse cells are pooled:
attempt numbers beyond the last with :data:`MIN_CELL` calls share one odds ratio
(the scenario repeats its last value), hours and weekdays with fewer than
:data:`MIN_CELL` calls get odds 1; each pooling is a warning.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit as np_expit
from statsmodels.base.model import GenericLikelihoodModel

from leadsim.calibration.estimates import (
    Estimate,
    FitLog,
    expit,
    logit,
    proportion,
    safe_exp,
    wald_transformed,
)
from leadsim.scenarios.schema import WEEKDAYS

#: Fewest calls for an attempt number, hour or weekday of its own.
MIN_CELL = 30
#: Most attempts used in the fit (a fixed-seed subsample beyond this).
MAX_FIT_ROWS = 400_000


class _ContactLikelihood(GenericLikelihoodModel):
    """Bernoulli likelihood with the scenario's logit and the age factor's two parameters."""

    def __init__(self, endog: np.ndarray, exog: np.ndarray, age: np.ndarray, names: list[str]) -> None:
        super().__init__(endog, exog, extra_params_names=["log_half_life", "logit_floor"])
        self.age = age
        self.exog_names[:] = names + ["log_half_life", "logit_floor"]

    def _eta(self, params: np.ndarray) -> np.ndarray:
        beta, log_h, logit_f = params[:-2], params[-2], params[-1]
        floor = np_expit(logit_f)
        factor = floor + (1.0 - floor) * np.exp2(-self.age / math.exp(min(log_h, 30.0)))
        return np.asarray(self.exog @ beta + np.log(factor))

    def _eta_grad(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(eta, d eta / d params per row): the model's linear predictor and its Jacobian."""
        beta, log_h, logit_f = params[:-2], params[-2], params[-1]
        half, floor = math.exp(min(log_h, 30.0)), float(np_expit(logit_f))
        decay = np.exp2(-self.age / half)
        factor = floor + (1.0 - floor) * decay
        d_log_h = (1.0 - floor) * decay * math.log(2.0) * self.age / half / factor
        d_logit_f = (1.0 - decay) * floor * (1.0 - floor) / factor
        eta = self.exog @ beta + np.log(factor)
        return np.asarray(eta), np.column_stack([self.exog, d_log_h, d_logit_f])

    def score(self, params: np.ndarray) -> np.ndarray:
        eta, jac = self._eta_grad(params)
        return np.asarray((self.endog - np_expit(eta)) @ jac)

    def score_obs(self, params: np.ndarray) -> np.ndarray:
        eta, jac = self._eta_grad(params)
        return np.asarray((self.endog - np_expit(eta))[:, None] * jac)

    def hessian(self, params: np.ndarray) -> np.ndarray:
        # The expected information (Fisher scoring): -J' diag(p (1 - p)) J with J = d eta / d params.
        # Exact for the logistic part, a valid information matrix for the age factor's two
        # parameters, and O(n p^2) instead of p extra score evaluations.
        eta, jac = self._eta_grad(params)
        p = np_expit(eta)
        return np.asarray(-(jac * (p * (1.0 - p))[:, None]).T @ jac)

    def loglikeobs(self, params: np.ndarray) -> np.ndarray:
        eta = self._eta(params)
        y = self.endog
        # log expit(eta) = -log1p(exp(-eta)), written stably.
        return np.asarray(-(y * np.logaddexp(0, -eta) + (1 - y) * np.logaddexp(0, eta)))


def _levels(values: np.ndarray, candidates: list[int], label: str, log: FitLog) -> tuple[list[int], int]:
    counts = pd.Series(values).value_counts()
    kept = [c for c in candidates if counts.get(c, 0) >= MIN_CELL]
    sparse = [c for c in candidates if 0 < counts.get(c, 0) < MIN_CELL]
    if sparse:
        log.warning(f"contact model: {label} {sparse} have fewer than {MIN_CELL} calls each: pooled "
                 "(odds 1)")
    ref = int(counts.reindex(kept).idxmax()) if kept else candidates[0]
    return [c for c in kept if c != ref], ref


def fit_contact(table: pd.DataFrame, live: np.ndarray, log: FitLog) -> dict[str, Any]:
    """Fit the contact model.

    Args:
        table: the attempt table (:func:`leadsim.calibration.attempts.call_table`).
        live: mask of rows that were live inbound answers (left out).
        log: warnings and notes.

    Returns:
        A fit.json section; ``scenario`` holds the values to write, ``estimates`` the
        Estimates by scenario path.
    """
    bad = (table["outcome"] == "bad_number").to_numpy()
    first_calls = table[(table["k"] == 1).to_numpy() & ~live]
    bad_rate = proportion(int((first_calls["outcome"] == "bad_number").sum()), len(first_calls),
                          "share of first calls that found a bad number (Wilson)")
    use = ~bad & ~live & ~table["after_reach"].to_numpy()
    data = table[use]
    out: dict[str, Any] = {"rows_total": len(table), "rows_used": int(use.sum()),
                           "rows_left_out": {"bad_number": int(bad.sum()), "live_inbound_answer": int(live.sum()),
                                             "after_reach": int(table["after_reach"].sum())}}
    estimates: dict[str, Estimate] = {"contact.bad_number_rate": bad_rate}
    unreached = data[~data["reached"].to_numpy()]
    shares = unreached["outcome"].value_counts()
    n_un = len(unreached)
    estimates["contact.voicemail_share"] = proportion(int(shares.get("voicemail", 0)), n_un)
    estimates["contact.busy_share"] = proportion(int(shares.get("busy", 0)), n_un)
    if len(data) > MAX_FIT_ROWS:
        data = data.sample(MAX_FIT_ROWS, random_state=0)
        log.note(f"contact model fitted on a fixed-seed sample of {MAX_FIT_ROWS:,} attempts")
    sources = sorted(data["source"].unique())
    if not sources or data["reached"].nunique() < 2:
        log.warning("contact model: not enough calls with both outcomes to fit; kept from the base scenario")
        out["estimates"] = {k: v.as_dict() for k, v in estimates.items()}
        out["_estimates"] = estimates
        return out
    k_counts = data["k"].value_counts()
    k_max = max([k for k in k_counts.index if k_counts[k] >= MIN_CELL] or [1])
    if (data["k"] > k_max).any():
        log.warning(f"contact model: attempts after the {k_max}th have fewer than {MIN_CELL} calls each: "
                 f"pooled with attempt {k_max} (the scenario repeats the last attempt_odds value)")
    k = np.minimum(data["k"].to_numpy(), k_max)
    hours, ref_h = _levels(data["hour"].to_numpy(), list(range(24)), "local hours", log)
    days, ref_d = _levels(data["weekday"].to_numpy(), list(range(7)), "weekdays", log)
    cols: dict[str, np.ndarray] = {}
    for s in sources:
        cols[f"base:{s}"] = (data["source"] == s).to_numpy(float)
    for a in range(2, k_max + 1):
        cols[f"attempt:{a}"] = (k == a).astype(float)
    for h in hours:
        cols[f"hour:{h}"] = (data["hour"].to_numpy() == h).astype(float)
    for d in days:
        cols[f"weekday:{d}"] = (data["weekday"].to_numpy() == d).astype(float)
    names = list(cols)
    exog = np.column_stack([cols[c] for c in names])
    y = data["reached"].to_numpy(float)
    start = [logit(float(y[(k == 1) & (cols[f"base:{s}"] > 0)].mean()) if ((k == 1) & (cols[f"base:{s}"] > 0)).any()
                   else float(y.mean())) for s in sources]
    start_params = np.array(start + [0.0] * (len(names) - len(sources)) + [math.log(60.0), 0.0])
    model = _ContactLikelihood(y, exog, data["age_min"].to_numpy(float), names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # Fisher scoring; BFGS if it does not converge
            result = model.fit(start_params=start_params, method="newton", maxiter=100, disp=False)
            if not result.mle_retvals.get("converged", False):
                result = model.fit(start_params=result.params, method="bfgs", maxiter=500, disp=False)
        except (np.linalg.LinAlgError, ValueError) as exc:
            log.warning(f"contact model: the fit failed ({exc}); kept from the base scenario")
            out["estimates"] = {k: v.as_dict() for k, v in estimates.items()}
            out["_estimates"] = estimates
            return out
        params = np.asarray(result.params)
        try:
            bse = np.asarray(result.bse)
        except (np.linalg.LinAlgError, ValueError):
            bse = np.full(params.shape, np.nan)
    if not np.isfinite(bse).all():
        log.warning("contact model: some parameters are not identified by these data (singular "
                    "information matrix); they are kept from the base scenario")
    n = len(y)
    cells = {name: int(cols[name].sum()) if name in cols else n for name in names}
    for i, name in enumerate(names):
        part, key = name.split(":", 1)
        se = float(bse[i]) if np.isfinite(bse[i]) else math.inf
        if part == "base":
            estimates[f"contact.base.{key}"] = wald_transformed(params[i], se, cells[name], expit,
                                                                "logistic MLE, expit(coefficient)")
        else:
            path = {"attempt": "contact.attempt_odds", "hour": "contact.hour_odds",
                    "weekday": "contact.weekday_odds"}[part]
            label = WEEKDAYS[int(key)] if part == "weekday" else key
            estimates[f"{path}.{label}"] = wald_transformed(params[i], se, cells[name], safe_exp,
                                                            "logistic MLE, exp(coefficient)")
    estimates["contact.age_decay.half_life_minutes"] = wald_transformed(
        params[-2], float(bse[-2]), n, safe_exp, "MLE, exp(log half-life)")
    estimates["contact.age_decay.floor_odds"] = wald_transformed(
        params[-1], float(bse[-1]), n, expit, "MLE, expit(logit floor)")
    half = estimates["contact.age_decay.half_life_minutes"]
    if not math.isfinite(half.high) or half.high / max(half.low, 1e-9) > 1e3:
        log.warning("contact model: the age decay is poorly identified by these data (its interval spans "
                 "three orders of magnitude); attempt number and lead age move together")
    out.update({
        "reference": {"hour": ref_h, "weekday": WEEKDAYS[ref_d],
                      "meaning": "base is P(contact) on a first call to a fresh lead at the reference "
                                 "hour and weekday (their odds are 1)"},
        "attempts_pooled_from": k_max, "loglik": round(float(result.llf), 3),
        "converged": bool(result.mle_retvals.get("converged", False)),
        "mcfadden_r2": round(1 - float(result.llf) / _null_loglik(y), 5),
        "calibration_by_attempt": _observed_vs_fitted(model, params, k, y),
    })
    out["scenario"] = {
        "base": {s: estimates[f"contact.base.{s}"].value for s in sources},
        "attempt_odds": [1.0] + [estimates[f"contact.attempt_odds.{a}"].value for a in range(2, k_max + 1)],
        "age_decay": {"half_life_minutes": half.value,
                      "floor_odds": estimates["contact.age_decay.floor_odds"].value},
        "hour_odds": {h: estimates[f"contact.hour_odds.{h}"].value for h in hours},
        "weekday_odds": {WEEKDAYS[d]: estimates[f"contact.weekday_odds.{WEEKDAYS[d]}"].value for d in days},
    }
    out["estimates"] = {key: e.as_dict() for key, e in estimates.items()}
    out["_estimates"] = estimates
    return out


def _null_loglik(y: np.ndarray) -> float:
    p = float(y.mean())
    return float(np.sum(y * math.log(p) + (1 - y) * math.log(1 - p)))


def _observed_vs_fitted(model: _ContactLikelihood, params: np.ndarray, k: np.ndarray,
                        y: np.ndarray) -> list[dict[str, Any]]:
    """Observed and mean fitted contact rate per attempt number (the goodness-of-fit table)."""
    p = np_expit(model._eta(params))
    rows = []
    for a in np.unique(k):
        m = k == a
        rows.append({"attempt": int(a), "calls": int(m.sum()), "observed": round(float(y[m].mean()), 5),
                     "fitted": round(float(p[m].mean()), 5)})
    return rows


def live_inbound_mask(table: pd.DataFrame, patience_seconds: dict[str, float]) -> np.ndarray:
    """Rows that are live inbound answers: a first call within patience of an inbound lead's creation."""
    patience = table["source"].map(patience_seconds).fillna(-1.0).to_numpy(float)
    return np.asarray((table["k"].to_numpy() == 1) & (table["age_min"].to_numpy() * 60.0 <= patience))
