"""Tests for the closed-form M/M/c formulas in :mod:`leadsim.planner.queueing`.

The expected values are computed independently of the module: from the
textbook sum-of-factorials form of Erlang C (exactly, in rational arithmetic,
where floats would overflow), from the M/M/1 special case, and from a small
Monte Carlo simulation of a FIFO M/M/c queue.
"""

from __future__ import annotations

import heapq
import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.integrate import quad

from leadsim.planner.queueing import (
    erlang_b,
    erlang_c,
    mmc_mean_queue_length,
    mmc_mean_wait,
    mmc_min_servers,
    mmc_wait_cdf,
)


def erlang_c_direct(c: int, a: float) -> float:
    """Erlang C from the textbook formula with explicit factorials.

    Args:
        c: Number of servers.
        a: Offered load in Erlangs.

    Returns:
        P(wait) = (a^c/c!)/(1-rho) / (sum_{k<c} a^k/k! + (a^c/c!)/(1-rho)).
    """
    rho = a / c
    top = a**c / math.factorial(c) / (1.0 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def erlang_c_exact(c: int, a: Fraction) -> Fraction:
    """The same formula in exact rational arithmetic, usable for large ``c``.

    Args:
        c: Number of servers.
        a: Offered load as an exact fraction.

    Returns:
        Erlang C as an exact fraction (no overflow, no rounding).
    """
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


# --- known values -----------------------------------------------------------------


def test_two_servers_one_erlang_is_one_third() -> None:
    # Classic table value: C(2, 1) = (1/2)/(1-1/2) / (1 + 1 + 1) = 1/3.
    assert erlang_c(2, 1.0) == pytest.approx(1.0 / 3.0, rel=1e-12)
    assert erlang_c_direct(2, 1.0) == pytest.approx(1.0 / 3.0, rel=1e-12)


def test_ten_servers_eight_erlangs_matches_table() -> None:
    direct = erlang_c_direct(10, 8.0)
    # Published Erlang C tables give 0.4092 for (c=10, a=8).
    assert direct == pytest.approx(0.4092, abs=5e-5)
    assert erlang_c(10, 8.0) == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize(
    ("c", "a"),
    [(1, 0.5), (2, 1.5), (3, 2.4), (5, 4.99), (7, 0.01), (20, 17.0), (50, 45.5), (120, 110.0)],
)
def test_matches_direct_factorial_formula(c: int, a: float) -> None:
    assert erlang_c(c, a) == pytest.approx(erlang_c_direct(c, a), rel=1e-10)


@pytest.mark.parametrize(("c", "a"), [(200, 190), (500, 480), (500, 250), (500, 499)])
def test_stable_for_hundreds_of_servers(c: int, a: int) -> None:
    # a^c/c! overflows floats for c near 170, so the reference is exact rational.
    expected = float(erlang_c_exact(c, Fraction(a)))
    got = erlang_c(c, float(a))
    assert math.isfinite(got) and 0.0 < got < 1.0
    assert got == pytest.approx(expected, rel=1e-9)


def test_erlang_b_known_value() -> None:
    # B(2, 1) = (1/2) / (1 + 1 + 1/2) = 1/5.
    assert erlang_b(2, 1.0) == pytest.approx(0.2, rel=1e-12)


# --- M/M/1 special case -----------------------------------------------------------


@pytest.mark.parametrize(("lam", "mu"), [(0.1, 1.0), (0.5, 1.0), (0.9, 1.0), (3.0, 4.0)])
def test_single_server_reduces_to_mm1(lam: float, mu: float) -> None:
    rho = lam / mu
    assert erlang_c(1, rho) == pytest.approx(rho, rel=1e-12)
    assert mmc_mean_wait(1, lam, mu) == pytest.approx(rho / (mu - lam), rel=1e-12)
    assert mmc_mean_queue_length(1, lam, mu) == pytest.approx(rho**2 / (1 - rho), rel=1e-12)
    for t in (0.0, 0.3, 2.0, 10.0):
        expected = 1.0 - rho * math.exp(-(mu - lam) * t)
        assert mmc_wait_cdf(t, 1, lam, mu) == pytest.approx(expected, rel=1e-12)


# --- identities -------------------------------------------------------------------


@pytest.mark.parametrize(("c", "lam", "mu"), [(2, 1.0, 1.0), (10, 1.6, 0.2), (20, 3.4, 0.2)])
def test_littles_law_and_cdf_limits(c: int, lam: float, mu: float) -> None:
    wq = mmc_mean_wait(c, lam, mu)
    assert mmc_mean_queue_length(c, lam, mu) == pytest.approx(lam * wq, rel=1e-12)
    assert mmc_wait_cdf(0.0, c, lam, mu) == pytest.approx(1.0 - erlang_c(c, lam / mu))
    assert mmc_wait_cdf(-1.0, c, lam, mu) == 0.0
    assert mmc_wait_cdf(1e6, c, lam, mu) == pytest.approx(1.0)
    # E[Wq] is the integral of the tail P(Wq > t) over t >= 0.
    integral, _ = quad(lambda t: 1.0 - mmc_wait_cdf(t, c, lam, mu), 0.0, math.inf)
    assert integral == pytest.approx(wq, rel=1e-8)


def test_wait_grows_with_load_and_shrinks_with_servers() -> None:
    waits = [mmc_mean_wait(10, lam, 1.0) for lam in (5.0, 8.0, 9.0, 9.9)]
    assert waits == sorted(waits)
    probs = [erlang_c(c, 8.0) for c in range(9, 30)]
    assert all(p1 > p2 for p1, p2 in itertools.pairwise(probs))


# --- staffing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lam", "mu", "t", "share"),
    [(1.0, 0.2, 0.5, 0.8), (2.0, 1 / 6, 1.0, 0.9), (0.3, 0.2, 0.0, 0.5), (10.0, 0.1, 5.0, 0.95)],
)
def test_min_servers_is_minimal(lam: float, mu: float, t: float, share: float) -> None:
    c = mmc_min_servers(lam, mu, t, share)
    assert c > lam / mu
    assert mmc_wait_cdf(t, c, lam, mu) >= share
    if c - 1 > lam / mu:
        assert mmc_wait_cdf(t, c - 1, lam, mu) < share


