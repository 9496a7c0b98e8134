"""Erlang A (M/M/c+M) and M/M/c+D formulas against known values and independent computations.

Known values: the limits of both models are the published Erlang C (Gross &
Harris; c = 5, a = 4: P(wait) = 0.5541, Wq = 2.771 minutes at mu = 0.2) and Erlang B;
with patience rate equal to the service rate the number in an Erlang A system is
Poisson(a) (an M/M/infinity in disguise), which gives P(wait) and P(abandon) in
closed form. Independent computations: the birth-death chain solved as a linear
system with numpy, and the M/M/n+G integrals evaluated by scipy's quad.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from leadsim.planner.queueing import (
    erlang_a,
    erlang_b,
    erlang_c,
    mmc_deterministic_patience,
    mmc_mean_wait,
    mmc_wait_cdf,
)


def test_erlang_a_tends_to_the_published_erlang_c_when_nobody_hangs_up() -> None:
    q = erlang_a(5, 0.8, 0.2, 1e-9, thresholds=[1.0])
    assert q.p_wait == pytest.approx(0.5541, abs=1e-4)  # Gross & Harris, c = 5, a = 4
    assert q.p_wait == pytest.approx(erlang_c(5, 4.0), rel=1e-6)
    assert q.mean_wait_answered == pytest.approx(mmc_mean_wait(5, 0.8, 0.2), rel=1e-5)
    assert q.p_answered_within[0] == pytest.approx(mmc_wait_cdf(1.0, 5, 0.8, 0.2), rel=1e-5)
    assert q.p_abandon < 1e-6


def test_erlang_a_tends_to_erlang_b_when_callers_hang_up_at_once() -> None:
    q = erlang_a(10, 3.0, 0.25, 1e6)
    assert q.p_wait == pytest.approx(erlang_b(10, 12.0), rel=1e-4)
    assert q.p_abandon == pytest.approx(erlang_b(10, 12.0), rel=1e-4)


@pytest.mark.parametrize("c,a", [(1, 1.0), (3, 2.0), (5, 7.5)])
def test_erlang_a_with_patience_rate_equal_to_service_rate_is_poisson(c: int, a: float) -> None:
    """theta = mu: every caller in the system leaves at rate mu, so N ~ Poisson(a)."""
    mu = 1.0
    q = erlang_a(c, a * mu, mu, mu)
    n = stats.poisson(a)
    assert q.p_wait == pytest.approx(n.sf(c - 1), rel=1e-10)
    queue = sum((k - c) * n.pmf(k) for k in range(c, 200))
    assert q.p_abandon == pytest.approx(mu * queue / (a * mu), rel=1e-9)
    if (c, a) == (1, 1.0):
        # By hand: P(wait) = 1 - e^-1, P(abandon) = E[N] - P(N >= 1) = e^-1.
        assert (q.p_wait, q.p_abandon) == pytest.approx((1 - math.exp(-1), math.exp(-1)))


def _birth_death(c: int, lam: float, mu: float, theta: float, states: int = 400) -> np.ndarray:
    """Stationary distribution of the truncated chain, solved as pi Q = 0 with numpy."""
    q = np.zeros((states, states))
    for j in range(states - 1):
        q[j, j + 1] = lam
        q[j + 1, j] = min(j + 1, c) * mu + max(j + 1 - c, 0) * theta
    np.fill_diagonal(q, -q.sum(axis=1))
    a = np.vstack([q.T, np.ones(states)])
    b = np.zeros(states + 1)
    b[-1] = 1.0
    return np.linalg.lstsq(a, b, rcond=None)[0]


@pytest.mark.parametrize("c,lam,mu,theta", [(10, 3.0, 0.25, 0.5), (5, 1.3, 0.2, 0.5), (2, 5.0, 1.0, 0.1)])
def test_erlang_a_matches_the_chain_solved_numerically(c: int, lam: float, mu: float, theta: float) -> None:
    pi = _birth_death(c, lam, mu, theta)
    q = erlang_a(c, lam, mu, theta)
    assert q.p_wait == pytest.approx(pi[c:].sum(), rel=1e-8)
    lq = sum(max(j - c, 0) * p for j, p in enumerate(pi))
    assert q.p_abandon == pytest.approx(theta * lq / lam, rel=1e-8)
    assert q.mean_wait_all == pytest.approx(lq / lam, rel=1e-8)


def _mmng(c: int, lam: float, mu: float, survival, hazard_integral, upper: float):
    """M/M/n+G by the integral formulas (Mandelbaum & Zeltyn), with scipy quad."""

    def g(x: float) -> float:
        return math.exp(lam * hazard_integral(x) - c * mu * x)

    j = integrate.quad(g, 0, upper, limit=500, points=[1.0])[0]
    e = 1.0 if c == 1 else 1.0 / erlang_b(c - 1, lam / mu)
    norm = e + lam * j
    def answered_density(x: float) -> float:
        return lam * g(x) * survival(x) / norm

    p_answered_late = integrate.quad(answered_density, 0, upper, limit=500, points=[1.0])[0]
    p_answered = e / norm + p_answered_late
    mean_answered = integrate.quad(lambda x: x * answered_density(x), 0, upper, limit=500, points=[1.0])[0] / p_answered
    def within(t: float) -> float:
        return e / norm + integrate.quad(answered_density, 0, t, limit=500)[0]

    return lam * j / norm, (1 + (lam - c * mu) * j) / norm, mean_answered, within


@pytest.mark.parametrize("c,lam,mu,theta", [(10, 3.0, 0.25, 0.5), (5, 1.3, 0.2, 0.5)])
def test_erlang_a_waits_match_the_integral_form(c: int, lam: float, mu: float, theta: float) -> None:
    p_wait, p_ab, mean_answered, within = _mmng(
        c, lam, mu, lambda x: math.exp(-theta * x), lambda x: -math.expm1(-theta * x) / theta, 200.0)
    q = erlang_a(c, lam, mu, theta, thresholds=[0.0, 1 / 3, 2.0])
    assert (q.p_wait, q.p_abandon) == pytest.approx((p_wait, p_ab), rel=1e-7)
    assert q.mean_wait_answered == pytest.approx(mean_answered, rel=1e-6)
    assert q.p_answered_within == pytest.approx([within(0.0), within(1 / 3), within(2.0)], rel=1e-6)


@pytest.mark.parametrize("c,lam,mu,d", [(5, 0.9, 0.2, 1.0), (5, 1.2, 0.2, 1.0), (1, 0.5, 1.0, 3.0),
                                        (3, 0.6, 0.2, 2.0)])
def test_fixed_patience_matches_the_integral_form(c: int, lam: float, mu: float, d: float) -> None:
    p_wait, p_ab, mean_answered, within = _mmng(
        c, lam, mu, lambda x: 1.0 if x < d else 0.0, lambda x: min(x, d), 200.0)
    q = mmc_deterministic_patience(c, lam, mu, d, thresholds=[0.25, 5.0])
    assert (q.p_wait, q.p_abandon) == pytest.approx((p_wait, p_ab), rel=1e-6)
    assert q.mean_wait_answered == pytest.approx(mean_answered, rel=1e-5)
    assert q.p_answered_within[0] == pytest.approx(within(0.25), rel=1e-6)
    assert q.p_answered_within[1] == pytest.approx(1.0 - q.p_abandon, rel=1e-9)  # t beyond D


def test_fixed_patience_limits_are_erlang_b_and_c() -> None:
    assert mmc_deterministic_patience(10, 3.0, 0.25, 1e-9).p_abandon == pytest.approx(erlang_b(10, 12.0), rel=1e-6)
    long = mmc_deterministic_patience(5, 0.8, 0.2, 1e4)
    assert long.p_wait == pytest.approx(erlang_c(5, 4.0), rel=1e-9)
    assert long.mean_wait_answered == pytest.approx(mmc_mean_wait(5, 0.8, 0.2), rel=1e-9)


def test_overload_is_allowed_and_abandonment_absorbs_it() -> None:
    q = erlang_a(5, 2.0, 0.2, 1.0)  # a = 10 Erlangs on 5 servers
    # Throughput of the answered cannot exceed the servers' capacity c mu.
    assert 2.0 * (1.0 - q.p_abandon) <= 5 * 0.2 + 1e-12
    assert 0.0 < q.p_abandon < q.p_wait < 1.0


@pytest.mark.parametrize("args", [(0, 1.0, 1.0, 1.0), (2, -1.0, 1.0, 1.0), (2, 1.0, 0.0, 1.0), (2, 1.0, 1.0, 0.0),
                                  (2, 1.0, 1.0, float("inf")), (True, 1.0, 1.0, 1.0)])
def test_bad_parameters_are_refused(args: tuple) -> None:
    with pytest.raises(ValueError):
        erlang_a(*args)
    with pytest.raises(ValueError):
        mmc_deterministic_patience(*args)


def test_bad_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="thresholds"):
        erlang_a(2, 1.0, 1.0, 1.0, thresholds=[-1.0])
