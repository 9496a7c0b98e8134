"""End-to-end tests of compare, sweep, staff and run --precision, --jobs and Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result

from cli_invoke import bad, invoke, ok
from cli_process import (
    SIGINT_DEFAULT,
    SOME_DONE,
    CliProcess,
    child_env,
    children,
    kill_leftovers,
    wait_gone,
)
from leadsim.planner.parallel import Interrupted, run_tasks

#: Small runs: the baseline over 2 measured days, erlang_c over half a day.
SMALL = ("--days", "2", "--set", "run.warmup_days=1", "--set", "run.drain_days=1")
FAST_MMC = ("--days", "0.5", "--set", "run.warmup_days=0.1", "--set", "run.drain_days=0.05")


# ---------------------------------------------------------------- compare


@pytest.fixture(scope="module")
def compare_runs(tmp_path_factory) -> tuple[Result, Result, Path]:
    out = tmp_path_factory.mktemp("compare")
    args = ("compare", "baseline", "--vary", "policy.cadence.call_target=3", "-r", "4", *SMALL, "--json")
    one = ok(*args, "--jobs", "1", "--out", str(out / "j1"))
    two = ok(*args, "--jobs", "2", "--out", str(out / "j2"))
    return one, two, out


def test_compare_json_document(compare_runs) -> None:
    one, _, out = compare_runs
    doc = json.loads(one.stdout)
    assert set(doc) == {"base", "replications", "seed", "variants"}
    assert (doc["base"], doc["replications"], doc["seed"]) == ("baseline", 4, 1)
    (variant,) = doc["variants"]
    assert variant["name"] == "policy.cadence.call_target=3"
    attempts = variant["metrics"]["attempts"]
    assert set(attempts) == {"base", "value", "diff", "ci_low", "ci_high", "significant"}
    assert attempts["significant"] is True and attempts["ci_high"] < 0  # fewer calls per lead
    assert json.loads((out / "j1" / "compare.json").read_text()) == doc
    assert {p.name for p in (out / "j1" / "metrics").iterdir()} == \
        {"baseline.json", "policy.cadence.call_target_3.json"}
    header = (out / "j1" / "compare.csv").read_text().splitlines()[0]
    assert "unpaired_ci_low" in header and "narrowing" in header


def test_compare_is_identical_for_any_jobs(compare_runs) -> None:
    one, two, out = compare_runs
    assert one.stdout == two.stdout
    assert (out / "j1" / "compare.csv").read_text() == (out / "j2" / "compare.csv").read_text()


def test_compare_table_and_whatif_file(tmp_path: Path) -> None:
    # A what-if file that extends the base and does not rename it: shown by its file name.
    whatif = tmp_path / "more_reps.yaml"
    whatif.write_text("extends: baseline.yaml\nteams:\n  - name: sdr\n    headcount: 12\n")
    base = tmp_path / "baseline.yaml"
    from leadsim.scenarios.loader import LIBRARY

    base.write_text((LIBRARY / "baseline.yaml").read_text())
    result = ok("compare", str(base), str(whatif), "-r", "3", *SMALL, "--jobs", "1",
                "--metric", "rep_occupancy", "--metric", "conversions", "--out", str(tmp_path / "o"))
    table = result.stdout
    assert "WHAT-IF more_reps vs baseline" in table and "rep_occupancy" in table
    assert "share_waited" not in table  # --metric restricts the table
    assert "narrower than unpaired" in table and "compare 2 scenarios" in result.stderr


def test_compare_prints_the_verdict_and_the_full_table_only_with_all(tmp_path: Path) -> None:
    """Issue 11: the headline metrics with a verdict each; every metric behind --all (and in the files)."""
    args = ("compare", "baseline", "--vary", "teams.sdr.headcount=2", "-r", "3", *SMALL, "--jobs", "1")
    short = ok(*args, "--out", str(tmp_path / "s")).stdout
    assert short.startswith("compare with baseline: 3 paired replications, 2 measured days each, seed 1")
    rows = {line.split("  ")[1].strip(): line for line in short.splitlines()
            if line.startswith("  ") and line.split("  ")[1].strip()}
    for label in ("conversions", "profit", "median first call", "contact rate"):
        assert re.search(r"(better|worse|no detectable difference|no difference)$", rows[label]), rows[label]
    # Two reps instead of ten: the first call comes later, a verdict the interval must carry.
    assert rows["median first call"].endswith(" worse"), rows["median first call"]
    assert "WHAT-IF" not in short and "(every metric: --all, compare.csv, compare.json)" in short
    full = ok(*args, "--all", "--out", str(tmp_path / "a")).stdout
    assert full.startswith(short.split("\n(every metric")[0]) and "WHAT-IF teams.sdr.headcount=2 vs baseline" in full
    assert "share_waited" in full and "share_waited" in (tmp_path / "s" / "compare.csv").read_text()


def test_compare_needs_a_whatif() -> None:
    result = invoke("compare", "baseline")
    assert result.exit_code == 2 and "WHATIF" in result.stderr


@pytest.mark.parametrize(
    "args,fragment",
    [
        (("--metric", "conversion"), "unknown metric 'conversion'"),
        (("--precision", "conversion_rate"), "expected METRIC=HALFWIDTH"),
        (("--vary", "teams.sdr.headcunt=3"), "teams.sdr.headcunt"),
    ],
)
def test_compare_bad_options(args: tuple[str, ...], fragment: str) -> None:
    result = bad("compare", "baseline", "--vary", "teams.sdr.headcount=9", *args)
    assert fragment in result.stderr


def test_compare_precision(tmp_path: Path) -> None:
    result = ok("compare", "erlang_c", "--vary", "teams.0.headcount=6", *FAST_MMC, "-r", "3",
                "--precision", "share_waited=0.02", "--jobs", "2", "--out", str(tmp_path / "p"))
    assert "precision reached: share_waited half-width" in result.stdout


# ---------------------------------------------------------------- sweep


@pytest.mark.parametrize(
    "param,fragment",
    [
        ("teams.0.headcount=4-6", "neither a range nor a list"),
        ("teams.0.headcount=6..4", "LO (6) is above HI (4)"),
        ("teams.0.headcount=4..6:0", "STEP must be > 0"),
        ("teams.0.headcount", "expected PATH=LO..HI[:STEP]"),
        ("teams.0.headcunt=4..6", "unknown --param path"),
    ],
)
def test_sweep_bad_param(param: str, fragment: str) -> None:
    result = bad("sweep", "erlang_c", "--param", param, *FAST_MMC)
    assert fragment in result.stderr


def test_sweep_three_params_is_an_error() -> None:
    result = bad("sweep", "erlang_c", "--param", "teams.0.headcount=5..6",
                 "--param", "run.days=1..2", "--param", "run.seed=1..2")
    assert "one or two parameters" in result.stderr


def test_sweep_writes_table_csv_and_plot_identically_for_any_jobs(tmp_path: Path) -> None:
    args = ("sweep", "erlang_c", "--param", "teams.0.headcount=5..7", "-r", "3", *FAST_MMC)
    one = ok(*args, "--jobs", "1", "--out", str(tmp_path / "j1"))
    two = ok(*args, "--jobs", "2", "--out", str(tmp_path / "j2"))
    assert one.stdout.replace("j1", "jX") == two.stdout.replace("j2", "jX")
    csv_one = (tmp_path / "j1" / "sweep.csv").read_text()
    assert csv_one == (tmp_path / "j2" / "sweep.csv").read_text()
    lines = csv_one.splitlines()
    assert lines[0].startswith("teams.0.headcount,replications,leads,leads_ci_low,leads_ci_high")
    assert len(lines) == 4
    assert (tmp_path / "j1" / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    assert "sweep 3 points x 3 replications" in one.stderr


def test_sweep_two_params_json(tmp_path: Path) -> None:
    result = ok("sweep", "erlang_c", "--param", "teams.0.headcount=5..6", "--param",
                "policy.cadence.call_target=1,2", "-r", "2", *FAST_MMC, "--jobs", "2", "--json",
                "--out", str(tmp_path / "s"))
    doc = json.loads(result.stdout)
    assert doc["params"] == ["teams.0.headcount", "policy.cadence.call_target"]
    assert [(p["teams.0.headcount"], p["policy.cadence.call_target"]) for p in doc["points"]] == \
        [(5, 1), (5, 2), (6, 1), (6, 2)]


# ---------------------------------------------------------------- staff


@pytest.mark.parametrize(
    "target,fragment",
    [
        ("share_first_attempt_within_5_min", 'expected "METRIC>=VALUE"'),
        ("share_first_attempt_within_5_min>0.9", "use >= or <="),
        ("share_within_5_min>=0.9", "unknown metric"),
        ("share_first_attempt_within_5_min>=ninety", "is not a number"),
    ],
)
def test_staff_bad_target(target: str, fragment: str) -> None:
    result = bad("staff", "erlang_c", "--target", target, *FAST_MMC)
    assert fragment in result.stderr


def test_staff_bad_team_and_range() -> None:
    assert "no such team" in bad("staff", "erlang_c", "--target", "share_waited<=0.5",
                                 "--team", "closers").stderr
    assert "--min" in bad("staff", "erlang_c", "--target", "share_waited<=0.5",
                          "--min", "9", "--max", "3").stderr


def test_staff_answer(tmp_path: Path) -> None:
    args = ("staff", "erlang_c", "--target", "share_first_attempt_within_5_min>=0.9", "-r", "3", *FAST_MMC)
    table = ok(*args, "--jobs", "2", "--out", str(tmp_path / "t")).stdout
    # Issue 11: the answer first (the rule said in it), one row per headcount with the answer marked,
    # Erlang C in one sentence.
    assert table.startswith("erlang_c: 6 reps in team agents meet share_first_attempt_within_5_min >= 90.0% "
                            "on the mean of 3")
    assert re.search(r"^\s+6\s.*<- answer$", table, re.MULTILINE), table
    assert "Erlang C says 6 on duty (the same as 6 simulated)" in table
    doc = json.loads(ok(*args, "--jobs", "1", "--json", "--out", str(tmp_path / "j")).stdout)
    assert doc["headcount"] == 6 and doc["erlang_c"]["reps_on_duty"] == 6
    assert json.loads((tmp_path / "t" / "staff.json").read_text()) == doc
    assert (tmp_path / "t" / "staff.csv").read_text().startswith("headcount,mean,ci_low,ci_high")


# ---------------------------------------------------------------- run --precision


def test_run_precision(tmp_path: Path) -> None:
    args = ("run", "erlang_c", *FAST_MMC, "-r", "3", "--precision", "share_waited=0.05", "--json")
    one = json.loads(ok(*args, "--jobs", "1", "--out", str(tmp_path / "a")).stdout)
    two = json.loads(ok(*args, "--jobs", "2", "--out", str(tmp_path / "b")).stdout)
    assert one == two
    precision = one["precision"]
    assert precision["reached"] and precision["half_width"] <= 0.05
    waited = one["metrics"]["share_waited"]
    assert (waited["ci_high"] - waited["ci_low"]) / 2 == pytest.approx(precision["half_width"])
    assert one["replications"] >= 5  # at least the minimum first batch


def test_run_precision_stops_at_the_maximum(tmp_path: Path) -> None:
    result = ok("run", "erlang_c", *FAST_MMC, "--precision", "share_waited=0.000001",
                "--max-replications", "6", "--jobs", "2", "--out", str(tmp_path / "m"))
    assert "precision NOT reached" in result.stdout and "replications 6" in result.stdout


def test_run_bad_precision() -> None:
    assert "unknown metric" in bad("run", "erlang_c", "--precision", "waited=0.1").stderr
    assert "below --replications" in bad("run", "erlang_c", "-r", "9", "--precision",
                                         "share_waited=0.1", "--max-replications", "4").stderr


# ---------------------------------------------------------------- Ctrl-C


def _raise_at(i: int) -> int:
    if i == 3:
        raise KeyboardInterrupt
    return i * i


def test_interrupt_keeps_finished_tasks_serial() -> None:
    with pytest.raises(Interrupted) as info:
        run_tasks(_raise_at, [(i,) for i in range(6)], jobs=1)
    assert info.value.done == {0: 0, 1: 1, 2: 4} and info.value.total == 6


_PARALLEL_INTERRUPT = SIGINT_DEFAULT + """
import json, os, signal, sys, threading
from leadsim.planner.parallel import Interrupted, run_tasks

