"""Unit tests of the engine, driven by hand without SimPy (time is passed in)."""

from __future__ import annotations

import datetime as dt

import pytest

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

CHI = "America/Chicago"
NY = "America/New_York"
MON = dt.date(2026, 1, 5)  # a Monday
REP = RepView(0, "sdr")


def make_engine(**cadence: object) -> tuple[Engine, list, list]:
    closed: list = []
    steps: list = []
    rules = CadenceRules(**{"window": (0.0, 1440.0), **cadence})  # type: ignore[arg-type]
    config = EngineConfig(
        cadence=rules,
        sources=("web", "inbound"),
        expiry_minutes={"web": None, "inbound": None},
    )
    engine = Engine(config, FloorCalendar(MON, CHI), on_close=closed.append, on_step=steps.append)
    return engine, closed, steps


def call(engine: Engine, now: float, outcome: str, minutes: float = 2.0) -> int:
    dial = engine.next_for(REP, now)
    assert dial is not None
    engine.attempt_ended(AttemptResult(dial.lead_id, 0, now, now + minutes, outcome))
    return dial.lead_id


def test_fifo_new_leads_oldest_first_with_deterministic_ties() -> None:
    engine, _, _ = make_engine()
    for lead_id, created in [(3, 10.0), (1, 5.0), (2, 10.0)]:
        engine.lead_arrived(NewLead(lead_id, "web", created, CHI), created)
    order = [engine.next_for(REP, 20.0).lead_id for _ in range(3)]  # type: ignore[union-attr]
    assert order == [1, 2, 3]  # oldest first, tie at t=10 broken by lead id
    assert engine.next_for(REP, 20.0) is None


def test_newest_first_order() -> None:
    closed: list = []
    config = EngineConfig(
        new_leads_order="newest_first",
        cadence=CadenceRules(window=(0.0, 1440.0)),
        sources=("web",),
    )
    engine = Engine(config, FloorCalendar(MON, CHI), on_close=closed.append)
    for lead_id, created in [(1, 1.0), (2, 2.0), (3, 3.0)]:
        engine.lead_arrived(NewLead(lead_id, "web", created, CHI), created)
    assert [engine.next_for(REP, 5.0).lead_id for _ in range(3)] == [3, 2, 1]  # type: ignore[union-attr]


def test_spacing_counts_from_end_of_previous_attempt() -> None:
    engine, _, _ = make_engine(call_target=3, spacing=(0.0, 10.0, 60.0))
    engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
    call(engine, 0.0, "no_answer", minutes=2.0)
    assert engine.next_due_time() == pytest.approx(12.0)
    assert engine.next_for(REP, 11.9) is None
    call(engine, 12.0, "voicemail", minutes=1.0)
    assert engine.next_due_time() == pytest.approx(73.0)


def test_call_target_exhausts_lead() -> None:
    engine, closed, _ = make_engine(call_target=2, spacing=(0.0, 5.0))
    engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
    call(engine, 0.0, "no_answer")
    call(engine, 10.0, "no_answer")
    assert [(c.lead_id, c.status) for c in closed] == [(1, "exhausted")]
    assert engine.open_leads() == 0


@pytest.mark.parametrize(
    "outcome,status", [("contact", "contacted"), ("qualified", "contacted"), ("converted", "converted"), ("bad_number", "bad_number")]
)
def test_terminal_outcomes_close(outcome: str, status: str) -> None:
    engine, closed, _ = make_engine()
    engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
    call(engine, 0.0, outcome)
    assert closed[-1].status == status


def test_lead_arriving_outside_window_waits_for_local_opening() -> None:
    # Window 08:00-20:00 in the lead's local time; a New York lead arriving at
    # 21:00 Chicago (22:00 New York) on Monday is due at 08:00 New York Tuesday
    # = 07:00 Chicago = floor minute 1440 + 420.
    engine, _, _ = make_engine(window=(480.0, 1200.0))
    engine.lead_arrived(NewLead(1, "web", 21 * 60.0, NY), 21 * 60.0)
    assert engine.next_for(REP, 21 * 60.0) is None
    assert engine.next_due_time() == pytest.approx(1440.0 + 420.0)
    assert engine.next_for(REP, 1440.0 + 420.0).lead_id == 1  # type: ignore[union-attr]


def test_ready_lead_whose_window_closed_is_rescheduled() -> None:
    engine, _, _ = make_engine(window=(480.0, 1200.0))
    engine.lead_arrived(NewLead(1, "web", 1190.0, CHI), 1190.0)
    engine.advance(1190.0)
    assert engine.backlog() == (1, 1)
    # Nobody asked before 20:00; at 20:05 the lead must not be handed out.
    assert engine.next_for(REP, 1205.0) is None
    assert engine.next_due_time() == pytest.approx(1440.0 + 480.0)
    assert engine.backlog() == (0, 0)


def test_daily_cap_moves_next_attempt_to_next_local_day() -> None:
    engine, _, _ = make_engine(call_target=6, spacing=(0.0, 1.0), max_per_day=2)
    engine.lead_arrived(NewLead(1, "web", 1430.0, CHI), 1430.0)  # Monday 23:50
    call(engine, 1430.0, "no_answer", minutes=1.0)
    call(engine, 1432.0, "no_answer", minutes=1.0)  # second call at 23:52: cap reached
    assert engine.next_due_time() == pytest.approx(1440.0)  # Tuesday 00:00, not 23:54
    call(engine, 1440.0, "no_answer", minutes=1.0)
    call(engine, 1442.0, "no_answer", minutes=1.0)
    assert engine.next_due_time() == pytest.approx(2880.0)


