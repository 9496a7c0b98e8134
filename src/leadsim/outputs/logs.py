"""Write a replication's leads and attempts as CSV in the canonical log schema.

The canonical schema (DESIGN.md, "Historical logs") is what calibration reads,
so a simulated run can be fed back to calibration with known truth:

* leads: ``lead_id, created_at, source, timezone, value, converted_at``, then the
  simulator's extra columns ``status, attempts, first_attempt_at,
  first_contact_at, counted, quality``;
* activities: ``lead_id, rep_id, started_at, channel, outcome,
  duration_seconds``, then the extra column ``attempt``;
* inbound calls (runs with inbound callers): ``call_id, arrived_at, answered_at,
  ended_at, outcome (answered|abandoned|other), agent_id, line``, then the extra
  columns ``lead_id, offer``.

Timestamps are ISO 8601 with the UTC offset of the floor's time zone, to the
second (e.g. ``2026-01-05T08:03:12-06:00``); a floor minute m is the instant
``calendar_start 00:00`` (floor local time) plus m real minutes, so clocks
change at DST but elapsed time does not jump. Everything is vectorised: a
million rows cost seconds, not minutes.

Writing needs no pandas (``leadsim run`` would spend a third of a second just
importing it): columns are turned into strings exactly as ``DataFrame.to_csv``
turns them (floats by numpy's ``astype(str)``, missing values as empty fields)
and written with the :mod:`csv` module pandas uses, so the files are
byte-identical to pandas' (tests/test_regression_golden_output.py). The
``*_frame`` functions still return DataFrames for callers that want one.
"""

from __future__ import annotations

import csv
import datetime as dt
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from leadsim.outputs.atomic import atomic_path
from leadsim.simulator.results import (
    CHANNELS,
    LEAD_STATUSES,
    OFFER_ABANDONED,
    OFFER_ANSWERED,
    OUTCOMES,
    RunResult,
    counted_leads,
)

if TYPE_CHECKING:
    import pandas as pd

LEAD_COLUMNS: tuple[str, ...] = (
    "lead_id", "created_at", "source", "timezone", "value", "converted_at",
    "status", "attempts", "first_attempt_at", "first_contact_at", "counted", "quality",
    "credited_rep", "credited_team",
)
ATTEMPT_COLUMNS: tuple[str, ...] = (
    "lead_id", "rep_id", "started_at", "channel", "outcome", "duration_seconds", "attempt",
    "owner_rep",
)

CALL_COLUMNS: tuple[str, ...] = (
    "call_id", "arrived_at", "answered_at", "ended_at", "outcome", "agent_id", "line", "lead_id", "offer",
)


def format_timestamps(minutes: np.ndarray, calendar_start: dt.date, timezone: str) -> np.ndarray:
    """Turn floor minutes into ISO 8601 strings with the floor's UTC offset.

    Args:
        minutes: floor minutes since ``calendar_start`` 00:00 local; NaN gives "".
        calendar_start: the calendar's day 0.
        timezone: the floor's IANA time zone.

    Returns:
        An object array of strings like ``2026-03-09T09:00:00-05:00``
        (rounded to the nearest second).
    """
    minutes = np.asarray(minutes, dtype=np.float64)
    out = np.full(minutes.shape, "", dtype=object)
    ok = np.isfinite(minutes)
    if not ok.any():
        return out
    zone = zoneinfo.ZoneInfo(timezone)
    utc = _local_midnight_utc(calendar_start, zone) + np.rint(minutes[ok] * 60.0).astype(np.int64)
    offset_sec = _utc_offsets(utc, zone)
    wall_sec = utc + offset_sec
    offset_min = np.rint(offset_sec / 60.0).astype(np.int64)
    out[ok] = _iso_strings(wall_sec, offset_min)
    return out


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _offset_at(utc_second: int, zone: zoneinfo.ZoneInfo) -> int:
    """The zone's UTC offset in seconds at a UTC instant (seconds since 1970)."""
    offset = (_EPOCH + dt.timedelta(seconds=utc_second)).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _local_midnight_utc(day: dt.date, zone: zoneinfo.ZoneInfo) -> int:
    """UTC seconds of 00:00 local on ``day``, as pandas' ``tz_localize(ambiguous=True,
    nonexistent="shift_forward")``: the first instant if midnight repeats, the end of
    the gap if midnight does not exist (a few zones change clocks at midnight)."""
    naive = dt.datetime.combine(day, dt.time(0))
    first = int((naive.replace(tzinfo=zone, fold=0) - _EPOCH).total_seconds())
    if (_EPOCH + dt.timedelta(seconds=first)).astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # Midnight falls in a gap: fold=1 reads it with the later offset (an instant before
    # the change); the change itself, where the wall clock jumps past midnight, is it.
    t = int((naive.replace(tzinfo=zone, fold=1) - _EPOCH).total_seconds())
    while _offset_at(t, zone) == _offset_at(t - 1, zone) and t < first:
        t += 1
    return t


