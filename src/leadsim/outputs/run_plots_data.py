"""The data behind a run's plots: pure functions from one replication's logs to small frames.

Each function takes a :class:`~leadsim.simulator.results.RunResult` (and, where
the wall clock matters, the calendar's start and time zone) and returns a
small pandas DataFrame or dataclass; :mod:`leadsim.outputs.run_plots` draws
them. Keeping the numbers apart from the drawing lets tests check them
against the metrics (the curve at 5 minutes is
``share_first_attempt_within_5_min``; the funnel's counts are the metrics'
counts; the heat map's cells add up to the leads).

Every function counts what the metrics count: counted leads (created in the
measured window) and call attempts, unless it says otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from leadsim.outputs.verdict import OffHours
from leadsim.scenarios.schema import parse_days
from leadsim.simulator.results import CHANNELS, OUTCOMES, RunResult, counted_leads
from leadsim.vocabulary import REACHED_OUTCOMES, parse_hhmm

_CALL = CHANNELS.index("call")
_REACHED = np.array([OUTCOMES.index(name) for name in REACHED_OUTCOMES], dtype=np.int8)

#: The marks on the speed-to-first-attempt curve, minutes (1, 5, 60 min and 24 h).
SPEED_MARKS: tuple[float, ...] = (1.0, 5.0, 60.0, 1440.0)
WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: An off-hours lead "waits long" beyond this many minutes (8 hours).
LONG_WAIT_MIN = 480.0


def local_clock(minutes: np.ndarray, calendar_start: dt.date, timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """Weekday (Monday 0) and minute of the day, in the floor's local time, of floor minutes.

    A floor minute m is ``calendar_start`` 00:00 local plus m real minutes (as in
    the logs), so the local clock follows daylight saving time. NaN gives -1.
    """
    minutes = np.asarray(minutes, dtype=np.float64)
    weekday = np.full(minutes.shape, -1, dtype=np.int64)
    of_day = np.full(minutes.shape, -1, dtype=np.int64)
    ok = np.isfinite(minutes)
    if ok.any():
        start = pd.Timestamp(calendar_start).tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
        stamps = pd.DatetimeIndex(start.tz_convert("UTC") + pd.to_timedelta(minutes[ok], unit="min"))
        wall = stamps.tz_convert(timezone)
        weekday[ok] = wall.day_of_week
        of_day[ok] = wall.hour * 60 + wall.minute
    return weekday, of_day


def _waits(result: RunResult) -> tuple[np.ndarray, np.ndarray]:
    """(counted lead ids, their minutes to the first attempt; NaN if never attempted)."""
    ids = np.flatnonzero(counted_leads(result))
    leads = result.leads
    return ids, leads.first_attempt[ids] - leads.created[ids]


def speed_curve(result: RunResult, grid: Sequence[float] | None = None) -> pd.DataFrame:
    """Cumulative share of counted leads first attempted within t minutes.

    The share divides by ALL counted leads (never-attempted ones never arrive),
    exactly as the ``share_first_attempt_within_*`` metrics do.

    Args:
        result: the replication.
        grid: the minutes at which to evaluate (default: 0.1 min to 14 days on a
            log scale, plus :data:`SPEED_MARKS`).

    Returns:
        Columns ``minutes``, ``share`` (0..1), sorted by minutes.
    """
    if grid is None:
        grid = sorted(set(np.geomspace(0.1, 14 * 1440, 200).tolist()) | set(SPEED_MARKS))
    _, waits = _waits(result)
    got = np.sort(waits[np.isfinite(waits)])
    n = waits.size
    points = np.asarray(grid, dtype=np.float64)
    counts = np.searchsorted(got, points, side="right")
    share = counts / n if n else np.full(points.shape, np.nan)
    return pd.DataFrame({"minutes": points, "share": share})


def wait_by_hour_of_week(result: RunResult, calendar_start: dt.date, timezone: str) -> pd.DataFrame:
    """Counted leads by arrival weekday and hour, with how long they waited for a first call.

    Returns:
        One row per (weekday 0-6, hour 0-23), all 168 of them: ``weekday``,
        ``hour``, ``leads`` (counted leads arriving then), ``median_wait_min``
        (over those first attempted; NaN if none), ``share_never`` (never
        attempted / leads; NaN if no lead).
    """
    ids, waits = _waits(result)
    weekday, of_day = local_clock(result.leads.created[ids], calendar_start, timezone)
    cell = weekday * 24 + of_day // 60
    rows = []
    for index in range(168):
        here = waits[cell == index]
        got = here[np.isfinite(here)]
        rows.append({"weekday": index // 24, "hour": index % 24, "leads": int(here.size),
                     "median_wait_min": float(np.median(got)) if got.size else float("nan"),
                     "share_never": float(np.mean(~np.isfinite(here))) if here.size else float("nan")})
    return pd.DataFrame(rows)


def funnel(result: RunResult) -> pd.DataFrame:
    """Counted leads per source at each stage: leads, attempted, contacted, qualified, converted.

    Returns:
        One row per source (in the scenario's order) and a last row ``all``.
    """
    leads = result.leads
    counted = counted_leads(result)
    rows = []
    for index, name in [*enumerate(result.source_names), (None, "all")]:
        sel = counted if index is None else counted & (leads.source == index)
        rows.append({
            "source": name,
            "leads": int(sel.sum()),
            "attempted": int((sel & np.isfinite(leads.first_attempt)).sum()),
            "contacted": int((sel & (leads.contact_attempt > 0)).sum()),
            "qualified": int((sel & leads.qualified).sum()),
            "converted": int((sel & leads.converted).sum()),
        })
    return pd.DataFrame(rows)


def by_attempt(result: RunResult) -> pd.DataFrame:
    """Cumulative contacts and conversions by the attempt number that reached the lead.

    Returns:
        One row per attempt number k = 1..K (K the largest contact attempt):
        ``attempt``, ``contacts`` (counted leads first reached by attempt k),
        ``conversions`` (converted counted leads reached by attempt k),
        ``conversion_share`` (conversions / all conversions; NaN without one).
    """
    leads = result.leads
    counted = counted_leads(result)
    reached = leads.contact_attempt[counted & (leads.contact_attempt > 0)].astype(np.int64)
    converted = leads.contact_attempt[counted & leads.converted & (leads.contact_attempt > 0)].astype(np.int64)
    top = int(reached.max()) if reached.size else 0
    attempts = np.arange(1, top + 1)
    contacts = np.cumsum(np.bincount(reached, minlength=top + 1)[1:]) if top else np.array([], dtype=np.int64)
    conv = np.cumsum(np.bincount(converted, minlength=top + 1)[1:]) if top else np.array([], dtype=np.int64)
    total = conv[-1] if conv.size else 0
    share = conv / total if total else np.full(conv.shape, np.nan)
    return pd.DataFrame({"attempt": attempts, "contacts": contacts, "conversions": conv,
                         "conversion_share": share})


def backlog_series(result: RunResult) -> pd.DataFrame:
    """The backlog samples in days since the start, with whether each is in the measured window.

    Returns:
        Columns ``day`` (floor minutes / 1440), ``due``, ``new``, ``in_window``.
    """
    samples = result.backlog
    start, end = result.window
    return pd.DataFrame({"day": samples.time / 1440.0, "due": samples.due.astype(np.int64),
                         "new": samples.new.astype(np.int64),
                         "in_window": (samples.time >= start) & (samples.time < end)})


def _window_calls(result: RunResult) -> np.ndarray:
    attempts = result.attempts
    start, end = result.window
    return (attempts.channel == _CALL) & (attempts.start >= start) & (attempts.start < end)


def rep_table(result: RunResult) -> pd.DataFrame:
    """Per rep, then per team and the whole floor: attempts, contacts, conversions, occupancy.

    ``attempts`` and ``contacts`` are calls started in the measured window (on
    any lead, as ``activities_per_rep_day`` counts them); ``conversions`` are
    the counted leads converted with the rep credited (the rep who made the
    contact); ``occupancy`` is busy / available minutes in the window (as
    ``rep_occupancy``).

    Returns:
        Columns ``rep`` (id, or "team total" / "floor total"), ``team``,
        ``attempts``, ``contacts``, ``conversions``, ``busy_hours``,
        ``available_hours``, ``occupancy`` (0..1), ``activities_per_day``.
    """
    reps, attempts, leads = result.reps, result.attempts, result.leads
    n = int(reps.team.size)
    calls = _window_calls(result) & (attempts.rep >= 0)
    per_rep_calls = np.bincount(attempts.rep[calls], minlength=n)[:n]
    reached = calls & np.isin(attempts.outcome, _REACHED)
    per_rep_contacts = np.bincount(attempts.rep[reached], minlength=n)[:n]
    won = counted_leads(result) & leads.converted & (leads.rep >= 0)
    per_rep_conv = np.bincount(leads.rep[won], minlength=n)[:n]
    frame = pd.DataFrame({
        "rep": [str(i) for i in range(n)],
        "team": [result.team_names[t] for t in reps.team],
        "attempts": per_rep_calls.astype(np.int64),
        "contacts": per_rep_contacts.astype(np.int64),
        "conversions": per_rep_conv.astype(np.int64),
        "busy_minutes": reps.busy_minutes.astype(np.float64),
        "available_minutes": reps.available_minutes.astype(np.float64),
        "shift_days": reps.shift_days.astype(np.int64),
    })
    totals = []
    for team, group in frame.groupby("team", sort=False):
        totals.append(_total(group, "team total", str(team)))
    totals.append(_total(frame, "floor total", "all"))
    frame = pd.concat([frame, pd.DataFrame(totals)], ignore_index=True)
    frame["busy_hours"] = frame["busy_minutes"] / 60
    frame["available_hours"] = frame["available_minutes"] / 60
    frame["occupancy"] = np.where(frame["available_minutes"] > 0,
                                  frame["busy_minutes"] / frame["available_minutes"].where(
                                      frame["available_minutes"] > 0, 1), np.nan)
    frame["activities_per_day"] = np.where(frame["shift_days"] > 0,
                                           frame["attempts"] / frame["shift_days"].where(frame["shift_days"] > 0, 1),
                                           np.nan)
    return frame[["rep", "team", "attempts", "contacts", "conversions", "busy_hours", "available_hours",
                  "occupancy", "activities_per_day"]]


def _total(group: pd.DataFrame, label: str, team: str) -> dict[str, Any]:
    return {"rep": label, "team": team, **{c: group[c].sum() for c in
                                          ("attempts", "contacts", "conversions", "busy_minutes",
                                           "available_minutes", "shift_days")}}


def _working_minutes(team: Any, weekday: int) -> np.ndarray:
    """Bool per minute of the day: the team is on shift and not at lunch or on a break (local time)."""
    from leadsim.vocabulary import parse_interval

    working = np.zeros(1440, dtype=bool)
    for shift in team.shifts:
        if weekday not in parse_days(shift.days):
            continue
        working[parse_hhmm(shift.start):parse_hhmm(shift.end)] = True
        for text in ([shift.lunch] if shift.lunch else []) + list(shift.breaks):
            low, high = parse_interval(text)
            working[low:high] = False
    return working


def scheduled_minutes(scenario: Any, window: tuple[float, float]) -> np.ndarray:
    """Rep minutes available at each hour of the week over the window, from the scenario's shifts.

    Per team: headcount x minutes of the hour on shift, less lunch and breaks,
    times (1 - shrinkage) (the simulator places each day's shrinkage at a
    random time; spread evenly here), holidays excluded. The simulator keeps
    each rep's available time only as a total, which this matches up to that
    spreading (tested).

    Returns:
        168 values, index weekday x 24 + hour (floor local time).
    """
    start, end = window
    hours = np.arange(np.floor(start / 60), np.ceil(end / 60)) * 60.0
    hours = hours[(hours + 60 > start) & (hours < end)]
    weekday, of_day = local_clock(hours + 30.0, scenario.calendar.start, scenario.calendar.timezone)
    stamps = pd.Timestamp(scenario.calendar.start).tz_localize(
        scenario.calendar.timezone, ambiguous=True, nonexistent="shift_forward")
    dates = (pd.DatetimeIndex(stamps.tz_convert("UTC") + pd.to_timedelta(hours + 30.0, unit="min"))
             .tz_convert(scenario.calendar.timezone).date)
    holidays = set(scenario.calendar.holidays)
    per_hour = np.zeros(168)
    working = {(t, d): _working_minutes(team, d) for t, team in enumerate(scenario.teams) for d in range(7)}
    for index, (day, minute, date) in enumerate(zip(weekday, of_day, dates)):
        if date in holidays:
            continue
        first = int(minute // 60) * 60
        low = max(start, hours[index]) - hours[index]  # the window may start or end inside the hour
        high = min(end, hours[index] + 60.0) - hours[index]
        for t, team in enumerate(scenario.teams):
            covered = working[(t, int(day))][first + int(low):first + int(np.ceil(high))].sum()
            per_hour[int(day) * 24 + first // 60] += team.headcount * covered * (1.0 - team.shrinkage)
    return per_hour


def occupancy_by_weekday_hour(result: RunResult, scenario: Any) -> pd.DataFrame:
    """Rep occupancy by weekday and hour over the measured window: call minutes / available rep minutes.

    Call minutes are those of calls started in the window, counted in the hour
    they start (calls last minutes, so the smear is small); available minutes
    come from the shifts (:func:`scheduled_minutes`): the run keeps each rep's
    available time only as a window total. Occupancy is NaN where nobody was
    scheduled. ``reps_on_calls`` is the mean number of reps on a call then.

    Returns:
        168 rows: ``weekday``, ``hour``, ``busy_minutes``, ``available_minutes``,
        ``occupancy`` (0..1, may pass 1 where calls run past a shift's end),
        ``reps_on_calls``.
    """
    start, zone = scenario.calendar.start, scenario.calendar.timezone
    attempts = result.attempts
    calls = _window_calls(result) & (attempts.rep >= 0)
    weekday, of_day = local_clock(attempts.start[calls], start, zone)
    busy = np.bincount(weekday * 24 + of_day // 60, weights=attempts.duration[calls], minlength=168)[:168]
    low, high = result.window
    hours = np.arange(np.floor(low / 60), np.ceil(high / 60)) * 60.0 + 30.0  # the middle of each hour
    h_day, h_min = local_clock(hours, start, zone)
    occurrences = np.bincount(h_day * 24 + h_min // 60, minlength=168)[:168]
    available = scheduled_minutes(scenario, result.window)
    index = np.arange(168)
    return pd.DataFrame({
        "weekday": index // 24, "hour": index % 24, "busy_minutes": busy, "available_minutes": available,
        "occupancy": np.where(available > 0, busy / np.maximum(available, 1e-9), np.nan),
        "reps_on_calls": np.where(occurrences > 0, busy / (60.0 * np.maximum(occurrences, 1)), np.nan),
    })


def inbound_by_hour(result: RunResult, calendar_start: dt.date, timezone: str) -> pd.DataFrame:
    """Counted inbound calls by hour of the day: answered live vs not (abandoned/missed).

    Returns:
        24 rows: ``hour``, ``answered``, ``abandoned``, ``answered_share`` (NaN with no call).
    """
    leads = result.leads
    sel = counted_leads(result) & leads.inbound
    _, of_day = local_clock(leads.created[sel], calendar_start, timezone)
    hour = of_day // 60
    answered = np.bincount(hour[leads.answered_live[sel]], minlength=24)[:24]
    total = np.bincount(hour, minlength=24)[:24]
    share = np.where(total > 0, answered / np.maximum(total, 1), np.nan)
    return pd.DataFrame({"hour": np.arange(24), "answered": answered, "abandoned": total - answered,
                         "answered_share": share})


def on_shift(weekday: np.ndarray, minute_of_day: np.ndarray, shifts: Sequence[Any]) -> np.ndarray:
    """Whether each local (weekday, minute of day) falls inside any of the shifts (breaks included)."""
    inside = np.zeros(np.shape(weekday), dtype=bool)
    for shift in shifts:
        days = np.isin(weekday, parse_days(shift.days))
        inside |= days & (minute_of_day >= parse_hhmm(shift.start)) & (minute_of_day < parse_hhmm(shift.end))
    return inside


def off_hours(result: RunResult, calendar_start: dt.date, timezone: str, shifts: Sequence[Any]) -> OffHours:
    """How counted leads that arrived while no team was on shift fared.

    A lead is off-hours when it arrived (floor local time) outside every
    team's shifts (lunch and breaks count as on shift; holidays are not
    treated as off-hours).

    Args:
        result: the replication.
        calendar_start: the calendar's day 0.
        timezone: the floor's time zone.
        shifts: every team's shifts (``[s for t in scenario.teams for s in t.shifts]``).
    """
    ids, waits = _waits(result)
    weekday, of_day = local_clock(result.leads.created[ids], calendar_start, timezone)
    off = ~on_shift(weekday, of_day, shifts)
    n = waits.size
    off_waits = waits[off]
    long_wait = ~np.isfinite(off_waits) | (off_waits > LONG_WAIT_MIN)

    def median(values: np.ndarray) -> float | None:
        got = values[np.isfinite(values)]
        return float(np.median(got)) if got.size else None

    return OffHours(
        share_of_leads=float(off.sum() / n) if n else 0.0,
        share_waiting_over_8h=float(long_wait.mean()) if off_waits.size else 0.0,
        median_wait_min=median(off_waits),
        office_median_wait_min=median(waits[~off]),
    )


# ---------------------------------------------------------------- the bundle a run folder keeps

#: File (in the run folder) holding every plot's data, so ``leadsim report`` can draw without the logs.
BUNDLE_NAME = "plot_data.json"


def plot_bundle(result: RunResult, scenario: Any) -> dict[str, Any]:
    """Every run plot's data from replication 0, as one JSON-ready document.

    Args:
        result: the RunResult of replication 0.
        scenario: the resolved Scenario (calendar, teams).

    Returns:
        ``{"meta": {scenario, seed, replication, leadsim_version, headcount, off_hours}, "frames":
        {name: {column: [values]}}}`` with NaN as None.
    """
    start, zone = scenario.calendar.start, scenario.calendar.timezone
    shifts = [shift for team in scenario.teams for shift in team.shifts]
    frames = {
        "speed_curve": speed_curve(result),
        "wait_by_hour_of_week": wait_by_hour_of_week(result, start, zone),
        "funnel": funnel(result),
        "by_attempt": by_attempt(result),
        "backlog": backlog_series(result),
        "occupancy_by_weekday_hour": occupancy_by_weekday_hour(result, scenario),
        "inbound_by_hour": inbound_by_hour(result, start, zone),
    }
    hours = off_hours(result, start, zone, shifts)
    from leadsim import __version__

    meta = {"scenario": scenario.name, "seed": int(result.seed), "replication": int(result.replication),
            "leadsim_version": __version__,
            "headcount": int(sum(team.headcount for team in scenario.teams)),
            "off_hours": {key: getattr(hours, key) for key in
                          ("share_of_leads", "share_waiting_over_8h", "median_wait_min", "office_median_wait_min")}}
    return {"meta": meta, "frames": {name: _columns(frame) for name, frame in frames.items()}}


def _columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for column in frame.columns:
        values = frame[column].tolist()
        out[str(column)] = [None if isinstance(v, float) and not np.isfinite(v) else v for v in values]
    return out


def bundle_frames(bundle: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The frames of a bundle read back from JSON (None back to NaN in numeric columns)."""
    frames = {}
    for name, columns in bundle.get("frames", {}).items():
        frame = pd.DataFrame(columns)
        for column in frame.columns:
            if frame[column].dtype == object and all(v is None or isinstance(v, (int, float))
                                                    for v in frame[column]):
                frame[column] = pd.to_numeric(frame[column])
        frames[name] = frame
    return frames


def bundle_off_hours(bundle: dict[str, Any]) -> OffHours | None:
    """The off-hours facts kept in a bundle (None if absent)."""
    facts = bundle.get("meta", {}).get("off_hours")
    return None if not facts else OffHours(**facts)
