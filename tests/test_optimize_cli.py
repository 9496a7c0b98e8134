"""End-to-end tests of ``leadsim optimize``: the search, confirmation, files, resume, workers, bad input.

Every run is tiny (two measured days of the baseline, or half a day of the
M/M/c floor) and waits on events -- a progress line, a process exit -- never on the clock.
"""

from __future__ import annotations

import csv
import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from cli_invoke import bad, ok

SMALL = ("--days", "2", "--set", "run.warmup_days=1", "--set", "run.drain_days=1")
FAST_MMC = ("--days", "0.5", "--set", "run.warmup_days=0.1", "--set", "run.drain_days=0.05")
#: A small profit search on the baseline.
PROFIT = ("optimize", "baseline", "--param", "teams.sdr.headcount=3..12", "--param", "policy.cadence.call_target=1..6",
          "--objective", "profit", "-r", "2", *SMALL)
SRC = str(Path(__file__).resolve().parents[1] / "src")


def rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "trials.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def study_trials(folder: Path, storage: str | None = None) -> list[Any]:
    import optuna

    url = storage or f"sqlite:///{folder / 'study.db'}"
    if url.startswith("journal:"):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        store: Any = JournalStorage(JournalFileBackend(url[len("journal:"):]))
    else:
        store = url
    (summary,) = optuna.get_all_study_summaries(store)
    return optuna.load_study(study_name=summary.study_name, storage=store).get_trials(deepcopy=False)


def complete(folder: Path) -> list[dict[str, str]]:
    return [r for r in rows(folder) if r["state"] == "COMPLETE"]


def _plan(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(v for k, v in row.items() if k not in ("seconds", "worker"))


# ---------------------------------------------------------------- the search and its answer


@pytest.fixture(scope="module")
def profit_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result, Result, Result]:
    out = tmp_path_factory.mktemp("optimize")
    args = (*PROFIT, "--trials", "8", "--confirm", "2", "--confirm-replications", "4")
    one = ok(*args, "--jobs", "1", "--out", str(out / "a"))
    two = ok(*args, "--jobs", "1", "--out", str(out / "b"))
    par = ok(*args, "--jobs", "2", "--json", "--out", str(out / "c"))
    return out, one, two, par


def test_same_seed_same_trials_and_best_plan(profit_runs) -> None:
    out, _, _, par = profit_runs
    a, b, c = rows(out / "a"), rows(out / "b"), rows(out / "c")
    assert len([r for r in a if r["state"] == "COMPLETE"]) == 8 and [_plan(r) for r in a] == [_plan(r) for r in b]
    # a plan is never simulated twice: repeats of the sampler are recorded, not run
    plans = [(r["teams.sdr.headcount"], r["policy.cadence.call_target"]) for r in a if r["state"] == "COMPLETE"]
    assert len(set(plans)) == len(plans)
    assert all(r["note"].startswith("repeats trial") for r in a if r["state"] == "FAIL")
    # --jobs runs a trial's replications in parallel: the trials do not change
    assert [_plan(r) for r in a] == [_plan(r) for r in c]
    doc_a = json.loads((out / "a" / "study.json").read_text())
    doc_c = json.loads(par.stdout)
    assert doc_a["best"] == doc_c["best"] and doc_a["best"] is not None


