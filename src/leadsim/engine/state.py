"""The engine's per-lead bookkeeping (mutable, internal; hosts see only frozen values)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadsim.engine.config import CallRules
    from leadsim.vocabulary import CloseStatus

# Lifecycle states of a lead inside the engine.
WAITING = 0  # scheduled: not callable before ``due``
READY = 1  # due: in its source's ready queue
LIVE = 2  # an inbound caller waiting on the line
IN_CALL = 3  # handed to a rep, attempt under way
CLOSED = 4  # left the cadence
AWAY = 5  # an inbound caller who hung up and will redial (abandonment ``retry``): in no queue


class LeadState:
    """What the engine remembers about an open lead.

    Priority rules read these attributes (and must not change them):
    ``lead_id``, ``source``, ``created_at``, ``timezone``, ``score``, ``attempts``
    (attempts made so far), ``callback`` (a missed inbound call to return),
    ``due`` (floor minute it became or becomes callable), ``last_outcome``, ``owner``
    (the owning rep's id, or None), ``pool``.
    """

    __slots__ = (
        "attempts",
        "callback",
        "counted",
        "created_at",
        "day",
        "day_count",
        "deadline",
        "deadline_status",
        "due",
        "give_up",
        "last_outcome",
        "lead_id",
        "live",
        "owner",
        "owner_attempts",
        "pool",
        "recent",
        "rules",
        "score",
        "source",
        "state",
        "steps_sent",
        "timezone",
        "transfer_at",
        "transfer_to",
        "version",
    )

    def __init__(
        self, lead_id: int, source: str, created_at: float, timezone: str, score: float, rules: CallRules
    ) -> None:
        self.lead_id = lead_id
        self.source = source
        self.created_at = created_at
        self.timezone = timezone
        self.score = score
        self.attempts = 0
        self.callback = False
        self.due = created_at
        self.last_outcome = ""
        self.state = WAITING
        # Bumped whenever the lead is re-queued: heap entries carrying an older
        # version are stale and skipped when popped (lazy invalidation).
        self.version = 0
        self.day = -1  # local day index of the last attempt
        self.day_count = 0  # attempts on that day
        self.steps_sent: tuple[float, ...] = ()
        self.deadline = float("inf")
        self.deadline_status: CloseStatus = "expired"  # read only once a deadline is set
        # Who may call it: "*" (shared pool), "rep:<id>" (an owner) or "team:<name>"
        # (built by leadsim.engine.distribution's pool functions).
        self.pool = "*"
        self.owner: int | None = None  # the owning rep, if any
        self.counted = 0  # attempts that count toward the call target
        self.owner_attempts = 0  # attempts by the current owner (for recycling)
        self.give_up: int | None = None  # a human owner stops after this many calls
        self.recent: list[float] | None = None  # attempt starts, for a rolling 24 h cap
        self.rules = rules  # the CallRules that apply (default or the lead's region)
        self.transfer_at = float("inf")  # when the lead moves to another pool
        self.transfer_to = ""
        self.live = False
