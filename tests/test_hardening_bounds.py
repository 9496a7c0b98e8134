"""Issue 8, root cause 2: no sane bounds.

Every numeric scenario field is finite, strictly typed (a boolean is not a
number) and has a documented upper bound; command-line numbers are bounded
too; sweep ranges are bounded; the work a command would do is estimated and
refused beyond a limit unless --force; staff refuses impossible targets at once
and its Erlang C search is bounded. Every bad input: exit 2, one message, no
traceback.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from leadsim.cli import main
from leadsim.planner import queueing
from leadsim.planner.estimate import (
    MAX_EVENTS,
    MAX_LEADS_PER_REPLICATION,
    check_work,
    estimate,
)
from leadsim.planner.specs import SpecError
from leadsim.planner.staffing import (
    Target,
    erlang_c_answer,
    parse_target,
    search_evaluations,
)
from leadsim.planner.sweep import MAX_VALUES, parse_param
from leadsim.scenarios import schema
from leadsim.scenarios.loader import format_bound, load_scenario, scenario_json_schema

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "src" / "leadsim" / "scenarios" / "library" / "baseline.yaml")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_one_error(result: Result, *fragments: str) -> None:
    """Exit 2, one 'Error:' line on stderr containing every fragment, no traceback."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


# ---------------------------------------------------------------- scenario fields


@pytest.mark.parametrize(
    ("override", "path", "fragment"),
    [
        ("teams.sdr.headcount=1e30", "teams.0.headcount", "whole number"),
        ("teams.sdr.headcount=100001", "teams.0.headcount", "less than or equal to 10000"),
        ("teams.sdr.headcount=true", "teams.0.headcount", "not true/false"),
        ("teams.sdr.headcount=12.0", "teams.0.headcount", "whole number"),
        ("teams.sdr.headcount='12'", "teams.0.headcount", "valid integer"),
        ("sources.web_form.volume.per_day=1e308", "sources.0.volume.per_day", "less than or equal to 1000000"),
        ("sources.web_form.volume.per_day=.inf", "sources.0.volume.per_day", "finite"),
        ("sources.web_form.volume.per_day=.nan", "sources.0.volume.per_day", "finite"),
        ("sources.web_form.volume.per_day=true", "sources.0.volume.per_day", "not true/false"),
        ("run.days=.inf", "run.days", "finite"),
        ("run.days=1e9", "run.days", "less than or equal to 3660"),
        ("run.warmup_days=1e12", "run.warmup_days", "less than or equal to 3660"),
        ("run.drain_days=-.inf", "run.drain_days", "finite"),
        ("run.sample_minutes=1e-6", "run.sample_minutes", "greater than or equal to 1"),
        ("run.seed=-1", "run.seed", "greater than or equal to 0"),
        ("run.seed=18446744073709551616", "run.seed", "less than or equal to"),
        ("run.replications=true", "run.replications", "not true/false"),
        ("sources.tradeshow.batches.0.count=1000000000000", "sources.2.batches.0.count", "less than or equal to"),
        ("sources.tradeshow.batches.0.day=.inf", "sources.2.batches.0.day", "finite"),
        ("teams.sdr.handle_minutes.talk={lognormal: {mean: .inf, sd: 5}}",
         "teams.0.handle_minutes.talk.lognormal.mean", "finite"),
        ("teams.sdr.handle_minutes.talk={exponential: {mean: .nan}}",
         "teams.0.handle_minutes.talk.exponential.mean", "finite"),
        ("teams.sdr.handle_minutes.wrap={fixed: 1e9}", "teams.0.handle_minutes.wrap.fixed",
         "less than or equal to 1440"),
        ("teams.sdr.skill=.inf", "teams.0.skill", "finite"),
        ("teams.sdr.shrinkage=true", "teams.0.shrinkage", "not true/false"),
        ("contact.base.web_form=true", "contact.base.web_form", "not true/false"),
        ("contact.attempt_odds=[1, .inf]", "contact.attempt_odds.1", "finite"),
        ("contact.hour_odds={8: 1e300}", "contact.hour_odds.8", "less than or equal to"),
        ("policy.cadence.call_target=1e9", "policy.cadence.call_target", "whole number"),
        ("policy.cadence.call_target=1001", "policy.cadence.call_target", "less than or equal to 1000"),
        ("policy.cadence.spacing_minutes=[0, .inf]", "policy.cadence.spacing_minutes.1", "finite"),
        ("policy.cadence.nurture_after_days=.inf", "policy.cadence.nurture_after_days", "finite"),
        ("economics.rep_cost_per_hour=1e300", "economics.rep_cost_per_hour", "less than or equal to"),
        ("sources.web_form.expiry_hours=.inf", "sources.0.expiry_hours", "finite"),
        ("sources.inbound_call.patience_seconds=1e12", "sources.1.patience_seconds", "less than or equal to"),
        ("sources.web_form.quality={beta: [.inf, 2]}", "sources.0.quality.beta.0", "finite"),
        ("calendar.start=0001-01-01", "calendar.start", "from 1900-01-01 to 2199-12-31"),
        ("calendar.start=9999-12-01", "calendar.start", "from 1900-01-01 to 2199-12-31"),
        ("policy.priority=[callbacks, {lead_score: {aging_per_hour: 1e308}}]",
         "policy.priority.1.lead_score.aging_per_hour", "(got 1e+308)"),
        ("policy.priority=[callbacks, {source_weights: {weights: {web_form: true}}}]",
         "policy.priority.1.source_weights.weights", "True"),
    ],
)
def test_bad_numbers_are_refused_naming_file_field_rule_and_value(override: str, path: str,
                                                                  fragment: str) -> None:
    result = invoke("validate", "baseline", "--set", override)
    assert_one_error(result, BASELINE, path, fragment, f"[from --set {override}]")


