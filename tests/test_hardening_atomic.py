"""Issue 8, root cause 5: partial results that look complete.

Every file is written to a temporary name and renamed into place; a
command's files are staged and published with the manifest (metrics.json,
compare.json, sweep.json, staff.json) last; ``kill -9`` while writing never
leaves a complete-looking manifest beside a truncated CSV; partial results say
so in every file that summarises them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli_process import child_env, leadsim_command
from leadsim.outputs import runfolder
from leadsim.outputs.atomic import (
    atomic_open,
    atomic_path,
    clean_temporaries,
    write_text_atomic,
)
from leadsim.outputs.planning_files import mark_partial_points, sweep_doc, write_csv
from leadsim.outputs.planning_tables import (
    format_sweep,
    replications_per_point,
    sweep_title,
)
from leadsim.outputs.plots import sweep_plot_data
from leadsim.outputs.runfolder import (
    MARKER_NAME,
    claim_run_dir,
    staged_outputs,
    write_json,
)

FAST_MMC = ("--days", "0.5", "--set", "run.warmup_days=0.1", "--set", "run.drain_days=0.05")


def _run(*args: str, code: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code, *args] if code else leadsim_command(*args)
    return subprocess.run(command, capture_output=True, check=False, text=True, env=child_env(), timeout=240)


# ---------------------------------------------------------------- single files


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "metrics.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("half of the new")
        raise RuntimeError("disk full")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_an_interrupted_write_is_not_seen_under_the_real_name(tmp_path: Path) -> None:
    target = tmp_path / "leads.csv"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("lead_id,created_at\n0,")
        raise KeyboardInterrupt
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_writers_replace_in_one_step(tmp_path: Path) -> None:
    write_text_atomic(tmp_path / "a.txt", "one")
    write_json({"x": 1}, tmp_path / "m.json")
    write_csv([{"a": 1, "b": None}], tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text() == "a,b\n1,\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "m.json", "t.csv"]


def test_leftover_temporaries_are_cleaned(tmp_path: Path) -> None:
    (tmp_path / "metrics").mkdir()
    leftovers = [tmp_path / ".leads.csv.123.tmp", tmp_path / "metrics" / ".base.json.9.tmp"]
    for path in leftovers:
        path.write_text("partial")
    (tmp_path / "keep.tmp").write_text("not ours: not hidden")
    assert sorted(clean_temporaries(tmp_path)) == sorted(leftovers)
    assert (tmp_path / "keep.tmp").exists()


# ---------------------------------------------------------------- staging and publishing


def _old_run(folder: Path) -> dict[str, str]:
    files = {"metrics.json": '{"old": true}', "leads.csv": "old leads", "backlog.csv": "old backlog"}
    for name, text in files.items():
        (folder / name).write_text(text)
    (folder / MARKER_NAME).write_text("{}")
    return files


def test_publishing_replaces_the_previous_run_entirely(tmp_path: Path) -> None:
    _old_run(tmp_path)
    (tmp_path / "mine.txt").write_text("the user's")
    with claim_run_dir(tmp_path, "x") as claimed, staged_outputs(claimed.path) as stage:
        (stage / "compare.csv").write_text("new")
        (stage / "compare.json").write_text("{}")
    names = {p.name for p in tmp_path.iterdir() if not p.name.startswith(".")}
    assert names == {"compare.csv", "compare.json", "mine.txt"}


def test_a_failure_while_staging_keeps_the_previous_run(tmp_path: Path) -> None:
    old = _old_run(tmp_path)
    with pytest.raises(KeyboardInterrupt), claim_run_dir(tmp_path, "x") as claimed, \
            staged_outputs(claimed.path) as stage:
        (stage / "leads.csv").write_text("new, half")
        raise KeyboardInterrupt
    assert {n: (tmp_path / n).read_text() for n in old} == old
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staging")]


@pytest.mark.parametrize("fail_at", [0, 1, 2, 3])
def test_a_crash_while_publishing_never_leaves_a_manifest_beside_partial_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int) -> None:
    _old_run(tmp_path)
    real_replace, calls = os.replace, [0]

    def crash(src, dst):  # type: ignore[no-untyped-def]
        if Path(src).parent.name.startswith(".staging"):
            if calls[0] == fail_at:
                raise OSError("killed")
            calls[0] += 1
        return real_replace(src, dst)

    monkeypatch.setattr(runfolder.os, "replace", crash)
    with pytest.raises(OSError), claim_run_dir(tmp_path, "x") as claimed, \
            staged_outputs(claimed.path) as stage:
        for name in ("attempts.csv", "leads.csv", "scenario.resolved.yaml"):
            (stage / name).write_text("new")
        (stage / "metrics.json").write_text('{"new": true}')
    assert not (tmp_path / "metrics.json").exists()  # neither the old manifest nor a new one


def test_kill_9_while_writing_a_csv_never_publishes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = _run("run", "erlang_c", *FAST_MMC, "-r", "2", "--jobs", "1", "--out", str(out))
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != MARKER_NAME}
    # The rerun kills itself (SIGKILL: no handler, no clean-up) half-way through writing attempts.csv.
    code = """
