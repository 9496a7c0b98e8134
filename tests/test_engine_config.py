"""EngineConfig and its parts are checked when they are built.

Every invalid value raises at construction (ValueError for a wrong value,
TypeError for a wrong type) with a message naming the field, the rule and the
value received, instead of silently changing what the engine does (a
``mode="round-robin"`` typo used to keep every lead in the shared pool; a
misspelt outcome key was ignored). Valid configurations, including the adapter's
output for every bundled scenario, still build.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from leadsim.engine import (
    CadenceRules,
    CallRules,
    DistributionRules,
    Engine,
    EngineConfig,
    FloorCalendar,
    OutcomeRules,
)
from leadsim.scenarios.errors import ScenarioError
from leadsim.scenarios.loader import bundled_scenarios, load_scenario
from leadsim.simulator.engine_config import engine_config
from leadsim.vocabulary import DISTRIBUTION_MODES, RULE_OUTCOMES, STEP_CHANNELS

LIBRARY = Path(__file__).resolve().parents[1] / "src" / "leadsim" / "scenarios" / "library"
MODES = str(list(DISTRIBUTION_MODES))

# (build, error type, fragments the message must contain: field, rule, value)
CASES: list[tuple[str, Callable[[], object], type[Exception], tuple[str, ...]]] = [
    # ---- CallRules
    ("window reversed", lambda: CallRules(window=(600.0, 500.0)), ValueError,
     ("CallRules.window", "0 <= open < close <= 1440", "(600.0, 500.0)")),
    ("window past midnight", lambda: CallRules(window=(0.0, 2000.0)), ValueError, ("CallRules.window", "(0.0, 2000.0)")),
    ("window one value", lambda: CallRules(window=(0.0,)), TypeError, ("CallRules.window", "(0.0,)")),  # type: ignore[arg-type]
    ("window as text", lambda: CallRules(window=("08:00", "20:00")), TypeError,  # type: ignore[arg-type]
     ("CallRules.window", "('08:00', '20:00')")),
    ("window_in_lead_time text", lambda: CallRules(window_in_lead_time="yes"), TypeError,  # type: ignore[arg-type]
     ("CallRules.window_in_lead_time", "True or False", "'yes'")),
    ("max_per_day zero", lambda: CallRules(max_per_day=0), ValueError, ("CallRules.max_per_day", "an int >= 1 or None", "0")),
    ("max_per_day float", lambda: CallRules(max_per_day=1.5), TypeError, ("CallRules.max_per_day", "1.5")),  # type: ignore[arg-type]
    ("max_per_day bool", lambda: CallRules(max_per_day=True), TypeError, ("CallRules.max_per_day", "True")),
    ("max_per_24h negative", lambda: CallRules(max_per_24h=-1), ValueError, ("CallRules.max_per_24h", "-1")),
    # ---- OutcomeRules
    ("retry negative", lambda: OutcomeRules(retry_minutes=-5.0), ValueError,
     ("OutcomeRules.retry_minutes", "a finite number >= 0 or None", "-5.0")),
    ("retry infinite", lambda: OutcomeRules(retry_minutes=math.inf), ValueError, ("OutcomeRules.retry_minutes", "inf")),
    ("retry text", lambda: OutcomeRules(retry_minutes="15"), TypeError, ("OutcomeRules.retry_minutes", "'15'")),  # type: ignore[arg-type]
    ("counts int", lambda: OutcomeRules(counts=1), TypeError, ("OutcomeRules.counts", "True or False", "1")),  # type: ignore[arg-type]
    ("stop None", lambda: OutcomeRules(stop=None), TypeError, ("OutcomeRules.stop", "None")),  # type: ignore[arg-type]
    # ---- CadenceRules
    ("call_target zero", lambda: CadenceRules(call_target=0), ValueError, ("CadenceRules.call_target", "an int >= 1", "0")),
    ("call_target float", lambda: CadenceRules(call_target=2.0), TypeError, ("CadenceRules.call_target", "2.0")),  # type: ignore[arg-type]
    ("call_target bool", lambda: CadenceRules(call_target=True), TypeError, ("CadenceRules.call_target", "True")),
    ("spacing empty", lambda: CadenceRules(spacing=()), TypeError, ("CadenceRules.spacing", "non-empty", "()")),
    ("spacing negative", lambda: CadenceRules(spacing=(0.0, -10.0)), ValueError, ("CadenceRules.spacing[1]", ">= 0", "-10.0")),
    ("spacing nan", lambda: CadenceRules(spacing=(0.0, math.nan)), ValueError, ("CadenceRules.spacing[1]", "nan")),
    ("spacing text", lambda: CadenceRules(spacing=("10",)), TypeError, ("CadenceRules.spacing[0]", "'10'")),  # type: ignore[arg-type]
    ("spacing_in_calling_time text", lambda: CadenceRules(spacing_in_calling_time="no"), TypeError,  # type: ignore[arg-type]
     ("CadenceRules.spacing_in_calling_time", "'no'")),
    ("cadence window reversed", lambda: CadenceRules(window=(1300.0, 100.0)), ValueError,
     ("CadenceRules.window", "(1300.0, 100.0)")),
    ("cadence max_per_day zero", lambda: CadenceRules(max_per_day=0), ValueError, ("CadenceRules.max_per_day", "0")),
    ("region not CallRules", lambda: CadenceRules(regions={"America/New_York": {"max_per_day": 1}}), TypeError,  # type: ignore[dict-item]
     ("CadenceRules.regions['America/New_York']", "CallRules", "{'max_per_day': 1}")),
    ("outcome misspelt", lambda: CadenceRules(outcomes={"voicemial": OutcomeRules()}), ValueError,
     ("CadenceRules.outcomes key", str(list(RULE_OUTCOMES)), "'voicemial'")),
    ("outcome that ends the cadence", lambda: CadenceRules(outcomes={"contact": OutcomeRules(counts=False)}), ValueError,
     ("CadenceRules.outcomes key", "'contact'")),
    ("outcome rule a dict", lambda: CadenceRules(outcomes={"busy": {"retry_minutes": 5}}), TypeError,  # type: ignore[dict-item]
     ("CadenceRules.outcomes['busy']", "OutcomeRules", "{'retry_minutes': 5}")),
    ("step channel", lambda: CadenceRules(steps=((1, "fax"),)), ValueError,
     ("CadenceRules.steps channel", str(list(STEP_CHANNELS)), "'fax'")),
    ("step after negative", lambda: CadenceRules(steps=((-1, "email"),)), ValueError,
     ("CadenceRules.steps after_attempt", "an int >= 0", "-1")),
    ("step not a pair", lambda: CadenceRules(steps=(1, "email")), TypeError, ("CadenceRules.steps", "pairs", "1")),  # type: ignore[arg-type]
    ("nurture zero", lambda: CadenceRules(nurture_minutes=0.0), ValueError,
     ("CadenceRules.nurture_minutes", "> 0", "0.0")),
    ("callback delay negative", lambda: CadenceRules(callback_delay=-1.0), ValueError,
     ("CadenceRules.callback_delay", ">= 0", "-1.0")),
    # ---- DistributionRules
    ("mode typo", lambda: DistributionRules(mode="round-robin"), ValueError,  # type: ignore[arg-type]
     ("DistributionRules.mode", MODES, "'round-robin'")),
    ("mode wrong case", lambda: DistributionRules(mode="Shared_Pool"), ValueError,  # type: ignore[arg-type]
     ("DistributionRules.mode", MODES, "'Shared_Pool'")),
    ("owner_recycle without a limit", lambda: DistributionRules(mode="owner_recycle"), ValueError,
     ("DistributionRules.recycle_after_minutes", "recycle_after_attempts", "owner_recycle", "None")),
    ("incoming_call_group without group", lambda: DistributionRules(mode="incoming_call_group"), ValueError,
     ("DistributionRules.group", "incoming_call_group", "None")),
    ("recycle minutes zero", lambda: DistributionRules(mode="owner_recycle", recycle_after_minutes=0.0), ValueError,
     ("DistributionRules.recycle_after_minutes", "> 0", "0.0")),
    ("recycle attempts zero", lambda: DistributionRules(mode="owner_recycle", recycle_after_attempts=0), ValueError,
     ("DistributionRules.recycle_after_attempts", "an int >= 1", "0")),
    ("recycle attempts float", lambda: DistributionRules(recycle_after_attempts=1.5), TypeError,  # type: ignore[arg-type]
     ("DistributionRules.recycle_after_attempts", "1.5")),
    ("group empty", lambda: DistributionRules(mode="incoming_call_group", group=""), TypeError,
     ("DistributionRules.group", "a team name", "''")),
    ("handoff a number", lambda: DistributionRules(handoff=3), TypeError, ("DistributionRules.handoff", "3")),  # type: ignore[arg-type]
    ("group minutes zero", lambda: DistributionRules(group_minutes=0.0), ValueError,
     ("DistributionRules.group_minutes", "> 0", "0.0")),
    ("inbound sources a string", lambda: DistributionRules(inbound_sources="phone"), TypeError,  # type: ignore[arg-type]
     ("DistributionRules.inbound_sources", "frozenset of names", "'phone'")),
    # ---- EngineConfig
    ("unknown rule", lambda: EngineConfig(priority=(("telepathy", {}),)), ValueError,
     ("EngineConfig.priority", "unknown priority rule", "'telepathy'", "callbacks")),
    ("rule choice", lambda: EngineConfig(priority=(("new_leads", {"order": "sideways"}),)), ValueError,
     ("EngineConfig.priority", "order must be one of", "oldest_first", "'sideways'")),
    ("rule unknown parameter", lambda: EngineConfig(priority=(("lead_score", {"colour": 1}),)), ValueError,
     ("EngineConfig.priority", "'lead_score'", "['colour']", "aging_per_hour")),
    ("rule negative aging", lambda: EngineConfig(priority=(("lead_score", {"aging_per_hour": -1.0}),)), ValueError,
     ("EngineConfig.priority", "aging_per_hour", ">= 0", "-1.0")),
    ("rule weights not numbers", lambda: EngineConfig(priority=(("source_weights", {"weights": {"web": "high"}}),)),
     ValueError, ("EngineConfig.priority", "weights", "finite numbers", "'high'")),
    ("rule default text", lambda: EngineConfig(priority=(("source_weights", {"default": "x"}),)), ValueError,
     ("EngineConfig.priority", "default", "finite number", "'x'")),
    ("rule repeated", lambda: EngineConfig(priority=(("fifo", {}), ("fifo", {}))), ValueError,
     ("EngineConfig.priority", "do not repeat", "['fifo', 'fifo']")),
    ("rule a bare name", lambda: EngineConfig(priority=("callbacks",)), TypeError,  # type: ignore[arg-type]
     ("EngineConfig.priority", "(rule name, parameters)", "'callbacks'")),
    ("new_leads_order", lambda: EngineConfig(new_leads_order="newest"), ValueError,  # type: ignore[arg-type]
     ("EngineConfig.new_leads_order", "newest_first", "'newest'")),
    ("cadence None", lambda: EngineConfig(cadence=None), TypeError, ("EngineConfig.cadence", "CadenceRules", "None")),  # type: ignore[arg-type]
    ("distribution a mode name", lambda: EngineConfig(distribution="shared_pool"), TypeError,  # type: ignore[arg-type]
     ("EngineConfig.distribution", "DistributionRules", "'shared_pool'")),
    ("expiry zero", lambda: EngineConfig(expiry_minutes={"web": 0.0}), ValueError,
     ("EngineConfig.expiry_minutes['web']", "> 0", "0.0")),
    ("expiry text", lambda: EngineConfig(expiry_minutes={"web": "48h"}), TypeError,  # type: ignore[dict-item]
     ("EngineConfig.expiry_minutes['web']", "'48h'")),
    ("expiry for a misspelt source", lambda: EngineConfig(expiry_minutes={"wbe": 60.0}, sources=("web",)), ValueError,
     ("EngineConfig.expiry_minutes", "a source in sources ['web']", "'wbe'")),
    ("inbound misspelt source",
     lambda: EngineConfig(distribution=DistributionRules(inbound_sources=frozenset({"phnoe"})), sources=("web", "phone")),
     ValueError, ("EngineConfig.distribution.inbound_sources", "['web', 'phone']", "'phnoe'")),
    ("weights misspelt source",
     lambda: EngineConfig(priority=(("source_weights", {"weights": {"wbe": 2.0}}),), sources=("web",)),
     ValueError, ("EngineConfig.priority 'source_weights' weights", "['web']", "'wbe'")),
    ("empty source name", lambda: EngineConfig(sources=("web", "")), TypeError, ("EngineConfig.sources", "('web', '')")),
]


@pytest.mark.parametrize(("build", "error", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_value_is_refused_with_field_rule_and_value(
    build: Callable[[], object], error: type[Exception], fragments: tuple[str, ...]
) -> None:
    with pytest.raises(error) as caught:
        build()
    message = str(caught.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"message {message!r} lacks {missing}"


def test_defaults_and_every_valid_mode_build() -> None:
    EngineConfig()
    extras = {"owner_recycle": {"recycle_after_attempts": 2}, "incoming_call_group": {"group": "closers"}}
    for mode in DISTRIBUTION_MODES:
        config = EngineConfig(distribution=DistributionRules(mode=mode, **extras.get(mode, {})))  # type: ignore[arg-type]
        Engine(config, FloorCalendar(dt.date(2026, 1, 5), "America/Chicago"))


def test_lists_are_frozen_into_tuples() -> None:
    cadence = CadenceRules(spacing=[0.0, 10.0], window=[480.0, 1200.0], steps=[[1, "email"]])  # type: ignore[arg-type]
    assert cadence.spacing == (0.0, 10.0) and cadence.window == (480.0, 1200.0) and cadence.steps == ((1, "email"),)
    config = EngineConfig(priority=[["callbacks", {}]], sources=["web"])  # type: ignore[arg-type]
    assert config.priority == (("callbacks", {}),) and config.sources == ("web",)
    dist = DistributionRules(inbound_sources={"phone"})  # type: ignore[arg-type]
    assert dist.inbound_sources == frozenset({"phone"})


def test_configs_are_frozen() -> None:
    config = EngineConfig()
    with pytest.raises(AttributeError):
        config.sources = ("x",)  # type: ignore[misc]


@pytest.mark.parametrize("path", [LIBRARY / f"{name}.yaml" for name in bundled_scenarios()], ids=lambda p: p.stem)
def test_every_bundled_scenario_gives_a_valid_config(path: Path) -> None:
    scenario = load_scenario(path)
    config = engine_config(scenario)
    assert config.sources == tuple(s.name for s in scenario.sources)
    assert config.distribution.mode == scenario.policy.distribution.mode
    assert config.cadence.call_target == scenario.policy.cadence.call_target
    assert [name for name, _ in config.priority] == [name for name, _ in scenario.policy.rule_specs()]


def test_a_value_the_engine_refuses_is_bad_input_not_a_crash() -> None:
    """Should a value pass the schema but not the engine, the adapter reports it as a scenario error."""
    scenario = load_scenario(LIBRARY / "baseline.yaml")
    cadence = scenario.policy.cadence.model_copy(update={"nurture_after_days": math.inf})
    policy = scenario.policy.model_copy(update={"cadence": cadence})
    with pytest.raises(ScenarioError) as caught:
        engine_config(scenario.model_copy(update={"policy": policy}))
    message = str(caught.value)
    assert "CadenceRules.nurture_minutes" in message and "got inf" in message and "'baseline'" in message


def test_an_infinite_duration_exits_2_with_one_message(tmp_path: Path) -> None:
    """Refused by the schema's bounds or, failing that, by the engine: bad input either way."""
    from click.testing import CliRunner

    from leadsim.cli import main

    args = ["run", "baseline", "--days", "1", "--set", "run.warmup_days=0", "--set", "run.drain_days=0",
            "--set", "policy.cadence.nurture_after_days=.inf", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert "nurture" in result.output and "Traceback" not in result.output

