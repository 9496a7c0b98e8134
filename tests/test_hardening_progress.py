"""Issue 8, root cause 10 (the parts about running leadsim): ``python -m leadsim``, ``-h``
everywhere, and progress that shows more than its label when stderr is not a terminal."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_process import child_env
from leadsim import __version__
from leadsim.cli import main
from leadsim.outputs.progress import (
    PlainProgress,
    format_seconds,
    progress_line,
    stderr_reporter,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_progress_prints_start_first_unit_every_tenth_and_end() -> None:
    out, clock = io.StringIO(), FakeClock()
    plain = PlainProgress("run: replications", 20, out, clock=clock, every_seconds=1e9)
    for done in range(1, 21):
        clock.now += 1.0
        plain.update(done)
    lines = out.getvalue().splitlines()
    assert lines[0] == "run: replications 0/20"
    assert lines[1] == "run: replications 1/20 (5%), 1 s elapsed, ETA 19 s"
    # 10% of 20 is 2 units: a line at 2, 4, ..., 20.
    assert [line.split()[2] for line in lines[2:]] == [f"{d}/20" for d in range(2, 21, 2)]
    assert lines[-1] == "run: replications 20/20 (100%), 20 s elapsed"


def test_plain_progress_also_prints_every_few_seconds() -> None:
    out, clock = io.StringIO(), FakeClock()
    plain = PlainProgress("sweep", 1000, out, clock=clock, every_seconds=5.0)
    for done in range(1, 31):
        clock.now += 1.0
        plain.update(done)
    done_counts = [line.split()[1] for line in out.getvalue().splitlines()]
    assert done_counts == ["0/1000", "1/1000", "6/1000", "11/1000", "16/1000", "21/1000", "26/1000"]


def test_progress_ignores_repeated_counts() -> None:
    out = io.StringIO()
    plain = PlainProgress("x", 3, out, clock=FakeClock())
    plain.update(1)
    plain.update(1)
    plain.update(0)
    assert len(out.getvalue().splitlines()) == 2


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0 s"), (42, "42 s"), (185, "3 min 05 s"),
                                               (7620, "2 h 07 min")])
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_progress_line_without_work_done() -> None:
    assert progress_line("label", 0, 7, 3.0) == "label 0/7"


def test_reporter_off_a_terminal_prints_lines_not_just_the_label() -> None:
    out = io.StringIO()
    with stderr_reporter("baseline: replications", 4, stream=out) as advance:
        for done in range(1, 5):
            advance(done)
    lines = out.getvalue().splitlines()
    assert lines[0] == "baseline: replications 0/4"
    assert lines[-1].startswith("baseline: replications 4/4 (100%)")
    assert len(lines) == 5


def test_the_cli_prints_progress_lines_to_a_pipe(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "erlang_c", "--days", "0.5", "--set", "run.warmup_days=0.1",
                                       "--set", "run.drain_days=0.05", "-r", "3", "--jobs", "1", "--json",
                                       "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.stderr
    assert "erlang_c: replications 1/3 (33%)" in result.stderr
    assert "erlang_c: replications 3/3 (100%)" in result.stderr
    assert json.loads(result.stdout)["replications"] == 3  # stdout stays the JSON document


def test_python_dash_m_leadsim() -> None:
    done = subprocess.run([sys.executable, "-m", "leadsim", "--version"], capture_output=True, check=False, text=True,
                          env=child_env(), timeout=240)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"leadsim, version {__version__}"


@pytest.mark.parametrize("command", [[], ["run"], ["compare"], ["sweep"], ["staff"], ["validate"], ["schema"]])
def test_dash_h_is_help_everywhere(command: list[str]) -> None:
    short = CliRunner().invoke(main, [*command, "-h"])
    long = CliRunner().invoke(main, [*command, "--help"])
    assert short.exit_code == 0, short.output
    assert short.output == long.output and "Usage: " in short.output and "-h, --help" in short.output
