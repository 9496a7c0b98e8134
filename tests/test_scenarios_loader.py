"""Tests for the scenario loader: files, extends:, --set overrides, errors, round trips."""

from __future__ import annotations

import datetime as dt
import pickle
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from leadsim.scenarios.errors import NO_VALUE, Problem, ScenarioError
from leadsim.scenarios.loader import (
    LIBRARY,
    bundled_scenarios,
    deep_merge,
    load_scenario,
    resolve_scenario_path,
    resolved_yaml,
    scenario_json_schema,
)
from leadsim.scenarios.schema import ExponentialDist, FixedDist, Scenario

#: A small valid scenario with no run:, no policy: and two sources.
MINIMAL = """\
name: minimal
calendar: {start: 2026-01-05}
sources:
  - {name: web, volume: {per_day: 10}}
  - {name: show, kind: batch, batches: [{day: 3, count: 50}]}
teams:
  - {name: sdr, headcount: 3}
contact:
  base: {web: 0.3, show: 0.2}
conversion:
  qualify: {web: 0.4, show: 0.3}
  close: {web: 0.3, show: 0.2}
"""


def write(folder: Path, name: str, text: str) -> Path:
    """Write a YAML file (dedented) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture()
def minimal(tmp_path: Path) -> Path:
    return write(tmp_path, "minimal.yaml", MINIMAL)


def error_of(path: Path | str, overrides: tuple[str, ...] = ()) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return info.value


# ---------------------------------------------------------------- bundled scenarios


def test_library_holds_baseline_and_erlang_c() -> None:
    assert {"baseline", "erlang_c"} <= set(bundled_scenarios())


@pytest.mark.parametrize("name", ["baseline", "erlang_c"])
def test_bundled_files_validate(name: str) -> None:
    scenario = load_scenario(LIBRARY / f"{name}.yaml")
    assert scenario.name == name
    assert scenario.extends is None


def test_baseline_is_the_floor_the_design_sketches() -> None:
    s = load_scenario(LIBRARY / "baseline.yaml")
    assert [src.name for src in s.sources] == ["web_form", "inbound_call", "tradeshow"]
    assert [src.kind for src in s.sources] == ["stream", "inbound_call", "batch"]
    assert s.sources[0].volume is not None and s.sources[0].volume.per_day == 60
    assert s.sources[0].profile == "office_hours"
    assert s.sources[0].expiry_hours == 48
    assert s.sources[1].patience_seconds == 45
    assert s.sources[2].expiry_hours == 240
    (batch,) = s.sources[2].batches
    assert batch.count == 300
    upload = s.calendar.start + dt.timedelta(days=batch.day)
    assert upload.weekday() < 5 and upload not in s.calendar.holidays
    assert s.calendar.start.weekday() == 0
    (team,) = s.teams
    assert (team.name, team.headcount, team.shrinkage) == ("sdr", 10, 0.10)
    assert team.shifts[0].lunch == "12:00-12:45"
    assert (s.run.warmup_days, s.run.days, s.run.drain_days, s.run.seed) == (7, 28, 14, 1)
    assert s.policy.cadence.calling_window.clock == "lead_local_time"


def test_erlang_c_is_an_mmc_queue_at_load_0_8() -> None:
    s = load_scenario(LIBRARY / "erlang_c.yaml")
    (source,) = s.sources
    (team,) = s.teams
    handle = team.handle_minutes
    means = {
        name: getattr(handle, name).exponential.mean
        for name in ("no_answer", "voicemail", "busy", "bad_number", "talk")
        if isinstance(getattr(handle, name), ExponentialDist)
    }
    assert means == dict.fromkeys(("no_answer", "voicemail", "busy", "bad_number", "talk"), 5.0)
    assert handle.wrap == FixedDist(fixed=0)
    arrival_per_minute = source.volume.daily / 1440  # type: ignore[union-attr]
    rho = arrival_per_minute * 5.0 / team.headcount
    assert rho == pytest.approx(0.8)
    assert source.profile == "flat" and source.expiry_hours is None
    assert s.calendar.timezone == "UTC" and list(source.timezones or {}) == ["UTC"]
    assert team.shrinkage == 0 and team.shifts[0].lunch is None and not team.shifts[0].breaks
    assert (team.shifts[0].days, team.shifts[0].start, team.shifts[0].end) == ("mon-sun", "00:00", "24:00")
    cadence = s.policy.cadence
    assert (cadence.call_target, cadence.spacing_minutes, cadence.max_attempts_per_day) == (1, [0], None)
    assert s.policy.priority == ["new_leads"] and s.policy.new_leads_order == "oldest_first"
    assert s.contact.bad_number_rate == 0
    assert s.run.sample_minutes == 1


def test_erlang_c_header_names_the_keys_of_the_queue() -> None:
    header = (LIBRARY / "erlang_c.yaml").read_text().split("\nname:")[0]
    for key in ("sources.0.volume.per_day", "teams.0.headcount", "handle_minutes", "M/M/c"):
        assert key in header


def test_bare_name_finds_a_bundled_scenario_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_scenario_path("baseline") == LIBRARY / "baseline.yaml"
    assert load_scenario("baseline").name == "baseline"
    assert load_scenario("erlang_c.yaml").name == "erlang_c"


def test_a_local_file_wins_over_a_bundled_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "baseline.yaml", MINIMAL)
    monkeypatch.chdir(tmp_path)
    assert load_scenario("baseline.yaml").name == "minimal"


# ---------------------------------------------------------------- extends


def test_extends_deep_merges_mappings_and_replaces_lists(tmp_path: Path) -> None:
    write(tmp_path, "base/base.yaml", MINIMAL + "run: {days: 28, seed: 7}\n")
    whatif = write(tmp_path, "whatifs/more_days.yaml", """\
        extends: ../base/base.yaml
        name: more_days
        run: {days: 35}
        teams:
          - {name: closers, headcount: 2}
        contact:
          base: {web: 0.5}
        """)
    s = load_scenario(whatif)
    assert s.name == "more_days"
    assert s.extends is None
    assert (s.run.days, s.run.seed) == (35, 7)            # nested key overridden, sibling kept
    assert [(t.name, t.headcount) for t in s.teams] == [("closers", 2)]  # list replaced
    assert s.contact.base == {"web": 0.5, "show": 0.2}     # mapping merged key by key
    assert [src.name for src in s.sources] == ["web", "show"]  # inherited


def test_extends_chains_through_several_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", MINIMAL)
    write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\nrun: {seed: 5}\n")
    c = write(tmp_path, "c.yaml", "extends: b.yaml\nname: c\nrun: {days: 3}\n")
    s = load_scenario(c)
    assert (s.name, s.run.seed, s.run.days) == ("c", 5, 3)


def test_extends_null_replaces_a_value(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", MINIMAL.replace("{per_day: 10}}", "{per_day: 10}, expiry_hours: 48}"))
    assert load_scenario(tmp_path / "base.yaml").sources[0].expiry_hours == 48
    whatif = write(tmp_path, "w.yaml", "extends: base.yaml\npolicy: {cadence: {nurture_after_days: null}}\n")
    assert load_scenario(whatif).policy.cadence.nurture_after_days is None


def test_extends_a_bundled_scenario_by_name(tmp_path: Path) -> None:
    whatif = write(tmp_path, "twelve.yaml", "extends: baseline\nname: twelve\nrun: {days: 7}\n")
    s = load_scenario(whatif)
    assert (s.name, s.run.days, s.teams[0].headcount) == ("twelve", 7, 10)


def test_extends_cycle_is_an_error_naming_the_chain(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\n")
    err = error_of(a)
    assert err.path == "extends"
    assert err.rule.startswith("extends cycle: ")
    assert "a.yaml -> " in err.rule and "b.yaml -> " in err.rule
    assert err.file is not None and err.file.endswith("b.yaml")
    assert err.value == "a.yaml"


def test_extends_itself_is_a_cycle(tmp_path: Path) -> None:
    a = write(tmp_path, "self.yaml", "extends: self.yaml\nname: a\n")
    assert "extends cycle" in error_of(a).rule


def test_extends_a_missing_file(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "extends: nowhere.yaml\nname: a\n")
    err = error_of(a)
    assert (err.path, err.value) == ("extends", "nowhere.yaml")
    assert err.rule.startswith("file not found") and err.file == str(a)


def test_deep_merge_leaves_its_inputs_alone() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    over = {"a": {"c": [3]}, "d": None}
    merged = deep_merge(base, over)
    assert merged == {"a": {"b": 1, "c": [3]}, "d": None}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    merged["a"]["c"].append(4)
    assert over == {"a": {"c": [3]}, "d": None}


_leaves = st.one_of(st.integers(), st.text(alphabet="xyz", max_size=3), st.none(), st.lists(st.integers(), max_size=3))
_trees = st.recursive(_leaves, lambda kids: st.dictionaries(st.sampled_from("abc"), kids, max_size=3), max_leaves=10)
_mappings = st.dictionaries(st.sampled_from("abcd"), _trees, max_size=4)


@given(_mappings, _mappings)
def test_deep_merge_properties(base: dict, over: dict) -> None:
    merged = deep_merge(base, over)
    assert set(merged) == set(base) | set(over)
    assert deep_merge(base, {}) == base and deep_merge({}, over) == over
    for key, value in over.items():
        if not (isinstance(value, dict) and isinstance(base.get(key), dict)):
            assert merged[key] == value  # lists and scalars replace
    assert deep_merge(merged, over) == merged  # applying the same what-if twice changes nothing


# ---------------------------------------------------------------- --set overrides


def test_set_by_index_and_by_name_agree() -> None:
    by_index = load_scenario("baseline", ["sources.0.volume.per_day=80"])
    by_name = load_scenario("baseline", ["sources.web_form.volume.per_day=80"])
    assert by_index.sources[0].volume.per_day == 80  # type: ignore[union-attr]
    assert by_index == by_name
    assert load_scenario("baseline", ["teams.sdr.headcount=12"]).teams[0].headcount == 12


def test_set_a_key_the_file_omits_but_the_schema_defines(minimal: Path) -> None:
    s = load_scenario(minimal, ["run.replications=5", "policy.cadence.call_target=3"])
    assert s.run.replications == 5
    assert s.policy.cadence.call_target == 3
    assert s.policy.priority == ["callbacks", "new_leads", "due_followups"]  # defaults kept


def test_set_values_are_yaml() -> None:
    s = load_scenario("baseline", [
        "policy.cadence.spacing_minutes=[0, 5, 60]",
        "policy.cadence.max_attempts_per_day=null",
        "teams.sdr.shifts.0.end=18:00",  # unquoted HH:MM stays a string
        "teams.sdr.handle_minutes.talk={exponential: {mean: 6}}",
        "description=what if",
    ])
    assert s.policy.cadence.spacing_minutes == [0, 5, 60]
    assert s.policy.cadence.max_attempts_per_day is None
    assert s.teams[0].shifts[0].end == "18:00"
    assert s.teams[0].handle_minutes.talk == ExponentialDist(exponential={"mean": 6})
    assert s.description == "what if"


def test_set_into_dicts_aliases_and_int_keys() -> None:
    s = load_scenario("baseline", [
        "contact.base.web_form=0.5",
        "policy.cadence.calling_window.in=floor_time",
        "contact.hour_odds.16=2",
        "contact.hour_odds.9=1.05",
    ])
    assert s.contact.base["web_form"] == 0.5
    assert s.policy.cadence.calling_window.clock == "floor_time"
    assert s.contact.hour_odds == {8: 1.1, 16: 2.0, 17: 1.3, 9: 1.05}


def test_set_does_not_leak_through_yaml_anchors() -> None:
    s = load_scenario("erlang_c", ["teams.0.handle_minutes.talk.exponential.mean=9"])
    handle = s.teams[0].handle_minutes
    assert handle.talk == ExponentialDist(exponential={"mean": 9})
    assert handle.no_answer == ExponentialDist(exponential={"mean": 5})


def test_set_later_overrides_win() -> None:
    assert load_scenario("baseline", ["run.seed=3", "run.seed=4"]).run.seed == 4


def test_set_unknown_path_lists_the_known_keys() -> None:
    err = error_of("baseline", ("policy.cadnce.call_target=3",))
    assert err.path == "policy.cadnce"
    assert err.rule == ("unknown --set path; known keys here are "
                        "[cadence, distribution, inbound_order, new_leads_order, priority]")
    assert err.value == "policy.cadnce.call_target=3"
    assert err.file is not None and err.file.endswith("baseline.yaml")


@pytest.mark.parametrize(
    ("override", "path", "fragment"),
    [
        ("sources.webform.volume.per_day=3", "sources.webform", "no item named 'webform'"),
        ("sources.7.volume.per_day=3", "sources.7", "index 7 is out of range"),
        ("run.days.x=1", "run.days.x", "holds a value (28)"),
        ("sources.0.profile.hours.3=1", "sources.0.profile.hours", "holds a value ('office_hours')"),
        ("teams.sdr.handle_minutes.talk.lognormal.median=3", "teams.0.handle_minutes.talk.lognormal.median",
         "known keys here are [mean, sd]"),
        ("typo=1", "typo", "unknown --set path"),
    ],
)
def test_set_bad_paths(override: str, path: str, fragment: str) -> None:
    err = error_of("baseline", (override,))
    assert err.path == path
    assert err.rule.startswith("unknown --set path")
    assert fragment in err.rule
    assert err.value == override


@pytest.mark.parametrize("override", ["run.days", "=3", "run..days=3", "run.days.=3"])
def test_malformed_override(override: str) -> None:
    err = error_of("baseline", (override,))
    assert err.rule == "malformed --set override; expected dotted.path=value"
    assert err.value == override


def test_set_value_that_is_not_yaml() -> None:
    err = error_of("baseline", ("policy.cadence.spacing_minutes=[0, 5",))
    assert err.path == "policy.cadence.spacing_minutes"
    assert "not valid YAML" in err.rule and err.value == "[0, 5"


def test_set_cannot_change_extends() -> None:
    assert error_of("baseline", ("extends=other.yaml",)).path == "extends"


def test_validation_errors_name_the_override_that_caused_them() -> None:
    err = error_of("baseline", ("teams.sdr.headcount=-1",))
    assert err.path == "teams.0.headcount"
    assert err.value == -1
    assert err.problems[0].note == "from --set teams.sdr.headcount=-1"


# ---------------------------------------------------------------- bad files


def test_missing_file() -> None:
    err = error_of("no/such/file.yaml")
    assert (err.file, err.path, err.rule, err.value) == ("no/such/file.yaml", None, "file not found", NO_VALUE)


def test_missing_bare_name_lists_the_bundled_scenarios() -> None:
    err = error_of("basline")
    assert "baseline" in err.rule and "erlang_c" in err.rule


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "name: x\nsources: [a, b\nteams: []\n")
    err = error_of(bad)
    assert err.rule.startswith("YAML syntax error")
    assert err.problems[0].line == 3
    assert str(err).startswith(f"{bad}:3:")


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    bad = write(tmp_path, "dup.yaml", MINIMAL + "name: again\n")
    err = error_of(bad)
    assert "duplicate key 'name' (first given on line 1)" in err.rule
    assert err.problems[0].line == 13


@pytest.mark.parametrize(("text", "got"), [("", "an empty file"), ("- 1\n", "a list"), ("3\n", "a int")])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, got: str) -> None:
    err = error_of(write(tmp_path, "x.yaml", text))
    assert "top level must be a mapping" in err.rule and got in err.rule


def test_unquoted_times_of_day_are_strings(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", MINIMAL.replace("headcount: 3}", "headcount: 3, shifts: [{start: 09:30, end: 17:00}]}"))
    shift = load_scenario(path).teams[0].shifts[0]
    assert (shift.start, shift.end) == ("09:30", "17:00")


@pytest.mark.parametrize(
    ("old", "new", "path", "rule", "value"),
    [
        ("headcount: 3", "headcount: ten", "teams.0.headcount",
         "Input should be a valid integer", "ten"),
        ("headcount: 3", "headcount: -1", "teams.0.headcount",
         "Input should be greater than or equal to 0", -1),
        ("base: {web: 0.3", "base: {web: 1.5", "contact.base.web", "Input should be less than 1", 1.5),
        ("headcount: 3}", "headcount: 3, shifts: [{start: '17:00', end: '08:00'}]}", "teams.0.shifts.0",
         "shift must end after it starts, got 17:00-08:00", {"start": "17:00", "end": "08:00"}),
        ("headcount: 3}", "headcount: 3, headcont: 4}", "teams.0.headcont", "Extra inputs are not permitted", 4),
        ("teams:", "policy: {distribution: telepathy}\nteams:", "policy.distribution.mode",
         "Input should be 'shared_pool', 'round_robin', 'owner_recycle' or 'incoming_call_group'", "telepathy"),
    ],
)
def test_schema_violations_name_path_rule_and_value(
    tmp_path: Path, old: str, new: str, path: str, rule: str, value: object
) -> None:
    assert old in MINIMAL
    bad = write(tmp_path, "bad.yaml", MINIMAL.replace(old, new, 1))
    err = error_of(bad)
    assert len(err.problems) == 1
    assert (err.file, err.path, err.rule, err.value) == (str(bad), path, rule, value)
    assert err.problems[0].line is not None


def test_union_errors_collapse_to_one_line_per_value(tmp_path: Path) -> None:
    bad = write(tmp_path, "u.yaml", MINIMAL.replace(
        "{name: web, volume: {per_day: 10}}",
        "{name: web, volume: {per_day: 10}, profile: weird, quality: {beta: [2, -5]}}",
    ).replace("headcount: 3}", "headcount: 3, handle_minutes: {talk: {lognormal: {mean: 7}}}}"))
    err = error_of(bad)
    assert [p.path for p in err.problems] == [
        "sources.0.profile", "sources.0.quality.beta.1", "teams.0.handle_minutes.talk.lognormal.sd"]
    profile, beta, talk = err.problems
    assert profile.rule.startswith("must be one of the forms 'flat' | 'office_hours'")
    assert profile.rule.endswith("or {hours, weekdays} or {hour_of_week, by_weekday}") and profile.value == "weird"
    assert (beta.rule, beta.value) == ("Input should be greater than 0", -5)
    assert (talk.rule, talk.value, talk.line) == ("Field required", NO_VALUE, 7)


def test_several_problems_give_one_line_each(tmp_path: Path) -> None:
    bad = write(tmp_path, "two.yaml", MINIMAL.replace("headcount: 3", "headcount: -1, typo: 1"))
    lines = str(error_of(bad)).splitlines()
    assert lines == [
        f"{bad}:7: teams.0.headcount: Input should be greater than or equal to 0 (got -1)",
        f"{bad}:7: teams.0.typo: Extra inputs are not permitted (got 1)",
    ]


def test_scenario_wide_rules_have_no_path(minimal: Path) -> None:
    err = error_of(minimal, ("contact.base={web: 0.3}",))
    assert err.path is None and err.value is NO_VALUE
    assert "contact.base needs a value for every source; missing ['show']" in err.rule


# ---------------------------------------------------------------- the error type


def test_scenario_error_formats_one_line() -> None:
    err = ScenarioError("scenarios/x.yaml", "teams.0.headcount",
                        "Input should be greater than or equal to 0", -1)
    assert str(err) == "scenarios/x.yaml: teams.0.headcount: Input should be greater than or equal to 0 (got -1)"


def test_scenario_error_shortens_long_values_and_survives_pickling() -> None:
    err = ScenarioError(problems=[Problem("f.yaml", "a", "bad", "x" * 500), Problem(None, None, "worse")])
    first, second = str(err).splitlines()
    assert len(first) < 120 and first.endswith("...)")
    assert second == "worse"
    again = pickle.loads(pickle.dumps(err))
    assert again.problems == err.problems and str(again) == str(err)
    assert pickle.loads(pickle.dumps(NO_VALUE)) is NO_VALUE


# ---------------------------------------------------------------- resolved YAML and JSON Schema


@pytest.mark.parametrize("name", ["baseline", "erlang_c"])
def test_resolved_yaml_round_trips(tmp_path: Path, name: str) -> None:
    scenario = load_scenario(name, ["teams.0.headcount=7", "contact.hour_odds.3=0.5"])
    path = tmp_path / "scenario.resolved.yaml"
    path.write_text(resolved_yaml(scenario), encoding="utf-8")
    again = load_scenario(path)
    assert again == scenario
    data = yaml.safe_load(path.read_text())
    assert data["extends"] is None
    assert data["policy"]["cadence"]["calling_window"]["in"] in ("lead_local_time", "floor_time")
    assert data["run"]["replications"] == 1  # defaults are written out


def test_resolved_yaml_of_a_what_if_stands_alone(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", MINIMAL)
    whatif = load_scenario(write(tmp_path, "w.yaml", "extends: base.yaml\nname: w\n"))
    alone = write(tmp_path, "elsewhere/resolved.yaml", resolved_yaml(whatif))
    assert load_scenario(alone) == whatif


def test_json_schema_documents_every_section() -> None:
    schema = scenario_json_schema()
    assert set(Scenario.model_fields) <= set(schema["properties"])
    window = schema["$defs"]["CallingWindow"]["properties"]
    assert "in" in window and "clock" not in window
    assert schema["additionalProperties"] is False
