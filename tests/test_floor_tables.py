"""Staffing tables, arrival-profile tables, per-date volume, holidays, over-dispersion, inbound-only floors."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest
from pydantic import ValidationError

from leadsim.engine import FloorCalendar
from leadsim.scenarios.loader import load_scenario
from leadsim.scenarios.schema import Scenario
from leadsim.simulator.arrivals import generate
from leadsim.simulator.run import build_reps

MON = "2026-01-05"
CAL = FloorCalendar(dt.date(2026, 1, 5), "UTC")


def floor(**team: object) -> dict:
    return {
        "name": "tables", "calendar": {"start": MON, "timezone": "UTC"},
        "run": {"warmup_days": 0, "days": 7, "drain_days": 0},
        "sources": [{"name": "calls", "kind": "inbound_call", "volume": {"per_day": 100}, "profile": "flat",
                     "abandonment": "lost"}],
        "teams": [{"name": "agents", **team}],
    }


MONDAY_ONLY = {"by_weekday": {"mon": [0] * 8 + [3] * 4 + [1] * 12}}


def hours_worked(scenario: Scenario) -> list[list[tuple[float, float]]]:
    reps = build_reps(scenario, CAL, 7 * 1440.0, 1, 0)
    return [[(a / 60, b / 60) for a, b in r.schedule.intervals] for r in reps]


# ---------------------------------------------------------------- staffing tables


def test_a_staffing_table_puts_exactly_that_many_reps_on_duty() -> None:
    work = hours_worked(Scenario.model_validate(floor(staffing=MONDAY_ONLY)))
    assert work == [[(8.0, 24.0)], [(8.0, 12.0)], [(8.0, 12.0)]]  # days left out have nobody


def test_staffing_scale_rounds_half_up_and_reaches_every_count() -> None:
    scenario = Scenario.model_validate(floor(staffing=MONDAY_ONLY, staffing_scale=1.5))
    assert scenario.teams[0].on_duty([3, 1, 0]) == [5, 2, 0] and scenario.teams[0].rep_count == 5
    assert len(hours_worked(scenario)) == 5
    scaled = load_scenario("contact_centre", ["teams.agents.staffing_scale=1.2"])
    assert scaled.teams[0].rep_count == round(load_scenario("contact_centre").teams[0].rep_count * 1.2)


def test_a_dated_roster_overrides_the_week_and_a_holiday_empties_it() -> None:
    spec = floor(staffing={**MONDAY_ONLY, "dates": {"2026-01-05": [2] * 24}})
    spec["calendar"]["holidays"] = ["2026-01-12"]  # the next Monday
    spec["run"]["days"] = 14
    reps = build_reps(Scenario.model_validate(spec), CAL, 14 * 1440.0, 1, 0)
    assert [r.schedule.intervals for r in reps] == [((0.0, 1440.0),), ((0.0, 1440.0),), ()]


@pytest.mark.parametrize(
    "staffing,fragment",
    [
        ({"hour_of_week": [1] * 167}, "exactly 168 values"),
        ({"by_weekday": {"mon": [1] * 23}}, "exactly 24 values"),
        ({"by_weekday": {"mon": [1] * 23 + [-1]}}, "greater than or equal to 0"),
        ({"by_weekday": {"mon": [0] * 24}}, "zero in every hour"),
        ({"by_weekday": {"monday": [1] * 24}}, "unknown weekday"),
        ({"hour_of_week": [1] * 168, "by_weekday": {"mon": [1] * 24}}, "exactly one of the two"),
        ({"by_weekday": {"mon": [1] * 24}, "dates": {"2026-01-05": [1] * 3}}, "exactly 24 values"),
    ],
)
def test_bad_staffing_tables_are_refused(staffing: dict, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        Scenario.model_validate(floor(staffing=staffing))


def test_a_team_needs_headcount_or_a_table_not_both() -> None:
    with pytest.raises(ValidationError, match="exactly one of the two"):
        Scenario.model_validate(floor(headcount=3, staffing=MONDAY_ONLY))
    with pytest.raises(ValidationError, match="exactly one of the two"):
        Scenario.model_validate(floor())


# ---------------------------------------------------------------- arrivals


def arrivals(source: dict, days: int = 14, seed: int = 1, holidays: frozenset = frozenset()) -> np.ndarray:
    spec = floor(headcount=1)
    spec["sources"][0].update(source)
    scenario = Scenario.model_validate(spec)
    return generate(scenario.sources[0], CAL, days * 1440.0, ["UTC"], seed, 0, holidays).times


def test_a_profile_table_puts_arrivals_in_its_hours() -> None:
    table = [0.0] * 168
    table[24 + 9] = 1.0  # Tuesday 09:00-10:00 only
    times = arrivals({"profile": {"hour_of_week": table}})
    assert times.size > 100
    assert set(((times // 60) % 168).astype(int)) == {33}


def test_date_factors_and_holidays_scale_a_days_volume() -> None:
    plain = arrivals({})
    scaled = arrivals({"date_factors": {dt.date(2026, 1, 6): 0.0, dt.date(2026, 1, 7): 3.0},
                       "holiday_factor": 0.0}, holidays=frozenset({dt.date(2026, 1, 8)}))
    def per_day(times: np.ndarray) -> np.ndarray:
        return np.bincount((times // 1440).astype(int), minlength=14)

    p, s = per_day(plain), per_day(scaled)
    assert s[1] == 0 and s[3] == 0  # the zero date and the holiday
    assert 2.3 * p[2] < s[2] < 3.8 * p[2]  # three times the volume (Poisson noise)
    # Days before the first changed date keep their draws (the prefix property). Later
    # days keep their volume but not their draws: numpy's Poisson sampler consumes
    # the stream differently for another rate.
    assert s[0] == p[0]
    assert abs(int(s[4:].sum()) - int(p[4:].sum())) < 5 * np.sqrt(p[4:].sum())


def test_a_holiday_factor_of_one_and_no_dispersion_change_nothing() -> None:
    assert np.array_equal(arrivals({}), arrivals({"holiday_factor": 1.0, "day_variance_ratio": 1.0},
                                                 holidays=frozenset({dt.date(2026, 1, 8)})))


def test_theory_gamma_poisson_days_have_the_stated_variance_to_mean_ratio() -> None:
    days = 400
    counts = np.bincount((arrivals({"day_variance_ratio": 5.0}, days=days) // 1440).astype(int), minlength=days)
    ratio = counts.var(ddof=1) / counts.mean()
    # Expected 5; the sample ratio over 400 days has a standard error of about 0.5.
    assert 3.5 < ratio < 6.5, ratio
    assert abs(counts.mean() - 100) < 5  # the mean volume is unchanged
    plain = np.bincount((arrivals({}, days=days) // 1440).astype(int), minlength=days)
    assert plain.var(ddof=1) / plain.mean() < 1.4


@pytest.mark.parametrize(
    "source,fragment",
    [
        ({"profile": {"hour_of_week": [1] * 24}}, "168"),
        ({"profile": {"by_weekday": {"mon": [0] * 24}}}, "zero in every hour"),
        ({"date_factors": {"2026-01-05": -1}}, "greater than or equal to 0"),
        ({"day_variance_ratio": 0.5}, "greater than or equal to 1"),
        ({"holiday_factor": 2000}, "less than or equal to 1000"),
    ],
)
def test_bad_arrival_tables_are_refused(source: dict, fragment: str) -> None:
    spec = floor(headcount=1)
    spec["sources"][0].update(source)
    with pytest.raises(ValidationError, match=fragment):
        Scenario.model_validate(spec)


# ---------------------------------------------------------------- inbound-only floors


def test_contact_may_be_left_out_only_when_nothing_is_called_out() -> None:
    spec = floor(headcount=1)
    assert Scenario.model_validate(spec).contact is None
    callbacks = copy.deepcopy(spec)
    callbacks["sources"][0]["abandonment"] = "callback"
    with pytest.raises(ValidationError, match=r"inbound-only floor; sources \['calls'\]"):
        Scenario.model_validate(callbacks)


# ---------------------------------------------------------------- handle times by source


def two_lines(**team: object) -> dict:
    spec = floor(headcount=4, handle_minutes={"talk": {"fixed": 2}, "wrap": {"fixed": 0.5}}, **team)
    spec["sources"] = [{"name": n, "kind": "inbound_call", "volume": {"per_day": 300}, "profile": "flat",
                        "abandonment": "lost"} for n in ("short", "long")]
    return spec


def test_handle_times_by_source_fall_back_to_the_teams() -> None:
    from leadsim.simulator.run import simulate

    result = simulate(Scenario.model_validate(two_lines(handle_by_source={"long": {"talk": {"fixed": 6}}})))
    calls = result.attempts.rep >= 0
    source = result.leads.source[result.attempts.lead[calls]]
    minutes = result.attempts.duration[calls]
    assert set(np.round(minutes[source == 0], 9)) == {2.5}  # the team's talk and wrap-up
    assert set(np.round(minutes[source == 1], 9)) == {6.5}  # its own talk, the team's wrap-up
    assert result.reps.wrap_minutes is not None and result.reps.wrap_minutes.sum() > 0


def test_handle_times_for_an_unknown_source_are_refused() -> None:
    with pytest.raises(ValidationError, match="handle times for unknown source 'lng'"):
        Scenario.model_validate(two_lines(handle_by_source={"lng": {"talk": {"fixed": 6}}}))


# ---------------------------------------------------------------- warm-up advice


def test_offered_load_is_the_erlang_load_on_the_erlang_c_floor() -> None:
    from leadsim.planner.estimate import offered_load

    assert offered_load(load_scenario("erlang_c")) == pytest.approx(0.8)  # 0.8 a minute x 5 min / 5 reps
    table = load_scenario("contact_centre")
    assert 0.5 < offered_load(table) < 1.0


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_load_near_one_gets_warm_up_advice(command: str, tmp_path) -> None:
    from click.testing import CliRunner

    from leadsim.cli import main

    args = [command, "erlang_c", "--set", "sources.0.volume.per_day=1368"]  # load 0.95
    if command == "run":
        args += ["--days", "1", "--out", str(tmp_path / "run")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "offered load is at least 95%" in result.stderr and "warm-up may be too short" in result.stderr
    quiet = CliRunner().invoke(main, ["validate", "erlang_c"])
    assert quiet.exit_code == 0 and "warm-up" not in quiet.stderr
