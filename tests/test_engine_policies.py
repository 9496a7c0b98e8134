"""Unit tests of the engine's distribution modes, priority rules and cadence features.

Driven by hand, without SimPy: the test is the host, passes time in and plays the
reps (a rep "on lunch" is simply a rep that does not ask for work). Times are
floor minutes from Monday 2026-01-05 00:00 America/Chicago; New York is one hour
ahead of the floor, Los Angeles two hours behind.
"""

from __future__ import annotations

import datetime as dt

import pytest

from leadsim.engine import AttemptResult, Dial, Engine, EngineConfig, FloorCalendar, NewLead, RepView
from leadsim.engine.config import CadenceRules, CallRules, DistributionRules, OutcomeRules
from leadsim.engine.priority import build_rules

CHI = "America/Chicago"
NY = "America/New_York"
LA = "America/Los_Angeles"
MON = dt.date(2026, 1, 5)  # a Monday, no daylight-saving change within weeks
DAY = 1440.0
FULL = (0.0, 1440.0)  # a window open all day
DEFAULT_PRIORITY = (("callbacks", {}), ("new_leads", {}), ("due_followups", {}))


class Host:
    """A minimal host: one engine, the leads it closed and the steps it sent."""

    def __init__(
        self,
        cadence: CadenceRules | None = None,
        distribution: DistributionRules | None = None,
        priority: tuple[tuple[str, dict], ...] = DEFAULT_PRIORITY,
        expiry: dict[str, float | None] | None = None,
        new_leads_order: str = "oldest_first",
        reps: tuple[RepView, ...] = (),
    ) -> None:
        self.closed: list = []
        self.steps: list = []
        config = EngineConfig(
            priority=priority,
            new_leads_order=new_leads_order,
            cadence=cadence if cadence is not None else CadenceRules(window=FULL),
            distribution=distribution if distribution is not None else DistributionRules(),
            expiry_minutes=dict(expiry or {}),
            sources=("web", "phone", "show"),
        )
        self.engine = Engine(config, FloorCalendar(MON, CHI), on_close=self.closed.append, on_step=self.steps.append)
        for rep in reps:
            self.engine.add_rep(rep)

    def arrive(self, lead_id: int, at: float, source: str = "web", zone: str = CHI, **kw: object) -> None:
        self.engine.lead_arrived(NewLead(lead_id, source, at, zone, **kw), at)  # type: ignore[arg-type]

    def ask(self, rep: RepView, now: float, prefer_score: bool = False) -> Dial | None:
        return self.engine.next_for(rep, now, prefer_score)

    def dial(self, rep: RepView, now: float, prefer_score: bool = False) -> Dial:
        dial = self.engine.next_for(rep, now, prefer_score)
        assert dial is not None, f"rep {rep.rep_id} got nothing at {now}"
        return dial

    def end(self, dial: Dial, rep: RepView, start: float, end: float, outcome: str = "no_answer") -> None:
        self.engine.attempt_ended(AttemptResult(dial.lead_id, rep.rep_id, start, end, outcome))

    def call(self, rep: RepView, start: float, end: float, outcome: str = "no_answer", expect: int | None = None) -> Dial:
        """The rep asks at ``start``, calls until ``end`` with ``outcome``."""
        dial = self.dial(rep, start)
        if expect is not None:
            assert dial.lead_id == expect, f"expected lead {expect}, got {dial.lead_id}"
        self.end(dial, rep, start, end, outcome)
        return dial

    def drain(self, rep: RepView, now: float, prefer_score: bool = False) -> list[int]:
        """Lead ids handed to ``rep`` at ``now`` until nothing is left (calls left open)."""
        out = []
        while (dial := self.ask(rep, now, prefer_score)) is not None:
            out.append(dial.lead_id)
        return out

    def status(self, lead_id: int) -> tuple[str, float] | None:
        for closed in self.closed:
            if closed.lead_id == lead_id:
                return closed.status, closed.at
        return None


def sdr(rep_id: int, team: str = "sdr", **kw: object) -> RepView:
    return RepView(rep_id, team, **kw)  # type: ignore[arg-type]


# ====================================================================== distribution


def test_shared_pool_any_rep_takes_any_lead_once() -> None:
    a, b = sdr(0), sdr(1)
    host = Host(reps=(a, b))
    host.arrive(1, 0.0)
    host.arrive(2, 1.0)
    d1, d2 = host.dial(b, 2.0), host.dial(a, 2.0)
    assert (d1.lead_id, d2.lead_id) == (1, 2)
    assert d1.owner is None and d2.owner is None
    assert host.ask(a, 2.0) is None and host.ask(b, 2.0) is None
    # A follow-up may be made by any rep, not only the first caller.
    host.end(d1, b, 2.0, 3.0)
    assert host.dial(a, 3.0).lead_id == 1


def test_round_robin_deals_leads_in_turn_and_only_the_owner_gets_them() -> None:
    reps = (sdr(0), sdr(1), sdr(2))
    host = Host(distribution=DistributionRules(mode="round_robin"), reps=reps)
    for lead_id in range(1, 7):
        host.arrive(lead_id, float(lead_id))
    assert [host.engine.lead(i).owner for i in range(1, 7)] == [0, 1, 2, 0, 1, 2]  # type: ignore[union-attr]
    # Rep 1 gets its own two leads, oldest first, then nothing although four others are due.
    d = host.dial(reps[1], 10.0)
    assert (d.lead_id, d.owner) == (2, 1)
    assert host.dial(reps[1], 10.0).lead_id == 5
    assert host.ask(reps[1], 10.0) is None
    assert host.engine.backlog() == (4, 4)
    assert host.drain(reps[2], 10.0) == [3, 6]
    assert host.drain(reps[0], 10.0) == [1, 4]


