"""Where an optimisation study lives, and how it survives the death of a worker.

Storage (``--storage``):

* default: an SQLite file ``study.db`` in the run folder -- no server. SQLite
  was chosen over Optuna's journal file by measurement (benchmarks/README.md,
  "optimize"): both cost far less per trial than one replication, and after a
  ``kill -9`` SQLite's locks die with the process, while a journal file's lock
  file stays behind and blocks the next run for its grace period (30 s).
* ``sqlite:///PATH`` or ``journal:PATH`` (Optuna's journal file): a file of your choosing.
* ``postgresql://USER:PASSWORD@HOST:PORT/DB`` (or ``postgresql+psycopg2://``):
  a shared study for many workers on many machines (needs ``psycopg2``, the
  ``postgres`` extra).

A trial that was running when its worker died must not stay RUNNING forever
(it would never count, nor be re-run). Every trial records the worker that runs
it (host, process id and process start time). When a worker starts, and before
every new trial, RUNNING trials whose worker is on this machine and no longer
alive are marked FAIL and their levers are queued again, so the next trial
re-runs them. Workers on other machines (PostgreSQL) are watched by Optuna's
heartbeat instead: a trial whose worker has not been heard from for
:data:`GRACE_SECONDS` is failed and re-queued the same way.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadsim.scenarios.errors import ScenarioError

#: Heartbeat of trials in a database shared by several machines.
HEARTBEAT_SECONDS = 20
GRACE_SECONDS = 90

#: Trial user attribute holding the worker that runs (or ran) the trial.
WORKER_ATTR = "worker"
#: User attribute of a re-queued trial: the number of the trial it re-runs.
RETRY_ATTR = "retry_of"

_SCHEMES = "a file in the run folder (default), sqlite:///PATH, journal:PATH or postgresql://USER@HOST/DB"


@dataclass(frozen=True)
class StorageSpec:
    """A parsed ``--storage``.

    Attributes:
        kind: ``sqlite``, ``journal`` or ``postgresql``.
        url: what Optuna gets (a SQLAlchemy URL, or the journal file's path).
        shown: the URL with any password hidden, for messages and study.json.
    """

    kind: str
    url: str
    shown: str


def _hide_password(url: str) -> str:
    head, sep, tail = url.partition("://")
    if not sep or "@" not in tail:
        return url
    cred, _, host = tail.rpartition("@")
    user = cred.split(":", 1)[0]
    return f"{head}://{user}{':***' if ':' in cred else ''}@{host}"


def parse_storage(storage: str | None, folder: Path) -> StorageSpec:
    """Turn ``--storage`` (or nothing: the run folder's default file) into a StorageSpec.

    Raises:
        ScenarioError: for an unknown scheme or a missing path (exit status 2).
    """
    if storage is None:
        path = (folder / "study.db").resolve()
        return StorageSpec("sqlite", f"sqlite:///{path}", str(folder / "study.db"))
    text = storage.strip()
    if text.startswith("journal:"):
        # journal:///abs/path (like sqlite:///) or journal:relative/path
        path_text = text.removeprefix("journal:").removeprefix("//")
        if not path_text:
            raise ScenarioError(None, "--storage", f"journal: needs a file path; use {_SCHEMES}", storage)
        return StorageSpec("journal", str(Path(path_text).resolve()), text)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme == "sqlite":
        if text in ("sqlite://", "sqlite:///") or ":memory:" in text:
            raise ScenarioError(None, "--storage", "an in-memory SQLite database cannot be resumed or shared; "
                                "give a file: sqlite:///PATH", storage)
        return StorageSpec("sqlite", text, text)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = "postgresql+psycopg2://" + text.split("://", 1)[1]
        return StorageSpec("postgresql", url, _hide_password(text))
    raise ScenarioError(None, "--storage", f"unknown storage scheme; use {_SCHEMES}", _hide_password(text))


def open_storage(spec: StorageSpec) -> Any:
    """Open (creating if needed) the Optuna storage.

    Raises:
        ScenarioError: if the database cannot be reached or its driver is missing.
    """
    import optuna

    if spec.kind == "journal":
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        Path(spec.url).parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(spec.url))
    kwargs: dict[str, Any] = {}
    heartbeat: dict[str, Any] = {}
    if spec.kind == "sqlite":
        path = spec.url.split(":///", 1)[1] if ":///" in spec.url else ""
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Two local workers may write at once: wait for the lock rather than fail.
        kwargs = {"connect_args": {"timeout": 60}}
    else:
        # Recycle idle connections (firewalls drop them during long trials) rather than ping on every
        # checkout: the pings were a fifth of the round trips of a trial (benchmarks/bench_optimize.py).
        kwargs = {"pool_recycle": 300, "connect_args": {"connect_timeout": 10}}
        heartbeat = {"heartbeat_interval": HEARTBEAT_SECONDS, "grace_period": GRACE_SECONDS,
                     "heartbeat_stale_trial_callback": requeue_callback}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            storage = optuna.storages.RDBStorage(spec.url, engine_kwargs=kwargs, **heartbeat)
    except ModuleNotFoundError as exc:
        raise ScenarioError(None, "--storage", f"the database driver is not installed ({exc.name}); "
                            "pip install 'leadsim[postgres]'", spec.shown) from None
    except Exception as exc:  # SQLAlchemy's OperationalError and friends: say it in one line
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ScenarioError(None, "--storage", f"cannot open the study storage: {reason}", spec.shown) from None
    if spec.kind == "sqlite":
        _fast_sqlite(storage)
    return storage


def _fast_sqlite(storage: Any) -> None:
    """Write-ahead logging with ``synchronous=NORMAL`` for every connection of an SQLite study.

    A commit then appends to the log without waiting for the disk, several times
    cheaper per trial; a killed process still loses nothing it committed and never
    leaves a broken database (only a power cut may drop the last commits).
    """
    from sqlalchemy import event

    def pragmas(connection: Any, record: Any) -> None:
        del record
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(storage.engine, "connect", pragmas)
    storage.engine.dispose()  # connections opened before the listener reconnect with it


# ---------------------------------------------------------------- workers


def _process_start(pid: int) -> str | None:
    """The start time of a process (clock ticks since boot), None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return None
    # Field 22 counts from after the command name, which may itself hold spaces.
    return stat.rsplit(")", 1)[1].split()[19]


def worker_identity() -> dict[str, Any]:
    """This process as a trial's worker: host, pid and process start time."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "start": _process_start(pid)}


def worker_alive(worker: dict[str, Any]) -> bool | None:
    """Whether a trial's worker is alive: True/False on this host, None (cannot tell) elsewhere."""
    if not isinstance(worker, dict) or worker.get("host") != socket.gethostname():
        return None
    pid = worker.get("pid")
    if not isinstance(pid, int):
        return None
    start = _process_start(pid)
    if start is None:
        return False
    recorded = worker.get("start")
    return recorded is None or start == recorded  # a recycled pid is another process


def requeue(study: Any, trial: Any) -> None:
    """Queue a failed trial's levers again (the next trial asked for re-runs them)."""
    study.enqueue_trial(dict(trial.params), user_attrs={RETRY_ATTR: trial.number})


def requeue_callback(study: Any, trial: Any) -> None:
    """Optuna's heartbeat hook: a trial failed for silence is re-queued by the worker that failed it."""
    requeue(study, trial)


def recover_dead_trials(study: Any, trials: Sequence[Any] | None = None) -> list[int]:
    """Fail and re-queue RUNNING trials whose worker is dead.

    Args:
        study: the study.
        trials: its trials, if the caller has just read them (saves a read).

    Returns:
        The numbers of the trials this call failed (another worker may fail some first).
    """
    import optuna
    from optuna.trial import TrialState

    recovered = []
    running = [t for t in (study.get_trials(deepcopy=False) if trials is None else trials)
               if t.state == TrialState.RUNNING]
    for trial in running:
        if worker_alive(trial.user_attrs.get(WORKER_ATTR)) is not False:
            continue
        try:
            # The state change is the claim: only one worker can make it, and only that one re-queues.
            if study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                requeue(study, trial)
                recovered.append(trial.number)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
    with contextlib.suppress(Exception), warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # other hosts, where the storage has a heartbeat
    return recovered


@contextlib.contextmanager
def heartbeat(study: Any, trial: Any) -> Iterator[None]:
    """Record the trial's heartbeat while it runs (storages with a heartbeat only)."""
    from optuna.storages._heartbeat import is_heartbeat_enabled

    storage: Any = study._storage
    if not is_heartbeat_enabled(storage):  # also False for storages without a heartbeat
        yield
        return
    stop = threading.Event()
    interval = storage.get_heartbeat_interval() or HEARTBEAT_SECONDS

    def beat() -> None:
        while True:
            with contextlib.suppress(Exception):
                storage.record_heartbeat(trial._trial_id)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=beat, name="leadsim-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