def test_study_json_is_the_contract(profit_runs) -> None:
    out, one, _, _ = profit_runs
    doc = json.loads((out / "a" / "study.json").read_text())
    assert doc["base"]["name"] == "baseline" and doc["base"]["overrides"][0] == "run.warmup_days=1"
    for key in ("study", "storage", "base", "space", "objectives", "constraints", "replications", "seed", "trials",
                "confirmation", "best", "runner_up", "vs_runner_up", "significant_vs_runner_up", "vs_today",
                "verdict"):
        assert key in doc, key
    assert doc["objectives"] == [{"metric": "profit", "direction": "maximize"}]
    assert doc["trials"]["finished"] == 8 and doc["trials"]["complete"] == 8
    conf = doc["confirmation"]
    assert conf["seed"] == 2 and conf["replications"] == 4 and len(conf["plans"]) == 2
    best = doc["best"]["metrics"]["profit"]
    assert best["ci_low"] <= best["mean"] <= best["ci_high"]
    # the answer is the best confirmed plan, and the comparisons are paired on the same replications
    assert doc["best"]["metrics"]["profit"]["mean"] >= doc["runner_up"]["metrics"]["profit"]["mean"]
    diff = doc["vs_runner_up"]["profit"]
    assert diff["diff"] == pytest.approx(best["mean"] - doc["runner_up"]["metrics"]["profit"]["mean"])
    assert doc["significant_vs_runner_up"] == diff["significant"]
    assert doc["vs_today"]["profit"]["base"] == pytest.approx(conf["today"]["metrics"]["profit"]["mean"])
    # the verdict in plain words, on the terminal and in the document
    assert "Best feasible plan" in one.stdout and "runner-up" in one.stdout.lower()
    assert doc["verdict"] in one.stdout
    for name in ("trials.csv", "study.json", "best.yaml", "history.png", "importance.png", "slice.png"):
        assert (out / "a" / name).exists(), name
    assert (out / "a" / "history.png").read_bytes()[:4] == b"\x89PNG"


def test_best_yaml_reproduces_the_confirmed_numbers(profit_runs, tmp_path: Path) -> None:
    out = profit_runs[0]
    doc = json.loads((out / "a" / "study.json").read_text())
    result = ok("run", str(out / "a" / "best.yaml"), "--json", "--jobs", "2", "--out", str(tmp_path / "r"))
    metrics = json.loads(result.stdout)["metrics"]
    for name, confirmed in doc["best"]["metrics"].items():
        assert metrics[name]["mean"] == pytest.approx(confirmed["mean"], rel=1e-12, abs=1e-12), name
        assert metrics[name]["ci_low"] == pytest.approx(confirmed["ci_low"], rel=1e-12, abs=1e-12), name


def test_progress_shows_trials_best_and_eta(profit_runs) -> None:
    one = profit_runs[1]
    assert "trials 8/8: trial " in one.stderr and "best feasible" in one.stderr and "ETA" in one.stderr
    assert "confirm: 2 plans + today" in one.stderr


def test_rerun_resumes_and_stops_at_the_total(profit_runs) -> None:
    out = profit_runs[0]
    again = ok(*PROFIT, "--trials", "8", "--confirm", "0", "--jobs", "1", "--out", str(out / "a"))
    assert "trial " not in again.stderr.replace("trials 8/8", "")  # nothing new to run
    assert len(complete(out / "a")) == 8
    more = ok(*PROFIT, "--trials", "10", "--confirm", "0", "--jobs", "1", "--out", str(out / "a"))
    assert "trials 10/10" in more.stderr and len(complete(out / "a")) == 10


def test_a_changed_question_does_not_resume_the_study(profit_runs) -> None:
    out = profit_runs[0]
    result = bad(*PROFIT, "-r", "3", "--trials", "8", "--out", str(out / "a"))
    assert "this run folder holds study" in result.stderr and "(changed: replications)" in result.stderr
    name = json.loads((out / "a" / "study.json").read_text())["study"]
    storage = f"sqlite:///{out / 'a' / 'study.db'}"
    result = bad(*PROFIT, "-r", "3", "--trials", "8", "--storage", storage, "--study", name, "--out", str(out / "d"))
    assert f"study {name!r} was started for a different question (changed: replications)" in result.stderr
    result = bad(*PROFIT, "--objective", "conversions", "--trials", "8", "--storage", storage, "--study", name,
                 "--out", str(out / "d"))
    assert "other objective directions" in result.stderr


