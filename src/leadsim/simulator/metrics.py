"""The single definition of every metric a run reports (numpy only).

Every metric is named once in :data:`METRICS` (name, unit, description, group),
computed once in :func:`compute_metrics`, and documented in ``docs/metrics.md``.

Shared definitions:

* **Counted leads**: leads with ``created`` in ``[window[0], window[1])``. Warm-up
  leads and leads created during the drain are simulated but never counted.
* **Counted attempts**: activities with channel ``call`` whose lead is counted
  (email/SMS steps are not attempts).
* Speeds are minutes from a lead's creation to its first attempt (or first
  contact), taken over the counted leads that got one; "share within X"
  metrics divide by *all* counted leads, so a never-attempted lead is not within.
* An empty denominator gives NaN, never an exception.

Per source (``compute_metrics(result, source=i)``) every metric is restricted
to the counted leads of that source and the attempts on them. Rep- and
floor-level metrics (:data:`OVERALL_ONLY`: conversions_per_rep, rep_occupancy,
activities_per_rep_day, backlog_due_mean, backlog_new_mean) are NaN per source
(the key is present, so every dictionary has the same keys). Per source, ``cost``
is the acquisition cost of that source's leads only: rep cost is not split
between sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from leadsim.simulator.results import (
    CHANNELS,
    LEAD_STATUSES,
    OFFER_ABANDONED,
    OFFER_ANSWERED,
    OUTCOMES,
    RunResult,
    counted_leads,
)
from leadsim.vocabulary import REACHED_OUTCOMES

NAN = float("nan")

#: Two start times closer than this (minutes) are the same moment (share_waited).
WAIT_EPSILON_MIN = 1e-9

_CALL = CHANNELS.index("call")
_CENSORED = LEAD_STATUSES.index("censored")
#: Outcomes in which a live person was reached.
_CONTACT_OUTCOMES = np.array(
    [OUTCOMES.index(name) for name in REACHED_OUTCOMES], dtype=np.int8
)


@dataclass(frozen=True)
class MetricDef:
    """A metric's identity: its name in metrics.json, unit, definition and display group."""

    name: str
    unit: str
    description: str
    group: str


def _m(name: str, unit: str, group: str, description: str) -> MetricDef:
    return MetricDef(name=name, unit=unit, description=description, group=group)


_V, _S, _P, _C, _R, _I, _L, _M = (
    "volume", "speed to lead", "persistence", "contact & conversion", "capacity", "inbound",
    "service level", "money",
)

#: Default service-level threshold T (seconds) when a result does not carry one per source.
DEFAULT_SERVICE_LEVEL_SECONDS = 20.0