import csv, os, signal
real = csv.writer
class Half:  # the CSV logs are written with csv.writer (leadsim.outputs.logs.write_csv_columns)
    def __init__(self, handle, **kw):
        self.handle, self.writer = handle, real(handle, **kw)
    def writerow(self, row):
        self.writer.writerow(row)
    def writerows(self, rows):
        if str(self.handle.name).endswith(".tmp") and "attempts" in str(self.handle.name):
            rows = list(rows)
            self.writer.writerows(rows[: len(rows) // 2])
            self.handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        self.writer.writerows(rows)
csv.writer = Half
from leadsim.cli import main
main(prog_name="leadsim")
"""
    killed = _run("run", "erlang_c", *FAST_MMC, "-r", "3", "--jobs", "1", "--out", str(out), code=code)
    assert killed.returncode == -9
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != MARKER_NAME
             and not p.name.startswith(".")}
    assert after == before  # the previous run, whole; nothing of the killed one under a real name
    # The next run cleans up the killed one's staging folder and stale lock.
    third = _run("run", "erlang_c", *FAST_MMC, "-r", "3", "--jobs", "1", "--out", str(out))
    assert third.returncode == 0, third.stderr
    assert json.loads((out / "metrics.json").read_text())["replications"] == 3
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [MARKER_NAME]


# ---------------------------------------------------------------- partial results say so


def _rows(done: list[int]) -> list[dict]:
    return [{"teams.0.headcount": 5 + i, "replications": n, "share_waited": 0.1 * i,
             "share_waited_ci_low": 0.0, "share_waited_ci_high": 0.2} for i, n in enumerate(done)]


def test_sweep_partial_points_are_marked_everywhere() -> None:
    rows = mark_partial_points(_rows([3, 2, 4]), requested=4)
    assert [r["partial"] for r in rows] == [True, True, False]
    assert list(rows[0])[-1] == "partial"  # the CSV's last column
    assert replications_per_point(rows, 4) == \
        "2-4 of 4 replications per point (interrupted: 2 partial points marked *)"
    table = format_sweep(rows, ["teams.0.headcount"], ["share_waited"], 4, 1)
    assert "2-4 of 4 replications per point" in table and "4 replications per point," not in table
    lines = table.splitlines()[2:]
    assert [line.split()[1] for line in lines] == ["3*", "2*", "4"]
    assert sweep_title("erlang_c", rows, 4, 1).startswith("erlang_c: 2-4 of 4 replications per point")
    assert sweep_plot_data(rows, ["teams.0.headcount"], "share_waited")["partial"] == [True, True, False]
    doc = sweep_doc("erlang_c", ["teams.0.headcount"], 4, 1, rows, interrupted=True)
    assert doc["interrupted"] is True and [p["replications"] for p in doc["points"]] == [3, 2, 4]


def test_a_complete_sweep_says_so() -> None:
    rows = mark_partial_points(_rows([4, 4]), requested=4)
    assert not any(r["partial"] for r in rows)
    assert replications_per_point(rows, 4) == "4 replications per point"
    assert "interrupted" not in sweep_doc("s", ["p"], 4, 1, rows)


def test_two_parameter_plot_data_marks_partial_cells() -> None:
    rows = [{"a": a, "b": b, "replications": 2 if (a, b) == (1, 2) else 3, "m": 1.0, "m_ci_low": 0.5,
             "m_ci_high": 1.5} for a in (1, 2) for b in (1, 2)]
    data = sweep_plot_data(mark_partial_points(rows, 3), ["a", "b"], "m")
    assert data["partial"] == [[False, True], [False, False]]


def test_an_interrupted_comparison_pairs_replications_by_number(monkeypatch: pytest.MonkeyPatch) -> None:
    # Workers finish out of order: the base may have replications 0 and 1 while the what-if
    # has only 1. The partial comparison must pair 1 with 1, never base 0 with what-if 1.
    from leadsim.planner import compare
    from leadsim.planner.parallel import Interrupted
    from leadsim.planner.replicate import summarize_result
    from result_factory import fake_simulate

    base = [summarize_result(fake_simulate({"leads": 50}, seed=1, replication=r)) for r in (0, 1)]
    whatif = [summarize_result(fake_simulate({"leads": 80}, seed=1, replication=1))]

    def interrupted(*args: object, **kwargs: object) -> None:
        raise Interrupted([base, whatif], 6)

    monkeypatch.setattr(compare, "run_grid", interrupted)
    with pytest.raises(Interrupted) as info:
        compare.run_compare([{}, {}], ["base", "more"], 3, seed=1)
    partial = info.value.done
    assert partial.interrupted and partial.replications == 1 and info.value.total == 3
    assert info.value.grid == [base, whatif]
    diff = partial.variants[0].metrics["leads"].diff
    assert diff == whatif[0].metrics["leads"] - base[1].metrics["leads"] != \
        whatif[0].metrics["leads"] - base[0].metrics["leads"]
