"""Inverse distribution functions: a uniform in [0, 1) -> a duration, for every form a scenario accepts.

Handle times, redial delays (minutes) and patience (seconds) share the forms
``fixed``, ``exponential``, ``lognormal``, ``weibull`` and ``empirical`` (and ``gamma`` for
minutes). Each is
sampled by inversion from one uniform, so a per-lead, per-attempt uniform (common
random numbers, see :mod:`leadsim.simulator.streams`) gives the same duration for
the same lead in every scenario that uses the same distribution.

The forms are read by their key (``fixed``, ``exponential``, ...), so the minute
and the second models of the schema share one implementation; the value comes
out in the unit the scenario gave it in.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate
from statistics import NormalDist
from typing import Any

_inv_cdf = NormalDist().inv_cdf
_TINY = 2.0**-54

Sampler = Callable[[float], float]


def sampler(dist: Any) -> Sampler:
    """A function turning a uniform in [0, 1) into a value of ``dist`` (inverse CDF).

    Args:
        dist: a distribution model of the scenario schema (any unit).

    Raises:
        TypeError: if ``dist`` is none of the known forms.
    """
    if hasattr(dist, "fixed"):
        value = float(dist.fixed)
        return lambda u: value
    if hasattr(dist, "exponential"):
        mean = float(dist.exponential.mean)
        return lambda u: -mean * math.log1p(-u)
    if hasattr(dist, "lognormal"):
        mu, sigma = lognormal_parameters(float(dist.lognormal.mean), float(dist.lognormal.sd))
        return lambda u: math.exp(mu + sigma * _inv_cdf(u + _TINY if u <= 0.0 else u))
    if hasattr(dist, "weibull"):
        shape, scale = float(dist.weibull.shape), float(dist.weibull.scale)
        inverse = 1.0 / shape
        return lambda u: scale * (-math.log1p(-u)) ** inverse
    if hasattr(dist, "gamma"):
        # Imported here: only scenarios with a gamma form pay for scipy.special at start-up.
        from scipy.special import gammaincinv

        mean, sd = float(dist.gamma.mean), float(dist.gamma.sd)
        shape, scale = (mean / sd) ** 2, sd * sd / mean
        return lambda u: scale * float(gammaincinv(shape, u))
    if hasattr(dist, "empirical"):
        table = dist.empirical
        values = [float(v) for v in table.values]
        if table.probabilities is not None:
            return discrete_sampler(values, [float(p) for p in table.probabilities])
        return quantile_sampler(values, [float(q) for q in table.quantiles])
    raise TypeError(f"not a distribution: {dist!r}")


def lognormal_parameters(mean: float, sd: float) -> tuple[float, float]:
    """(mu, sigma) of the normal whose exponential has this mean and standard deviation."""
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def discrete_sampler(values: list[float], weights: list[float]) -> Sampler:
    """Value i with probability weights[i] / sum(weights)."""
    total = sum(weights)
    cumulative = [w / total for w in accumulate(weights)]
    last = len(values) - 1

    def draw(u: float) -> float:
        i = bisect_right(cumulative, u)
        return values[min(i, last)]

    return draw


def quantile_sampler(values: list[float], quantiles: list[float]) -> Sampler:
    """Linear interpolation of the inverse CDF through (quantiles[i], values[i]), 0 to 1."""
    last = len(values) - 1

    def draw(u: float) -> float:
        i = bisect_right(quantiles, u)
        if i > last:
            return values[last]
        q0, q1 = quantiles[i - 1], quantiles[i]
        v0, v1 = values[i - 1], values[i]
        return v0 + (v1 - v0) * (u - q0) / (q1 - q0)

    return draw


def mean(dist: Any) -> float:
    """The mean of a distribution, in its own unit (load estimates, warm-up advice)."""
    if hasattr(dist, "fixed"):
        return float(dist.fixed)
    if hasattr(dist, "exponential"):
        return float(dist.exponential.mean)
    if hasattr(dist, "lognormal"):
        return float(dist.lognormal.mean)
    if hasattr(dist, "weibull"):
        return float(dist.weibull.scale) * math.gamma(1.0 + 1.0 / float(dist.weibull.shape))
    if hasattr(dist, "gamma"):
        return float(dist.gamma.mean)
    if hasattr(dist, "empirical"):
        table = dist.empirical
        values = [float(v) for v in table.values]
        if table.probabilities is not None:
            total = float(sum(table.probabilities))
            return sum(v * float(p) for v, p in zip(values, table.probabilities)) / total
        q = [float(x) for x in table.quantiles]
        return sum((q[i] - q[i - 1]) * (values[i] + values[i - 1]) / 2.0 for i in range(1, len(q)))
    raise TypeError(f"not a distribution: {dist!r}")