def test_round_robin_follow_ups_stay_with_the_owner() -> None:
    a, b = sdr(0), sdr(1)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 30.0)), DistributionRules(mode="round_robin"), reps=(a, b))
    host.arrive(1, 0.0)  # owned by rep 0
    host.call(a, 0.0, 2.0, expect=1)
    assert host.ask(b, 40.0) is None  # due at 32, but rep 1 does not own it
    d = host.dial(a, 40.0)
    assert (d.lead_id, d.attempt, d.owner) == (1, 2, 0)


def test_round_robin_owner_on_lunch_the_lead_waits_for_the_owner() -> None:
    # Rep 0 is at lunch 12:00-12:45 (it does not ask); a lead it owns arrives at 12:05.
    a, b = sdr(0), sdr(1)
    host = Host(distribution=DistributionRules(mode="round_robin"), reps=(a, b))
    host.arrive(1, 12 * 60 + 5.0)
    assert host.engine.lead(1).owner == 0  # type: ignore[union-attr]
    for now in (725.0, 735.0, 764.9):
        assert host.ask(b, now) is None  # no lunch cover in round robin
    assert host.engine.backlog() == (1, 1)  # the lead is due and waiting
    d = host.dial(a, 765.0)  # back from lunch
    assert (d.lead_id, d.owner) == (1, 0)


def test_round_robin_deals_only_to_reps_that_work_the_source_and_first_attempts() -> None:
    web_only = sdr(0, sources=frozenset({"web"}))
    phone_only = sdr(1, sources=frozenset({"phone"}))
    anything = sdr(2)
    followups_only = sdr(3, stages=frozenset({"followup"}))
    host = Host(distribution=DistributionRules(mode="round_robin"), reps=(web_only, phone_only, anything, followups_only))
    for lead_id, source in enumerate(["web", "web", "web", "phone", "phone", "phone"], start=1):
        host.arrive(lead_id, float(lead_id), source=source)
    owners = [host.engine.lead(i).owner for i in range(1, 7)]  # type: ignore[union-attr]
    assert owners == [0, 2, 0, 1, 2, 1]


def test_round_robin_live_caller_is_answered_by_anyone_and_a_missed_call_gets_an_owner() -> None:
    a, b = sdr(0), sdr(1)
    host = Host(distribution=DistributionRules(mode="round_robin"), reps=(a, b))
    host.arrive(1, 0.0, source="phone", live=True)
    d = host.dial(b, 0.5)  # whoever is free answers
    assert d.live and d.owner is None
    host.arrive(2, 1.0, source="phone", live=True)
    assert host.engine.caller_abandoned(2, 2.0)
    owner = host.engine.lead(2).owner  # type: ignore[union-attr]
    assert owner is not None
    other = b if owner == 0 else a
    mine = a if owner == 0 else b
    assert host.ask(other, 3.0) is None
    d = host.dial(mine, 3.0)
    assert d.callback and d.owner == owner


def test_round_robin_follow_up_of_a_first_only_owner_is_not_stranded() -> None:
    first = sdr(0, team="openers", stages=frozenset({"first"}))
    follow = sdr(1, team="chasers", stages=frozenset({"followup"}))
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 1.0)), DistributionRules(mode="round_robin"), reps=(first, follow))
    host.arrive(1, 0.0)
    host.call(first, 0.0, 1.0, expect=1)
    host.engine.advance(5.0)
    assert host.engine.backlog() == (1, 0)  # the follow-up is due ...
    assert host.ask(first, 5.0) is None  # ... the first-only owner may not make it ...
    dial = host.ask(follow, 5.0)  # ... so it went to the pool, where a chaser gets it
    assert dial is not None and dial.lead_id == 1 and dial.owner is None


def test_owner_recycle_exactly_at_n_attempts() -> None:
    a, b = sdr(0), sdr(1)
    host = Host(
        CadenceRules(window=FULL, spacing=(0.0, 10.0), call_target=6),
        DistributionRules(mode="owner_recycle", recycle_after_attempts=2),
        reps=(a, b),
    )
    host.arrive(1, 0.0)
    assert host.engine.lead(1).owner == 0  # type: ignore[union-attr]
    host.call(a, 0.0, 1.0, expect=1)  # owner attempt 1 of 2
    assert host.ask(b, 11.0) is None  # N-1 attempts: still the owner's
    d = host.call(a, 11.0, 12.0, expect=1)  # owner attempt 2: recycled when it ends
    assert d.owner == 0
    assert host.engine.lead(1).owner is None  # type: ignore[union-attr]
    d = host.dial(b, 22.0)  # anyone may now call it
    assert (d.lead_id, d.attempt, d.owner) == (1, 3, None)
    host.end(d, b, 22.0, 23.0)
    # Once recycled, never owned again: the next calls are anyone's.
    d = host.dial(a, 33.0)
    assert d.owner is None
    host.end(d, a, 33.0, 34.0)
    assert host.engine.lead(1).owner is None  # type: ignore[union-attr]
    assert host.dial(b, 44.0).owner is None


def test_owner_recycle_exactly_at_n_days_not_before() -> None:
    a, b = sdr(0), sdr(1)
    created = 100.0
    recycle_at = created + 2 * DAY
    host = Host(
        CadenceRules(window=FULL, spacing=(0.0, 60.0), call_target=6),
        DistributionRules(mode="owner_recycle", recycle_after_minutes=2 * DAY),
        reps=(a, b),
    )
    host.arrive(1, created)
    host.call(a, created, created + 1.0, expect=1)
    # The owner is away; the follow-up is due from 161 but only the owner may call it.
    for now in (200.0, DAY, recycle_at - 0.01):
        assert host.ask(b, now) is None
    assert host.engine.next_due_time() == pytest.approx(recycle_at)  # the transfer is the next event
    d = host.dial(b, recycle_at)
    assert (d.lead_id, d.owner) == (1, None)


