"""Calibration readers: every kind of bad row is used or quarantined with its reason, never lost.

Each test writes its own small log (never ../shared data) and checks three things:
the bad row is in quarantine.csv with the expected reason, the good rows are
used, and rows read = rows used + rows quarantined.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadsim.calibration import fits_arrivals as arr
from leadsim.calibration.colmap import (
    ColumnMap,
    load_column_map,
    parse_column_map,
    presets,
)
from leadsim.calibration.reader import (
    Quarantine,
    ReadContext,
    read_activities,
    read_leads,
)
from leadsim.calibration.reader_calls import read_calls
from leadsim.scenarios.errors import ScenarioError

ZONE = "America/Chicago"
LEADS_HEADER = "lead_id,created_at,source,timezone,value,converted_at\n"
ACTS_HEADER = "lead_id,rep_id,started_at,channel,outcome,duration_seconds\n"
CALLS_HEADER = "call_id,arrived_at,answered_at,ended_at,outcome,agent_id,line\n"

GOOD_LEADS = (
    "L1,2026-01-05T08:00:00-06:00,web,America/New_York,,\n"
    "L2,2026-01-05T09:00:00-06:00,web,,,\n"
    "L3,2026-01-05T10:00:00-06:00,web,,1200,2026-01-06T10:00:00-06:00\n"
)


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def context(tmp_path: Path, cmap: ColumnMap | None = None, naive: str | None = None) -> ReadContext:
    return ReadContext(cmap or ColumnMap(), ZONE, Quarantine(tmp_path / "quarantine.csv"), naive_fallback=naive)


def quarantined(ctx: ReadContext) -> list[dict[str, str]]:
    ctx.quarantine.close()
    with open(ctx.quarantine.path, encoding="utf-8") as handle:  # type: ignore[arg-type]
        return list(csv.DictReader(handle))


def read_both(tmp_path: Path, acts_rows: str, ctx: ReadContext | None = None):
    ctx = ctx or context(tmp_path)
    leads, _ls = read_leads(write(tmp_path / "leads.csv", LEADS_HEADER + GOOD_LEADS), ctx)
    acts, summary = read_activities(write(tmp_path / "acts.csv", ACTS_HEADER + acts_rows), ctx, leads)
    return acts, summary, quarantined(ctx)


def assert_balanced(summary) -> None:
    assert summary.rows_read == summary.rows_used + sum(summary.quarantined.values())


# ---------------------------------------------------------------- leads


def test_good_leads_are_all_used(tmp_path):
    ctx = context(tmp_path)
    leads, summary = read_leads(write(tmp_path / "l.csv", LEADS_HEADER + GOOD_LEADS), ctx)
    assert summary.rows_used == 3 and quarantined(ctx) == []
    assert leads["created"].iloc[0] == pd.Timestamp("2026-01-05T14:00:00Z")
    assert leads["converted"].notna().sum() == 1


def test_mixed_date_formats_are_quarantined(tmp_path):
    ctx = context(tmp_path)
    text = LEADS_HEADER + GOOD_LEADS + "L4,01/05/2026 08:00,web,,,\nL5,2026-13-45T08:00:00-06:00,web,,,\n"
    _leads, summary = read_leads(write(tmp_path / "l.csv", text), ctx)
    rows = quarantined(ctx)
    assert {r["reason"] for r in rows} == {"created_at: unparseable timestamp (expected ISO 8601)"}
    assert [r["line"] for r in rows] == ["5", "6"] and "01/05/2026" in rows[0]["row"]
    assert summary.rows_used == 3
    assert_balanced(summary)


def test_strptime_format_from_the_map(tmp_path):
    cmap = parse_column_map({"date_format": "%m/%d/%Y %H:%M", "timezone": ZONE}, "m.yaml")
    ctx = context(tmp_path, cmap)
    text = LEADS_HEADER + "A,01/05/2026 08:00,web,,,\nB,2026-01-05T08:00:00-06:00,web,,,\n"
    leads, _summary = read_leads(write(tmp_path / "l.csv", text), ctx)
    assert list(leads["lead_id"]) == ["A"]
    assert leads["created"].iloc[0] == pd.Timestamp("2026-01-05T14:00:00Z")
    assert "expected '%m/%d/%Y %H:%M'" in quarantined(ctx)[0]["reason"]


def test_missing_time_zone_is_quarantined_not_guessed(tmp_path):
    ctx = context(tmp_path)  # no zone in the map, no --base
    text = LEADS_HEADER + GOOD_LEADS + "L4,2026-01-05 08:00:00,web,,,\n"
    _, summary = read_leads(write(tmp_path / "l.csv", text), ctx)
    (row,) = quarantined(ctx)
    assert "without UTC offset" in row["reason"] and summary.rows_used == 3


def test_naive_timestamps_read_in_the_map_zone(tmp_path):
    ctx = context(tmp_path, parse_column_map({"timezone": ZONE}, "m.yaml"))
    leads, _ = read_leads(write(tmp_path / "l.csv", LEADS_HEADER + "L4,2026-07-01 08:00:00,web,,,\n"), ctx)
    assert leads["created"].iloc[0] == pd.Timestamp("2026-07-01T13:00:00Z")  # CDT, UTC-5


def test_offset_inconsistent_with_declared_zone(tmp_path):
    ctx = context(tmp_path, parse_column_map({"timezone": ZONE}, "m.yaml"))
    text = LEADS_HEADER + GOOD_LEADS + "L4,2026-01-05T08:00:00+05:30,web,,,\nL5,2026-01-05T14:00:00Z,web,,,\n"
    leads, _summary = read_leads(write(tmp_path / "l.csv", text), ctx)
    (row,) = quarantined(ctx)
    assert row["line"] == "5" and "inconsistent with the column map's time zone" in row["reason"]
    assert "L5" in set(leads["lead_id"])  # UTC is always accepted


def test_dst_gap_local_time_is_quarantined(tmp_path):
    ctx = context(tmp_path, parse_column_map({"timezone": ZONE}, "m.yaml"))
    text = LEADS_HEADER + "L1,2026-03-08 02:30:00,web,,,\n"  # does not exist in Chicago
    _, summary = read_leads(write(tmp_path / "l.csv", text), ctx)
    assert "DST" in quarantined(ctx)[0]["reason"] and summary.rows_used == 0


def test_unknown_lead_time_zone_and_bad_value(tmp_path):
    ctx = context(tmp_path)
    text = LEADS_HEADER + GOOD_LEADS + "L4,2026-01-05T08:00:00-06:00,web,Mars/Olympus,,\n" \
        "L5,2026-01-05T08:00:00-06:00,web,,lots,\n"
    _, summary = read_leads(write(tmp_path / "l.csv", text), ctx)
    assert [r["reason"] for r in quarantined(ctx)] == ["unknown lead time zone", "value is not a number"]
    assert_balanced(summary)


def test_duplicate_leads_keep_the_first(tmp_path):
    ctx = context(tmp_path)
    text = LEADS_HEADER + GOOD_LEADS + "L2,2026-01-05T11:00:00-06:00,web,,,\n"
    leads, summary = read_leads(write(tmp_path / "l.csv", text), ctx)
    (row,) = quarantined(ctx)
    assert row["reason"].startswith("duplicate lead_id") and row["line"] == "5"
    assert leads.set_index("lead_id").loc["L2", "created"] == pd.Timestamp("2026-01-05T15:00:00Z")
    assert_balanced(summary)


def test_converted_before_created(tmp_path):
    ctx = context(tmp_path)
    text = LEADS_HEADER + "L1,2026-01-05T08:00:00-06:00,web,,,2026-01-04T08:00:00-06:00\n"
    read_leads(write(tmp_path / "l.csv", text), ctx)
    assert quarantined(ctx)[0]["reason"] == "converted_at before created_at"


def test_empty_file_is_a_clear_error(tmp_path):
    with pytest.raises(ScenarioError) as err:
        read_leads(write(tmp_path / "l.csv", ""), context(tmp_path))
    assert "empty leads file" in str(err.value) and "l.csv" in str(err.value)


def test_header_only_file_reads_zero_rows(tmp_path):
    leads, summary = read_leads(write(tmp_path / "l.csv", LEADS_HEADER), context(tmp_path))
    assert len(leads) == 0 and summary.rows_read == 0


def test_missing_required_column_is_a_clear_error(tmp_path):
    with pytest.raises(ScenarioError) as err:
        read_leads(write(tmp_path / "l.csv", "lead_id,created_at\nL1,2026-01-05T08:00:00-06:00\n"), context(tmp_path))
    assert "lacks required columns ['source']" in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        read_leads(tmp_path / "nope.csv", context(tmp_path))


def test_non_utf8_bytes_are_quarantined(tmp_path):
    ctx = context(tmp_path)
    raw = (LEADS_HEADER + GOOD_LEADS).encode() + b"L\xff4,2026-01-05T08:00:00-06:00,w\xe9b,,,\n"
    _leads, summary = read_leads(write(tmp_path / "l.csv", raw), ctx)
    (row,) = quarantined(ctx)
    assert "not valid utf-8" in row["reason"] and "\\udcff" in row["row"]
    assert summary.rows_used == 3
    assert_balanced(summary)


def test_latin1_encoding_from_the_map(tmp_path):
    ctx = context(tmp_path, parse_column_map({"encoding": "latin-1"}, "m.yaml"))
    raw = LEADS_HEADER.encode() + b"L1,2026-01-05T08:00:00-06:00,caf\xe9,,,\n"
    leads, _ = read_leads(write(tmp_path / "l.csv", raw), ctx)
    assert list(leads["source"]) == ["caf\u00e9"]


def test_ragged_rows_are_quarantined(tmp_path):
    ctx = context(tmp_path)
    text = LEADS_HEADER + GOOD_LEADS + "L4,2026-01-05T08:00:00-06:00,web\nL5,2026-01-05T08:00:00-06:00,web,,,,extra\n"
    _leads, summary = read_leads(write(tmp_path / "l.csv", text), ctx)
    reasons = [r["reason"] for r in quarantined(ctx)]
    assert reasons == ["ragged row (expected 6 fields, got 3)", "ragged row (expected 6 fields, got 7)"]
    assert_balanced(summary)


def test_separator_from_the_map(tmp_path):
    ctx = context(tmp_path, parse_column_map({"separator": ";"}, "m.yaml"))
    text = LEADS_HEADER.replace(",", ";") + "L1;2026-01-05T08:00:00-06:00;web;;;\n"
    leads, _ = read_leads(write(tmp_path / "l.csv", text), ctx)
    assert list(leads["lead_id"]) == ["L1"]


def test_chunks_do_not_change_the_result(tmp_path):
    rows = "".join(f"L{i},2026-01-05T08:{i % 60:02d}:00-06:00,web,,,\n" for i in range(250)) + "L7,x,web,,,\n"
    path = write(tmp_path / "l.csv", LEADS_HEADER + rows)
    small = ReadContext(ColumnMap(), ZONE, Quarantine(None), chunk_rows=7)
    big = ReadContext(ColumnMap(), ZONE, Quarantine(None))
    a, sa = read_leads(path, small)
    b, sb = read_leads(path, big)
    assert a.drop(columns="line").equals(b.drop(columns="line")) and sa.quarantined == sb.quarantined


# ---------------------------------------------------------------- activities


GOOD_ACTS = (
    "L1,rep1,2026-01-05T08:05:00-06:00,call,no_answer,30\n"
    "L1,rep1,2026-01-05T09:05:00-06:00,call,contact,300\n"
    "L2,,2026-01-05T09:05:00-06:00,email,,\n"
)


def test_good_activities_are_all_used(tmp_path):
    acts, summary, rows = read_both(tmp_path, GOOD_ACTS)
    assert rows == [] and summary.rows_used == 3
    assert list(acts["outcome"].astype(str)) == ["no_answer", "contact", ""]


def test_activity_for_unknown_lead_and_before_its_lead(tmp_path):
    _acts, summary, rows = read_both(tmp_path, GOOD_ACTS + "L9,rep1,2026-01-05T08:05:00-06:00,call,no_answer,30\n"
                                    "L3,rep1,2026-01-05T09:59:00-06:00,call,no_answer,30\n")
    assert [r["reason"] for r in rows] == ["activity for an unknown lead", "activity before its lead was created"]
    assert_balanced(summary)


def test_unknown_outcome_and_default_outcome(tmp_path):
    _, summary, rows = read_both(tmp_path, GOOD_ACTS + "L1,rep1,2026-01-05T10:05:00-06:00,call,Gatekeeper,30\n")
    assert rows[0]["reason"] == "unknown outcome" and summary.rows_used == 3
    cmap = parse_column_map({"activities": {"default_outcome": "no_answer"}}, "m.yaml")
    acts, summary, rows = read_both(tmp_path, GOOD_ACTS + "L1,rep1,2026-01-05T10:05:00-06:00,call,Gatekeeper,30\n",
                                    context(tmp_path, cmap))
    assert rows == [] and list(acts["outcome"].astype(str))[-1] == "no_answer"


def test_outcome_value_map(tmp_path):
    cmap = parse_column_map({"activities": {"values": {"outcome": {"Left VM": "voicemail"}}}}, "m.yaml")
    acts, _, rows = read_both(tmp_path, "L1,rep1,2026-01-05T10:05:00-06:00,call,Left VM,30\n", context(tmp_path, cmap))
    assert rows == [] and list(acts["outcome"].astype(str)) == ["voicemail"]


def test_negative_and_absurd_durations(tmp_path):
    _, summary, rows = read_both(tmp_path, GOOD_ACTS + "L1,rep1,2026-01-05T10:05:00-06:00,call,no_answer,-4\n"
                                 "L1,rep1,2026-01-05T11:05:00-06:00,call,contact,90000\n"
                                 "L1,rep1,2026-01-05T12:05:00-06:00,call,contact,long\n")
    assert [r["reason"] for r in rows] == ["negative duration", "absurd duration (over 14400 s)",
                                           "duration is not a number"]
    assert_balanced(summary)


def test_duplicate_activities_across_chunks(tmp_path):
    ctx = ReadContext(ColumnMap(), ZONE, Quarantine(tmp_path / "q.csv"), chunk_rows=2)
    leads, _ = read_leads(write(tmp_path / "leads.csv", LEADS_HEADER + GOOD_LEADS), ctx)
    text = ACTS_HEADER + GOOD_ACTS + GOOD_ACTS.splitlines(keepends=True)[0] + GOOD_ACTS.splitlines(keepends=True)[1]
    _acts, summary = read_activities(write(tmp_path / "a.csv", text), ctx, leads)
    rows = quarantined(ctx)
    assert [r["line"] for r in rows] == ["5", "6"]
    assert all(r["reason"].startswith("duplicate activity") for r in rows)
    assert summary.rows_used == 3


def test_call_crossing_midnight_is_used_and_counted(tmp_path):
    _acts, summary, rows = read_both(tmp_path, GOOD_ACTS + "L1,rep1,2026-01-05T23:58:00-06:00,call,contact,600\n")
    assert rows == [] and summary.rows_used == 4
    assert summary.notes["calls_crossing_midnight_used"] == 1


def test_duration_units(tmp_path):
    cmap = parse_column_map({"activities": {"duration_unit": "hh:mm:ss"}}, "m.yaml")
    acts, _, _ = read_both(tmp_path, "L1,rep1,2026-01-05T10:05:00-06:00,call,contact,00:02:30\n", context(tmp_path, cmap))
    assert float(acts["duration"].iloc[0]) == 150.0


def test_activities_without_leads_file(tmp_path):
    ctx = context(tmp_path)
    acts, summary = read_activities(write(tmp_path / "a.csv", ACTS_HEADER + GOOD_ACTS), ctx, None)
    assert summary.rows_used == 3 and acts["lead"].nunique() == 2


# ---------------------------------------------------------------- inbound calls


def test_inbound_calls_validation(tmp_path):
    ctx = context(tmp_path)
    text = CALLS_HEADER + (
        "c1,2026-01-05T08:00:00-06:00,2026-01-05T08:00:30-06:00,2026-01-05T08:05:00-06:00,answered,a1,sales\n"
        "c2,2026-01-05T08:01:00-06:00,,2026-01-05T08:02:00-06:00,abandoned,,sales\n"
        "c3,2026-01-05T08:01:00-06:00,,2026-01-05T08:02:00-06:00,answered,a1,sales\n"
        "c4,2026-01-05T08:01:00-06:00,2026-01-05T08:00:00-06:00,2026-01-05T08:02:00-06:00,answered,a1,sales\n"
        "c1,2026-01-05T08:00:00-06:00,2026-01-05T08:00:30-06:00,2026-01-05T08:05:00-06:00,answered,a1,sales\n"
        "c5,2026-01-05T23:59:00-06:00,2026-01-05T23:59:10-06:00,2026-01-06T00:03:00-06:00,answered,a2,sales\n"
        "c6,2026-01-05T08:01:00-06:00,,2026-01-05T08:02:00-06:00,hung up,,sales\n"
    )
    calls, summary = read_calls(write(tmp_path / "c.csv", text), ctx)
    reasons = [r["reason"] for r in quarantined(ctx)]
    assert reasons == ["answered call without answered_at", "timestamps out of order (arrived <= answered <= ended)",
                       "duplicate call_id (first occurrence kept)", "unknown outcome"]
    assert list(calls["call_id"]) == ["c1", "c2", "c5"]
    assert list(calls["wait"]) == [30.0, 60.0, 10.0]
    assert summary.notes["calls_crossing_midnight_used"] == 1
    assert_balanced(summary)


# ---------------------------------------------------------------- gaps


def test_gap_of_missing_days_is_found():
    first = dt.date(2026, 1, 5)
    counts = pd.Series([40] * 28, index=[first + dt.timedelta(days=k) for k in range(28)])
    counts.iloc[10:13] = 0
    (gap,) = arr.find_gaps(counts)
    assert gap["first"] == "2026-01-15" and gap["days"] == 3


def test_quiet_weekends_are_not_gaps():
    first = dt.date(2026, 1, 5)
    days = [first + dt.timedelta(days=k) for k in range(28)]
    counts = pd.Series([0 if d.weekday() >= 5 else 40 for d in days], index=days)
    assert arr.find_gaps(counts) == []


def test_gap_days_are_not_read_as_zero_demand(tmp_path):
    """30 leads a day with 5 days missing: the volume fit still says about 30, not 30 x 23/28."""
    first = dt.date(2026, 1, 5)
    rows = []
    for day in range(28):
        if 10 <= day < 15:
            continue
        for i in range(30):
            stamp = dt.datetime(2026, 1, 5, 0, 0) + dt.timedelta(days=day, minutes=47 * i)
            rows.append(f"D{day}-{i},{stamp.isoformat()}-06:00,web,,,\n")
    ctx = context(tmp_path)
    leads, _ = read_leads(write(tmp_path / "l.csv", LEADS_HEADER + "".join(rows)), ctx)
    days = arr.local_days(leads["created"], ZONE)
    counts = arr.day_counts(days, days.min(), days.max())
    gaps = arr.find_gaps(counts)
    assert gaps == [{"first": "2026-01-15", "last": "2026-01-19", "days": 5, "expected_rows": 150.0}]
    excluded = {first + dt.timedelta(days=k) for k in range(10, 15)}
    from leadsim.calibration.estimates import FitLog
    fit = arr.fit_source("web", leads["created"], ZONE, days.min(), days.max(), excluded, first, FitLog())
    assert fit.volume_per_day is not None and fit.volume_per_day.covers(30.0)
    naive = arr.fit_source("web", leads["created"], ZONE, days.min(), days.max(), set(), first, FitLog())
    assert naive.volume_per_day is not None and not naive.volume_per_day.covers(30.0)


# ---------------------------------------------------------------- column maps


def test_presets_load_and_document_their_columns():
    assert set(presets()) >= {"salesforce_tasks", "hubspot_calls", "dialer_cdr"}
    for name in presets():
        cmap = load_column_map(preset=name)
        assert cmap.description and cmap.expects


@pytest.mark.parametrize(("data", "field", "rule"), [
    ({"timezone": "Mars/Olympus"}, "timezone", "IANA time zone"),
    ({"encoding": "klingon"}, "encoding", "unknown text encoding"),
    ({"date_format": "DD/MM/YYYY"}, "date_format", "strptime format"),
    ({"separator": ";;"}, "separator", "at most 1 character"),
    ({"activities": {"columns": {"lead": "WhoId"}}}, None, "unknown canonical column 'lead'"),
    ({"activities": {"values": {"outcome": {"Sale": "won"}}}}, None, "not one of"),
    ({"leads": {"colums": {}}}, "leads.colums", "Extra inputs are not permitted"),
    ({"max_duration_seconds": -1}, "max_duration_seconds", "greater than 0"),
])
def test_malformed_column_map_names_field_rule_and_value(data, field, rule):
    with pytest.raises(ScenarioError) as err:
        parse_column_map(data, "map.yaml")
    text = str(err.value)
    assert text.startswith("map.yaml") and rule in text
    if field is not None:
        assert field in text


def test_column_map_file_errors(tmp_path):
    with pytest.raises(ScenarioError, match="YAML syntax error"):
        load_column_map(write(tmp_path / "m.yaml", "leads: [\n"))
    with pytest.raises(ScenarioError, match="must be a mapping"):
        load_column_map(write(tmp_path / "m2.yaml", "- a\n- b\n"))
    with pytest.raises(ScenarioError, match="unknown preset"):
        load_column_map(preset="oracle")


# ---------------------------------------------------------------- split date/time columns (call-centre logs)

BANK_MAP = {
    "separator": "\t", "timezone": "Asia/Jerusalem", "date_format": "%y%m%d %H:%M:%S", "clock_skew_seconds": 5,
    "calls": {
        "date_column": "date", "empty_values": ["0:00:00", "NO_SERVER"], "join": {"call_id": ["line", "id"]},
        "columns": {"arrived_at": ["q_start", "vru_exit"], "answered_at": "ser_start",
                    "ended_at": ["ser_exit", "q_exit"], "outcome": "outcome", "agent_id": "server",
                    "line": "type"},
        "values": {"outcome": {"AGENT": "answered", "HANG": "abandoned"}},
    },
}
BANK_HEADER = "line\tid\ttype\tdate\tvru_exit\tq_start\tq_exit\toutcome\tser_start\tser_exit\tserver\n"


def test_separate_date_and_time_columns_fallbacks_and_joined_ids(tmp_path):
    rows = [
        "AA01\t1\tPS\t990105\t8:00:00\t8:00:00\t8:00:40\tAGENT\t8:00:40\t8:03:00\tDANA",   # queued, answered
        "AA02\t1\tPS\t990105\t8:10:00\t0:00:00\t0:00:00\tAGENT\t8:09:59\t8:12:00\tDANA",   # no queue, 1 s skew
        "AA01\t2\tPS\t990105\t23:58:00\t23:58:00\t23:58:30\tAGENT\t23:58:30\t0:04:00\tEDEN",  # past midnight
        "AA01\t3\tPS\t990105\t9:00:00\t9:00:00\t9:01:30\tHANG\t0:00:00\t0:00:00\tNO_SERVER",  # abandoned
        "AA01\t4\tPS\t990105\t9:00:00\t9:00:00\t8:01:30\tHANG\t0:00:00\t0:00:00\tNO_SERVER",  # ends an hour early
    ]
    ctx = ReadContext(parse_column_map(BANK_MAP, "bank.yaml"), "Asia/Jerusalem", Quarantine(tmp_path / "q.csv"))
    calls, summary = read_calls(write(tmp_path / "c.txt", BANK_HEADER + "\n".join(rows) + "\n"), ctx)
    assert list(calls["call_id"]) == ["AA01/1", "AA02/1", "AA01/2", "AA01/3"]  # same id, another line
    assert list(calls["wait"]) == [40.0, 0.0, 30.0, 90.0]
    assert calls["service"].iloc[2] == 330.0  # 23:58:30 -> 00:04:00 next day
    assert pd.isna(calls["answered"].iloc[3])
    assert summary.notes["times_after_midnight_moved_to_next_day"] == 1
    assert summary.notes["clock_skew_corrected"] == 1
    assert summary.notes["calls_crossing_midnight_used"] == 1
    assert [r["reason"] for r in quarantined(ctx)] == ["timestamps out of order (arrived <= answered <= ended)"]


def test_missing_joined_or_date_column_is_a_clear_error(tmp_path):
    ctx = context(tmp_path, parse_column_map(BANK_MAP, "bank.yaml"))
    with pytest.raises(ScenarioError, match="joined from"):
        read_calls(write(tmp_path / "c.txt", BANK_HEADER.replace("\tid\t", "\tident\t")), ctx)
    with pytest.raises(ScenarioError, match="date_column 'date'"):
        read_calls(write(tmp_path / "d.txt", BANK_HEADER.replace("\tdate\t", "\tday\t")), ctx)


def test_date_only_values_on_a_dst_day_are_that_day(tmp_path):
    """Sao Paulo skipped midnight on 2017-10-15: a date-only value still means that day."""
    ctx = context(tmp_path, parse_column_map({"timezone": "America/Sao_Paulo", "date_format": "%Y-%m-%d"}, "m.yaml"))
    leads, summary = read_leads(write(tmp_path / "l.csv", LEADS_HEADER + "A,2017-10-15,web,,,\n"), ctx)
    assert summary.rows_used == 1
    assert leads["created"].iloc[0] == pd.Timestamp("2017-10-15T03:00:00Z")  # 01:00 local, the day's first instant


# ---------------------------------------------------------------- property: nothing vanishes

_FIELD = st.one_of(
    st.sampled_from(["", "L1", "L2", "rep1", "call", "email", "contact", "no_answer", "-5", "30", "1e9",
                     "2026-01-05T08:05:00-06:00", "2026-01-05 08:05", "01/05/2026", "2026-01-05T08:05:00Z"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"), max_size=8),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_FIELD, min_size=4, max_size=8), max_size=30))
def test_every_activity_row_is_used_or_quarantined(tmp_path, rows):
    """Whatever the rows (ragged, garbage, duplicates), read = used + quarantined, and each is in the file."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis may replay an example
    ctx = ReadContext(ColumnMap(), ZONE, Quarantine(folder / "q.csv"))
    leads, _ = read_leads(write(folder / "leads.csv", LEADS_HEADER + GOOD_LEADS), ctx)
    acts, summary = read_activities(write(folder / "a.csv", ACTS_HEADER + buffer.getvalue()), ctx, leads)
    in_file = len(quarantined(ctx))
    assert summary.rows_read == summary.rows_used + sum(summary.quarantined.values())
    assert in_file == sum(summary.quarantined.values())
    assert len(acts) == summary.rows_used