@pytest.mark.parametrize(
    "override",
    ["teams.sdr.headcount=10000", "run.days=3660", "run.seed=9223372036854775807",
     "sources.web_form.volume.per_day=1000000", "run.sample_minutes=1", "policy.cadence.call_target=1000",
     "teams.sdr.skill=2", "contact.base.web_form=0.5", "run.warmup_days=0"],
)
def test_values_at_the_bounds_are_valid(override: str) -> None:
    result = invoke("validate", "baseline", "--set", override)
    assert result.exit_code == 0, result.output


def test_bad_number_in_a_file_names_its_line(tmp_path: Path) -> None:
    text = Path(BASELINE).read_text(encoding="utf-8").replace("headcount: 10", "headcount: true", 1)
    path = tmp_path / "b.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "headcount: true" in t)
    assert_one_error(invoke("validate", str(path)), f"{path}:{line}: teams.0.headcount", "(got True)")


def _numeric_bounds() -> list[tuple[str, str, float]]:
    """(model name, field key, upper bound) for every bounded numeric property in the JSON Schema."""
    doc = scenario_json_schema()
    out = []
    for name, model in doc["$defs"].items():
        for key, prop in model.get("properties", {}).items():
            ups = []
            for node in [prop, *prop.get("anyOf", []), *prop.get("prefixItems", [])]:
                for sub in (node, node.get("items"), node.get("additionalProperties")):
                    if isinstance(sub, dict) and sub.get("type") in ("number", "integer"):
                        ups += [sub[k] for k in ("maximum", "exclusiveMaximum") if k in sub]
            if ups:
                out.append((name, key, max(ups)))
    return out


def test_every_number_in_the_schema_is_bounded_above() -> None:
    """Walk the JSON Schema: no number, integer or list/mapping of them without a maximum."""
    doc = scenario_json_schema()
    unbounded = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("number", "integer") and not (
                    "maximum" in node or "exclusiveMaximum" in node):
                unbounded.append(where)
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}.{i}")

    walk(doc, "schema")
    assert unbounded == []
    assert len(_numeric_bounds()) >= 50


def test_json_schema_descriptions_state_every_range() -> None:
    doc = scenario_json_schema()
    for name, key, upper in _numeric_bounds():
        description = doc["$defs"][name]["properties"][key].get("description", "")
        assert "Range:" in description and format_bound(upper) in description, (name, key, description)


def test_docs_state_every_upper_bound() -> None:
    """docs/scenarios.md gives each field's upper bound (bounds of 1 are the documented shares/probabilities)."""
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    missing = []
    for name, key, upper in _numeric_bounds():
        if upper <= 1:
            continue
        rows = [line for line in text.splitlines() if line.startswith(f"| `{key}` |")]
        if not any(format_bound(upper) in row for row in rows):
            missing.append((name, key, format_bound(upper)))
    assert missing == []


def test_bound_constants_match_the_schema() -> None:
    # headcount is optional (a team may be staffed by a table): the bound sits on Headcount.
    doc = schema.Team.model_json_schema()["properties"]["headcount"]
    assert {"type": "integer", "minimum": 0, "maximum": schema.MAX_HEADCOUNT}.items() <= doc["anyOf"][0].items()
    assert schema.MAX_MINUTES == schema.MAX_DAYS * 1440


# ---------------------------------------------------------------- command-line numbers


