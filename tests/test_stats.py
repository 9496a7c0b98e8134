"""Student-t intervals over replications: a hand computation and a coverage check."""

from __future__ import annotations

import math

import numpy as np
import pytest

from leadsim.planner.stats import Summary, summarize


def test_interval_matches_hand_computation():
    # values 1..5: mean 3, sample sd sqrt(2.5), t(0.975, 4) = 2.7764451051977987
    summary = summarize([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)
    assert summary.n == 5
    assert summary.mean == pytest.approx(3.0)
    assert summary.ci_low == pytest.approx(3.0 - half, rel=1e-12)
    assert summary.ci_high == pytest.approx(3.0 + half, rel=1e-12)


def test_other_confidence_level():
    # t(0.95, 2) = 2.919985580355516 for a 90% interval; values 2, 4, 9: mean 5, sd sqrt(13)
    summary = summarize([2.0, 4.0, 9.0], confidence=0.90)
    half = 2.919985580355516 * math.sqrt(13.0) / math.sqrt(3)
    assert (summary.ci_low, summary.ci_high) == pytest.approx((5.0 - half, 5.0 + half))


def test_single_value_has_no_interval():
    assert summarize([7.5]) == Summary(7.5, None, None, 1)


def test_nan_values_are_ignored_and_not_counted():
    summary = summarize([float("nan"), 1.0, 3.0, float("nan")])
    assert summary.n == 2 and summary.mean == 2.0
    assert summary.ci_low is not None and summary.ci_low < 2.0 < summary.ci_high


def test_all_nan_or_empty_gives_no_mean():
    assert summarize([float("nan"), float("nan")]) == Summary(None, None, None, 0)
    assert summarize([]) == Summary(None, None, None, 0)


def test_constant_values_collapse_the_interval():
    assert summarize([4.0, 4.0, 4.0]) == Summary(4.0, 4.0, 4.0, 3)


def test_bad_confidence_is_rejected():
    with pytest.raises(ValueError):
        summarize([1.0, 2.0], confidence=1.0)


def test_coverage_of_the_95_percent_interval():
    rng = np.random.default_rng(20260105)
    true_mean = 3.0
    covered = 0
    for _ in range(400):
        sample = rng.normal(true_mean, 2.0, size=10)
        summary = summarize(sample.tolist())
        covered += summary.ci_low <= true_mean <= summary.ci_high
    assert 0.93 <= covered / 400 <= 0.97
