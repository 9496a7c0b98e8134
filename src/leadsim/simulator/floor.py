"""The SimPy model of a sales floor hosting the engine.

Processes: one per rep (works its intervals, pulls work from the engine), one
feeding arrivals, one sampling the backlog. No process per pending lead and no
polling: an idle rep waits on its own event, and a single dispatcher timer,
armed only while some rep is idle, fires when the engine's next lead falls due.
Inbound callers' patience is a plain timeout callback.

Ties at the same simulated time break deterministically: SimPy processes
same-time events in scheduling order, arrivals are fed in (time, source, index)
order and idle reps are offered work longest-idle first.
"""

from __future__ import annotations

from typing import Generator, Iterable

import numpy as np
import simpy

from leadsim.engine import AttemptResult, Engine, LeadClosed, NewLead, RepView, StepSent
from leadsim.simulator.physics import Physics
from leadsim.simulator.recorder import Recorder
from leadsim.simulator.shifts import RepSchedule

INF = float("inf")


class Rep:
    """A rep on the floor: identity, schedule and the event it sleeps on when idle."""

    __slots__ = ("rep_id", "team", "view", "schedule", "wake", "shift_end", "cherry_pick", "rng")

    def __init__(
        self,
        rep_id: int,
        team: int,
        view: RepView,
        schedule: RepSchedule,
        cherry_pick: float = 0.0,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.rep_id = rep_id
        self.team = team
        self.view = view
        self.schedule = schedule
        self.wake: simpy.Event | None = None
        self.shift_end = 0.0
        self.cherry_pick = cherry_pick  # chance a (human) rep picks its best-looking lead
        self.rng = rng  # the rep's own behaviour stream

    def wants_best_looking(self) -> bool:
        """Whether this time the rep cherry-picks (a draw from its own stream)."""
        return self.cherry_pick > 0.0 and self.rng is not None and self.rng.random() < self.cherry_pick


class Floor:
    """Reps, arrivals and the dispatcher around one engine.

    Args:
        env: the SimPy environment.
        engine: the lead engine (already configured).
        physics: draws attempt outcomes.
        recorder: collects the logs.
        reps: the reps.
        lead_zones: zone name per lead id.
    """

    def __init__(
        self,
        env: simpy.Environment,
        engine: Engine,
        physics: Physics,
        recorder: Recorder,
        reps: list[Rep],
        lead_zones: list[str],
    ) -> None:
        self.env = env
        self.engine = engine
        self.physics = physics
        self.rec = recorder
        self.reps = reps
        self.lead_zones = lead_zones
        self.idle: dict[int, Rep] = {}
        self._timer_at = INF
        self._timer_event: simpy.Event | None = None
        engine.on_close = self._on_close
        engine.on_step = self._on_step

    # ---------------------------------------------------------------- engine listeners

    def _on_close(self, closed: LeadClosed) -> None:
        self.rec.lead_closed(closed.lead_id, closed.status, closed.at)

    def _on_step(self, step: StepSent) -> None:
        self.rec.step(step.lead_id, step.channel, step.at)

    # ---------------------------------------------------------------- processes

    def start(self, arrival_times: list[float], arrival_leads: Iterable[NewLead], patience: dict[str, float], until: float, sample_every: float) -> None:
        """Start every process."""
        for rep in self.reps:
            self.env.process(self._rep_loop(rep))
        self.env.process(self._arrivals(arrival_times, arrival_leads, patience))
        self.env.process(self._sampler(until, sample_every))

    def _arrivals(self, times: list[float], leads: Iterable[NewLead], patience: dict[str, float]) -> Generator:
        env, engine = self.env, self.engine
        for t, lead in zip(times, leads):
            if t > env.now:
                yield env.timeout(t - env.now)
            engine.lead_arrived(lead, env.now)
            if lead.live:
                wait = patience[lead.source]
                env.timeout(wait).callbacks.append(lambda _ev, lid=lead.lead_id: self._abandon(lid))
            if self.idle:
                self._dispatch()

    def _abandon(self, lead_id: int) -> None:
        if self.engine.caller_abandoned(lead_id, self.env.now) and self.idle:
            self._arm_timer()

    def _sampler(self, until: float, every: float) -> Generator:
        env, engine = self.env, self.engine
        while env.now <= until:
            engine.advance(env.now)
            due, new = engine.backlog()
            self.rec.backlog(env.now, due, new)
            yield env.timeout(every)

    def _rep_loop(self, rep: Rep) -> Generator:
        # The call is inlined (no ``yield from`` helper): this loop runs once per attempt.
        env, engine, rec, physics = self.env, self.engine, self.rec, self.physics
        zones = self.lead_zones
        for start, end in rep.schedule.intervals:
            if env.now >= end:
                continue  # a long call ran over this whole (short) interval
            if env.now < start:
                yield env.timeout(start - env.now)
            rep.shift_end = end
            env.timeout(end - env.now).callbacks.append(lambda _ev, r=rep: self._off_shift(r))
            while env.now < end:
                dial = engine.next_for(rep.view, env.now, rep.cherry_pick > 0.0 and rep.wants_best_looking())
                if dial is None:
                    rep.wake = env.event()
                    self.idle[rep.rep_id] = rep
                    self._arm_timer()
                    dial = yield rep.wake
                    if dial is None:
                        continue  # woken by the end of the shift
                now = env.now
                lead_id = dial.lead_id
                draw = physics.attempt(
                    rec.key[lead_id],
                    rec.source[lead_id],
                    zones[lead_id],
                    rec.quality[lead_id],
                    dial.created_at,
                    dial.attempt,
                    dial.live,
                    dial.steps_sent,
                    rep.team,
                    now,
                )
                rec.attempt_started(lead_id, rep.rep_id, now, draw, dial)
                yield env.timeout(draw.minutes)
                engine.attempt_ended(AttemptResult(lead_id, rep.rep_id, now, env.now, draw.outcome))
                if self.idle:
                    # An ended attempt only schedules its lead for later (or closes it),
                    # so idle reps need a timer for the new due time, not a dispatch now.
                    self._arm_timer()

    # ---------------------------------------------------------------- dispatcher

    def _off_shift(self, rep: Rep) -> None:
        if self.idle.pop(rep.rep_id, None) is not None and rep.wake is not None:
            rep.wake.succeed(None)

    def _dispatch(self) -> None:
        """Offer due work to idle reps, longest idle first; then re-arm the timer."""
        now, engine = self.env.now, self.engine
        engine.advance(now)
        for rep in list(self.idle.values()):
            if engine.backlog()[0] == 0:
                break
            if rep.shift_end <= now:
                continue  # its off-shift callback at this same instant has not run yet
            dial = engine.next_for(rep.view, now, rep.cherry_pick > 0.0 and rep.wants_best_looking())
            if dial is not None:
                del self.idle[rep.rep_id]
                rep.wake.succeed(dial)  # type: ignore[union-attr]
        self._arm_timer()

    def _arm_timer(self) -> None:
        if not self.idle:
            return
        due = self.engine.next_due_time()
        if due is None or due >= self._timer_at:
            return
        self._timer_at = due
        event = self.env.timeout(max(0.0, due - self.env.now))
        self._timer_event = event
        event.callbacks.append(self._on_timer)

    def _on_timer(self, event: simpy.Event) -> None:
        if event is not self._timer_event:
            return  # superseded by an earlier timer
        self._timer_at = INF
        self._timer_event = None
        self._dispatch()