def test_owner_recycle_owner_on_lunch_lead_is_taken_by_another_after_recycling() -> None:
    a, b = sdr(0), sdr(1)
    host = Host(
        CadenceRules(window=FULL),
        DistributionRules(mode="owner_recycle", recycle_after_minutes=30.0),
        reps=(a, b),
    )
    host.arrive(1, 720.0)  # 12:00, owner rep 0 is at lunch until 13:30
    assert host.ask(b, 735.0) is None  # before recycling: nobody else takes it
    d = host.dial(b, 750.0)  # recycled into the shared pool at 12:30
    assert (d.lead_id, d.attempt, d.owner) == (1, 1, None)


def test_owner_recycle_by_days_while_in_a_call_moves_the_follow_up_to_the_pool() -> None:
    a, b = sdr(0), sdr(1)
    host = Host(
        CadenceRules(window=FULL, spacing=(0.0, 5.0)),
        DistributionRules(mode="owner_recycle", recycle_after_minutes=60.0),
        reps=(a, b),
    )
    host.arrive(1, 0.0)
    d = host.dial(a, 55.0)
    host.engine.advance(61.0)  # recycling falls while the owner is on the call
    host.end(d, a, 55.0, 62.0)
    d = host.dial(b, 67.0)
    assert (d.lead_id, d.owner) == (1, None)


def _group_host(handoff: str | None = "sdr", group_minutes: float = 14 * DAY) -> Host:
    return Host(
        CadenceRules(window=FULL, spacing=(0.0, 60.0), call_target=50),
        DistributionRules(
            mode="incoming_call_group",
            group="closers",
            group_minutes=group_minutes,
            handoff=handoff,
            inbound_sources=frozenset({"phone"}),
        ),
        reps=(CLOSER, SDR, AE),
    )


CLOSER, SDR, AE = sdr(0, team="closers"), sdr(1, team="sdr"), sdr(2, team="ae")


def test_incoming_call_group_owns_inbound_leads_until_group_days_then_hands_off() -> None:
    host = _group_host()
    host.arrive(1, 0.0, source="phone")  # an inbound lead (not a caller on the line)
    assert host.ask(SDR, 0.0) is None and host.ask(AE, 0.0) is None
    host.call(CLOSER, 0.0, 1.0, expect=1)
    handoff = 14 * DAY
    assert host.ask(SDR, handoff - 0.01) is None  # still the group's
    assert host.ask(AE, handoff - 0.01) is None
    assert host.engine.next_due_time() == pytest.approx(handoff)  # the hand-off is the next event
    assert host.ask(CLOSER, handoff) is None  # handed off exactly at created + group_days
    assert host.ask(AE, handoff) is None  # to the hand-off team only
    d = host.dial(SDR, handoff)
    assert d.lead_id == 1


def test_incoming_call_group_hands_off_to_the_shared_pool_without_a_handoff_team() -> None:
    host = _group_host(handoff=None, group_minutes=DAY)
    host.arrive(1, 0.0, source="phone")
    assert host.ask(AE, DAY - 1.0) is None
    assert host.dial(AE, DAY).lead_id == 1


def test_incoming_call_group_non_inbound_leads_go_to_anyone() -> None:
    host = _group_host()
    for lead_id in (1, 2, 3):
        host.arrive(lead_id, 0.0, source="web")
    assert [host.dial(rep, 1.0).lead_id for rep in (SDR, AE, CLOSER)] == [1, 2, 3]


def test_incoming_call_group_answers_live_callers_and_their_callbacks() -> None:
    host = _group_host()
    host.arrive(1, 0.0, source="phone", live=True)
    assert host.ask(SDR, 0.1) is None and host.ask(AE, 0.1) is None
    d = host.dial(CLOSER, 0.1)
    assert d.live and d.lead_id == 1
    host.arrive(2, 1.0, source="phone", live=True)
    host.engine.caller_abandoned(2, 2.0)
    assert host.ask(SDR, 3.0) is None  # the missed call stays with the group
    d = host.dial(CLOSER, 3.0)
    assert d.callback and d.lead_id == 2


def test_stages_followup_only_rep_never_gets_a_first_attempt_and_vice_versa() -> None:
    opener = sdr(0, stages=frozenset({"first"}))
    chaser = sdr(1, stages=frozenset({"followup"}))
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 10.0)), reps=(opener, chaser))
    host.arrive(1, 0.0)
    assert host.ask(chaser, 0.0) is None
    host.call(opener, 0.0, 1.0, expect=1)
    assert host.ask(opener, 11.0) is None
    d = host.dial(chaser, 11.0)
    assert (d.lead_id, d.attempt) == (1, 2)
    # Live callers and missed-call callbacks are first attempts too.
    host.arrive(2, 20.0, source="phone", live=True)
    assert host.ask(chaser, 20.0) is None
    host.engine.caller_abandoned(2, 21.0)
    assert host.ask(chaser, 22.0) is None
    assert host.dial(opener, 22.0).callback


# ====================================================================== priority


