"""Who may call which lead: the roster, ownership, pools and transfers.

A mixin of :class:`leadsim.engine.core.Engine` (split out to keep the engine's
modules small); it works on the engine's state and is not used on its own.

A lead's *pool* says who may call it: ``"*"`` (the shared pool), ``"rep:<id>"``
(its owner) or ``"team:<name>"`` (a team, as the incoming call group). Round
robin deals new leads over the reps who make first attempts; recycling and the
incoming call group's hand-off are *transfers* planned at a time and applied by
``advance``.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from leadsim.engine.state import READY, LeadState
from leadsim.engine.types import RepView

if TYPE_CHECKING:
    from leadsim.engine.core import Engine as _Engine

INF = float("inf")
SHARED = "*"
FIRST, FOLLOWUP = 0, 1

HeapKey = tuple[str, str, int]  # (pool, source, stage)


class Distribution:
    """Roster and distribution methods of the engine (see the module docstring)."""

    # ------------------------------------------------------------------ roster

    def add_rep(self: "_Engine", rep: RepView) -> None:
        """Register a rep (the roster round-robin ownership deals leads over)."""
        self._reps[rep.rep_id] = rep
        if rep.human:
            self._human_pools.add(f"rep:{rep.rep_id}")
        self._owners.clear()
        self._rep_keys.pop(rep.rep_id, None)
        self._rep_heaps.pop(rep.rep_id, None)

    def _owners_for(self: "_Engine", source: str) -> list[int]:
        owners = self._owners.get(source)
        if owners is None:
            owners = [
                r.rep_id
                for r in self._reps.values()
                if (r.sources is None or source in r.sources) and (r.stages is None or "first" in r.stages)
            ]
            self._owners[source] = owners
        return owners

    def _next_owner(self: "_Engine", source: str) -> int | None:
        owners = self._owners_for(source)
        if not owners:
            return None
        i = self._rr_next.get(source, 0)
        self._rr_next[source] = i + 1
        return owners[i % len(owners)]

    def _keys_for(self: "_Engine", rep: RepView) -> tuple[tuple[HeapKey, ...], tuple[tuple[str, str], ...]]:
        keys = self._rep_keys.get(rep.rep_id)
        if keys is None:
            if rep.rep_id not in self._reps:
                self._reps[rep.rep_id] = rep
            pools = (f"rep:{rep.rep_id}", f"team:{rep.team}", SHARED)
            sources = self._sources if rep.sources is None else tuple(s for s in self._sources if s in rep.sources)
            stages = tuple(
                st for st, name in ((FIRST, "first"), (FOLLOWUP, "followup")) if rep.stages is None or name in rep.stages
            )
            heap_keys = tuple((p, s, st) for p in pools for s in sources for st in stages)
            live_keys = tuple((p, s) for p in pools for s in sources) if FIRST in stages else ()
            keys = self._rep_keys[rep.rep_id] = (heap_keys, live_keys)
        return keys

    # ------------------------------------------------------------------ distribution

    def _place(self: "_Engine", lead: LeadState, live: bool) -> None:
        """Decide a new lead's pool (and owner, and later transfer)."""
        dist = self._dist
        if dist.mode == "incoming_call_group" and lead.source in dist.inbound_sources:
            lead.pool = f"team:{dist.group}"
            self._plan_transfer(lead, lead.created_at + dist.group_minutes, f"team:{dist.handoff}" if dist.handoff else SHARED)
        elif dist.owned and not live:
            # A live caller is answered by whoever is free; ownership comes with a callback.
            self._own(lead, self._next_owner(lead.source))

    def _own(self: "_Engine", lead: LeadState, owner: int | None) -> None:
        if owner is None:
            return
        lead.owner = owner
        lead.owner_attempts = 0
        lead.pool = f"rep:{owner}"
        if self._dist.mode == "owner_recycle" and self._dist.recycle_after_minutes is not None:
            self._plan_transfer(lead, lead.created_at + self._dist.recycle_after_minutes, SHARED)

    def _works_followups(self: "_Engine", rep_id: int) -> bool:
        rep = self._reps.get(rep_id)
        return rep is None or rep.stages is None or "followup" in rep.stages

    def _plan_transfer(self: "_Engine", lead: LeadState, at: float, to: str) -> None:
        lead.transfer_at, lead.transfer_to = at, to
        heapq.heappush(self._transfers, (at, lead.lead_id))

    def _maybe_recycle_by_attempts(self: "_Engine", lead: LeadState) -> None:
        limit = self._dist.recycle_after_attempts
        if self._dist.mode == "owner_recycle" and limit is not None and lead.owner is not None and lead.owner_attempts >= limit:
            lead.transfer_at = INF
            lead.owner, lead.pool = None, SHARED

    def _transfer(self: "_Engine", lead: LeadState) -> None:
        """Move a lead to its planned pool (recycling, or the incoming call group's hand-off)."""
        was_ready = lead.state == READY
        if was_ready:
            self._unready(lead)
        lead.pool, lead.transfer_at = lead.transfer_to, INF
        if not lead.pool.startswith("rep:"):
            lead.owner = None
        if was_ready:
            self._make_ready(lead)

