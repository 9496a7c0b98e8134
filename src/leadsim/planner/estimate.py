"""How much work a command is about to do, refused beyond a stated limit, and warnings.

A scenario can be valid -- every number within its documented bound -- and
still describe a simulation that would run for days or exhaust memory (a
million reps, ten years of a million leads a day, a thousand replications of
it). Before anything is simulated, ``run``, ``compare``, ``sweep`` and
``staff`` estimate the work from the scenario alone (no simulation, nothing
from the engine) and refuse beyond the limits below unless ``--force`` is given,
with the estimate in the message.

The estimate, per replication (upper bounds, from expected values):

* **leads**: each stream's expected leads per day times the simulated days
  (warm-up + window + drain), plus every batch that lands inside the run;
* **attempts**: leads times the call target (every lead called to the target);
* **rep-days**: reps times simulated days (shift starts, ends and breaks);
* **backlog samples**: simulated minutes / ``run.sample_minutes``;
* **events** = leads + attempts + 8 x rep-days + backlog samples.

Limits (from a measurement on the development machine, where one replication of
``baseline`` -- 36,449 estimated events -- took about 0.25 s, i.e. ~7 microseconds
per event, and a lead cost about 1 KB of memory while simulated):

* :data:`MAX_LEADS_PER_REPLICATION` leads in one replication (memory: ~1 GB);
* :data:`MAX_EVENTS` events in all, over every scenario and replication of the
  command (about 25 minutes of one core).

Warnings (printed on stderr, and kept in ``metrics.json`` by ``run``) say when
the measured window is too short for its results to mean what they seem to:
a batch that makes up a large share of the counted leads, or a warm-up much
longer than the window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from leadsim.planner.specs import SpecError
from leadsim.scenarios.schema import Scenario, parse_days
from leadsim.simulator.distributions import mean as distribution_mean
from leadsim.vocabulary import parse_hhmm, parse_interval

#: Most expected leads in one replication (each costs ~1 KB while simulated).
MAX_LEADS_PER_REPLICATION = 1_000_000
#: Most estimated events over a whole command (all scenarios and replications).
MAX_EVENTS = 200_000_000
#: Floor events per rep and simulated day (shift start/end, lunch, breaks, shrinkage).
EVENTS_PER_REP_DAY = 8
#: A batch in the measured window is flagged when it is at least this share of the counted leads.
BATCH_SHARE_WARNING = 0.25
#: The warm-up is flagged when it is more than this many times as long as the window.
WARMUP_RATIO_WARNING = 2.0


@dataclass(frozen=True)
class WorkEstimate:
    """The estimated size of one replication of one scenario.

    Attributes:
        leads: expected leads created in the whole run (warm-up, window, drain).
        attempts: upper bound on call attempts (leads x call target).
        reps: reps on the floor.
        rep_days: reps x simulated days.
        backlog_samples: backlog samples taken.
        events: leads + attempts + 8 x rep-days + backlog samples.
    """

    leads: float
    attempts: float
    reps: int
    rep_days: float
    backlog_samples: float
    events: float

    def describe(self) -> str:
        """A short summary such as ``~4,100 leads, 10 reps, ~37,000 events``."""
        return (f"~{_count(self.leads)} leads, {self.reps:,} reps, "
                f"~{_count(self.backlog_samples)} backlog samples, ~{_count(self.events)} events")


def _count(x: float) -> str:
    if x >= 1e15:
        return f"{x:.2g}"
    return f"{round(x):,}"


def _run_days(scenario: Scenario) -> float:
    run = scenario.run
    return run.warmup_days + run.days + run.drain_days


def _batch_minute(day: float, at: str) -> float:
    """Floor minutes (ignoring daylight saving) of a batch upload."""
    return math.floor(day) * 1440.0 + parse_hhmm(at)


def estimate(scenario: Scenario) -> WorkEstimate:
    """Estimate one replication of a validated scenario (no simulation)."""
    days = _run_days(scenario)
    end = days * 1440.0
    leads = 0.0
    for source in scenario.sources:
        if source.kind == "batch":
            leads += sum(b.count for b in source.batches if _batch_minute(b.day, b.at) < end)
        elif source.volume is not None:
            leads += source.volume.daily * days
    reps = sum(team.rep_count for team in scenario.teams)
    attempts = leads * scenario.policy.cadence.call_target
    rep_days = reps * days
    samples = end / scenario.run.sample_minutes
    events = leads + attempts + EVENTS_PER_REP_DAY * rep_days + samples
    return WorkEstimate(leads, attempts, reps, rep_days, samples, events)


def check_work(scenarios: Sequence[Scenario], replications: int, force: bool = False,
               what: str = "this command", evaluations: int = 1) -> float:
    """Refuse work beyond the limits unless ``force``.

    Args:
        scenarios: every scenario the command will simulate.
        replications: replications of each (the most a precision run may take).
        force: skip the refusal (``--force``).
        what: the command, for the message.
        evaluations: times each scenario is run (staff: headcounts it may try).

    Returns:
        The estimated events in all.

    Raises:
        SpecError: beyond a limit, with the estimate, the limit and how to proceed.
    """
    estimates = [estimate(s) for s in scenarios]
    total = sum(e.events for e in estimates) * replications * evaluations
    if force:
        return total
    biggest = max(range(len(estimates)), key=lambda i: estimates[i].leads)
    one = estimates[biggest]
    if one.leads > MAX_LEADS_PER_REPLICATION:
        raise SpecError(
            f"{what}: one replication of {scenarios[biggest].name!r} would simulate {one.describe()}; "
            f"the limit is {MAX_LEADS_PER_REPLICATION:,} leads per replication (about 1 KB of memory "
            "each). Shorten run.days / warmup_days / drain_days or the volumes, or pass --force")
    if total > MAX_EVENTS:
        runs = len(scenarios) * replications * evaluations
        raise SpecError(
            f"{what}: {runs:,} simulation run{'' if runs == 1 else 's'} of up to "
            f"{_count(max(e.events for e in estimates))} events each, ~{_count(total)} events in all (largest: {scenarios[biggest].name!r}, {one.describe()}); "
            f"the limit is {MAX_EVENTS:,} events (about 25 minutes of one core). Use fewer "
            "replications, points or days, or pass --force")
    return total


#: Offered load (work / rep time) from which the warm-up may be too short for the queue to settle.
LOAD_WARNING = 0.9


def _week_rep_minutes(team: Any) -> float:
    """Minutes a team's reps are on duty in a week (shifts less breaks and shrinkage, or its table)."""
    if team.staffing is not None:
        return 60.0 * sum(team.on_duty(team.staffing.values())) * (1.0 - team.shrinkage)
    minutes = 0.0
    for shift in team.shifts:
        length = parse_hhmm(shift.end) - parse_hhmm(shift.start)
        breaks = sum(b - a for a, b in (parse_interval(t) for t in ([shift.lunch] if shift.lunch else []) + list(shift.breaks)))
        minutes += len(parse_days(shift.days)) * (length - breaks)
    return minutes * (team.headcount or 0) * (1.0 - team.shrinkage)


