"""Floor time <-> local time, including daylight saving and far-away zones."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadsim.engine.calendar import FloorCalendar

START = dt.date(2026, 3, 1)  # DST starts in the US on 2026-03-08
ZONES = ["America/Chicago", "America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Kolkata", "UTC"]


def wall_clock(cal: FloorCalendar, t: float, zone: str) -> dt.datetime:
    # Aware datetime arithmetic is wall-clock arithmetic: add real minutes in UTC.
    origin = dt.datetime.combine(cal.start, dt.time(0), tzinfo=zoneinfo.ZoneInfo(cal.timezone)).astimezone(dt.UTC)
    return (origin + dt.timedelta(minutes=t)).astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)


@given(t=st.floats(0, 40 * 1440), zone=st.sampled_from(ZONES))
def test_local_minute_matches_zoneinfo(t: float, zone: str) -> None:
    cal = FloorCalendar(START, "America/Chicago")
    expected = wall_clock(cal, t, zone) - dt.datetime.combine(START, dt.time(0))
    assert cal.local(t, zone) == pytest.approx(expected.total_seconds() / 60.0, abs=1e-6)


def test_dst_day_is_23_hours_long_on_the_floor() -> None:
    cal = FloorCalendar(START, "America/Chicago")
    # 08:00 local on 2026-03-07 and 2026-03-08 are 23 real hours apart.
    sat = cal.to_floor(6 * 1440 + 480, "America/Chicago")
    sun = cal.to_floor(7 * 1440 + 480, "America/Chicago")
    assert sun - sat == pytest.approx(23 * 60)


def test_next_open_same_day_and_next_day() -> None:
    cal = FloorCalendar(dt.date(2026, 1, 5), "America/Chicago")
    assert cal.next_open(600.0, "America/Chicago", 480, 1200) == 600.0
    assert cal.next_open(300.0, "America/Chicago", 480, 1200) == 480.0
    assert cal.next_open(1300.0, "America/Chicago", 480, 1200) == 1440.0 + 480.0
    # 08:00 New York is 07:00 Chicago.
    assert cal.next_open(0.0, "America/New_York", 480, 1200) == 420.0


def test_day_hour_weekday() -> None:
    cal = FloorCalendar(dt.date(2026, 1, 5), "America/Chicago")  # Monday
    assert cal.day_hour_weekday(2 * 1440 + 16 * 60 + 5, "America/Chicago") == (2, 16, 2)
    assert cal.day_hour_weekday(23 * 60 + 30, "America/New_York") == (1, 0, 1)