#: Every metric, in display order. Units: leads, attempts, calls, conversions,
#: minutes, share (0..1), percent (0..100), attempts per lead, conversions per rep,
#: activities per rep-day, currency.
METRICS: tuple[MetricDef, ...] = (
    _m("leads", "leads", _V, "Counted leads: leads created in the measured window."),
    _m("attempts", "attempts", _V, "Call attempts on counted leads (email/SMS steps excluded)."),
    _m("attempts_per_lead", "attempts per lead", _V, "attempts / leads."),
    _m("speed_to_first_attempt_mean_min", "minutes", _S,
       "Mean of first_attempt - created over counted leads that got a first attempt."),
    _m("speed_to_first_attempt_p50_min", "minutes", _S,
       "Median of first_attempt - created over counted leads that got a first attempt."),
    _m("speed_to_first_attempt_p90_min", "minutes", _S,
       "90th percentile of first_attempt - created over counted leads that got a first attempt."),
    _m("share_first_attempt_within_1_min", "share", _S,
       "Counted leads first attempted at most 1 minute after creation / all counted leads."),
    _m("share_first_attempt_within_5_min", "share", _S,
       "Counted leads first attempted at most 5 minutes after creation / all counted leads."),
    _m("share_first_attempt_within_60_min", "share", _S,
       "Counted leads first attempted at most 60 minutes after creation / all counted leads."),
    _m("share_first_attempt_within_24_h", "share", _S,
       "Counted leads first attempted at most 24 hours after creation / all counted leads."),
    _m("share_never_attempted", "share", _S,
       "Counted leads never attempted (including censored ones) / all counted leads."),
    _m("share_waited", "share", _S,
       "Counted leads whose first attempt did not start the moment they arrived "
       "(first_attempt - created > 1e-9 min, or never attempted) / all counted leads."),
    _m("share_called_once", "share", _P, "Counted leads with exactly 1 call attempt / all counted leads."),
    _m("penetration_rate", "percent", _P,
       "Mean over counted leads of attempts / call_target x 100."),
    _m("penetration_rate_day1", "percent", _P,
       "Mean over counted leads of attempts in their first 24 hours / call_target x 100."),
    _m("contact_rate", "share", _C, "Counted leads reached by a call (contact_attempt > 0) / all counted leads."),
    _m("attempt_contact_rate", "share", _C,
       "Counted attempts that reached a live person (outcome contact, qualified or converted) / "
       "counted attempts."),
    _m("attempts_to_contact", "attempts", _C, "Mean attempt number of the contact over reached counted leads."),
    _m("speed_to_first_contact_mean_min", "minutes", _C,
       "Mean of first_contact - created over reached counted leads."),
    _m("speed_to_first_contact_p50_min", "minutes", _C,
       "Median of first_contact - created over reached counted leads."),
    _m("speed_to_first_contact_p90_min", "minutes", _C,
       "90th percentile of first_contact - created over reached counted leads."),
    _m("share_first_contact_within_5_min", "share", _C,
       "Counted leads first reached at most 5 minutes after creation / all counted leads."),
    _m("share_first_contact_within_60_min", "share", _C,
       "Counted leads first reached at most 60 minutes after creation / all counted leads."),
    _m("qualification_rate", "share", _C, "Qualified counted leads / all counted leads."),
    _m("conversion_rate", "share", _C, "Converted counted leads / all counted leads."),
    _m("conversions", "conversions", _C, "Number of converted counted leads."),
    _m("conversions_per_rep", "conversions per rep", _R,
       "conversions / number of reps on the floor. Overall only (NaN per source)."),
    _m("rep_occupancy", "share", _R,
       "Sum of reps' busy minutes / sum of their available minutes, both within the window. "
       "Overall only."),
    _m("activities_per_rep_day", "activities per rep-day", _R,
       "Call attempts started in the window (on any lead, counted or not) / sum of reps' shift "
       "days in the window. Overall only."),
    _m("backlog_due_mean", "leads", _R,
       "Mean number of due leads waiting for a rep, over backlog samples taken in the window. "
       "Overall only."),
    _m("backlog_new_mean", "leads", _R,
       "Mean number of due never-attempted leads, over backlog samples taken in the window. "
       "Overall only."),
    _m("share_censored", "share", _R,
       "Counted leads still open when the drain ended / all counted leads."),
    _m("occupancy_without_acw", "share", _R,
       "Like rep_occupancy (which includes after-call work), without the wrap-up minutes: "
       "(busy minutes - wrap minutes) / available minutes, in the window. Overall only."),
    _m("calls_handled_per_agent_hour", "calls per agent-hour", _R,
       "Offered calls answered in the window / reps' available hours in the window. Overall only."),
    _m("inbound_calls", "calls", _I, "Counted leads that arrived as a live inbound call."),
    _m("inbound_answered_rate", "share", _I,
       "Inbound calls answered by a rep within the caller's patience / inbound calls (NaN if none)."),
    _m("calls_offered", "calls", _L,
       "Offered inbound calls: rings of a live caller that started in the window (each redial "
       "is a new offer)."),
    _m("calls_answered", "calls", _L, "Offered calls answered by a rep."),
    _m("calls_abandoned", "calls", _L, "Offered calls on which the caller hung up before an answer."),
    _m("service_level", "share", _L,
       "Offered calls answered within T seconds of ringing / offered calls; T is the source's "
       "service_level_seconds (default 20). Overall: each call against its own source's T."),
    _m("asa_seconds", "seconds", _L, "Average speed of answer: mean wait of the answered offered calls."),
    _m("abandonment_rate", "share", _L, "calls_abandoned / calls_offered."),
    _m("abandonment_rate_of_queued", "share", _L,
       "calls_abandoned / offered calls that waited (not answered the moment they rang)."),
    _m("wait_mean_seconds", "seconds", _L,
       "Mean wait of all offered calls that ended: until answered, or until the caller hung up."),
    _m("wait_p90_seconds", "seconds", _L, "90th percentile of the same waits."),
    _m("revenue", "currency", _M, "Sum over converted counted leads of their source's value_per_conversion."),
    _m("cost", "currency", _M,
       "Sum of cost_per_lead over counted leads + rep_cost_per_hour x reps' scheduled hours in the "
       "window. Per source: that source's lead costs only."),
    _m("profit", "currency", _M, "revenue - cost."),
    _m("cost_per_conversion", "currency", _M, "cost / conversions (NaN if no conversions)."),
)

