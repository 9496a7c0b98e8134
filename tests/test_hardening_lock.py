"""Issue 8, root cause 6: two runs, one folder.

A run folder is locked (``.leadsim.lock``, created atomically, holding the
owner's pid): a second live process is refused with exit status 2 and a
message naming the owner; a dead owner's stale lock is taken over, by exactly
one process even when several try at once; and a rerun into an old folder
never leaves two runs' files side by side.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_process import (
    SOME_DONE,
    CliProcess,
    kill_leftovers,
    wait_for_children,
    wait_gone,
)
from leadsim.cli import main
from leadsim.outputs.runlock import (
    LOCK_NAME,
    RunFolderBusy,
    acquire_run_lock,
    read_lock,
)

FAST_MMC = ("--days", "0.5", "--set", "run.warmup_days=0.1", "--set", "run.drain_days=0.05")


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _write_lock(folder: Path, **record: object) -> Path:
    lock = folder / LOCK_NAME
    lock.write_text(json.dumps({"host": socket.gethostname(), **record}))
    return lock


def test_lock_holds_the_owner_and_is_released(tmp_path: Path) -> None:
    lock = acquire_run_lock(tmp_path, "leadsim run baseline")
    owner = read_lock(tmp_path / LOCK_NAME)
    assert owner is not None and owner["pid"] == os.getpid() and owner["command"] == "leadsim run baseline"
    lock.release()
    assert not (tmp_path / LOCK_NAME).exists()
    lock.release()  # idempotent


def test_a_live_lock_is_refused_with_the_owners_pid(tmp_path: Path) -> None:
    busy = rf"in use by another leadsim process \(pid {os.getpid()}"
    with acquire_run_lock(tmp_path, "leadsim run baseline"), pytest.raises(RunFolderBusy, match=busy):
        acquire_run_lock(tmp_path)
    acquire_run_lock(tmp_path).release()  # free again


def test_a_dead_owners_lock_is_taken_over(tmp_path: Path) -> None:
    dead = _dead_pid()
    _write_lock(tmp_path, pid=dead)
    with acquire_run_lock(tmp_path) as lock:
        assert lock.taken_over is not None and lock.taken_over["pid"] == dead
        assert read_lock(tmp_path / LOCK_NAME)["pid"] == os.getpid()


def test_a_reused_pid_does_not_keep_a_stale_lock(tmp_path: Path) -> None:
    # The recorded pid is alive (it is ours) but started at another time: the owner is gone.
    _write_lock(tmp_path, pid=os.getpid(), start_ticks=1)
    if Path(f"/proc/{os.getpid()}/stat").exists():
        acquire_run_lock(tmp_path).release()
    else:
        with pytest.raises(RunFolderBusy):
            acquire_run_lock(tmp_path)


def test_a_lock_from_another_host_is_respected(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": _dead_pid(), "host": "elsewhere.example"}))
    with pytest.raises(RunFolderBusy, match=r"on host elsewhere\.example"):
        acquire_run_lock(tmp_path)


def test_an_empty_lock_is_busy_while_fresh_and_stale_when_old(tmp_path: Path) -> None:
    lock = tmp_path / LOCK_NAME
    lock.write_text("")
    with pytest.raises(RunFolderBusy, match="still creating the lock"):
        acquire_run_lock(tmp_path)
    os.utime(lock, (1_000_000, 1_000_000))  # long ago: a creator that crashed
    acquire_run_lock(tmp_path).release()


def _contend(folder: str, start: object, results: object, release: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    try:
        lock = acquire_run_lock(folder)
    except RunFolderBusy:
        results.put("busy")  # type: ignore[attr-defined]
        return
    results.put("won")  # type: ignore[attr-defined]
    release.wait(120)  # type: ignore[attr-defined]  # hold it until every contender has tried
    lock.release()


def test_exactly_one_process_takes_over_a_stale_lock(tmp_path: Path) -> None:
    _write_lock(tmp_path, pid=_dead_pid())
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    n = 6
    start, release, results = ctx.Barrier(n), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_contend, args=(str(tmp_path), start, results, release)) for _ in range(n)]
    for p in procs:
        p.start()
    try:
        outcomes = [results.get(timeout=120) for _ in range(n)]
    finally:
        release.set()
        for p in procs:
            p.join(120)
            if p.is_alive():
                p.kill()
    assert sorted(outcomes) == ["busy"] * (n - 1) + ["won"]


# ---------------------------------------------------------------- the command line


def test_a_second_run_into_a_busy_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "shared"
    first = CliProcess(["run", "erlang_c", *FAST_MMC, "-r", "5000", "--jobs", "2", "--out", str(out)])
    workers: list[int] = []
    try:
        first.wait_for(SOME_DONE)
        workers = wait_for_children(first.pid, 2)
        second = CliRunner().invoke(main, ["run", "erlang_c", *FAST_MMC, "-r", "2", "--out", str(out)])
        assert second.exit_code == 2, second.output
        assert f"is in use by another leadsim process (pid {first.pid}" in second.stderr
        assert "Traceback" not in second.output and "replications" not in second.stderr
        first.signal(2)
        assert first.finish() == 130
        assert wait_gone(workers) == []
    finally:
        kill_leftovers([first.pid, *workers])
    # Only the first run's files: its metrics.json matches its own (interrupted) run.
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["interrupted"] is True and doc["replications_requested"] == 5000
    assert not (out / LOCK_NAME).exists()


def test_a_rerun_replaces_the_previous_runs_files(tmp_path: Path) -> None:
    out = tmp_path / "again"
    runner = CliRunner()
    first = runner.invoke(main, ["run", "erlang_c", *FAST_MMC, "-r", "2", "--jobs", "1", "--out", str(out)])
    assert first.exit_code == 0, first.output
    (out / "notes.txt").write_text("the user's own file")
    second = runner.invoke(main, ["compare", "erlang_c", "--vary", "teams.0.headcount=6", *FAST_MMC, "-r", "2",
                                  "--jobs", "1", "--out", str(out)])
    assert second.exit_code == 0, second.output
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    # No leads.csv or metrics.json of the earlier run beside the comparison; the user's file stays.
    assert names == {"compare.json", "compare.csv", "metrics", "notes.txt"}, names
