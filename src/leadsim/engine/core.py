"""The prioritization and cadence engine.

The engine owns the lead queue and the rules; its host owns time and people.
The host tells it what happened and asks it what to do:

- :meth:`Engine.lead_arrived` when a lead is created (or an inbound caller rings);
- :meth:`Engine.next_for` when a rep is free and wants a lead to call now;
- :meth:`Engine.attempt_ended` when that attempt is over;
- :meth:`Engine.caller_abandoned` when an inbound caller hung up before a rep answered;
- :meth:`Engine.next_due_time` to learn when a waiting lead next becomes callable,
  so an idle floor can sleep until then;
- :meth:`Engine.close_all` at the end (a simulation's censoring, a floor's shutdown).

Time is always passed in (floor minutes). The engine never sleeps, reads a clock
or draws a random number. Leaving leads and non-call steps are reported to the
``on_close`` and ``on_step`` listeners.

Data structures (all operations O(log n) in pending leads):

- a *waiting* heap of (due time, lead id, version) for scheduled leads;
- per source, a *ready* heap of (tier, order key, lead id, version) for due leads;
- per source, a FIFO of live inbound callers;
- a *deadline* heap of (time, lead id, version) for expiry and nurture.

Entries are never removed from the middle of a heap: a lead carries a version,
bumped each time it is re-queued, and popped entries with an older version are
skipped (lazy invalidation).
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Callable

from leadsim.engine.calendar import FloorCalendar
from leadsim.engine.config import EngineConfig
from leadsim.engine.priority import build_rules, rank
from leadsim.engine.state import CLOSED, IN_CALL, LIVE, READY, WAITING, LeadState
from leadsim.engine.types import (
    CALL_OUTCOMES,
    REACHED,
    AttemptResult,
    Dial,
    LeadClosed,
    NewLead,
    RepView,
    StepSent,
)

INF = float("inf")


def _ignore(_: object) -> None:
    return None


class EngineError(RuntimeError):
    """The host broke the engine's protocol (unknown lead, lead not in a call, ...)."""