#: Names in display order.
METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)
#: Metric definitions by name.
METRICS_BY_NAME: dict[str, MetricDef] = {m.name: m for m in METRICS}
#: Metrics that describe the whole floor and are NaN per source.
OVERALL_ONLY: frozenset[str] = frozenset(
    {"conversions_per_rep", "rep_occupancy", "activities_per_rep_day", "backlog_due_mean",
     "backlog_new_mean", "occupancy_without_acw", "calls_handled_per_agent_hour"}
)
#: Metrics of the offered inbound calls (NaN, or 0 for the counts, without any).
SERVICE_LEVEL_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.group == _L)


# ---------------------------------------------------------------- small numeric helpers


def _ratio(numerator: float | np.integer, denominator: float | np.integer) -> float:
    """numerator / denominator, NaN when the denominator is zero (never raises)."""
    return float(numerator) / float(denominator) if denominator else NAN


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else NAN


def _percentile(values: np.ndarray, q: float) -> float:
    # Linear interpolation (numpy's default) so a hand computation can check it.
    return float(np.percentile(values, q)) if values.size else NAN


# ---------------------------------------------------------------- prepared views


@dataclass(frozen=True)
class _Counted:
    """The counted leads and the call attempts on them, extracted once per result."""

    lead_mask: np.ndarray  # bool per lead: counted
    attempt_mask: np.ndarray  # bool per activity: a call on a counted lead
    attempt_source: np.ndarray  # int per activity: source of the attempt's lead


def _prepare(result: RunResult) -> _Counted:
    leads, attempts = result.leads, result.attempts
    lead_mask = counted_leads(result)
    lead_idx = attempts.lead.astype(np.int64, copy=False)
    attempt_mask = (attempts.channel == _CALL) & lead_mask[lead_idx]
    return _Counted(lead_mask, attempt_mask, leads.source[lead_idx])


def _per_source_values(values: tuple[float, ...], n_sources: int, what: str) -> np.ndarray:
    """A per-source money table as an array; an empty tuple means "not given" (all zero)."""
    if not values:
        return np.zeros(n_sources)
    if len(values) != n_sources:
        raise ValueError(f"RunResult.{what} has {len(values)} entries for {n_sources} sources")
    return np.asarray(values, dtype=np.float64)


# ---------------------------------------------------------------- metric groups


def _speed_metrics(created: np.ndarray, first_attempt: np.ndarray) -> dict[str, float]:
    n = created.size
    speed = first_attempt - created
    attempted = ~np.isnan(speed)
    got = speed[attempted]
    out = {
        "speed_to_first_attempt_mean_min": _mean(got),
        "speed_to_first_attempt_p50_min": _percentile(got, 50),
        "speed_to_first_attempt_p90_min": _percentile(got, 90),
    }
    for label, limit in (("1_min", 1.0), ("5_min", 5.0), ("60_min", 60.0), ("24_h", 1440.0)):
        out[f"share_first_attempt_within_{label}"] = _ratio(np.count_nonzero(got <= limit), n)
    out["share_never_attempted"] = _ratio(n - got.size, n)
    # A never-attempted lead waited (for ever); NaN comparisons are False, hence the OR.
    waited = ~attempted | (speed > WAIT_EPSILON_MIN)
    out["share_waited"] = _ratio(np.count_nonzero(waited), n)
    return out


def _contact_metrics(created: np.ndarray, first_contact: np.ndarray,
                     contact_attempt: np.ndarray) -> dict[str, float]:
    n = created.size
    reached = contact_attempt > 0
    speed = (first_contact - created)[reached]
    speed = speed[~np.isnan(speed)]
    return {
        "contact_rate": _ratio(np.count_nonzero(reached), n),
        "attempts_to_contact": _mean(contact_attempt[reached].astype(np.float64)),
        "speed_to_first_contact_mean_min": _mean(speed),
        "speed_to_first_contact_p50_min": _percentile(speed, 50),
        "speed_to_first_contact_p90_min": _percentile(speed, 90),
        "share_first_contact_within_5_min": _ratio(np.count_nonzero(speed <= 5.0), n),
        "share_first_contact_within_60_min": _ratio(np.count_nonzero(speed <= 60.0), n),
    }