def offered_load(scenario: Scenario) -> float:
    """A lower bound of the floor's offered load: work per week / reps' time on duty per week.

    Work counts one call per lead (an inbound call's talk and wrap-up; a first
    attempt's talk and wrap-up for other leads), at the handle times of the first
    team that works the source: retries and callbacks only add to it. NaN if no rep
    is ever on duty.
    """
    capacity = sum(_week_rep_minutes(t) for t in scenario.teams)
    work = 0.0
    for source in scenario.sources:
        team = next((t for t in scenario.teams if t.sources is None or source.name in t.sources), None)
        if team is None:
            continue
        handle = team.handle_for(source.name)
        per_call = distribution_mean(handle.talk) + distribution_mean(handle.wrap)
        if source.kind == "batch":
            weeks = max(scenario.run.warmup_days + scenario.run.days + scenario.run.drain_days, 1.0) / 7.0
            work += sum(b.count for b in source.batches) * per_call / weeks
        elif source.volume is not None:
            work += source.volume.daily * 7.0 * per_call
    return work / capacity if capacity > 0 else float("nan")


def load_warnings(scenario: Scenario) -> list[str]:
    """Warm-up advice: a floor loaded near or above 1 settles slowly (or, without abandonment, never)."""
    load = offered_load(scenario)
    if not load >= LOAD_WARNING:  # NaN: nobody on duty, nothing to advise
        return []
    run = scenario.run
    advice = (f"the offered load is at least {load:.0%} of the reps' time on duty: near or above 100% the "
              f"queue takes long to settle (and grows without end where callers never give up), so the "
              f"{run.warmup_days:g}-day warm-up may be too short for the measured window to see a settled "
              "floor; lengthen run.warmup_days, compare two warm-ups, or add reps")
    return [advice]


def window_warnings(scenario: Scenario) -> list[str]:
    """Warnings that the measured window is too short for what happens around it.

    * A batch counted in the window that is at least 25% of the counted leads:
      the results (and a staffing answer) are then mostly about the batch.
    * A warm-up more than twice as long as the window: the window mostly
      measures how the floor works off the warm-up's backlog.
    """
    run = scenario.run
    w0, w1 = run.warmup_days * 1440.0, (run.warmup_days + run.days) * 1440.0
    stream = sum(s.volume.daily * run.days for s in scenario.sources
                 if s.kind != "batch" and s.volume is not None)
    batch = sum(b.count for s in scenario.sources if s.kind == "batch" for b in s.batches
                if w0 <= _batch_minute(b.day, b.at) < w1)
    out = []
    counted = stream + batch
    if batch and batch >= BATCH_SHARE_WARNING * counted:
        out.append(f"batch uploads make up {batch / counted:.0%} of the ~{counted:,.0f} leads counted in "
                   f"the {run.days:g}-day measured window ({batch:,} batch leads): the results are "
                   "mostly about the batch; lengthen the window (--days / run.days) to see the "
                   "everyday floor")
    if run.warmup_days > WARMUP_RATIO_WARNING * run.days:
        out.append(f"the {run.warmup_days:g}-day warm-up is more than {WARMUP_RATIO_WARNING:g} times the "
                   f"{run.days:g}-day measured window: the window mostly measures how the floor works "
                   "off the warm-up's backlog; lengthen --days (run.days)")
    return out + load_warnings(scenario)
