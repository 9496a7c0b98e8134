"""The prioritization and cadence engine.

The engine owns the lead queue and the rules; its host owns time and people.
The host tells it what happened and asks it what to do:

- :meth:`Engine.add_rep` once per rep before work starts (round-robin ownership
  needs the roster; in a shared pool reps may also just ask);
- :meth:`Engine.lead_arrived` when a lead is created (or an inbound caller rings);
- :meth:`Engine.next_for` when a rep is free and wants a lead to call now;
- :meth:`Engine.attempt_ended` when that attempt is over;
- :meth:`Engine.caller_abandoned` when an inbound caller hung up before a rep answered
  (and what happens next: a callback, the caller lost, or a redial to come);
- :meth:`Engine.caller_redialled` when such a caller rings again;
- :meth:`Engine.next_due_time` to learn when something next becomes due, so an
  idle floor can sleep until then;
- :meth:`Engine.close_all` at the end (a simulation's censoring, a floor's shutdown).

A cadence may space attempts at random (a ``None`` entry in
``CadenceRules.spacing``). The engine still draws nothing: the host passes a
*gap provider* ``gap(lead_id, attempt, index) -> minutes`` to the constructor,
and the engine calls it once whenever it schedules attempt ``attempt`` of a lead
(1 = the first, spaced from creation) under the random entry ``index`` of the
schedule. A simulator answers from the lead's own random stream (common random
numbers); a live floor from its own rule or generator. Cadences with only fixed
gaps never call it and need none.

Time is always passed in (floor minutes). The engine never sleeps, reads a clock
or draws a random number. Leaving leads and non-call steps are reported to the
``on_close`` and ``on_step`` listeners.

Who may call a lead is its *pool*: ``"*"`` (the shared pool), ``"rep:<id>"`` (an
owner) or ``"team:<name>"`` (a team, as the incoming call group). Data
structures, all O(log n) per operation in pending leads:

- a *waiting* heap of (due time, lead id, version) for scheduled leads;
- per (pool, source, stage), a *ready* heap of (tier, order key, lead id, version);
- per human owner, a heap of (-score, lead id, version) for cherry-picking;
- per (pool, source), a FIFO of live inbound callers, entries (offered at, lead id,
  version); a free rep answers the longest-waiting caller over all its queues
  (``inbound_order="fifo"``) or the first caller in source order (``"source_priority"``);
- *deadline* (expiry, nurture) and *transfer* (recycling, hand-off) heaps.

Entries are never removed from the middle of a heap: a lead carries a version,
bumped each time it is re-queued, and popped entries with an older version are
skipped (lazy invalidation).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable

from leadsim.engine.cadence import callable_from, plus_calling_time
from leadsim.engine.calendar import FloorCalendar
from leadsim.engine.config import EngineConfig
from leadsim.engine.distribution import (
    FIRST,
    FOLLOWUP,
    IMPLEMENTED_MODES,
    INF,
    SHARED,
    Distribution,
    HeapKey,
    rep_pool,
)
from leadsim.engine.priority import Fifo, build_rules, compile_rank
from leadsim.engine.state import AWAY, CLOSED, IN_CALL, LIVE, READY, WAITING, LeadState
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
from leadsim.vocabulary import (
    ABANDON_ACTIONS,
    CALLBACK,
    FIFO_ORDER,
    LOST,
    OWNER_RECYCLE,
    SHARED_POOL,
    AbandonAction,
    CloseStatus,
)

_new_tuple = tuple.__new__


#: The host's gap provider: (lead id, attempt number, spacing index) -> minutes.
GapProvider = Callable[[int, int, int], float]


def _ignore(_: object) -> None:
    return None


def _no_gap(lead_id: int, attempt: int, index: int) -> float:
    raise EngineError("no gap provider")  # unreachable: the constructor checks


class EngineError(RuntimeError):
    """The host broke the engine's protocol (unknown lead, lead not in a call, ...)."""