def test_daily_cap_uses_the_leads_local_day() -> None:
    # Los Angeles is two hours behind Chicago: its day ends at 02:00 Chicago.
    engine, _, _ = make_engine(spacing=(0.0, 1.0), max_per_day=1)
    la = "America/Los_Angeles"
    engine.lead_arrived(NewLead(1, "web", 1440.0, la), 1440.0)  # 22:00 LA Monday
    call(engine, 1440.0, "no_answer", minutes=1.0)
    assert engine.next_due_time() == pytest.approx(1440.0 + 120.0)


def test_expiry_closes_waiting_lead_at_deadline() -> None:
    closed: list = []
    config = EngineConfig(
        cadence=CadenceRules(window=(0.0, 1440.0), spacing=(0.0, 600.0)),
        sources=("web",),
        expiry_minutes={"web": 120.0},
    )
    engine = Engine(config, FloorCalendar(MON, CHI), on_close=closed.append)
    engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
    call(engine, 0.0, "no_answer")
    assert engine.next_due_time() == pytest.approx(120.0)  # the deadline comes first
    engine.advance(130.0)
    assert [(c.status, c.at) for c in closed] == [("expired", 120.0)]


def test_live_caller_first_then_callback_after_abandon() -> None:
    engine, _closed, _ = make_engine(callback_delay=5.0)
    engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
    engine.lead_arrived(NewLead(2, "inbound", 1.0, CHI, live=True), 1.0)
    dial = engine.next_for(REP, 1.0)
    assert dial is not None and dial.lead_id == 2 and dial.live
    engine.attempt_ended(AttemptResult(2, 0, 1.0, 5.0, "no_answer"))  # caller hung up: retry later
    engine.lead_arrived(NewLead(3, "inbound", 6.0, CHI, live=True), 6.0)
    assert engine.caller_abandoned(3, 6.75) is True
    assert engine.caller_abandoned(3, 7.0) is False
    # Lead 3 is a callback due at 11.75 and outranks the older new lead 1.
    assert engine.next_for(REP, 11.75).lead_id == 3  # type: ignore[union-attr]


def test_steps_sent_after_attempt_and_reported_on_dial() -> None:
    engine, _, steps = make_engine(call_target=3, spacing=(0.0, 10.0), steps=((1, "email"),))
    engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
    call(engine, 0.0, "voicemail", minutes=2.0)
    assert [(s.lead_id, s.channel, s.at) for s in steps] == [(1, "email", 2.0)]
    dial = engine.next_for(REP, 12.0)
    assert dial is not None and dial.steps_sent == (2.0,)


def test_rep_restricted_to_sources() -> None:
    engine, _, _ = make_engine()
    engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
    inbound_only = RepView(1, "closers", frozenset({"inbound"}))
    assert engine.next_for(inbound_only, 1.0) is None
    assert engine.next_for(REP, 1.0).lead_id == 1  # type: ignore[union-attr]


def test_protocol_errors() -> None:
    engine, _, _ = make_engine()
    engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
    with pytest.raises(EngineError):
        engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
    with pytest.raises(EngineError):
        engine.attempt_ended(AttemptResult(1, 0, 0.0, 1.0, "no_answer"))  # not in a call
    engine.next_for(REP, 0.0)
    with pytest.raises(EngineError):
        engine.attempt_ended(AttemptResult(1, 0, 0.0, 1.0, "telepathy"))


def test_close_all_censors_open_leads() -> None:
    engine, closed, _ = make_engine()
    engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
    engine.lead_arrived(NewLead(2, "web", 0.0, CHI), 0.0)
    engine.next_for(REP, 0.0)  # lead 1 in a call at the end
    assert engine.close_all(10.0) == 2
    assert sorted((c.lead_id, c.status) for c in closed) == [(1, "censored"), (2, "censored")]


def test_hand_written_day_replayed_without_simpy() -> None:
    """A short day on a live floor: two reps, four leads, the engine decides every call."""
    engine, closed, _ = make_engine(call_target=2, spacing=(0.0, 30.0), window=(480.0, 1200.0))
    a, b = RepView(0, "sdr"), RepView(1, "sdr")
    engine.lead_arrived(NewLead(10, "web", 470.0, CHI), 470.0)  # 07:50, before the window
    engine.lead_arrived(NewLead(11, "web", 475.0, NY), 475.0)  # 07:55 Chicago = 08:55 NY: callable
    assert engine.next_for(a, 475.0).lead_id == 11  # type: ignore[union-attr]
    assert engine.next_for(b, 475.0) is None  # lead 10 waits for 08:00 Chicago
    assert engine.next_due_time() == 480.0
    assert engine.next_for(b, 480.0).lead_id == 10  # type: ignore[union-attr]
    engine.attempt_ended(AttemptResult(11, 0, 475.0, 480.0, "no_answer"))
    engine.attempt_ended(AttemptResult(10, 1, 480.0, 490.0, "converted"))
    engine.lead_arrived(NewLead(12, "web", 495.0, CHI), 495.0)
    assert engine.next_for(a, 495.0).lead_id == 12  # type: ignore[union-attr]
    engine.attempt_ended(AttemptResult(12, 0, 495.0, 500.0, "contact"))
    assert engine.next_for(a, 505.0) is None  # lead 11 is due at 510
    dial = engine.next_for(a, 510.0)
    assert dial is not None and (dial.lead_id, dial.attempt) == (11, 2)
    engine.attempt_ended(AttemptResult(11, 0, 510.0, 512.0, "voicemail"))
    assert [(c.lead_id, c.status) for c in closed] == [(10, "converted"), (12, "contacted"), (11, "exhausted")]
    assert engine.open_leads() == 0