def test_callbacks_come_first_and_in_order_of_due() -> None:
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 1.0), callback_delay=0.0), reps=(rep,))
    host.arrive(1, 0.0)  # an older new lead
    host.call(rep, 0.0, 0.5, expect=1)  # now a follow-up due at 1.5
    host.arrive(2, 0.5)  # a new lead
    host.arrive(3, 1.0, source="phone", live=True)
    host.arrive(4, 2.0, source="phone", live=True)
    host.engine.caller_abandoned(4, 3.0)  # callback due 3.0
    host.engine.caller_abandoned(3, 4.0)  # callback due 4.0
    assert host.drain(rep, 10.0) == [4, 3, 2, 1]


@pytest.mark.parametrize(
    "spec,default,expected",
    [
        (("new_leads", {"order": "newest_first"}), "oldest_first", [3, 2, 1]),
        (("new_leads", {"order": "oldest_first"}), "newest_first", [1, 2, 3]),
        (("new_leads", {}), "newest_first", [3, 2, 1]),
    ],
)
def test_new_leads_order_parameter_overrides_the_default(spec: tuple, default: str, expected: list[int]) -> None:
    rep = sdr(0)
    host = Host(priority=(spec,), new_leads_order=default, reps=(rep,))
    for lead_id in (1, 2, 3):
        host.arrive(lead_id, float(lead_id))
    assert host.drain(rep, 5.0) == expected


@pytest.mark.parametrize(
    "priority,expected",
    [
        ((("new_leads", {}), ("due_followups", {})), [2, 1]),
        ((("due_followups", {}), ("new_leads", {})), [1, 2]),
    ],
)
def test_tier_order_new_leads_versus_follow_ups(priority: tuple, expected: list[int]) -> None:
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 1.0)), priority=priority, reps=(rep,))
    host.arrive(1, 0.0)
    host.call(rep, 0.0, 1.0, expect=1)  # follow-up due at 2
    host.arrive(2, 50.0)
    assert host.drain(rep, 60.0) == expected


def _two_follow_ups(by: str) -> Host:
    """Lead 1: two attempts, due at 100. Lead 2: one attempt, due at 200."""
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 50.0)), priority=(("due_followups", {"by": by}),), reps=(rep,))
    host.arrive(1, 0.0)
    host.call(rep, 0.0, 0.0, expect=1)
    host.call(rep, 50.0, 50.0, expect=1)
    host.arrive(2, 60.0)
    host.call(rep, 60.0, 150.0, expect=2)
    assert host.engine.lead(1).due == 100.0 and host.engine.lead(2).due == 200.0  # type: ignore[union-attr]
    return host


def test_due_followups_by_overdue_calls_the_longest_overdue_first() -> None:
    assert _two_follow_ups("overdue").drain(sdr(0), 300.0) == [1, 2]


def test_due_followups_by_attempt_number_calls_the_fewest_attempts_first() -> None:
    assert _two_follow_ups("attempt_number").drain(sdr(0), 300.0) == [2, 1]


def _weights_host(aging: float) -> Host:
    spec = ("source_weights", {"weights": {"show": 5.0, "web": 1.0}, "aging_per_hour": aging})
    return Host(priority=(spec,), reps=(sdr(0),))


def test_source_weights_heavier_source_first() -> None:
    host = _weights_host(aging=0.0)
    host.arrive(1, 0.0, source="web")
    host.arrive(2, 6 * 60.0, source="show")
    host.arrive(3, 7 * 60.0, source="phone")  # no weight given: default 1.0
    assert host.drain(sdr(0), 8 * 60.0) == [2, 1, 3]  # without aging, age does not matter


def test_source_weights_aging_lets_an_old_low_weight_lead_beat_a_fresh_heavy_one() -> None:
    # Weight 1 vs 5, +1 per hour waited: the web lead is 4 h older at the tie.
    fresh = _weights_host(aging=1.0)
    fresh.arrive(1, 0.0, source="web")
    fresh.arrive(2, 60.0, source="show")  # only 1 h younger: 1 + 1 < 5 + 0
    assert fresh.drain(sdr(0), 120.0) == [2, 1]
    old = _weights_host(aging=1.0)
    old.arrive(1, 0.0, source="web")
    old.arrive(2, 6 * 60.0, source="show")  # 6 h younger: 1 + 6 > 5 + 0
    assert old.drain(sdr(0), 6 * 60.0) == [1, 2]


def test_lead_score_highest_first_with_aging() -> None:
    host = Host(priority=(("lead_score", {}),), reps=(sdr(0),))
    for lead_id, score in ((1, 0.2), (2, 0.9), (3, 0.5)):
        host.arrive(lead_id, float(lead_id), score=score)
    assert host.drain(sdr(0), 10.0) == [2, 3, 1]
    aged = Host(priority=(("lead_score", {"aging_per_hour": 0.1}),), reps=(sdr(0),))
    aged.arrive(1, 0.0, score=0.2)
    aged.arrive(2, 10 * 60.0, score=0.9)  # 10 h younger: 0.2 + 1.0 > 0.9
    assert aged.drain(sdr(0), 10 * 60.0) == [1, 2]


def test_fifo_calls_in_order_of_due_whatever_the_stage() -> None:
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 1.0)), priority=(("fifo", {}),), reps=(rep,))
    host.arrive(1, 0.0)
    host.arrive(2, 5.0)
    host.call(rep, 0.0, 1.0, expect=1)  # lead 1 due again at 2, before new lead 2 (due at 5)
    host.arrive(3, 3.0)
    assert host.drain(rep, 10.0) == [1, 3, 2]


def test_leads_no_rule_matches_form_a_last_tier_in_order_of_due() -> None:
    rep = sdr(0)
    host = Host(priority=(("callbacks", {}),), reps=(rep,))
    host.arrive(2, 5.0)
    host.arrive(1, 3.0)
    host.arrive(3, 4.0, source="phone", live=True)
    host.engine.caller_abandoned(3, 4.5)
    assert host.drain(rep, 10.0) == [3, 1, 2]


