"""Run one replication of a scenario: build the floor, simulate, return a RunResult."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import simpy

from leadsim.engine import Engine, FloorCalendar, NewLead, RepView
from leadsim.scenarios.schema import PatienceFixed, Scenario, Source
from leadsim.simulator import streams
from leadsim.simulator.arrivals import SourceArrivals, generate
from leadsim.simulator.distributions import sampler
from leadsim.simulator.engine_config import engine_config
from leadsim.simulator.floor import CallerRules, Floor, Rep
from leadsim.simulator.physics import Physics
from leadsim.simulator.recorder import Recorder
from leadsim.simulator.results import AttemptLog, RepLog, RunResult
from leadsim.simulator.shifts import overlap, rep_schedule
from leadsim.simulator.spacing import gap_provider


def run_window(scenario: Scenario) -> tuple[float, float, float]:
    """(window start, window end, run end) in floor minutes."""
    run = scenario.run
    start = run.warmup_days * 1440.0
    stop = start + run.days * 1440.0
    return start, stop, stop + run.drain_days * 1440.0


def _zones(scenario: Scenario) -> list[str]:
    zones = [scenario.calendar.timezone]
    for source in scenario.sources:
        for zone in source.timezones or {}:
            if zone not in zones:
                zones.append(zone)
    return zones


def _merge_arrivals(draws: list[SourceArrivals]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order all leads by (time, source index, index within source) -> lead ids."""
    times = np.concatenate([d.times for d in draws]) if draws else np.zeros(0)
    src = np.concatenate([np.full(d.times.size, i, dtype=np.int64) for i, d in enumerate(draws)])
    idx = np.concatenate([np.arange(d.times.size) for d in draws])
    order = np.lexsort((idx, src, times))
    return times[order], src[order], idx[order]


def build_reps(scenario: Scenario, calendar: FloorCalendar, end: float, seed: int, replication: int) -> list[Rep]:
    """The floor's reps with their schedules (deterministic for the seed and replication)."""
    holidays = set(scenario.calendar.holidays)
    reps: list[Rep] = []
    for t_index, team in enumerate(scenario.teams):
        sources = frozenset(team.sources) if team.sources is not None else None
        stages = frozenset(team.stages)
        human = team.behaviour != "engine"
        cherry_pick = team.behaviour.human.cherry_pick if human else 0.0  # type: ignore[union-attr]
        for i in range(team.rep_count):
            rng = streams.generator(seed, replication, streams.REPS, streams.name_key(team.name), i)
            schedule = rep_schedule(team, t_index, calendar, holidays, end, rng, i)
            rep_id = len(reps)
            view = RepView(rep_id, team.name, sources, stages, human)
            reps.append(Rep(rep_id, t_index, view, schedule, cherry_pick, rng))
    return reps


def _give_up_counts(scenario: Scenario, src: Sequence[int], keys: Sequence[int]) -> list[int | None]:
    """Per lead, after how many calls a human owner gives up (None if no human team works it).

    Drawn from the lead's own luck, so the same lead gets the same patience in every
    scenario; the distribution is that of the first human team working the source.
    """
    by_source: list[list[tuple[float, int]] | None] = []
    for source in scenario.sources:
        table = None
        for team in scenario.teams:
            if team.behaviour != "engine" and (team.sources is None or source.name in team.sources):
                rules = team.behaviour.human.gives_up_after
                choices = {rules.fixed: 1.0} if rules.fixed is not None else dict(rules.choices or {})
                total = sum(choices.values())
                cumulative, acc = [], 0.0
                for count in sorted(choices):
                    acc += choices[count] / total
                    cumulative.append((acc, count))
                table = cumulative
                break
        by_source.append(table)
    out: list[int | None] = []
    for s, key in zip(src, keys):
        table = by_source[s]
        if table is None:
            out.append(None)
            continue
        u = streams.uniform_pair(key, 0, streams.SLOT_BAD_NUMBER)[1]
        out.append(next((count for acc, count in table if u < acc), table[-1][1]))
    return out


def _wrap_in_window(physics: Physics, reps: list[Rep], attempts: AttemptLog, window: tuple[float, float]) -> np.ndarray:
    """Per rep, the wrap-up (after-call work) minutes of its attempts inside the window.

    Wrap-up is the end of each attempt's rep time. It is recomputed from the same
    per-attempt luck the physics drew it from, so nothing is added to the hot path.
    """
    lo, hi = window
    wrap_total = np.zeros(len(reps))
    calls = np.flatnonzero(attempts.rep >= 0)
    if calls.size == 0:
        return wrap_total
    rep_ids = attempts.rep[calls].astype(np.int64)
    team_of = np.asarray([r.team for r in reps], dtype=np.int64)[rep_ids]
    # A fixed wrap-up per team is one number; otherwise (drawn, or by source) per attempt.
    fixed = [t.wrap_fixed if physics.source_times is None else None for t in physics.teams]
    wrap = np.empty(calls.size)
    for team, value in enumerate(fixed):
        on_team = team_of == team
        if value is not None:
            wrap[on_team] = value
        else:
            for i in np.flatnonzero(on_team):
                row = calls[i]
                wrap[i] = physics.wrap_minutes(int(attempts.lead[row]), int(attempts.attempt[row]), team)
    ends = attempts.start[calls] + attempts.duration[calls]
    starts = ends - np.minimum(wrap, attempts.duration[calls])
    inside = np.clip(np.minimum(ends, hi) - np.maximum(starts, lo), 0.0, None)
    np.add.at(wrap_total, rep_ids, inside)
    return wrap_total


