"""Cadence arithmetic: when may a lead next be called?

Two pure functions of the engine's calendar and a lead's call rules (its
calling window and caps, regional overrides included):

- :func:`callable_from`: the earliest time >= t at which the lead is inside its
  calling window and under its daily and rolling 24-hour caps;
- :func:`plus_calling_time`: t plus a spacing counted only in calling time (the
  overnight gap does not count).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadsim.engine.state import LeadState

if TYPE_CHECKING:
    from leadsim.engine.core import Engine

DAY = 1440.0


def _zone(engine: Engine, lead: LeadState) -> str:
    return lead.timezone if lead.rules.window_in_lead_time else engine.calendar.timezone


def callable_from(engine: Engine, lead: LeadState, t: float) -> float:
    """Earliest floor minute >= t at which the lead may be called (window and caps).

    Args:
        engine: the engine (for its calendar).
        lead: the lead; ``lead.rules`` holds its window and caps.
        t: the earliest time considered (e.g. the end of spacing).
    """
    rules = lead.rules
    if rules.always:
        return t
    cal = engine.calendar
    open_, close = rules.window
    full_day = open_ <= 0.0 and close >= DAY
    zone = _zone(engine, lead)
    # Window, daily cap and rolling cap can push each other across a day boundary;
    # a few rounds always settle (each round only moves t forward).
    for _ in range(16):
        start = t
        if not full_day:
            t = cal.next_open(t, zone, open_, close)
        if rules.max_per_day is not None and lead.day_count >= rules.max_per_day:
            if int(cal.local(t, lead.timezone) // DAY) == lead.day:
                t = cal.next_local_midnight(t, lead.timezone)
        if rules.max_per_24h is not None and lead.recent is not None:
            cap = rules.max_per_24h
            recent = lead.recent
            if len(recent) >= cap and recent[-cap] + DAY > t:
                t = recent[-cap] + DAY
        if t == start:
            return t
    return t


def plus_calling_time(engine: Engine, lead: LeadState, t: float, minutes: float) -> float:
    """The floor minute at which ``minutes`` of the lead's calling window have passed since t.

    With a 08:00-20:00 window, 120 minutes from 19:30 ends at 09:30 the next day.
    """
    open_, close = lead.rules.window
    if minutes <= 0.0 or (open_ <= 0.0 and close >= DAY):
        return t + minutes
    cal = engine.calendar
    zone = _zone(engine, lead)
    remaining = minutes
    while True:
        t = cal.next_open(t, zone, open_, close)
        local = cal.local(t, zone)
        closing = cal.to_floor((local // DAY) * DAY + close, zone)
        if t + remaining <= closing:
            return t + remaining
        remaining -= closing - t
        t = closing