@pytest.mark.parametrize(
    "spec",
    [
        ("callbacks", {}),
        ("new_leads", {"order": "oldest_first"}),
        ("new_leads", {"order": "newest_first"}),
        ("due_followups", {"by": "overdue"}),
        ("source_weights", {"weights": {"web": 2.0}, "aging_per_hour": 0.5}),
        ("lead_score", {"aging_per_hour": 1.0}),
        ("fifo", {}),
    ],
    ids=lambda s: f"{s[0]}-{s[1]}",
)
def test_ties_break_by_lead_id_whatever_the_arrival_order(spec: tuple) -> None:
    rep = sdr(0)
    host = Host(priority=(spec,), reps=(rep,))
    for lead_id in (5, 3, 7, 4):
        host.arrive(lead_id, 10.0, score=0.5)
    assert host.drain(rep, 10.0) == [3, 4, 5, 7]


def test_ties_across_sources_break_by_lead_id() -> None:
    rep = sdr(0)
    host = Host(reps=(rep,))
    host.arrive(9, 10.0, source="show")
    host.arrive(8, 10.0, source="web")
    host.arrive(7, 10.0, source="phone")
    assert host.drain(rep, 10.0) == [7, 8, 9]


@pytest.mark.parametrize(
    "specs",
    [
        (("telepathy", {}),),
        (("new_leads", {"order": "sideways"}),),
        (("due_followups", {"by": "mood"}),),
        (("lead_score", {"colour": 1}),),
    ],
)
def test_bad_priority_rules_are_refused(specs: tuple) -> None:
    with pytest.raises(ValueError):
        build_rules(specs)
    with pytest.raises(ValueError):
        Engine(EngineConfig(priority=specs), FloorCalendar(MON, CHI))


# ====================================================================== cadence: caps


def test_daily_cap_reached_at_2359_next_attempt_at_local_midnight() -> None:
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 0.0), max_per_day=1), reps=(rep,))
    host.arrive(1, DAY - 1.0)  # Monday 23:59 Chicago
    host.call(rep, DAY - 1.0, DAY - 0.5, expect=1)
    assert host.engine.next_due_time() == pytest.approx(DAY)
    assert host.ask(rep, DAY - 0.01) is None
    d = host.dial(rep, DAY)  # Tuesday 00:00: a new day, a new allowance
    assert (d.lead_id, d.attempt) == (1, 2)


@pytest.mark.parametrize("zone,offset", [(NY, 60.0), (LA, -120.0)])
def test_daily_cap_day_is_the_leads_not_the_floors(zone: str, offset: float) -> None:
    # 23:59 in the lead's zone; its next day starts at its own midnight, not the floor's.
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 0.0), max_per_day=1), reps=(rep,))
    at = 2 * DAY - 1.0 - offset  # Tuesday 23:59 local
    host.arrive(1, at, zone=zone)
    host.call(rep, at, at + 0.5, expect=1)
    assert host.engine.next_due_time() == pytest.approx(2 * DAY - offset)
    assert host.ask(rep, 2 * DAY - offset - 0.01) is None
    assert host.dial(rep, 2 * DAY - offset).attempt == 2


def test_daily_cap_is_in_the_leads_zone_even_with_a_floor_time_window() -> None:
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, window_in_lead_time=False, spacing=(0.0, 0.0), max_per_day=1), reps=(rep,))
    host.arrive(1, DAY - 61.0, zone=NY)  # 22:59 Chicago = 23:59 New York
    host.call(rep, DAY - 61.0, DAY - 60.5, expect=1)
    assert host.engine.next_due_time() == pytest.approx(DAY - 60.0)


def test_rolling_24h_cap_fourth_attempt_no_earlier_than_24h_after_the_first() -> None:
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 5.0), max_per_24h=3, call_target=10), reps=(rep,))
    host.arrive(1, 600.0)  # Monday 10:00
    host.call(rep, 600.0, 603.0, expect=1)
    host.call(rep, 608.0, 609.0, expect=1)
    host.call(rep, 614.0, 615.0, expect=1)
    # Not at Tuesday midnight (a daily cap would allow that): 24 h after the first start.
    assert host.engine.next_due_time() == pytest.approx(600.0 + DAY)
    assert host.ask(rep, DAY) is None
    assert host.ask(rep, 600.0 + DAY - 0.01) is None
    host.call(rep, 600.0 + DAY, 601.0 + DAY, expect=1)
    # The window rolls: the 5th waits for 24 h after the 2nd (608), later than its spacing (606).
    assert host.engine.next_due_time() == pytest.approx(608.0 + DAY)


def test_rolling_cap_and_window_together() -> None:
    # A window 08:00-20:00 and 2 calls per 24 h: two calls at 19:00 and 19:30 push the third
    # to 19:00 next day even though the window opens at 08:00.
    rep = sdr(0)
    host = Host(CadenceRules(window=(480.0, 1200.0), spacing=(0.0, 10.0), max_per_24h=2, call_target=10), reps=(rep,))
    host.arrive(1, 1140.0)
    host.call(rep, 1140.0, 1141.0, expect=1)
    host.call(rep, 1170.0, 1171.0, expect=1)
    assert host.engine.next_due_time() == pytest.approx(1140.0 + DAY)


# ====================================================================== cadence: spacing


