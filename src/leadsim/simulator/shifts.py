"""Reps' working time: weekly shifts with lunch, breaks, holidays and shrinkage, or a staffing table.

Each rep gets a sorted list of disjoint (start, end) floor-minute intervals in
which it takes work. Adjacent intervals are merged, so a 24/7 rota is one
unbroken interval. Shrinkage (meetings, admin) removes one block a day per rep,
of length ``shrinkage`` x that day's working minutes, at a random time of the shift.

A team staffed by a table (reps on duty per hour of week, or per hour of a given
date) has as many reps as the table's largest count; rep i (0-based) works the
hours whose count is above i. So the lowest-numbered reps work the most hours, and
a count of n in an hour means exactly n reps take work in it (before shrinkage).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadsim.engine.calendar import FloorCalendar
from leadsim.scenarios.schema import Team, parse_days
from leadsim.vocabulary import parse_hhmm, parse_interval


@dataclass(frozen=True)
class RepSchedule:
    """One rep's working time.

    Attributes:
        team: index of the rep's team.
        intervals: disjoint sorted (start, end) floor minutes in which the rep takes work.
        shifts: (start, end) of each scheduled shift, lunch and breaks included (for paid hours).
    """

    team: int
    intervals: tuple[tuple[float, float], ...]
    shifts: tuple[tuple[float, float], ...]


def _subtract(intervals: list[tuple[float, float]], cut: tuple[float, float]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    c0, c1 = cut
    for a, b in intervals:
        if b <= c0 or a >= c1:
            out.append((a, b))
            continue
        if a < c0:
            out.append((a, c0))
        if b > c1:
            out.append((c1, b))
    return out


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if merged and a <= merged[-1][1] + 1e-9:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _day_pieces(team: Team, weekday: int) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """(shift start, shift end, breaks) for each shift worked on this weekday, local minutes."""
    pieces = []
    for shift in team.shifts:
        if weekday not in parse_days(shift.days):
            continue
        breaks = [parse_interval(b) for b in ([shift.lunch] if shift.lunch else []) + list(shift.breaks)]
        pieces.append((parse_hhmm(shift.start), parse_hhmm(shift.end), breaks))
    return pieces


def _table_pieces(team: Team, rep: int, weekday: int, date: object, holiday: bool) -> list[tuple[int, int]]:
    """(start, end) local minutes of the hours a table-staffed rep works on one day."""
    table = team.staffing
    assert table is not None
    roster = table.dates.get(date)  # type: ignore[call-overload]
    if roster is None:
        if holiday:
            return []
        roster = table.values()[weekday * 24:(weekday + 1) * 24]
    counts = team.on_duty(list(roster))
    pieces: list[tuple[int, int]] = []
    for hour, count in enumerate(counts):
        if count > rep:
            if pieces and pieces[-1][1] == hour * 60:
                pieces[-1] = (pieces[-1][0], (hour + 1) * 60)
            else:
                pieces.append((hour * 60, (hour + 1) * 60))
    return pieces


def rep_schedule(
    team: Team,
    team_index: int,
    calendar: FloorCalendar,
    holidays: set,
    end: float,
    rng: np.random.Generator,
    rep: int = 0,
) -> RepSchedule:
    """Working intervals of one rep of ``team`` (the ``rep``-th, 0-based) over [0, end) floor minutes."""
    zone = calendar.timezone
    work: list[tuple[float, float]] = []
    shifts: list[tuple[float, float]] = []
    days = int(np.ceil(end / 1440.0)) + 1
    for day in range(days):
        date = calendar.date_of_day(day)
        weekday = (calendar.start_weekday + day) % 7
        day_pieces: list[tuple[int, int, list[tuple[int, int]]]]
        if team.staffing is not None:
            day_pieces = [(a, b, []) for a, b in _table_pieces(team, rep, weekday, date, date in holidays)]
        elif date in holidays:
            continue
        else:
            day_pieces = _day_pieces(team, weekday)
        for start, stop, breaks in day_pieces:
            base = day * 1440.0
            s_floor = calendar.to_floor(base + start, zone)
            e_floor = calendar.to_floor(base + stop, zone)
            shifts.append((s_floor, e_floor))
            pieces = [(s_floor, e_floor)]
            for b0, b1 in breaks:
                pieces = _subtract(pieces, (calendar.to_floor(base + b0, zone), calendar.to_floor(base + b1, zone)))
            if team.shrinkage > 0:
                worked = sum(b - a for a, b in pieces)
                block = team.shrinkage * worked
                # Place the block uniformly in the shift; it may straddle a break,
                # in which case it eats a little less than planned (shrinkage is approximate).
                at = s_floor + rng.random() * max(0.0, (e_floor - s_floor) - block)
                pieces = _subtract(pieces, (at, at + block))
            work.extend(pieces)
    clipped = [(a, min(b, end)) for a, b in _merge(work) if a < end]
    return RepSchedule(team_index, tuple(clipped), tuple(s for s in shifts if s[0] < end))


def overlap(intervals: tuple[tuple[float, float], ...] | list[tuple[float, float]], lo: float, hi: float) -> float:
    """Total length of the intervals inside [lo, hi)."""
    return float(sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in intervals))