def _service_level_metrics(result: RunResult, source: int | None) -> dict[str, float]:
    """The contact-centre view: offered calls, answered, abandoned, waits (see METRICS)."""
    offers = result.offers
    start, end = result.window
    if offers is None or len(offers) == 0:
        n = 0
        mask = np.zeros(0, dtype=bool)
    else:
        mask = (offers.offered >= start) & (offers.offered < end)
        if source is not None:
            mask &= result.leads.source[offers.lead] == source
        n = int(np.count_nonzero(mask))
    if n == 0 or offers is None:
        out = {name: NAN for name in SERVICE_LEVEL_METRICS}
        out.update(calls_offered=0.0, calls_answered=0.0, calls_abandoned=0.0)
        return out
    waited = offers.waited[mask] * 60.0  # seconds
    answered = offers.answered[mask] == OFFER_ANSWERED
    abandoned = offers.answered[mask] == OFFER_ABANDONED
    thresholds = np.asarray(result.service_level_seconds or
                            (DEFAULT_SERVICE_LEVEL_SECONDS,) * len(result.source_names), dtype=np.float64)
    limit = thresholds[result.leads.source[offers.lead[mask]]]
    # A wait within T up to float rounding: T = 20 s is 1/3 minute, not exact in binary.
    within = answered & (waited <= limit + 1e-9)
    queued = ~np.isnan(waited) & (waited > WAIT_EPSILON_MIN * 60.0) | ~(answered | abandoned)
    ended = waited[answered | abandoned]
    n_answered = int(np.count_nonzero(answered))
    n_abandoned = int(np.count_nonzero(abandoned))
    return {
        "calls_offered": float(n),
        "calls_answered": float(n_answered),
        "calls_abandoned": float(n_abandoned),
        "service_level": _ratio(np.count_nonzero(within), n),
        "asa_seconds": _mean(waited[answered]),
        "abandonment_rate": _ratio(n_abandoned, n),
        "abandonment_rate_of_queued": _ratio(n_abandoned, np.count_nonzero(queued)),
        "wait_mean_seconds": _mean(ended),
        "wait_p90_seconds": _percentile(ended, 90),
        "occupancy_without_acw": NAN,
        "calls_handled_per_agent_hour": NAN,
    }


def _floor_metrics(result: RunResult, conversions: int) -> dict[str, float]:
    """Rep- and floor-level metrics (overall only)."""
    reps, attempts, backlog = result.reps, result.attempts, result.backlog
    start, end = result.window
    in_window = (attempts.start >= start) & (attempts.start < end) & (attempts.channel == _CALL)
    sampled = (backlog.time >= start) & (backlog.time < end)
    offers = result.offers
    answered = 0
    if offers is not None and len(offers):
        answered = int(np.count_nonzero((offers.answered == OFFER_ANSWERED) & (offers.offered >= start)
                                        & (offers.offered < end)))
    wrap = reps.wrap_minutes
    return {
        "occupancy_without_acw": NAN if wrap is None else _ratio(
            reps.busy_minutes.sum() - wrap.sum(), reps.available_minutes.sum()),
        "calls_handled_per_agent_hour": _ratio(answered, reps.available_minutes.sum() / 60.0),
        "conversions_per_rep": _ratio(conversions, reps.team.size),
        "rep_occupancy": _ratio(reps.busy_minutes.sum(), reps.available_minutes.sum()),
        "activities_per_rep_day": _ratio(np.count_nonzero(in_window), reps.shift_days.sum()),
        "backlog_due_mean": _mean(backlog.due[sampled].astype(np.float64)),
        "backlog_new_mean": _mean(backlog.new[sampled].astype(np.float64)),
    }