@pytest.mark.parametrize("calling_time,due", [(True, DAY + 570.0), (False, DAY + 480.0)])
def test_spacing_in_calling_time_skips_the_overnight_gap(calling_time: bool, due: float) -> None:
    # 120 minutes from 19:30 with an 08:00-20:00 window: 30 today + 90 tomorrow = 09:30.
    # In wall-clock time the spacing ends at 21:30, so the lead is due when the window opens.
    rep = sdr(0)
    host = Host(CadenceRules(window=(480.0, 1200.0), spacing=(0.0, 120.0), spacing_in_calling_time=calling_time), reps=(rep,))
    host.arrive(1, 1100.0)
    host.call(rep, 1100.0, 1170.0, expect=1)  # ends 19:30
    assert host.engine.next_due_time() == pytest.approx(due)
    assert host.ask(rep, due - 0.01) is None
    assert host.dial(rep, due).attempt == 2


def test_spacing_in_calling_time_reads_the_leads_window() -> None:
    # A New York lead: its 20:00 is 19:00 on the floor. Ending at 19:30 New York
    # (18:30 Chicago), 120 calling minutes end at 09:30 New York = 08:30 Chicago.
    rep = sdr(0)
    host = Host(CadenceRules(window=(480.0, 1200.0), spacing=(0.0, 120.0), spacing_in_calling_time=True), reps=(rep,))
    host.arrive(1, 1000.0, zone=NY)
    host.call(rep, 1000.0, 1110.0, expect=1)
    assert host.engine.next_due_time() == pytest.approx(DAY + 510.0)


def test_spacing_in_calling_time_inside_one_day_is_plain_minutes() -> None:
    rep = sdr(0)
    host = Host(CadenceRules(window=(480.0, 1200.0), spacing=(0.0, 120.0), spacing_in_calling_time=True), reps=(rep,))
    host.arrive(1, 540.0)
    host.call(rep, 540.0, 600.0, expect=1)
    assert host.engine.next_due_time() == pytest.approx(720.0)


def test_first_spacing_is_in_calling_time_too() -> None:
    host = Host(CadenceRules(window=(480.0, 1200.0), spacing=(120.0,), spacing_in_calling_time=True), reps=(sdr(0),))
    host.arrive(1, 1170.0)  # 19:30: 30 calling minutes today, 90 tomorrow
    assert host.engine.next_due_time() == pytest.approx(DAY + 570.0)


def test_spacing_counts_from_creation_for_the_first_attempt() -> None:
    host = Host(CadenceRules(window=FULL, spacing=(15.0, 60.0)), reps=(sdr(0),))
    host.arrive(1, 100.0)
    assert host.ask(sdr(0), 114.9) is None
    assert host.engine.next_due_time() == pytest.approx(115.0)
    assert host.dial(sdr(0), 115.0).lead_id == 1


def test_spacing_last_value_repeats() -> None:
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 10.0, 20.0), call_target=6), reps=(rep,))
    host.arrive(1, 0.0)
    t = 0.0
    gaps = []
    for _ in range(5):
        host.call(rep, t, t + 1.0, expect=1)
        nxt = host.engine.next_due_time()
        gaps.append(nxt - (t + 1.0))  # type: ignore[operator]
        t = nxt  # type: ignore[assignment]
    assert gaps == pytest.approx([10.0, 20.0, 20.0, 20.0, 20.0])


# ====================================================================== cadence: outcome rules


def test_busy_retries_in_15_minutes_and_does_not_advance_the_call_target() -> None:
    rep = sdr(0)
    host = Host(
        CadenceRules(window=FULL, spacing=(0.0, 60.0), call_target=2, outcomes={"busy": OutcomeRules(retry_minutes=15.0, counts=False)}),
        reps=(rep,),
    )
    host.arrive(1, 0.0)
    host.call(rep, 0.0, 1.0, "busy", expect=1)
    assert host.engine.next_due_time() == pytest.approx(16.0)  # retry, not the 60-minute spacing
    assert host.engine.lead(1).counted == 0  # type: ignore[union-attr]
    host.call(rep, 16.0, 17.0, "busy", expect=1)
    host.call(rep, 32.0, 33.0, "no_answer", expect=1)  # the first counted attempt
    assert host.engine.next_due_time() == pytest.approx(93.0)  # spacing before counted attempt 2
    d = host.call(rep, 93.0, 94.0, "no_answer", expect=1)
    assert d.attempt == 4  # four dials, of which two counted
    assert host.status(1) == ("exhausted", 94.0)


def test_uncounted_outcome_without_retry_repeats_the_same_spacing_step() -> None:
    rep = sdr(0)
    host = Host(
        CadenceRules(window=FULL, spacing=(0.0, 10.0, 100.0), call_target=3, outcomes={"voicemail": OutcomeRules(counts=False)}),
        reps=(rep,),
    )
    host.arrive(1, 0.0)
    host.call(rep, 0.0, 1.0, "no_answer")
    assert host.engine.next_due_time() == pytest.approx(11.0)
    host.call(rep, 11.0, 12.0, "voicemail")
    assert host.engine.next_due_time() == pytest.approx(22.0)  # still the spacing before counted #2
    host.call(rep, 22.0, 23.0, "no_answer")
    assert host.engine.next_due_time() == pytest.approx(123.0)


def test_counted_outcome_with_retry_uses_the_retry_and_counts() -> None:
    rep = sdr(0)
    host = Host(
        CadenceRules(window=FULL, spacing=(0.0, 500.0), call_target=2, outcomes={"voicemail": OutcomeRules(retry_minutes=5.0)}),
        reps=(rep,),
    )
    host.arrive(1, 0.0)
    host.call(rep, 0.0, 1.0, "voicemail")
    assert host.engine.next_due_time() == pytest.approx(6.0)
    host.call(rep, 6.0, 7.0, "voicemail")
    assert host.status(1) == ("exhausted", 7.0)