def test_min_servers_textbook_example() -> None:
    # 8 Erlangs: C(10, 8) = 0.409 > 0.2 but C(12, 8) = 0.1129 < 0.2 and
    # C(11, 8) = 0.2217; so 12 servers answer 80% with no wait.
    assert erlang_c_direct(11, 8.0) > 0.2 > erlang_c_direct(12, 8.0)
    assert mmc_min_servers(8.0, 1.0, 0.0, 0.8) == 12


# --- bad input --------------------------------------------------------------------


@pytest.mark.parametrize(("c", "a"), [(1, 1.0), (2, 2.0), (3, 5.0)])
def test_unstable_load_is_rejected(c: int, a: float) -> None:
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(c, a)
    with pytest.raises(ValueError, match="unstable"):
        mmc_mean_wait(c, a, 1.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: erlang_c(0, 0.5),
        lambda: erlang_c(-2, 0.5),
        lambda: erlang_c(2.0, 0.5),  # type: ignore[arg-type]
        lambda: erlang_c(2, 0.0),
        lambda: erlang_c(2, -1.0),
        lambda: erlang_c(2, float("nan")),
        lambda: mmc_mean_wait(2, 0.0, 1.0),
        lambda: mmc_mean_wait(2, 1.0, -1.0),
        lambda: mmc_mean_queue_length(2, 1.0, 0.0),
        lambda: mmc_wait_cdf(float("nan"), 2, 1.0, 1.0),
        lambda: mmc_min_servers(0.0, 1.0, 1.0, 0.8),
        lambda: mmc_min_servers(1.0, 1.0, -1.0, 0.8),
        lambda: mmc_min_servers(1.0, 1.0, 1.0, 1.0),
        lambda: mmc_min_servers(1.0, 1.0, 1.0, 0.0),
    ],
)
def test_bad_input_is_rejected(call) -> None:
    with pytest.raises(ValueError):
        call()


# --- Monte Carlo ------------------------------------------------------------------


def simulate_mmc_waits(
    c: int, arrival_rate: float, service_rate: float, n: int, seed: int
) -> np.ndarray:
    """Waiting times of ``n`` customers in a FIFO M/M/c queue, starting empty.

    Kiefer-Wolfowitz recursion: keep the times at which each server next
    becomes free (a min-heap is the sorted workload vector); in FIFO order each
    arrival takes the earliest free server, and waits if that is in the future.

    Args:
        c: Number of servers.
        arrival_rate: Poisson arrival rate.
        service_rate: Exponential service rate per server.
        n: Number of customers.
        seed: Seed for numpy's default generator.

    Returns:
        Array of the ``n`` waiting times, in arrival order.
    """
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / arrival_rate, n)).tolist()
    services = rng.exponential(1.0 / service_rate, n).tolist()
    free = [0.0] * c
    waits = np.empty(n)
    for i, (t, s) in enumerate(zip(arrivals, services)):
        start = max(t, free[0])
        waits[i] = start - t
        heapq.heapreplace(free, start + s)
    return waits


def batch_mean_and_se(x: np.ndarray, batches: int) -> tuple[float, float]:
    """Mean and batch-means standard error of an autocorrelated series.

    Args:
        x: The series (e.g. successive waiting times).
        batches: Number of contiguous batches.

    Returns:
        The overall mean and its standard error from the batch means.
    """
    means = np.array([b.mean() for b in np.array_split(x, batches)])
    return float(means.mean()), float(means.std(ddof=1) / math.sqrt(batches))


@pytest.mark.parametrize(("c", "lam", "mu"), [(3, 2.4, 1.0), (1, 0.7, 1.0), (10, 1.6, 0.2)])
def test_wait_cdf_matches_monte_carlo(c: int, lam: float, mu: float) -> None:
    waits = simulate_mmc_waits(c, lam, mu, n=200_000, seed=20260105 + c)
    # Drop the empty-start transient; batch means absorb the autocorrelation.
    waits = waits[10_000:]
    mean_wait = mmc_mean_wait(c, lam, mu)
    for t in (0.0, 0.5 * mean_wait, mean_wait, 3.0 * mean_wait):
        est, se = batch_mean_and_se((waits <= t).astype(float), batches=20)
        theory = mmc_wait_cdf(t, c, lam, mu)
        assert abs(est - theory) < 3.0 * se, (t, est, theory, se)
    est, se = batch_mean_and_se(waits, batches=20)
    assert abs(est - mean_wait) < 3.0 * se, (est, mean_wait, se)
