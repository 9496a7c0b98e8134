"""End-to-end tests of `leadsim validate` and `leadsim schema`, bad input included."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from leadsim.cli import main
from leadsim.scenarios.loader import LIBRARY

GOOD = """\
name: good
calendar: {start: 2026-01-05}
sources:
  - {name: web_form, volume: {per_day: 10}}
teams:
  - name: sdr
    headcount: 3
    shifts: [{days: mon-fri, start: "08:00", end: "17:00"}]
contact:
  base: {web_form: 0.3}
conversion:
  qualify: {web_form: 0.4}
  close: {web_form: 0.3}
"""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def assert_bad_input(result: Result, *fragments: str) -> None:
    """Exit 2, one 'Error:' message on stderr containing every fragment, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


# ---------------------------------------------------------------- good input


@pytest.mark.parametrize(
    ("name", "summary"),
    [
        ("baseline", "OK: baseline (3 sources, 1 team, 10 reps)"),
        ("erlang_c", "OK: erlang_c (1 source, 1 team, 5 reps)"),
    ],
)
def test_validate_bundled_files(name: str, summary: str) -> None:
    for target in (str(LIBRARY / f"{name}.yaml"), name):
        result = invoke("validate", target)
        assert result.exit_code == 0, result.output
        assert result.stdout == summary + "\n"


def test_validate_applies_overrides() -> None:
    result = invoke("validate", "baseline", "--set", "teams.sdr.headcount=12", "--set", "run.replications=3")
    assert result.exit_code == 0, result.output
    assert result.stdout == "OK: baseline (3 sources, 1 team, 12 reps)\n"


def test_validate_a_what_if(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", GOOD)
    whatif = write(tmp_path, "more.yaml", """\
        extends: good.yaml
        name: more
        teams:
          - {name: a, headcount: 4}
          - {name: b, headcount: 2}
        """)
    result = invoke("validate", str(whatif))
    assert result.exit_code == 0, result.output
    assert result.stdout == "OK: more (1 source, 2 teams, 6 reps)\n"


def test_schema_prints_json_schema() -> None:
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert {"name", "calendar", "sources", "teams", "contact", "conversion", "policy"} <= set(schema["properties"])
    assert result.stdout.startswith('{\n  "')  # indented by 2


def test_help_lists_the_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "validate" in result.stdout and "schema" in result.stdout


def test_usage_errors_are_click_exit_2() -> None:
    result = invoke("validate")
    assert result.exit_code == 2 and "Missing argument" in result.stderr


# ---------------------------------------------------------------- bad input


def test_missing_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")
    assert_bad_input(invoke("validate", missing), f"Error: {missing}: file not found")


def test_yaml_syntax_error(tmp_path: Path) -> None:
    bad = write(tmp_path, "broken.yaml", "name: x\nteams: [a, b\ncontact: {}\n")
    assert_bad_input(invoke("validate", str(bad)), f"{bad}:3:", "YAML syntax error", "expected ',' or ']'")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # wrong type
        ("headcount: 3", "headcount: \"ten\"",
         ":7: teams.0.headcount: Input should be a valid integer (got 'ten')"),
        # value out of range
        ("headcount: 3", "headcount: -1",
         ":7: teams.0.headcount: Input should be greater than or equal to 0 (got -1)"),
        # a probability above 1
        ("base: {web_form: 0.3}", "base: {web_form: 1.5}",
         ":10: contact.base.web_form: Input should be less than 1 (got 1.5)"),
        # a shift that ends before it starts
        ('start: "08:00", end: "17:00"', 'start: "17:00", end: "08:00"',
         ":8: teams.0.shifts.0: shift must end after it starts, got 17:00-08:00 "
         "(got {'days': 'mon-fri', 'start': '17:00', 'end': '08:00'})"),
        # an unknown field (a typo)
        ("headcount: 3", "headcount: 3\n    shrinkge: 0.1",
         ":8: teams.0.shrinkge: Extra inputs are not permitted (got 0.1)"),
        # an unknown policy name
        ("contact:", "policy: {distribution: telepathy}\ncontact:",
         ":9: policy.distribution.mode: Input should be 'shared_pool', 'round_robin', 'owner_recycle' or 'incoming_call_group' (got 'telepathy')"),
    ],
)
def test_bad_values_name_file_path_rule_and_value(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    bad = write(tmp_path, "bad.yaml", GOOD.replace(old, new, 1))
    result = invoke("validate", str(bad))
    assert_bad_input(result, f"Error: {bad}{expected}\n")
    assert result.stderr.count("\n") == 1  # exactly one problem, one line


def test_several_problems_one_line_each(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", GOOD.replace("headcount: 3", "headcount: -3").replace("0.4", "2"))
    result = invoke("validate", str(bad))
    assert_bad_input(result, "teams.0.headcount", "conversion.qualify.web_form")
    assert len(result.stderr.splitlines()) == 2


def test_unknown_set_path(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", GOOD)
    result = invoke("validate", str(good), "--set", "teams.sdr.headcnt=4")
    assert_bad_input(
        result, str(good), "teams.0.headcnt", "unknown --set path; known keys here are [",
        "headcount", "(got 'teams.sdr.headcnt=4')",
    )


def test_malformed_set(tmp_path: Path) -> None:
    result = invoke("validate", "baseline", "--set", "teams.sdr.headcount")
    assert_bad_input(result, "malformed --set override; expected dotted.path=value",
                     "(got 'teams.sdr.headcount')")


def test_bad_value_from_set_says_so() -> None:
    result = invoke("validate", "baseline", "--set", "contact.base.web_form=1.5")
    assert_bad_input(result, "contact.base.web_form: Input should be less than 1 (got 1.5)",
                     "[from --set contact.base.web_form=1.5]")


def test_extends_cycle(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\n")
    result = invoke("validate", str(a))
    assert_bad_input(result, "extends: extends cycle: ", "a.yaml -> ", "b.yaml -> ", "(got 'a.yaml')")
