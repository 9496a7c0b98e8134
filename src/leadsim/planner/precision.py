"""Run replications in batches until a metric's confidence interval is narrow enough.

``--precision conversion_rate=0.005`` asks for the 95% interval of
``conversion_rate`` to have a half-width of at most 0.005 (for ``leadsim
compare``: the half-width of the paired difference from the base, for every
what-if). The rule:

1. run a first batch (the ``--replications`` asked for, at least
   :data:`MIN_FIRST_BATCH`);
2. measure the half-width h after n replications; stop if h <= target or the
   maximum is reached;
3. otherwise estimate the spread s of the values from h (h = t * s / sqrt(n)),
   find the m at which t(m - 1) * s / sqrt(m) would reach the target, run
   enough more replications to reach 1.1 m (at least a quarter more, at least
   2, never beyond the maximum), and go to 2.

Batch sizes depend only on results, never on ``--jobs``, so a precision run is
as reproducible as any other. Replications are numbered on from batch to batch
(0..9, then 10..23, ...), so a longer run extends a shorter one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from leadsim.planner.parallel import Interrupted, Reporter, null_reporter
from leadsim.planner.replicate import RepSummary, run_grid
from leadsim.planner.specs import SpecError, check_metric, parse_number
from leadsim.planner.stats import summarize

#: A precision run starts with at least this many replications.
MIN_FIRST_BATCH = 10

#: Grid of summaries: ``grid[i]`` holds scenario i's replications, in order.
Grid = list[list[RepSummary]]


@dataclass(frozen=True)
class PrecisionTarget:
    """A target half-width for one metric's 95% interval."""

    metric: str
    half_width: float


@dataclass(frozen=True)
class PrecisionOutcome:
    """How a precision run ended.

    Attributes:
        target: what was asked.
        half_width: the half-width reached (None if still undefined).
        replications: replications run per scenario.
        reached: whether half_width <= target.
    """

    target: PrecisionTarget
    half_width: float | None
    replications: int
    reached: bool

    def describe(self) -> str:
        """One sentence for the terminal."""
        got = "undefined" if self.half_width is None else f"{self.half_width:.4g}"
        if self.reached:
            return (f"precision reached: {self.target.metric} half-width {got} <= "
                    f"{self.target.half_width:g} after {self.replications} replications")
        return (f"precision NOT reached: {self.target.metric} half-width {got} > "
                f"{self.target.half_width:g} after the maximum of {self.replications} replications")


def parse_precision(text: str) -> PrecisionTarget:
    """Parse ``METRIC=HALFWIDTH`` (e.g. ``conversion_rate=0.005``).

    Raises:
        SpecError: for a missing ``=``, an unknown metric or a half-width that is not > 0.
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise SpecError(f"--precision {text!r}: expected METRIC=HALFWIDTH, "
                        "e.g. --precision conversion_rate=0.005")
    metric = check_metric(name.strip(), f"--precision {text!r}")
    half = parse_number(value, "--precision", text)
    if half <= 0:
        raise SpecError(f"--precision {text!r}: the half-width must be > 0")
    return PrecisionTarget(metric, half)


def half_width(values: Sequence[float]) -> float | None:
    """Half-width of the 95% Student-t interval of the mean (None if undefined)."""
    s = summarize(values)
    if s.ci_low is None or s.ci_high is None:
        return None
    return (s.ci_high - s.ci_low) / 2.0


def next_total(done: int, half: float | None, target: float, maximum: int) -> int:
    """How many replications to have after the next batch (see the module docstring).

    The spread is recovered from the half-width, ``s = half * sqrt(n) / t(n-1)``,
    and the projection solves ``t(m-1) * s / sqrt(m) <= target`` for m, so the
    wide t quantile of a small first batch is not carried into the projection.
    """
    if half is None:
        wanted = 2 * done
    else:
        spread = half * math.sqrt(done) / _t975(done - 1)
        needed = done
        while needed < maximum and _t975(needed - 1) * spread / math.sqrt(needed) > target:
            needed += 1
        wanted = math.ceil(1.1 * needed)
    wanted = max(wanted, done + max(2, math.ceil(done / 4)))
    return min(wanted, maximum)


def _t975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom."""
    from leadsim.planner.stats import t_quantile

    return t_quantile(0.975, max(df, 1))


def run_until_precise(
    scenarios: Sequence[Any],
    seed: int,
    target: PrecisionTarget,
    measure: Callable[[Grid], float | None],
    first: int,
    maximum: int,
    jobs: int = 1,
    reporter: Reporter = null_reporter,
    label: str = "replications",
    keep_first: bool = False,
) -> tuple[Grid, PrecisionOutcome]:
    """Run replications of ``scenarios`` in batches until ``measure(grid) <= target``.

    Args:
        scenarios: the resolved scenarios (one for ``run``; base and what-ifs for ``compare``).
        seed: root seed.
        target: the precision asked for.
        measure: the half-width to judge, from the grid so far (None if undefined).
        first: replications asked for (the first batch is at least :data:`MIN_FIRST_BATCH`).
        maximum: never run more replications than this per scenario.
        jobs: worker processes.
        reporter: progress display (one bar per batch).
        label: progress label prefix.
        keep_first: keep replication 0's RunResult (see :func:`run_grid`).

    Returns:
        The grid and the outcome.

    Raises:
        Interrupted: on Ctrl-C, with ``done`` the grid of every finished replication.
    """
    grid: Grid = [[] for _ in scenarios]
    total = min(max(first, MIN_FIRST_BATCH), maximum)
    while True:
        done = len(grid[0])
        batch = range(done, total)
        try:
            with reporter(f"{label} {batch.start + 1}-{batch.stop}", len(batch) * len(scenarios)) as bar:
                more = run_grid(scenarios, batch, seed, jobs=jobs, progress=bar, keep_first=keep_first)
        except Interrupted as stop:
            raise Interrupted([g + d for g, d in zip(grid, stop.done)], maximum) from None
        grid = [g + m for g, m in zip(grid, more)]
        half = measure(grid)
        reached = half is not None and half <= target.half_width
        if reached or total >= maximum:
            return grid, PrecisionOutcome(target, half, total, reached)
        total = next_total(total, half, target.half_width, maximum)


def metric_half_width(metric: str) -> Callable[[Grid], float | None]:
    """``measure`` for one scenario: the half-width of ``metric``'s interval."""

    def measure(grid: Grid) -> float | None:
        return half_width([s.metrics[metric] for s in grid[0]])

    return measure


def check_maximum(first: int, maximum: int) -> None:
    """Reject a maximum below the replications asked for.

    Raises:
        SpecError: if ``maximum < first``.
    """
    if maximum < first:
        raise SpecError(f"--max-replications {maximum} is below --replications {first}")
