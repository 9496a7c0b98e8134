"""Replications with a fake simulate: order, determinism across jobs, progress, the document."""

from __future__ import annotations

import json
import math

import pytest

from leadsim.planner.replicate import aggregate, run_replications
from leadsim.simulator.metrics import METRIC_NAMES, compute_metrics
from result_factory import fake_simulate, fake_simulate_first_slow, lead, make_result

SCENARIO = {"leads": 400}


def test_results_come_in_replication_order():
    results = run_replications(SCENARIO, 4, seed=7, simulate=fake_simulate)
    assert [r.replication for r in results] == [0, 1, 2, 3]
    assert all(r.seed == 7 for r in results)


def test_jobs_do_not_change_the_document():
    serial = run_replications(SCENARIO, 5, seed=3, jobs=1, simulate=fake_simulate)
    parallel = run_replications(SCENARIO, 5, seed=3, jobs=2, simulate=fake_simulate)
    assert [r.replication for r in parallel] == list(range(5))
    one = json.dumps(aggregate(serial, "fake", 3), allow_nan=False)
    two = json.dumps(aggregate(parallel, "fake", 3), allow_nan=False)
    assert one == two


def test_parallel_order_does_not_follow_completion_order():
    # Replication 0 finishes last in the pool; it must still come first.
    finished: list[int] = []
    results = run_replications(SCENARIO, 4, seed=3, jobs=2, progress=finished.append,
                               simulate=fake_simulate_first_slow)
    assert [r.replication for r in results] == [0, 1, 2, 3]
    assert finished == [1, 2, 3, 4]
    expected = run_replications(SCENARIO, 4, seed=3, jobs=1, simulate=fake_simulate)
    assert aggregate(results, "fake", 3) == aggregate(expected, "fake", 3)


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_is_called_once_per_replication(jobs):
    calls: list[int] = []
    run_replications(SCENARIO, 3, seed=1, jobs=jobs, progress=calls.append,
                     simulate=fake_simulate)
    assert calls == [1, 2, 3]


def test_different_seeds_differ():
    a = aggregate(run_replications(SCENARIO, 2, seed=1, simulate=fake_simulate), "fake", 1)
    b = aggregate(run_replications(SCENARIO, 2, seed=2, simulate=fake_simulate), "fake", 2)
    assert a["metrics"]["leads"]["mean"] != b["metrics"]["leads"]["mean"]


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError):
        run_replications(SCENARIO, 0, seed=1, simulate=fake_simulate)
    with pytest.raises(ValueError):
        run_replications(SCENARIO, 2, seed=1, jobs=0, simulate=fake_simulate)


def test_document_shape_and_values():
    results = run_replications(SCENARIO, 3, seed=11, simulate=fake_simulate)
    doc = aggregate(results, "fake", 11)
    json.dumps(doc, allow_nan=False)  # raises on NaN or numpy types
    assert (doc["scenario"], doc["seed"], doc["replications"]) == ("fake", 11, 3)
    assert list(doc["metrics"]) == list(METRIC_NAMES)
    assert set(doc["by_source"]) == {"web", "inbound"}
    entry = doc["metrics"]["conversion_rate"]
    assert set(entry) == {"mean", "ci_low", "ci_high", "unit"} and entry["unit"] == "share"
    values = [compute_metrics(r)["conversion_rate"] for r in results]
    assert entry["mean"] == pytest.approx(sum(values) / 3)
    assert entry["ci_low"] < entry["mean"] < entry["ci_high"]
    # Rep-level metrics are undefined per source: null, not NaN.
    assert doc["by_source"]["web"]["rep_occupancy"]["mean"] is None
    curve = doc["conversions_by_attempt"]
    assert curve == sorted(curve) and curve[-1] == pytest.approx(1.0)
    assert isinstance(doc["censored_leads"], int) and doc["censored_leads"] > 0


def test_single_replication_has_null_intervals():
    doc = aggregate([fake_simulate(SCENARIO, seed=1, replication=0)], "fake", 1)
    assert doc["metrics"]["leads"]["ci_low"] is None
    assert doc["metrics"]["leads"]["mean"] == compute_metrics(
        fake_simulate(SCENARIO, seed=1, replication=0))["leads"]


def test_undefined_metric_becomes_null_and_curves_are_padded():
    # Replication 0: one conversion at attempt 1; replication 1: conversions at 1 and 3;
    # replication 2: no conversion (left out of the curve; cost_per_conversion undefined).
    def result(r, attempts_of_conversions):
        leads = [lead(created=float(i), converted=True, contact_attempt=k)
                 for i, k in enumerate(attempts_of_conversions)] or [lead(created=1.0)]
        return make_result(leads, replication=r)

    doc = aggregate([result(0, [1]), result(1, [1, 3]), result(2, [])], "hand", 1)
    text = json.dumps(doc, allow_nan=False)
    assert "NaN" not in text
    assert doc["conversions_by_attempt"] == pytest.approx([0.75, 0.75, 1.0])
    assert doc["censored_leads"] == 0
    no_inbound = doc["metrics"]["inbound_answered_rate"]  # no inbound call in any replication
    assert no_inbound == {"mean": None, "ci_low": None, "ci_high": None, "unit": "share"}
    # Defined in two replications (cost 0 / 1 and 0 / 2): mean of the defined ones.
    assert doc["metrics"]["cost_per_conversion"]["mean"] == 0.0
    assert not math.isnan(doc["metrics"]["conversions"]["mean"])


def test_aggregate_needs_results():
    with pytest.raises(ValueError):
        aggregate([], "x", 1)