def _compute(result: RunResult, counted: _Counted, source: int | None) -> dict[str, float]:
    leads, attempts = result.leads, result.attempts
    mask, att_mask = counted.lead_mask, counted.attempt_mask
    if source is not None:
        mask = mask & (leads.source == source)
        att_mask = att_mask & (counted.attempt_source == source)
    sel = np.flatnonzero(mask)
    n = int(sel.size)
    n_attempts = int(np.count_nonzero(att_mask))
    contacts = int(np.count_nonzero(np.isin(attempts.outcome[att_mask], _CONTACT_OUTCOMES)))
    created = leads.created[sel]
    lead_attempts = leads.attempts[sel].astype(np.float64)
    converted = leads.converted[sel]
    inbound = leads.inbound[sel]
    src = leads.source[sel].astype(np.int64)
    target = result.call_target

    out: dict[str, float] = {
        "leads": float(n),
        "attempts": float(n_attempts),
        "attempts_per_lead": _ratio(n_attempts, n),
    }
    out.update(_speed_metrics(created, leads.first_attempt[sel]))
    out["share_called_once"] = _ratio(np.count_nonzero(lead_attempts == 1), n)
    out["penetration_rate"] = _mean(lead_attempts / target * 100.0) if target > 0 else NAN
    out["penetration_rate_day1"] = (
        _mean(leads.attempts_day1[sel].astype(np.float64) / target * 100.0) if target > 0 else NAN
    )
    out.update(_contact_metrics(created, leads.first_contact[sel], leads.contact_attempt[sel]))
    out["attempt_contact_rate"] = _ratio(contacts, n_attempts)
    conversions = int(np.count_nonzero(converted))
    out["qualification_rate"] = _ratio(np.count_nonzero(leads.qualified[sel]), n)
    out["conversion_rate"] = _ratio(conversions, n)
    out["conversions"] = float(conversions)
    out.update(_service_level_metrics(result, source))  # sets the overall-only ones to NaN
    if source is None:
        out.update(_floor_metrics(result, conversions))
    else:
        out.update({name: NAN for name in OVERALL_ONLY})
    out["share_censored"] = _ratio(np.count_nonzero(leads.status[sel] == _CENSORED), n)
    n_inbound = int(np.count_nonzero(inbound))
    out["inbound_calls"] = float(n_inbound)
    out["inbound_answered_rate"] = _ratio(np.count_nonzero(leads.answered_live[sel][inbound]), n_inbound)
    out.update(_money_metrics(result, src, converted, conversions, overall=source is None))
    # Display order, so a dict printed or dumped reads like METRICS.
    return {name: out[name] for name in METRIC_NAMES}


def _money_metrics(result: RunResult, src: np.ndarray, converted: np.ndarray, conversions: int,
                   overall: bool) -> dict[str, float]:
    n_sources = len(result.source_names)
    values = _per_source_values(result.source_values, n_sources, "source_values")
    costs = _per_source_values(result.source_costs, n_sources, "source_costs")
    revenue = float(values[src[converted]].sum())
    cost = float(costs[src].sum())
    if overall:
        cost += float(result.rep_cost_per_hour) * float(result.reps.scheduled_hours.sum())
    return {
        "revenue": revenue,
        "cost": cost,
        "profit": revenue - cost,
        "cost_per_conversion": _ratio(cost, conversions),
    }


# ---------------------------------------------------------------- public API


def compute_metrics(result: RunResult, source: int | None = None) -> dict[str, float]:
    """Compute every metric of :data:`METRICS` for one replication.

    Args:
        result: the replication's logs.
        source: None for the whole floor, or a source index to restrict to the
            counted leads of that source (and the attempts on them). Metrics in
            :data:`OVERALL_ONLY` are NaN per source; per-source ``cost`` counts
            lead acquisition cost only.

    Returns:
        Metric name -> value (float; NaN where a denominator is empty), with a
        key for every metric, in display order.
    """
    return _compute(result, _prepare(result), source)


def compute_all(result: RunResult) -> dict[str, Any]:
    """Compute the metrics overall and for every source.

    Args:
        result: the replication's logs.

    Returns:
        ``{"metrics": {name: value}, "by_source": {source_name: {name: value}}}``.
    """
    counted = _prepare(result)  # shared by all the calls below: one pass over the logs
    return {
        "metrics": _compute(result, counted, None),
        "by_source": {
            name: _compute(result, counted, index) for index, name in enumerate(result.source_names)
        },
    }


def conversions_by_attempt(result: RunResult) -> list[float]:
    """Cumulative share of counted conversions reached by attempt k, for k = 1..max.

    Uses the attempt number of the contact (``contact_attempt``) of each
    converted counted lead. Entry k-1 is the share of conversions whose contact
    came at attempt k or earlier; the last entry is 1.0.

    Args:
        result: the replication's logs.

    Returns:
        The cumulative shares; an empty list when there is no conversion.
    """
    leads = result.leads
    mask = counted_leads(result) & leads.converted
    attempt_no = leads.contact_attempt[mask].astype(np.int64)
    if attempt_no.size == 0:
        return []
    counts = np.bincount(np.clip(attempt_no, 0, None), minlength=int(attempt_no.max()) + 1)
    # Index 0 would be a conversion without a contact: impossible, so it is left out of
    # the cumulative sum rather than hidden (the last share then shows it is missing).
    return [float(x) for x in np.cumsum(counts[1:]) / attempt_no.size]
