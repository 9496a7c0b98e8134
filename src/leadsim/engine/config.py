"""The engine's rules as one frozen value, built from a scenario's policy section."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadsim.scenarios.schema import CallingWindow, Scenario, parse_hhmm


@dataclass(frozen=True)
class CallRules:
    """When a lead may be called: its window and caps (the cadence's, or a region's override).

    Attributes:
        window: (open, close) minutes after local midnight.
        window_in_lead_time: read the window in the lead's zone (else the floor's).
        max_per_day: attempts per lead per local day, or None.
        max_per_24h: attempts per lead in any rolling 24 hours, or None.
    """

    window: tuple[float, float] = (480.0, 1200.0)
    window_in_lead_time: bool = True
    max_per_day: int | None = None
    max_per_24h: int | None = None

    @property
    def always(self) -> bool:
        """True if any time is a calling time (no window, no cap)."""
        return (
            self.window[0] <= 0.0
            and self.window[1] >= 1440.0
            and self.max_per_day is None
            and self.max_per_24h is None
        )


@dataclass(frozen=True)
class OutcomeRules:
    """What a non-contact outcome does: retry delay, whether it counts, whether it stops."""

    retry_minutes: float | None = None
    counts: bool = True
    stop: bool = False


@dataclass(frozen=True)
class CadenceRules:
    """How often, how far apart and when a lead is called.

    Attributes:
        call_target: counted attempts before an unreached lead is exhausted.
        spacing: minimum minutes before attempt k+1 (index k); the last value repeats.
            Index 0 counts from creation, later ones from the end of the previous attempt.
        spacing_in_calling_time: count spacing only inside the calling window.
        window, window_in_lead_time, max_per_day, max_per_24h: the default call rules.
        regions: per lead time zone, call rules that replace the defaults.
        outcomes: per non-contact outcome, its rules.
        steps: (after_attempt, channel) non-call steps.
        nurture_minutes: an open lead goes to nurture this long after creation, or None.
        callback_delay: minutes before a missed inbound call is due as a callback.
    """

    call_target: int = 6
    spacing: tuple[float, ...] = (0.0,)
    spacing_in_calling_time: bool = False
    window: tuple[float, float] = (480.0, 1200.0)
    window_in_lead_time: bool = True
    max_per_day: int | None = None
    max_per_24h: int | None = None
    regions: dict[str, CallRules] = field(default_factory=dict)
    outcomes: dict[str, OutcomeRules] = field(default_factory=dict)
    steps: tuple[tuple[int, str], ...] = ()
    nurture_minutes: float | None = None
    callback_delay: float = 0.0

    def spacing_before(self, attempt: int) -> float:
        """Minimum spacing before attempt number ``attempt`` (1-based)."""
        index = attempt - 1
        return self.spacing[index] if index < len(self.spacing) else self.spacing[-1]

    def call_rules(self) -> CallRules:
        """The default (non-regional) call rules."""
        return CallRules(self.window, self.window_in_lead_time, self.max_per_day, self.max_per_24h)


@dataclass(frozen=True)
class DistributionRules:
    """Who may call which lead.

    Attributes:
        mode: shared_pool | round_robin | owner_recycle | incoming_call_group.
        recycle_after_minutes: owner_recycle: minutes after creation at which a lead is recycled.
        recycle_after_attempts: owner_recycle: owner attempts after which it is recycled.
        group: incoming_call_group: the team that owns inbound leads first.
        group_minutes: how long the group owns them.
        handoff: the team that gets them afterwards (None: the shared pool).
        inbound_sources: sources whose leads are inbound.
        human_teams: teams whose reps behave as people do (own leads, FIFO, give up).
    """

    mode: str = "shared_pool"
    recycle_after_minutes: float | None = None
    recycle_after_attempts: int | None = None
    group: str | None = None
    group_minutes: float = 14 * 1440.0
    handoff: str | None = None
    inbound_sources: frozenset[str] = frozenset()
    human_teams: frozenset[str] = frozenset()

    @property
    def owned(self) -> bool:
        """True if leads are owned by individual reps."""
        return self.mode in ("round_robin", "owner_recycle")


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine needs to know about the rules.

    Attributes:
        priority: (name, parameters) of each priority rule, in order (see :mod:`leadsim.engine.priority`).
        new_leads_order: default order of the new_leads rule.
        cadence: the cadence rules.
        distribution: the distribution rules.
        expiry_minutes: per source, minutes after creation at which an open lead expires.
        sources: the known source names.
    """

    priority: tuple[tuple[str, dict], ...] = (("callbacks", {}), ("new_leads", {}), ("due_followups", {}))
    new_leads_order: str = "oldest_first"
    cadence: CadenceRules = field(default_factory=CadenceRules)
    distribution: DistributionRules = field(default_factory=DistributionRules)
    expiry_minutes: dict[str, float | None] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> "EngineConfig":
        """Build the engine's rules from a validated scenario."""
        cad = scenario.policy.cadence

        def window(w: CallingWindow) -> tuple[tuple[float, float], bool]:
            return (float(parse_hhmm(w.start)), float(parse_hhmm(w.end))), w.clock == "lead_local_time"

        default_window, in_lead_time = window(cad.calling_window)
        regions = {}
        for zone, region in cad.regions.items():
            r_window, r_lead = window(region.calling_window) if region.calling_window else (default_window, in_lead_time)
            regions[zone] = CallRules(
                r_window,
                r_lead,
                region.max_attempts_per_day if region.max_attempts_per_day is not None else cad.max_attempts_per_day,
                region.max_attempts_per_24h if region.max_attempts_per_24h is not None else cad.max_attempts_per_24h,
            )
        rules = CadenceRules(
            call_target=cad.call_target,
            spacing=tuple(float(s) for s in cad.spacing_minutes) or (0.0,),
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
        dist = scenario.policy.distribution
        distribution = DistributionRules(
            mode=dist.mode,
            recycle_after_minutes=None if dist.recycle_after_days is None else dist.recycle_after_days * 1440.0,
            recycle_after_attempts=dist.recycle_after_attempts,
            group=dist.group,
            group_minutes=dist.group_days * 1440.0,
            handoff=dist.handoff,
            inbound_sources=frozenset(s.name for s in scenario.sources if scenario.is_inbound(s)),
            human_teams=frozenset(t.name for t in scenario.teams if t.behaviour != "engine"),
        )
        return cls(
            priority=tuple((name, dict(params)) for name, params in scenario.policy.rule_specs()),
            new_leads_order=scenario.policy.new_leads_order,
            cadence=rules,
            distribution=distribution,
            expiry_minutes={
                s.name: None if s.expiry_hours is None else s.expiry_hours * 60.0
                for s in scenario.sources
            },
            sources=tuple(s.name for s in scenario.sources),
        )
