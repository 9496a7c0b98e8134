"""Progress of long work on stderr: a bar on a terminal, plain lines elsewhere.

On a terminal, a click progress bar with the position and an ETA. When stderr
is a file or a pipe (a log, CI, a test), a bar would print only its label, so
plain lines are printed instead::

    baseline: replications 0/10
    baseline: replications 1/10 (10%), 4 s elapsed, ETA 36 s
    ...
    baseline: replications 10/10 (100%), 40 s elapsed

A line is printed when the work starts, when the first unit finishes, at
every 10% and at least every ``every_seconds`` while units finish, and at the
end. Every line is flushed at once, so another program (or a test) can wait
for it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

#: Plain-text progress: a line at least this often (seconds) while units finish.
EVERY_SECONDS = 5.0
#: ... and at every this fraction of the work.
EVERY_FRACTION = 0.1


def format_seconds(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``2 h 07 min``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def progress_line(label: str, done: int, total: int, elapsed: float) -> str:
    """One plain progress line (see the module docstring for the form)."""
    if done <= 0:
        return f"{label} 0/{total}"
    pct = 100.0 * done / total if total else 100.0
    line = f"{label} {done}/{total} ({pct:.0f}%), {format_seconds(elapsed)} elapsed"
    if done < total:
        line += f", ETA {format_seconds(elapsed / done * (total - done))}"
    return line


class PlainProgress:
    """Feed it "done so far" counts; it prints a line when one is due (see the module docstring)."""

    def __init__(self, label: str, total: int, stream: TextIO,
                 clock: Callable[[], float] = time.monotonic,
                 every_seconds: float = EVERY_SECONDS, every_fraction: float = EVERY_FRACTION) -> None:
        self.label, self.total, self.stream, self.clock = label, total, stream, clock
        self.every_seconds = every_seconds
        self.step = max(1, int(total * every_fraction)) if total > 0 else 1
        self.started = clock()
        self.last_time = self.started
        self.last_done = 0
        self._print(0)

    def _print(self, done: int) -> None:
        now = self.clock()
        self.stream.write(progress_line(self.label, done, self.total, now - self.started) + "\n")
        self.stream.flush()
        self.last_time, self.last_done = now, done

    def update(self, done: int) -> None:
        """Record that ``done`` units have finished; print a line if one is due."""
        if done <= self.last_done:
            return
        due = (self.last_done == 0 or done >= self.total
               or done // self.step > self.last_done // self.step
               or self.clock() - self.last_time >= self.every_seconds)
        if due:
            self._print(done)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def stderr_reporter(label: str, total: int, stream: TextIO | None = None,
                    interactive: bool | None = None) -> Iterator[Callable[[int], None]]:
    """A planner Reporter: show progress of ``total`` units under ``label`` on stderr.

    Args:
        label: what is being done (e.g. ``"baseline: replications"``).
        total: the number of units.
        stream: where to write (default ``sys.stderr``).
        interactive: draw a bar (True) or print plain lines (False); default:
            a bar when the stream is a terminal.

    Yields:
        A function taking the number of units finished so far.
    """
    out = stream if stream is not None else sys.stderr
    if interactive is None:
        interactive = _is_terminal(out)
    if interactive:
        import click

        with click.progressbar(length=total, label=label, file=out, show_eta=True, show_pos=True) as bar:
            last = [0]

            def advance(done: int) -> None:
                bar.update(done - last[0])
                last[0] = done

            yield advance
        return
    plain = PlainProgress(label, total, out)
    yield plain.update
