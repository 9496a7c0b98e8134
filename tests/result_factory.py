"""Build small RunResult objects by hand (and random ones for fakes and speed checks).

Tests of metrics, aggregation and writers use these instead of the simulator, so
every number they check can be computed by hand from a few written-out leads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from leadsim.simulator.results import (
    CHANNELS,
    LEAD_STATUSES,
    OUTCOMES,
    AttemptLog,
    BacklogSamples,
    LeadLog,
    OfferLog,
    RepLog,
    RunResult,
)

NAN = float("nan")

_LEAD_DEFAULTS: dict[str, Any] = {
    "source": 0, "created": 0.0, "timezone": 0, "quality": 0.5, "inbound": False,
    "answered_live": False, "first_attempt": NAN, "first_contact": NAN, "contact_attempt": 0,
    "attempts": 0, "attempts_day1": 0, "status": "exhausted", "closed_at": NAN,
    "qualified": False, "converted": False, "rep": -1,
}
_LEAD_DTYPES: dict[str, Any] = {
    "source": np.int16, "created": np.float64, "timezone": np.int16, "quality": np.float64,
    "inbound": bool, "answered_live": bool, "first_attempt": np.float64,
    "first_contact": np.float64, "contact_attempt": np.int16, "attempts": np.int16,
    "attempts_day1": np.int16, "status": np.int8, "closed_at": np.float64, "qualified": bool,
    "converted": bool, "rep": np.int32,
}


def lead(**fields: Any) -> dict[str, Any]:
    """One lead as a dict; unspecified fields take neutral defaults. status is a name."""
    unknown = set(fields) - set(_LEAD_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown lead fields {sorted(unknown)}")
    return {**_LEAD_DEFAULTS, **fields}


def attempt(lead_id: int, start: float, outcome: str = "no_answer", rep: int = 0,
            channel: str = "call", duration: float = 1.0, number: int = 1) -> dict[str, Any]:
    """One activity as a dict (outcome and channel by name)."""
    return {"lead": lead_id, "start": start, "outcome": outcome, "rep": rep,
            "channel": channel, "duration": duration, "attempt": number}


def _lead_log(leads: Sequence[dict[str, Any]]) -> LeadLog:
    columns: dict[str, np.ndarray] = {}
    for name, dtype in _LEAD_DTYPES.items():
        raw = [row[name] for row in leads]
        if name == "status":
            raw = [LEAD_STATUSES.index(v) if isinstance(v, str) else v for v in raw]
        columns[name] = np.asarray(raw, dtype=dtype)
    return LeadLog(**columns)


def _attempt_log(attempts: Sequence[dict[str, Any]]) -> AttemptLog:
    def col(name: str, dtype: Any) -> np.ndarray:
        return np.asarray([row[name] for row in attempts], dtype=dtype)

    return AttemptLog(
        lead=col("lead", np.int64),
        rep=col("rep", np.int32),
        start=col("start", np.float64),
        duration=col("duration", np.float64),
        outcome=np.asarray([OUTCOMES.index(r["outcome"]) for r in attempts], dtype=np.int8),
        channel=np.asarray([CHANNELS.index(r["channel"]) for r in attempts], dtype=np.int8),
        attempt=col("attempt", np.int16),
    )


def make_result(
    leads: Sequence[dict[str, Any]],
    attempts: Sequence[dict[str, Any]] = (),
    *,
    window: tuple[float, float] = (0.0, 1000.0),
    sources: tuple[str, ...] = ("web", "inbound"),
    source_values: tuple[float, ...] = (),
    source_costs: tuple[float, ...] = (),
    rep_cost_per_hour: float = 0.0,
    call_target: int = 4,
    available: Sequence[float] = (),
    busy: Sequence[float] = (),
    scheduled_hours: Sequence[float] = (),
    shift_days: Sequence[int] = (),
    backlog: Sequence[tuple[float, int, int]] = (),
    offers: Sequence[tuple[int, float, float, int, int]] = (),
    wrap: Sequence[float] | None = None,
    service_level_seconds: tuple[float, ...] = (),
    timezones: tuple[str, ...] = ("America/Chicago",),
    replication: int = 0,
    seed: int = 1,
) -> RunResult:
    """Assemble a RunResult from hand-written leads, attempts, reps and backlog samples.

    Reps are given column-wise (available/busy minutes, scheduled hours, shift days);
    backlog samples as (time, due, new) triples.
    """
    n_reps = len(available)
    reps = RepLog(
        team=np.zeros(n_reps, dtype=np.int16),
        available_minutes=np.asarray(available, dtype=np.float64),
        busy_minutes=np.asarray(busy if n_reps else (), dtype=np.float64),
        scheduled_hours=np.asarray(scheduled_hours if n_reps else (), dtype=np.float64),
        shift_days=np.asarray(shift_days if n_reps else (), dtype=np.int32),
        wrap_minutes=None if wrap is None else np.asarray(wrap, dtype=np.float64),
    )
    samples = np.asarray(backlog, dtype=np.float64).reshape(-1, 3)
    return RunResult(
        scenario_name="hand", replication=replication, seed=seed, window=window,
        end=window[1] + 5000.0, source_names=sources, team_names=("team",),
        timezones=timezones, call_target=call_target, leads=_lead_log(leads),
        attempts=_attempt_log(attempts), reps=reps,
        backlog=BacklogSamples(time=samples[:, 0], due=samples[:, 1].astype(np.int32),
                               new=samples[:, 2].astype(np.int32)),
        source_values=source_values, source_costs=source_costs,
        rep_cost_per_hour=rep_cost_per_hour,
        offers=OfferLog(
            lead=np.asarray([o[0] for o in offers], dtype=np.int64),
            offered=np.asarray([o[1] for o in offers], dtype=np.float64),
            waited=np.asarray([o[2] for o in offers], dtype=np.float64),
            answered=np.asarray([o[3] for o in offers], dtype=np.int8),
            offer=np.asarray([o[4] for o in offers], dtype=np.int16),
        ),
        service_level_seconds=service_level_seconds,
    )


def random_result(n_leads: int, seed: int = 0, replication: int = 0) -> RunResult:
    """A random but internally consistent RunResult with about n_leads leads.

    Each lead gets 0..4 call attempts spaced after creation; a contact ends the
    cadence. Used for fakes of ``simulate`` and for speed checks.
    """
    rng = np.random.default_rng([seed, replication])
    created = np.sort(rng.uniform(-1000.0, 11000.0, n_leads))
    source = rng.integers(0, 2, n_leads).astype(np.int16)
    planned = rng.integers(0, 5, n_leads)
    reached_at = np.where(rng.random(n_leads) < 0.4, rng.integers(1, 5, n_leads), 0)
    reached_at = np.where(reached_at <= planned, reached_at, 0)
    n_att = np.where(reached_at > 0, reached_at, planned).astype(np.int16)
    lead_idx = np.repeat(np.arange(n_leads), n_att)
    number = np.arange(lead_idx.size) - np.repeat(np.cumsum(n_att) - n_att, n_att) + 1
    start = created[lead_idx] + number * rng.exponential(30.0, lead_idx.size)
    hit = number == reached_at[lead_idx]
    converted_lead = (reached_at > 0) & (rng.random(n_leads) < 0.3)
    outcome = np.where(hit, np.where(converted_lead[lead_idx], 6, 4), 0).astype(np.int8)
    first = np.full(n_leads, np.nan)
    first[lead_idx[number == 1]] = start[number == 1]
    contact = np.full(n_leads, np.nan)
    contact[lead_idx[hit]] = start[hit]
    status = np.select([converted_lead, reached_at > 0], [1, 2], 3).astype(np.int8)
    status[(n_att == 0) & (rng.random(n_leads) < 0.5)] = LEAD_STATUSES.index("censored")
    leads = LeadLog(
        source=source, created=created, timezone=np.zeros(n_leads, np.int16),
        quality=rng.beta(2, 5, n_leads), inbound=source == 1,
        answered_live=(source == 1) & (rng.random(n_leads) < 0.7), first_attempt=first,
        first_contact=contact, contact_attempt=reached_at.astype(np.int16), attempts=n_att,
        attempts_day1=n_att, status=status, closed_at=np.where(status == 7, np.nan, created + 500),
        qualified=converted_lead | ((reached_at > 0) & (rng.random(n_leads) < 0.2)),
        converted=converted_lead, rep=np.where(reached_at > 0, 0, -1).astype(np.int32),
    )
    order = np.argsort(start, kind="stable")
    attempts = AttemptLog(
        lead=lead_idx[order].astype(np.int64), rep=rng.integers(0, 10, lead_idx.size)[order].astype(np.int32),
        start=start[order], duration=rng.exponential(3.0, lead_idx.size)[order],
        outcome=outcome[order], channel=np.zeros(lead_idx.size, np.int8),
        attempt=number[order].astype(np.int16),
    )
    reps = RepLog(
        team=np.zeros(10, np.int16), available_minutes=np.full(10, 4000.0),
        busy_minutes=rng.uniform(1000, 3000, 10), scheduled_hours=np.full(10, 80.0),
        shift_days=np.full(10, 10, np.int32),
    )
    times = np.arange(-1000.0, 16000.0, 15.0)
    return RunResult(
        scenario_name="random", replication=replication, seed=seed, window=(0.0, 10000.0),
        end=16000.0, source_names=("web", "inbound"), team_names=("team",),
        timezones=("America/Chicago",), call_target=4, leads=leads, attempts=attempts,
        reps=reps,
        backlog=BacklogSamples(time=times, due=rng.integers(0, 50, times.size).astype(np.int32),
                               new=rng.integers(0, 20, times.size).astype(np.int32)),
        source_values=(1000.0, 500.0), source_costs=(10.0, 0.0), rep_cost_per_hour=30.0,
    )


def fake_simulate(scenario: Any, *, seed: int, replication: int) -> RunResult:
    """A picklable stand-in for ``leadsim.simulator.run.simulate`` (deterministic in seed, r)."""
    return random_result(int(scenario.get("leads", 300)) if isinstance(scenario, dict) else 300,
                         seed=seed, replication=replication)


def fake_simulate_first_slow(scenario: Any, *, seed: int, replication: int) -> RunResult:
    """Like :func:`fake_simulate`, but replication 0 finishes last when run in parallel."""
    import time

    if replication == 0:
        time.sleep(0.5)
    return fake_simulate(scenario, seed=seed, replication=replication)
