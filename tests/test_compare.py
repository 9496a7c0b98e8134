"""Paired comparison: the interval arithmetic, and common random numbers on real what-ifs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from leadsim.planner.compare import (
    compare_grid,
    paired_difference,
    run_compare,
    unique_names,
    welch_interval,
)
from leadsim.planner.precision import next_total, parse_precision
from leadsim.planner.specs import SpecError
from leadsim.scenarios.loader import load_scenario

#: A small baseline: 1-day warm-up, 3 measured days, 2-day drain (about 0.1 s per replication).
SMALL = ["run.warmup_days=1", "run.days=3", "run.drain_days=2"]


# ---------------------------------------------------------------- arithmetic


def test_paired_difference_by_hand() -> None:
    base = [10.0, 12.0, 14.0, 16.0]
    whatif = [11.0, 13.5, 15.0, 17.5]  # differences 1, 1.5, 1, 1.5
    d = paired_difference(base, whatif)
    diffs = np.array(whatif) - np.array(base)
    half = stats.t.ppf(0.975, 3) * diffs.std(ddof=1) / 2
    assert d.base == 13.0 and d.value == 14.25 and d.diff == pytest.approx(1.25)
    assert (d.ci_low, d.ci_high) == pytest.approx((1.25 - half, 1.25 + half))
    assert d.significant is True and d.pairs == 4


def test_welch_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(0, 1, 8), rng.normal(0.5, 2, 11)
    expected = stats.ttest_ind(y, x, equal_var=False).confidence_interval(0.95)
    assert welch_interval(x, y) == pytest.approx((expected.low, expected.high))


def test_not_significant_when_interval_contains_zero() -> None:
    d = paired_difference([1.0, 2.0, 3.0], [1.5, 1.5, 3.1])
    assert d.ci_low < 0 < d.ci_high and d.significant is False


def test_identical_runs_differ_by_exactly_zero() -> None:
    d = paired_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert (d.diff, d.ci_low, d.ci_high, d.significant) == (0.0, 0.0, 0.0, False)
    assert d.narrowing == math.inf  # the sides vary, their difference does not


def test_undefined_values_drop_their_pair() -> None:
    nan = float("nan")
    d = paired_difference([1.0, nan, 3.0, 5.0], [2.0, 4.0, nan, 6.0])
    assert d.pairs == 2 and d.diff == 1.0
    assert d.base == 3.0 and d.value == 4.0  # each side's mean over its own defined values


def test_one_replication_has_no_interval() -> None:
    d = paired_difference([1.0], [2.0])
    assert d.diff == 1.0 and d.ci_low is None and d.significant is None and d.narrowing is None
    assert d.as_json() == {"base": 1.0, "value": 2.0, "diff": 1.0, "ci_low": None,
                           "ci_high": None, "significant": None}


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError):
        paired_difference([1.0, 2.0], [1.0])


def test_unique_names() -> None:
    # A what-if file without name: inherits its base's; its file stem is used instead.
    assert unique_names(["baseline", "baseline", "x"], ["baseline", "more_reps", "y"]) == \
        ["baseline", "more_reps", "x"]
    assert unique_names(["a", "b", "b"], ["a", "b", "b"]) == ["a", "b", "b-2"]


# ---------------------------------------------------------------- precision rule


def test_precision_parsing_and_batches() -> None:
    target = parse_precision("conversion_rate=0.005")
    assert (target.metric, target.half_width) == ("conversion_rate", 0.005)
    for bad in ("conversion_rate", "conversion_rat=0.1", "conversion_rate=0", "conversion_rate=x"):
        with pytest.raises(SpecError):
            parse_precision(bad)
    # Half-width twice the target after 10. Naively 4 x 10 = 40 would be needed, but the
    # t quantile drops from 2.26 (9 df) to about 2.04 (32 df): about 33, plus 10%.
    assert next_total(10, 0.01, 0.005, 200) == 37
    assert next_total(10, 0.0051, 0.005, 200) == 13  # at least a quarter more
    assert next_total(10, None, 0.005, 200) == 20  # undefined: double
    assert next_total(10, 1.0, 0.005, 50) == 50  # never beyond the maximum


# ---------------------------------------------------------------- common random numbers


@pytest.fixture(scope="module")
def call_target_comparison():
    base = load_scenario("baseline", SMALL)
    three = load_scenario("baseline", SMALL + ["policy.cadence.call_target=3"])
    more = load_scenario("baseline", SMALL + ["teams.sdr.headcount=12"])
    return run_compare([base, three, more], ["baseline", "three", "twelve"], 6, seed=11, jobs=2)


def test_paired_intervals_are_narrower_than_unpaired(call_target_comparison) -> None:
    comparison, _ = call_target_comparison
    for variant in comparison.variants:
        for metric in ("attempts", "conversions", "rep_occupancy", "profit"):
            d = variant.metrics[metric]
            assert d.paired_width < d.unpaired_width, (variant.name, metric, d)
        # Over all metrics that vary, pairing narrows the interval several times over.
        assert variant.median_narrowing() > 3.0


def test_same_leads_in_every_scenario(call_target_comparison) -> None:
    comparison, grid = call_target_comparison
    for variant in comparison.variants:
        # Arrivals do not depend on the policy: the same leads in every replication.
        assert variant.metrics["leads"].ci_low == variant.metrics["leads"].ci_high == 0.0
    assert [len(g) for g in grid] == [6, 6, 6]


def test_policy_effects_are_significant(call_target_comparison) -> None:
    comparison, _ = call_target_comparison
    three, twelve = comparison.variants
    assert three.metrics["attempts"].significant and three.metrics["attempts"].diff < 0
    assert twelve.metrics["rep_occupancy"].significant and twelve.metrics["rep_occupancy"].diff < 0


def test_json_document_is_exactly_as_documented(call_target_comparison) -> None:
    comparison, _ = call_target_comparison
    doc = comparison.as_json()
    assert set(doc) == {"base", "replications", "seed", "variants"}
    assert (doc["base"], doc["replications"], doc["seed"]) == ("baseline", 6, 11)
    assert [v["name"] for v in doc["variants"]] == ["three", "twelve"]
    for variant in doc["variants"]:
        assert set(variant) == {"name", "metrics"}
        for entry in variant["metrics"].values():
            assert set(entry) == {"base", "value", "diff", "ci_low", "ci_high", "significant"}


def test_compare_grid_uses_only_complete_pairs(call_target_comparison) -> None:
    _, grid = call_target_comparison
    partial = [grid[0][:4], grid[1][:3], grid[2][:5]]
    assert compare_grid(["b", "x", "y"], partial, 11).replications == 3
