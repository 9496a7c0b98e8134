"""Checks that the plain-SimPy benchmark model simulates what it claims to.

``benchmarks/plain_simpy_retrial.py`` is the yardstick leadsim's speed is
compared with, so it must model the workload correctly: its attempts per lead
must match the truncated-geometric expectation, and with a single attempt per
lead it is an M/M/c queue whose first-attempt wait must match Erlang C.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from leadsim.planner.queueing import erlang_c, mmc_mean_wait

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load_benchmark(name: str) -> ModuleType:
    """Import a module from ``benchmarks/`` (a plain folder, not a package).

    Args:
        name: File stem inside ``benchmarks/``.

    Returns:
        The loaded module.
    """
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


plain = _load_benchmark("plain_simpy_retrial")


def attempts_distribution(contact_prob: float, max_attempts: int) -> tuple[float, float]:
    """Mean and variance of attempts per lead, from first principles.

    ``A = k`` for ``k < max_attempts`` iff the first ``k - 1`` attempts failed
    and attempt ``k`` connected; ``A = max_attempts`` iff the first
    ``max_attempts - 1`` failed (the last one ends the cadence either way).

    Args:
        contact_prob: Probability that one attempt connects.
        max_attempts: Attempt cap.

    Returns:
        ``(E[A], Var[A])``.
    """
    q = 1.0 - contact_prob
    probs = {k: q ** (k - 1) * contact_prob for k in range(1, max_attempts)}
    probs[max_attempts] = q ** (max_attempts - 1)
    assert math.isclose(sum(probs.values()), 1.0)
    mean = sum(k * p for k, p in probs.items())
    var = sum(k * k * p for k, p in probs.items()) - mean**2
    return mean, var


def batch_mean_and_se(x: np.ndarray, batches: int = 10) -> tuple[float, float]:
    """Mean and batch-means standard error of an autocorrelated series.

    Successive waits in a queue are correlated, so the naive ``sd/sqrt(n)``
    understates the error; the spread of means of long contiguous batches
    does not.

    Args:
        x: The series, in arrival order.
        batches: Number of contiguous batches.

    Returns:
        The mean and its standard error.
    """
    means = np.array([b.mean() for b in np.array_split(x, batches)])
    return float(means.mean()), float(means.std(ddof=1) / math.sqrt(batches))


@pytest.mark.parametrize(("contact_prob", "max_attempts"), [(0.3, 6), (0.5, 3)])
def test_attempts_per_lead_match_truncated_geometric(
    contact_prob: float, max_attempts: int
) -> None:
    n = 20_000
    result = plain.run_plain_simpy(
        n, reps=20, load=0.5, seed=7, contact_prob=contact_prob, max_attempts=max_attempts
    )
    mean, var = attempts_distribution(contact_prob, max_attempts)
    assert mean == pytest.approx(plain.expected_attempts(contact_prob, max_attempts))
    # Each lead's attempt count depends only on its own luck: i.i.d., plain SE.
    se = math.sqrt(var / n)
    assert abs(result["attempts"] / n - mean) < 3.0 * se, (result["attempts"] / n, mean, se)
    # Share contacted: 1 - (1-p)^max_attempts, binomial error.
    share = 1.0 - (1.0 - contact_prob) ** max_attempts
    se_share = math.sqrt(share * (1.0 - share) / n)
    assert abs(result["contacts"] / n - share) < 3.0 * se_share


@pytest.mark.parametrize(("reps", "load"), [(1, 0.5), (3, 0.7), (20, 0.85)])
def test_single_attempt_wait_matches_erlang_c(reps: int, load: float) -> None:
    n = 60_000
    result = plain.run_plain_simpy(
        n, reps=reps, load=load, seed=11 + reps, max_attempts=1, return_waits=True
    )
    lam = result["arrival_rate_per_minute"]
    mu = 1.0 / 5.0
    assert lam / mu == pytest.approx(load * reps)
    assert result["attempts"] == n
    # Drop the start-empty transient before comparing with the steady state.
    waits = result["first_waits"][n // 50 :]

    mean, se = batch_mean_and_se(waits, batches=10)
    theory = mmc_mean_wait(reps, lam, mu)
    assert abs(mean - theory) < 3.5 * se, (mean, theory, se)

    share_waited, se_share = batch_mean_and_se((waits > 0).astype(float), batches=10)
    assert abs(share_waited - erlang_c(reps, load * reps)) < 3.5 * se_share


def test_spacing_counts_from_end_of_attempt() -> None:
    # One lead that is never reached, two attempts: the clock must end at
    # arrival + handle_1 + spacing + handle_2 exactly. Replaying the model's
    # draws (one gap vector, then the lead's handle times) gives the numbers.
    lam = plain.arrival_rate_for_load(0.5, 1, 5.0, 1e-12, 2)
    rng = np.random.default_rng(3)
    gap = float(rng.exponential(1.0 / lam, 1)[0])
    handle_1, handle_2 = rng.exponential(5.0, 2).tolist()
    result = plain.run_plain_simpy(
        1, reps=1, load=0.5, seed=3, contact_prob=1e-12, max_attempts=2, spacing_minutes=60.0
    )
    assert result["attempts"] == 2 and result["contacts"] == 0
    assert result["mean_first_wait_minutes"] == 0.0
    assert result["simulated_minutes"] == pytest.approx(gap + handle_1 + 60.0 + handle_2)


def test_deterministic_for_a_seed_and_sensitive_to_it() -> None:
    keys = ("attempts", "contacts", "simulated_minutes", "mean_first_wait_minutes")
    first = plain.run_plain_simpy(2_000, seed=5)
    again = plain.run_plain_simpy(2_000, seed=5)
    other = plain.run_plain_simpy(2_000, seed=6)
    assert [first[k] for k in keys] == [again[k] for k in keys]
    assert [first[k] for k in keys] != [other[k] for k in keys]
    assert first["attempts_per_second"] > 0
    assert first["contacts"] <= first["leads"] <= first["attempts"] <= 6 * first["leads"]


@pytest.mark.parametrize(
    "kwargs",
    [{"n_leads": 0}, {"load": 1.0}, {"load": 0.0}, {"contact_prob": 0.0}, {"reps": 0}],
)
def test_rejects_bad_parameters(kwargs: dict[str, float]) -> None:
    args = {"n_leads": 10, **kwargs}
    with pytest.raises(ValueError):
        plain.run_plain_simpy(**args)
