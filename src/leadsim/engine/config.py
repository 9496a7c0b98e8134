"""The engine's rules as one frozen value, built from a scenario's policy section."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadsim.scenarios.schema import Scenario, parse_hhmm


@dataclass(frozen=True)
class CadenceRules:
    """How often, how far apart and when a lead is called.

    Attributes:
        call_target: attempts before an unreached lead is exhausted.
        spacing: minimum minutes before attempt k+1 (index k); the last value repeats.
            Index 0 counts from creation, later ones from the end of the previous attempt.
        window: (open, close) minutes after local midnight.
        window_in_lead_time: read the window in the lead's zone (else the floor's).
        max_per_day: attempts per lead per local day, or None.
        steps: (after_attempt, channel) non-call steps.
        nurture_minutes: an open lead goes to nurture this long after creation, or None.
        callback_delay: minutes before a missed inbound call is due as a callback.
    """

    call_target: int = 6
    spacing: tuple[float, ...] = (0.0,)
    window: tuple[float, float] = (480.0, 1200.0)
    window_in_lead_time: bool = True
    max_per_day: int | None = None
    steps: tuple[tuple[int, str], ...] = ()
    nurture_minutes: float | None = None
    callback_delay: float = 0.0

    def spacing_before(self, attempt: int) -> float:
        """Minimum spacing before attempt number ``attempt`` (1-based)."""
        index = attempt - 1
        return self.spacing[index] if index < len(self.spacing) else self.spacing[-1]


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine needs to know about the rules.

    Attributes:
        priority: names of the priority tiers, in order (see :mod:`leadsim.engine.priority`).
        new_leads_order: "oldest_first" or "newest_first".
        cadence: the cadence rules.
        expiry_minutes: per source, minutes after creation at which an open lead expires.
        sources: the known source names.
    """

    priority: tuple[str, ...] = ("callbacks", "new_leads", "due_followups")
    new_leads_order: str = "oldest_first"
    cadence: CadenceRules = field(default_factory=CadenceRules)
    expiry_minutes: dict[str, float | None] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> "EngineConfig":
        """Build the engine's rules from a validated scenario."""
        cad = scenario.policy.cadence
        window = cad.calling_window
        rules = CadenceRules(
            call_target=cad.call_target,
            spacing=tuple(float(s) for s in cad.spacing_minutes) or (0.0,),
            window=(float(parse_hhmm(window.start)), float(parse_hhmm(window.end))),
            window_in_lead_time=window.clock == "lead_local_time",
            max_per_day=cad.max_attempts_per_day,
            steps=tuple((s.after_attempt, s.channel) for s in cad.steps),
            nurture_minutes=None if cad.nurture_after_days is None else cad.nurture_after_days * 1440.0,
            callback_delay=float(cad.callback_delay_minutes),
        )
        return cls(
            priority=tuple(scenario.policy.priority),
            new_leads_order=scenario.policy.new_leads_order,
            cadence=rules,
            expiry_minutes={
                s.name: None if s.expiry_hours is None else s.expiry_hours * 60.0
                for s in scenario.sources
            },
            sources=tuple(s.name for s in scenario.sources),
        )
