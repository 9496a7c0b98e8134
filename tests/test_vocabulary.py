"""One vocabulary: the names the scenario language, the engine and the logs share.

``leadsim.vocabulary`` defines priority rule names and parameters, distribution
modes, outcomes, statuses, channels, stages and "HH:MM" once. These contract
tests fail when a side drifts from it: a rule the schema accepts but the engine
lacks (or the other way round, or with other parameters), a mode the engine does
not implement, an outcome or status without a meaning, a name spelt out again
somewhere else in the source. Each behaviour table below must cover the whole
vocabulary, so adding a name without giving it a meaning fails here.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
from pathlib import Path

import pydantic
import pytest

from leadsim import vocabulary as vocab
from leadsim.engine import (
    AttemptResult,
    CadenceRules,
    DistributionRules,
    Engine,
    EngineConfig,
    EngineError,
    FloorCalendar,
    LeadClosed,
    NewLead,
    OutcomeRules,
    RepView,
)
from leadsim.engine import types as engine_types
from leadsim.engine.distribution import IMPLEMENTED_MODES
from leadsim.engine.priority import RULES, build_rules
from leadsim.scenarios import schema
from leadsim.simulator import recorder, results

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "leadsim"
CHI = "America/Chicago"
MON = dt.date(2026, 1, 5)
FULL = (0.0, 1440.0)


# ====================================================================== priority rules


def test_engine_rules_are_exactly_the_vocabulary_rules() -> None:
    assert set(RULES) == set(vocab.PRIORITY_RULE_NAMES)
    assert set(vocab.RULE_PARAMS) == set(vocab.PRIORITY_RULE_NAMES)


@pytest.mark.parametrize("name", vocab.PRIORITY_RULE_NAMES)
def test_engine_rule_takes_exactly_the_vocabulary_parameters(name: str) -> None:
    params = set(inspect.signature(RULES[name]).parameters)
    assert params == set(vocab.RULE_PARAMS[name]), f"RULES[{name!r}] takes {sorted(params)}"
    assert RULES[name]().name == name  # type: ignore[call-arg]  # every parameter has a default


@pytest.mark.parametrize("name", vocab.PRIORITY_RULE_NAMES)
def test_every_choice_is_accepted_by_engine_and_schema_and_others_by_neither(name: str) -> None:
    for param, (kind, choices) in vocab.RULE_PARAMS[name].items():
        if kind != vocab.CHOICE:
            continue
        for choice in choices:
            build_rules(((name, {param: choice}),))
            schema.Policy(priority=[{name: {param: choice}}])  # type: ignore[list-item]
        with pytest.raises(ValueError):
            build_rules(((name, {param: "no_such_choice"}),))
        with pytest.raises(pydantic.ValidationError):
            schema.Policy(priority=[{name: {param: "no_such_choice"}}])  # type: ignore[list-item]


def test_schema_accepts_every_rule_name_and_no_other() -> None:
    for name in vocab.PRIORITY_RULE_NAMES:
        assert schema.Policy(priority=[name]).rule_specs() == [(name, {})]  # type: ignore[list-item]
    with pytest.raises(pydantic.ValidationError):
        schema.Policy(priority=["telepathy"])  # type: ignore[list-item]


@pytest.mark.parametrize("name", vocab.PRIORITY_RULE_NAMES)
def test_schema_and_engine_refuse_the_same_unknown_parameter(name: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="has no parameter"):
        schema.Policy(priority=[{name: {"colour": 1}}])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="has no parameter"):
        EngineConfig(priority=((name, {"colour": 1}),))


def test_new_leads_order_is_the_rule_order() -> None:
    assert vocab.RULE_PARAMS["new_leads"]["order"][1] == vocab.NEW_LEADS_ORDERS
    for order in vocab.NEW_LEADS_ORDERS:
        schema.Policy(new_leads_order=order)
        EngineConfig(new_leads_order=order)


def test_the_published_json_schema_lists_the_vocabulary() -> None:
    """What `leadsim schema` shows users is the vocabulary, in its order."""
    defs = schema.Scenario.model_json_schema()["$defs"]
    priority = defs["Policy"]["properties"]["priority"]["items"]["anyOf"]
    assert priority[0]["enum"] == list(vocab.PRIORITY_RULE_NAMES)
    assert priority[1]["propertyNames"]["enum"] == list(vocab.PRIORITY_RULE_NAMES)
    assert defs["Distribution"]["properties"]["mode"]["enum"] == list(vocab.DISTRIBUTION_MODES)
    assert defs["Cadence"]["properties"]["outcomes"]["propertyNames"]["enum"] == list(vocab.RULE_OUTCOMES)
    assert defs["Policy"]["properties"]["new_leads_order"]["enum"] == list(vocab.NEW_LEADS_ORDERS)


# ====================================================================== distribution modes


def test_the_engine_implements_exactly_the_vocabulary_modes() -> None:
    assert set(vocab.DISTRIBUTION_MODES) == IMPLEMENTED_MODES
    assert set(vocab.DISTRIBUTION_MODES) >= vocab.OWNED_MODES


# Who may make the first attempt on an inbound lead of source "phone", with reps
# a, b (team sdr, registered in this order) and c (team closers).
WHO_DIALS_FIRST = {
    "shared_pool": {"a", "b", "c"},
    "round_robin": {"a"},  # dealt to the first rep in turn; only its owner calls it
    "owner_recycle": {"a"},
    "incoming_call_group": {"c"},  # the group team owns inbound leads
}
MODE_EXTRAS: dict[str, dict[str, object]] = {
    "owner_recycle": {"recycle_after_attempts": 2},
    "incoming_call_group": {"group": "closers", "inbound_sources": frozenset({"phone"})},
}


def test_every_mode_has_a_meaning_in_this_table() -> None:
    assert set(WHO_DIALS_FIRST) == set(vocab.DISTRIBUTION_MODES)


@pytest.mark.parametrize("mode", vocab.DISTRIBUTION_MODES)
def test_each_mode_decides_who_dials(mode: str) -> None:
    reps = {"a": RepView(0, "sdr"), "b": RepView(1, "sdr"), "c": RepView(2, "closers")}
    for asker, rep in reps.items():
        dist = DistributionRules(mode=mode, **MODE_EXTRAS.get(mode, {}))  # type: ignore[arg-type]
        engine = Engine(EngineConfig(cadence=CadenceRules(window=FULL), distribution=dist, sources=("phone",)),
                        FloorCalendar(MON, CHI))
        for r in reps.values():
            engine.add_rep(r)
        engine.lead_arrived(NewLead(1, "phone", 0.0, CHI), 0.0)
        got = engine.next_for(rep, 0.0) is not None
        assert got == (asker in WHO_DIALS_FIRST[mode]), f"{mode}: rep {asker} {'got' if got else 'did not get'} the lead"


@pytest.mark.parametrize("mode", vocab.DISTRIBUTION_MODES)
def test_schema_accepts_every_mode(mode: str) -> None:
    extras = {"owner_recycle": {"recycle_after_attempts": 2}, "incoming_call_group": {"group": "closers"}}
    assert schema.Distribution(mode=mode, **extras.get(mode, {})).mode == mode  # type: ignore[arg-type]


def test_a_mode_the_engine_lacks_is_refused_not_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vocab, "DISTRIBUTION_MODES", (*vocab.DISTRIBUTION_MODES, "new_mode"))
    monkeypatch.setattr("leadsim.engine.config.DISTRIBUTION_MODES", vocab.DISTRIBUTION_MODES)
    config = EngineConfig(distribution=DistributionRules(mode="new_mode"))  # type: ignore[arg-type]
    with pytest.raises(EngineError, match="'new_mode' is not implemented"):
        Engine(config, FloorCalendar(MON, CHI))


# ====================================================================== outcomes


# What attempt_ended does with each outcome (no outcome rule): the status it closes
# the lead with, or None for "re-scheduled".
OUTCOME_EFFECT: dict[str, str | None] = {
    "no_answer": None,
    "voicemail": None,
    "busy": None,
    "bad_number": "bad_number",
    "contact": "contacted",
    "qualified": "contacted",
    "converted": "converted",
}


def _host(cadence: CadenceRules | None = None, **config: object) -> tuple[Engine, list[LeadClosed]]:
    closed: list[LeadClosed] = []
    engine = Engine(
        EngineConfig(cadence=cadence or CadenceRules(window=FULL, call_target=6), sources=("web",), **config),  # type: ignore[arg-type]
        FloorCalendar(MON, CHI),
        on_close=closed.append,
    )
    return engine, closed


def test_every_outcome_has_an_effect_in_this_table() -> None:
    assert tuple(OUTCOME_EFFECT) == vocab.CALL_OUTCOMES
    assert set(vocab.REACHED_OUTCOMES) | set(vocab.RULE_OUTCOMES) | {"bad_number"} == set(vocab.CALL_OUTCOMES)
    assert not set(vocab.REACHED_OUTCOMES) & set(vocab.RULE_OUTCOMES)
    assert set(vocab.QUALIFIED_OUTCOMES) <= set(vocab.REACHED_OUTCOMES)


@pytest.mark.parametrize("outcome", vocab.CALL_OUTCOMES)
def test_engine_understands_every_outcome(outcome: str) -> None:
    engine, closed = _host()
    rep = RepView(0, "sdr")
    engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
    assert engine.next_for(rep, 0.0) is not None
    engine.attempt_ended(AttemptResult(1, 0, 0.0, 1.0, outcome))
    assert [c.status for c in closed] == ([] if OUTCOME_EFFECT[outcome] is None else [OUTCOME_EFFECT[outcome]])


def test_engine_refuses_an_outcome_outside_the_vocabulary() -> None:
    engine, _ = _host()
    engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
    engine.next_for(RepView(0, "sdr"), 0.0)
    with pytest.raises(EngineError, match="unknown outcome"):
        engine.attempt_ended(AttemptResult(1, 0, 0.0, 1.0, "answered"))


@pytest.mark.parametrize("outcome", vocab.CALL_OUTCOMES)
def test_outcome_rules_cover_exactly_the_rule_outcomes_on_both_sides(outcome: str) -> None:
    if outcome in vocab.RULE_OUTCOMES:
        schema.Cadence(outcomes={outcome: {"counts": False}})  # type: ignore[dict-item]
        CadenceRules(outcomes={outcome: OutcomeRules(counts=False)})
        return
    with pytest.raises(pydantic.ValidationError):
        schema.Cadence(outcomes={outcome: {"counts": False}})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        CadenceRules(outcomes={outcome: OutcomeRules(counts=False)})


def test_log_codes_follow_the_vocabulary() -> None:
    assert (*vocab.CALL_OUTCOMES, "") == results.OUTCOMES
    assert engine_types.CALL_OUTCOMES == vocab.CALL_OUTCOMES
    assert set(vocab.REACHED_OUTCOMES) == engine_types.REACHED
    reached = [results.OUTCOMES[code] for code in range(len(results.OUTCOMES)) if recorder._REACHED[code]]
    qualified = [results.OUTCOMES[code] for code in range(len(results.OUTCOMES)) if recorder._QUALIFIED[code]]
    assert tuple(reached) == vocab.REACHED_OUTCOMES and tuple(qualified) == vocab.QUALIFIED_OUTCOMES
    assert results.CHANNELS == vocab.CHANNELS and set(vocab.STEP_CHANNELS) < set(vocab.CHANNELS)


# ====================================================================== statuses


def _close_with(status: str) -> list[str]:
    """Drive a small engine so that one lead leaves the cadence with ``status``; return the statuses seen."""
    rep = RepView(0, "sdr")
    if status == "expired":
        engine, closed = _host(expiry_minutes={"web": 10.0})
        engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
        engine.advance(20.0)
    elif status == "nurture":
        engine, closed = _host(CadenceRules(window=FULL, nurture_minutes=10.0))
        engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
        engine.advance(20.0)
    elif status == "censored":
        engine, closed = _host()
        engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
        engine.close_all(5.0)
    elif status == "abandoned":
        engine, closed = _host()
        engine.lead_arrived(NewLead(1, "web", 0.0, CHI, live=True), 0.0)
        engine.caller_abandoned(1, 0.75, "lost")
    elif status == "dropped":
        human = RepView(0, "floor", human=True)
        engine, closed = _host(distribution=DistributionRules(mode="round_robin"))
        engine.add_rep(human)
        engine.lead_arrived(NewLead(1, "web", 0.0, CHI, give_up_after=1), 0.0)
        engine.next_for(human, 0.0)
        engine.attempt_ended(AttemptResult(1, 0, 0.0, 1.0, "no_answer"))
    else:
        outcome, cadence = {
            "converted": ("converted", None),
            "contacted": ("contact", None),
            "bad_number": ("bad_number", None),
            "exhausted": ("no_answer", CadenceRules(window=FULL, call_target=1)),
            "stopped": ("voicemail", CadenceRules(window=FULL, outcomes={"voicemail": OutcomeRules(stop=True)})),
        }[status]
        engine, closed = _host(cadence)
        engine.lead_arrived(NewLead(1, "web", 0.0, CHI), 0.0)
        engine.next_for(rep, 0.0)
        engine.attempt_ended(AttemptResult(1, 0, 0.0, 1.0, outcome))
    return [c.status for c in closed]


@pytest.mark.parametrize("status", vocab.CLOSE_STATUSES)
def test_engine_can_close_a_lead_with_every_status(status: str) -> None:
    assert _close_with(status) == [status]


def test_lead_status_codes_are_open_then_the_close_statuses() -> None:
    assert ("open", *vocab.CLOSE_STATUSES) == vocab.LEAD_STATUSES
    assert results.LEAD_STATUSES == vocab.LEAD_STATUSES
    assert engine_types.CLOSE_STATUSES == vocab.CLOSE_STATUSES
    assert set(recorder._STATUS) == set(vocab.LEAD_STATUSES)


# ====================================================================== stages, channels, times of day


def test_schema_stages_and_step_channels_are_the_vocabulary() -> None:
    for stage in vocab.STAGES:
        schema.Team(name="t", headcount=1, stages=[stage])  # type: ignore[list-item]
    with pytest.raises(pydantic.ValidationError):
        schema.Team(name="t", headcount=1, stages=["closing"])  # type: ignore[list-item]
    for channel in vocab.STEP_CHANNELS:
        schema.Step(after_attempt=1, channel=channel)
        CadenceRules(steps=((1, channel),))
    with pytest.raises(pydantic.ValidationError):
        schema.Step(after_attempt=1, channel="call")  # type: ignore[arg-type]


def test_hhmm_is_parsed_in_one_place() -> None:
    assert schema.parse_hhmm is vocab.parse_hhmm and schema.parse_interval is vocab.parse_interval
    assert [vocab.parse_hhmm(t) for t in ("00:00", "8:30", "08:30", "24:00")] == [0, 510, 510, 1440]
    assert vocab.parse_interval("12:00-12:45") == (720, 765)
    for bad in ("24:01", "12:60", "8", "8:5", "noon", "-1:00"):
        with pytest.raises(ValueError, match="time of day"):
            vocab.parse_hhmm(bad)
    for bad in ("12:00", "13:00-12:00", "12:00-12:00"):
        with pytest.raises(ValueError):
            vocab.parse_interval(bad)


# ====================================================================== no second spelling


def _string_constants(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize(
    ("what", "names", "allowed"),
    [
        ("distribution mode", set(vocab.DISTRIBUTION_MODES), {"vocabulary.py"}),
        ("priority rule", set(vocab.PRIORITY_RULE_NAMES), {"vocabulary.py", "engine/priority.py"}),
        ("pool prefix", {"rep:", "team:", "rep:{}", "team:{}"}, {"engine/distribution.py"}),
    ],
)
def test_names_are_spelt_out_in_one_place(what: str, names: set[str], allowed: set[str]) -> None:
    """A mode, a rule name or a pool-key prefix as a string literal lives only where it is defined."""
    stray = []
    for path in SOURCES:
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in allowed:
            continue
        stray += [f"{rel}:{line} {value!r}" for line, value in _string_constants(path) if value in names]
    assert not stray, f"{what} spelt out outside {sorted(allowed)}: {stray}"


def test_docs_say_where_to_add_a_rule_or_a_mode() -> None:
    text = (ROOT / "docs" / "engine.md").read_text(encoding="utf-8")
    for phrase in ("To add a priority rule", "To add a distribution mode", "leadsim/vocabulary.py"):
        assert phrase in text, f"docs/engine.md lacks {phrase!r}"
    policies = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    missing = [n for n in (*vocab.PRIORITY_RULE_NAMES, *vocab.DISTRIBUTION_MODES) if f"`{n}`" not in policies and f"### {n}" not in policies]
    assert not missing, f"docs/policies.md does not describe {missing}"


def test_the_counted_mask_is_written_once() -> None:
    """Leads created in the measured window are counted: one function says so (results.counted_leads)."""
    pattern = "created >= start"
    stray = [
        path.relative_to(PACKAGE).as_posix()
        for path in SOURCES
        if pattern in path.read_text(encoding="utf-8") and path.name != "results.py"
    ]
    assert not stray, f"counted-lead mask written again in {stray}"
