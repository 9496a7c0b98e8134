"""docs/calibrate.md cannot drift: its quoted output is re-produced by the commands it shows.

The walk-through's commands are run here (``leadsim run baseline`` then
``leadsim calibrate ... --base baseline``); every line of the quoted summary
must appear in the command's output and every quoted calibrated.yaml line in
the file it writes. The page must also name every preset and every option.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadsim.calibration.colmap import presets
from leadsim.cli import main

DOC = Path(__file__).resolve().parents[1] / "docs" / "calibrate.md"


def _block(marker: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    body = text.split(f"<!-- {marker} -->", 1)[1]
    block = re.search(r"```[a-z]*\n(.*?)```", body, flags=re.DOTALL)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory) -> tuple[str, str, str]:
    root = tmp_path_factory.mktemp("walk")
    runner = CliRunner()
    history = root / "runs" / "history"
    res = runner.invoke(main, ["run", "baseline", "--out", str(history)])
    assert res.exit_code == 0, res.output
    out = root / "runs" / "calibrated"
    res = runner.invoke(main, ["calibrate", "--leads", str(history / "leads.csv"), "--activities",
                               str(history / "attempts.csv"), "--base", "baseline", "--out", str(out)])
    assert res.exit_code == 0, res.output
    holdout = runner.invoke(main, ["calibrate", "--leads", str(history / "leads.csv"), "--activities",
                                   str(history / "attempts.csv"), "--base", "baseline", "--out", str(root / "h"),
                                   "--train-until", "2026-02-02"])
    assert holdout.exit_code == 0, holdout.output
    return res.output, (out / "calibrated.yaml").read_text(encoding="utf-8"), holdout.output


def test_quoted_summary_is_what_the_command_prints(walkthrough):
    output = walkthrough[0].splitlines()
    for line in _block("calibrate-output"):
        assert line in output, line


def test_quoted_yaml_is_what_the_command_writes(walkthrough):
    written = walkthrough[1].splitlines()
    for line in _block("calibrated-yaml"):
        assert line in written, line


def test_page_names_every_preset_and_option():
    text = DOC.read_text(encoding="utf-8")
    for name in presets():
        assert f"`{name}`" in text
    for option in ("--leads", "--activities", "--calls", "--map", "--preset", "--base", "--backtest", "--out", "--json",
                   "--train-until", "--holdout-from"):
        assert option in text


def test_quoted_holdout_backtest_is_what_the_command_prints(walkthrough):
    output = walkthrough[2].splitlines()
    command = _block("holdout-command")[0]
    assert command.endswith("--train-until 2026-02-02")  # the options the fixture runs
    for line in _block("holdout-output"):
        assert line in output, line