class Engine:
    """Shared-pool lead engine with priority tiers and a call cadence.

    Args:
        config: the rules.
        calendar: converts floor minutes to the leads' local time.
        on_close: called with a :class:`LeadClosed` whenever a lead leaves the cadence.
        on_step: called with a :class:`StepSent` when a non-call step goes out.
    """

    def __init__(
        self,
        config: EngineConfig,
        calendar: FloorCalendar,
        on_close: Callable[[LeadClosed], None] = _ignore,
        on_step: Callable[[StepSent], None] = _ignore,
    ) -> None:
        self.config = config
        self.calendar = calendar
        self.on_close = on_close
        self.on_step = on_step
        self._rules = build_rules(config.priority, config.new_leads_order)
        cad = config.cadence
        self._cad = cad
        self._win_open, self._win_close = cad.window
        self._full_day_window = self._win_open <= 0.0 and self._win_close >= 1440.0
        # No window and no cap: any time is a calling time (a fast path in the hot loop).
        self._always_callable = self._full_day_window and cad.max_per_day is None
        self._steps: dict[int, tuple[str, ...]] = {}
        for after, channel in cad.steps:
            self._steps[after] = self._steps.get(after, ()) + (channel,)
        self._leads: dict[int, LeadState] = {}
        self._waiting: list[tuple[float, int, int]] = []
        self._ready: dict[str, list[tuple[int, float, int, int]]] = {}
        self._live: dict[str, deque[int]] = {}
        self._deadlines: list[tuple[float, int, int]] = []
        self._n_ready = 0  # leads in READY or LIVE state
        self._n_live = 0  # live callers waiting (a subset of _n_ready)
        self._n_ready_new = 0  # of which never attempted
        self._all_sources: tuple[str, ...] = tuple(config.sources)
        for name in config.sources:
            self._ready[name] = []
            self._live[name] = deque()

    # ------------------------------------------------------------------ host API

    def lead_arrived(self, lead: NewLead, now: float) -> None:
        """Take in a new lead (or an inbound caller, when ``lead.live``).

        Raises:
            EngineError: if the id is already open.
        """
        if lead.lead_id in self._leads:
            raise EngineError(f"lead {lead.lead_id} is already open")
        state = LeadState(lead.lead_id, lead.source, lead.created_at, lead.timezone, lead.score)
        self._leads[lead.lead_id] = state
        if lead.source not in self._ready:
            self._ready[lead.source] = []
            self._live[lead.source] = deque()
            self._all_sources = self._all_sources + (lead.source,)
        self._set_deadline(state)
        for channel in self._steps.get(0, ()):
            self._send_step(state, channel, now)
        if lead.live:
            state.state = LIVE
            self._live[lead.source].append(lead.lead_id)
            self._n_live += 1
            self._n_ready += 1
            self._n_ready_new += 1
            return
        self._schedule(state, max(now, lead.created_at + self._cad.spacing_before(1)))

    def next_for(self, rep: RepView, now: float) -> Dial | None:
        """The lead this rep should call now, or None if nothing is callable for it.

        Live inbound callers come first; then the best ready lead over the sources
        the rep works, by priority tier, order key and lead id.
        """
        # Cheap checks first: most calls find nothing to advance and no caller waiting.
        if (self._waiting and self._waiting[0][0] <= now) or (self._deadlines and self._deadlines[0][0] <= now):
            self.advance(now)
        sources = self._all_sources if rep.sources is None else rep.sources
        if self._n_live:
            for source in sources:
                queue = self._live.get(source)
                while queue:
                    lead = self._leads.get(queue.popleft())
                    if lead is not None and lead.state == LIVE:
                        return self._hand_out(lead, True, now)
        if not self._n_ready:
            return None
        while True:
            best_source = None
            best_entry = None
            for source in sources:
                heap = self._ready.get(source)
                if not heap:
                    continue
                entry = self._clean_top(heap)
                if entry is not None and (best_entry is None or entry < best_entry):
                    best_entry, best_source = entry, source
            if best_entry is None:
                return None
            heapq.heappop(self._ready[best_source])  # type: ignore[index]
            lead = self._leads[best_entry[2]]
            if self._always_callable or self._callable_from(lead, now) <= now:
                return self._hand_out(lead, False, now)
            # The window closed or the day's cap filled while it waited: re-schedule.
            self._unready(lead)
            self._schedule(lead, self._callable_from(lead, now))

    def attempt_ended(self, result: AttemptResult) -> None:
        """Record the outcome of an attempt handed out by :meth:`next_for`.

        Raises:
            EngineError: if the lead is not in a call, or the outcome is unknown.
        """
        lead = self._leads.get(result.lead_id)
        if lead is None or lead.state != IN_CALL:
            raise EngineError(f"lead {result.lead_id} is not in a call")
        if result.outcome not in CALL_OUTCOMES:
            raise EngineError(f"unknown outcome {result.outcome!r}; expected one of {sorted(CALL_OUTCOMES)}")
        now = result.ended_at
        lead.last_outcome = result.outcome
        if result.outcome in REACHED:
            self._close(lead, "converted" if result.outcome == "converted" else "contacted", now)
            return
        if result.outcome == "bad_number":
            self._close(lead, "bad_number", now)
            return
        for channel in self._steps.get(lead.attempts, ()):
            self._send_step(lead, channel, now)
        if lead.attempts >= self._cad.call_target:
            self._close(lead, "exhausted", now)
            return
        if lead.deadline <= now:
            self._close(lead, lead.deadline_status, lead.deadline)
            return
        earliest = now + self._cad.spacing_before(lead.attempts + 1)
        self._schedule(lead, self._callable_from(lead, earliest))

    def caller_abandoned(self, lead_id: int, now: float) -> bool:
        """An inbound caller hung up unanswered: the lead becomes a callback.

        Returns:
            True if the caller was still waiting (else it had been answered or closed).
        """
        lead = self._leads.get(lead_id)
        if lead is None or lead.state != LIVE:
            return False
        self._unready(lead)
        lead.callback = True
        earliest = now + self._cad.callback_delay
        self._schedule(lead, self._callable_from(lead, earliest))
        return True

    def next_due_time(self) -> float | None:
        """Earliest floor minute at which a waiting lead becomes due or a deadline falls."""
        while self._waiting:
            due, lead_id, version = self._waiting[0]
            lead = self._leads.get(lead_id)
            if lead is not None and lead.version == version and lead.state == WAITING:
                break
            heapq.heappop(self._waiting)
        t_wait = self._waiting[0][0] if self._waiting else INF
        t_dead = self._deadlines[0][0] if self._deadlines else INF
        t = min(t_wait, t_dead)
        return None if t == INF else t

    def advance(self, now: float) -> None:
        """Apply everything due by ``now``: deadlines first, then make due leads ready."""
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            at, lead_id, version = heapq.heappop(deadlines)
            lead = self._leads.get(lead_id)
            if lead is None or lead.state == IN_CALL:
                continue  # closed already, or decided when the call ends
            self._unready(lead)
            self._close(lead, lead.deadline_status, at)
        waiting = self._waiting
        while waiting and waiting[0][0] <= now:
            due, lead_id, version = heapq.heappop(waiting)
            lead = self._leads.get(lead_id)
            if lead is None or lead.version != version or lead.state != WAITING:
                continue
            self._make_ready(lead)

    def close_all(self, now: float, status: str = "censored") -> int:
        """Close every open lead (end of a run); returns how many were closed."""
        self.advance(now)
        open_ids = sorted(self._leads)
        for lead_id in open_ids:
            lead = self._leads[lead_id]
            self._unready(lead)
            self._close(lead, status, now)
        return len(open_ids)

    # ------------------------------------------------------------------ queries

    def backlog(self) -> tuple[int, int]:
        """(leads due now and not being called, of which never attempted)."""
        return self._n_ready, self._n_ready_new

    def open_leads(self) -> int:
        """Number of leads still in the cadence."""
        return len(self._leads)

    def lead(self, lead_id: int) -> LeadState | None:
        """The engine's record of an open lead (read only), or None."""
        return self._leads.get(lead_id)

    # ------------------------------------------------------------------ internals

    def _set_deadline(self, lead: LeadState) -> None:
        expiry = self.config.expiry_minutes.get(lead.source)
        candidates = []
        if expiry is not None:
            candidates.append((lead.created_at + expiry, "expired"))
        if self._cad.nurture_minutes is not None:
            candidates.append((lead.created_at + self._cad.nurture_minutes, "nurture"))
        if candidates:
            lead.deadline, lead.deadline_status = min(candidates)
            heapq.heappush(self._deadlines, (lead.deadline, lead.lead_id, 0))

    def _callable_from(self, lead: LeadState, t: float) -> float:
        """Earliest time >= t the lead may be called: calling window and daily cap."""
        if self._always_callable:
            return t
        cal = self.calendar
        zone = lead.timezone if self._cad.window_in_lead_time else cal.timezone
        cap = self._cad.max_per_day
        for _ in range(8):  # window and cap interact only across a day boundary
            if not self._full_day_window:
                t = cal.next_open(t, zone, self._win_open, self._win_close)
            if cap is None:
                return t
            day = int(cal.local(t, lead.timezone) // 1440.0)
            if day != lead.day or lead.day_count < cap:
                return t
            t = cal.next_local_midnight(t, lead.timezone)
        return t

    def _schedule(self, lead: LeadState, due: float) -> None:
        lead.version += 1
        lead.state = WAITING
        lead.due = due
        heapq.heappush(self._waiting, (due, lead.lead_id, lead.version))

    def _make_ready(self, lead: LeadState) -> None:
        lead.version += 1
        lead.state = READY
        tier, key = rank(self._rules, lead)
        heapq.heappush(self._ready[lead.source], (tier, key, lead.lead_id, lead.version))
        self._n_ready += 1
        if lead.attempts == 0:
            self._n_ready_new += 1

    def _unready(self, lead: LeadState) -> None:
        """Leave the READY/LIVE state (heap entries go stale through the version)."""
        if lead.state == LIVE:
            self._n_live -= 1
        if lead.state in (READY, LIVE):
            self._n_ready -= 1
            if lead.attempts == 0:
                self._n_ready_new -= 1
        lead.version += 1

    def _clean_top(self, heap: list[tuple[int, float, int, int]]) -> tuple[int, float, int, int] | None:
        leads = self._leads
        while heap:
            entry = heap[0]
            lead = leads.get(entry[2])
            if lead is not None and lead.version == entry[3] and lead.state == READY:
                return entry
            heapq.heappop(heap)
        return None

    def _hand_out(self, lead: LeadState, live: bool, now: float) -> Dial:
        self._unready(lead)
        callback = lead.callback
        lead.state = IN_CALL
        lead.attempts += 1
        if self._cad.max_per_day is not None:
            day = int(self.calendar.local(now, lead.timezone) // 1440.0)
            if day != lead.day:
                lead.day, lead.day_count = day, 0
            lead.day_count += 1
        lead.callback = False  # a returned call is an ordinary follow-up afterwards
        return Dial(
            lead_id=lead.lead_id,
            source=lead.source,
            attempt=lead.attempts,
            live=live,
            callback=callback,
            created_at=lead.created_at,
            steps_sent=lead.steps_sent,
        )

    def _send_step(self, lead: LeadState, channel: str, now: float) -> None:
        lead.steps_sent = lead.steps_sent + (now,)
        self.on_step(StepSent(lead.lead_id, channel, now))

    def _close(self, lead: LeadState, status: str, at: float) -> None:
        lead.state = CLOSED
        lead.version += 1
        del self._leads[lead.lead_id]
        self.on_close(LeadClosed(lead.lead_id, status, at))
