"""Who may call which lead: the roster, ownership, pools and transfers.

A mixin of :class:`leadsim.engine.core.Engine` (split out to keep the engine's
modules small); it works on the engine's state and is not used on its own.

A lead's *pool* says who may call it: ``"*"`` (the shared pool), ``"rep:<id>"``
(its owner) or ``"team:<name>"`` (a team, as the incoming call group); pool keys
are built only by :func:`rep_pool` and :func:`team_pool` below. Round
robin deals new leads over the reps who make first attempts; recycling and the
incoming call group's hand-off are *transfers* planned at a time and applied by
``advance``.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

from leadsim.engine.config import DistributionRules
from leadsim.engine.state import READY, LeadState
from leadsim.engine.types import RepView
from leadsim.vocabulary import (
    FIRST_STAGE,
    FOLLOWUP_STAGE,
    INCOMING_CALL_GROUP,
    OWNER_RECYCLE,
    ROUND_ROBIN,
    SHARED_POOL,
)

INF = float("inf")
#: The shared pool's key.
SHARED = "*"
_REP_PREFIX = "rep:"
#: Stage codes in heap keys: first attempts (with live callers, callbacks) and follow-ups.
FIRST, FOLLOWUP = 0, 1

HeapKey = tuple[str, str, int]  # (pool, source, stage)

#: The distribution modes this module implements (``_place``, ``_own``, recycling):
#: the engine refuses any other, and tests/test_vocabulary.py checks that these are
#: exactly :data:`leadsim.vocabulary.DISTRIBUTION_MODES`.
IMPLEMENTED_MODES: frozenset[str] = frozenset({SHARED_POOL, ROUND_ROBIN, OWNER_RECYCLE, INCOMING_CALL_GROUP})


def rep_pool(rep_id: int) -> str:
    """The pool key of the leads a rep owns."""
    return f"{_REP_PREFIX}{rep_id}"


def team_pool(team: str) -> str:
    """The pool key of the leads a team owns (the incoming call group, its hand-off team)."""
    return f"team:{team}"


def is_rep_pool(pool: str) -> bool:
    """Whether a pool key is a rep's own (an owned lead)."""
    return pool.startswith(_REP_PREFIX)


class Distribution:
    """Roster and distribution methods of the engine (see the module docstring).

    The attributes below are the engine state these methods share with
    :class:`leadsim.engine.core.Engine`, which sets them in its ``__init__``.
    """

    _dist: DistributionRules
    _reps: dict[int, RepView]
    _human_pools: set[str]
    _owners: dict[str, list[int]]
    _rr_next: dict[str, int]
    _sources: tuple[str, ...]
    _rep_keys: dict[int, tuple[tuple[HeapKey, ...], tuple[tuple[str, str], ...]]]
    _rep_heaps: dict[int, tuple[tuple[HeapKey, ...], tuple[tuple[str, str], ...], list[list[tuple[Any, ...]]]]]
    _transfers: list[tuple[float, int]]

    if TYPE_CHECKING:  # provided by Engine

        def _unready(self, lead: LeadState) -> None: ...

        def _make_ready(self, lead: LeadState) -> None: ...

    # ------------------------------------------------------------------ roster

    def add_rep(self, rep: RepView) -> None:
        """Register a rep (the roster round-robin ownership deals leads over)."""
        self._reps[rep.rep_id] = rep
        if rep.human:
            self._human_pools.add(rep_pool(rep.rep_id))
        self._owners.clear()
        self._rep_keys.pop(rep.rep_id, None)
        self._rep_heaps.pop(rep.rep_id, None)

    def _owners_for(self, source: str) -> list[int]:
        owners = self._owners.get(source)
        if owners is None:
            owners = [
                r.rep_id
                for r in self._reps.values()
                if (r.sources is None or source in r.sources) and (r.stages is None or FIRST_STAGE in r.stages)
            ]
            self._owners[source] = owners
        return owners

    def _next_owner(self, source: str) -> int | None:
        owners = self._owners_for(source)
        if not owners:
            return None
        i = self._rr_next.get(source, 0)
        self._rr_next[source] = i + 1
        return owners[i % len(owners)]

    def _keys_for(self, rep: RepView) -> tuple[tuple[HeapKey, ...], tuple[tuple[str, str], ...]]:
        keys = self._rep_keys.get(rep.rep_id)
        if keys is None:
            if rep.rep_id not in self._reps:
                self._reps[rep.rep_id] = rep
            pools = (rep_pool(rep.rep_id), team_pool(rep.team), SHARED)
            sources = self._sources if rep.sources is None else tuple(s for s in self._sources if s in rep.sources)
            stages = tuple(
                st for st, name in ((FIRST, FIRST_STAGE), (FOLLOWUP, FOLLOWUP_STAGE)) if rep.stages is None or name in rep.stages
            )
            heap_keys = tuple((p, s, st) for p in pools for s in sources for st in stages)
            live_keys = tuple((p, s) for p in pools for s in sources) if FIRST in stages else ()
            keys = self._rep_keys[rep.rep_id] = (heap_keys, live_keys)
        return keys

    # ------------------------------------------------------------------ distribution

    def _place(self, lead: LeadState, live: bool) -> None:
        """Decide a new lead's pool (and owner, and later transfer)."""
        dist = self._dist
        if dist.mode == INCOMING_CALL_GROUP and lead.source in dist.inbound_sources:
            lead.pool = team_pool(dist.group)  # type: ignore[arg-type]  # a group is required in this mode
            self._plan_transfer(lead, lead.created_at + dist.group_minutes, team_pool(dist.handoff) if dist.handoff else SHARED)
        elif dist.owned and not live:
            # A live caller is answered by whoever is free; ownership comes with a callback.
            self._own(lead, self._next_owner(lead.source))

    def _own(self, lead: LeadState, owner: int | None) -> None:
        if owner is None:
            return
        lead.owner = owner
        lead.owner_attempts = 0
        lead.pool = rep_pool(owner)
        if self._dist.mode == OWNER_RECYCLE and self._dist.recycle_after_minutes is not None:
            self._plan_transfer(lead, lead.created_at + self._dist.recycle_after_minutes, SHARED)

    def _works_followups(self, rep_id: int) -> bool:
        rep = self._reps.get(rep_id)
        return rep is None or rep.stages is None or FOLLOWUP_STAGE in rep.stages

    def _plan_transfer(self, lead: LeadState, at: float, to: str) -> None:
        lead.transfer_at, lead.transfer_to = at, to
        heapq.heappush(self._transfers, (at, lead.lead_id))

    def _maybe_recycle_by_attempts(self, lead: LeadState) -> None:
        limit = self._dist.recycle_after_attempts
        if self._dist.mode == OWNER_RECYCLE and limit is not None and lead.owner is not None and lead.owner_attempts >= limit:
            lead.transfer_at = INF
            lead.owner, lead.pool = None, SHARED

    def _transfer(self, lead: LeadState) -> None:
        """Move a lead to its planned pool (recycling, or the incoming call group's hand-off)."""
        was_ready = lead.state == READY
        if was_ready:
            self._unready(lead)
        lead.pool, lead.transfer_at = lead.transfer_to, INF
        if not is_rep_pool(lead.pool):
            lead.owner = None
        if was_ready:
            self._make_ready(lead)

