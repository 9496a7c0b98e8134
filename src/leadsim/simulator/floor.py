"""The SimPy model of a sales floor hosting the engine.

Reps, arrivals and the backlog sampler are event-driven: each is a small state
machine whose steps run as callbacks of SimPy events, not a generator process
(a process resume costs a generator switch per event, and a rep has one or two
events per attempt). No process per pending lead and no polling: an idle rep
waits to be handed work, and a single dispatcher timer, armed only while some
rep is idle, fires when the engine's next lead falls due. Inbound callers'
patience is a plain timeout callback (one per ring: a caller who redials rings
anew), drawn per caller and per ring from the caller's own luck.

The order in which each callback schedules its events is part of the results
(SimPy runs same-time events in scheduling order): reorder them and the numbers
change, though the same seed still gives the same numbers. The per-attempt
paths read the clock as ``env._now``: the attribute behind SimPy's ``now``
property, without the cost of a property call.

Ties at the same simulated time break deterministically: SimPy processes
same-time events in scheduling order, arrivals are fed in (time, source, index)
order and idle reps are offered work longest-idle first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
import simpy

from leadsim.engine import (
    AttemptResult,
    Dial,
    Engine,
    LeadClosed,
    NewLead,
    RepView,
    StepSent,
)
from leadsim.simulator import streams
from leadsim.simulator.physics import Physics
from leadsim.simulator.recorder import Recorder
from leadsim.simulator.results import OFFER_ABANDONED, OFFER_ANSWERED, OFFER_WAITING
from leadsim.simulator.shifts import RepSchedule
from leadsim.vocabulary import CALLBACK, LOST, RETRY, AbandonAction

INF = float("inf")
_new_tuple = tuple.__new__


@dataclass(frozen=True)
class CallerRules:
    """How the live callers of one inbound source behave.

    Attributes:
        patience: fixed patience in minutes, or a sampler turning a uniform into minutes.
        then: what a caller who hung up does: callback, lost or retry.
        retry_probability: retry: chance of ringing again after each hang-up.
        retry_delay: retry: sampler of the minutes from hanging up to ringing again.
        max_redials: retry: redials after which a caller who hangs up is lost.
    """

    patience: float | Callable[[float], float]
    then: AbandonAction = CALLBACK
    retry_probability: float = 0.0
    retry_delay: Callable[[float], float] | None = None
    max_redials: int = 0


class Rep:
    """A rep on the floor: identity, schedule and where it is in its day.

    ``interval`` is the index of the next schedule interval to start; ``shift_end``
    the end of the current one. While a call is under way, ``lead_id``, ``started``
    and ``outcome`` describe it; ``handed`` is the dial handed to it while it was idle.
    ``on_ended`` and ``on_woken`` are the rep's event callbacks, bound once.
    """

    __slots__ = (
        "cherry_pick",
        "handed",
        "interval",
        "lead_id",
        "on_ended",
        "on_woken",
        "outcome",
        "rep_id",
        "rng",
        "schedule",
        "shift_end",
        "started",
        "team",
        "view",
    )

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
        self.shift_end = 0.0
        self.cherry_pick = cherry_pick  # chance a (human) rep picks its best-looking lead
        self.rng = rng  # the rep's own behaviour stream
        self.interval = 0
        self.lead_id = -1
        self.started = 0.0
        self.outcome = ""
        self.handed: Dial | None = None
        self.on_ended: Callable[[simpy.Event], None] | None = None
        self.on_woken: Callable[[simpy.Event], None] | None = None

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
        self._arrivals: Iterator[tuple[float, NewLead]] = iter(())
        self._arriving: NewLead | None = None
        self._callers: dict[str, CallerRules] = {}
        self._ringing: dict[int, tuple[float, int]] = {}  # live caller -> (rang at, offer number)
        self._sample_until = 0.0
        self._sample_every = 0.0
        engine.on_close = self._on_close
        engine.on_step = self._on_step
        physics.use_leads(recorder.key, recorder.source, lead_zones, recorder.quality)
        for rep in reps:
            # partial, not a lambda: called with the event, it runs the method with
            # no intermediate Python frame (these fire once or twice per attempt).
            rep.on_ended = partial(self._call_ended, rep)
            rep.on_woken = partial(self._woken, rep)

    # ---------------------------------------------------------------- engine listeners

    def _on_close(self, closed: LeadClosed) -> None:
        self.rec.lead_closed(closed.lead_id, closed.status, closed.at)
        self.physics.lead_closed(closed.lead_id)

    def _on_step(self, step: StepSent) -> None:
        self.rec.step(step.lead_id, step.channel, step.at)

    # ---------------------------------------------------------------- start

    def start(self, arrival_times: list[float], arrival_leads: Iterable[NewLead], callers: dict[str, CallerRules], until: float, sample_every: float) -> None:
        """Start the reps, the arrivals and the backlog sampler.

        Each starts from its own event at time zero, reps first, in this order; all
        share one priority, so everything they schedule keeps the same order.
        """
        env = self.env
        self._arrivals = zip(arrival_times, arrival_leads)
        self._callers = callers
        self._sample_until, self._sample_every = until, sample_every
        for rep in self.reps:
            env.timeout(0.0).callbacks.append(partial(self._next_interval_at, rep))
        env.timeout(0.0).callbacks.append(self._first_arrival)
        env.timeout(0.0).callbacks.append(self._sample)

    # ---------------------------------------------------------------- arrivals and sampler

    def _next_arrival(self) -> None:
        """Feed every lead due by now to the engine, then wait for the next one."""
        env = self.env
        for t, lead in self._arrivals:
            now = env._now
            if t > now:
                self._arriving = lead
                env.timeout(t - now).callbacks.append(self._on_arrival)
                return
            self._arrive(lead)

    def _first_arrival(self, _event: simpy.Event) -> None:
        self._next_arrival()

    def _on_arrival(self, _event: simpy.Event) -> None:
        self._arrive(self._arriving)  # type: ignore[arg-type]
        self._next_arrival()

    def _arrive(self, lead: NewLead) -> None:
        env = self.env
        self.engine.lead_arrived(lead, env._now)
        if lead.live:
            self._ring(lead.lead_id, lead.source, 0)
        if self.idle:
            self._dispatch()

    def _ring(self, lead_id: int, source: str, offer: int) -> None:
        """A caller starts to wait: start its patience timer."""
        rules = self._callers[source]
        patience = rules.patience
        if isinstance(patience, float):
            wait = patience  # no draw: a fixed patience uses no luck
        else:
            wait = patience(streams.offer_uniforms(self.rec.key[lead_id], offer)[0])
        self._ringing[lead_id] = (self.env._now, offer)
        self.env.timeout(wait).callbacks.append(partial(self._abandon, lead_id, source, offer))

    def _abandon(self, lead_id: int, source: str, offer: int, _event: simpy.Event) -> None:
        ringing = self._ringing.get(lead_id)
        if ringing is None or ringing[1] != offer:
            return  # answered (or a later ring has its own timer)
        now = self.env.now
        rules = self._callers[source]
        then, delay = rules.then, 0.0
        if then == RETRY:
            _, u_redial, u_delay = streams.offer_uniforms(self.rec.key[lead_id], offer)
            if offer < rules.max_redials and u_redial < rules.retry_probability and rules.retry_delay is not None:
                delay = rules.retry_delay(u_delay)
            else:
                then = LOST
        if self.engine.caller_abandoned(lead_id, now, then):
            del self._ringing[lead_id]
            self.rec.offer_ended(lead_id, ringing[0], now - ringing[0], OFFER_ABANDONED, offer)
            if then == RETRY:
                self.env.timeout(delay).callbacks.append(partial(self._redial, lead_id, source, offer + 1))
            if self.idle:
                self._arm_timer()

    def _redial(self, lead_id: int, source: str, offer: int, _event: simpy.Event) -> None:
        if self.engine.caller_redialled(lead_id, self.env._now):
            self._ring(lead_id, source, offer)
            if self.idle:
                self._dispatch()

    def unanswered(self) -> None:
        """Record the callers still waiting when the run ends (offers without an end)."""
        for lead_id, (rang, offer) in sorted(self._ringing.items()):
            self.rec.offer_ended(lead_id, rang, float("nan"), OFFER_WAITING, offer)
        self._ringing.clear()

    def _sample(self, _event: simpy.Event) -> None:
        env, engine = self.env, self.engine
        if env.now <= self._sample_until:
            engine.advance(env.now)
            due, new = engine.backlog()
            self.rec.backlog(env.now, due, new)
            env.timeout(self._sample_every).callbacks.append(self._sample)

    # ---------------------------------------------------------------- a rep's day

    def _next_interval(self, rep: Rep) -> None:
        """Start the rep's next working interval, or wait for it to begin."""
        env = self.env
        intervals = rep.schedule.intervals
        while rep.interval < len(intervals):
            start, end = intervals[rep.interval]
            rep.interval += 1
            if env.now >= end:
                continue  # a long call ran over this whole (short) interval
            if env.now < start:
                env.timeout(start - env.now).callbacks.append(partial(self._begin_at, rep, end))
            else:
                self._begin(rep, end)
            return

    def _next_interval_at(self, rep: Rep, _event: simpy.Event) -> None:
        self._next_interval(rep)

    def _begin_at(self, rep: Rep, end: float, _event: simpy.Event) -> None:
        self._begin(rep, end)

    def _begin(self, rep: Rep, end: float) -> None:
        env = self.env
        rep.shift_end = end
        env.timeout(end - env.now).callbacks.append(partial(self._off_shift, rep))
        self._work(rep)

    def _work(self, rep: Rep) -> None:
        """A free rep asks for a lead: call it, or go idle until handed one (or the shift ends)."""
        now = self.env._now  # the ``now`` property, without the property call (runs per attempt)
        if now >= rep.shift_end:
            self._next_interval(rep)
            return
        dial = self.engine.next_for(rep.view, now, rep.cherry_pick > 0.0 and rep.wants_best_looking())
        if dial is None:
            self.idle[rep.rep_id] = rep
            self._arm_timer()
            return
        self._call(rep, dial)

    def _woken(self, rep: Rep, _event: simpy.Event) -> None:
        """The rep was handed a lead while idle (or, with None, its shift ended)."""
        dial = rep.handed
        if dial is None:
            self._work(rep)  # finds the shift over
        else:
            rep.handed = None
            self._call(rep, dial)

    def _call(self, rep: Rep, dial: Dial) -> None:
        """Start the call: draw its outcome and length, log it, hang up when it is over."""
        env = self.env
        now = env._now
        lead_id, _, attempt, live, _, created, steps_sent, owner = dial  # one unpack, not six attribute reads
        outcome, minutes = self.physics.attempt(lead_id, attempt, live, created, steps_sent, rep.team, now)
        if live:  # answering a caller on the line
            rang, offer = self._ringing.pop(lead_id)
            self.rec.offer_ended(lead_id, rang, now - rang, OFFER_ANSWERED, offer)
        self.rec.attempt_started(lead_id, rep.rep_id, now, outcome, minutes, attempt, live, owner)
        rep.lead_id, rep.started, rep.outcome = lead_id, now, outcome
        env.timeout(minutes).callbacks.append(rep.on_ended)  # type: ignore[arg-type]

    def _call_ended(self, rep: Rep, _event: simpy.Event) -> None:
        engine, idle = self.engine, self.idle
        now = self.env._now
        # tuple.__new__ builds the AttemptResult without its Python-level __new__ (half the cost).
        engine.attempt_ended(_new_tuple(AttemptResult, (rep.lead_id, rep.rep_id, rep.started, now, rep.outcome)))
        if idle:
            # An ended attempt only schedules its lead for later (or closes it),
            # so idle reps need a timer for the new due time, not a dispatch now.
            # (_arm_timer, inlined: this runs after most attempts.)
            due = engine.next_due_time()
            if due is not None and due < self._timer_at:
                self._set_timer(due)
        # Then what _work does, inlined: most attempts start here.
        if now >= rep.shift_end:
            self._next_interval(rep)
            return
        dial = engine.next_for(rep.view, now, rep.cherry_pick > 0.0 and rep.wants_best_looking())
        if dial is None:
            idle[rep.rep_id] = rep
            due = engine.next_due_time()  # _arm_timer, inlined (idle is not empty now)
            if due is not None and due < self._timer_at:
                self._set_timer(due)
            return
        self._call(rep, dial)

    # ---------------------------------------------------------------- dispatcher

    def _wake(self, rep: Rep, dial: Dial | None) -> None:
        """Wake an idle rep: it acts in an event of its own at this same instant.

        A zero-delay timeout is scheduled exactly as a succeeded event would be
        (same time, same priority), in one call instead of three.
        """
        rep.handed = dial
        self.env.timeout(0.0).callbacks.append(rep.on_woken)  # type: ignore[arg-type]

    def _off_shift(self, rep: Rep, _event: simpy.Event) -> None:
        if self.idle.pop(rep.rep_id, None) is not None:
            self._wake(rep, None)

    def _dispatch(self) -> None:
        """Offer due work to idle reps, longest idle first; then re-arm the timer."""
        now, engine, idle = self.env._now, self.engine, self.idle
        engine.advance(now)
        # Leads due and not being called. Everything due by now has been advanced, so
        # each hand-out lowers this by at least one: after one, ``ready - 1`` bounds it,
        # and a bound of 0 is exact, which saves asking again in the usual case of a
        # single due lead.
        ready = engine.backlog()[0]
        for rep in tuple(idle.values()):
            if ready == 0:
                break
            if rep.shift_end <= now:
                continue  # its off-shift callback at this same instant has not run yet
            dial = engine.next_for(rep.view, now, rep.cherry_pick > 0.0 and rep.wants_best_looking())
            if dial is not None:
                del idle[rep.rep_id]
                rep.handed = dial  # _wake, inlined
                self.env.timeout(0.0).callbacks.append(rep.on_woken)  # type: ignore[arg-type]
                ready -= 1
            if ready:
                ready = engine.backlog()[0]
        if idle:
            due = engine.next_due_time()  # _arm_timer, inlined
            if due is not None and due < self._timer_at:
                self._set_timer(due)

    def _arm_timer(self) -> None:
        if not self.idle:
            return
        due = self.engine.next_due_time()
        if due is not None and due < self._timer_at:
            self._set_timer(due)

    def _set_timer(self, due: float) -> None:
        """Arm the dispatcher timer for ``due`` (earlier than the one armed, if any)."""
        self._timer_at = due
        now = self.env._now
        event = self.env.timeout(due - now if due > now else 0.0)  # max(0.0, due - now), no builtin call
        self._timer_event = event
        event.callbacks.append(self._on_timer)

    def _on_timer(self, event: simpy.Event) -> None:
        if event is not self._timer_event:
            return  # superseded by an earlier timer
        self._timer_at = INF
        self._timer_event = None
        self._dispatch()
