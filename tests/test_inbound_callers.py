"""Inbound callers: fair queueing across lines, what happens after hanging up, patience forms.

Engine tests drive the engine by hand (no SimPy); simulator tests run small
floors with fixed seeds; scenario tests check that every new field refuses bad
values with a message naming the field, the rule and the value.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from leadsim.cli import main
from leadsim.engine import Engine, EngineConfig, FloorCalendar, NewLead, RepView
from leadsim.engine.config import CadenceRules
from leadsim.engine.core import EngineError
from leadsim.scenarios.schema import Scenario
from leadsim.simulator.distributions import mean, sampler
from leadsim.simulator.metrics import compute_all
from leadsim.simulator.results import LEAD_STATUSES, OFFER_ABANDONED, OFFER_ANSWERED
from leadsim.simulator.run import simulate

MON = dt.date(2026, 1, 5)
REP = RepView(0, "agents", None, None, False)


def engine(order: str = "fifo", closed: list | None = None) -> Engine:
    config = EngineConfig(cadence=CadenceRules(window=(0.0, 1440.0)), sources=("a", "b"), inbound_order=order)  # type: ignore[arg-type]
    eng = Engine(config, FloorCalendar(MON, "UTC"), on_close=(closed.append if closed is not None else lambda _: None))
    eng.add_rep(REP)
    return eng


def ring(eng: Engine, lead_id: int, source: str, at: float) -> None:
    eng.lead_arrived(NewLead(lead_id, source, at, "UTC", live=True), at)


# ---------------------------------------------------------------- engine


def test_fifo_answers_the_longest_waiting_caller_across_lines() -> None:
    eng = engine("fifo")
    ring(eng, 0, "b", 1.0)
    ring(eng, 1, "a", 2.0)
    first, second = eng.next_for(REP, 3.0), eng.next_for(REP, 3.0)
    assert first is not None and second is not None
    assert (first.lead_id, second.lead_id) == (0, 1)  # b rang first, although a is listed first


def test_source_priority_answers_the_first_listed_line_first() -> None:
    eng = engine("source_priority")
    ring(eng, 0, "b", 1.0)
    ring(eng, 1, "a", 2.0)
    first = eng.next_for(REP, 3.0)
    assert first is not None and first.lead_id == 1


def test_unknown_inbound_order_is_refused() -> None:
    with pytest.raises(ValueError, match="inbound_order"):
        EngineConfig(inbound_order="random")  # type: ignore[arg-type]


def test_a_lost_caller_closes_as_abandoned() -> None:
    closed: list = []
    eng = engine(closed=closed)
    ring(eng, 0, "a", 1.0)
    assert eng.caller_abandoned(0, 2.0, "lost")
    assert [(c.lead_id, c.status, c.at) for c in closed] == [(0, "abandoned", 2.0)]
    assert eng.next_for(REP, 3.0) is None and eng.backlog() == (0, 0)


def test_a_caller_who_will_redial_waits_in_no_queue_then_rings_at_the_back() -> None:
    eng = engine()
    ring(eng, 0, "a", 1.0)
    assert eng.caller_abandoned(0, 2.0, "retry")
    assert eng.next_for(REP, 2.5) is None and eng.backlog() == (0, 0) and eng.next_due_time() is None
    ring(eng, 1, "a", 3.0)
    assert eng.caller_redialled(0, 4.0)
    assert not eng.caller_redialled(0, 4.0)  # already on the line
    first, second = eng.next_for(REP, 5.0), eng.next_for(REP, 5.0)
    assert first is not None and second is not None
    assert (first.lead_id, second.lead_id) == (1, 0) and second.live and second.attempt == 1


def test_the_default_after_hanging_up_is_still_a_callback() -> None:
    eng = engine()
    ring(eng, 0, "a", 1.0)
    assert eng.caller_abandoned(0, 2.0)
    dial = eng.next_for(REP, 2.0)
    assert dial is not None and dial.callback and not dial.live


def test_an_answered_caller_cannot_be_abandoned_and_bad_actions_are_refused() -> None:
    eng = engine()
    ring(eng, 0, "a", 1.0)
    assert eng.next_for(REP, 1.5) is not None
    assert not eng.caller_abandoned(0, 2.0, "lost")
    with pytest.raises(EngineError, match="abandonment action"):
        eng.caller_abandoned(0, 2.0, "vanish")  # type: ignore[arg-type]


# ---------------------------------------------------------------- distributions


def _dist(spec: dict):
    return Scenario.model_validate(_floor(talk=spec)).teams[0].handle_minutes.talk


def test_weibull_and_empirical_samplers_invert_their_distribution_functions() -> None:
    weibull = sampler(_dist({"weibull": {"shape": 0.5, "scale": 2.0}}))
    u = 0.3
    assert weibull(u) == pytest.approx(2.0 * (-math.log(1 - u)) ** 2)
    discrete = sampler(_dist({"empirical": {"values": [1, 2, 5], "probabilities": [1, 1, 2]}}))
    assert [discrete(x) for x in (0.1, 0.3, 0.49, 0.51, 0.99)] == [1, 2, 2, 5, 5]
    table = sampler(_dist({"empirical": {"values": [0, 10, 20], "quantiles": [0, 0.5, 1]}}))
    assert [table(x) for x in (0.0, 0.25, 0.5, 0.75)] == pytest.approx([0, 5, 10, 15])
    assert mean(_dist({"empirical": {"values": [0, 10, 20], "quantiles": [0, 0.5, 1]}})) == pytest.approx(10)
    assert mean(_dist({"weibull": {"shape": 1, "scale": 3}})) == pytest.approx(3)


# ---------------------------------------------------------------- simulator


def _floor(talk: dict | None = None, **source: object) -> dict:
    line = {"name": "line", "kind": "inbound_call", "volume": {"per_day": 1440}, "profile": "flat",
            "patience_seconds": 30, **source}
    return {
        "name": "callers", "calendar": {"start": "2026-01-05", "timezone": "UTC"},
        "run": {"warmup_days": 0.1, "days": 0.5, "drain_days": 0.2},
        "sources": [line],
        "teams": [{"name": "agents", "headcount": 2, "shifts": [{"days": "mon-sun", "start": "00:00", "end": "24:00"}],
                   "handle_minutes": {"talk": talk or {"exponential": {"mean": 2}}, "wrap": {"fixed": 0}}}],
        "contact": {"base": {"line": 0.5}}, "conversion": {"qualify": {"line": 0.5}, "close": {"line": 0.5}},
        "policy": {"cadence": {"call_target": 3, "calling_window": {"start": "00:00", "end": "24:00", "in": "floor_time"}}},
    }


def test_lost_callers_are_never_called_back() -> None:
    result = simulate(Scenario.model_validate(_floor(abandonment="lost")))
    offers, leads = result.offers, result.leads
    assert offers is not None and (offers.answered == OFFER_ABANDONED).sum() > 50
    lost = offers.lead[offers.answered == OFFER_ABANDONED]
    assert (leads.status[lost] == LEAD_STATUSES.index("abandoned")).all()
    assert (leads.attempts[lost] == 0).all()  # nobody called them


def test_callers_redial_after_hanging_up_with_the_given_probability() -> None:
    scenario = Scenario.model_validate(_floor(abandonment={"then": "retry", "retry_probability": 0.6,
                                                           "retry_delay_minutes": {"fixed": 3}, "max_redials": 2}))
    offers = simulate(scenario).offers
    assert offers is not None
    hung_up = offers.answered == OFFER_ABANDONED
    first_rings = hung_up & (offers.offer == 0)
    redials = offers.offer == 1
    # About 60% of first hang-ups ring again (binomial, n in the hundreds: a 5-sigma band).
    n = int(first_rings.sum())
    share = int(redials.sum()) / n
    assert abs(share - 0.6) < 5 * math.sqrt(0.24 / n), (share, n)
    assert offers.offer.max() <= 2
    # A redial rings exactly 3 minutes after its caller hung up.
    by_lead = {(int(lead), int(k)): (o, w) for lead, k, o, w in zip(offers.lead, offers.offer, offers.offered, offers.waited)}
    for (lead, k), (offered, _) in by_lead.items():
        if k >= 1:
            before, waited = by_lead[(lead, k - 1)]
            assert offered == pytest.approx(before + waited + 3.0)
    metrics = compute_all(simulate(scenario))["metrics"]
    assert metrics["calls_offered"] > metrics["inbound_calls"]  # redials are offered calls too


def test_patience_distribution_is_drawn_per_caller_and_is_common_across_scenarios() -> None:
    base = _floor(patience_seconds={"weibull": {"shape": 0.7, "scale": 40}}, abandonment="lost")
    one = simulate(Scenario.model_validate(base)).offers
    base["teams"][0]["headcount"] = 1  # a different floor, the same callers
    two = simulate(Scenario.model_validate(base)).offers
    assert one is not None and two is not None
    waits_one = {int(k): w for k, w, a in zip(one.lead, one.waited, one.answered) if a == OFFER_ABANDONED}
    waits_two = {int(k): w for k, w, a in zip(two.lead, two.waited, two.answered) if a == OFFER_ABANDONED}
    both = set(waits_one) & set(waits_two)
    assert len(both) > 20 and len(set(waits_one.values())) > 20  # drawn, not one fixed value
    assert all(waits_one[k] == waits_two[k] for k in both)  # each caller's patience is its own


def test_fixed_patience_callers_answered_within_it() -> None:
    offers = simulate(Scenario.model_validate(_floor())).offers
    assert offers is not None
    answered = offers.answered == OFFER_ANSWERED
    assert answered.any() and (offers.waited[answered] <= 0.5 + 1e-9).all()
    assert (offers.waited[offers.answered == OFFER_ABANDONED] == pytest.approx(0.5))


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "where,value,fragment",
    [
        ("patience", {"weibull": {"shape": 0, "scale": 10}}, "greater than 0"),
        ("patience", {"empirical": {"values": [1, 2], "probabilities": [0, 0]}}, "must not all be zero"),
        ("patience", {"empirical": {"values": [1, 2], "probabilities": [1]}}, "same length"),
        ("patience", {"empirical": {"values": [3, 2], "quantiles": [0, 1]}}, "must not decrease"),
        ("patience", {"empirical": {"values": [1, 2], "quantiles": [0.1, 1]}}, "from 0 to 1"),
        ("patience", {"empirical": {"values": [1, 2]}}, "exactly one of"),
        ("patience", {"lognormal": {"mean": -5, "sd": 1}}, "greater than 0"),
        ("patience", 100000, "less than or equal to 86400"),
        ("talk", {"empirical": {"values": [-1], "probabilities": [1]}}, "greater than or equal to 0"),
        ("abandonment", "hang_up", "callback"),
        ("abandonment", {"then": "retry", "retry_probability": 1.5}, "less than or equal to 1"),
        ("service_level_seconds", -1, "greater than or equal to 0"),
    ],
)
def test_bad_caller_fields_are_refused(where: str, value: object, fragment: str) -> None:
    spec = _floor(talk=value) if where == "talk" else _floor(**{
        "patience_seconds" if where == "patience" else where: value})
    with pytest.raises(ValidationError, match=fragment):
        Scenario.model_validate(spec)


def test_a_bad_patience_in_a_file_exits_2_naming_the_field(tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "extends: baseline\nname: bad\nsources:\n  - name: web_form\n    volume: {per_day: 60}\n"
        "  - name: inbound_call\n    kind: inbound_call\n    volume: {per_day: 15}\n"
        "    patience_seconds: {weibull: {shape: -1, scale: 30}}\n  - name: tradeshow\n    kind: batch\n"
        "    batches: [{day: 10, count: 300}]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "bad.yaml" in result.output and "patience_seconds" in result.output and "-1" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "override,fragment",
    [
        ("sources.calls.patience_seconds.weibull.shape=-1",
         "sources.0.patience_seconds.weibull.shape: Input should be greater than 0 (got -1)"),
        ("sources.calls.patience_seconds=-4", "sources.0.patience_seconds: Input should be greater than 0 (got -4)"),
        ("teams.agents.staffing_scale=-1", "teams.0.staffing_scale: Input should be greater than or equal to 0 (got -1)"),
        ("sources.calls.abandonment=vanish", "sources.0.abandonment.then: Input should be 'callback', 'lost' or 'retry'"),
    ],
)
def test_bad_values_on_the_command_line_name_the_field_rule_and_value(override: str, fragment: str) -> None:
    result = CliRunner().invoke(main, ["validate", "contact_centre", "--set", override])
    assert result.exit_code == 2 and fragment in result.output, result.output
    assert "contact_centre.yaml" in result.output and "Traceback" not in result.output
