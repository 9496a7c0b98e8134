"""Issue 8, root cause 10 (the parts about planning): ``compare --vary`` on a what-if, and
warnings when a batch or the warm-up dwarfs the measured window."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from leadsim.cli import main
from leadsim.planner.compare import Variation, plan_variations, split_vary
from leadsim.planner.estimate import window_warnings
from leadsim.planner.specs import SpecError
from leadsim.scenarios.loader import load_raw, load_scenario, override_applies

FAST = ("--days", "2", "-r", "2", "--jobs", "1")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


# ---------------------------------------------------------------- --vary


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("teams.sdr.headcount=12", (None, "teams.sdr.headcount=12")),
        ("icg:teams.closers.skill=1.0", ("icg", "teams.closers.skill=1.0")),
        ("policy.cadence.calling_window.start=08:00", (None, "policy.cadence.calling_window.start=08:00")),
        ("w:policy.cadence.calling_window.start=08:00", ("w", "policy.cadence.calling_window.start=08:00")),
    ],
)
def test_split_vary(text: str, expected: tuple[str | None, str]) -> None:
    assert split_vary(text) == expected


def test_plan_variations_picks_the_scenario_that_has_the_path() -> None:
    keys = [("shared_pool",), ("incoming_call_group", "icg.yaml")]
    paths = {0: {"teams.sdr.headcount"}, 1: {"teams.sdr.headcount", "teams.closers.skill"}}

    def has(i: int, text: str) -> bool:
        return text.split("=")[0] in paths[i]

    plan = plan_variations(["teams.sdr.headcount=12", "teams.closers.skill=1.0",
                            "icg.yaml:teams.sdr.headcount=8", "nosuch.path=1"], keys, has)
    assert plan == [
        Variation(0, "teams.sdr.headcount=12", "teams.sdr.headcount=12"),
        Variation(1, "teams.closers.skill=1.0", "incoming_call_group:teams.closers.skill=1.0"),
        Variation(1, "teams.sdr.headcount=8", "icg.yaml:teams.sdr.headcount=8"),
        Variation(0, "nosuch.path=1", "nosuch.path=1"),  # the base's error will name the path
    ]
    with pytest.raises(SpecError, match="no scenario 'other'"):
        plan_variations(["other:teams.sdr.headcount=1"], keys, has)


def test_override_applies_does_not_change_the_data() -> None:
    _, data, _ = load_raw("incoming_call_group")
    before = json.dumps(data, default=str, sort_keys=True)
    assert override_applies(data, "teams.closers.skill=1.0")
    assert not override_applies(load_raw("shared_pool")[1], "teams.closers.skill=1.0")
    assert json.dumps(data, default=str, sort_keys=True) == before


@pytest.mark.parametrize("vary", ["teams.closers.skill=1.0", "incoming_call_group:teams.closers.skill=1.0"])
def test_compare_varies_a_whatifs_own_field(vary: str, tmp_path: Path) -> None:
    result = invoke("compare", "shared_pool", "incoming_call_group", "--vary", vary, *FAST,
                    "--out", str(tmp_path / "c"), "--json")
    assert result.exit_code == 0, (result.output, result.stderr)
    doc = json.loads(result.stdout)
    names = [v["name"] for v in doc["variants"]]
    assert names == ["incoming_call_group", "incoming_call_group:teams.closers.skill=1.0"]
    assert doc["base"] == "shared_pool"


def test_compare_vary_on_the_base_still_works(tmp_path: Path) -> None:
    result = invoke("compare", "baseline", "--vary", "teams.sdr.headcount=12", *FAST,
                    "--out", str(tmp_path / "c"), "--json")
    assert result.exit_code == 0, result.output
    assert [v["name"] for v in json.loads(result.stdout)["variants"]] == ["teams.sdr.headcount=12"]


def test_varied_whatif_really_changed() -> None:
    whatif = load_scenario("incoming_call_group", [])
    assert next(t for t in whatif.teams if t.name == "closers").skill == 1.3
    from leadsim.scenarios.paths import Override
    varied = load_scenario("incoming_call_group", [Override("teams.closers.skill=1.0", "--vary")])
    assert next(t for t in varied.teams if t.name == "closers").skill == 1.0


@pytest.mark.parametrize(
    ("vary", "fragments"),
    [
        ("teams.closers.skill=-1", ("incoming_call_group.yaml", "teams.0.skill",
                                    "[from --vary teams.closers.skill=-1]")),
        ("teams.nobody.skill=1", ("shared_pool.yaml", "unknown --vary path", "[from --vary]")),
        ("incoming_call_group:teams.closers.skil=1", ("unknown --vary path", "[from --vary]")),
        ("nosuch:teams.closers.skill=1", ("no scenario 'nosuch'", "'shared_pool', 'incoming_call_group'")),
        ("teams.closers.skill", ("malformed --vary override",)),
    ],
)
def test_compare_vary_errors_say_vary(vary: str, fragments: tuple[str, ...], tmp_path: Path) -> None:
    result = invoke("compare", "shared_pool", "incoming_call_group", "--vary", vary, *FAST,
                    "--out", str(tmp_path / "c"))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "--set" not in result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert not (tmp_path / "c").exists()


def test_set_errors_still_say_set() -> None:
    result = invoke("compare", "shared_pool", "incoming_call_group", "--set", "teams.sdr.headcount=-1", *FAST)
    assert result.exit_code == 2 and "[from --set teams.sdr.headcount=-1]" in result.stderr


# ---------------------------------------------------------------- window warnings


def test_default_baseline_has_no_warning() -> None:
    assert window_warnings(load_scenario("baseline")) == []


def test_batch_dominating_a_short_window_is_warned() -> None:
    warnings = window_warnings(load_scenario("baseline", ["run.days=4"]))
    assert len(warnings) == 1
    assert "batch uploads make up 50% of the ~600 leads" in warnings[0]
    # The same short window without the batch inside it: no batch warning.
    assert all("batch" not in w for w in window_warnings(load_scenario("baseline", ["run.days=2"])))


def test_long_warmup_is_warned() -> None:
    warnings = window_warnings(load_scenario("baseline", ["run.days=3"]))
    assert any("7-day warm-up is more than 2 times the 3-day measured window" in w for w in warnings)
    assert all("warm-up" not in w for w in window_warnings(load_scenario("baseline", ["run.days=3.5"])))


def test_run_prints_the_warning_once_and_keeps_it_in_metrics_json(tmp_path: Path) -> None:
    result = invoke("run", "baseline", "--days", "4", "--out", str(tmp_path / "r"), "--json")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(lines) == 1 and "batch uploads make up 50%" in lines[0]
    doc = json.loads((tmp_path / "r" / "metrics.json").read_text(encoding="utf-8"))
    assert doc["warnings"] == [lines[0].split(": ", 2)[2]]
    assert json.loads(result.stdout)["warnings"] == doc["warnings"]


def test_staff_warns_before_searching(tmp_path: Path) -> None:
    result = invoke("staff", "baseline", "--target", "share_waited<=0.9", "--days", "4", "-r", "1",
                    "--min", "9", "--max", "10", "--jobs", "1", "--out", str(tmp_path / "s"))
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("Warning: baseline: batch uploads make up 50%")
