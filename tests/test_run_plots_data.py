"""Issue 11, item 2: a run's plot data checked against the metrics (numbers, not pixels).

Random but consistent results (tests/result_factory.py) drive hypothesis
properties; a short simulated baseline checks the same on the real model, and
that plot_data.json read back gives the same frames.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsim.outputs import run_plots_data as data
from leadsim.outputs.runfolder import jsonable
from leadsim.scenarios.loader import load_scenario
from leadsim.scenarios.schema import Shift
from leadsim.simulator.metrics import compute_all, conversions_by_attempt
from result_factory import lead, make_result, random_result

START = dt.date(2026, 1, 5)  # a Monday
ZONE = "America/Chicago"


def _close(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def check_against_metrics(result) -> None:
    """Every plot frame that restates a metric restates it exactly."""
    computed = compute_all(result)
    m = computed["metrics"]
    curve = data.speed_curve(result).set_index("minutes")["share"]
    for minutes, name in ((1.0, "1_min"), (5.0, "5_min"), (60.0, "60_min"), (1440.0, "24_h")):
        assert _close(float(curve[minutes]), m[f"share_first_attempt_within_{name}"]), name
    funnel = data.funnel(result).set_index("source")
    for source, metrics in [("all", m), *computed["by_source"].items()]:
        row, leads = funnel.loc[source], metrics["leads"]
        assert row["leads"] == leads
        assert row["converted"] == metrics["conversions"]
        if leads:
            assert _close(row["attempted"] / leads, 1 - metrics["share_never_attempted"])
            assert _close(row["contacted"] / leads, metrics["contact_rate"])
            assert _close(row["qualified"] / leads, metrics["qualification_rate"])
        assert row["leads"] >= row["attempted"] >= row["contacted"] >= row["qualified"] >= row["converted"]
    heat = data.wait_by_hour_of_week(result, START, ZONE)
    assert len(heat) == 168 and heat["leads"].sum() == m["leads"]
    steps = data.by_attempt(result)
    if m["conversions"]:
        assert steps["conversions"].iloc[-1] == m["conversions"]
        shares = conversions_by_attempt(result)  # runs to the last converting attempt; ours to the last contact
        assert np.allclose(steps["conversion_share"].iloc[:len(shares)], shares)
        assert (steps["conversion_share"].iloc[len(shares):] == 1.0).all()
    reps = data.rep_table(result).set_index("rep")
    floor = reps.loc["floor total"]
    assert _close(floor["occupancy"], m["rep_occupancy"])
    assert _close(floor["activities_per_day"], m["activities_per_rep_day"])
    assert floor["conversions"] == m["conversions"]  # every conversion is credited to a rep
    backlog = data.backlog_series(result)
    assert _close(float(backlog.loc[backlog["in_window"], "due"].mean()), m["backlog_due_mean"])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(20, 400))
def test_plot_data_restates_the_metrics(seed: int, n: int) -> None:
    check_against_metrics(random_result(n, seed=seed))


def test_hand_made_result_by_hand() -> None:
    # Monday 2026-01-05, Chicago: lead 0 at 09:00 called after 2 min; lead 1 at 20:00 called
    # next morning 08:00 (720 min); lead 2 at 09:30 never called.
    leads = [lead(created=540.0, first_attempt=542.0, attempts=1),
             lead(created=1200.0, first_attempt=1920.0, attempts=1),
             lead(created=570.0)]
    result = make_result(leads, window=(0.0, 1440.0))
    curve = data.speed_curve(result, grid=[1.0, 5.0, 719.0, 720.0])
    assert curve["share"].tolist() == [0.0, 1 / 3, 1 / 3, 2 / 3]
    heat = data.wait_by_hour_of_week(result, START, ZONE).set_index(["weekday", "hour"])
    assert heat.loc[(0, 9), "leads"] == 2 and heat.loc[(0, 9), "median_wait_min"] == 2.0
    assert heat.loc[(0, 9), "share_never"] == 0.5 and heat.loc[(0, 20), "median_wait_min"] == 720.0
    office = [Shift(days="mon-fri", start="08:00", end="17:00")]
    facts = data.off_hours(result, START, ZONE, office)
    assert facts.share_of_leads == pytest.approx(1 / 3) and facts.share_waiting_over_8h == 1.0
    assert facts.median_wait_min == 720.0 and facts.office_median_wait_min == 2.0


def test_local_clock_follows_daylight_saving() -> None:
    # 2026-03-08 is the US spring-forward Sunday: floor minute of Monday 9 March 09:00 CDT
    # is 63 days' worth of minutes minus the lost hour.
    minutes = np.array([(63 * 24 + 9 - 1) * 60.0, float("nan")])
    weekday, of_day = data.local_clock(minutes, START, ZONE)
    assert weekday.tolist() == [0, -1] and of_day.tolist() == [540, -1]


@pytest.fixture(scope="module")
def baseline_run():
    from leadsim.simulator.run import simulate

    scenario = load_scenario("baseline", ["run.warmup_days=1", "run.days=7", "run.drain_days=1"])
    return scenario, simulate(scenario, seed=2, replication=0)


def test_baseline_plot_data_restates_the_metrics(baseline_run) -> None:
    scenario, result = baseline_run
    check_against_metrics(result)
    heat = data.wait_by_hour_of_week(result, scenario.calendar.start, scenario.calendar.timezone)
    # The off-hours gap: leads arriving Monday 20:00 wait far longer than Monday 10:00 ones.
    cell = heat.set_index(["weekday", "hour"])["median_wait_min"]
    assert cell[(0, 20)] > 60 * cell[(0, 10)] + 60
    occupancy = data.occupancy_by_weekday_hour(result, scenario)
    # Available time from the shifts matches the simulator's per-rep totals up to where each
    # day's shrinkage block falls (it may straddle a break); busy time is the same calls.
    assert occupancy["available_minutes"].sum() == pytest.approx(result.reps.available_minutes.sum(), rel=0.05)
    assert occupancy["busy_minutes"].sum() == pytest.approx(result.reps.busy_minutes.sum(), rel=0.02)
    assert np.isnan(occupancy.set_index(["weekday", "hour"]).loc[(5, 10), "occupancy"])  # nobody on Saturday
    inbound = data.inbound_by_hour(result, scenario.calendar.start, scenario.calendar.timezone)
    assert inbound["answered"].sum() + inbound["abandoned"].sum() == compute_all(result)["metrics"]["inbound_calls"]


def test_bundle_round_trips_through_json(baseline_run) -> None:
    scenario, result = baseline_run
    bundle = data.plot_bundle(result, scenario)
    back = json.loads(json.dumps(jsonable(bundle), allow_nan=False))
    frames = data.bundle_frames(back)
    for name, frame in frames.items():
        original = data.bundle_frames(bundle)[name]
        assert list(frame.columns) == list(original.columns), name
        for column in frame.columns:
            a, b = frame[column].to_numpy(), original[column].to_numpy()
            if a.dtype.kind in "fi":
                assert np.allclose(a.astype(float), b.astype(float), equal_nan=True), (name, column)
            else:
                assert a.tolist() == b.tolist(), (name, column)
    assert data.bundle_off_hours(back) == data.off_hours(
        result, scenario.calendar.start, scenario.calendar.timezone,
        [s for t in scenario.teams for s in t.shifts])


def test_scheduled_minutes_by_hand() -> None:
    # The baseline's team: 10 reps, Mon-Fri 08:00-17:00, lunch 12:00-12:45, breaks 10:00-10:15 and
    # 15:00-15:15, shrinkage 10%. Window: two weeks from Monday 5 January; Monday 19 January would
    # be a holiday but lies outside; a half-day window end cuts Friday's hours.
    scenario = load_scenario("baseline")
    team = scenario.teams[0]
    assert (team.headcount, team.shrinkage) == (10, 0.1)
    per_hour = data.scheduled_minutes(scenario, (0.0, 14 * 1440.0))
    def cell(day, hour):
        return per_hour[day * 24 + hour]
    assert cell(0, 8) == pytest.approx(2 * 10 * 60 * 0.9)
    assert cell(0, 10) == pytest.approx(2 * 10 * 45 * 0.9)
    assert cell(0, 12) == pytest.approx(2 * 10 * 15 * 0.9)
    assert cell(0, 17) == 0 and cell(5, 10) == 0 and cell(6, 10) == 0
    # A holiday (Monday 19 January, day 14) has nobody scheduled.
    assert data.scheduled_minutes(scenario, (14 * 1440.0, 15 * 1440.0)).sum() == 0
    # A window ending at Friday 9 January 10:30 (day 4) counts half of that hour.
    cut = data.scheduled_minutes(scenario, (4 * 1440.0, 4 * 1440.0 + 630.0))
    assert cut[4 * 24 + 10] == pytest.approx(10 * 15 * 0.9) and cut[4 * 24 + 11] == 0
