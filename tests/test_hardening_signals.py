"""Issue 8, root cause 4: signals outside the replication loop, SIGTERM, and orphan workers.

Every case runs the command line in a child process, waits for an EVENT (a
progress line on stderr, the process signalling itself from a patched
function), sends the signal, and checks: the exit status (130 for SIGINT, 143
for SIGTERM, 129 for SIGHUP, never click's "Aborted!" exit 1), that no
worker process survives (by pid, polled on its /proc state), and that the run
folder is either complete or clearly marked interrupted.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cli_process import (
    SIGINT_DEFAULT,
    SOME_DONE,
    CliProcess,
    child_env,
    kill_leftovers,
    leadsim_command,
    wait_for_children,
    wait_gone,
)
from leadsim import interrupts
from leadsim.outputs.runlock import LOCK_NAME

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to find workers")

FAST_MMC = ("--days", "0.5", "--set", "run.warmup_days=0.1", "--set", "run.drain_days=0.05")
MANY = ("-r", "5000")


def _interrupt_run(tmp_path: Path, signum: int, jobs: str, group: bool = False) -> tuple[CliProcess, int, list[int]]:
    out = tmp_path / "run"
    cli = CliProcess(["run", "erlang_c", *FAST_MMC, *MANY, "--jobs", jobs, "--json", "--out", str(out)])
    workers: list[int] = []
    try:
        cli.wait_for(SOME_DONE)
        workers = wait_for_children(cli.pid, int(jobs)) if jobs != "1" else []
        cli.signal(signum, group=group)
        code = cli.finish()
        assert wait_gone(workers) == [], "worker processes outlived leadsim"
    finally:
        kill_leftovers([cli.pid, *workers])
    return cli, code, workers


def _assert_partial_run(cli: CliProcess, out: Path) -> dict:
    assert "Traceback" not in cli.stderr and "Aborted!" not in cli.stderr, cli.stderr
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["interrupted"] is True and doc["replications_requested"] == 5000
    assert 1 <= doc["replications"] < 5000
    assert json.loads(cli.stdout) == doc
    assert f"{doc['replications']} of 5000 replications finished" in cli.stderr
    assert not (out / LOCK_NAME).exists()
    return doc


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigterm_keeps_finished_replications_and_exits_143(tmp_path: Path, jobs: str) -> None:
    cli, code, _ = _interrupt_run(tmp_path, signal.SIGTERM, jobs)
    assert code == 143, cli.stderr
    _assert_partial_run(cli, tmp_path / "run")


def test_sighup_is_handled_like_sigint(tmp_path: Path) -> None:
    cli, code, _ = _interrupt_run(tmp_path, signal.SIGHUP, "2")
    assert code == 129, cli.stderr
    _assert_partial_run(cli, tmp_path / "run")


def test_sigterm_to_the_whole_group_kills_workers_and_still_keeps_work(tmp_path: Path) -> None:
    # systemd and `timeout` signal every process of the group: the workers die at once
    # (a broken pool), which must read as an interruption, not a crash.
    cli, code, _ = _interrupt_run(tmp_path, signal.SIGTERM, "2", group=True)
    assert code == 143, cli.stderr
    _assert_partial_run(cli, tmp_path / "run")


def test_kill_9_of_the_parent_takes_the_workers_with_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    cli = CliProcess(["run", "erlang_c", *FAST_MMC, *MANY, "--jobs", "2", "--out", str(out)])
    workers: list[int] = []
    try:
        cli.wait_for(SOME_DONE)
        workers = wait_for_children(cli.pid, 2)
        cli.signal(signal.SIGKILL)
        assert cli.finish() == -signal.SIGKILL
        assert wait_gone(workers) == [], "worker processes outlived a kill -9 of leadsim"
    finally:
        kill_leftovers([cli.pid, *workers])
    # Nothing was written: no manifest that could pass for a result, only a stale lock.
    assert not (out / "metrics.json").exists()
    assert json.loads((out / LOCK_NAME).read_text())["pid"] == cli.pid
    # The next run takes the stale lock over and completes.
    again = _run_cli("run", "erlang_c", *FAST_MMC, "-r", "2", "--jobs", "1", "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "metrics.json").read_text())["replications"] == 2
    assert not (out / LOCK_NAME).exists()


def test_sigterm_during_compare_writes_marked_partial_results(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    cli = CliProcess(["compare", "erlang_c", "--vary", "teams.0.headcount=6", *FAST_MMC, *MANY,
                      "--jobs", "2", "--out", str(out)])
    workers: list[int] = []
    try:
        cli.wait_for(r"compare 2 scenarios ([3-9]|\d\d+)/")  # at least one complete pair
        workers = wait_for_children(cli.pid, 2)
        cli.signal(signal.SIGTERM)
        assert cli.finish() == 143, cli.stderr
        assert wait_gone(workers) == []
    finally:
        kill_leftovers([cli.pid, *workers])
    assert "Traceback" not in cli.stderr and "complete pairs" in cli.stderr
    doc = json.loads((out / "compare.json").read_text())
    assert doc["interrupted"] is True and doc["replications_requested"] == 5000
    assert 1 <= doc["replications"] < 5000
    metrics = {p.name: json.loads(p.read_text()) for p in (out / "metrics").iterdir()}
    assert set(metrics) == {"erlang_c.json", "teams.0.headcount_6.json"}
    for each in metrics.values():
        assert each["interrupted"] is True and each["replications"] >= doc["replications"]
    rows = (out / "compare.csv").read_text().splitlines()
    assert rows[0].endswith(",partial") and all(r.endswith(",True") for r in rows[1:])


def test_ctrl_c_during_a_sweep_marks_partial_points(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    cli = CliProcess(["sweep", "erlang_c", "--param", "teams.0.headcount=5..7", *FAST_MMC, "-r", "2000",
                      "--jobs", "2", "--out", str(out)])
    workers: list[int] = []
    try:
        cli.wait_for(r"sweep 3 points x 2000 replications ([4-9]|\d\d+)/")
        workers = wait_for_children(cli.pid, 2)
        cli.signal(signal.SIGINT, group=True)  # a terminal's Ctrl-C reaches the whole group
        assert cli.finish() == 130, cli.stderr
        assert wait_gone(workers) == []
    finally:
        kill_leftovers([cli.pid, *workers])
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["interrupted"] is True and doc["replications"] == 2000
    done = [p["replications"] for p in doc["points"]]
    assert all(d < 2000 for d in done) and all(p["partial"] for p in doc["points"])
    header, *lines = (out / "sweep.csv").read_text().splitlines()
    assert header.split(",")[-1] == "partial" and all(line.endswith(",True") for line in lines)
    low, high = min(done), max(done)
    span = str(low) if low == high else f"{low}-{high}"
    assert f"{span} of 2000 replications per point (interrupted: 3 partial points marked *)" in cli.stdout
    assert "2000 replications per point," not in cli.stdout
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"


# ---------------------------------------------------------------- outside the replication loop

#: Runs the command line with one function patched to signal its own process when called:
#: the signal arrives exactly while that phase runs, with no timing involved.
_SIGNAL_WHILE = SIGINT_DEFAULT + """
import os, sys, time
import leadsim.cli as cli
import leadsim.interrupts as interrupts
import leadsim.outputs.runfolder as runfolder