def test_constraints_exclude_infeasible_plans(tmp_path: Path) -> None:
    # The M/M/c floor: the fewest agents (highest occupancy) that answer 90% within 5 minutes. `staff`
    # finds 6 on these days and seeds; every smaller team must be recorded as infeasible, not chosen.
    result = ok("optimize", "erlang_c", "--param", "teams.0.headcount=3..9", "--sampler", "grid",
                "--objective", "rep_occupancy", "--constraint", "share_first_attempt_within_5_min>=0.9",
                "--trials", "7", "-r", "3", *FAST_MMC, "--confirm", "2", "--jobs", "1", "--out", str(tmp_path / "g"))
    table = {int(r["teams.0.headcount"]): r for r in rows(tmp_path / "g")}
    assert sorted(table) == list(range(3, 10))
    assert [table[h]["feasible"] for h in range(3, 10)] == ["False"] * 3 + ["True"] * 4
    best_feasible = max((r for r in table.values() if r["feasible"] == "True"), key=lambda r: float(r["rep_occupancy"]))
    assert best_feasible["teams.0.headcount"] == "6"
    # occupancy alone would pick 3 agents: the constraint is what moved the answer, and it says so
    assert max(table.values(), key=lambda r: float(r["rep_occupancy"]))["teams.0.headcount"] == "3"
    doc = json.loads((tmp_path / "g" / "study.json").read_text())
    assert doc["trials"]["infeasible"] == 3
    assert doc["binding_constraints"] == {"share_first_attempt_within_5_min >= 0.9": 3}
    assert doc["best"]["feasible"] and doc["best"]["levers"]["teams.0.headcount"] in (6, 7)
    assert "binds" in result.stdout


def test_no_feasible_plan_is_said_plainly(tmp_path: Path) -> None:
    result = ok("optimize", "erlang_c", "--param", "teams.0.headcount=2..3", "--objective", "rep_occupancy",
                "--constraint", "share_first_attempt_within_5_min>=0.99", "--trials", "2", "-r", "2", *FAST_MMC,
                "--confirm", "2", "--confirm-replications", "3", "--jobs", "1", "--out", str(tmp_path / "n"))
    assert "No feasible plan was found. The closest" in result.stdout
    assert not (tmp_path / "n" / "best.yaml").exists()
    assert json.loads((tmp_path / "n" / "study.json").read_text())["best"] is None


def test_several_objectives_give_a_pareto_front(tmp_path: Path) -> None:
    result = ok("optimize", "baseline", "--param", "teams.sdr.headcount=3..12", "--objective", "conversions",
                "--objective", "cost", "--trials", "6", "-r", "2", *SMALL, "--confirm", "3",
                "--confirm-replications", "3", "--jobs", "1", "--out", str(tmp_path / "p"))
    assert "Pareto front" in result.stdout
    assert (tmp_path / "p" / "pareto.png").exists()
    doc = json.loads((tmp_path / "p" / "study.json").read_text())
    assert [o["direction"] for o in doc["objectives"]] == ["maximize", "minimize"]


