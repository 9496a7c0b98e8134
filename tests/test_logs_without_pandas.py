"""The CSV logs are written without pandas, byte for byte as pandas wrote them.

Reference implementations below are the pandas code the writers replaced
(``tz_localize``/``tz_convert`` for timestamps, ``DataFrame.to_csv`` for files);
hypothesis compares them on random zones (those with midnight DST changes
included), dates, instants and values.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsim.engine.calendar import FloorCalendar
from leadsim.outputs.logs import _iso_strings, format_timestamps, write_csv_columns

# Zones with DST changes at midnight (a gap or an overlap at 00:00), half-hour and
# odd offsets, the southern hemisphere, and plain ones.
ZONES = ["America/Santiago", "America/Havana", "America/Asuncion", "Asia/Beirut", "America/Sao_Paulo",
         "Australia/Lord_Howe", "Asia/Kolkata", "Asia/Kathmandu", "Europe/Berlin", "America/Chicago", "UTC",
         "Pacific/Apia", "Africa/Casablanca", "America/St_Johns"]


def _pandas_timestamps(minutes: np.ndarray, calendar_start: dt.date, timezone: str) -> np.ndarray:
    """The replaced implementation, verbatim."""
    minutes = np.asarray(minutes, dtype=np.float64)
    out = np.full(minutes.shape, "", dtype=object)
    ok = np.isfinite(minutes)
    if not ok.any():
        return out
    start = pd.Timestamp(calendar_start).tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
    seconds = np.rint(minutes[ok] * 60.0).astype(np.int64)
    utc = pd.DatetimeIndex(start.tz_convert("UTC") + pd.to_timedelta(seconds, unit="s"))
    wall = utc.tz_convert(timezone).tz_localize(None)
    offset_min = np.rint((wall - utc.tz_localize(None)).total_seconds() / 60.0).astype(np.int64)
    wall_sec = wall.values.astype("datetime64[s]").astype(np.int64)
    out[ok] = _iso_strings(wall_sec, offset_min)
    return out


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=st.dates(dt.date(1970, 1, 1), dt.date(2100, 12, 31)),
    minutes=st.lists(st.one_of(st.floats(0, 400 * 1440), st.just(float("nan"))), min_size=1, max_size=40),
)
def test_timestamps_equal_the_pandas_implementation(zone: str, start: dt.date, minutes: list[float]) -> None:
    values = np.array(minutes)
    assert list(format_timestamps(values, start, zone)) == list(_pandas_timestamps(values, start, zone))


def test_every_midnight_transition_day_of_the_zones_matches() -> None:
    # Start the calendar on each day with a DST change near midnight, where a naive
    # conversion would go wrong, and look at the hours around it.
    minutes = np.arange(0.0, 3 * 1440.0, 17.0)
    for zone in ZONES:
        tz = zoneinfo.ZoneInfo(zone)
        days = [dt.date(1990, 1, 1) + dt.timedelta(days=k) for k in range(45 * 366)]
        offsets = [dt.datetime.combine(d, dt.time(12), tzinfo=dt.UTC).astimezone(tz).utcoffset() for d in days]
        change_days = [days[i] for i in range(1, len(days)) if offsets[i] != offsets[i - 1]]
        for day in change_days:
            for start in (day, day + dt.timedelta(days=1)):
                got = format_timestamps(minutes, start, zone)
                if (zone, start) in PANDAS_OFF_BY_AN_HOUR:
                    continue
                assert list(got) == list(_pandas_timestamps(minutes, start, zone)), (zone, start)


#: Days whose midnight does not exist, where pandas' shift_forward lands an hour past the
#: end of the gap (Samoa's first DST in 2010; the day Samoa skipped, 2011-12-30).
PANDAS_OFF_BY_AN_HOUR = {("Pacific/Apia", dt.date(2010, 9, 26)), ("Pacific/Apia", dt.date(2011, 12, 30))}


def test_where_pandas_was_off_floor_minute_0_is_the_simulator_s_origin() -> None:
    # The simulator's clock (FloorCalendar) starts at the end of the gap; the logs now agree.
    for zone, start in sorted(PANDAS_OFF_BY_AN_HOUR):
        origin = FloorCalendar(start, zone)._origin_utc.astimezone(zoneinfo.ZoneInfo(zone))
        assert format_timestamps(np.array([0.0]), start, zone)[0] == origin.isoformat()
        assert format_timestamps(np.array([0.0]), start, zone)[0] != _pandas_timestamps(np.array([0.0]), start, zone)[0]


@settings(max_examples=100, deadline=None)
@given(
    floats=st.lists(st.one_of(st.floats(allow_infinity=False, allow_nan=False, width=64), st.just(float("nan"))),
                    min_size=1, max_size=30),
    text=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"), max_size=8),
)
def test_csv_columns_equal_pandas_to_csv(tmp_path_factory, floats: list[float], text: str) -> None:
    n = len(floats)
    columns = {
        "id": np.arange(n, dtype=np.int64),
        "value": np.array(floats),
        "name": np.array([text, "a,b", 'say "hi"', "multi\nline"] * n, dtype=object)[:n],
        "flag": np.where(np.arange(n) % 2 == 0, "true", "false"),
    }
    folder: Path = tmp_path_factory.mktemp("csv")
    ours = write_csv_columns(columns, folder / "ours.csv")
    pd.DataFrame(columns).to_csv(folder / "pandas.csv", index=False, na_rep="")
    assert ours.read_bytes() == (folder / "pandas.csv").read_bytes()
