"""One run per folder: a lock file holding the owner's pid.

Two ``leadsim`` processes writing into the same ``--out`` would interleave
their CSV rows or silently lose one run. A command therefore locks its run
folder before it simulates: it creates ``.leadsim.lock`` atomically (the file
appears complete, with the owner's pid, host and process start time, or not at
all) and removes it when it ends. A second process finds the lock and is
refused with a message naming the owner, unless the owner is dead (a crash,
``kill -9``): then the stale lock is taken over. Taking over happens under an
``flock`` of the folder, so two processes can never both take over the same
stale lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

#: The lock file's name inside a run folder.
LOCK_NAME = ".leadsim.lock"

#: A lock file that stays empty or unreadable this long is a creator's crash, not a creation under way.
_GARBAGE_GRACE_SECONDS = 10.0


class RunFolderError(Exception):
    """The run folder cannot be used (the message says why); the command line exits 2."""


class RunFolderBusy(RunFolderError):
    """Another live leadsim process holds the run folder's lock."""


def _hostname() -> str:
    import socket  # lazily: the command line imports this module at start

    return socket.gethostname()


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = stat[stat.rfind(")") + 2:].split()
    try:
        return int(fields[19])  # field 22 of stat
    except (IndexError, ValueError):
        return None


def _identity(command: str) -> dict[str, Any]:
    pid = os.getpid()
    return {"pid": pid, "host": _hostname(), "start_ticks": _start_ticks(pid),
            "command": command, "since": time.strftime("%Y-%m-%d %H:%M:%S")}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:
        return False
    return True


def owner_alive(owner: dict[str, Any]) -> bool:
    """Whether the process recorded in a lock still runs (another host's is assumed to)."""
    if owner.get("host") != _hostname():
        return True
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if not _pid_alive(pid):
        return False
    recorded, now = owner.get("start_ticks"), _start_ticks(pid)
    # Same pid, different start time: the owner died and the pid was reused.
    return recorded is None or now is None or recorded == now


def read_lock(path: Path) -> dict[str, Any] | None:
    """The lock's owner record; None if there is no lock or it cannot be parsed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _create_exclusive(lock: Path, record: dict[str, Any]) -> None:
    """Create ``lock`` holding ``record``, atomically; FileExistsError if it exists."""
    text = json.dumps(record) + "\n"
    tmp = lock.with_name(f"{lock.name}.{os.getpid()}.new")
    tmp.write_text(text, encoding="utf-8")
    try:
        # link() fails if the name exists and the file appears with its content complete.
        os.link(tmp, lock)
        return
    except FileExistsError:
        raise
    except OSError:
        pass  # a file system without hard links: fall back to O_EXCL
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


@contextlib.contextmanager
def _takeover_guard(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the folder while judging and removing a stale lock."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no guard (a takeover race needs two takers at once)
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def describe_owner(owner: dict[str, Any] | None) -> str:
    """``pid 123 on host, since 2026-01-05 08:00:00, running "leadsim run baseline"``."""
    if owner is None:
        return "a process that is still creating the lock"
    parts = [f"pid {owner.get('pid')}"]
    if owner.get("host") and owner.get("host") != _hostname():
        parts.append(f"on host {owner['host']}")
    if owner.get("since"):
        parts.append(f"since {owner['since']}")
    if owner.get("command"):
        parts.append(f"running {owner['command']!r}")
    return ", ".join(parts)


@dataclass
class RunLock:
    """A held run-folder lock; release it (or use it as a context manager) when done.

    Attributes:
        path: the lock file.
        owner: the record written into it.
        taken_over: the record of a dead owner whose stale lock was taken over, if any.
    """

    path: Path
    owner: dict[str, Any]
    taken_over: dict[str, Any] | None = None
    released: bool = field(default=False, init=False)

    def release(self) -> None:
        """Remove the lock file if it is still ours (idempotent)."""
        if self.released:
            return
        self.released = True
        current = read_lock(self.path)
        if current is not None and current.get("pid") == self.owner["pid"] \
                and current.get("host") == self.owner["host"]:
            with contextlib.suppress(OSError):
                self.path.unlink()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _garbage_is_old(lock: Path) -> bool:
    try:
        return time.time() - lock.stat().st_mtime > _GARBAGE_GRACE_SECONDS
    except OSError:
        return False


def acquire_run_lock(folder: str | Path, command: str = "") -> RunLock:
    """Lock a run folder for this process.

    Args:
        folder: an existing folder.
        command: what this process is doing (shown to a process that is refused).

    Returns:
        The held lock.

    Raises:
        RunFolderBusy: if a live process holds it (the message names it).
        RunFolderError: if the lock file cannot be created (e.g. a read-only folder).
    """
    folder = Path(folder)
    lock = folder / LOCK_NAME
    me = _identity(command or " ".join(["leadsim", *sys.argv[1:]]))
    stale: dict[str, Any] | None = None
    for _ in range(20):  # each turn either wins, refuses, or removes a stale lock
        try:
            _create_exclusive(lock, me)
            return RunLock(lock, me, stale)
        except FileExistsError:
            pass
        except OSError as exc:
            raise RunFolderError(f"cannot lock the run folder {folder}/: {exc.strerror or exc}") from None
        with _takeover_guard(folder):
            owner = read_lock(lock)
            if not lock.exists():
                continue  # released meanwhile: try again
            if owner is None and not _garbage_is_old(lock):
                raise RunFolderBusy(_busy_message(folder, None))
            if owner is not None and owner_alive(owner):
                raise RunFolderBusy(_busy_message(folder, owner))
            stale = owner or {}
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
    raise RunFolderBusy(f"run folder {folder}/ is being locked and unlocked by other processes; try again")


def _busy_message(folder: Path, owner: dict[str, Any] | None) -> str:
    return (f"run folder {folder}/ is in use by another leadsim process ({describe_owner(owner)}); "
            f"wait for it to finish, or choose another folder with --out "
            f"(the lock file is {folder / LOCK_NAME})")
