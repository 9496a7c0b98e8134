"""Confidence intervals over replications.

Replications are independent and identically distributed, so a metric's mean
over R replications has a Student-t interval with R - 1 degrees of freedom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Summary:
    """A metric's mean over replications and its confidence interval.

    Attributes:
        mean: mean of the finite values; None if there is none.
        ci_low: lower end of the interval; None if fewer than 2 finite values.
        ci_high: upper end of the interval; None if fewer than 2 finite values.
        n: number of finite values the summary is based on.
    """

    mean: float | None
    ci_low: float | None
    ci_high: float | None
    n: int


def summarize(values: Sequence[float], confidence: float = 0.95) -> Summary:
    """Mean and two-sided Student-t confidence interval of replication values.

    NaN values (a metric undefined in that replication, e.g. cost per conversion
    without conversions) are ignored, and so are infinities, which no JSON
    document can hold; ``n`` counts the values used.

    Args:
        values: one value per replication.
        confidence: the interval's confidence level, in (0, 1).

    Returns:
        The summary. With no usable value every field is None (n = 0); with one
        the interval is None; with zero spread the interval collapses to the mean.

    Raises:
        ValueError: if confidence is not in (0, 1).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    data = np.asarray(values, dtype=np.float64).ravel()
    data = data[np.isfinite(data)]
    n = int(data.size)
    if n == 0:
        return Summary(None, None, None, 0)
    mean = float(data.mean())
    if n == 1:
        return Summary(mean, None, None, 1)
    sem = float(data.std(ddof=1)) / math.sqrt(n)
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * sem
    return Summary(mean, mean - half, mean + half, n)


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` (> 0, not necessarily whole) degrees of freedom.

    ``scipy.special.stdtrit``, imported here: the same value as
    ``scipy.stats.t.ppf(p, df)`` bit for bit (both call Boost's quantile;
    tests/test_cli_imports.py checks), without importing ``scipy.stats``,
    which costs about half a second at every command's start.
    """
    from scipy.special import stdtrit

    return float(stdtrit(df, p))