def test_retry_still_respects_the_window() -> None:
    rep = sdr(0)
    host = Host(
        CadenceRules(window=(480.0, 1200.0), spacing=(0.0,), outcomes={"busy": OutcomeRules(retry_minutes=15.0, counts=False)}),
        reps=(rep,),
    )
    host.arrive(1, 1190.0)
    host.call(rep, 1190.0, 1195.0, "busy")
    assert host.engine.next_due_time() == pytest.approx(DAY + 480.0)


def test_stop_outcome_closes_the_lead_as_stopped() -> None:
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, call_target=6, outcomes={"voicemail": OutcomeRules(stop=True)}), reps=(rep,))
    host.arrive(1, 0.0)
    host.call(rep, 0.0, 1.0, "no_answer")
    host.call(rep, 1.0, 2.5, "voicemail")
    assert host.status(1) == ("stopped", 2.5)
    assert host.engine.open_leads() == 0


# ====================================================================== cadence: regions


def _region_host() -> Host:
    ny_rules = CallRules(window=(600.0, 900.0), window_in_lead_time=True, max_per_day=1)
    return Host(
        CadenceRules(window=(480.0, 1200.0), spacing=(0.0, 5.0), call_target=10, regions={NY: ny_rules}),
        reps=(sdr(0),),
    )


def test_region_window_applies_to_leads_in_that_zone_only() -> None:
    host = _region_host()
    rep = sdr(0)
    host.arrive(1, 480.0, zone=CHI)  # 08:00 Chicago: default window open
    host.arrive(2, 480.0, zone=NY)  # 09:00 New York: its region opens at 10:00
    assert host.drain(rep, 480.0) == [1]
    assert host.engine.next_due_time() == pytest.approx(540.0)
    assert host.dial(rep, 540.0).lead_id == 2


def test_region_cap_applies_to_leads_in_that_zone_only() -> None:
    host = _region_host()
    rep = sdr(0)
    host.arrive(1, 600.0, zone=CHI)
    host.arrive(2, 600.0, zone=NY)
    host.call(rep, 600.0, 601.0, expect=1)
    host.call(rep, 601.0, 602.0, expect=2)
    host.call(rep, 606.0, 607.0, expect=1)  # Chicago: no daily cap
    host.call(rep, 612.0, 613.0, expect=1)
    assert host.ask(rep, 615.0) is None  # New York: one a day
    assert host.engine.next_due_time() == pytest.approx(618.0)
    assert host.engine.lead(2).due == pytest.approx(DAY + 540.0)  # type: ignore[union-attr]  # 10:00 New York tomorrow


def test_region_window_closes_earlier_than_the_default() -> None:
    host = _region_host()
    rep = sdr(0)
    host.arrive(1, 850.0, zone=NY)  # 15:10 New York: the region's window has closed
    host.arrive(2, 850.0, zone=CHI)
    assert host.drain(rep, 850.0) == [2]
    assert host.engine.next_due_time() == pytest.approx(DAY + 540.0)


def test_lead_arriving_outside_every_window_waits_for_its_own_opening() -> None:
    # 21:30 Chicago: closed for Chicago (08:00-20:00) and for the New York region (10:00-15:00).
    host = _region_host()
    rep = sdr(0)
    host.arrive(1, 1290.0, zone=NY)
    host.arrive(2, 1290.0, zone=CHI)
    assert host.ask(rep, 1290.0) is None
    assert host.engine.backlog() == (0, 0)
    assert host.engine.next_due_time() == pytest.approx(DAY + 480.0)
    assert host.drain(rep, DAY + 480.0) == [2]
    assert host.drain(rep, DAY + 540.0) == [1]


def test_region_rolling_cap_three_per_24h() -> None:
    rules = CallRules(window=FULL, max_per_24h=3)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 1.0), call_target=10, regions={NY: rules}), reps=(sdr(0),))
    rep = sdr(0)
    host.arrive(1, 0.0, zone=NY)
    for t in (0.0, 2.0, 4.0):
        host.call(rep, t, t + 1.0, expect=1)
    assert host.engine.next_due_time() == pytest.approx(DAY)


# ====================================================================== steps, expiry, nurture


def test_steps_on_arrival_and_after_counted_attempts() -> None:
    rep = sdr(0)
    host = Host(
        CadenceRules(
            window=FULL, spacing=(0.0, 10.0), call_target=5,
            steps=((0, "sms"), (2, "email")), outcomes={"busy": OutcomeRules(retry_minutes=1.0, counts=False)},
        ),
        reps=(rep,),
    )
    host.arrive(1, 3.0)
    assert [(s.lead_id, s.channel, s.at) for s in host.steps] == [(1, "sms", 3.0)]
    host.call(rep, 3.0, 4.0, "no_answer")
    host.call(rep, 14.0, 15.0, "busy")  # not counted: no step
    assert len(host.steps) == 1
    host.call(rep, 16.0, 17.0, "voicemail")  # counted attempt 2
    assert [(s.channel, s.at) for s in host.steps] == [("sms", 3.0), ("email", 17.0)]
    d = host.dial(rep, 27.0)
    assert d.steps_sent == (3.0, 17.0)


def test_expiry_during_a_call_closes_at_the_deadline_unless_reached() -> None:
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 1.0)), expiry={"web": 120.0}, reps=(rep,))
    host.arrive(1, 0.0)
    host.arrive(2, 0.0)
    d1, d2 = host.dial(rep, 100.0), host.dial(rep, 100.0)
    host.engine.advance(125.0)  # the deadline passes while both are on a call
    assert host.closed == []
    host.end(d1, rep, 100.0, 130.0, "no_answer")
    host.end(d2, rep, 100.0, 130.0, "contact")
    assert host.status(1) == ("expired", 120.0)
    assert host.status(2) == ("contacted", 130.0)


