"""Small immutable values that cross the engine's boundary.

Values created once per attempt (:class:`Dial`, :class:`AttemptResult`) are
NamedTuples: as immutable as a frozen dataclass and about three times cheaper to
create, which matters on the hot path. The others are frozen dataclasses.

The host (the simulator, or a live dialer) tells the engine what happened with
:class:`NewLead` and :class:`AttemptResult`, and asks it what to do with a
:class:`RepView`; the engine answers with a :class:`Dial` and reports leads that
leave the cadence as :class:`LeadClosed` and non-call steps as :class:`StepSent`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from leadsim import vocabulary

#: Outcomes an attempt can end with (the canonical log vocabulary; see :mod:`leadsim.vocabulary`).
CALL_OUTCOMES: tuple[str, ...] = vocabulary.CALL_OUTCOMES
#: Outcomes that mean a live person was reached.
REACHED: frozenset[str] = frozenset(vocabulary.REACHED_OUTCOMES)

#: Final states a lead can leave the cadence in (see :mod:`leadsim.vocabulary`).
CLOSE_STATUSES: tuple[str, ...] = vocabulary.CLOSE_STATUSES


@dataclass(frozen=True, slots=True)
class NewLead:
    """A lead entering the engine.

    Attributes:
        lead_id: unique id chosen by the host.
        source: the source's name.
        created_at: floor minute of creation.
        timezone: the lead's IANA zone (its calling window is read in it).
        score: a lead score the priority rules may use (higher is better).
        live: True for an inbound caller waiting on the line.
        give_up_after: if a human rep owns the lead, the number of calls after which it
            gives up (drawn by the host, who owns randomness); ignored otherwise.
    """

    lead_id: int
    source: str
    created_at: float
    timezone: str
    score: float = 0.0
    live: bool = False
    give_up_after: int | None = None


@dataclass(frozen=True, slots=True)
class RepView:
    """What the engine needs to know about a rep asking for work.

    Attributes:
        rep_id: the rep's id.
        team: the rep's team name.
        sources: the sources the rep works, or None for all.
        stages: "first" and/or "followup": which attempts the rep makes (None: both).
        human: the rep behaves as a person does (owns leads, works them in due order).
    """

    rep_id: int
    team: str
    sources: frozenset[str] | None = None
    stages: frozenset[str] | None = None
    human: bool = False


class Dial(NamedTuple):
    """The engine's answer to a rep: call this lead now.

    Attributes:
        lead_id: the lead to call.
        source: its source.
        attempt: the number of this attempt on the lead (1 = first).
        live: True when answering an inbound caller already on the line.
        callback: True when returning a missed inbound call.
        created_at: the lead's creation time.
        steps_sent: floor minutes at which non-call steps (email/sms) went out so far.
        owner: the rep who owns the lead when it is handed out, or None (a pool's lead).
    """

    lead_id: int
    source: str
    attempt: int
    live: bool
    callback: bool
    created_at: float
    steps_sent: tuple[float, ...] = ()
    owner: int | None = None


class AttemptResult(NamedTuple):
    """What happened on an attempt the engine handed out.

    Attributes:
        lead_id: the lead called.
        rep_id: who called.
        started_at: floor minute the attempt started.
        ended_at: floor minute the rep was done (including wrap-up).
        outcome: one of :data:`CALL_OUTCOMES`.
    """

    lead_id: int
    rep_id: int
    started_at: float
    ended_at: float
    outcome: str


@dataclass(frozen=True, slots=True)
class LeadClosed:
    """A lead left the cadence.

    Attributes:
        lead_id: the lead.
        status: one of :data:`CLOSE_STATUSES`.
        at: floor minute it left.
    """

    lead_id: int
    status: str
    at: float


@dataclass(frozen=True, slots=True)
class StepSent:
    """A non-call step (email or SMS) went out, without rep time."""

    lead_id: int
    channel: str
    at: float
