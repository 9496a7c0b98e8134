"""Many workers, one study, a real PostgreSQL server.

The fixture starts a throwaway PostgreSQL cluster (initdb into a temporary
folder, pg_ctl start on a private Unix socket, as the ``postgres`` user when
the tests run as root) and stops it afterwards. ``LEADSIM_TEST_POSTGRES_URL``
points the tests at an existing server instead. Where neither is possible the
tests skip and say why. CI (``.ci/run``) installs PostgreSQL from Debian, so
there they run.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from test_optimize_cli import _check_shared, _finish, _two_workers, ok


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root, and runuser (to start PostgreSQL as the postgres user) is missing")
    return [runuser, "-u", "postgres", "--", *command]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed (pip install 'leadsim[postgres]')")
    url = os.environ.get("LEADSIM_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine; install the Debian "
                    "package postgresql, or set LEADSIM_TEST_POSTGRES_URL")
    if os.geteuid() == 0:
        import pwd

        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server as")
    root = Path(tempfile.mkdtemp(prefix="leadsim-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        for path in (root, sock):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    started = False
    try:
        made = subprocess.run(_as_owner([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
                              capture_output=True, text=True, check=False)
        if made.returncode != 0:
            pytest.skip(f"initdb failed, so no PostgreSQL server for this test: {made.stderr.strip()[-300:]}")
        options = f"-k {sock} -p {port} -c listen_addresses='' -c fsync=off"
        run = subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"),
                                        "-w", "start"]), capture_output=True, text=True, check=False)
        if run.returncode != 0:
            log = (root / "log").read_text(errors="replace")[-300:] if (root / "log").exists() else run.stderr
            pytest.skip(f"PostgreSQL did not start: {log.strip()}")
        started = True
        yield f"postgresql://postgres@/postgres?host={sock}&port={port}"
    finally:
        if started:
            subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def _trials(url: str, study: str | None = None) -> list:
    import optuna

    name = study or optuna.get_all_study_summaries(url.replace("postgresql://", "postgresql+psycopg2://"))[-1].study_name
    return optuna.load_study(study_name=name, storage=url.replace("postgresql://", "postgresql+psycopg2://")) \
        .get_trials(deepcopy=False)


def test_two_workers_share_one_postgresql_study(postgres_url: str, tmp_path: Path) -> None:
    # As on two machines: each worker has its own run folder, the study lives in the database.
    first, second = _two_workers(tmp_path / "a", ["--storage", postgres_url, "--study", "two-workers"])
    _finish(first, second)
    _check_shared(_trials(postgres_url, "two-workers"), first, second)


def test_postgresql_study_resumes_from_another_folder(postgres_url: str, tmp_path: Path) -> None:
    args = ("optimize", "erlang_c", "--param", "teams.0.headcount=4..8", "--objective", "rep_occupancy",
            "--constraint", "share_first_attempt_within_5_min>=0.8", "-r", "2", "--days", "0.5",
            "--set", "run.warmup_days=0.1", "--set", "run.drain_days=0.05", "--storage", postgres_url,
            "--study", "resume", "--jobs", "1")
    ok(*args, "--trials", "2", "--confirm", "0", "--out", str(tmp_path / "one"))
    result = ok(*args, "--trials", "4", "--confirm", "2", "--confirm-replications", "3", "--out", str(tmp_path / "two"))
    assert "trials 4/4" in result.stderr and "trials 1/4" not in result.stderr
    assert sum(t.state.name == "COMPLETE" for t in _trials(postgres_url, "resume")) == 4
    assert "postgres@" in (tmp_path / "two" / "study.json").read_text()


def test_a_silent_worker_on_another_machine_is_failed_and_its_trial_rerun(postgres_url: str, tmp_path: Path) -> None:
    """The heartbeat path: a RUNNING trial of a worker elsewhere whose heartbeat is older than the
    grace period is failed and re-queued. The old heartbeat is written into the database, not waited for."""
    import optuna
    import psycopg2

    from leadsim.planner.study_store import (
        GRACE_SECONDS,
        WORKER_ATTR,
        open_storage,
        parse_storage,
    )

    args = ("optimize", "erlang_c", "--param", "teams.0.headcount=4..8", "--objective", "rep_occupancy", "-r", "2",
            "--days", "0.5", "--set", "run.warmup_days=0.1", "--set", "run.drain_days=0.05",
            "--storage", postgres_url, "--study", "silent", "--jobs", "1", "--confirm", "0")
    ok(*args, "--trials", "1", "--out", str(tmp_path / "a"))
    storage = open_storage(parse_storage(postgres_url, tmp_path))
    study = optuna.load_study(study_name="silent", storage=storage)
    with warnings.catch_warnings():  # "heartbeat is supposed to be used with Study.optimize": we play a worker
        warnings.simplefilter("ignore", UserWarning)
        lost = study.ask({"teams.0.headcount": optuna.distributions.IntDistribution(4, 8)})
    lost.set_user_attr(WORKER_ATTR, {"host": "another-machine", "pid": 1, "start": "1"})
    storage.record_heartbeat(lost._trial_id)
    query = dict(part.split("=", 1) for part in postgres_url.split("?", 1)[1].split("&"))
    with psycopg2.connect(dbname="postgres", user="postgres", host=query["host"], port=query["port"]) as db, \
            db.cursor() as cursor:
        cursor.execute("UPDATE trial_heartbeats SET heartbeat = heartbeat - %s * INTERVAL '1 second' "
                       "WHERE trial_id = %s", (GRACE_SECONDS + 60, lost._trial_id))
    result = ok(*args, "--trials", "3", "--out", str(tmp_path / "b"))
    assert f"(re-run of trial {lost.number})" in result.stderr
    trials = _trials(postgres_url, "silent")
    assert trials[lost.number].state.name == "FAIL"
    rerun = [t for t in trials if t.user_attrs.get("retry_of") == lost.number]
    assert len(rerun) == 1 and rerun[0].state.name == "COMPLETE" and rerun[0].params == lost.params
    assert sum(t.state.name == "COMPLETE" for t in trials) == 3