phase, signum = sys.argv[1], int(sys.argv[2])
del sys.argv[1:3]

def send():
    seen = len(interrupts._received)
    os.kill(os.getpid(), signum)
    deadline = time.monotonic() + 60
    while len(interrupts._received) == seen:  # until the handler has run (it may raise)
        if time.monotonic() > deadline:
            raise AssertionError("the signal never arrived")

if phase == "loading":
    def load(*a, **k):
        send()
        raise AssertionError("the handler should have raised")
    cli.load_scenario = load
else:
    real_write = runfolder.write_run_folder
    def write(folder, *a, **k):
        paths = real_write(folder, *a, **k)
        send()  # deferred: recorded, not raised
        if phase == "writing-twice":
            send()  # raised at once
        return paths
    runfolder.write_run_folder = write
cli.main(prog_name="leadsim")
"""


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(leadsim_command(*args), capture_output=True, check=False, text=True,
                          env=child_env(), timeout=240)


def _signal_while(phase: str, signum: int, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _SIGNAL_WHILE, phase, str(int(signum)), "run", "erlang_c",
                           *FAST_MMC, "-r", "2", "--jobs", "1", "--out", str(out)],
                          capture_output=True, check=False, text=True, env=child_env(), timeout=240)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_while_loading_exits_128_plus_n_without_aborted(tmp_path: Path, signum: int, code: int) -> None:
    done = _signal_while("loading", signum, tmp_path / "run")
    assert done.returncode == code, done.stderr
    assert "Aborted!" not in done.stderr and "Traceback" not in done.stderr
    assert "Interrupted by " + interrupts.signal_name(signum) in done.stderr
    assert not (tmp_path / "run").exists()


def test_signal_while_writing_finishes_the_files_then_exits(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = _signal_while("writing", signal.SIGTERM, out)
    assert done.returncode == 143, done.stderr
    assert "finishing writing the results" in done.stderr and "Traceback" not in done.stderr
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["replications"] == 2 and "interrupted" not in doc  # complete, and says so
    assert {"leads.csv", "attempts.csv", "backlog.csv", "scenario.resolved.yaml"} <= {p.name for p in out.iterdir()}


def test_a_second_signal_while_writing_stops_at_once_and_keeps_the_old_results(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = _run_cli("run", "erlang_c", *FAST_MMC, "-r", "3", "--jobs", "1", "--out", str(out))
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    done = _signal_while("writing-twice", signal.SIGINT, out)
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr and "Aborted!" not in done.stderr
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before  # the new run never published; the old one is intact
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]


def test_exit_status_follows_the_signal() -> None:
    with interrupts.handling_signals():
        assert interrupts.exit_status() == 130  # a KeyboardInterrupt without a signal: Ctrl-C
        with pytest.raises(interrupts.Terminated) as info:
            interrupts._on_signal(signal.SIGTERM, None)
        assert info.value.signum == signal.SIGTERM and interrupts.exit_status() == 143
        assert isinstance(info.value, KeyboardInterrupt)


def test_deferred_section_finishes_before_the_signal_is_raised() -> None:
    seen: list[int] = []
    finished = False
    with interrupts.handling_signals():
        with pytest.raises(interrupts.Terminated) as info, interrupts.deferred(seen.append):
            interrupts._on_signal(signal.SIGTERM, None)  # as if delivered now
            finished = True
        assert finished and seen == [signal.SIGTERM] and info.value.signum == signal.SIGTERM
        # After a first signal, another one inside a deferred section is raised at once.
        with pytest.raises(interrupts.Terminated), interrupts.deferred():
            interrupts._on_signal(signal.SIGINT, None)
            raise AssertionError("not reached")


def test_handlers_are_restored() -> None:
    before = {s: signal.getsignal(s) for s in interrupts.HANDLED}
    with interrupts.handling_signals():
        assert all(signal.getsignal(s) is interrupts._on_signal for s in interrupts.HANDLED
                   if before[s] is not signal.SIG_IGN)
    assert {s: signal.getsignal(s) for s in interrupts.HANDLED} == before


def test_polled_section_only_records_until_the_loop_asks() -> None:
    with interrupts.handling_signals():
        with interrupts.polled():
            interrupts._on_signal(signal.SIGTERM, None)  # recorded, not raised: no lock left held
            interrupts._on_signal(signal.SIGINT, None)
            with pytest.raises(interrupts.Terminated) as info:
                interrupts.raise_if_signalled()
        assert info.value.signum == signal.SIGTERM and interrupts.exit_status() == 143
    interrupts.raise_if_signalled()  # outside handling_signals nothing is pending any more


def test_a_swallowed_signal_is_still_acted_on() -> None:
    # Python only prints an exception raised in an at-fork hook or gc callback; the
    # recorded signal still stops the next loop that checks.
    with interrupts.handling_signals():
        try:
            interrupts._on_signal(signal.SIGINT, None)
        except interrupts.Terminated:
            pass  # swallowed, as Python would
        with pytest.raises(interrupts.Terminated):
            interrupts.raise_if_signalled()
