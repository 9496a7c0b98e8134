"""Run leadsim in a child process and signal it on EVENTS, never after a fixed delay.

A test starts the command line (``python -m leadsim ...``, see
:func:`leadsim_command`) in its own session,
waits for a line on its stderr (a progress line such as
``erlang_c: replications 3/5000 ...``), sends a signal, and then checks the
exit status, the run folder and that no worker process survived. Every wait
is for something to happen, bounded by a generous limit that only a broken
program reaches; nothing sleeps for a guessed duration.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import leadsim

#: Upper bound for any wait: reached only when the awaited event never happens.
LIMIT = 240.0

#: A progress line saying at least one unit of work has finished.
SOME_DONE = r" ([1-9]\d*)/(\d+) \("


#: ``python -m leadsim``, with SIGINT given back to Python's default handler first: a test
#: run started as a background job of a non-interactive shell ignores SIGINT, its children
#: inherit that, and leadsim (like Python itself) leaves an ignored SIGINT ignored.
LAUNCH = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
          "runpy.run_module('leadsim', run_name='__main__', alter_sys=True)")

#: Put first in a ``python -c`` script that the tests interrupt with SIGINT (see LAUNCH).
SIGINT_DEFAULT = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"


def leadsim_command(*args: str) -> list[str]:
    """The command line that runs ``leadsim ARGS`` in a child process (see :data:`LAUNCH`)."""
    return [sys.executable, "-c", LAUNCH, *args]


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child leadsim: this checkout's src/ first on PYTHONPATH."""
    env = dict(os.environ)
    src = str(Path(leadsim.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([src, *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    env.update(extra or {})
    return env


class CliProcess:
    """A running ``python -m leadsim ARGS`` (or ``python -c CODE ARGS``) with its output collected."""

    def __init__(self, args: Sequence[str], code: str | None = None, cwd: Path | None = None) -> None:
        command = [sys.executable, "-c", SIGINT_DEFAULT + code, *args] if code is not None \
            else leadsim_command(*args)
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True, env=child_env(), cwd=cwd)
        self.pid = self.proc.pid
        self._err: list[str] = []
        self._out: list[str] = []
        self._changed = threading.Condition()
        self._readers = [threading.Thread(target=self._pump, args=(self.proc.stderr, self._err), daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stdout, self._out), daemon=True)]
        for reader in self._readers:
            reader.start()

    def _pump(self, stream: Any, into: list[str]) -> None:
        for line in iter(stream.readline, ""):
            with self._changed:
                into.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    def wait_for(self, pattern: str, limit: float = LIMIT) -> re.Match[str]:
        """Block until a stderr line matches ``pattern``; fail if the process ends first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + limit
        with self._changed:
            while True:
                for line in self._err:
                    found = regex.search(line)
                    if found:
                        return found
                if self.proc.poll() is not None and not any(r.is_alive() for r in self._readers):
                    raise AssertionError(f"leadsim exited ({self.proc.returncode}) before printing "
                                         f"{pattern!r}; stderr:\n{self.stderr}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line matching {pattern!r} in {limit:.0f} s; stderr:\n{self.stderr}")
                self._changed.wait(min(left, 1.0))

    def signal(self, signum: int, group: bool = False) -> None:
        """Send ``signum`` to leadsim (``group``: to its whole process group, as a terminal's Ctrl-C does)."""
        if group:
            os.killpg(self.pid, signum)
        else:
            os.kill(self.pid, signum)

    def finish(self, limit: float = LIMIT) -> int:
        """Wait for leadsim to exit; return its exit status (negative: killed by that signal)."""
        code = self.proc.wait(timeout=limit)
        for reader in self._readers:
            reader.join(limit)
        return code


def process_state(pid: int) -> str | None:
    """The state letter of a process (R, S, D, Z, ...) from /proc, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2:].split()[0]


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (a scan of /proc: no psutil needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def wait_for_children(pid: int, count: int, limit: float = LIMIT) -> list[int]:
    """Poll until ``pid`` has at least ``count`` live children; return them."""
    deadline = time.monotonic() + limit
    while True:
        found = children(pid)
        if len(found) >= count:
            return found
        if process_state(pid) in (None, "Z") or time.monotonic() > deadline:
            raise AssertionError(f"process {pid} never had {count} children (has {found})")
        time.sleep(0.02)


def wait_gone(pids: Sequence[int], limit: float = LIMIT) -> list[int]:
    """Poll until every pid has exited (gone, or a zombie nobody reaped); return those still alive."""
    deadline = time.monotonic() + limit
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if process_state(p) not in (None, "Z", "X")]
        if alive:
            time.sleep(0.02)
    return alive


def kill_leftovers(pids: Sequence[int]) -> None:
    """Clean-up after a failed test: never leave processes behind on a shared machine."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