@pytest.mark.parametrize(
    "args",
    [
        ("run", "baseline", "--days", "inf"),
        ("run", "baseline", "--days", "nan"),
        ("run", "baseline", "--days", "1e9"),
        ("run", "baseline", "--days", "-1"),
        ("run", "baseline", "--days", "1e999999999"),
        ("run", "baseline", "--seed", str(2**64)),
        ("run", "baseline", "-r", "0"),
        ("run", "baseline", "-r", "100001"),
        ("run", "baseline", "--jobs", "100000"),
        ("run", "baseline", "--precision", "conversion_rate=0.01", "--max-replications", "1000000"),
        ("compare", "baseline", "--vary", "teams.sdr.headcount=9", "--days", "inf"),
        ("sweep", "baseline", "--param", "teams.sdr.headcount=5..6", "--days", "nan"),
        ("staff", "baseline", "--target", "share_waited<=0.5", "--max", "1000000"),
        ("staff", "baseline", "--target", "share_waited<=0.5", "--seed", "-5"),
    ],
)
def test_bad_command_line_numbers_exit_2_before_anything_runs(args: tuple[str, ...], tmp_path: Path) -> None:
    result = invoke(*args, "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "Error:" in result.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- sweep ranges


@pytest.mark.parametrize(
    ("param", "fragments"),
    [
        ("teams.sdr.headcount=1..1e30:1e28", ("HI '1e30' is out of range", "101 values")),
        ("teams.sdr.headcount=1..1e999999999:5", ("HI '1e999999999' is out of range", "more than 1e+999999")),
        ("teams.sdr.headcount=1..1e999999999", ("out of range",)),
        ("teams.sdr.headcount=-1e999999999..1:1", ("LO '-1e999999999' is out of range",)),
        ("teams.sdr.headcount=1..100:1e-999999999", ("more than 1e+999999 values",)),
        ("teams.sdr.headcount=1..1e15", ("would take 1.000e+15 values",)),
        ("teams.sdr.headcount=1..1000", ("would take 1,000 values", f"at most {MAX_VALUES}")),
        ("teams.sdr.headcount=1..2:inf", ("not a finite number",)),
    ],
)
def test_sweep_ranges_are_bounded(param: str, fragments: tuple[str, ...]) -> None:
    with pytest.raises(SpecError) as info:
        parse_param(param)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    assert_one_error(invoke("sweep", "baseline", "--param", param), *fragments)


@pytest.mark.parametrize("param", ["teams.sdr.headcount=1,1e999999999", "teams.sdr.headcount=1,.inf",
                                   "teams.sdr.headcount=1..3e14:1e14"])
def test_sweep_values_beyond_a_fields_bound_name_the_param(param: str) -> None:
    assert_one_error(invoke("sweep", "baseline", "--param", param), "teams.0.headcount", "[from --param")


# ---------------------------------------------------------------- the work estimate


def test_estimate_of_baseline_is_what_the_docs_say() -> None:
    work = estimate(load_scenario("baseline"))
    # 75 leads a day (60 web + 15 inbound) over 49 simulated days, plus the 300-lead batch.
    assert work.leads == pytest.approx(75 * 49 + 300)
    assert work.attempts == pytest.approx(work.leads * 6)
    assert work.reps == 10 and work.rep_days == 490
    assert work.backlog_samples == pytest.approx(49 * 1440 / 15)
    assert round(work.events) == 36_449
    planning = " ".join((ROOT / "docs" / "planning.md").read_text(encoding="utf-8").split())
    assert "estimated at 36,449 events" in planning
    assert f"**{MAX_LEADS_PER_REPLICATION:,} leads**" in planning and f"**{MAX_EVENTS:,} events**" in planning


def test_documented_refusal_is_what_the_command_prints() -> None:
    result = invoke("run", "baseline", "-r", "10000")
    assert_one_error(result, "10,000 simulation runs of up to 36,449 events each, ~364,490,000 events in all")
    planning = (ROOT / "docs" / "planning.md").read_text(encoding="utf-8")
    shown = re.search(r"Error: run: 10,000 simulation runs[^\n]*", planning)
    assert shown is not None
    head, tail = shown.group(0).split("(...)")
    assert result.stderr.startswith(head) and result.stderr.rstrip().endswith(tail.rstrip())


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("run", "baseline", "--set", "teams.sdr.headcount=10000", "--set", "run.days=3000"), "events in all"),
        (("run", "baseline", "--set", "sources.tradeshow.batches.0.count=5000000"), "leads per replication"),
        (("run", "baseline", "--set", "sources.web_form.volume.per_day=1000000"), "leads per replication"),
        (("run", "baseline", "--set", "run.sample_minutes=1", "--set", "run.days=3660", "-r", "100"),
         "events in all"),
        (("compare", "baseline", "--vary", "teams.sdr.headcount=12", "-r", "5000"), "compare: 10,000"),
        (("sweep", "baseline", "--param", "teams.sdr.headcount=1..200", "-r", "1000"), "sweep: 200,000"),
        (("staff", "baseline", "--target", "share_waited<=0.5", "--max", "10000", "-r", "1000"), "staff:"),
    ],
)
def test_too_much_work_is_refused_with_the_estimate(args: tuple[str, ...], fragment: str, tmp_path: Path) -> None:
    result = invoke(*args, "--out", str(tmp_path / "out"))
    assert_one_error(result, fragment, "--force", "~")
    assert not (tmp_path / "out").exists()


