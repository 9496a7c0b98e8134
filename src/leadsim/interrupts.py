"""Signals for long commands: Ctrl-C, SIGTERM and SIGHUP stop work cleanly, everywhere.

A command that simulates for minutes must never lose finished work to a
signal, and must exit with the status a shell expects (128 + the signal's
number: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP). This module has no
leadsim imports, so every layer may use it.

* :func:`handling_signals` (a context manager, main thread) turns SIGINT,
  SIGTERM and SIGHUP into :class:`Terminated`, a ``KeyboardInterrupt``: code
  that already keeps finished work on Ctrl-C (the replication loop) does the
  same for SIGTERM. :func:`exit_status` says which status to exit with.
* :func:`deferred` protects a short critical section (writing the run
  folder): the first signal inside it is remembered and raised when the
  section ends, so the files are written in full; a second signal stops at once.
* :func:`polled` is for loops that wait on other threads' locks (a process
  pool): there an exception raised at a random point could leave a lock held
  and hang the process, so the handler only records the signal and the loop
  calls :func:`raise_if_signalled` at safe points. Loops also call it where
  the handler did raise, in case Python swallowed the exception (raised in an
  at-fork hook or a gc callback, where Python only prints it).
* :func:`die_with_parent` makes a worker process die when its parent dies,
  even on ``kill -9`` of the parent (Linux: ``PR_SET_PDEATHSIG``; elsewhere a
  watchdog thread that notices the parent is gone).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

#: The signals a command handles like Ctrl-C (SIGHUP where the platform has it).
HANDLED: tuple[signal.Signals, ...] = tuple(
    s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None
)

_received: list[int] = []  # signals received since handling_signals() started, in order
#: What the handler does: "raise" (at once), "defer" (the first signal waits for the end
#: of a deferred() block), "poll" (record only; the code calls raise_if_signalled()).
_mode: list[str] = ["raise"]
_notice: list[Callable[[int], None] | None] = [None]


class Terminated(KeyboardInterrupt):
    """A termination signal arrived; it is a KeyboardInterrupt so Ctrl-C handling applies.

    Attributes:
        signum: the signal's number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal_name(signum)}")
        self.signum = signum


def signal_name(signum: int) -> str:
    """``SIGTERM`` for 15, and so on."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def received() -> int | None:
    """The first signal received under :func:`handling_signals`, or None."""
    return _received[0] if _received else None


def exit_status(default: int = 130) -> int:
    """The exit status for an interrupted command: 128 + the signal received (``default`` if none).

    A plain ``KeyboardInterrupt`` raised without a signal (tests, a debugger)
    gives ``default``, the shell's status for Ctrl-C.
    """
    signum = received()
    return default if signum is None else 128 + signum


def _on_signal(signum: int, frame: FrameType | None) -> None:
    del frame
    _received.append(signum)
    if _mode[0] == "poll":
        return  # the loop acts on it at its next safe point
    if _mode[0] == "defer" and len(_received) == 1:
        # Inside a critical section: remember it, finish the section, then stop.
        if _notice[0] is not None:
            _notice[0](signum)
        return
    raise Terminated(signum)


@contextlib.contextmanager
def handling_signals() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`Terminated`.

    Outside the main thread (where Python cannot install handlers) this does
    nothing. The previous handlers are restored on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in HANDLED}
    _received.clear()
    try:
        for s in HANDLED:
            if previous[s] is not signal.SIG_IGN:  # e.g. nohup: SIGHUP stays ignored
                signal.signal(s, _on_signal)
        yield
    finally:
        for s, handler in previous.items():
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        _received.clear()  # nothing outside the block may act on these any more


def raise_if_signalled() -> None:
    """Raise :class:`Terminated` if a signal was received whose exception got lost.

    The handler raises in whatever Python code runs when the signal arrives;
    if that is a callback whose exceptions Python only prints (an at-fork
    hook, a gc callback, ``__del__``), the exception never reaches the loop
    that should stop. Loops call this between units of work so the signal is
    acted on anyway.
    """
    if _received and _mode[0] != "defer":
        raise Terminated(_received[0])


@contextlib.contextmanager
def polled() -> Iterator[None]:
    """Within the block the handler only records signals; call :func:`raise_if_signalled` often.

    For code that waits on locks shared with other threads (``concurrent.futures``):
    an exception raised inside their ``with lock:`` machinery can leave a lock
    held and hang the whole process at exit. Has no effect inside :func:`deferred`.
    """
    if _mode[0] != "raise":
        yield
        return
    _mode[0] = "poll"
    try:
        yield
    finally:
        _mode[0] = "raise"


@contextlib.contextmanager
def deferred(notice: Callable[[int], None] | None = None) -> Iterator[None]:
    """Finish the block before reacting to a signal (a second signal stops at once).

    Use it around short critical work such as writing the run folder. It only
    has an effect under :func:`handling_signals`.

    Args:
        notice: called with the signal's number when the first one arrives
            inside the block (e.g. to print "finishing writing").

    Raises:
        Terminated: when the block ends, if a signal arrived inside it.
    """
    if _mode[0] != "raise":
        yield
        return
    before = len(_received)
    _mode[0], _notice[0] = "defer", notice
    try:
        yield
    finally:
        _mode[0], _notice[0] = "raise", None
    if len(_received) > before:
        raise Terminated(_received[before])


# ---------------------------------------------------------------- worker processes

_PR_SET_PDEATHSIG = 1


def _set_parent_death_signal(signum: int) -> bool:
    """Linux: ask the kernel to send ``signum`` to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # here, not at the top: only worker processes need it

    try:
        # dlopen(NULL): the process's own symbols, libc's prctl among them (find_library
        # would start a subprocess in every worker).
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _parent_alive(parent: int) -> bool:
    if os.getppid() != parent:  # reparented: the parent is gone
        return False
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch_parent(parent: int, every: float) -> None:
    stop = threading.Event()
    while not stop.wait(every):
        if not _parent_alive(parent):
            os._exit(1)


def die_with_parent(parent: int, poll_seconds: float = 1.0) -> None:
    """Make this (worker) process exit when ``parent`` exits, however it exits.

    On Linux the kernel sends SIGKILL the moment the parent dies
    (``prctl(PR_SET_PDEATHSIG)``), even after ``kill -9`` of the parent. Where
    that is not available, a daemon thread checks every ``poll_seconds``
    whether the parent is still there. Either way, a parent that died before
    this call is noticed at once.

    Args:
        parent: the pid of the process whose death must end this one.
        poll_seconds: the watchdog's period (fallback only).
    """
    # With the forkserver or spawn start methods the direct parent may be a
    # helper process; it ends when ``parent`` does, so watching it is enough.
    direct = os.getppid()
    if not _set_parent_death_signal(signal.SIGKILL):
        threading.Thread(target=_watch_parent, args=(direct, poll_seconds), daemon=True,
                         name="leadsim-parent-watch").start()
    if not _parent_alive(direct) or (parent != direct and not _pid_exists(parent)):
        os._exit(1)


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_signals() -> None:
    """Signal dispositions for a worker process: the parent alone decides when to stop.

    SIGINT is ignored (a terminal's Ctrl-C reaches the whole process group; the
    main process reacts and stops the workers), SIGTERM and SIGHUP take their
    default action (a worker told to stop, stops), whatever handlers the
    parent had when it forked.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for s in HANDLED:
        if s != signal.SIGINT:
            signal.signal(s, signal.SIG_DFL)
