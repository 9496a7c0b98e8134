"""Every metric checked against a number computed by hand from a few written-out leads."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from leadsim.simulator.metrics import (
    METRIC_NAMES,
    METRICS,
    OVERALL_ONLY,
    compute_all,
    compute_metrics,
    conversions_by_attempt,
)
from result_factory import attempt, lead, make_result, random_result

NAN = float("nan")
DOCS = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"


def hand_result():
    """Window [0, 1000); sources web (value 1000, cost 10) and inbound (500, 0); target 4.

    L0..L5 are counted; L6 is a warm-up lead and L7 is created at the window end.
    """
    leads = [
        # L0: web, attempted after 0.5 min, reached on the 2nd call at 30, converted.
        lead(created=0.0, first_attempt=0.5, first_contact=30.0, contact_attempt=2, attempts=2,
             attempts_day1=2, status="converted", closed_at=40.0, qualified=True, converted=True),
        # L1: web, reached on the 1st call after 3 min, qualified, did not close.
        lead(created=10.0, first_attempt=13.0, first_contact=13.0, contact_attempt=1, attempts=1,
             attempts_day1=1, status="contacted", closed_at=20.0, qualified=True),
        # L2: web, first call after 100 min, 4 calls (2 in its first day), never reached.
        lead(created=100.0, first_attempt=200.0, attempts=4, attempts_day1=2, status="exhausted",
             closed_at=3001.0),
        # L3: web, never attempted, still open at the end.
        lead(created=500.0, status="censored"),
        # L4: inbound call answered at once, converted on that call.
        lead(source=1, created=600.0, inbound=True, answered_live=True, first_attempt=600.0,
             first_contact=600.0, contact_attempt=1, attempts=1, attempts_day1=1,
             status="converted", closed_at=610.0, qualified=True, converted=True),
        # L5: inbound call missed, called back 2000 min later without answer, expired.
        lead(source=1, created=700.0, inbound=True, first_attempt=2700.0, attempts=1,
             status="expired", closed_at=2800.0),
        # L6: warm-up lead (not counted), converted; its 2nd call falls in the window.
        lead(created=-50.0, first_attempt=-40.0, first_contact=5.0, contact_attempt=2, attempts=2,
             status="converted", qualified=True, converted=True),
        # L7: created exactly at the window end: not counted.
        lead(created=1000.0, first_attempt=1001.0, attempts=1),
    ]
    attempts = [
        attempt(6, -40.0), attempt(0, 0.5), attempt(6, 5.0, "converted", number=2),
        attempt(1, 13.0, "qualified"), attempt(0, 30.0, "converted", number=2),
        attempt(2, 200.0), attempt(2, 210.0, "", rep=-1, channel="email", number=0),
        attempt(2, 400.0, "voicemail", number=2), attempt(4, 600.0, "converted"),
        attempt(7, 1001.0), attempt(2, 1600.0, number=3), attempt(5, 2700.0),
        attempt(2, 3000.0, number=4),
    ]
    return make_result(
        leads, attempts, source_values=(1000.0, 500.0), source_costs=(10.0, 0.0),
        rep_cost_per_hour=30.0, available=[400.0, 600.0], busy=[100.0, 200.0],
        scheduled_hours=[8.0, 12.0], shift_days=[2, 3],
        backlog=[(-100, 100, 50), (0, 2, 1), (500, 4, 1), (999, 6, 1), (1000, 50, 20),
                 (2000, 70, 30)],
        # Offered calls: L4 answered at once; L5 hung up after 45 s; an offer at the
        # window end (not counted) answered after 30 s.
        offers=[(4, 600.0, 0.0, 1, 0), (5, 700.0, 0.75, 0, 0), (7, 1000.0, 0.5, 1, 0)],
        wrap=[20.0, 50.0],
    )


EXPECTED_OVERALL = {
    "leads": 6, "attempts": 9, "attempts_per_lead": 1.5,
    "speed_to_first_attempt_mean_min": (0.5 + 3 + 100 + 0 + 2000) / 5,
    "speed_to_first_attempt_p50_min": 3.0,
    # sorted [0, 0.5, 3, 100, 2000]; position 0.9 * 4 = 3.6 -> 100 + 0.6 * 1900
    "speed_to_first_attempt_p90_min": 1240.0,
    "share_first_attempt_within_1_min": 2 / 6, "share_first_attempt_within_5_min": 3 / 6,
    "share_first_attempt_within_60_min": 3 / 6, "share_first_attempt_within_24_h": 4 / 6,
    "share_never_attempted": 1 / 6, "share_waited": 5 / 6, "share_called_once": 3 / 6,
    "penetration_rate": (50 + 25 + 100 + 0 + 25 + 25) / 6,
    "penetration_rate_day1": (2 + 1 + 2 + 0 + 1 + 0) / 4 * 100 / 6,
    "contact_rate": 0.5, "attempt_contact_rate": 3 / 9, "attempts_to_contact": 4 / 3,
    "speed_to_first_contact_mean_min": 11.0, "speed_to_first_contact_p50_min": 3.0,
    "speed_to_first_contact_p90_min": 24.6,  # sorted [0, 3, 30]; position 1.8
    "share_first_contact_within_5_min": 2 / 6, "share_first_contact_within_60_min": 3 / 6,
    "qualification_rate": 3 / 6, "conversion_rate": 2 / 6, "conversions": 2,
    "conversions_per_rep": 1.0, "rep_occupancy": 0.3,
    # calls started in [0, 1000) on any lead: 0.5, 30, 13, 200, 400, 600 and warm-up L6 at 5.
    "activities_per_rep_day": 7 / 5,
    "backlog_due_mean": 4.0, "backlog_new_mean": 1.0, "share_censored": 1 / 6,
    "inbound_calls": 2, "inbound_answered_rate": 0.5,
    "calls_offered": 2, "calls_answered": 1, "calls_abandoned": 1,
    "service_level": 0.5,  # L4 within 20 s; L5 abandoned
    "asa_seconds": 0.0, "abandonment_rate": 0.5,
    "abandonment_rate_of_queued": 1.0,  # only L5 waited
    "wait_mean_seconds": 22.5,  # (0 + 45) / 2
    "wait_p90_seconds": 40.5,  # sorted [0, 45]; position 0.9
    "occupancy_without_acw": (300.0 - 70.0) / 1000.0,
    "calls_handled_per_agent_hour": 1 / (1000.0 / 60.0),
    "revenue": 1500.0, "cost": 40.0 + 30.0 * 20.0, "profit": 1500.0 - 640.0,
    "cost_per_conversion": 640.0 / 2,
}


def test_expected_table_covers_every_metric():
    assert set(EXPECTED_OVERALL) == set(METRIC_NAMES)


@pytest.mark.parametrize("name", sorted(EXPECTED_OVERALL))
def test_overall_metric_matches_hand_computation(name):
    metrics = compute_metrics(hand_result())
    assert metrics[name] == pytest.approx(EXPECTED_OVERALL[name], rel=1e-12), name


def test_result_keys_are_in_display_order():
    assert list(compute_metrics(hand_result())) == list(METRIC_NAMES)
    assert list(compute_metrics(hand_result(), source=1)) == list(METRIC_NAMES)


def test_per_source_split_web():
    web = compute_metrics(hand_result(), source=0)
    assert web["leads"] == 4 and web["attempts"] == 7 and web["attempts_per_lead"] == 1.75
    assert web["speed_to_first_attempt_mean_min"] == pytest.approx(103.5 / 3)
    assert web["speed_to_first_attempt_p90_min"] == pytest.approx(3 + 0.8 * 97)
    assert web["share_never_attempted"] == 0.25 and web["share_waited"] == 1.0
    assert web["contact_rate"] == 0.5 and web["attempt_contact_rate"] == pytest.approx(2 / 7)
    assert web["conversions"] == 1 and web["conversion_rate"] == 0.25
    assert web["inbound_calls"] == 0 and math.isnan(web["inbound_answered_rate"])
    assert web["share_censored"] == 0.25
    # Per source: lead costs only, no rep cost.
    assert (web["revenue"], web["cost"], web["profit"], web["cost_per_conversion"]) == (
        1000.0, 40.0, 960.0, 40.0)


def test_per_source_split_inbound():
    inbound = compute_metrics(hand_result(), source=1)
    assert inbound["leads"] == 2 and inbound["attempts"] == 2
    assert inbound["share_first_attempt_within_1_min"] == 0.5
    assert inbound["share_waited"] == 0.5
    assert inbound["inbound_calls"] == 2 and inbound["inbound_answered_rate"] == 0.5
    assert inbound["revenue"] == 500.0 and inbound["cost"] == 0.0
    assert inbound["cost_per_conversion"] == 0.0


def test_overall_only_metrics_are_nan_per_source():
    for source in (0, 1):
        metrics = compute_metrics(hand_result(), source=source)
        for name in OVERALL_ONLY:
            assert math.isnan(metrics[name]), name


def test_service_level_uses_each_sources_threshold():
    # Two calls answered after 30 s: within T = 40 s (inbound), not within T = 20 s (web).
    result = make_result([lead(created=1.0), lead(source=1, created=2.0)],
                         offers=[(0, 1.0, 0.5, 1, 0), (1, 2.0, 0.5, 1, 0)],
                         service_level_seconds=(20.0, 40.0))
    assert compute_metrics(result, source=0)["service_level"] == 0.0
    assert compute_metrics(result, source=1)["service_level"] == 1.0
    assert compute_metrics(result)["service_level"] == 0.5
    assert compute_metrics(result)["asa_seconds"] == pytest.approx(30.0)


def test_service_level_without_offered_calls_is_nan():
    metrics = compute_metrics(hand_result(), source=0)  # web: no inbound calls
    assert metrics["calls_offered"] == 0 and math.isnan(metrics["service_level"])
    assert math.isnan(metrics["asa_seconds"]) and math.isnan(metrics["abandonment_rate"])


def test_per_source_counts_add_up_to_overall():
    everything = compute_all(hand_result())
    for name in ("leads", "attempts", "conversions", "inbound_calls", "revenue", "calls_offered",
                 "calls_answered", "calls_abandoned"):
        total = sum(block[name] for block in everything["by_source"].values())
        assert total == everything["metrics"][name], name
    assert list(everything["by_source"]) == ["web", "inbound"]


def test_empty_result_gives_nan_not_an_exception():
    metrics = compute_metrics(make_result([], rep_cost_per_hour=10.0, available=[0.0],
                                          busy=[0.0], scheduled_hours=[5.0], shift_days=[0]))
    assert metrics["leads"] == 0 and metrics["conversions"] == 0 and metrics["attempts"] == 0
    assert metrics["cost"] == 50.0 and metrics["profit"] == -50.0
    for name in ("attempts_per_lead", "speed_to_first_attempt_mean_min",
                 "speed_to_first_attempt_p90_min", "share_waited", "penetration_rate",
                 "contact_rate", "attempt_contact_rate", "attempts_to_contact", "rep_occupancy",
                 "activities_per_rep_day", "backlog_due_mean", "inbound_answered_rate",
                 "cost_per_conversion"):
        assert math.isnan(metrics[name]), name


def test_no_reps_and_no_money_tables():
    result = make_result([lead(created=1.0, converted=True, contact_attempt=1, attempts=1,
                               first_attempt=1.0, first_contact=1.0)])
    metrics = compute_metrics(result)
    assert math.isnan(metrics["conversions_per_rep"]) and math.isnan(metrics["rep_occupancy"])
    assert metrics["revenue"] == 0.0 and metrics["cost"] == 0.0  # values not given: zero
    assert metrics["share_waited"] == 0.0  # attempted the moment it arrived


def test_money_table_of_wrong_length_is_an_error():
    result = make_result([lead()], source_values=(1.0,))
    with pytest.raises(ValueError, match="source_values"):
        compute_metrics(result)


def test_conversions_by_attempt_is_cumulative():
    assert conversions_by_attempt(hand_result()) == [0.5, 1.0]
    leads = [lead(created=float(i), converted=True, contact_attempt=k)
             for i, k in enumerate([1, 1, 3, 6])]
    assert conversions_by_attempt(make_result(leads)) == [0.5, 0.5, 0.75, 0.75, 0.75, 1.0]
    assert conversions_by_attempt(make_result([lead()])) == []


def test_metric_definitions_are_complete():
    names = [m.name for m in METRICS]
    assert len(names) == len(set(names))
    for definition in METRICS:
        assert definition.unit and definition.description and definition.group


def _documented_names() -> list[str]:
    return re.findall(r"^\|\s*`([a-z0-9_]+)`\s*\|", DOCS.read_text(encoding="utf-8"), re.M)


def test_docs_define_every_metric():
    documented = _documented_names()
    assert sorted(documented) == sorted(set(documented)), "a metric is documented twice"
    assert set(METRIC_NAMES) - set(documented) == set(), "metrics missing from docs/metrics.md"


def test_docs_name_no_unknown_metric():
    assert set(_documented_names()) - set(METRIC_NAMES) == set()


def test_docs_units_match_code():
    rows = re.findall(r"^\|\s*`([a-z0-9_]+)`\s*\|\s*([^|]+?)\s*\|", DOCS.read_text("utf-8"), re.M)
    units = {m.name: m.unit for m in METRICS}
    for name, unit in rows:
        assert units[name] == unit, name


def test_a_million_leads():
    # Correctness at scale only: how fast it is belongs in benchmarks/ (bench_retrial.py
    # times compute_all), never in a timed test on a shared, loaded machine.
    result = random_result(1_000_000)
    everything = compute_all(result)
    assert conversions_by_attempt(result)
    assert everything["metrics"]["leads"] > 0
    assert np.isfinite(everything["metrics"]["rep_occupancy"])