def signal_parent_at(i, parent):
    if i == 3:
        os.kill(parent, signal.SIGINT)
        threading.Event().wait()  # never finishes: the parent must stop this worker itself
    return i * i

if __name__ == "__main__":
    try:
        run_tasks(signal_parent_at, [(i, os.getpid()) for i in range(40)], jobs=2)
        print(json.dumps({"interrupted": False}))
    except Interrupted as exc:
        print(json.dumps({"interrupted": True, "done": {str(k): v for k, v in exc.done.items()}}))
"""


def test_interrupt_keeps_finished_tasks_parallel(tmp_path: Path) -> None:
    # In a fresh interpreter: SIGINT sent to the pytest process itself could land in
    # any Python code running there (hypothesis installs gc callbacks), not in run_tasks.
    # Task 3 never ends, so this also shows Ctrl-C stops a RUNNING task at once: were the
    # worker left to finish, the script would never exit (and time out).
    script = tmp_path / "interrupt.py"
    script.write_text(_PARALLEL_INTERRUPT, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, check=False, text=True, timeout=240,
                          env=child_env())
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["interrupted"] is True
    done = {int(k): v for k, v in report["done"].items()}
    assert 3 not in done and all(done[i] == i * i for i in done)


def _interrupt(args: list[str], when: str = SOME_DONE) -> subprocess.CompletedProcess[str]:
    """Run leadsim in its own process group; press Ctrl-C (SIGINT to the group) once a
    stderr line matches ``when`` (by default: a progress line with some work done).

    Also checks that no worker process outlives it.
    """
    cli = CliProcess(args)
    workers: list[int] = []
    try:
        cli.wait_for(when)
        workers = children(cli.pid)
        cli.signal(signal.SIGINT, group=True)
        code = cli.finish()
        assert wait_gone(workers) == [], "worker processes outlived leadsim"
    finally:
        kill_leftovers([cli.pid, *workers])
    return subprocess.CompletedProcess(args, code, cli.stdout, cli.stderr)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_keeps_finished_replications(tmp_path: Path, jobs: str) -> None:
    out = tmp_path / "run"
    done = _interrupt(["run", "erlang_c", *FAST_MMC, "-r", "5000", "--jobs", jobs, "--json",
                       "--out", str(out)])
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr and "Interrupted: " in done.stderr
    doc = json.loads((out / "metrics.json").read_text())
    assert doc["interrupted"] is True and doc["replications_requested"] == 5000
    assert 1 <= doc["replications"] < 5000
    assert json.loads(done.stdout) == doc
    assert f"{doc['replications']} of 5000 replications finished" in done.stderr


def test_ctrl_c_during_compare_writes_partial_comparison(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    done = _interrupt(["compare", "erlang_c", "--vary", "teams.0.headcount=6", *FAST_MMC, "-r", "5000",
                       "--jobs", "2", "--json", "--out", str(out)], when=r"compare 2 scenarios ([3-9]|\d\d+)/")
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr and "complete pairs" in done.stderr
    doc = json.loads((out / "compare.json").read_text())
    assert 1 <= doc["replications"] < 5000


def _fake_stopping_at(scenario, *, seed: int, replication: int):
    from result_factory import fake_simulate

    if scenario["leads"] == 60 and replication == 2:
        raise KeyboardInterrupt
    return fake_simulate(scenario, seed=seed, replication=replication)


def test_interrupted_grid_keeps_each_scenarios_finished_replications() -> None:
    from leadsim.planner.replicate import run_grid

    with pytest.raises(Interrupted) as info:
        run_grid([{"leads": 50}, {"leads": 60}], range(4), seed=1, jobs=1, simulate=_fake_stopping_at)
    grid = info.value.done
    # Replication-major order: r0 of both, r1 of both, then r2 of the first before the stop.
    assert [[s.replication for s in runs] for runs in grid] == [[0, 1, 2], [0, 1]]


def test_ctrl_c_stops_running_replications_at_once(tmp_path: Path) -> None:
    # Replications of 600 measured days take several seconds each: Ctrl-C as soon as they
    # start must stop the running ones (test_interrupt_keeps_finished_tasks_parallel shows
    # a task that never ends is stopped too) and leave no worker behind.
    done = _interrupt(["run", "baseline", "--days", "600", "-r", "20", "--jobs", "2",
                       "--out", str(tmp_path / "long")], when=r"replications 0/20")
    assert done.returncode == 130 and "Traceback" not in done.stderr, done.stderr
    # "Interrupted: no replication had finished; nothing written", or, if the signal came
    # before the replication loop began, "Interrupted by SIGINT." (nothing to keep either way).
    assert "Interrupted" in done.stderr and "Aborted!" not in done.stderr
    assert not (tmp_path / "long" / "metrics.json").exists() or \
        json.loads((tmp_path / "long" / "metrics.json").read_text())["interrupted"] is True
