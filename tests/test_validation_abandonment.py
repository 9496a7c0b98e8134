"""Theory checks for impatient callers: Erlang A (M/M/c+M), M/M/c+D and fair queueing.

An inbound-only floor -- Poisson callers on flat lines, c reps on duty around the
clock, exponential talk time without wrap-up, callers who hang up after their
patience and are lost (``abandonment: lost``) -- is exactly the M/M/c+G queue of
queueing theory. With exponential patience (Erlang A) and with a fixed patience
(M/M/c+D) the formulas in leadsim.planner.queueing give P(wait), P(abandon), the
mean wait of the answered calls and the service level; the simulator must
reproduce them within the 95% Student-t interval of seeded replications (fixed
seeds, so the test is deterministic). Theory values come from the formulas,
which tests/test_queueing_impatient.py checks on their own.
"""

from __future__ import annotations

from typing import Any

import pytest

from leadsim.planner.queueing import erlang_a, mmc_deterministic_patience
from leadsim.planner.stats import summarize
from leadsim.scenarios.schema import Scenario
from leadsim.simulator.metrics import compute_all
from leadsim.simulator.run import simulate

MEAN_HANDLE = 5.0  # minutes
REPLICATIONS = 8
T_SECONDS = 20.0


def impatient_floor(c: int, calls_per_minute: float, patience: Any, *, lines: int = 1, days: float = 2.0,
                    inbound_order: str = "fifo") -> Scenario:
    """An inbound-only floor that is an M/M/c+G queue (``lines`` identical inbound sources)."""
    names = [f"line{i + 1}" for i in range(lines)]
    return Scenario.model_validate({
        "name": "impatient",
        "calendar": {"start": "2026-01-05", "timezone": "UTC"},
        "run": {"warmup_days": 0.25, "days": days, "drain_days": 0.25, "seed": 7},
        "sources": [
            {"name": n, "kind": "inbound_call", "volume": {"per_day": calls_per_minute * 1440.0 / lines},
             "profile": "flat", "quality": {"fixed": 0.5}, "patience_seconds": patience,
             "abandonment": "lost", "service_level_seconds": T_SECONDS}
            for n in names
        ],
        "teams": [{
            "name": "agents", "headcount": c,
            "shifts": [{"days": "mon-sun", "start": "00:00", "end": "24:00"}],
            "handle_minutes": {"talk": {"exponential": {"mean": MEAN_HANDLE}}, "wrap": {"fixed": 0}},
        }],
        "contact": {"base": {n: 0.5 for n in names}, "age_decay": None},
        "conversion": {"qualify": {n: 0.5 for n in names}, "close": {n: 0.5 for n in names}},
        "policy": {"inbound_order": inbound_order,
                   "cadence": {"call_target": 1,
                               "calling_window": {"start": "00:00", "end": "24:00", "in": "floor_time"}}},
    })


def replicate(scenario: Scenario) -> list[dict[str, Any]]:
    return [compute_all(simulate(scenario, replication=r)) for r in range(REPLICATIONS)]


def inside(values: list[float], expected: float) -> tuple[bool, str]:
    s = summarize(values)
    assert s.ci_low is not None and s.ci_high is not None
    return s.ci_low <= expected <= s.ci_high, (
        f"expected {expected:.4f}, got {s.mean:.4f} [{s.ci_low:.4f}, {s.ci_high:.4f}]")


def check_against(results: list[dict[str, Any]], theory: Any) -> None:
    overall = [r["metrics"] for r in results]
    checks = {
        # Each caller rings once (lost after hanging up): a lead waited iff its call did.
        "P(wait)": ([m["share_waited"] for m in overall], theory.p_wait),
        "P(abandon)": ([m["abandonment_rate"] for m in overall], theory.p_abandon),
        "mean wait of answered (min)": ([m["asa_seconds"] / 60.0 for m in overall], theory.mean_wait_answered),
        f"service level {T_SECONDS:g} s": ([m["service_level"] for m in overall], theory.p_answered_within[0]),
    }
    failures = []
    for what, (values, expected) in checks.items():
        ok, msg = inside(values, expected)
        if not ok:
            failures.append(f"{what}: {msg}")
    assert not failures, failures


@pytest.mark.parametrize(
    "c,load,patience_mean_s",
    [
        (5, 0.8, 120.0),  # a = 4 Erlangs on 5 reps
        (5, 1.3, 120.0),  # overloaded: a = 6.5 Erlangs on 5 reps (load > 1), stable by abandonment
    ],
)
def test_theory_erlang_a_exponential_patience(c: int, load: float, patience_mean_s: float) -> None:
    rate = load * c / MEAN_HANDLE
    scenario = impatient_floor(c, rate, {"exponential": {"mean": patience_mean_s}})
    theory = erlang_a(c, rate, 1.0 / MEAN_HANDLE, 60.0 / patience_mean_s, thresholds=[T_SECONDS / 60.0])
    check_against(replicate(scenario), theory)


@pytest.mark.parametrize("c,load", [(5, 0.9), (5, 1.2)])
def test_theory_mmc_fixed_patience(c: int, load: float) -> None:
    rate = load * c / MEAN_HANDLE
    scenario = impatient_floor(c, rate, 60)
    theory = mmc_deterministic_patience(c, rate, 1.0 / MEAN_HANDLE, 1.0, thresholds=[T_SECONDS / 60.0])
    check_against(replicate(scenario), theory)


def test_theory_two_identical_lines_abandon_equally_under_fifo() -> None:
    """Two lines of the same traffic, one pool of reps: FIFO treats their callers alike.

    Each line's abandonment must lie in the other's interval and both must contain
    the M/M/c+D value of the pooled traffic: 18.2% at the point of issue 9 (5 reps,
    load 0.9, 60 s patience), where strict priority by source gave 15.8% and 20.2%.
    """
    c, rate = 5, 0.9 * 5 / MEAN_HANDLE  # load 0.9 over both lines
    results = replicate(impatient_floor(c, rate, 60, lines=2))
    theory = mmc_deterministic_patience(c, rate, 1.0 / MEAN_HANDLE, 1.0).p_abandon
    one = [r["by_source"]["line1"]["abandonment_rate"] for r in results]
    two = [r["by_source"]["line2"]["abandonment_rate"] for r in results]
    for values in (one, two):
        ok, msg = inside(values, theory)
        assert ok, msg
    s1, s2 = summarize(one), summarize(two)
    assert s1.ci_low <= s2.mean <= s1.ci_high and s2.ci_low <= s1.mean <= s2.ci_high, (s1, s2)


def test_theory_source_priority_favours_the_first_line() -> None:
    """The explicit option: strict priority by source makes the second line wait for the first."""
    c, rate = 5, 0.9 * 5 / MEAN_HANDLE
    results = replicate(impatient_floor(c, rate, 60, lines=2, inbound_order="source_priority"))
    one = summarize([r["by_source"]["line1"]["abandonment_rate"] for r in results])
    two = summarize([r["by_source"]["line2"]["abandonment_rate"] for r in results])
    assert one.ci_high is not None and two.ci_low is not None
    assert one.ci_high < two.ci_low, (one, two)