def _utc_offsets(utc: np.ndarray, zone: zoneinfo.ZoneInfo) -> np.ndarray:
    """Per UTC instant (seconds since 1970), the zone's offset in seconds.

    Offsets are looked up once per distinct hour; only instants in an hour that
    contains a change (a DST switch) are looked up one by one.
    """
    hours, index = np.unique(utc // 3600, return_inverse=True)
    index = index.ravel()
    at_start = np.array([_offset_at(int(h) * 3600, zone) for h in hours], dtype=np.int64)
    at_end = np.array([_offset_at(int(h) * 3600 + 3599, zone) for h in hours], dtype=np.int64)
    offsets = at_start[index]
    changing = np.flatnonzero((at_start != at_end)[index])
    for i in changing.tolist():
        offsets[i] = _offset_at(int(utc[i]), zone)
    return offsets


_SECONDS_PER_DAY = 86_400
#: "HH:MM:SS" for every second of a day, as bytes (built once, 700 kB).
_TIME_OF_DAY: np.ndarray | None = None


def _time_of_day_table() -> np.ndarray:
    global _TIME_OF_DAY
    if _TIME_OF_DAY is None:
        sec = np.arange(_SECONDS_PER_DAY)
        text = [f"{h:02d}:{m:02d}:{s:02d}" for h, m, s in zip(sec // 3600, sec // 60 % 60, sec % 60)]
        _TIME_OF_DAY = np.frombuffer("".join(text).encode("ascii"), dtype=np.uint8).reshape(-1, 8)
    return _TIME_OF_DAY


def _table(texts: list[str], width: int) -> np.ndarray:
    return np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint8).reshape(-1, width)


def _iso_strings(wall_sec: np.ndarray, offset_min: np.ndarray) -> np.ndarray:
    """ISO strings from local wall-clock seconds since 1970 and UTC offsets in minutes.

    Formatting a million datetimes one by one takes seconds; instead the three
    parts (date, time of day, offset) are copied from small lookup tables into a
    fixed-width byte buffer: dates and offsets repeat, times of day are 86,400.
    """
    day, second = np.divmod(wall_sec, _SECONDS_PER_DAY)
    days, day_idx = np.unique(day, return_inverse=True)
    offsets, off_idx = np.unique(offset_min, return_inverse=True)
    day_text = _table([f"{np.datetime64(int(d), 'D')}T" for d in days], 11)
    off_text = _table([_offset(int(m)) for m in offsets], 6)
    buf = np.empty((wall_sec.size, 25), dtype=np.uint8)
    buf[:, :11] = day_text[day_idx.ravel()]
    buf[:, 11:19] = _time_of_day_table()[second]
    buf[:, 19:] = off_text[off_idx.ravel()]
    return buf.view("S25").ravel().astype("U25").astype(object)


def _offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def _names(codes: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    return np.asarray(names, dtype=object)[codes.astype(np.int64)]


def _rep_ids(reps: np.ndarray) -> np.ndarray:
    """rep017-style ids; "" for non-call steps (rep -1)."""
    reps = reps.astype(np.int64)
    top = int(reps.max()) if reps.size else -1
    table = np.array([f"rep{i:03d}" for i in range(top + 1)] + [""], dtype=object)
    return table[np.where(reps >= 0, reps, top + 1)]


def leads_frame(result: RunResult, calendar_start: dt.date, timezone: str) -> pd.DataFrame:
    """The leads table (one row per lead) in the canonical schema plus extras, as a DataFrame."""
    import pandas as pd

    return pd.DataFrame(leads_columns(result, calendar_start, timezone), columns=list(LEAD_COLUMNS))


def leads_columns(result: RunResult, calendar_start: dt.date, timezone: str) -> dict[str, np.ndarray]:
    """The leads table (one row per lead) in the canonical schema plus extras, column by column.

    ``value`` is the source's value per conversion for converted leads and empty
    otherwise; ``converted_at`` is the lead's ``closed_at`` (when it converted)
    for converted leads and empty otherwise; ``counted`` is true for leads
    created in the measured window.
    """
    leads = result.leads
    n = len(leads)
    values = np.asarray(result.source_values or (0.0,) * len(result.source_names), dtype=np.float64)
    converted = leads.converted.astype(bool)
    value = np.where(converted, values[leads.source.astype(np.int64)], np.nan)

    def stamp(minutes: np.ndarray) -> np.ndarray:
        return format_timestamps(minutes, calendar_start, timezone)

    counted = counted_leads(result)
    return {
        "lead_id": np.arange(n, dtype=np.int64),
        "created_at": stamp(leads.created),
        "source": _names(leads.source, result.source_names),
        "timezone": _names(leads.timezone, result.timezones),
        "value": value,
        "converted_at": stamp(np.where(converted, leads.closed_at, np.nan)),
        "status": _names(leads.status, LEAD_STATUSES),
        "attempts": leads.attempts.astype(np.int64),
        "first_attempt_at": stamp(leads.first_attempt),
        "first_contact_at": stamp(leads.first_contact),
        "counted": np.where(counted, "true", "false"),
        "quality": np.round(leads.quality.astype(np.float64), 6),
        "credited_rep": _rep_ids(leads.rep),
        "credited_team": _credited_teams(result),
    }


def _credited_teams(result: RunResult) -> np.ndarray:
    """Team name of the rep who reached each lead ("" if nobody did): who gets the credit."""
    rep = result.leads.rep.astype(np.int64)
    teams = np.asarray(result.reps.team, dtype=np.int64)
    names = np.array(list(result.team_names) + [""], dtype=object)
    if teams.size == 0:
        return np.full(rep.shape, "", dtype=object)
    index = np.where(rep >= 0, teams[np.clip(rep, 0, teams.size - 1)], len(result.team_names))
    return names[index]


def attempts_frame(result: RunResult, calendar_start: dt.date, timezone: str) -> pd.DataFrame:
    """The activities table (one row per attempt or step) in the canonical schema plus extras, as a DataFrame."""
    import pandas as pd

    return pd.DataFrame(attempts_columns(result, calendar_start, timezone), columns=list(ATTEMPT_COLUMNS))


def attempts_columns(result: RunResult, calendar_start: dt.date, timezone: str) -> dict[str, np.ndarray]:
    """The activities table (one row per attempt or step) in the canonical schema plus extras, column by column.

    ``duration_seconds`` is rep time (ring or talk plus wrap) rounded to 0.1 s;
    non-call steps have an empty ``rep_id`` and ``outcome`` and attempt 0.
    """
    att = result.attempts
    return {
        "lead_id": att.lead.astype(np.int64),
        "rep_id": _rep_ids(att.rep),
        "started_at": format_timestamps(att.start, calendar_start, timezone),
        "channel": _names(att.channel, CHANNELS),
        "outcome": _names(att.outcome, OUTCOMES),
        "duration_seconds": np.round(att.duration.astype(np.float64) * 60.0, 1),
        "attempt": att.attempt.astype(np.int64),
        "owner_rep": _rep_ids(att.owner if att.owner is not None else np.full(len(att), -1)),
    }


def format_timestamps_ms(minutes: np.ndarray, calendar_start: dt.date, timezone: str) -> np.ndarray:
    """Like :func:`format_timestamps`, to the millisecond (``2026-03-09T09:00:00.250-05:00``).

    Call logs need it: a caller who hangs up after 0.3 s has waited, and a log rounded to the
    second would say the caller never waited.
    """
    minutes = np.asarray(minutes, dtype=np.float64)
    ms = np.round(minutes * 60000.0)
    whole = np.floor(ms / 1000.0)
    out = format_timestamps(whole / 60.0, calendar_start, timezone)
    frac = np.where(np.isfinite(ms), ms - whole * 1000.0, 0.0).astype(np.int64)
    for i in np.flatnonzero(np.isfinite(ms)):
        text = out[i]
        out[i] = f"{text[:19]}.{frac[i]:03d}{text[19:]}"
    return out


def calls_frame(result: RunResult, calendar_start: dt.date, timezone: str) -> pd.DataFrame:
    """The inbound-calls table (one row per offered call) in the canonical schema, as a DataFrame."""
    import pandas as pd

    return pd.DataFrame(calls_columns(result, calendar_start, timezone), columns=list(CALL_COLUMNS))


def calls_columns(result: RunResult, calendar_start: dt.date, timezone: str) -> dict[str, np.ndarray]:
    """The inbound-calls table (one row per offered call, redials included), column by column.

    An answered call ends when the rep's time on it ends (talk plus wrap: the
    lead's first call attempt, which is the live answer); an abandoned call ends
    when the caller hangs up; a caller still waiting when the run ended is
    ``other`` with no end. ``line`` is the source's name. Rows are in order of
    arrival.
    """
    offers = result.offers
    if offers is None or len(offers) == 0:
        return {name: np.zeros(0, dtype=object) for name in CALL_COLUMNS}
    order = np.lexsort((offers.lead, offers.offered))
    lead = offers.lead[order].astype(np.int64)
    offered = offers.offered[order].astype(np.float64)
    waited = offers.waited[order].astype(np.float64)
    state = offers.answered[order]
    answered = state == OFFER_ANSWERED
    abandoned = state == OFFER_ABANDONED
    answer_at = np.where(answered, offered + waited, np.nan)
    # An inbound lead's first call attempt is its live answer (LeadLog.first_attempt).
    att = result.attempts
    first = att.attempt.astype(np.int64) == 1
    n_leads = len(result.leads)
    duration_of = np.full(n_leads, np.nan)
    rep_of = np.full(n_leads, -1, dtype=np.int64)
    duration_of[att.lead[first].astype(np.int64)] = att.duration[first].astype(np.float64)
    rep_of[att.lead[first].astype(np.int64)] = att.rep[first].astype(np.int64)
    duration = np.where(answered, duration_of[lead], np.nan)
    rep = np.where(answered, rep_of[lead], -1)
    ended = np.where(answered, answer_at + duration, np.where(abandoned, offered + waited, np.nan))
    outcome = np.where(answered, "answered", np.where(abandoned, "abandoned", "other")).astype(object)

    def stamp(minutes: np.ndarray) -> np.ndarray:
        return format_timestamps_ms(minutes, calendar_start, timezone)

    return {
        "call_id": np.arange(lead.size, dtype=np.int64),
        "arrived_at": stamp(offered),
        "answered_at": stamp(answer_at),
        "ended_at": stamp(ended),
        "outcome": outcome,
        "agent_id": np.where(rep >= 0, _rep_ids(rep), ""),
        "line": _names(result.leads.source[lead], result.source_names),
        "lead_id": lead,
        "offer": offers.offer[order].astype(np.int64),
    }


def write_calls_csv(result: RunResult, path: str | Path, calendar_start: dt.date, timezone: str) -> Path:
    """Write ``calls.csv``: one row per offered inbound call (see :func:`calls_frame`).

    Returns:
        The path written.
    """
    return write_csv_columns(calls_columns(result, calendar_start, timezone), path)


def write_leads_csv(result: RunResult, path: str | Path, calendar_start: dt.date,
                    timezone: str) -> Path:
    """Write ``leads.csv``: one row per lead (all leads, counted or not).

    Args:
        result: the replication to write.
        path: the file to write.
        calendar_start: the calendar's day 0 (``scenario.calendar.start``).
        timezone: the floor's time zone (``scenario.calendar.timezone``).

    Returns:
        The path written.
    """
    return write_csv_columns(leads_columns(result, calendar_start, timezone), path)


def write_attempts_csv(result: RunResult, path: str | Path, calendar_start: dt.date,
                       timezone: str) -> Path:
    """Write ``attempts.csv``: one row per activity (call attempts and email/SMS steps).

    Args:
        result: the replication to write.
        path: the file to write.
        calendar_start: the calendar's day 0 (``scenario.calendar.start``).
        timezone: the floor's time zone (``scenario.calendar.timezone``).

    Returns:
        The path written.
    """
    return write_csv_columns(attempts_columns(result, calendar_start, timezone), path)


def _cells(values: Any) -> list[Any]:
    """A column's CSV cells, as ``DataFrame.to_csv`` makes them (floats: numpy's str, NaN: "")."""
    array = np.asarray(values)
    if array.dtype.kind == "f":
        text = array.astype(str).astype(object)
        text[np.isnan(array)] = ""
        return text.tolist()
    return array.tolist()  # ints and strings: the csv module writes their str()


def write_csv_columns(columns: Mapping[str, Any], path: str | Path) -> Path:
    """Write columns as CSV, byte for byte as ``pd.DataFrame(columns).to_csv(path, index=False)``.

    Missing float values are written as empty fields. The file appears under its
    name only once complete.

    Returns:
        The path written.
    """
    path = Path(path)
    cells = [_cells(values) for values in columns.values()]
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")  # pandas' defaults: QUOTE_MINIMAL, '"'
        writer.writerow(list(columns))
        writer.writerows(zip(*cells))
    return path
