"""CSV logs in the canonical schema, the terminal table and the run folder."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from leadsim.outputs.logs import (
    ATTEMPT_COLUMNS,
    LEAD_COLUMNS,
    format_timestamps,
    write_attempts_csv,
    write_leads_csv,
)
from leadsim.outputs.runfolder import make_run_dir, write_json
from leadsim.outputs.table import format_summary, format_value, unit_label
from leadsim.planner.replicate import aggregate
from leadsim.simulator.metrics import METRIC_NAMES, METRICS
from result_factory import attempt, fake_simulate, lead, make_result

CHICAGO = "America/Chicago"


def small_result():
    leads = [
        lead(created=8 * 60 + 3.2, first_attempt=8 * 60 + 5.0, first_contact=8 * 60 + 5.0,
             contact_attempt=1, attempts=1, status="converted", closed_at=8 * 60 + 20.0,
             qualified=True, converted=True, quality=0.25),
        lead(source=1, created=2 * 1440 + 9 * 60, status="censored", timezone=1),
    ]
    attempts = [
        attempt(0, 8 * 60 + 5.0, "converted", rep=17, duration=9.5),
        attempt(0, 8 * 60 + 20.0, "", rep=-1, channel="email", duration=0.0, number=0),
    ]
    return make_result(leads, attempts, source_values=(1200.0, 300.0),
                       timezones=(CHICAGO, "America/New_York"), window=(0.0, 2 * 1440.0))


# ---------------------------------------------------------------- timestamps


def test_timestamps_carry_the_floor_offset_across_dst():
    # 2026-03-08 02:00 CST -> CDT. Floor minutes are real minutes from 2026-03-07 00:00 CST.
    minutes = np.array([8 * 60, 2 * 1440 + 8 * 60, 8 * 60 + 3.2, np.nan])
    text = format_timestamps(minutes, dt.date(2026, 3, 7), CHICAGO)
    assert list(text) == [
        "2026-03-07T08:00:00-06:00",
        "2026-03-09T09:00:00-05:00",  # 48 real hours later the wall clock shows one hour more
        "2026-03-07T08:03:12-06:00",
        "",
    ]


def test_timestamps_round_trip_through_pandas():
    minutes = np.array([0.0, 123.456, 5000.0, 200_000.0])
    text = format_timestamps(minutes, dt.date(2026, 10, 30), "Europe/Berlin")
    parsed = pd.to_datetime(pd.Series(text), format="ISO8601", utc=True)
    start = pd.Timestamp("2026-10-30", tz="Europe/Berlin").tz_convert("UTC")
    elapsed = (parsed - start).dt.total_seconds().to_numpy() / 60.0
    assert elapsed == pytest.approx(np.round(minutes * 60) / 60)


def test_half_hour_offsets():
    assert format_timestamps(np.array([600.0]), dt.date(2026, 1, 5), "Asia/Kolkata")[0] == \
        "2026-01-05T10:00:00+05:30"


# ---------------------------------------------------------------- CSV logs


def test_leads_csv(tmp_path):
    path = write_leads_csv(small_result(), tmp_path / "leads.csv", dt.date(2026, 1, 5), CHICAGO)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert tuple(frame.columns) == LEAD_COLUMNS
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["lead_id"] == "0" and first["source"] == "web"
    assert first["created_at"] == "2026-01-05T08:03:12-06:00"
    assert first["converted_at"] == "2026-01-05T08:20:00-06:00"
    assert float(first["value"]) == 1200.0 and first["status"] == "converted"
    assert first["first_attempt_at"] == "2026-01-05T08:05:00-06:00"
    assert first["counted"] == "true" and float(first["quality"]) == 0.25
    assert second["timezone"] == "America/New_York" and second["source"] == "inbound"
    assert second["value"] == "" and second["converted_at"] == ""
    assert second["first_attempt_at"] == "" and second["status"] == "censored"
    assert second["counted"] == "false"  # created at the window end


def test_attempts_csv(tmp_path):
    path = write_attempts_csv(small_result(), tmp_path / "attempts.csv", dt.date(2026, 1, 5),
                              CHICAGO)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert tuple(frame.columns) == ATTEMPT_COLUMNS
    call, email = frame.iloc[0], frame.iloc[1]
    assert (call["lead_id"], call["rep_id"], call["channel"], call["outcome"]) == (
        "0", "rep017", "call", "converted")
    assert call["started_at"] == "2026-01-05T08:05:00-06:00"
    assert float(call["duration_seconds"]) == 570.0 and call["attempt"] == "1"
    assert (email["rep_id"], email["channel"], email["outcome"]) == ("", "email", "")


def test_empty_logs_write_headers_only(tmp_path):
    empty = make_result([])
    frame = pd.read_csv(write_leads_csv(empty, tmp_path / "l.csv", dt.date(2026, 1, 5), CHICAGO))
    assert tuple(frame.columns) == LEAD_COLUMNS and len(frame) == 0
    frame = pd.read_csv(write_attempts_csv(empty, tmp_path / "a.csv", dt.date(2026, 1, 5),
                                           CHICAGO))
    assert tuple(frame.columns) == ATTEMPT_COLUMNS and len(frame) == 0


# ---------------------------------------------------------------- summary table


def _doc(replications: int) -> dict:
    results = [fake_simulate({"leads": 300}, seed=5, replication=r) for r in range(replications)]
    return aggregate(results, "fake", 5)


def test_summary_lists_every_metric_with_intervals():
    doc = _doc(3)
    table = format_summary(doc)
    for name in METRIC_NAMES:
        assert name in table, name
    for group in ("VOLUME", "SPEED TO LEAD", "PERSISTENCE", "CONTACT & CONVERSION", "CAPACITY",
                  "INBOUND", "MONEY", "BY SOURCE"):
        assert group in table
    entry = doc["metrics"]["contact_rate"]
    expected = f"[{entry['ci_low'] * 100:.1f}%, {entry['ci_high'] * 100:.1f}%]"
    row = next(line for line in table.splitlines() if line.strip().startswith("contact_rate"))
    assert f"{entry['mean'] * 100:.1f}%" in row and expected in row
    assert "replications 3" in table


def test_summary_without_intervals_for_one_replication():
    table = format_summary(_doc(1))
    assert "[" not in table
    assert "leads" in table and "web" in table and "inbound" in table


def test_summary_prints_undefined_values_as_dash():
    doc = _doc(2)
    row = next(line for line in format_summary(doc).splitlines()
               if line.strip().startswith("web"))
    assert row.split()[1].replace(",", "").isdigit()  # leads of web
    doc["metrics"]["cost_per_conversion"] = {"mean": None, "ci_low": None, "ci_high": None,
                                             "unit": "currency"}
    row = next(line for line in format_summary(doc).splitlines()
               if line.strip().startswith("cost_per_conversion"))
    assert row.split()[1] == "-"


def _row(table: str, name: str) -> str:
    return next(line for line in table.splitlines() if line.split()[:1] == [name])


@pytest.mark.parametrize("replications", [1, 3])
def test_unit_column_says_what_a_share_is_of(replications):
    table = format_summary(_doc(replications))
    assert "%  %" not in table  # the old layout repeated the percent sign as the unit
    expected = {
        "contact_rate": "of leads",
        "conversion_rate": "of leads",
        "share_waited": "of leads",
        "attempt_contact_rate": "of attempts",
        "rep_occupancy": "of rep time",
        "inbound_answered_rate": "of inbound calls",
        "penetration_rate": "of call target",
        "speed_to_first_attempt_p50_min": "min",
        "leads": "leads",
        "revenue": "currency",
    }
    for name, label in expected.items():
        row = _row(table, name)
        assert row.endswith(f"  {label}"), (name, row)
        assert row.count("%") == (3 if replications > 1 else 1) * (label.startswith("of ")), row


def test_every_share_metric_has_a_unit_label():
    for definition in METRICS:
        label = unit_label(definition.name, definition.unit)
        assert label and "%" not in label, definition.name
        if definition.unit == "share":
            assert label.startswith("of "), (definition.name, label)
    assert unit_label("some_new_share", "share") == ""  # unknown: blank, not a guess
    assert unit_label("x", "minutes") == "min"


def test_format_value_by_unit():
    assert format_value(0.1234, "share") == "12.3%"
    assert format_value(37.5, "percent") == "37.5%"
    assert format_value(12345.6, "currency") == "12,346"
    assert format_value(2.0, "leads") == "2"
    assert format_value(3.14159, "minutes") == "3.14"
    assert format_value(float("nan"), "minutes") == "-"
    assert format_value(None, "share") == "-"


# ---------------------------------------------------------------- run folder


def test_default_run_dir_is_timestamped_and_never_reused(tmp_path):
    now = dt.datetime(2026, 1, 5, 8, 30, 0)
    first = make_run_dir(None, "base line/v2", base=tmp_path / "runs", now=now)
    second = make_run_dir(None, "base line/v2", base=tmp_path / "runs", now=now)
    assert first.name == "20260105-083000-base-line-v2" and first.is_dir()
    assert second.name == "20260105-083000-base-line-v2-2" and second.is_dir()


def test_chosen_run_dir_is_created_or_reused(tmp_path):
    out = tmp_path / "my" / "run"
    assert make_run_dir(str(out), "x") == out and out.is_dir()
    assert make_run_dir(out, "x") == out


def test_write_json_turns_nan_into_null(tmp_path):
    path = write_json({"a": float("nan"), "b": np.float64(1.5), "c": [np.int64(2), math.inf]},
                      tmp_path / "metrics.json")
    assert json.loads(path.read_text()) == {"a": None, "b": 1.5, "c": [2, None]}