def test_space_file_with_spacing_priority_and_shift_levers(tmp_path: Path) -> None:
    scenario = tmp_path / "two_shifts.yaml"
    scenario.write_text("extends: baseline\nname: two_shifts\nteams:\n  - name: sdr\n    headcount: 6\n"
                        "    shifts:\n      - {start: '08:00', end: '13:00'}\n      - {start: '13:00', end: '18:00'}\n")
    space = tmp_path / "space.yaml"
    space.write_text(
        "space: shifts\nlevers:\n"
        "  teams.sdr.shifts.0.headcount: {int: [2, 6]}\n"
        "  teams.sdr.shifts.1.headcount: {int: [2, 6]}\n"
        "  spacing.first_gap_minutes: {float: [5, 60], log: true}\n"
        "  spacing.growth: {fixed: 2}\n"
        "  policy.priority: {choice: [[callbacks, new_leads, due_followups], [new_leads, callbacks, due_followups]]}\n")
    ok("optimize", str(scenario), "--space", str(space), "--trials", "3", "-r", "2", *SMALL, "--confirm", "2",
       "--confirm-replications", "2", "--jobs", "1", "--out", str(tmp_path / "s"))
    best = (tmp_path / "s" / "best.yaml").read_text()
    assert "name: sdr_shift2" in best and "# Levers:" in best and "reps on sdr shift 2" in best
    assert all(r["state"] == "COMPLETE" for r in rows(tmp_path / "s"))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("args,fragment", [
    (("--param", "teams.sdr.headcunt=3..5"), "levers.teams.sdr.headcunt"),
    (("--param", "teams.sdr.headcount=-1..5"), "greater than or equal to 0"),
    (("--param", "teams.sdr.headcount=3..5", "--objective", "conversion"), "unknown metric 'conversion'"),
    (("--param", "teams.sdr.headcount=3..5", "--constraint", "speed<=5"), "--constraint 'speed<=5'"),
    (("--param", "teams.sdr.headcount=3..5", "--storage", "mysql://u@h/db"), "unknown storage scheme"),
    (("--param", "teams.sdr.headcount=3..5", "--storage", "postgresql://nobody@127.0.0.1:9/none"),
     "cannot open the study storage"),
    (("--param", "teams.sdr.skill=0.5..2", "--sampler", "grid"), "give it a step"),
    (("--space", "no_such_space"), "space file not found"),
    ((), "--space FILE or with --param"),
    (("--space", "baseline", "--param", "teams.sdr.headcount=3..5"), "not both"),
])
def test_bad_input_exits_2_without_traceback(tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    result = bad("optimize", "baseline", *args, "--trials", "1", "--out", str(tmp_path / "x"))
    assert fragment in result.stderr, result.stderr


def test_malformed_space_file_exits_2(tmp_path: Path) -> None:
    space = tmp_path / "space.yaml"
    space.write_text("space: x\nlevers:\n  teams.sdr.headcount: {int: [9, 4]}\n")
    result = bad("optimize", "baseline", "--space", str(space), "--out", str(tmp_path / "x"))
    assert f"{space}:3: levers.teams.sdr.headcount.int: LO (9) must not be above HI (4)" in result.stderr


# ---------------------------------------------------------------- processes: kill -9, Ctrl-C, two workers


def _start(args: list[str]) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=SRC)
    return subprocess.Popen([sys.executable, "-c", "from leadsim.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def _wait_for_line(proc: subprocess.Popen[str], needle: str) -> list[str]:
    """Read the process's stderr until a line contains ``needle`` (fails if it exits first)."""
    seen = []
    assert proc.stderr is not None
    for line in proc.stderr:
        seen.append(line)
        if needle in line:
            return seen
    proc.wait()
    pytest.fail(f"process ended (status {proc.returncode}) before printing {needle!r}: {''.join(seen)[-2000:]}")


#: Trials slow enough (about a second) that a kill lands while one is running.
SLOW = ["optimize", "baseline", "--param", "teams.sdr.headcount=3..12", "--param", "policy.cadence.call_target=1..6",
        "--objective", "profit", "-r", "2", "--days", "6", "--set", "run.warmup_days=1", "--set", "run.drain_days=2",
        "--jobs", "1", "--confirm", "0"]


def test_kill_9_resume_keeps_every_finished_trial_and_ends_with_exactly_n(tmp_path: Path) -> None:
    out = tmp_path / "k"
    extra: list[str] = []
    url = None
    proc = _start([*SLOW, "--trials", "5", "--out", str(out), *extra])
    _wait_for_line(proc, "trial 2 started")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = study_trials(out, url)
    finished = {t.number: t.params for t in before if t.state.name == "COMPLETE"}
    running = [t for t in before if t.state.name == "RUNNING"]
    assert len(finished) == 2 and len(running) == 1, [t.state.name for t in before]
    killed = running[0]
    # resume: the same command
    resumed = _start([*SLOW, "--trials", "5", "--out", str(out), *extra])
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err
    assert f"(re-run of trial {killed.number})" in err
    after = study_trials(out, url)
    complete = [t for t in after if t.state.name == "COMPLETE"]
    assert len(complete) == 5
    assert {n: p for n, p in ((t.number, t.params) for t in complete) if n in finished} == finished
    assert after[killed.number].state.name == "FAIL"  # the dead trial: failed, not counted ...
    retry = [t for t in complete if t.user_attrs.get("retry_of") == killed.number]
    assert len(retry) == 1 and retry[0].params == killed.params  # ... and re-run with the same levers
    assert len(rows(out)) == len(after)


def test_ctrl_c_exits_130_and_the_same_command_resumes(tmp_path: Path) -> None:
    out = tmp_path / "c"
    proc = _start([*SLOW, "--trials", "4", "--out", str(out)])
    _wait_for_line(proc, "trial 1 started")
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Interrupted: 1 of 4 trials finished" in err
    doc = json.loads((out / "study.json").read_text())
    assert doc["interrupted"] is True and doc["trials"]["finished"] == 1
    trials = study_trials(out)
    assert [t.state.name for t in trials] == ["COMPLETE", "FAIL", "WAITING"]  # given back, queued again
    ok(*SLOW[:-4], "--jobs", "1", "--confirm", "0", "--trials", "4", "--out", str(out))
    assert [t.state.name for t in study_trials(out)].count("COMPLETE") == 4


class _Holdable:
    """A worker whose stderr is a small pipe the test can fill, to hold the worker still.

    A worker writes to stderr only between storage operations (a "started" line after its
    last write before simulating, a "trials" line after telling the result), so a worker
    blocked on a full stderr pipe holds no lock: SQLite, journal file and PostgreSQL stay
    free for the others. No clock is involved.
    """

    def __init__(self, args: list[str]) -> None:
        import fcntl

        self.read_end, self.write_end = os.pipe()
        fcntl.fcntl(self.write_end, 1031, 4096)  # F_SETPIPE_SZ: the smallest pipe, quick to fill
        self.proc = subprocess.Popen([sys.executable, "-c", "from leadsim.cli import main; main()", *args],
                                     stdout=subprocess.DEVNULL, stderr=self.write_end,
                                     env=dict(os.environ, PYTHONPATH=SRC), start_new_session=True)
        self.reader = os.fdopen(self.read_end, "r", encoding="utf-8", errors="replace")
        self.seen: list[str] = []
        self.pending = ""  # read off the pipe but not yet a whole line
        self.pid = self.proc.pid

    def wait_for(self, needle: str) -> None:
        """Read the worker's lines until one holds ``needle``; fail if the worker exits first.

        The test itself keeps the pipe's write end open (``hold`` needs it), so the pipe never
        reaches end-of-file while the worker lives or after it dies: watch the process too, or a
        worker that died early would leave this read blocked for ever.
        """
        while True:
            while "\n" in self.pending:
                line, self.pending = self.pending.split("\n", 1)
                self.seen.append(line + "\n")
                if needle in line:
                    return
            ready, _, _ = select.select([self.read_end], [], [], 1.0)
            if ready:
                self.pending += os.read(self.read_end, 65536).decode("utf-8", errors="replace")
            elif self.proc.poll() is not None:
                pytest.fail(f"worker ended before printing {needle!r}: "
                            f"{(''.join(self.seen) + self.pending)[-2000:]}")

    def hold(self) -> None:
        """Fill the pipe: the worker's next progress line blocks it."""
        # A file description of our own: O_NONBLOCK on the inherited one would reach the worker too.
        filler = os.open(f"/proc/self/fd/{self.write_end}", os.O_WRONLY | os.O_NONBLOCK)
        try:
            while True:
                os.write(filler, b"#" * 512)
        except BlockingIOError:
            pass
        finally:
            os.close(filler)
            os.close(self.write_end)

    def release_and_wait(self) -> tuple[int, str]:
        """Read everything (the worker goes on) until it exits."""
        rest = self.pending + self.reader.read()
        self.proc.wait(timeout=600)
        return self.proc.returncode, "".join(self.seen) + rest.replace("#", "")


def _two_workers(out: Path, extra: list[str]) -> tuple[_Holdable, subprocess.Popen[str]]:
    """Two workers on one study, both certainly running trials.

    The first is held still (:class:`_Holdable`) once its first trial is told: its next
    progress line, normally "trial 1 started", blocks it with that trial RUNNING. The second
    joins, must leave the live worker's running trial alone, and runs the rest; then the
    first is released and finishes its trial."""
    args = [*SLOW[:-6], "--days", "3", "--set", "run.warmup_days=1", "--set", "run.drain_days=1", "--jobs", "1",
            "--confirm", "0", "--trials", "6", "--out", str(out), *extra]
    first = _Holdable(args)
    first.wait_for("trials 1/6")
    first.hold()
    second = _start(args)
    _wait_for_line(second, " started")
    return first, second


def _finish(first: _Holdable, second: subprocess.Popen[str]) -> None:
    code, err = first.release_and_wait()
    _, err2 = second.communicate(timeout=600)
    assert [code, second.returncode] == [0, 0], (err, err2)


def _check_shared(trials: list[Any], first: _Holdable, second: subprocess.Popen[str]) -> None:
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(complete) == 6 and len(trials) == len({t.number for t in trials}), [t.state.name for t in trials]
    # nothing lost or left over; a trial that is not complete was never run: a repeat of a plan
    # already tried, or one too many when both workers asked for the last trial at once
    others = [t for t in trials if t.state.name != "COMPLETE"]
    assert all(t.state.name == "FAIL" and ("duplicate_of" in t.user_attrs or t.user_attrs.get("surplus"))
               for t in others), [(t.state.name, t.user_attrs) for t in others]
    assert {t.user_attrs["worker"]["pid"] for t in complete} == {first.pid, second.pid}
    assert complete[0].user_attrs["worker"]["pid"] == first.pid  # the held worker ran the first trial


@pytest.mark.parametrize("storage", [None, "journal"])
def test_two_workers_share_one_study(tmp_path: Path, storage: str | None) -> None:
    out = tmp_path / "w"
    extra = [] if storage is None else ["--storage", f"journal:{out / 'journal.log'}"]
    first, second = _two_workers(out, extra)
    _finish(first, second)
    _check_shared(study_trials(out, None if storage is None else f"journal:{out / 'journal.log'}"), first, second)


# ---------------------------------------------------------------- which embedded storage survives kill -9

_HOLD_LOCK = """
import os, sqlite3, sys, time
kind, path = sys.argv[1], sys.argv[2]
if kind == "sqlite":
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")          # hold SQLite's write lock ...
    db.execute("INSERT INTO t VALUES (1)")
else:
    from optuna.storages.journal import JournalFileSymlinkLock
    JournalFileSymlinkLock(path).acquire()  # ... or the journal file's lock, as a write does
print("locked", flush=True)
time.sleep(600)                            # until killed
"""


def test_kill_9_frees_sqlite_but_leaves_the_journal_lock_behind(tmp_path: Path) -> None:
    """Why the embedded default is SQLite: a writer killed mid-write blocks nobody afterwards.

    SQLite's lock is an OS file lock, released when the process dies; Optuna's
    journal file lock is a file that stays until its grace period (30 s) runs out.
    """
    import sqlite3

    from optuna.storages.journal import JournalFileBackend

    db = tmp_path / "study.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x INTEGER)").connection.commit()
    journal = tmp_path / "journal.log"
    JournalFileBackend(str(journal))
    script = tmp_path / "hold.py"
    script.write_text(_HOLD_LOCK, encoding="utf-8")
    for kind, path in (("sqlite", db), ("journal", journal)):
        proc = subprocess.Popen([sys.executable, str(script), kind, str(path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        proc.kill()
        proc.wait()
    # SQLite: the next writer gets the lock at once (timeout 0: any leftover lock would raise)
    writer = sqlite3.connect(db, timeout=0, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (2)")
    writer.execute("COMMIT")
    assert writer.execute("SELECT x FROM t").fetchall() == [(2,)]  # the killed write was rolled back
    # Journal: the dead writer's lock file is still there; the next writer must wait for the grace period
    assert os.path.lexists(str(journal) + ".lock")


def test_without_out_the_folder_is_named_after_the_study_and_the_plain_command_resumes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    args = ("optimize", "erlang_c", "--param", "teams.0.headcount=4..8", "--objective", "rep_occupancy", "-r", "2",
            *FAST_MMC, "--confirm", "0", "--jobs", "1")
    ok(*args, "--trials", "2")
    (folder,) = (tmp_path / "runs").iterdir()
    name = json.loads((folder / "study.json").read_text())["study"]
    assert folder.name == f"optimize-erlang_c-{name}"
    again = ok(*args, "--trials", "3")
    assert "trials 3/3" in again.stderr and "trials 1/3" not in again.stderr
    assert list((tmp_path / "runs").iterdir()) == [folder] and len(complete(folder)) == 3


@pytest.mark.parametrize("sampler", ["cmaes", "random", "nsga2"])
def test_other_samplers_run(tmp_path: Path, sampler: str) -> None:
    ok("optimize", "erlang_c", "--param", "teams.0.headcount=3..9", "--param", "policy.cadence.call_target=1..3",
       "--objective", "rep_occupancy", "--sampler", sampler, "--trials", "3", "-r", "2", *FAST_MMC,
       "--confirm", "0", "--jobs", "1", "--out", str(tmp_path / sampler))
    assert len(complete(tmp_path / sampler)) == 3
    assert json.loads((tmp_path / sampler / "study.json").read_text())["sampler"] == sampler
