"""Run a scenario's replications (optionally in parallel) and aggregate their metrics.

Replication r of a run with root seed s is ``simulate(scenario, seed=s,
replication=r)``; the simulator derives its streams from ``(s, r)`` alone, so
results do not depend on which process ran which replication or in what order.
Results are always returned in replication order, hence the same aggregate for
any number of worker processes.
"""

from __future__ import annotations

import math
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any, Callable, Protocol

import numpy as np

from leadsim.planner.stats import summarize
from leadsim.simulator.metrics import METRICS_BY_NAME, compute_all, conversions_by_attempt
from leadsim.simulator.results import LEAD_STATUSES, RunResult

_CENSORED = LEAD_STATUSES.index("censored")


class SimulateFn(Protocol):
    """The shape of ``leadsim.simulator.run.simulate``."""

    def __call__(self, scenario: Any, *, seed: int, replication: int) -> RunResult: ...


def _default_simulate() -> SimulateFn:
    # Imported lazily: the simulator is built in parallel with this module, and the
    # planner must stay importable (and testable with a fake) without it.
    from leadsim.simulator.run import simulate

    return simulate


def run_replications(
    scenario: Any,
    replications: int,
    seed: int,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
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
    """
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    fn = simulate if simulate is not None else _default_simulate()
    workers = min(jobs, replications)
    if workers == 1:
        return _run_serial(fn, scenario, replications, seed, progress)
    return _run_parallel(fn, scenario, replications, seed, workers, progress)


def _run_serial(fn: SimulateFn, scenario: Any, replications: int, seed: int,
                progress: Callable[[int], None] | None) -> list[RunResult]:
    results: list[RunResult] = []
    for r in range(replications):
        results.append(fn(scenario, seed=seed, replication=r))
        if progress is not None:
            progress(r + 1)
    return results


def _run_parallel(fn: SimulateFn, scenario: Any, replications: int, seed: int, workers: int,
                  progress: Callable[[int], None] | None) -> list[RunResult]:
    results: list[RunResult | None] = [None] * replications
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures: dict[Future[RunResult], int] = {
            pool.submit(fn, scenario, seed=seed, replication=r): r for r in range(replications)
        }
        try:
            # Slot results by replication index, so the order of completion never leaks out.
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                if progress is not None:
                    progress(done)
        except BaseException:
            # One failed (or Ctrl-C): do not start the queued replications before re-raising.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [r for r in results if r is not None]


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


def _censored(result: RunResult) -> int:
    leads = result.leads
    start, end = result.window
    counted = (leads.created >= start) & (leads.created < end)
    return int(np.count_nonzero(counted & (leads.status == _CENSORED)))


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
    per_rep = [compute_all(result) for result in results]
    sources = list(results[0].source_names)
    return {
        "scenario": scenario_name,
        "seed": int(seed),
        "replications": len(results),
        "metrics": _summarize_block([m["metrics"] for m in per_rep]),
        "by_source": {
            name: _summarize_block([m["by_source"][name] for m in per_rep]) for name in sources
        },
        "conversions_by_attempt": _mean_cumulative([conversions_by_attempt(r) for r in results]),
        "censored_leads": sum(_censored(r) for r in results),
    }
