"""Staffing: the --target syntax, the search, Erlang C's answer and the explanation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadsim.planner import queueing
from leadsim.planner.specs import SpecError
from leadsim.planner.staffing import (
    StaffingAnswer,
    Target,
    add_erlang,
    erlang_c_answer,
    find_headcount,
    headcount_loader,
    parse_target,
    smallest_meeting,
    team_index,
)
from leadsim.scenarios.loader import load_scenario

FAST_MMC = ["run.warmup_days=0.1", "run.days=0.5", "run.drain_days=0.05"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("share_first_attempt_within_5_min>=0.9", Target("share_first_attempt_within_5_min", ">=", 0.9)),
        (" speed_to_first_attempt_p90_min <= 60 ", Target("speed_to_first_attempt_p90_min", "<=", 60.0)),
        ("share_waited<=25%", Target("share_waited", "<=", 0.25)),
        ("conversion_rate=>0.05", Target("conversion_rate", ">=", 0.05)),
    ],
)
def test_good_targets(text: str, expected: Target) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("share_first_attempt_within_5_min", "expected \"METRIC>=VALUE\""),
        ("share_first_attempt_within_5_min>=", "expected \"METRIC>=VALUE\""),
        (">=0.9", "expected \"METRIC>=VALUE\""),
        ("share_first_attempt_within_5_min>0.9", "use >= or <="),
        ("share_first_attempt_within_5_min=0.9", "use >= or <="),
        ("share_first_attempt_within_5min>=0.9", "did you mean share_first_attempt_within_5_min"),
        ("share_first_attempt_within_5_min>=high", "'high' is not a number"),
    ],
)
def test_bad_targets(text: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_target(text)
    assert fragment in str(info.value)


def test_target_sides() -> None:
    at_least, at_most = Target("m", ">=", 0.9), Target("m", "<=", 5.0)
    assert at_least.met(0.9) and not at_least.met(0.89) and not at_least.met(None)
    assert at_most.met(5.0) and not at_most.met(float("nan"))
    assert at_least.conservative(0.8, 0.95) == 0.8 and at_most.conservative(4.0, 6.0) == 6.0


@given(threshold=st.integers(-5, 60), low=st.integers(1, 30), width=st.integers(0, 30),
       start=st.integers(0, 70))
def test_search_finds_the_smallest(threshold: int, low: int, width: int, start: int) -> None:
    high = low + width
    calls: list[int] = []

    def meets(h: int) -> bool:
        assert low <= h <= high
        calls.append(h)
        return h >= threshold

    expected = next((h for h in range(low, high + 1) if h >= threshold), None)
    assert smallest_meeting(meets, low, high, start) == expected
    assert len(calls) <= 2 * (width + 1).bit_length() + 2  # logarithmic, not a scan


def test_erlang_answer_matches_the_formulas() -> None:
    lam, handle = 0.8, 5.0
    share = erlang_c_answer(Target("share_first_attempt_within_5_min", ">=", 0.9), lam, handle)
    assert share.servers == queueing.mmc_min_servers(lam, 1 / handle, 5.0, 0.9) == 6
    waited = erlang_c_answer(Target("share_waited", "<=", 0.3), lam, handle)
    assert queueing.erlang_c(waited.servers, 4.0) <= 0.3 < queueing.erlang_c(waited.servers - 1, 4.0)
    mean = erlang_c_answer(Target("speed_to_first_attempt_mean_min", "<=", 1.0), lam, handle)
    assert queueing.mmc_mean_wait(mean.servers, lam, 0.2) <= 1.0 < queueing.mmc_mean_wait(mean.servers - 1, lam, 0.2)
    median = erlang_c_answer(Target("speed_to_first_attempt_p50_min", "<=", 0.0), lam, handle)
    assert queueing.erlang_c(median.servers, 4.0) <= 0.5  # median wait 0 once P(wait) <= 1/2


def test_erlang_has_no_answer_for_other_metrics() -> None:
    answer = erlang_c_answer(Target("conversion_rate", ">=", 0.05), 0.8, 5.0)
    assert answer.servers is None and "first attempt" in answer.reason
    wrong_way = erlang_c_answer(Target("share_first_attempt_within_5_min", "<=", 0.5), 0.8, 5.0)
    assert wrong_way.servers is None and ">=" in wrong_way.reason


def test_team_index() -> None:
    scenario = load_scenario("baseline")
    assert team_index(scenario, None) == 0 and team_index(scenario, "sdr") == 0
    with pytest.raises(SpecError, match="no such team"):
        team_index(scenario, "closers")


@pytest.fixture(scope="module")
def mmc_answer() -> StaffingAnswer:
    scenario = load_scenario("erlang_c", FAST_MMC)
    target = parse_target("share_first_attempt_within_5_min>=0.9")
    answer = find_headcount(headcount_loader("erlang_c", FAST_MMC, 0), target, "agents", start=5,
                            low=1, high=50, replications=4, seed=3, jobs=1)
    return add_erlang(answer, scenario)


def test_simulation_agrees_with_erlang_c_where_its_assumptions_hold(mmc_answer: StaffingAnswer) -> None:
    assert mmc_answer.erlang is not None
    assert mmc_answer.by_mean == mmc_answer.erlang.servers == 6
    assert mmc_answer.by_interval is not None and mmc_answer.by_interval >= mmc_answer.by_mean
    assert "same assumptions" in mmc_answer.explanation
    evaluated = [c.headcount for c in mmc_answer.candidates]
    assert evaluated == sorted(evaluated) and 5 in evaluated and 6 in evaluated
    below = mmc_answer.candidate(5)
    assert below is not None and not below.meets


def test_floor_facts_of_the_mmc_scenario(mmc_answer: StaffingAnswer) -> None:
    facts = mmc_answer.candidate(6).floor
    assert facts["on_duty_share"] == pytest.approx(1.0)
    assert facts["retry_time_share"] == 0.0
    assert facts["first_attempt_handle_min"] == pytest.approx(5.0, rel=0.1)
    assert facts["arrival_rate_per_min"] == pytest.approx(0.8, rel=0.1)


def test_explanation_names_the_differences_on_the_baseline() -> None:
    scenario = load_scenario("baseline")
    answer = StaffingAnswer(parse_target("share_first_attempt_within_5_min>=0.6"), "sdr", 3, 1, 1, 50, by_mean=12)
    answer.candidates = []
    from leadsim.planner.staffing import Candidate, explain

    facts = {"arrival_rate_per_min": 0.07, "first_attempt_handle_min": 4.0, "retry_time_share": 0.5,
             "on_duty_share": 0.3}
    answer.candidates = [Candidate(12, 0.62, 0.6, 0.64, True, True, facts)]
    add_erlang(answer, scenario)
    text = explain(answer, facts, scenario)
    assert answer.erlang.servers is not None and answer.erlang.servers < 12
    for fragment in ("on duty only 30%", "50% of call time goes to retries", "08:00-20:00", "peaks", "payroll"):
        assert fragment in text, (fragment, text)
