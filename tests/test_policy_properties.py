"""Property tests: the engine's rules hold on a simulated floor, over random policies and scenarios.

Each example draws a small scenario (a few days, a few reps, three sources) and a
random policy (distribution mode, priority rules with parameters, cadence with
caps, regions, per-outcome rules, spacing in wall-clock or calling time, human
teams), runs :func:`simulate` and checks every attempt in the log against the
rules, independently of the engine's own arithmetic.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadsim.engine.calendar import FloorCalendar
from leadsim.scenarios.schema import Scenario, parse_hhmm
from leadsim.simulator.results import CHANNELS, LEAD_STATUSES, OUTCOMES
from leadsim.simulator.run import build_reps, run_window, simulate

ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London"]
EPS = 1e-6
DAY = 1440.0
STATUS = {name: i for i, name in enumerate(LEAD_STATUSES)}
CALL = CHANNELS.index("call")

STAGES = st.sampled_from([["first", "followup"], ["first", "followup"], ["first", "followup"], ["first"], ["followup"]])
WINDOW_STARTS = ["00:00", "07:00", "08:00", "09:30"]
WINDOW_ENDS = ["17:00", "20:00", "24:00"]


@st.composite
def windows(draw: st.DrawFn) -> dict[str, str]:
    return {
        "start": draw(st.sampled_from(WINDOW_STARTS)),
        "end": draw(st.sampled_from(WINDOW_ENDS)),
        "in": draw(st.sampled_from(["lead_local_time", "floor_time"])),
    }


@st.composite
def priorities(draw: st.DrawFn, allow_tuple_keys: bool) -> list:
    """A random ordered list of priority rules, some with parameters."""
    by = ["overdue", "attempt_number"] if allow_tuple_keys else ["overdue"]
    options = {
        "callbacks": st.just("callbacks"),
        "new_leads": st.one_of(st.just("new_leads"), st.builds(lambda o: {"new_leads": {"order": o}}, st.sampled_from(["oldest_first", "newest_first"]))),
        "due_followups": st.one_of(st.just("due_followups"), st.builds(lambda b: {"due_followups": {"by": b}}, st.sampled_from(by))),
        "source_weights": st.builds(
            lambda w, s, a: {"source_weights": {"weights": {"web": w, "show": s}, "aging_per_hour": a}},
            st.floats(0, 5), st.floats(0, 5), st.floats(0, 2),
        ),
        "lead_score": st.one_of(st.just("lead_score"), st.builds(lambda a: {"lead_score": {"aging_per_hour": a}}, st.floats(0, 2))),
        "fifo": st.just("fifo"),
    }
    names = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=4, unique=True))
    return [draw(options[n]) for n in names]


@st.composite
def outcome_rules(draw: st.DrawFn) -> dict[str, dict]:
    rules = {}
    for outcome in draw(st.lists(st.sampled_from(["no_answer", "voicemail", "busy"]), max_size=3, unique=True)):
        rule: dict[str, Any] = {}
        if draw(st.booleans()):
            rule["retry_minutes"] = draw(st.floats(1, 90))
        if draw(st.booleans()):
            rule["counts"] = False
        if draw(st.integers(0, 5)) == 0:
            rule["stop"] = True
        rules[outcome] = rule
    # An uncounted outcome retried at once could call one lead all run; keep it bounded.
    for rule in rules.values():
        if rule.get("counts") is False and not rule.get("stop"):
            rule["retry_minutes"] = max(rule.get("retry_minutes", 0.0), 20.0)
    return rules


@st.composite
def team(draw: st.DrawFn, name: str, human: bool) -> dict[str, Any]:
    start = draw(st.sampled_from(["00:00", "07:00", "08:00"]))
    end = draw(st.sampled_from(["16:00", "18:00", "24:00"]))
    shift: dict[str, Any] = {"days": draw(st.sampled_from(["mon-fri", "mon-sun", "tue,thu,sat"])), "start": start, "end": end}
    if draw(st.booleans()):
        shift["lunch"] = "12:00-12:45"
    doc: dict[str, Any] = {
        "name": name,
        "headcount": draw(st.integers(1, 3)),
        "shrinkage": draw(st.floats(0, 0.2)),
        "shifts": [shift],
        "stages": draw(STAGES),
    }
    if draw(st.integers(0, 3)) == 0:
        doc["sources"] = draw(st.lists(st.sampled_from(["web", "phone", "show"]), min_size=1, max_size=2, unique=True))
    if human:
        doc["behaviour"] = {
            "human": {
                "gives_up_after": draw(st.one_of(
                    st.builds(lambda n: {"fixed": n}, st.integers(1, 4)),
                    st.just({"choices": {1: 0.3, 2: 0.4, 4: 0.3}}),
                )),
                "cherry_pick": draw(st.sampled_from([0.0, 0.3, 1.0])),
            }
        }
    return doc


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Small random scenarios with random policies."""
    mode = draw(st.sampled_from(["shared_pool", "round_robin", "owner_recycle", "incoming_call_group"]))
    human = mode in ("round_robin", "owner_recycle") and draw(st.booleans())
    n_zones = draw(st.integers(1, 3))
    zones = {z: draw(st.floats(0.1, 1.0)) for z in draw(st.permutations(ZONES))[:n_zones]}
    distribution: dict[str, Any] = {"mode": mode}
    if mode == "owner_recycle":
        days = draw(st.one_of(st.none(), st.floats(0.1, 3)))
        attempts = draw(st.one_of(st.none(), st.integers(1, 4)) if days is not None else st.integers(1, 4))
        if days is not None:
            distribution["recycle_after_days"] = days
        if attempts is not None:
            distribution["recycle_after_attempts"] = attempts
    elif mode == "incoming_call_group":
        distribution.update(group="closers", group_days=draw(st.floats(0.1, 3)), handoff=draw(st.sampled_from([None, "sdr"])))
    regions = {}
    if draw(st.booleans()):
        region: dict[str, Any] = {}
        if draw(st.booleans()):
            region["calling_window"] = draw(windows())
        region["max_attempts_per_day"] = draw(st.one_of(st.none(), st.integers(1, 3)))
        region["max_attempts_per_24h"] = draw(st.one_of(st.none(), st.integers(1, 3)))
        regions[draw(st.sampled_from(sorted(zones)))] = region
    doc: dict[str, Any] = {
        "name": "policy-prop",
        "calendar": {"start": "2026-03-02", "timezone": "America/Chicago", "holidays": ["2026-03-04"]},
        "run": {"warmup_days": 1, "days": draw(st.integers(2, 4)), "drain_days": 2, "seed": draw(st.integers(0, 10**6)), "sample_minutes": 60},
        "sources": [
            {"name": "web", "volume": {"per_day": draw(st.floats(5, 60))}, "profile": draw(st.sampled_from(["flat", "office_hours", "business_days"])),
             "timezones": zones, "expiry_hours": draw(st.one_of(st.none(), st.floats(1, 72))), "inbound": draw(st.booleans()),
             "quality": {"beta": [2, 5]}},
            {"name": "phone", "kind": "inbound_call", "volume": {"per_day": draw(st.floats(0, 20))}, "patience_seconds": draw(st.floats(5, 120)),
             "timezones": zones},
            {"name": "show", "kind": "batch", "batches": [{"day": draw(st.integers(0, 3)), "count": draw(st.integers(0, 40))}],
             "expiry_hours": draw(st.one_of(st.none(), st.floats(12, 120)))},
        ],
        "teams": [draw(team("closers", human=False)), draw(team("sdr", human=human))],
        "contact": {
            "base": {"web": draw(st.floats(0.05, 0.6)), "phone": 0.5, "show": draw(st.floats(0.05, 0.6))},
            "attempt_odds": [1.0, 0.8, 0.6],
            "bad_number_rate": draw(st.floats(0, 0.1)),
            "voicemail_share": 0.4,
            "busy_share": draw(st.floats(0, 0.4)),
        },
        "conversion": {"qualify": {"web": 0.4, "phone": 0.5, "show": 0.3}, "close": {"web": 0.3, "phone": 0.3, "show": 0.2}},
        "policy": {
            "distribution": distribution,
            # Human reps + owner_recycle + tuple-keyed rules crash (see test_engine_policies).
            "priority": draw(priorities(allow_tuple_keys=True)),
            "new_leads_order": draw(st.sampled_from(["oldest_first", "newest_first"])),
            "cadence": {
                "call_target": draw(st.integers(1, 6)),
                "spacing_minutes": draw(st.lists(st.floats(0, 600), min_size=1, max_size=5)),
                "spacing_in": draw(st.sampled_from(["wall_clock", "calling_time"])),
                "calling_window": draw(windows()),
                "max_attempts_per_day": draw(st.one_of(st.none(), st.integers(1, 4))),
                "max_attempts_per_24h": draw(st.one_of(st.none(), st.integers(1, 4))),
                "outcomes": draw(outcome_rules()),
                "regions": regions,
                "steps": draw(st.sampled_from([[], [{"after_attempt": 1, "channel": "email"}], [{"after_attempt": 0, "channel": "sms"}]])),
                "nurture_after_days": draw(st.one_of(st.none(), st.floats(1, 4))),
                "callback_delay_minutes": draw(st.sampled_from([0, 5, 60])),
            },
        },
    }
    return Scenario.model_validate(doc)


