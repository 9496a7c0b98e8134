"""Floor time <-> local wall-clock time, for any IANA zone, with daylight saving.

The engine and the simulator count time in *floor minutes*: real elapsed minutes
since 00:00 of the calendar's start date in the floor's time zone. Rules such as
calling windows and daily caps are stated in somebody's wall clock (the lead's or
the floor's). This module converts between the two. It uses only the standard
library, so a live sales floor can run it too.

A *local minute* is the wall-clock reading in a zone expressed as minutes since
00:00 of the start date (as a naive date-time): ``local // 1440`` is the local day
index, ``local % 1440`` the minute of the day.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache

MINUTES_PER_DAY = 1440.0


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


class FloorCalendar:
    """Converts floor minutes to local minutes in any zone and back.

    Offsets are cached per zone and per elapsed hour, so a conversion costs a
    list lookup. Daylight-saving changes happen on whole hours in the zones the
    cache assumes (all but a handful of exotic zones).

    Args:
        start: the calendar's day 0.
        timezone: the floor's IANA zone.
    """

    def __init__(self, start: dt.date, timezone: str) -> None:
        self.start = start
        self.timezone = timezone
        self.start_weekday = start.weekday()
        self._origin_utc = dt.datetime.combine(start, dt.time(0), tzinfo=_zone(timezone)).astimezone(
            dt.UTC
        )
        self._start_naive = dt.datetime.combine(start, dt.time(0))
        self._offsets: dict[str, list[float]] = {}

    def _offset_table(self, zone: str, hour: int) -> list[float]:
        table = self._offsets.get(zone)
        if table is None:
            table = self._offsets[zone] = []
        tz = _zone(zone)
        # Extend in blocks of a week so the table grows with the horizon, not per call.
        target = hour + 168
        while len(table) <= target:
            h = len(table)
            instant = self._origin_utc + dt.timedelta(hours=h)
            local = instant.astimezone(tz).replace(tzinfo=None)
            table.append((local - self._start_naive).total_seconds() / 60.0 - h * 60.0)
        return table

    def offset(self, t: float, zone: str) -> float:
        """Minutes to add to floor minute ``t`` to get the local minute in ``zone``."""
        hour = int(t // 60.0)
        if hour < 0:
            hour = 0
        table = self._offsets.get(zone)
        if table is None or hour >= len(table):
            table = self._offset_table(zone, hour)
        return table[hour]

    def local(self, t: float, zone: str) -> float:
        """Local minute (wall clock in ``zone``) at floor minute ``t``."""
        return t + self.offset(t, zone)

    def to_floor(self, local_minute: float, zone: str) -> float:
        """Floor minute at which the wall clock in ``zone`` reads ``local_minute``.

        A wall-clock time skipped by a daylight-saving jump maps to just after the jump.
        """
        t = local_minute - self.offset(local_minute, zone)
        return local_minute - self.offset(t, zone)

    def day_hour_weekday(self, t: float, zone: str) -> tuple[int, int, int]:
        """(local day index, hour of day 0-23, weekday Monday=0) at floor minute ``t``."""
        loc = t + self.offset(t, zone)
        day = int(loc // MINUTES_PER_DAY)
        hour = int((loc - day * MINUTES_PER_DAY) // 60.0)
        return day, hour, (self.start_weekday + day) % 7

    def date_of_day(self, day: int) -> dt.date:
        """The calendar date of local day index ``day``."""
        return self.start + dt.timedelta(days=day)

    def next_open(self, t: float, zone: str, start: float, end: float) -> float:
        """Earliest floor minute >= t at which the local time of day lies in [start, end).

        Args:
            t: floor minute.
            zone: whose wall clock the window is read in.
            start: window opening, minutes after local midnight.
            end: window closing, minutes after local midnight (1440 = midnight).
        """
        loc = t + self.offset(t, zone)
        day_start = (loc // MINUTES_PER_DAY) * MINUTES_PER_DAY
        tod = loc - day_start
        if start <= tod < end:
            return t
        target = day_start + start if tod < start else day_start + MINUTES_PER_DAY + start
        return max(t, self.to_floor(target, zone))

    def next_local_midnight(self, t: float, zone: str) -> float:
        """Floor minute of the next local midnight after ``t`` in ``zone``."""
        loc = t + self.offset(t, zone)
        return self.to_floor((loc // MINUTES_PER_DAY + 1) * MINUTES_PER_DAY, zone)
