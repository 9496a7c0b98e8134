"""Known truth for a round trip: a scenario's parameters in the terms a calibration reports them.

Logs written by ``leadsim run`` from a scenario with known parameters are
calibrated; this module says what each fitted estimate should be if the fit is
right, so the coverage of the 95% intervals can be measured. Some estimates are
relative (hour and weekday odds, profile weights) or include things the logs
merge (a logged duration is handle time plus wrap-up): the truth is put in the
same terms.
"""

from __future__ import annotations

import math
from typing import Any

from leadsim.calibration.estimates import Estimate
from leadsim.scenarios.schema import WEEKDAYS, FixedDist, LognormalDist, ProfileWeights, Scenario
from leadsim.simulator.arrivals import NAMED_PROFILES


def _mean(dist: Any) -> float | None:
    if isinstance(dist, FixedDist):
        return float(dist.fixed)
    if isinstance(dist, LognormalDist):
        return float(dist.lognormal.mean)
    mean = getattr(getattr(dist, "exponential", None), "mean", None)
    return float(mean) if mean is not None else None


def _odds(p: float) -> float:
    return p / (1 - p)


def known_values(scenario: Scenario, fit: dict[str, Any]) -> dict[str, float]:
    """Truth for every estimate the round trip checks, keyed like the calibration's estimates.

    Args:
        scenario: the scenario the logs were simulated from (one team, engine behaviour).
        fit: the fit.json document of the calibration (for the reference hour and weekday
            and the pooled attempt number).
    """
    truth: dict[str, float] = {}
    team = scenario.teams[0]
    wrap = _mean(team.handle_minutes.wrap) or 0.0
    for name in ("no_answer", "voicemail", "talk"):
        mean = _mean(getattr(team.handle_minutes, name))
        if mean is not None:
            truth[f"handle_minutes.{name}.mean"] = mean + wrap
    contact, conv = scenario.contact, scenario.conversion
    if contact is None or conv is None:
        raise ValueError(f"scenario {scenario.name!r} has no contact or conversion model: no outbound truth to check")
    fits = fit.get("fits", {})
    c = fits.get("contact", {})
    ref = c.get("reference")
    if ref:
        ref_h, ref_d = int(ref["hour"]), str(ref["weekday"])
        shift = contact.hour_odds.get(ref_h, 1.0) * contact.weekday_odds.get(ref_d, 1.0)
        for s, p in contact.base.items():
            odds = _odds(p) * shift
            truth[f"contact.base.{s}"] = odds / (1 + odds)
        pooled = int(c.get("attempts_pooled_from", 1))
        last = len(contact.attempt_odds)
        for k in range(2, pooled + 1):
            if k < pooled or pooled >= last:  # a pooled cell mixes attempts: no single truth
                truth[f"contact.attempt_odds.{k}"] = contact.attempt_odds[min(k, last) - 1]
        for h in range(24):
            if f"contact.hour_odds.{h}" in c.get("estimates", {}):
                truth[f"contact.hour_odds.{h}"] = contact.hour_odds.get(h, 1.0) / contact.hour_odds.get(ref_h, 1.0)
        for d in WEEKDAYS:
            if f"contact.weekday_odds.{d}" in c.get("estimates", {}):
                truth[f"contact.weekday_odds.{d}"] = contact.weekday_odds.get(d, 1.0) / contact.weekday_odds.get(ref_d, 1.0)
        if contact.age_decay is not None:
            truth["contact.age_decay.half_life_minutes"] = contact.age_decay.half_life_minutes
            truth["contact.age_decay.floor_odds"] = contact.age_decay.floor_odds
    truth["contact.voicemail_share"] = contact.voicemail_share
    truth["contact.busy_share"] = contact.busy_share
    truth["contact.bad_number_rate"] = contact.bad_number_rate
    for s, p in conv.qualify.items():
        truth[f"conversion.qualify.{s}"] = p
    for s, p in conv.close.items():
        truth[f"conversion.close.{s}"] = p
    if conv.speed_decay is not None:
        truth["conversion.speed_decay.half_life_minutes"] = conv.speed_decay.half_life_minutes
        truth["conversion.speed_decay.floor"] = conv.speed_decay.floor
    truth["conversion.email_day1_lift"] = conv.email_day1_lift
    for source in scenario.sources:
        if source.kind != "batch" and source.volume is not None:
            truth[f"arrivals.{source.name}.volume_per_day"] = source.volume.daily
            arrivals = fits.get("arrivals", {}).get(source.name, {})
            if isinstance(source.profile, str):
                hours, days = NAMED_PROFILES[source.profile]
            elif isinstance(source.profile, ProfileWeights):
                hours, days = list(source.profile.hours), [source.profile.weekdays.get(d, 0.0) for d in WEEKDAYS]
            else:  # an hour-of-week table has no separable hour and weekday truth
                continue
            for label, weights, keys in (("hour", hours, [str(h) for h in range(24)]),
                                         ("weekday", days, list(WEEKDAYS))):
                fitted = arrivals.get(f"{label}_weight_estimates", {})
                live = [i for i, key in enumerate(keys) if key in fitted]
                if not live or any(weights[i] <= 0 for i in live):
                    continue
                geo = math.exp(sum(math.log(weights[i]) for i in live) / len(live))
                for i in live:
                    truth[f"arrivals.{source.name}.{label}.{keys[i]}"] = weights[i] / geo
    return truth


def arrival_estimates(fit: dict[str, Any]) -> dict[str, Estimate]:
    """The arrival fit's estimates (volume, hour and weekday weights) keyed like :func:`known_values`."""
    out: dict[str, Estimate] = {}
    for name, entry in fit.get("fits", {}).get("arrivals", {}).items():
        groups = [("volume_per_day", {"": entry.get("volume_per_day")}),
                  ("hour", entry.get("hour_weight_estimates", {})),
                  ("weekday", entry.get("weekday_weight_estimates", {}))]
        for label, items in groups:
            for key, e in items.items():
                if not e or e["method"].startswith("reference"):
                    continue
                lo, hi = e["ci95"]
                path = f"arrivals.{name}.{label}" + (f".{key}" if key else "")
                out[path] = Estimate(e["estimate"], lo if lo is not None else math.nan,
                                     hi if hi is not None else math.nan, e["n"], e["method"])
    return out


def coverage(estimates: dict[str, Estimate], truth: dict[str, float]) -> list[dict[str, Any]]:
    """For every known value with an estimate: the truth, the interval and whether it covers."""
    rows = []
    for key, value in sorted(truth.items()):
        e = estimates.get(key)
        if e is None or not (math.isfinite(e.low) and math.isfinite(e.high)):
            continue
        if e.low == e.high:  # a degenerate interval (fixed durations): not a coverage check
            continue
        rows.append({"parameter": key, "truth": value, "estimate": e.value, "low": e.low, "high": e.high,
                     "n": e.n, "covered": e.covers(value)})
    return rows