def test_force_skips_the_refusal_but_not_the_estimate() -> None:
    big = load_scenario("baseline", ["sources.web_form.volume.per_day=1000000"])
    with pytest.raises(SpecError, match="leads per replication"):
        check_work([big], 1)
    total = check_work([big], 3, force=True)
    assert total == pytest.approx(estimate(big).events * 3)


def test_force_option_runs_work_beyond_the_limit(tmp_path: Path) -> None:
    # The estimate is an upper bound from expected volumes: a source whose profile
    # weighs every hour 0 is estimated at 1.1 million leads but produces none.
    silent = ("--set", "run.warmup_days=0", "--set", "run.drain_days=0", "--set", "run.days=1.1",
              "--set", "sources.0.volume.per_day=1000000", "--set", f"sources.0.profile={{hours: {[0] * 24}}}")
    refused = invoke("run", "erlang_c", *silent, "--out", str(tmp_path / "a"))
    assert_one_error(refused, "~1,100,000 leads", "the limit is 1,000,000 leads per replication", "--force")
    assert not (tmp_path / "a").exists()
    forced = invoke("run", "erlang_c", *silent, "--out", str(tmp_path / "b"), "--force", "--json")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["metrics"]["leads"]["mean"] == 0


def test_search_evaluations_bounds_the_staff_search() -> None:
    from leadsim.planner.staffing import smallest_meeting

    for low, high in [(1, 1), (1, 2), (1, 200), (3, 10_000)]:
        for answer in {low, (low + high) // 2, high, None}:
            for start in {low, (low + high) // 3, high}:
                seen: set[int] = set()

                def meets(h: int, answer: int | None = answer, seen: set[int] = seen) -> bool:
                    seen.add(h)
                    return answer is not None and h >= answer

                smallest_meeting(meets, low, high, start)
                n = high - low + 1
                one_search = min(n, 2 * math.ceil(math.log2(max(n, 2))) + 2)
                assert len(seen) <= one_search  # find_headcount runs two such searches
                assert search_evaluations(low, high) >= min(n, 2 * one_search)


# ---------------------------------------------------------------- staff targets


@pytest.mark.parametrize(
    "target",
    ["share_first_attempt_within_5_min>=1.5", "share_first_attempt_within_5_min>=150%",
     "share_waited<=-0.1", "share_first_attempt_within_5_min>=-1",
     "speed_to_first_attempt_p90_min<=-5", "attempts_per_lead>=-1"],
)
def test_impossible_staff_targets_are_refused_at_once(target: str, tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="can never be a real target"):
        parse_target(target)
    assert_one_error(invoke("staff", "baseline", "--target", target, "--out", str(tmp_path / "o")),
                     "--target", "can never be a real target")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("target", ["share_first_attempt_within_5_min>=1", "share_waited<=0",
                                    "speed_to_first_attempt_p90_min<=0", "profit>=-1000"])
def test_possible_staff_targets_parse(target: str) -> None:
    parse_target(target)


def test_erlang_search_matches_the_linear_search_and_stops_for_unreachable_targets() -> None:
    lam, handle = 0.8, 5.0  # offered load 4 Erlangs
    for share in (0.5, 0.8, 0.95, 0.999):
        answer = erlang_c_answer(Target("share_first_attempt_within_5_min", ">=", share), lam, handle)
        assert answer.servers == queueing.mmc_min_servers(lam, 1 / handle, 5.0, share)
    # Nobody ever waits: no finite number of servers gives exactly 0.
    never = erlang_c_answer(Target("share_waited", "<=", 0.0), lam, handle)
    assert never.servers is None and "not met by" in (never.reason or "")
    cap = int((never.reason or "").split("not met by ")[1].split()[0])
    assert cap == math.floor(4 + 10 * 2) + 100
    huge = erlang_c_answer(Target("share_waited", "<=", 0.0), 1e4, 1.0)  # 10,000 Erlangs
    assert huge.servers is None
