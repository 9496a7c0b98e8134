"""Unit tests of the optimize planner: spaces, levers, objectives, constraints, storage URLs."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadsim.planner.goals import (
    check_space,
    constraint_values,
    parse_constraint,
    parse_objective,
    parse_objectives,
    violation,
)
from leadsim.planner.optimize import (
    OptimizeConfig,
    default_study_name,
    distributions,
    grid_values,
    plan_scenario,
)
from leadsim.planner.space import (
    lever_values,
    optuna_choices,
    overrides_for,
    parse_param,
    space_from_params,
    spacing_minutes,
)
from leadsim.planner.space_file import load_space
from leadsim.planner.specs import SpecError
from leadsim.planner.study_store import parse_storage, worker_alive, worker_identity
from leadsim.scenarios.errors import ScenarioError
from leadsim.scenarios.loader import LIBRARY, bundled_scenarios, load_scenario


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- the bundled space


def test_bundled_space_is_not_a_scenario() -> None:
    assert (LIBRARY / "space_baseline.yaml").exists()
    assert "space_baseline" not in bundled_scenarios() and "baseline" in bundled_scenarios()
    with pytest.raises(ScenarioError):  # and is no valid scenario either
        load_scenario(LIBRARY / "space_baseline.yaml")


def test_bundled_space_checks_against_the_baseline() -> None:
    space = load_space("baseline")
    assert space.name == "baseline" and space.file.endswith("space_baseline.yaml")
    paths = [lever.path for lever in space.levers]
    assert paths[:4] == ["teams.sdr.headcount", "policy.cadence.call_target",
                         "spacing.first_gap_minutes", "spacing.growth"]
    base = check_space(space, "baseline")
    assert base.name == "baseline"


def test_a_scenario_given_as_space_is_rejected_with_a_hint() -> None:
    with pytest.raises(ScenarioError) as info:
        load_space(LIBRARY / "baseline.yaml")
    assert info.value.path == "space" and "looks like a scenario" in info.value.rule


# ---------------------------------------------------------------- spacing levers


def test_spacing_expands_for_the_call_target() -> None:
    assert spacing_minutes(5, 3, 5) == [0.0, 5.0, 15.0, 45.0, 135.0]
    assert spacing_minutes(10, 1, 3, first_attempt=2) == [2.0, 10.0, 10.0]
    assert spacing_minutes(100, 10, 4, max_gap=2000) == [0.0, 100.0, 1000.0, 2000.0]
    assert spacing_minutes(7, 2, 1) == [0.0]


@given(gap=st.floats(0, 500), growth=st.floats(1, 10), target=st.integers(1, 12))
def test_spacing_is_non_decreasing_capped_and_as_long_as_the_target(gap: float, growth: float, target: int) -> None:
    schedule = spacing_minutes(gap, growth, target, max_gap=4320)
    assert len(schedule) == target and schedule[0] == 0.0
    gaps = schedule[1:]
    assert all(0 <= g <= 4320 for g in gaps)
    assert all(b >= a - 0.1 for a, b in itertools.pairwise(gaps))


def test_plan_scenario_applies_spacing_with_the_trials_call_target() -> None:
    space = load_space("baseline")
    base = check_space(space, "baseline")
    config = OptimizeConfig("baseline", (), space, tuple(parse_objectives([])))
    values = {"teams.sdr.headcount": 7, "policy.cadence.call_target": 4, "spacing.first_gap_minutes": 10.0,
              "spacing.growth": 3.0, "policy.distribution.mode": "round_robin"}
    plan = plan_scenario(config, base, values)
    assert plan.teams[0].headcount == 7
    assert plan.policy.cadence.call_target == 4
    assert plan.policy.cadence.spacing_minutes == [0.0, 10.0, 30.0, 90.0]
    assert plan.policy.distribution.mode == "round_robin"
    # the base keeps everything else
    assert plan.policy.cadence.max_attempts_per_day == base.policy.cadence.max_attempts_per_day


# ---------------------------------------------------------------- headcount per shift


TWO_SHIFTS = """\
extends: baseline
name: two_shifts
teams:
  - name: sdr
    headcount: 6
    shifts:
      - {days: mon-fri, start: "08:00", end: "14:00"}
      - {days: mon-fri, start: "14:00", end: "20:00"}
