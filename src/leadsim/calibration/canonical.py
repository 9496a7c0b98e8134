"""The canonical schemas of the three historical log kinds (DESIGN.md, "Historical logs").

``leadsim run`` writes leads.csv and attempts.csv in exactly this schema (plus
extra columns, which calibration ignores), so simulated logs with known truth can
be calibrated. Timestamps are ISO 8601, with a UTC offset or, if the column map
names a time zone, without one.
"""

from __future__ import annotations

from typing import Final, Literal

from leadsim import vocabulary

LogKind = Literal["leads", "activities", "calls"]
LOG_KINDS: Final[tuple[LogKind, ...]] = ("leads", "activities", "calls")

#: Required and optional columns per log kind.
REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "leads": ("lead_id", "created_at", "source"),
    "activities": ("lead_id", "rep_id", "started_at", "channel", "outcome", "duration_seconds"),
    "calls": ("call_id", "arrived_at", "answered_at", "ended_at", "outcome", "agent_id"),
}
OPTIONAL: Final[dict[str, tuple[str, ...]]] = {
    "leads": ("timezone", "value", "converted_at"),
    "activities": (),
    "calls": ("line", "priority"),
}
#: Columns holding timestamps, per kind (the first is the row's own time).
TIMESTAMPS: Final[dict[str, tuple[str, ...]]] = {
    "leads": ("created_at", "converted_at"),
    "activities": ("started_at",),
    "calls": ("arrived_at", "answered_at", "ended_at"),
}

#: Activity outcomes (the simulator's vocabulary) and channels.
ACTIVITY_OUTCOMES: Final[tuple[str, ...]] = tuple(vocabulary.CALL_OUTCOMES)
CHANNELS: Final[tuple[str, ...]] = tuple(vocabulary.CHANNELS)
#: Outcomes of an offered inbound call.
CALL_OUTCOMES: Final[tuple[str, ...]] = ("answered", "abandoned", "transferred", "other")
#: Reached a live person / qualified (given reached).
REACHED: Final[frozenset[str]] = frozenset(vocabulary.REACHED_OUTCOMES)
QUALIFIED: Final[frozenset[str]] = frozenset(vocabulary.QUALIFIED_OUTCOMES)
#: Outcomes of an unreached call attempt that the contact model's shares split.
UNREACHED: Final[tuple[str, ...]] = ("no_answer", "voicemail", "busy")


def columns(kind: str) -> tuple[str, ...]:
    """All canonical columns of a log kind, required first."""
    return REQUIRED[kind] + OPTIONAL[kind]
