"""Confidence intervals cover the truth at about the nominal rate (95%).

On the Erlang C scenario with one rep at load 0.5 (Poisson arrivals at 0.1 a
minute, exponential 5-minute calls, one call per lead, first come first served)
the mean wait for a first attempt is exactly Wq = 5 minutes and the probability
of waiting is 0.5. We build 200 independent 95% intervals, each from 5
replications (the planner's Student-t interval, :func:`summarize`), and count
how many contain the truth. With 200 intervals the count's standard deviation
is about 1.5 percentage points, so the test accepts 91%-99% (about +-2.6 sd).

Why 4-day replications: the per-replication mean wait is the mean over the
leads of a finite window, a ratio estimator. More arrivals mean both more leads
and longer waits, so for short windows its expectation sits slightly below Wq
(measured: -1.7% with 1-day windows), and short windows also make it right-
skewed; both pull the coverage of mean wait down to about 91% (600 intervals of
1-day replications gave 91.3%, while P(wait) covered at 94.8%). With 4-day
windows the bias and skew are small: 200 intervals gave 95.0% for the mean wait
and 95.5% for P(wait). The test takes about 15-30 s on two cores.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from leadsim.planner.parallel import run_tasks
from leadsim.planner.queueing import erlang_c, mmc_mean_wait
from leadsim.planner.stats import summarize
from leadsim.scenarios.loader import load_scenario
from leadsim.simulator.metrics import compute_metrics
from leadsim.simulator.run import simulate

INTERVALS = 200
REPLICATIONS = 5
ARRIVALS_PER_MIN = 0.1
MEAN_HANDLE = 5.0


def _waits(scenario, seed: int, replication: int) -> tuple[float, float]:
    m = compute_metrics(simulate(scenario, seed=seed, replication=replication))
    return m["speed_to_first_attempt_mean_min"], m["share_waited"]


@pytest.mark.slow
def test_intervals_cover_erlang_c_at_the_nominal_rate() -> None:
    scenario = load_scenario("erlang_c", [
        "teams.0.headcount=1",
        f"sources.0.volume.per_day={ARRIVALS_PER_MIN * 1440}",
        "run.warmup_days=0.25", "run.days=4", "run.drain_days=0.1",
    ])
    mu = 1.0 / MEAN_HANDLE
    truth = (mmc_mean_wait(1, ARRIVALS_PER_MIN, mu), erlang_c(1, ARRIVALS_PER_MIN / mu))
    assert truth == pytest.approx((5.0, 0.5))
    # Interval i uses root seed 1000 + i: 200 independent experiments.
    tasks = [(scenario, 1000 + i, r) for i in range(INTERVALS) for r in range(REPLICATIONS)]
    values = np.asarray(run_tasks(_waits, tasks, jobs=min(os.cpu_count() or 1, 4)))
    values = values.reshape(INTERVALS, REPLICATIONS, 2)
    for k, name in enumerate(("mean wait", "P(wait)")):
        hits = 0
        for i in range(INTERVALS):
            s = summarize(values[i, :, k])
            hits += s.ci_low <= truth[k] <= s.ci_high
        coverage = hits / INTERVALS
        assert 0.91 <= coverage <= 0.99, f"{name}: {coverage:.3f} of intervals cover {truth[k]}"
