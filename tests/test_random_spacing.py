"""Random spacing: ``spacing_minutes`` entries may be distributions.

The engine draws nothing: a None entry in its schedule makes it ask the host's gap
provider, ``gap(lead_id, attempt, index)``. The simulator's provider draws from
the lead's own luck key, per lead and per attempt, so two scenarios run with the
same seed give each lead the same gaps whatever their policies (common random
numbers).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsim.engine import (
    AttemptResult,
    CadenceRules,
    Engine,
    EngineConfig,
    EngineError,
    FloorCalendar,
    NewLead,
    RepView,
)
from leadsim.scenarios.errors import ScenarioError
from leadsim.scenarios.loader import load_scenario
from leadsim.scenarios.schema import Scenario
from leadsim.simulator import streams
from leadsim.simulator.engine_config import engine_config
from leadsim.simulator.run import simulate
from leadsim.simulator.spacing import gap_provider

ANYTIME = {"window": (0.0, 1440.0)}


def _engine(spacing: tuple[float | None, ...], gap: Any = None, call_target: int = 4) -> Engine:
    config = EngineConfig(cadence=CadenceRules(call_target=call_target, spacing=spacing, **ANYTIME))
    return Engine(config, FloorCalendar(dt.date(2026, 1, 5), "UTC"), gap=gap)


def test_a_random_entry_without_a_gap_provider_is_refused() -> None:
    with pytest.raises(EngineError, match="gap provider"):
        _engine((0.0, None))


def test_a_fixed_schedule_needs_no_gap_provider_and_never_calls_one() -> None:
    def gap(lead_id: int, attempt: int, index: int) -> float:
        raise AssertionError("called for a fixed schedule")

    engine = _engine((0.0, 30.0), gap)
    engine.lead_arrived(NewLead(1, "web", 0.0, "UTC"), 0.0)
    rep = RepView(0, "sdr")
    dial = engine.next_for(rep, 0.0)
    assert dial is not None
    engine.attempt_ended(AttemptResult(1, 0, 0.0, 5.0, "no_answer"))
    assert engine.next_due_time() == 35.0


def test_the_engine_asks_the_host_for_each_random_gap_and_uses_it() -> None:
    # A live floor's host: a deterministic rule, no randomness anywhere.
    asked: list[tuple[int, int, int]] = []

    def gap(lead_id: int, attempt: int, index: int) -> float:
        asked.append((lead_id, attempt, index))
        return 10.0 * attempt + index

    engine = _engine((None, 5.0, None), gap)
    rep = RepView(0, "sdr")
    engine.lead_arrived(NewLead(7, "web", 100.0, "UTC"), 100.0)
    assert asked == [(7, 1, 0)]
    assert engine.next_due_time() == 110.0  # creation + gap(7, 1, 0) = 10
    now = 110.0
    dues = []
    for _ in range(3):
        dial = engine.next_for(rep, now)
        assert dial is not None and dial.lead_id == 7
        engine.attempt_ended(AttemptResult(7, 0, now, now + 1.0, "no_answer"))
        due = engine.next_due_time()
        assert due is not None
        dues.append(due - (now + 1.0))
        now = due
    # before attempt 2: the fixed 5; before 3 and 4: index 2 (the last entry repeats)
    assert dues == [5.0, 32.0, 42.0]
    assert asked == [(7, 1, 0), (7, 3, 2), (7, 4, 2)]


def _scenario(priority: list[str], headcount: int, seed: int = 3) -> Scenario:
    exp = {"exponential": {"mean": 2.0}}
    return Scenario.model_validate(
        {
            "name": "random_spacing",
            "calendar": {"start": "2026-01-05", "timezone": "UTC"},
            "run": {"warmup_days": 0, "days": 0.5, "drain_days": 1, "seed": seed, "sample_minutes": 60},
            "sources": [{"name": "leads", "volume": {"per_day": 400}, "profile": "flat"}],
            "teams": [
                {
                    "name": "reps",
                    "headcount": headcount,
                    "shifts": [{"days": "mon-sun", "start": "00:00", "end": "24:00"}],
                    "handle_minutes": {"no_answer": exp, "voicemail": exp, "busy": exp, "bad_number": exp,
                                       "talk": exp, "wrap": {"fixed": 0}},
                }
            ],
            "contact": {"base": {"leads": 0.3}, "age_decay": None, "voicemail_share": 0.0, "busy_share": 0.0},
            "conversion": {"qualify": {"leads": 0.5}, "close": {"leads": 0.5}, "speed_decay": None},
            "policy": {
                "priority": priority,
                "cadence": {
                    "call_target": 5,
                    "spacing_minutes": [0, {"exponential": {"mean": 60}}, {"weibull": {"shape": 2, "scale": 90}}],
                    "calling_window": {"start": "00:00", "end": "24:00"},
                },
            },
        }
    )


def _gaps(scenario: Scenario) -> dict[tuple[int, int], float]:
    """(lead, attempt k >= 2) -> start of attempt k minus the end of attempt k - 1, from the logs."""
    attempts = simulate(scenario).attempts
    calls = attempts.channel == 0
    end: dict[tuple[int, int], float] = {}
    start: dict[tuple[int, int], float] = {}
    for lead, k, s, d in zip(attempts.lead[calls].tolist(), attempts.attempt[calls].tolist(),
                             attempts.start[calls].tolist(), attempts.duration[calls].tolist()):
        start[(lead, k)] = s
        end[(lead, k)] = s + d
    return {(lead, k): s - end[(lead, k - 1)] for (lead, k), s in start.items() if k >= 2}


def test_with_reps_to_spare_each_gap_is_the_lead_s_own_draw_whatever_the_policy() -> None:
    # 60 reps for ~0.5 leads in the system at a time: nobody waits for a rep, so the
    # time between attempts is exactly the drawn gap, in both policies.
    fifo = _scenario(["fifo"], 60)
    tiers = _scenario(["new_leads", "due_followups"], 40)
    gaps_fifo, gaps_tiers = _gaps(fifo), _gaps(tiers)
    keys = streams.lead_keys(3, 0, "leads", 10_000)
    provider = gap_provider(fifo, keys)
    assert provider is not None
    common = sorted(set(gaps_fifo) & set(gaps_tiers))
    assert len(common) > 100
    for lead, k in common:
        expected = provider(lead, k, min(k - 1, 2))
        assert gaps_fifo[(lead, k)] == pytest.approx(expected, abs=1e-6)
        assert gaps_tiers[(lead, k)] == pytest.approx(expected, abs=1e-6)
    # drawn, not fixed: the gaps before attempt 2 vary, around the mean of 60
    second = [g for (_, k), g in gaps_fifo.items() if k == 2]
    assert len(set(second)) == len(second) and 40 < sum(second) / len(second) < 80


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32), lead=st.integers(0, 999), attempt=st.integers(1, 20))
def test_gaps_are_drawn_per_lead_and_attempt_and_equal_for_the_same_seed_whatever_the_policy(
    seed: int, lead: int, attempt: int
) -> None:
    keys = streams.lead_keys(seed, 0, "leads", 1000)
    one = gap_provider(_scenario(["fifo"], 5, seed), keys)
    other = gap_provider(_scenario(["callbacks", "new_leads", "due_followups"], 12, seed), keys)
    assert one is not None and other is not None
    assert one(lead, attempt, 1) == other(lead, attempt, 1)
    assert one(lead, attempt, 1) >= 0.0
    assert one(lead, attempt, 1) != one(lead, attempt + 1, 1)  # a fresh draw per attempt
    assert one(lead, attempt, 1) != one((lead + 1) % 1000, attempt, 1)  # and per lead


def test_fixed_schedules_get_no_provider_and_the_engine_sees_numbers() -> None:
    baseline = load_scenario("baseline")
    assert gap_provider(baseline, [1, 2]) is None
    assert None not in engine_config(baseline).cadence.spacing
    random = _scenario(["fifo"], 5)
    assert engine_config(random).cadence.spacing == (0.0, None, None)
    # {fixed: x} is the number x: the engine gets the number and never asks
    fixed = load_scenario("baseline", ["policy.cadence.spacing_minutes=[0, {fixed: 10}, 120]"])
    assert engine_config(fixed).cadence.spacing == (0.0, 10.0, 120.0)
    assert gap_provider(fixed, [1]) is None


@pytest.mark.parametrize(
    ("entry", "field", "rule"),
    [
        ({"exponential": {"mean": 0}}, "spacing_minutes.1.exponential.mean", "greater than 0"),
        ({"lognormal": {"mean": 60}}, "spacing_minutes.1.lognormal.sd", "required"),
        ({"gamma": {"mean": 60}}, "spacing_minutes.1", "must be one of the forms"),
        ({"empirical": {"values": [5, 1], "quantiles": [0, 1]}}, "spacing_minutes.1", "must not decrease"),
    ],
)
def test_a_bad_spacing_distribution_names_the_field_and_the_rule(entry: dict, field: str, rule: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", [f"policy.cadence.spacing_minutes=[0, {json.dumps(entry)}]"])
    message = str(info.value)
    assert field in message and rule in message


@settings(max_examples=100, deadline=None)
@given(key=st.integers(0, 2**64 - 1), attempt=st.integers(1, 1000))
def test_the_gap_is_the_inverse_cdf_at_the_lead_s_spacing_uniform(key: int, attempt: int) -> None:
    # The provider inlines streams.uniform_pair; it must draw the same bits.
    provider = gap_provider(_scenario(["fifo"], 5), [key])
    assert provider is not None
    u = streams.uniform_pair(key, attempt, streams.SLOT_SPACING)[0]
    assert provider(0, attempt, 1) == -60.0 * math.log1p(-u)