def _rep_log(reps: list[Rep], attempts: AttemptLog, window: tuple[float, float], wrap: np.ndarray) -> RepLog:
    lo, hi = window
    attempts_rep, attempts_start, attempts_dur = attempts.rep, attempts.start, attempts.duration
    n = len(reps)
    busy = np.zeros(n)
    calls = attempts_rep >= 0
    ends = attempts_start + attempts_dur
    inside = np.clip(np.minimum(ends, hi) - np.maximum(attempts_start, lo), 0.0, None)
    np.add.at(busy, attempts_rep[calls], inside[calls])
    shift_days = []
    for rep in reps:
        days = {int(a // 1440.0) for a, b in rep.schedule.shifts if b > lo and a < hi}
        shift_days.append(len(days))
    return RepLog(
        team=np.asarray([r.team for r in reps], dtype=np.int16),
        available_minutes=np.asarray([overlap(r.schedule.intervals, lo, hi) for r in reps]),
        busy_minutes=busy,
        scheduled_hours=np.asarray([overlap(r.schedule.shifts, lo, hi) / 60.0 for r in reps]),
        shift_days=np.asarray(shift_days, dtype=np.int32),
        wrap_minutes=wrap,
    )


def caller_rules(source: Source) -> CallerRules:
    """How a source's live callers wait and what they do after hanging up."""
    patience = source.patience_seconds
    if isinstance(patience, (int, float)):
        waits: float | Callable[[float], float] = float(patience) / 60.0
    elif isinstance(patience, PatienceFixed):
        waits = float(patience.fixed) / 60.0
    else:
        in_seconds = sampler(patience)

        def waits(u: float) -> float:  # seconds -> minutes
            return in_seconds(u) / 60.0

    rules = source.abandonment
    return CallerRules(
        patience=waits,
        then=rules.then,
        retry_probability=float(rules.retry_probability),
        retry_delay=sampler(rules.retry_delay_minutes),
        max_redials=rules.max_redials,
    )


def simulate(scenario: Scenario, seed: int | None = None, replication: int = 0) -> RunResult:
    """Simulate one replication.

    Args:
        scenario: a validated scenario.
        seed: root seed (default: the scenario's ``run.seed``).
        replication: replication index; its streams are spawned from (seed, replication).

    Returns:
        The run's logs.
    """
    seed = scenario.run.seed if seed is None else seed
    calendar = FloorCalendar(scenario.calendar.start, scenario.calendar.timezone)
    w0, w1, end = run_window(scenario)
    zones = _zones(scenario)
    holidays = frozenset(scenario.calendar.holidays)
    draws = [generate(s, calendar, end, zones, seed, replication, holidays) for s in scenario.sources]
    times, src, idx = _merge_arrivals(draws)
    keys_by_source = [streams.lead_keys(seed, replication, s.name, d.times.size) for s, d in zip(scenario.sources, draws)]
    src_l, idx_l = src.tolist(), idx.tolist()
    quality = [float(draws[s].quality[j]) for s, j in zip(src_l, idx_l)]
    tz_index = [int(draws[s].timezone[j]) for s, j in zip(src_l, idx_l)]
    live_source = [s.kind == "inbound_call" for s in scenario.sources]
    inbound = [live_source[s] for s in src_l]
    recorder = Recorder(src_l, times.tolist(), quality, tz_index, inbound, [keys_by_source[s][j] for s, j in zip(src_l, idx_l)])

    names = [s.name for s in scenario.sources]
    lead_zones = [zones[z] for z in tz_index]
    give_up = _give_up_counts(scenario, src_l, recorder.key)
    # A generator: each NewLead is made when its arrival comes up, not all up front.
    leads = (
        NewLead(i, names[s], t, lead_zones[i], q, live_source[s], g)
        for i, (t, s, q, g) in enumerate(zip(times.tolist(), src_l, quality, give_up))
    )
    env = simpy.Environment()
    engine = Engine(engine_config(scenario), calendar, gap=gap_provider(scenario, recorder.key))
    physics = Physics(scenario, calendar, [d.mean_quality for d in draws])
    reps = build_reps(scenario, calendar, end, seed, replication)
    for rep in reps:
        engine.add_rep(rep.view)
    floor = Floor(env, engine, physics, recorder, reps, lead_zones)
    callers = {s.name: caller_rules(s) for s in scenario.sources}
    floor.start(times.tolist(), leads, callers, end, scenario.run.sample_minutes)
    env.run(until=end)
    floor.unanswered()
    engine.close_all(end)

    attempts = recorder.attempt_log()
    return RunResult(
        scenario_name=scenario.name,
        replication=replication,
        seed=seed,
        window=(w0, w1),
        end=end,
        source_names=tuple(names),
        team_names=tuple(t.name for t in scenario.teams),
        timezones=tuple(zones),
        call_target=scenario.policy.cadence.call_target,
        leads=recorder.lead_log(),
        attempts=attempts,
        reps=_rep_log(reps, attempts, (w0, w1), _wrap_in_window(physics, reps, attempts, (w0, w1))),
        backlog=recorder.backlog_samples(),
        source_values=tuple(s.value_per_conversion for s in scenario.sources),
        source_costs=tuple(s.cost_per_lead for s in scenario.sources),
        rep_cost_per_hour=scenario.economics.rep_cost_per_hour,
        offers=recorder.offer_log(),
        service_level_seconds=tuple(float(s.service_level_seconds) for s in scenario.sources),
    )