# ---------------------------------------------------------------------- independent rule arithmetic


class Rules:
    """The call rules of one lead (its region's, else the cadence's), read from the scenario."""

    def __init__(self, scenario: Scenario, zone: str) -> None:
        cad = scenario.policy.cadence
        region = cad.regions.get(zone)
        window = region.calling_window if region is not None and region.calling_window is not None else cad.calling_window
        self.open, self.close = float(parse_hhmm(window.start)), float(parse_hhmm(window.end))
        self.window_zone = zone if window.clock == "lead_local_time" else scenario.calendar.timezone
        self.per_day = cad.max_attempts_per_day
        self.per_24h = cad.max_attempts_per_24h
        if region is not None and region.max_attempts_per_day is not None:
            self.per_day = region.max_attempts_per_day
        if region is not None and region.max_attempts_per_24h is not None:
            self.per_24h = region.max_attempts_per_24h


def calling_minutes(calendar: FloorCalendar, rules: Rules, a: float, b: float) -> float:
    """Minutes of [a, b] that lie inside the lead's calling window (floor minutes)."""
    if b <= a:
        return 0.0
    zone = rules.window_zone
    day = int(calendar.local(a, zone) // DAY) - 1
    total = 0.0
    while True:
        w0 = calendar.to_floor(day * DAY + rules.open, zone)
        w1 = calendar.to_floor(day * DAY + rules.close, zone)
        if w0 > b:
            return total
        total += max(0.0, min(b, w1) - max(a, w0))
        day += 1


def check_calls(scenario: Scenario, result: Any) -> None:
    """Every call in the log obeys windows, caps, call target, spacing and distribution."""
    leads, att = result.leads, result.attempts
    cad = scenario.policy.cadence
    dist = scenario.policy.distribution
    calendar = FloorCalendar(scenario.calendar.start, scenario.calendar.timezone)
    _, _, end = run_window(scenario)
    reps = build_reps(scenario, calendar, end, result.seed, result.replication)
    team_of = {r.rep_id: r.view.team for r in reps}
    teams = {t.name: t for t in scenario.teams}
    names = [s.name for s in scenario.sources]
    inbound_sources = {s.name for s in scenario.sources if scenario.is_inbound(s)}
    patience = {s.name: s.patience_seconds / 60.0 for s in scenario.sources}
    human_teams = {t.name for t in scenario.teams if t.behaviour != "engine"}
    rules_by_zone = {z: Rules(scenario, z) for z in result.timezones}

    calls = att.channel == CALL
    per_lead: dict[int, list[tuple[float, float, int, int, int, int]]] = defaultdict(list)
    for lead, rep, start, dur, outcome, attempt, owner in zip(
        att.lead[calls], att.rep[calls], att.start[calls], att.duration[calls], att.outcome[calls], att.attempt[calls], att.owner[calls]
    ):
        per_lead[int(lead)].append((float(start), float(start + dur), int(outcome), int(attempt), int(rep), int(owner)))

    for lead, rows in per_lead.items():
        rows.sort()
        assert [r[3] for r in rows] == list(range(1, len(rows) + 1)), "attempt numbers run 1..n"
        source = names[leads.source[lead]]
        zone = result.timezones[leads.timezone[lead]]
        rules = rules_by_zone[zone]
        created = float(leads.created[lead])
        counted = 0
        day_counts: dict[int, int] = defaultdict(int)
        ever_pooled = False
        owners_seen = set()
        for i, (start, _stop, outcome, attempt, rep, owner) in enumerate(rows):
            live = bool(leads.inbound[lead] and leads.answered_live[lead] and attempt == 1)
            team = teams[team_of[rep]]
            # Teams work only their sources and stages.
            assert team.sources is None or source in team.sources, f"team {team.name} called a {source} lead"
            assert ("first" if attempt == 1 else "followup") in team.stages, f"team {team.name} made attempt {attempt}"
            # The calling window, in the lead's (or its region's) clock.
            if not live:
                tod = calendar.local(start, rules.window_zone) % DAY
                assert rules.open - EPS <= tod < rules.close + EPS, f"lead {lead} called at {tod:.1f}, window {rules.open}-{rules.close}"
            # Daily cap (the lead's local day) and the rolling 24 hours.
            day = int(calendar.local(start, zone) // DAY)
            day_counts[day] += 1
            if rules.per_day is not None:
                assert day_counts[day] <= rules.per_day, f"lead {lead}: {day_counts[day]} calls on day {day}"
            if rules.per_24h is not None and i >= rules.per_24h:
                assert start >= rows[i - rules.per_24h][0] + DAY - EPS, f"lead {lead}: over {rules.per_24h} calls in 24 h"
            # Spacing: from creation for the first attempt, then from the previous attempt's end.
            if attempt == 1:
                if not leads.inbound[lead]:
                    assert start >= created + cad.spacing_minutes[0] - EPS
                elif not live:  # a callback after the caller hung up
                    assert start >= created + patience[source] + cad.callback_delay_minutes - EPS
            else:
                prev_end, prev_outcome = rows[i - 1][1], OUTCOMES[rows[i - 1][2]]
                rule = cad.outcomes.get(prev_outcome)  # type: ignore[call-overload]
                if rule is not None and rule.retry_minutes is not None:
                    assert start >= prev_end + rule.retry_minutes - EPS, f"lead {lead}: retry too soon"
                else:
                    spacing = cad.spacing_minutes[min(counted, len(cad.spacing_minutes) - 1)]
                    if cad.spacing_in == "calling_time":
                        got = calling_minutes(calendar, rules, prev_end, start)
                        assert got >= spacing - 1e-4, f"lead {lead}: {got:.2f} calling minutes < spacing {spacing:.2f}"
                    else:
                        assert start >= prev_end + spacing - EPS, f"lead {lead}: spacing {spacing} not kept"
            rule = cad.outcomes.get(OUTCOMES[outcome])  # type: ignore[call-overload]
            if rule is None or rule.counts:
                counted += 1
            # Only counted outcomes count toward the call target (reached ones close the lead).
            assert counted <= cad.call_target, f"lead {lead}: {counted} counted attempts > target"

            # Distribution.
            if dist.mode == "round_robin" and not live:
                if owner == -1:
                    # Only a follow-up whose first-attempt-only owner handed it to the pool.
                    first_owner = rows[0][5] if rows[0][5] >= 0 else rows[0][4]
                    assert attempt > 1 and "followup" not in teams[team_of[first_owner]].stages, (
                        f"round robin: lead {lead} attempt {attempt} called from the pool by {rep}"
                    )
                else:
                    assert owner == rep, f"round robin: lead {lead} owned by {owner} called by {rep}"
            if dist.mode == "owner_recycle" and not live:
                assert owner in (rep, -1), f"owner_recycle: lead {lead} owned by {owner} called by {rep}"
                if owner == -1:
                    ever_pooled = True
                else:
                    assert not ever_pooled, f"owner_recycle: lead {lead} owned again after recycling"
                    owners_seen.add(owner)
                    assert len(owners_seen) == 1, f"lead {lead} changed owner {owners_seen}"
                    if dist.recycle_after_days is not None:
                        assert start <= created + dist.recycle_after_days * DAY + EPS, f"lead {lead} called by its owner after recycling"
            if dist.mode in ("shared_pool", "incoming_call_group"):
                assert owner == -1
            if dist.mode == "incoming_call_group" and source in inbound_sources:
                handoff_at = created + dist.group_days * DAY
                if start < handoff_at - EPS:
                    assert team.name == dist.group, f"inbound lead {lead} called by {team.name} before the hand-off"
                elif start > handoff_at + EPS and dist.handoff is not None:
                    assert team.name == dist.handoff, f"inbound lead {lead} called by {team.name} after the hand-off"
        if dist.mode == "owner_recycle" and dist.recycle_after_attempts is not None:
            owner_calls = sum(1 for r in rows if r[5] != -1 and r[5] == r[4])
            assert owner_calls <= dist.recycle_after_attempts

        # How the lead left agrees with its calls.
        status = LEAD_STATUSES[leads.status[lead]]
        last = OUTCOMES[rows[-1][2]]
        if status == "exhausted":
            assert counted == cad.call_target
        if status == "stopped":
            assert cad.outcomes[last].stop  # type: ignore[index]
        if status == "bad_number":
            assert last == "bad_number"
        if status == "dropped":
            assert human_teams and counted < cad.call_target

    # Every lead accounted for.
    assert np.all(leads.status > 0)
    censored = leads.status == STATUS["censored"]
    assert np.all(np.isnan(leads.closed_at[censored]))
    assert np.all(~np.isnan(leads.closed_at[~censored]))
    assert np.all(leads.closed_at[~censored] >= leads.created[~censored] - 1e-9)
    assert np.array_equal(np.bincount(att.lead[calls], minlength=len(leads)), leads.attempts)
    assert np.all((leads.contact_attempt == 0) | (leads.contact_attempt == leads.attempts)), "a reached lead was called again"
    assert np.array_equal(leads.status == STATUS["converted"], leads.converted)
    if not cad.outcomes or not any(r.stop for r in cad.outcomes.values()):
        assert not np.any(leads.status == STATUS["stopped"])
    if not human_teams:
        assert not np.any(leads.status == STATUS["dropped"])
    for i in np.flatnonzero(leads.status == STATUS["expired"]):
        expiry = scenario.sources[leads.source[i]].expiry_hours
        assert expiry is not None and math.isclose(leads.closed_at[i], leads.created[i] + expiry * 60.0, abs_tol=1e-6)
    for i in np.flatnonzero(leads.status == STATUS["nurture"]):
        assert cad.nurture_after_days is not None
        assert math.isclose(leads.closed_at[i], leads.created[i] + cad.nurture_after_days * DAY, abs_tol=1e-6)

    # No rep on two calls at once, and no call started off shift.
    for rep in reps:
        mine = calls & (att.rep == rep.rep_id)
        starts, ends = att.start[mine], att.start[mine] + att.duration[mine]
        order = np.argsort(starts)
        assert np.all(starts[order][1:] >= ends[order][:-1] - 1e-9), f"rep {rep.rep_id} on two calls at once"
        for s in starts:
            assert any(a - 1e-9 <= s < b for a, b in rep.schedule.intervals), f"rep {rep.rep_id} called at {s} off shift"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios())
def test_random_policies_obey_their_rules(scenario: Scenario) -> None:
    check_calls(scenario, simulate(scenario))
