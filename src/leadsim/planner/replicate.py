"""Run a scenario's replications (optionally in parallel) and aggregate their metrics.

Replication r of a run with root seed s is ``simulate(scenario, seed=s,
replication=r)``; the simulator derives its streams from ``(s, r)`` alone, so
results do not depend on which process ran which replication or in what order.
Results are always returned in replication order, hence the same aggregate for
any number of worker processes.

Two levels:

* :func:`run_replications` returns whole :class:`RunResult` logs (what a caller
  that writes leads.csv needs).
* :func:`run_grid` runs several scenarios (what-ifs, sweep points, candidate
  headcounts) over the same replications and returns, per scenario, compact
  :class:`RepSummary` objects: metrics are computed in the worker, so only a
  few kilobytes travel back per replication. Using the same seed and
  replication numbers for every scenario is what makes comparisons paired
  (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from leadsim.planner.parallel import Interrupted, ProgressFn, run_tasks
from leadsim.planner.stats import summarize
from leadsim.simulator.metrics import METRICS_BY_NAME, compute_all, conversions_by_attempt
from leadsim.simulator.results import CHANNELS, LEAD_STATUSES, RunResult, counted_leads

_CENSORED = LEAD_STATUSES.index("censored")
_CALL = CHANNELS.index("call")


class SimulateFn(Protocol):
    """The shape of ``leadsim.simulator.run.simulate``."""

    def __call__(self, scenario: Any, *, seed: int, replication: int) -> RunResult: ...


def _default_simulate() -> SimulateFn:
    # Imported lazily: the planner must stay importable (and testable with a fake)
    # without building the simulator.
    from leadsim.simulator.run import simulate

    return simulate


# ---------------------------------------------------------------- one replication


@dataclass(frozen=True)
class RepSummary:
    """What the planner keeps of one replication.

    Attributes:
        replication: replication index.
        metrics: every overall metric (``compute_all(result)["metrics"]``), NaN if undefined.
        by_source: the same per source.
        conversions_by_attempt: cumulative share of conversions by attempt number.
        censored: counted leads still open when the run ended.
        floor: facts about the floor used to explain staffing answers (see :func:`floor_facts`).
        result: the whole RunResult, only when asked for (the logs ``leadsim run`` writes).
    """

    replication: int
    metrics: dict[str, float]
    by_source: dict[str, dict[str, float]]
    conversions_by_attempt: list[float]
    censored: int
    floor: dict[str, float] = field(default_factory=dict)
    result: RunResult | None = None


def _censored(result: RunResult) -> int:
    return int(np.count_nonzero(counted_leads(result) & (result.leads.status == _CENSORED)))


def floor_facts(result: RunResult) -> dict[str, float]:
    """Facts that tell a queueing formula's world from the simulated floor's.

    Returns:
        ``arrival_rate_per_min``: counted leads per minute of the measured window;
        ``first_attempt_handle_min``: mean rep minutes of a counted lead's first call;
        ``retry_time_share``: share of rep call time on attempts 2, 3, ...;
        ``on_duty_share``: reps' available time (shifts less lunch, breaks and
        shrinkage) over headcount x window length. NaN where undefined.
    """
    calls = result.attempts
    start, end = result.window
    minutes = max(end - start, 0.0)
    counted = counted_leads(result)
    on_call = calls.channel == _CALL
    if on_call.any():
        on_call &= counted[calls.lead]
    first = on_call & (calls.attempt == 1)
    call_time = float(calls.duration[on_call].sum())
    retry_time = float(calls.duration[on_call & (calls.attempt > 1)].sum())
    heads = int(result.reps.available_minutes.size)
    nan = float("nan")
    return {
        "arrival_rate_per_min": float(counted.sum()) / minutes if minutes > 0 else nan,
        "first_attempt_handle_min": float(calls.duration[first].mean()) if first.any() else nan,
        "retry_time_share": retry_time / call_time if call_time > 0 else nan,
        "on_duty_share": float(result.reps.available_minutes.sum()) / (heads * minutes)
        if heads and minutes > 0 else nan,
    }


def summarize_result(result: RunResult, keep: bool = False) -> RepSummary:
    """Reduce one replication's logs to a :class:`RepSummary` (``keep``: also keep the logs)."""
    computed = compute_all(result)
    return RepSummary(
        replication=result.replication,
        metrics=computed["metrics"],
        by_source=computed["by_source"],
        conversions_by_attempt=conversions_by_attempt(result),
        censored=_censored(result),
        floor=floor_facts(result),
        result=result if keep else None,
    )


def evaluate(scenario: Any, seed: int, replication: int, keep: bool = False,
             simulate: SimulateFn | None = None) -> RepSummary:
    """Simulate one replication and summarise it (the unit of work of a worker process).

    Args:
        scenario: the resolved scenario.
        seed: root seed.
        replication: replication index.
        keep: keep the whole RunResult in the summary.
        simulate: the simulator (default ``leadsim.simulator.run.simulate``).
    """
    fn = simulate if simulate is not None else _default_simulate()
    return summarize_result(fn(scenario, seed=seed, replication=replication), keep=keep)


# ---------------------------------------------------------------- running many


def _call_simulate(fn: SimulateFn, scenario: Any, seed: int, replication: int) -> RunResult:
    return fn(scenario, seed=seed, replication=replication)


