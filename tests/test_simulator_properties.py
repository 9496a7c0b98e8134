"""Property tests: invariants of a simulated floor over random valid scenarios."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadsim.engine.calendar import FloorCalendar
from leadsim.scenarios.schema import Scenario, parse_hhmm
from leadsim.simulator.results import CHANNELS, LEAD_STATUSES, OUTCOMES
from leadsim.simulator.run import build_reps, run_window, simulate

ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London"]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Small random scenarios covering windows, caps, expiry, inbound, batches and shifts."""
    n_zones = draw(st.integers(1, 3))
    zones = {z: draw(st.floats(0.1, 1.0)) for z in draw(st.permutations(ZONES))[:n_zones]}
    win_start = draw(st.sampled_from(["00:00", "07:00", "08:00", "09:30"]))
    win_end = draw(st.sampled_from(["17:00", "20:00", "24:00"]))
    shift_start = draw(st.sampled_from(["00:00", "07:00", "08:00"]))
    shift_end = draw(st.sampled_from(["16:00", "18:00", "24:00"]))
    spacing = draw(st.lists(st.floats(0, 600), min_size=1, max_size=6))
    doc: dict[str, Any] = {
        "name": "prop",
        "calendar": {"start": "2026-03-02", "timezone": "America/Chicago", "holidays": ["2026-03-04"]},
        "run": {"warmup_days": 1, "days": draw(st.integers(2, 5)), "drain_days": 2, "seed": draw(st.integers(0, 10**6)), "sample_minutes": 60},
        "sources": [
            {"name": "web", "volume": {"per_day": draw(st.floats(5, 80))}, "profile": draw(st.sampled_from(["flat", "office_hours", "business_days"])),
             "timezones": zones, "expiry_hours": draw(st.one_of(st.none(), st.floats(1, 72)))},
            {"name": "phone", "kind": "inbound_call", "volume": {"per_day": draw(st.floats(0, 20))}, "patience_seconds": draw(st.floats(5, 120))},
            {"name": "show", "kind": "batch", "batches": [{"day": draw(st.integers(0, 4)), "count": draw(st.integers(0, 60))}]},
        ],
        "teams": [
            {"name": "sdr", "headcount": draw(st.integers(1, 6)), "shrinkage": draw(st.floats(0, 0.3)),
             "shifts": [{"days": draw(st.sampled_from(["mon-fri", "mon-sun", "tue,thu,sat"])), "start": shift_start, "end": shift_end}]},
        ],
        "contact": {
            "base": {"web": draw(st.floats(0.05, 0.9)), "phone": 0.5, "show": draw(st.floats(0.05, 0.9))},
            "attempt_odds": [1.0, 0.8, 0.6],
            "bad_number_rate": draw(st.floats(0, 0.2)),
        },
        "conversion": {"qualify": {"web": 0.4, "phone": 0.5, "show": 0.3}, "close": {"web": 0.3, "phone": 0.3, "show": 0.2}},
        "policy": {
            "priority": draw(st.permutations(["callbacks", "new_leads", "due_followups"])),
            "new_leads_order": draw(st.sampled_from(["oldest_first", "newest_first"])),
            "cadence": {
                "call_target": draw(st.integers(1, 8)),
                "spacing_minutes": spacing,
                "calling_window": {"start": win_start, "end": win_end, "in": draw(st.sampled_from(["lead_local_time", "floor_time"]))},
                "max_attempts_per_day": draw(st.one_of(st.none(), st.integers(1, 4))),
                "steps": [{"after_attempt": 1, "channel": "email"}],
                "nurture_after_days": draw(st.one_of(st.none(), st.floats(1, 5))),
            },
        },
    }
    return Scenario.model_validate(doc)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios())
def test_floor_invariants(scenario: Scenario) -> None:
    result = simulate(scenario)
    leads, att = result.leads, result.attempts
    cad = scenario.policy.cadence
    calls = att.channel == CHANNELS.index("call")

    # Every lead ends in exactly one final state (or censored); nothing is left open.
    assert np.all(leads.status > 0)
    censored = leads.status == LEAD_STATUSES.index("censored")
    assert np.all(np.isnan(leads.closed_at[censored]))
    assert np.all(~np.isnan(leads.closed_at[~censored]))
    assert np.all(leads.closed_at[~censored] >= leads.created[~censored] - 1e-9)
    # Converted leads were reached; attempt counts agree with the attempt log.
    assert np.all(leads.contact_attempt[leads.converted] > 0)
    per_lead = np.bincount(att.lead[calls], minlength=len(leads))
    assert np.array_equal(per_lead, leads.attempts)

    # No attempt over the call target; attempt numbers run 1..n per lead.
    assert leads.attempts.max(initial=0) <= cad.call_target
    # A reached lead is never called again.
    reached_at = leads.contact_attempt
    assert np.all((reached_at == 0) | (reached_at == leads.attempts))

    calendar = FloorCalendar(scenario.calendar.start, scenario.calendar.timezone)
    w_open, w_close = parse_hhmm(cad.calling_window.start), parse_hhmm(cad.calling_window.end)
    in_lead_time = cad.calling_window.clock == "lead_local_time"
    day_counts: dict[tuple[int, int], int] = {}
    last_end: dict[int, float] = {}
    for lead, start, dur, attempt in zip(att.lead[calls], att.start[calls], att.duration[calls], att.attempt[calls]):
        lead, start = int(lead), float(start)
        zone = result.timezones[leads.timezone[lead]]
        live = bool(leads.inbound[lead] and leads.answered_live[lead] and attempt == 1)
        if not live:  # answering a caller on the line is not an outbound call
            tod = calendar.local(start, zone if in_lead_time else scenario.calendar.timezone) % 1440.0
            assert w_open - 1e-6 <= tod < w_close + 1e-6, f"call at {tod} outside window"
        day = int(calendar.local(start, zone) // 1440)
        day_counts[(lead, day)] = day_counts.get((lead, day), 0) + 1
        if cad.max_attempts_per_day is not None:
            assert day_counts[(lead, day)] <= cad.max_attempts_per_day
        if attempt > 1 and not leads.inbound[lead]:
            spacing = cad.spacing_minutes[min(attempt - 1, len(cad.spacing_minutes) - 1)]
            assert start >= last_end[lead] + spacing - 1e-6
        elif attempt == 1 and not leads.inbound[lead]:
            assert start >= leads.created[lead] + cad.spacing_minutes[0] - 1e-6
        last_end[lead] = start + float(dur)

    # No rep on two calls at once, and every call starts inside the rep's working time.
    _, _, end = run_window(scenario)
    reps = build_reps(scenario, calendar, end, result.seed, result.replication)
    for rep in reps:
        mine = calls & (att.rep == rep.rep_id)
        starts, ends = att.start[mine], att.start[mine] + att.duration[mine]
        order = np.argsort(starts)
        assert np.all(starts[order][1:] >= ends[order][:-1] - 1e-9)
        for s in starts:
            assert any(a - 1e-9 <= s < b for a, b in rep.schedule.intervals), "call started off shift"


def test_outcome_codes_are_canonical() -> None:
    assert set(OUTCOMES) - {""} == {"no_answer", "voicemail", "busy", "bad_number", "contact", "qualified", "converted"}
    assert not math.isnan(0.0)