"""


def test_headcount_per_shift_splits_the_team(tmp_path: Path) -> None:
    scenario = write(tmp_path, "two_shifts.yaml", TWO_SHIFTS)
    space = space_from_params(["teams.sdr.shifts.0.headcount=2..8", "teams.sdr.shifts.1.headcount=1..5"])
    base = check_space(space, scenario)
    config = OptimizeConfig(scenario, (), space, tuple(parse_objectives([])))
    plan = plan_scenario(config, base, {"teams.sdr.shifts.0.headcount": 5, "teams.sdr.shifts.1.headcount": 2})
    assert [(t.name, t.headcount, [(s.start, s.end) for s in t.shifts]) for t in plan.teams] == [
        ("sdr", 5, [("08:00", "14:00")]), ("sdr_shift2", 2, [("14:00", "20:00")])]
    assert plan.teams[1].handle_minutes == base.teams[0].handle_minutes


@pytest.mark.parametrize("params,fragment", [
    (["teams.sdr.shifts.0.headcount=2..8"], "needs a lever for every shift"),
    (["teams.sdr.shifts.0.headcount=2..8", "teams.sdr.shifts.1.headcount=1..5", "teams.sdr.headcount=3..4"],
     "cannot both be levers"),
    (["teams.sdr.shifts.0.headcount=2..8", "teams.sdr.shifts.2.headcount=1..5"], "has 2 shift(s)"),
    (["teams.closers.shifts.0.headcount=2..8"], "no team named 'closers'"),
])
def test_headcount_per_shift_errors(tmp_path: Path, params: list[str], fragment: str) -> None:
    scenario = write(tmp_path, "two_shifts.yaml", TWO_SHIFTS)
    with pytest.raises(ScenarioError) as info:
        check_space(space_from_params(params), scenario)
    assert fragment in str(info.value) and "levers.teams." in str(info.value)


# ---------------------------------------------------------------- malformed space files


@pytest.mark.parametrize("text,field,fragment", [
    ("levers: {teams.sdr.headcount: {int: [4, 14]}}\n", "space", "required"),
    ("space: x\n", "levers", "at least one lever"),
    ("space: x\nlevers: {teams.sdr.headcount: [4, 14]}\n", "levers.teams.sdr.headcount", "a lever is {int"),
    ("space: x\nlevers: {teams.sdr.headcount: {int: [14, 4]}}\n", "levers.teams.sdr.headcount.int",
     "must not be above"),
    ("space: x\nlevers: {teams.sdr.headcount: {int: [4.5, 9]}}\n", "levers.teams.sdr.headcount.int",
     "whole numbers"),
    ("space: x\nlevers: {teams.sdr.headcount: {int: [4, 9], stride: 2}}\n", "levers.teams.sdr.headcount",
     "unknown key(s) ['stride']"),
    ("space: x\nlevers: {spacing.growth: {float: [0, 3], log: true}}\n", "levers.spacing.growth.float",
     "needs LO > 0"),
    ("space: x\nlevers: {spacing.growth: {float: [1, 3]}}\n", "levers.spacing.growth", "come in pairs"),
    ("space: x\nlevers: {spacing.first_gap_minutes: {fixed: 5}, spacing.growth: {float: [0.5, 3]}}\n",
     "levers.spacing.growth", "growth is a factor >= 1"),
    ("space: x\nlevers: {policy.distribution.mode: {choice: []}}\n", "levers.policy.distribution.mode.choice",
     "non-empty list"),
    ("space: x\nlevers: {teams.sdr.headcount: {int: [4, 9]}}\nspacing: {max_gap: 3}\n", "spacing.max_gap",
     "unknown key"),
    ("space: x\nlevers: {teams.sdr.headcount: {int: [4, 9]}}\nextras: 1\n", "extras", "unknown section"),
    ("space: x\nlevers: {teams.sdr.headcount: {int: [4, 9]\n", None, "YAML syntax error"),
])
def test_malformed_space_files(tmp_path: Path, text: str, field: str | None, fragment: str) -> None:
    path = write(tmp_path, "space.yaml", text)
    with pytest.raises(ScenarioError) as info:
        load_space(path)
    assert info.value.file == path and info.value.path == field
    assert fragment in info.value.rule, info.value.rule


def test_space_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "space.yaml", "space: x\nlevers:\n  teams.sdr.headcount: {int: [4, 9]}\n"
                 "  policy.cadence.call_target: {int: [9, 2]}\n")
    with pytest.raises(ScenarioError) as info:
        load_space(path)
    assert info.value.problems[0].line == 4
    assert str(info.value).startswith(f"{path}:4: levers.policy.cadence.call_target.int")


@pytest.mark.parametrize("params,field,fragment", [
    (["teams.sdr.headcunt=4..9"], "levers.teams.sdr.headcunt", "known keys here are"),
    (["teams.sdr.headcount=-3..9"], "levers.teams.sdr.headcount", "greater than or equal to 0"),
    (["policy.cadence.call_target=0..5"], "levers.policy.cadence.call_target", "greater than or equal to 1"),
    (["policy.distribution.mode=shared_pool,owner_recycle"], "levers.policy.distribution.mode",
     "owner_recycle needs recycle_after_days"),
    (["contact.voicemail_share=0.5..0.99"], "levers.contact.voicemail_share", "voicemail_share + busy_share"),
])
def test_levers_outside_the_scenarios_rules(params: list[str], field: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        check_space(space_from_params(params), "baseline")
    assert info.value.path == field and fragment in info.value.rule, str(info.value)


# ---------------------------------------------------------------- --param


@pytest.mark.parametrize("text,kind,low,high,step,log", [
    ("teams.sdr.headcount=4..14", "int", 4, 14, 1, False),
    ("teams.sdr.headcount=4..14:2", "int", 4, 14, 2, False),
    ("spacing.first_gap_minutes=2..240:log", "int", 2, 240, 1, True),
    ("spacing.growth=1.0..6", "float", 1, 6, None, False),
    ("spacing.growth=1..6:0.5", "float", 1, 6, 0.5, False),
])
def test_param_ranges(text: str, kind: str, low: float, high: float, step: float | None, log: bool) -> None:
    lever = parse_param(text)
    assert (lever.kind, lever.low, lever.high, lever.step, lever.log) == (kind, low, high, step, log)


def test_param_choices_and_fixed() -> None:
    lever = parse_param("policy.distribution.mode=shared_pool,round_robin")
    assert lever.kind == "choice" and lever.choices == ("shared_pool", "round_robin")
    assert parse_param("teams.sdr.skill=1.2").kind == "fixed"


@pytest.mark.parametrize("text,fragment", [
    ("teams.sdr.headcount", "expected PATH=LO..HI"),
    ("teams.sdr.headcount=9..4", "LO (9) is above HI (4)"),
    ("teams.sdr.headcount=4..x", "HI 'x' is not a number"),
    ("teams.sdr.headcount=4..9:0", "STEP must be > 0"),
    ("spacing.growth=0..6:log", "log scale needs LO > 0"),
    ("policy.distribution.mode=a,,b", "an empty value"),
    ("policy.distribution.mode=a,a", "repeats a value"),
])
def test_bad_params(text: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_param(text)
    assert fragment in str(info.value)


def test_list_choices_travel_through_optuna_as_json() -> None:
    orders = [["callbacks", "new_leads", "due_followups"], ["new_leads", "callbacks", "due_followups"]]
    space = space_from_params(["teams.sdr.headcount=4..6"])
    from leadsim.planner.space import Lever, Space

    space = Space("x", space.levers + (Lever("policy.priority", "choice", choices=tuple(orders)),))
    lever = space.levers[1]
    stored = optuna_choices(lever)
    assert all(isinstance(s, str) for s in stored)
    values = lever_values(space, {"teams.sdr.headcount": 5, "policy.priority": stored[1]})
    assert values["policy.priority"] == orders[1]
    base = check_space(space, "baseline")
    assert 'policy.priority=["new_leads", "callbacks", "due_followups"]' in overrides_for(space, values, base)


# ---------------------------------------------------------------- objectives and constraints


def test_objective_directions() -> None:
    assert parse_objective("conversions").direction == "maximize"
    assert parse_objective("cost").direction == "minimize"
    assert parse_objective("speed_to_first_attempt_p50_min").direction == "minimize"
    assert parse_objective("max:cost").direction == "maximize"
    assert str(parse_objective("min:profit")) == "min:profit"
    assert [str(o) for o in parse_objectives([])] == ["max:conversions"]


@pytest.mark.parametrize("texts,fragment", [
    (["conversion"], "unknown metric 'conversion'"),
    (["best:profit"], "expected METRIC, max:METRIC or min:METRIC"),
    (["profit", "max:profit"], "profit is given twice"),
])
def test_bad_objectives(texts: list[str], fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_objectives(texts)
    assert fragment in str(info.value)


def test_constraint_values_are_negative_when_met() -> None:
    le, ge = parse_constraint("speed_to_first_attempt_p50_min<=5"), parse_constraint("contact_rate>=40%")
    values = constraint_values([le, ge], {"speed_to_first_attempt_p50_min": 3.0, "contact_rate": 0.5})
    assert values == pytest.approx([-2.0, -0.1])
    values = constraint_values([le, ge], {"speed_to_first_attempt_p50_min": 8.0, "contact_rate": float("nan")})
    assert values[0] == pytest.approx(3.0) and values[1] >= 1e9
    assert violation([le], {"speed_to_first_attempt_p50_min": 10.0}) == pytest.approx(1.0)


def test_bad_constraint_is_worded_for_constraint() -> None:
    with pytest.raises(SpecError) as info:
        parse_constraint("speed_to_first_attempt_p50_min<5")
    assert str(info.value).startswith("--constraint ") and "use >= or <=" in str(info.value)


# ---------------------------------------------------------------- Optuna plumbing


def test_distributions_and_grid() -> None:
    space = space_from_params(["teams.sdr.headcount=4..8:2", "spacing.first_gap_minutes=5..20:5",
                               "spacing.growth=1..2:0.5", "policy.distribution.mode=shared_pool,round_robin"])
    dists = distributions(space)
    assert dists["teams.sdr.headcount"].step == 2 and dists["policy.distribution.mode"].choices == \
        ("shared_pool", "round_robin")
    grid = grid_values(space)
    assert grid["teams.sdr.headcount"] == [4, 6, 8] and grid["spacing.growth"] == [1.0, 1.5, 2.0]
    with pytest.raises(SpecError, match="continuous"):
        grid_values(space_from_params(["teams.sdr.skill=1.0..2"]))


def test_study_name_follows_the_question() -> None:
    space = load_space("baseline")
    one = OptimizeConfig("baseline", (), space, tuple(parse_objectives(["profit"])), replications=4)
    two = OptimizeConfig("baseline", (), space, tuple(parse_objectives(["profit"])), replications=5)
    assert default_study_name(one.question("x")) == default_study_name(one.question("x"))
    assert default_study_name(one.question("x")) != default_study_name(two.question("x"))
    assert default_study_name(one.question("x")) != default_study_name(one.question("y"))
    json.dumps(one.question("x"))  # stored in the study: JSON only


@pytest.mark.parametrize("url,kind", [
    (None, "sqlite"), ("sqlite:///x/study.db", "sqlite"), ("journal:x/journal.log", "journal"),
    ("postgresql://u:secret@db:5432/leadsim", "postgresql"),
])
def test_storage_urls(tmp_path: Path, url: str | None, kind: str) -> None:
    spec = parse_storage(url, tmp_path)
    assert spec.kind == kind and "secret" not in spec.shown


@pytest.mark.parametrize("url,fragment", [
    ("mysql://u@h/db", "unknown storage scheme"), ("sqlite:///:memory:", "in-memory"),
    ("journal:", "needs a file path"),
])
def test_bad_storage_urls(tmp_path: Path, url: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_storage(url, tmp_path)
    assert info.value.path == "--storage" and fragment in info.value.rule


def test_worker_liveness() -> None:
    me = worker_identity()
    assert worker_alive(me) is True
    assert worker_alive(dict(me, start="0")) is False  # a recycled pid is another process
    assert worker_alive(dict(me, pid=2 ** 22 + 7)) is False
    assert worker_alive(dict(me, host="elsewhere")) is None


# ---------------------------------------------------------------- picking plans to confirm


def _trial(number: int, value: float | list[float], feasible: bool = True, **levers: Any) -> Any:
    import optuna
    from optuna.distributions import IntDistribution

    values = value if isinstance(value, list) else [value]
    frozen = optuna.trial.create_trial(params={"teams.sdr.headcount": levers.get("h", number)},
                                       distributions={"teams.sdr.headcount": IntDistribution(0, 100)},
                                       values=values,
                                       user_attrs={"feasible": feasible, "levers": {"teams.sdr.headcount": levers.get("h", number)},
                                                   "metrics": {"speed_to_first_attempt_p50_min": 3.0 if feasible else 9.0},
                                                   "constraints": [-2.0] if feasible else [4.0]})
    frozen.number = number
    return frozen


def test_candidates_are_the_best_distinct_feasible_plans() -> None:
    from leadsim.planner.confirm import binding_constraints, pick_candidates

    config = OptimizeConfig("baseline", (), space_from_params(["teams.sdr.headcount=1..99"]),
                            tuple(parse_objectives(["profit"])), (parse_constraint("speed_to_first_attempt_p50_min<=5"),))
    trials = [_trial(0, 10.0), _trial(1, 30.0, feasible=False), _trial(2, 20.0), _trial(3, 20.0, h=2),
              _trial(4, 15.0)]
    picks = pick_candidates(config, trials, 2)
    assert [c.number for c in picks] == [2, 4]  # 1 is infeasible; 3 repeats 2's plan
    assert binding_constraints(config, trials, 20.0) == {"speed_to_first_attempt_p50_min <= 5": 1}
    # nothing feasible: the closest plans, by how far they miss
    closest = pick_candidates(config, [_trial(5, 1.0, feasible=False)], 2)
    assert [c.number for c in closest] == [5] and not closest[0].search_feasible


def test_several_objectives_confirm_the_pareto_front() -> None:
    from leadsim.planner.confirm import pick_candidates

    config = OptimizeConfig("baseline", (), space_from_params(["teams.sdr.headcount=1..99"]),
                            tuple(parse_objectives(["conversions", "cost"])))
    trials = [_trial(0, [10.0, 5.0]), _trial(1, [12.0, 6.0]), _trial(2, [9.0, 6.0]), _trial(3, [12.0, 7.0])]
    assert [c.number for c in pick_candidates(config, trials, 5)] == [1, 0]  # 2 and 3 are dominated
