"""Validation against queueing theory: the erlang_c scenario is an M/M/c queue.

With one flat Poisson source, c reps on duty around the clock, exponential handle
times whatever the outcome, a call target of 1 and first-come-first-served from a
shared pool, the time from a lead's arrival to its first attempt is an M/M/c
waiting time. Erlang C gives its probability of waiting and its mean exactly; the
simulator must reproduce both within the 95% Student-t interval of seeded
replications, and Little's law must hold between the sampled backlog and the
measured waits.

These are theory checks, not pinned numbers: the expected values come from the
formulas in leadsim.planner.queueing, which are themselves tested against
textbook values.
"""

from __future__ import annotations

import numpy as np
import pytest

from leadsim.planner.queueing import erlang_c, mmc_mean_wait
from leadsim.planner.stats import summarize
from leadsim.scenarios.loader import load_scenario
from leadsim.simulator.metrics import compute_metrics
from leadsim.simulator.run import simulate

MEAN_HANDLE = 5.0  # minutes, as in scenarios/erlang_c.yaml
REPLICATIONS = 10


def mmc_scenario(c: int, load: float, days: float, warmup: float = 1.0):
    """erlang_c.yaml with c reps and arrival rate set for the given load.

    The floor starts empty; the warm-up must cover several relaxation times of
    the queue (about 1 / (c mu (1 - sqrt(rho))^2)), or the waits come out low.
    """
    rate = load * c / MEAN_HANDLE  # leads per minute
    return load_scenario(
        "erlang_c",
        [
            f"teams.0.headcount={c}",
            f"sources.0.volume.per_day={rate * 1440.0!r}",
            f"run.days={days}",
            f"run.warmup_days={warmup}",
            "run.drain_days=1",
        ],
    ), rate


def replicate(c: int, load: float, days: float, warmup: float = 1.0) -> tuple[list[dict[str, float]], float]:
    scenario, rate = mmc_scenario(c, load, days, warmup)
    metrics = [compute_metrics(simulate(scenario, seed=2026, replication=r)) for r in range(REPLICATIONS)]
    return metrics, rate


def inside(values: list[float], expected: float) -> tuple[bool, str]:
    s = summarize(values)
    assert s.ci_low is not None and s.ci_high is not None
    return s.ci_low <= expected <= s.ci_high, f"expected {expected:.4f}, got {s.mean:.4f} [{s.ci_low:.4f}, {s.ci_high:.4f}]"


@pytest.mark.parametrize(
    "c,load,days,warmup",
    [
        (1, 0.7, 4, 1),
        (5, 0.8, 3, 1),
        # Heavy traffic: long runs, since waits are strongly autocorrelated near rho = 1.
        (20, 0.95, 6, 2),
    ],
)
def test_erlang_c_probability_of_waiting_and_mean_wait(c: int, load: float, days: float, warmup: float) -> None:
    metrics, rate = replicate(c, load, days, warmup)
    mu = 1.0 / MEAN_HANDLE
    # Every lead is attempted (no expiry, a day of drain), so no lead is censored.
    assert all(m["share_never_attempted"] == 0.0 for m in metrics)
    ok, msg = inside([m["share_waited"] for m in metrics], erlang_c(c, rate / mu))
    assert ok, f"P(wait) c={c} load={load}: {msg}"
    ok, msg = inside([m["speed_to_first_attempt_mean_min"] for m in metrics], mmc_mean_wait(c, rate, mu))
    assert ok, f"mean wait c={c} load={load}: {msg}"


def test_littles_law_for_the_backlog() -> None:
    """Time-average number waiting (sampled from the engine) = arrival rate x mean wait."""
    c, load, days = 5, 0.9, 3
    metrics, _rate = replicate(c, load, days)
    scenario, _ = mmc_scenario(c, load, days)
    window = scenario.run.days * 1440.0
    # Paired per replication: sampled queue length minus (measured arrival rate x measured wait).
    diffs = [m["backlog_new_mean"] - (m["leads"] / window) * m["speed_to_first_attempt_mean_min"] for m in metrics]
    ok, msg = inside(diffs, 0.0)
    assert ok, f"L - lambda W: {msg}"
    # And the backlog is not trivially zero: the check has something to compare.
    assert np.mean([m["backlog_new_mean"] for m in metrics]) > 1.0


def test_more_reps_wait_less_as_theory_says() -> None:
    """The direction check a planner relies on: one more rep cuts the wait as Erlang C predicts."""
    five, rate = replicate(5, 0.9, 2)
    six_scenario, _ = mmc_scenario(5, 0.9, 2)
    six_scenario = load_scenario("erlang_c", [
        "teams.0.headcount=6", f"sources.0.volume.per_day={rate * 1440.0!r}", "run.days=2", "run.warmup_days=1", "run.drain_days=1",
    ])
    six = [compute_metrics(simulate(six_scenario, seed=2026, replication=r)) for r in range(REPLICATIONS)]
    ok, msg = inside([m["speed_to_first_attempt_mean_min"] for m in six], mmc_mean_wait(6, rate, 0.2))
    assert ok, f"six reps: {msg}"
    assert np.mean([m["speed_to_first_attempt_mean_min"] for m in six]) < np.mean(
        [m["speed_to_first_attempt_mean_min"] for m in five]
    )