def test_expiry_of_a_due_lead_nobody_called() -> None:
    host = Host(expiry={"web": 60.0})
    host.arrive(1, 0.0)
    host.engine.advance(1.0)
    assert host.engine.backlog() == (1, 1)
    assert host.ask(sdr(0), 61.0) is None
    assert host.engine.backlog() == (0, 0)
    assert host.status(1) == ("expired", 60.0)


@pytest.mark.parametrize("expiry,status,at", [(None, "nurture", 3 * DAY), (2 * DAY, "expired", 2 * DAY), (5 * DAY, "nurture", 3 * DAY)])
def test_nurture_hand_off_and_expiry_whichever_comes_first(expiry: float | None, status: str, at: float) -> None:
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 10 * DAY), nurture_minutes=3 * DAY), expiry={"web": expiry}, reps=(rep,))
    host.arrive(1, 0.0)
    host.call(rep, 0.0, 1.0)
    assert host.engine.next_due_time() == pytest.approx(at)
    host.engine.advance(at)
    assert host.status(1) == (status, at)


# ====================================================================== human behaviour


def _human_host(mode: str = "round_robin", **dist: object) -> tuple[Host, RepView, RepView]:
    h0 = RepView(0, "floor", human=True)
    h1 = RepView(1, "floor", human=True)
    host = Host(
        CadenceRules(window=FULL, spacing=(0.0, 1.0), call_target=6),
        DistributionRules(mode=mode, **dist),  # type: ignore[arg-type]
        priority=(("new_leads", {"order": "newest_first"}),),
        reps=(h0, h1),
    )
    return host, h0, h1


def test_human_prefer_score_picks_the_best_looking_owned_lead() -> None:
    host, h0, _h1 = _human_host()
    # Rep 0 owns leads 1, 3, 5; rep 1 owns 2, 4, 6 (with the best score of all).
    for lead_id, score in zip(range(1, 7), (0.1, 0.3, 0.9, 0.2, 0.5, 0.99)):
        host.arrive(lead_id, float(lead_id), score=score)
    assert host.drain(h0, 10.0, prefer_score=True) == [3, 5, 1]


def test_human_without_prefer_score_works_its_list_in_order_of_due() -> None:
    host, h0, _h1 = _human_host()
    for lead_id in range(1, 7):
        host.arrive(lead_id, float(lead_id), score=lead_id / 10)
    # The engine's rule says newest first; a person works the oldest due first.
    assert host.drain(h0, 10.0) == [1, 3, 5]
    # A follow-up due earlier than a new lead comes first (no new-lead priority).
    host2, a, _ = _human_host()
    host2.arrive(1, 0.0)
    host2.call(a, 0.0, 1.0, expect=1)  # due again at 2
    host2.arrive(3, 5.0)  # dealt to rep 1
    host2.arrive(5, 6.0)  # dealt to rep 0: a new lead, due after the follow-up
    assert host2.drain(a, 10.0) == [1, 5]


def test_human_gives_up_after_its_drawn_number_of_calls() -> None:
    host, h0, _ = _human_host()
    host.arrive(1, 0.0, give_up_after=2)
    host.call(h0, 0.0, 1.0, expect=1)
    assert host.status(1) is None
    host.call(h0, 2.0, 3.0, expect=1)
    assert host.status(1) == ("dropped", 3.0)  # before the call target of 6


def test_engine_reps_ignore_give_up_after() -> None:
    rep = sdr(0)
    host = Host(CadenceRules(window=FULL, spacing=(0.0, 1.0), call_target=3), DistributionRules(mode="round_robin"), reps=(rep,))
    host.arrive(1, 0.0, give_up_after=1)
    for t in (0.0, 2.0, 4.0):
        host.call(rep, t, t + 1.0, expect=1)
    assert host.status(1) == ("exhausted", 5.0)


def test_human_does_not_give_up_on_a_recycled_lead() -> None:
    host, h0, h1 = _human_host("owner_recycle", recycle_after_attempts=1)
    host.arrive(1, 0.0, give_up_after=2)
    host.call(h0, 0.0, 1.0, expect=1)  # recycled to the pool after 1 owner attempt
    d = host.dial(h1, 2.0)
    assert d.owner is None
    host.end(d, h1, 2.0, 3.0)
    host.call(h0, 4.0, 5.0, expect=1)
    assert host.status(1) is None  # still open: the give-up belongs to the owner


def test_human_rep_with_own_and_recycled_leads_and_tuple_priority_keys() -> None:
    h0, h1 = RepView(0, "h", human=True), RepView(1, "h", human=True)
    host = Host(
        CadenceRules(window=FULL, spacing=(0.0, 1.0), call_target=5),
        DistributionRules(mode="owner_recycle", recycle_after_attempts=1),
        priority=(("due_followups", {"by": "attempt_number"}), ("new_leads", {})),
        reps=(h0, h1),
    )
    host.arrive(1, 0.0)  # owned by rep 0
    host.arrive(2, 0.0)  # owned by rep 1
    host.call(h1, 0.0, 1.0, expect=2)  # recycled into the shared pool after one attempt, due at 2
    # Rep 0 now sees its own lead 1 (Fifo key: a float) and the pooled lead 2 (key: a tuple).
    dial = host.ask(h0, 5.0)
    assert dial is not None and dial.lead_id in (1, 2)
