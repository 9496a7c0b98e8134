"""Run many independent tasks in worker processes, in a fixed order, and survive Ctrl-C.

Every long planner job (replications, compare, sweeps, staffing searches) is a
list of independent calls ``fn(*args)``. :func:`run_tasks` runs them in this
process (``jobs=1``) or in a pool of worker processes, and always returns the
results in task order, so nothing downstream can depend on which worker
finished first: results are bit-identical for any ``jobs``.

Ctrl-C and SIGTERM: workers ignore SIGINT (only the main process reacts to
it; the command line turns SIGTERM and SIGHUP into the same KeyboardInterrupt,
see :mod:`leadsim.interrupts`). When it comes, queued tasks are cancelled,
running workers are stopped, and :class:`Interrupted` is raised carrying every
task that had already finished; callers turn those into partial results
instead of losing them. Workers die with the main process however it ends,
even on ``kill -9`` (:func:`leadsim.interrupts.die_with_parent`): no orphans.

Progress: long jobs report through a :data:`Reporter`, a callable that opens a
progress display for ``total`` units under a label and yields a function taking
the number of units finished so far. The command line draws click progress bars
on stderr; library users and tests get :func:`null_reporter`.
"""

from __future__ import annotations

import contextlib
import os
import queue
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from leadsim.interrupts import (
    die_with_parent,
    polled,
    raise_if_signalled,
    received,
    worker_signals,
)

T = TypeVar("T")

#: Called with the number of units finished so far (1..total), in completion order.
ProgressFn = Callable[[int], None]

#: Opens a progress display: ``reporter(label, total)`` is a context manager yielding a ProgressFn.
Reporter = Callable[[str, int], AbstractContextManager[ProgressFn]]


@contextlib.contextmanager
def _null_progress(label: str, total: int) -> Iterator[ProgressFn]:
    del label, total
    yield lambda done: None


#: A Reporter that shows nothing.
null_reporter: Reporter = _null_progress


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a job; ``done`` holds what had finished.

    It is a KeyboardInterrupt, so code that does not handle it still stops as
    on Ctrl-C. What ``done`` holds depends on who raised it: :func:`run_tasks`
    gives ``{task index: result}``; higher-level planners re-raise it with their
    own partial results (documented where they do).

    Attributes:
        done: the finished part of the job.
        total: how many units the job had in all.
        grid: the raw per-scenario replication summaries behind ``done``, when
            the raiser has them (compare: to write each scenario's metrics).
    """

    def __init__(self, done: Any, total: int, grid: Any = None) -> None:
        super().__init__(f"interrupted after {_size(done)} of {total}")
        self.done = done
        self.total = total
        self.grid = grid


def _size(done: Any) -> int:
    try:
        return len(done)
    except TypeError:
        return 0


def _init_worker(parent: int) -> None:
    """Worker initializer: signals are the main process's business; die with it."""
    worker_signals()
    die_with_parent(parent)


#: How often the main process looks for a signal while it waits for workers.
_POLL_SECONDS = 0.25

#: Seconds to wait for a terminated worker before killing it outright.
_TERMINATE_GRACE = 5.0


def _stop(pool: ProcessPoolExecutor | None, kill: bool) -> None:
    """Cancel queued tasks; with ``kill``, also stop the running workers at once."""
    if pool is None:
        return
    # The executor has no public way to stop a running task; its worker processes
    # are ours, so terminate them rather than wait for long runs to finish. Take
    # them before shutdown(), which forgets them.
    processes = list((getattr(pool, "_processes", None) or {}).values()) if kill else []
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    for process in processes:
        # Reap them (no zombie, no orphan); one that ignores SIGTERM gets SIGKILL.
        with contextlib.suppress(Exception):
            process.join(_TERMINATE_GRACE)
            if process.is_alive():
                process.kill()
                process.join(_TERMINATE_GRACE)


def run_tasks(
    fn: Callable[..., T],
    tasks: Sequence[tuple[Any, ...]],
    jobs: int = 1,
    progress: ProgressFn | None = None,
) -> list[T]:
    """Run ``fn(*args)`` for every ``args`` in ``tasks``; results in task order.

    Args:
        fn: the function; for ``jobs > 1`` it and its arguments must be picklable
            (a module-level function).
        tasks: one argument tuple per call.
        jobs: worker processes; 1 (or a single task) runs in this process.
        progress: called with the number of tasks finished so far after each one.

    Returns:
        ``[fn(*tasks[0]), fn(*tasks[1]), ...]`` whatever ``jobs`` is.

    Raises:
        ValueError: if jobs < 1.
        Interrupted: on Ctrl-C, with ``done = {task index: result}`` of the
            tasks that had finished.
        Exception: whatever ``fn`` raised first (queued tasks are cancelled).
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    workers = min(jobs, len(tasks))
    if workers <= 1:
        return _run_serial(fn, tasks, progress)
    return _run_parallel(fn, tasks, workers, progress)


def _run_serial(fn: Callable[..., T], tasks: Sequence[tuple[Any, ...]],
                progress: ProgressFn | None) -> list[T]:
    results: list[T] = []
    try:
        for args in tasks:
            results.append(fn(*args))
            if progress is not None:
                progress(len(results))
            raise_if_signalled()
    except KeyboardInterrupt:
        raise Interrupted(dict(enumerate(results)), len(tasks)) from None
    return results


def _run_parallel(fn: Callable[..., T], tasks: Sequence[tuple[Any, ...]], workers: int,
                  progress: ProgressFn | None) -> list[T]:
    done: dict[int, T] = {}
    pool: ProcessPoolExecutor | None = None
    try:
        # The handler only records signals here (raising inside concurrent.futures' lock
        # handling could hang the process); the loop acts on them at its safe points.
        with polled():
            pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(os.getpid(),))
            futures: dict[Future[T], int] = {pool.submit(fn, *args): i for i, args in enumerate(tasks)}
            finished: queue.SimpleQueue[Future[T]] = queue.SimpleQueue()
            for future in futures:
                future.add_done_callback(finished.put)
            count = 0
            while count < len(futures):
                raise_if_signalled()
                try:
                    future = finished.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    continue
                # Slot results by task index, so the order of completion never leaks out.
                done[futures[future]] = future.result()
                count += 1
                if progress is not None:
                    progress(count)
    except KeyboardInterrupt:
        _stop(pool, kill=True)
        raise Interrupted(done, len(tasks)) from None
    except BrokenProcessPool:
        _stop(pool, kill=True)
        if received() is not None:
            # A signal to the whole process group (systemd, timeout) killed the
            # workers too: that is an interruption, not a crash.
            raise Interrupted(done, len(tasks)) from None
        raise
    except BaseException:
        _stop(pool, kill=False)
        raise
    assert pool is not None
    pool.shutdown(wait=True)
    return [done[i] for i in range(len(tasks))]
