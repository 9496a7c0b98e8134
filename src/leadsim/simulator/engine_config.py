"""The adapter from the scenario language to the engine: a validated Scenario -> EngineConfig.

It lives on the simulator's side so that the engine stands alone: importing
:mod:`leadsim.engine` loads neither pydantic nor the scenario schema. A live
floor builds its :class:`EngineConfig` by hand or with an adapter of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadsim.engine.config import (
    CadenceRules,
    CallRules,
    DistributionRules,
    EngineConfig,
    OutcomeRules,
)
from leadsim.scenarios.errors import ScenarioError
from leadsim.scenarios.schema import CallingWindow, Scenario, SpacingDist, SpacingFixed
from leadsim.vocabulary import parse_hhmm


def _window(window: CallingWindow) -> tuple[tuple[float, float], bool]:
    """((open, close) minutes after local midnight, read in the lead's time?) of a calling window."""
    return (float(parse_hhmm(window.start)), float(parse_hhmm(window.end))), window.clock == "lead_local_time"


def fixed_spacing(entries: Sequence[float | SpacingDist]) -> tuple[float | None, ...]:
    """The engine's spacing schedule: numbers (and ``{fixed: x}``) as minutes, random entries as None.

    A None entry is drawn by the simulator's gap provider (:mod:`leadsim.simulator.spacing`).
    """
    out: list[float | None] = []
    for entry in entries:
        if isinstance(entry, (int, float)):
            out.append(float(entry))
        elif isinstance(entry, SpacingFixed):
            out.append(float(entry.fixed))
        else:
            out.append(None)
    return tuple(out)


def cadence_rules(scenario: Scenario) -> CadenceRules:
    """The engine's cadence rules from ``policy.cadence`` (regional overrides filled in)."""
    cad = scenario.policy.cadence
    default_window, in_lead_time = _window(cad.calling_window)
    regions = {}
    for zone, region in cad.regions.items():
        r_window, r_lead = _window(region.calling_window) if region.calling_window else (default_window, in_lead_time)
        regions[zone] = CallRules(
            r_window,
            r_lead,
            region.max_attempts_per_day if region.max_attempts_per_day is not None else cad.max_attempts_per_day,
            region.max_attempts_per_24h if region.max_attempts_per_24h is not None else cad.max_attempts_per_24h,
        )
    return CadenceRules(
        call_target=cad.call_target,
        spacing=fixed_spacing(cad.spacing_minutes) or (0.0,),
        spacing_in_calling_time=cad.spacing_in == "calling_time",
        window=default_window,
        window_in_lead_time=in_lead_time,
        max_per_day=cad.max_attempts_per_day,
        max_per_24h=cad.max_attempts_per_24h,
        regions=regions,
        outcomes={k: OutcomeRules(v.retry_minutes, v.counts, v.stop) for k, v in cad.outcomes.items()},
        steps=tuple((s.after_attempt, s.channel) for s in cad.steps),
        nurture_minutes=None if cad.nurture_after_days is None else cad.nurture_after_days * 1440.0,
        callback_delay=float(cad.callback_delay_minutes),
    )


def distribution_rules(scenario: Scenario) -> DistributionRules:
    """The engine's distribution rules from ``policy.distribution`` and the inbound sources."""
    dist = scenario.policy.distribution
    return DistributionRules(
        mode=dist.mode,
        recycle_after_minutes=None if dist.recycle_after_days is None else dist.recycle_after_days * 1440.0,
        recycle_after_attempts=dist.recycle_after_attempts,
        group=dist.group,
        group_minutes=dist.group_days * 1440.0,
        handoff=dist.handoff,
        inbound_sources=frozenset(s.name for s in scenario.sources if scenario.is_inbound(s)),
    )


def engine_config(scenario: Scenario) -> EngineConfig:
    """Build the engine's rules from a validated scenario.

    Args:
        scenario: a scenario validated by the schema.

    Returns:
        The engine configuration, checked again on construction.

    Raises:
        ScenarioError: if the engine refuses a value the schema let through (say a
            duration that is infinite in minutes); the command line reports it as
            bad input (exit status 2) rather than as a crash.
    """
    try:
        return EngineConfig(
            priority=tuple((name, dict(params)) for name, params in scenario.policy.rule_specs()),
            new_leads_order=scenario.policy.new_leads_order,
            cadence=cadence_rules(scenario),
            distribution=distribution_rules(scenario),
            expiry_minutes={
                s.name: None if s.expiry_hours is None else s.expiry_hours * 60.0 for s in scenario.sources
            },
            sources=tuple(s.name for s in scenario.sources),
            inbound_order=scenario.policy.inbound_order,
        )
    except (ValueError, TypeError) as exc:
        raise ScenarioError(
            None, None, f"scenario {scenario.name!r} gives the engine a rule it cannot use: {exc}"
        ) from None