def run_replications(
    scenario: Any,
    replications: int,
    seed: int,
    jobs: int = 1,
    progress: ProgressFn | None = None,
    simulate: SimulateFn | None = None,
) -> list[RunResult]:
    """Run replications 0..R-1 of a scenario.

    Args:
        scenario: the resolved scenario (a ``Scenario``; must be picklable for jobs > 1).
        replications: number of replications R (>= 1).
        seed: the root seed shared by all replications.
        jobs: worker processes; 1 runs everything in this process.
        progress: called once per finished replication with the number of
            replications finished so far (1..R), in completion order.
        simulate: the function that runs one replication; defaults to
            ``leadsim.simulator.run.simulate``. For jobs > 1 it must be picklable
            (a module-level function).

    Returns:
        One RunResult per replication, in replication order whatever ``jobs`` is.

    Raises:
        ValueError: if replications < 1 or jobs < 1.
        Interrupted: on Ctrl-C; ``done`` maps replication index -> RunResult of
            the replications that had finished.
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    fn = simulate if simulate is not None else _default_simulate()
    tasks = [(fn, scenario, seed, r) for r in range(replications)]
    return run_tasks(_call_simulate, tasks, jobs=jobs, progress=progress)


def run_grid(
    scenarios: Sequence[Any],
    replications: Sequence[int],
    seed: int,
    jobs: int = 1,
    progress: ProgressFn | None = None,
    keep_first: bool = False,
    simulate: SimulateFn | None = None,
) -> list[list[RepSummary]]:
    """Run the same replications of several scenarios (common random numbers).

    Tasks are queued replication by replication (replication r of every scenario
    before replication r + 1 of any), so an interrupted grid leaves mostly
    complete pairs behind.

    Args:
        scenarios: the resolved scenarios.
        replications: the replication indices to run (e.g. ``range(10)``, or
            ``range(10, 25)`` for a further batch).
        seed: the root seed, the same for every scenario.
        jobs: worker processes.
        progress: called with the number of (scenario, replication) runs finished.
        keep_first: keep the whole RunResult of replication 0 of each scenario.
        simulate: the simulator (a picklable function; default the real one).

    Returns:
        ``grid[i]``: the summaries of scenario i, in the order of ``replications``.

    Raises:
        Interrupted: on Ctrl-C; ``done`` is the grid of finished summaries (each
            scenario's list in replication order, possibly of different lengths).
    """
    reps = list(replications)
    tasks = [
        (scenario, seed, r, keep_first and r == 0, simulate)
        for r in reps
        for scenario in scenarios
    ]
    n = len(scenarios)
    try:
        flat = run_tasks(evaluate, tasks, jobs=jobs, progress=progress)
    except Interrupted as stop:
        grid: list[list[RepSummary]] = [[] for _ in scenarios]
        for index in sorted(stop.done):
            grid[index % n].append(stop.done[index])
        raise Interrupted(grid, len(tasks)) from None
    return [flat[i::n] for i in range(n)]


# ---------------------------------------------------------------- aggregation


def _none_if_nan(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _summarize_block(per_rep: list[dict[str, float]]) -> dict[str, dict[str, Any]]:
    """Summaries of one metric dictionary per replication -> the metrics.json block."""
    block: dict[str, dict[str, Any]] = {}
    for name in per_rep[0]:
        summary = summarize([values[name] for values in per_rep])
        block[name] = {
            "mean": _none_if_nan(summary.mean),
            "ci_low": _none_if_nan(summary.ci_low),
            "ci_high": _none_if_nan(summary.ci_high),
            "unit": METRICS_BY_NAME[name].unit if name in METRICS_BY_NAME else "",
        }
    return block


def _mean_cumulative(curves: list[list[float]]) -> list[float | None]:
    """Mean of cumulative curves of different lengths.

    A curve that ends at attempt k stays at its last value afterwards (no later
    conversion), so shorter curves are padded with their last value; replications
    without any conversion have no curve and are left out.
    """
    curves = [c for c in curves if c]
    if not curves:
        return []
    width = max(len(c) for c in curves)
    table = np.array([c + [c[-1]] * (width - len(c)) for c in curves], dtype=np.float64)
    return [_none_if_nan(float(x)) for x in table.mean(axis=0)]


def aggregate_summaries(summaries: Sequence[RepSummary], scenario_name: str,
                        seed: int) -> dict[str, Any]:
    """Build the metrics.json document from replication summaries (see :func:`aggregate`)."""
    if not summaries:
        raise ValueError("aggregate needs at least one replication")
    sources = list(summaries[0].by_source)
    return {
        "scenario": scenario_name,
        "seed": int(seed),
        "replications": len(summaries),
        "metrics": _summarize_block([s.metrics for s in summaries]),
        "by_source": {
            name: _summarize_block([s.by_source[name] for s in summaries]) for name in sources
        },
        "conversions_by_attempt": _mean_cumulative([list(s.conversions_by_attempt) for s in summaries]),
        "censored_leads": sum(s.censored for s in summaries),
    }


def aggregate(results: list[RunResult], scenario_name: str, seed: int) -> dict[str, Any]:
    """Build the metrics.json document from a run's replications.

    Each metric's ``mean`` is the mean over replications of its per-replication
    value, with a 95% Student-t interval (null with one replication); a
    replication in which the metric is undefined (NaN) is left out of it.

    Args:
        results: the replications, in replication order (at least one).
        scenario_name: the scenario's name.
        seed: the root seed.

    Returns:
        ``{"scenario", "seed", "replications", "metrics": {NAME: {"mean", "ci_low",
        "ci_high", "unit"}}, "by_source": {SOURCE: {NAME: {...}}},
        "conversions_by_attempt": [mean cumulative share per attempt],
        "censored_leads": total censored counted leads over all replications}``.
        Only JSON types; undefined numbers are None, so
        ``json.dumps(doc, allow_nan=False)`` works.

    Raises:
        ValueError: if results is empty.
    """
    if not results:
        raise ValueError("aggregate needs at least one replication")
    return aggregate_summaries([summarize_result(r) for r in results], scenario_name, seed)