class Engine(Distribution):
    """Lead engine: distribution, priority tiers and call cadence.

    Args:
        config: the rules.
        calendar: converts floor minutes to the leads' local time.
        on_close: called with a :class:`LeadClosed` whenever a lead leaves the cadence.
        on_step: called with a :class:`StepSent` when a non-call step goes out.
        gap: the gap provider, ``gap(lead_id, attempt, index) -> minutes >= 0``: the wait
            before attempt number ``attempt`` of the lead, for the random entry ``index``
            of ``config.cadence.spacing``. Required when an entry is None, else unused.

    Raises:
        EngineError: on a distribution mode the engine does not implement, or a random
            spacing entry without a gap provider.
    """

    def __init__(
        self,
        config: EngineConfig,
        calendar: FloorCalendar,
        on_close: Callable[[LeadClosed], None] = _ignore,
        on_step: Callable[[StepSent], None] = _ignore,
        gap: GapProvider | None = None,
    ) -> None:
        if config.cadence.random_spacing and gap is None:
            raise EngineError(
                f"cadence spacing {list(config.cadence.spacing)} has random entries (None): "
                "the host must pass a gap provider, gap(lead_id, attempt, index) -> minutes"
            )
        if config.distribution.mode not in IMPLEMENTED_MODES:
            raise EngineError(
                f"distribution mode {config.distribution.mode!r} is not implemented by the engine; "
                f"it implements {sorted(IMPLEMENTED_MODES)}"
            )
        self.config = config
        self.calendar = calendar
        self.on_close = on_close
        self.on_step = on_step
        self._rules = build_rules(config.priority, config.new_leads_order)
        self._fifo = [Fifo()]  # how a human works its own list: in order of due time
        # Ranking runs every time a lead becomes due: compiled once into closures,
        # one for never-attempted leads and one for the others.
        self._rank_new = compile_rank(self._rules, attempted=False)
        self._rank_followup = compile_rank(self._rules, attempted=True)
        self._rank_fifo = compile_rank(self._fifo)
        self._cad = config.cadence
        self._dist = config.distribution
        self._default_rules = self._cad.call_rules()
        # Most leads share the default CallRules object. When it allows a call at any
        # time, ``lead.rules is self._anytime`` stands in on the hot path for
        # ``CallRules.always`` (a property comparing four fields) and callable_from.
        self._anytime = self._default_rules if self._default_rules.always else None
        # Per call outcome, what attempt_ended does: (closing status or None, whether
        # the attempt counts toward the call target, retry delay or None). One dict
        # lookup instead of a chain of set and rule tests per attempt.
        self._outcome_action: dict[str, tuple[CloseStatus | None, bool, float | None]] = {}
        for outcome in CALL_OUTCOMES:
            rule = self._cad.outcomes.get(outcome)
            if outcome in REACHED:
                status: CloseStatus | None = "converted" if outcome == "converted" else "contacted"
            elif outcome == "bad_number":
                status = "bad_number"  # an outcome and a status of the same name
            elif rule is not None and rule.stop:
                status = "stopped"
            else:
                status = None
            counts = rule is None or rule.counts
            retry = rule.retry_minutes if rule is not None else None
            self._outcome_action[outcome] = (status, counts, retry)
        # Cadence and distribution constants read on every attempt, unpacked once
        # (the config is frozen).
        self._call_target = self._cad.call_target
        self._spacing = self._cad.spacing
        self._first_spacing = self._cad.spacing_before(1)
        self._gap: GapProvider = gap if gap is not None else _no_gap
        self._spacing_in_calling_time = self._cad.spacing_in_calling_time
        self._recycle_attempts = (
            self._dist.recycle_after_attempts if self._dist.mode == OWNER_RECYCLE else None
        )
        # Whether a new lead needs placing (an owner, a team) at all: not in a shared pool.
        self._placing = self._dist.mode != SHARED_POOL
        # Whether a new lead may get a deadline at all (expiry for some source, or nurture).
        self._deadlines_possible = self._cad.nurture_minutes is not None or any(
            v is not None for v in config.expiry_minutes.values()
        )
        self._steps: dict[int, tuple[str, ...]] = {}
        for after, channel in self._cad.steps:
            self._steps[after] = self._steps.get(after, ()) + (channel,)
        self._leads: dict[int, LeadState] = {}
        self._waiting: list[tuple[float, int, int]] = []
        self._ready: dict[HeapKey, list[tuple]] = {}
        self._scored: dict[str, list[tuple[float, int, int]]] = {}
        self._live: dict[tuple[str, str], deque[tuple[float, int, int]]] = {}
        self._fifo_inbound = config.inbound_order == FIFO_ORDER
        self._deadlines: list[tuple[float, int]] = []
        self._transfers: list[tuple[float, int]] = []
        self._n_ready = 0  # leads in READY or LIVE state
        self._n_live = 0  # live callers waiting (a subset of _n_ready)
        self._n_ready_new = 0  # of which never attempted
        self._sources: tuple[str, ...] = tuple(config.sources)
        self._reps: dict[int, RepView] = {}
        self._human_pools: set[str] = set()
        self._owners: dict[str, list[int]] = {}  # per source: reps that can own its leads
        self._rr_next: dict[str, int] = {}
        self._rep_keys: dict[int, tuple[tuple[HeapKey, ...], tuple[tuple[str, str], ...]]] = {}
        # Per rep, its keys and the ready heaps that exist among them (lists, not keys:
        # no dict lookups on the hot path); dropped whenever a new heap is created and
        # whenever the rep's keys are.
        self._rep_heaps: dict[int, tuple[tuple[HeapKey, ...], tuple[tuple[str, str], ...], list[list[tuple]]]] = {}

    # ------------------------------------------------------------------ host API

    def lead_arrived(self, lead: NewLead, now: float) -> None:
        """Take in a new lead (or an inbound caller, when ``lead.live``).

        Raises:
            EngineError: if the id is already open.
        """
        lead_id, source, created_at = lead.lead_id, lead.source, lead.created_at
        leads = self._leads
        if lead_id in leads:
            raise EngineError(f"lead {lead_id} is already open")
        regions = self._cad.regions
        rules = regions.get(lead.timezone, self._default_rules) if regions else self._default_rules
        state = LeadState(lead_id, source, created_at, lead.timezone, lead.score, rules)
        state.give_up = lead.give_up_after
        leads[lead_id] = state
        if source not in self._sources:
            self._sources = self._sources + (source,)
            self._rep_keys.clear()
            self._rep_heaps.clear()
            self._owners.clear()
        # The usual lead has no deadline, no placement rule and no step at creation:
        # each helper is only called when it can do something.
        if self._deadlines_possible:
            self._set_deadline(state)
        live = lead.live
        if self._placing:
            self._place(state, live=live)
        if self._steps:
            for channel in self._steps.get(0, ()):
                self._send_step(state, channel, now)
        if live:
            self._ring(state, created_at)
            return
        first = self._first_spacing
        if first is None:  # a random gap: the host draws it
            first = self._gap(lead_id, 1, 0)
        if self._spacing_in_calling_time:
            earliest = plus_calling_time(self, state, created_at, first)
        else:
            earliest = created_at + first
        earliest = earliest if earliest > now else now  # max(now, earliest) without the call
        due = earliest if state.rules is self._anytime else callable_from(self, state, earliest)
        if due <= now:
            self._make_ready(state)  # callable at once: skip the waiting heap
        else:
            self._schedule(state, due)

    def next_for(self, rep: RepView, now: float, prefer_score: bool = False) -> Dial | None:
        """The lead this rep should call now, or None if nothing is callable for it.

        Live inbound callers come first; then the best ready lead over the pools,
        sources and stages the rep works, by priority tier, order key and lead id.

        Args:
            rep: the rep asking.
            now: floor minute.
            prefer_score: a human rep cherry-picking: take the best-looking (highest
                score) lead it owns, if one is callable, instead of the next one due.
        """
        # Cheap checks first: most calls find nothing to advance and no caller waiting.
        waiting = self._waiting
        if (
            (waiting and waiting[0][0] <= now)
            or (self._deadlines and self._deadlines[0][0] <= now)
            or (self._transfers and self._transfers[0][0] <= now)
        ):
            self.advance(now)
        cached = self._rep_heaps.get(rep.rep_id)
        if cached is None:
            heap_keys, live_keys = self._keys_for(rep)
            ready = self._ready
            cached = self._rep_heaps[rep.rep_id] = (heap_keys, live_keys, [ready[k] for k in heap_keys if k in ready])
        heap_keys, live_keys, heaps = cached
        if self._n_live:
            caller = self._next_caller(live_keys)
            if caller is not None:
                return self._hand_out(caller, rep, True, now)
        if not self._n_ready:
            return None
        if prefer_score:
            dial = self._cherry_pick(rep, heap_keys, now)
            if dial is not None:
                return dial
        # The loop below runs once per decision: it is written out in full for the
        # common case (a fresh top entry, a lead callable at any time, handed out
        # inline); other leads go through _try_hand_out.
        leads = self._leads
        heappop = heapq.heappop
        while True:
            best_heap = best_entry = best_lead = None
            for heap in heaps:
                while heap:  # drop stale entries (lazy invalidation) from the top
                    entry = heap[0]
                    lead = leads.get(entry[2])
                    if lead is not None and lead.version == entry[3] and lead.state == READY:
                        if best_entry is None or entry < best_entry:
                            best_entry, best_heap, best_lead = entry, heap, lead
                        break
                    heappop(heap)
            if best_lead is None:
                return None
            heappop(best_heap)  # type: ignore[arg-type]
            lead = best_lead
            if lead.rules is not self._anytime:
                dial = self._try_hand_out(lead, rep, now)
                if dial is not None:
                    return dial
                continue
            # _hand_out for a READY lead without caps to count:
            self._n_ready -= 1
            attempts = lead.attempts
            if attempts == 0:
                self._n_ready_new -= 1
            lead.version += 1
            callback = lead.callback
            lead.state = IN_CALL
            lead.attempts = attempts = attempts + 1
            if lead.owner == rep.rep_id:
                lead.owner_attempts += 1
            lead.callback = False
            return _new_tuple(Dial, (lead.lead_id, lead.source, attempts, lead.live, callback, lead.created_at, lead.steps_sent, lead.owner))

    def attempt_ended(self, result: AttemptResult) -> None:
        """Record the outcome of an attempt handed out by :meth:`next_for`.

        Raises:
            EngineError: if the lead is not in a call, or the outcome is unknown.
        """
        lead_id, _, _, now, outcome = result  # unpacking the NamedTuple beats three attribute reads
        lead = self._leads.get(lead_id)
        if lead is None or lead.state != IN_CALL:
            raise EngineError(f"lead {lead_id} is not in a call")
        action = self._outcome_action.get(outcome)
        if action is None:
            raise EngineError(f"unknown outcome {outcome!r}; expected one of {sorted(CALL_OUTCOMES)}")
        status, counts, retry = action
        lead.last_outcome = outcome
        lead.live = False
        if status is not None:  # reached, bad number, or an outcome rule that stops
            self._close(lead, status, now)
            return
        counted = lead.counted
        if counts:
            lead.counted = counted = counted + 1
            if self._steps:
                for channel in self._steps.get(counted, ()):
                    self._send_step(lead, channel, now)
        if counted >= self._call_target:
            self._close(lead, "exhausted", now)
            return
        if lead.give_up is not None and lead.pool in self._human_pools and lead.owner_attempts >= lead.give_up:
            self._close(lead, "dropped", now)
            return
        if lead.deadline <= now:
            self._close(lead, lead.deadline_status, lead.deadline)
            return
        if self._recycle_attempts is not None:
            self._maybe_recycle_by_attempts(lead)
        if lead.owner is not None and not self._works_followups(lead.owner):
            # An owner who only makes first attempts cannot own a follow-up: it goes to the pool.
            lead.owner, lead.pool, lead.transfer_at = None, SHARED, INF
        if retry is not None:
            earliest = now + retry
        else:
            schedule = self._spacing
            index = counted if counted < len(schedule) else len(schedule) - 1
            spacing = schedule[index]  # spacing_before(counted + 1)
            if spacing is None:  # a random gap: the host draws it, for the attempt it precedes
                spacing = self._gap(lead_id, lead.attempts + 1, index)
            earliest = plus_calling_time(self, lead, now, spacing) if self._spacing_in_calling_time else now + spacing
        # _schedule, inlined
        lead.version += 1
        lead.state = WAITING
        lead.due = due = earliest if lead.rules is self._anytime else callable_from(self, lead, earliest)
        heapq.heappush(self._waiting, (due, lead_id, lead.version))

    def caller_abandoned(self, lead_id: int, now: float, then: AbandonAction = CALLBACK) -> bool:
        """An inbound caller hung up unanswered.

        Args:
            lead_id: the caller's lead.
            now: floor minute.
            then: ``callback`` (the default): the lead becomes a callback, due
                ``callback_delay`` later; ``lost``: the caller is gone, the lead closes
                with status ``abandoned``; ``retry``: the caller will ring again, the
                host calls :meth:`caller_redialled` then (until it does, the lead is in
                no queue; deadlines and :meth:`close_all` still apply).

        Returns:
            True if the caller was still waiting (else it had been answered or closed).

        Raises:
            EngineError: on an unknown ``then``.
        """
        if then not in ABANDON_ACTIONS:
            raise EngineError(f"unknown abandonment action {then!r}; expected one of {list(ABANDON_ACTIONS)}")
        lead = self._leads.get(lead_id)
        if lead is None or lead.state != LIVE:
            return False
        self._unready(lead)
        lead.live = False
        if then == LOST:
            self._close(lead, "abandoned", now)
            return True
        if then != CALLBACK:  # retry: off every queue until the caller rings again
            lead.state = AWAY
            return True
        lead.callback = True
        if self._dist.owned:
            self._own(lead, self._next_owner(lead.source))
        earliest = now + self._cad.callback_delay
        self._schedule(lead, callable_from(self, lead, earliest))
        return True

    def caller_redialled(self, lead_id: int, now: float) -> bool:
        """A caller who hung up (``caller_abandoned(..., then="retry")``) rings again.

        The caller joins the back of its line, as a new inbound call offered at ``now``.

        Returns:
            True if the caller is on the line again; False if its lead was closed
            meanwhile (a deadline) or is not waiting to redial.
        """
        lead = self._leads.get(lead_id)
        if lead is None or lead.state != AWAY:
            return False
        lead.version += 1
        self._ring(lead, now)
        return True

    def next_due_time(self) -> float | None:
        """Earliest floor minute at which a waiting lead becomes due, or a deadline or transfer falls."""
        waiting, leads = self._waiting, self._leads
        while waiting:
            _due, lead_id, version = waiting[0]
            lead = leads.get(lead_id)
            if lead is not None and lead.version == version and lead.state == WAITING:
                break
            heapq.heappop(waiting)
        t = waiting[0][0] if waiting else INF
        if self._deadlines and self._deadlines[0][0] < t:
            t = self._deadlines[0][0]
        if self._transfers and self._transfers[0][0] < t:
            t = self._transfers[0][0]
        return None if t == INF else t

    def advance(self, now: float) -> None:
        """Apply everything due by ``now``: deadlines, then pool transfers, then due leads."""
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            at, lead_id = heapq.heappop(deadlines)
            lead = self._leads.get(lead_id)
            if lead is None or lead.state == IN_CALL:
                continue  # closed already, or decided when the call ends
            self._unready(lead)
            self._close(lead, lead.deadline_status, at)
        transfers = self._transfers
        while transfers and transfers[0][0] <= now:
            at, lead_id = heapq.heappop(transfers)
            lead = self._leads.get(lead_id)
            if lead is not None and lead.transfer_at == at:
                self._transfer(lead)
        waiting = self._waiting
        if waiting and waiting[0][0] <= now:
            leads = self._leads
            make_ready = self._make_ready
            heappop = heapq.heappop
            while waiting and waiting[0][0] <= now:
                _due, lead_id, version = heappop(waiting)
                lead = leads.get(lead_id)
                if lead is None or lead.version != version or lead.state != WAITING:
                    continue
                make_ready(lead)

    def close_all(self, now: float, status: CloseStatus = "censored") -> int:
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

    def _ring(self, lead: LeadState, now: float) -> None:
        """Put a live caller at the back of its line."""
        lead.state = LIVE
        lead.live = True
        self._live.setdefault((lead.pool, lead.source), deque()).append((now, lead.lead_id, lead.version))
        self._n_live += 1
        self._n_ready += 1
        if lead.attempts == 0:
            self._n_ready_new += 1

    def _next_caller(self, live_keys: tuple[tuple[str, str], ...]) -> LeadState | None:
        """Take the caller a rep with these live queues answers, or None if none waits.

        FIFO: the head with the earliest (offered at, lead id) over the queues;
        source priority: the first live head in the order of ``live_keys`` (pools, then
        sources in their listed order). Stale heads (answered, abandoned) are dropped.
        """
        live, leads = self._live, self._leads
        best: tuple[float, int, int] | None = None
        best_queue: deque[tuple[float, int, int]] | None = None
        for key in live_keys:
            queue = live.get(key)
            while queue:
                head = queue[0]
                lead = leads.get(head[1])
                if lead is not None and lead.state == LIVE and lead.version == head[2]:
                    if best is None or head < best:
                        best, best_queue = head, queue
                    break
                queue.popleft()
            if best_queue is not None and not self._fifo_inbound:
                break
        if best_queue is None:
            return None
        best_queue.popleft()
        return leads[best[1]]  # type: ignore[index]

    def _set_deadline(self, lead: LeadState) -> None:
        expiry = self.config.expiry_minutes.get(lead.source)
        candidates: list[tuple[float, CloseStatus]] = []
        if expiry is not None:
            candidates.append((lead.created_at + expiry, "expired"))
        if self._cad.nurture_minutes is not None:
            candidates.append((lead.created_at + self._cad.nurture_minutes, "nurture"))
        if candidates:
            lead.deadline, lead.deadline_status = min(candidates)
            heapq.heappush(self._deadlines, (lead.deadline, lead.lead_id))

    def _schedule(self, lead: LeadState, due: float) -> None:
        lead.version += 1
        lead.state = WAITING
        lead.due = due
        heapq.heappush(self._waiting, (due, lead.lead_id, lead.version))

    def _make_ready(self, lead: LeadState) -> None:
        lead.version = version = lead.version + 1
        lead.state = READY
        pool = lead.pool
        human = pool in self._human_pools
        new = lead.attempts == 0
        tier, key = (self._rank_fifo if human else self._rank_new if new else self._rank_followup)(lead)
        heap_key = (pool, lead.source, FIRST if new else FOLLOWUP)
        heap = self._ready.get(heap_key)
        if heap is None:
            heap = self._ready[heap_key] = []
            self._rep_heaps.clear()
        heapq.heappush(heap, (tier, key, lead.lead_id, version))
        if human:
            heapq.heappush(self._scored.setdefault(pool, []), (-lead.score, lead.lead_id, version))
        self._n_ready += 1
        if new:
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

    def _cherry_pick(self, rep: RepView, heap_keys: tuple[HeapKey, ...], now: float) -> Dial | None:
        heap = self._scored.get(rep_pool(rep.rep_id))
        leads = self._leads
        while heap:
            _, lead_id, version = heap[0]
            lead = leads.get(lead_id)
            if lead is None or lead.version != version or lead.state != READY:
                heapq.heappop(heap)
                continue
            if (lead.pool, lead.source, FIRST if lead.attempts == 0 else FOLLOWUP) not in heap_keys:
                return None  # a stage this rep does not work: fall back to the due order
            heapq.heappop(heap)
            dial = self._try_hand_out(lead, rep, now)
            if dial is not None:
                return dial
        return None

    def _try_hand_out(self, lead: LeadState, rep: RepView, now: float) -> Dial | None:
        """Hand a popped ready lead out, or re-schedule it if it may not be called now."""
        if lead.rules.always or callable_from(self, lead, now) <= now:
            return self._hand_out(lead, rep, lead.live, now)
        # The window closed or a cap filled while it waited: re-schedule.
        self._unready(lead)
        self._schedule(lead, callable_from(self, lead, now))
        return None

    def _hand_out(self, lead: LeadState, rep: RepView, live: bool, now: float) -> Dial:
        # _unready, inlined: every caller hands out a READY or LIVE lead.
        if lead.state == LIVE:
            self._n_live -= 1
        self._n_ready -= 1
        attempts = lead.attempts
        if attempts == 0:
            self._n_ready_new -= 1
        lead.version += 1
        callback = lead.callback
        lead.state = IN_CALL
        lead.attempts = attempts = attempts + 1
        if lead.owner == rep.rep_id:
            lead.owner_attempts += 1
        rules = lead.rules
        if rules is not self._anytime:  # count the attempt against the caps (an any-time lead has none)
            if rules.max_per_day is not None:
                day = int(self.calendar.local(now, lead.timezone) // 1440.0)
                if day != lead.day:
                    lead.day, lead.day_count = day, 0
                lead.day_count += 1
            if rules.max_per_24h is not None:
                recent = lead.recent if lead.recent is not None else []
                recent.append(now)
                lead.recent = recent[-rules.max_per_24h :]
        lead.callback = False  # a returned call is an ordinary follow-up afterwards
        # tuple.__new__ builds the same Dial as Dial(...) without the NamedTuple's
        # Python-level __new__ (less than half the cost, once per attempt).
        return _new_tuple(Dial, (lead.lead_id, lead.source, attempts, live, callback, lead.created_at, lead.steps_sent, lead.owner))

    def _send_step(self, lead: LeadState, channel: str, now: float) -> None:
        lead.steps_sent = lead.steps_sent + (now,)
        self.on_step(StepSent(lead.lead_id, channel, now))

    def _close(self, lead: LeadState, status: CloseStatus, at: float) -> None:
        lead.state = CLOSED
        lead.version += 1
        del self._leads[lead.lead_id]
        self.on_close(LeadClosed(lead.lead_id, status, at))
