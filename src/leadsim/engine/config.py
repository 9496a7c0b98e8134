"""The engine's rules as frozen values, checked when they are built.

A host builds an :class:`EngineConfig` by hand (a live floor) or from a scenario
(the simulator's adapter, :func:`leadsim.simulator.engine_config.engine_config`).
Every value is checked in ``__post_init__``, once: a typo such as
``mode="round-robin"`` or an outcome rule for ``"voicemial"`` raises at once,
naming the field, the rule and the value, instead of silently changing what the
engine does. Nothing is checked again on the hot path.

Wrong types raise ``TypeError``, wrong values ``ValueError``. Lists given for
tuple fields (and sets for frozenset fields) are accepted and frozen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from leadsim.vocabulary import (
    DEFAULT_PRIORITY,
    DISTRIBUTION_MODES,
    FIFO_ORDER,
    INBOUND_ORDERS,
    INCOMING_CALL_GROUP,
    NEW_LEADS_ORDERS,
    OWNED_MODES,
    OWNER_RECYCLE,
    RULE_OUTCOMES,
    SHARED_POOL,
    STEP_CHANNELS,
    DistributionMode,
    InboundOrder,
    NewLeadsOrder,
    priority_rule_problem,
)

# ---------------------------------------------------------------- checks (construction only)


def _fail(owner: str, name: str, rule: str, value: object, error: type[Exception] = ValueError) -> NoReturn:
    raise error(f"{owner}.{name} must be {rule}, got {value!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_number(owner: str, name: str, value: object, *, low: float = 0.0, strict: bool = False,
                  optional: bool = False) -> None:
    """A finite number >= low (> low if strict); None allowed if optional."""
    if value is None and optional:
        return
    rule = f"a finite number {'>' if strict else '>='} {low:g}" + (" or None" if optional else "")
    if not _is_number(value):
        _fail(owner, name, rule, value, TypeError)
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number) or number < low or (strict and number == low):
        _fail(owner, name, rule, value)


def _check_count(owner: str, name: str, value: object, *, optional: bool = False, low: int = 1) -> None:
    """An int >= low (not a bool); None allowed if optional."""
    if value is None and optional:
        return
    rule = f"an int >= {low}" + (" or None" if optional else "")
    if not isinstance(value, int) or isinstance(value, bool):
        _fail(owner, name, rule, value, TypeError)
    if value < low:
        _fail(owner, name, rule, value)


def _check_bool(owner: str, name: str, value: object) -> None:
    if not isinstance(value, bool):
        _fail(owner, name, "True or False", value, TypeError)


def _check_window(owner: str, value: object) -> None:
    rule = "(open, close) minutes after local midnight with 0 <= open < close <= 1440"
    if not isinstance(value, tuple) or len(value) != 2 or not all(_is_number(v) for v in value):
        _fail(owner, "window", rule, value, TypeError)
    open_, close = value
    if not (0.0 <= open_ < close <= 1440.0):
        _fail(owner, "window", rule, value)


def _check_names(owner: str, name: str, value: object, kind: type = frozenset) -> None:
    """A frozenset (or tuple) of non-empty strings."""
    names = value if isinstance(value, (frozenset, tuple)) else ()
    if not isinstance(value, kind) or not all(isinstance(v, str) and v for v in names):
        _fail(owner, name, f"a {kind.__name__} of names", value, TypeError)


def _check_choice(owner: str, name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        _fail(owner, name, f"one of {list(choices)}", value)


def _freeze(obj: object, name: str, kind: type = tuple) -> None:
    """Turn a list (or set, for a frozenset field) given for a field into the field's immutable kind."""
    value = getattr(obj, name)
    if isinstance(value, (list, set, frozenset)) and not isinstance(value, kind):
        object.__setattr__(obj, name, kind(value))


# ---------------------------------------------------------------- the rules


@dataclass(frozen=True)
class CallRules:
    """When a lead may be called: its window and caps (the cadence's, or a region's override).

    Attributes:
        window: (open, close) minutes after local midnight, 0 <= open < close <= 1440.
        window_in_lead_time: read the window in the lead's zone (else the floor's).
        max_per_day: attempts per lead per local day (an int >= 1), or None.
        max_per_24h: attempts per lead in any rolling 24 hours (an int >= 1), or None.
    """

    window: tuple[float, float] = (480.0, 1200.0)
    window_in_lead_time: bool = True
    max_per_day: int | None = None
    max_per_24h: int | None = None

    def __post_init__(self) -> None:
        _freeze(self, "window")
        _check_window("CallRules", self.window)
        _check_bool("CallRules", "window_in_lead_time", self.window_in_lead_time)
        _check_count("CallRules", "max_per_day", self.max_per_day, optional=True)
        _check_count("CallRules", "max_per_24h", self.max_per_24h, optional=True)

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
    """What a non-contact outcome does: retry delay, whether it counts, whether it stops.

    Attributes:
        retry_minutes: retry after this many minutes (>= 0) instead of the spacing, or None.
        counts: whether the attempt counts toward the call target.
        stop: end the lead's cadence (status ``stopped``).
    """

    retry_minutes: float | None = None
    counts: bool = True
    stop: bool = False

    def __post_init__(self) -> None:
        _check_number("OutcomeRules", "retry_minutes", self.retry_minutes, optional=True)
        _check_bool("OutcomeRules", "counts", self.counts)
        _check_bool("OutcomeRules", "stop", self.stop)


@dataclass(frozen=True)
class CadenceRules:
    """How often, how far apart and when a lead is called.

    Attributes:
        call_target: counted attempts before an unreached lead is exhausted (an int >= 1).
        spacing: minimum minutes (>= 0) before attempt k+1 (index k); the last value repeats.
            Index 0 counts from creation, later ones from the end of the previous attempt.
            An entry may be None: that gap is random, and the engine asks its host's gap
            provider for it (see :class:`leadsim.engine.core.Engine`; the engine itself
            draws nothing).
        spacing_in_calling_time: count spacing only inside the calling window.
        window, window_in_lead_time, max_per_day, max_per_24h: the default call rules
            (as in :class:`CallRules`).
        regions: per lead time zone, call rules that replace the defaults.
        outcomes: per non-contact outcome (``no_answer``, ``voicemail``, ``busy``), its rules.
        steps: (after_attempt, channel) non-call steps; channel ``email`` or ``sms``.
        nurture_minutes: an open lead goes to nurture this long after creation, or None.
        callback_delay: minutes before a missed inbound call is due as a callback.
    """

    call_target: int = 6
    spacing: tuple[float | None, ...] = (0.0,)
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

    def __post_init__(self) -> None:
        owner = "CadenceRules"
        for name in ("spacing", "window", "steps"):
            _freeze(self, name)
        if any(isinstance(step, list) for step in self.steps):
            object.__setattr__(self, "steps", tuple(tuple(s) if isinstance(s, list) else s for s in self.steps))
        _check_count(owner, "call_target", self.call_target)
        if not isinstance(self.spacing, tuple) or not self.spacing:
            _fail(owner, "spacing", "a non-empty tuple of minutes", self.spacing, TypeError)
        for index, minutes in enumerate(self.spacing):
            _check_number(owner, f"spacing[{index}]", minutes, optional=True)
        _check_bool(owner, "spacing_in_calling_time", self.spacing_in_calling_time)
        # The default call rules follow CallRules' checks (named as this class's fields).
        _check_window(owner, self.window)
        _check_bool(owner, "window_in_lead_time", self.window_in_lead_time)
        _check_count(owner, "max_per_day", self.max_per_day, optional=True)
        _check_count(owner, "max_per_24h", self.max_per_24h, optional=True)
        if not isinstance(self.regions, Mapping):
            _fail(owner, "regions", "a mapping of time zone -> CallRules", self.regions, TypeError)
        for zone, rules in self.regions.items():
            if not isinstance(zone, str) or not isinstance(rules, CallRules):
                _fail(owner, f"regions[{zone!r}]", "a CallRules keyed by a time-zone name", rules, TypeError)
        if not isinstance(self.outcomes, Mapping):
            _fail(owner, "outcomes", "a mapping of outcome -> OutcomeRules", self.outcomes, TypeError)
        for outcome, rule in self.outcomes.items():
            _check_choice(owner, "outcomes key", outcome, RULE_OUTCOMES)
            if not isinstance(rule, OutcomeRules):
                _fail(owner, f"outcomes[{outcome!r}]", "an OutcomeRules", rule, TypeError)
        if not isinstance(self.steps, tuple):
            _fail(owner, "steps", "a tuple of (after_attempt, channel) pairs", self.steps, TypeError)
        for step in self.steps:
            if not isinstance(step, tuple) or len(step) != 2:
                _fail(owner, "steps", "a tuple of (after_attempt, channel) pairs", step, TypeError)
            _check_count(owner, "steps after_attempt", step[0], low=0)
            _check_choice(owner, "steps channel", step[1], STEP_CHANNELS)
        _check_number(owner, "nurture_minutes", self.nurture_minutes, strict=True, optional=True)
        _check_number(owner, "callback_delay", self.callback_delay)

    @property
    def random_spacing(self) -> bool:
        """True if some gap of the schedule is drawn by the host (a None entry)."""
        return any(s is None for s in self.spacing)

    def spacing_before(self, attempt: int) -> float | None:
        """Minimum spacing before attempt number ``attempt`` (1-based); None: drawn by the host."""
        index = attempt - 1
        return self.spacing[index] if index < len(self.spacing) else self.spacing[-1]

    def call_rules(self) -> CallRules:
        """The default (non-regional) call rules."""
        return CallRules(self.window, self.window_in_lead_time, self.max_per_day, self.max_per_24h)


@dataclass(frozen=True)
class DistributionRules:
    """Who may call which lead.

    Attributes:
        mode: one of :data:`leadsim.vocabulary.DISTRIBUTION_MODES` (shared_pool,
            round_robin, owner_recycle, incoming_call_group).
        recycle_after_minutes: owner_recycle: minutes after creation at which a lead is recycled.
        recycle_after_attempts: owner_recycle: owner attempts after which it is recycled.
            owner_recycle needs at least one of the two.
        group: incoming_call_group (required there): the team that owns inbound leads first.
        group_minutes: how long the group owns them.
        handoff: the team that gets them afterwards (None: the shared pool).
        inbound_sources: sources whose leads are inbound.
    """

    mode: DistributionMode = SHARED_POOL
    recycle_after_minutes: float | None = None
    recycle_after_attempts: int | None = None
    group: str | None = None
    group_minutes: float = 14 * 1440.0
    handoff: str | None = None
    inbound_sources: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        owner = "DistributionRules"
        _freeze(self, "inbound_sources", frozenset)
        _check_choice(owner, "mode", self.mode, DISTRIBUTION_MODES)
        _check_number(owner, "recycle_after_minutes", self.recycle_after_minutes, strict=True, optional=True)
        _check_count(owner, "recycle_after_attempts", self.recycle_after_attempts, optional=True)
        for name in ("group", "handoff"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, str) and value):
                _fail(owner, name, "a team name or None", value, TypeError)
        _check_number(owner, "group_minutes", self.group_minutes, strict=True)
        _check_names(owner, "inbound_sources", self.inbound_sources)
        if self.mode == OWNER_RECYCLE and self.recycle_after_minutes is None and self.recycle_after_attempts is None:
            _fail(owner, "recycle_after_minutes", "set (or recycle_after_attempts) when mode is owner_recycle", None)
        if self.mode == INCOMING_CALL_GROUP and self.group is None:
            _fail(owner, "group", "the group team's name when mode is incoming_call_group", None)

    @property
    def owned(self) -> bool:
        """True if leads are owned by individual reps."""
        return self.mode in OWNED_MODES


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine needs to know about the rules.

    Attributes:
        priority: (name, parameters) of each priority rule, in order (see
            :mod:`leadsim.engine.priority`; names and parameters in :data:`leadsim.vocabulary.RULE_PARAMS`).
        new_leads_order: default order of the new_leads rule (oldest_first or newest_first).
        cadence: the cadence rules.
        distribution: the distribution rules.
        expiry_minutes: per source, minutes after creation at which an open lead expires (or None).
        sources: the known source names. When given, every source named elsewhere in the
            configuration (expiry, inbound sources, source weights) must be one of them.
        inbound_order: how a free rep picks among live callers of several sources: ``fifo``
            (longest waiting first) or ``source_priority`` (strict priority by the order of
            ``sources``; callers of a source not listed there come last).
    """

    priority: tuple[tuple[str, dict[str, Any]], ...] = tuple((name, {}) for name in DEFAULT_PRIORITY)
    new_leads_order: NewLeadsOrder = "oldest_first"
    cadence: CadenceRules = field(default_factory=CadenceRules)
    distribution: DistributionRules = field(default_factory=DistributionRules)
    expiry_minutes: dict[str, float | None] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    inbound_order: InboundOrder = FIFO_ORDER

    def __post_init__(self) -> None:
        owner = "EngineConfig"
        _freeze(self, "priority")
        _freeze(self, "sources")
        if any(isinstance(spec, list) for spec in self.priority):
            object.__setattr__(self, "priority", tuple(tuple(s) if isinstance(s, list) else s for s in self.priority))
        if not isinstance(self.priority, tuple):
            _fail(owner, "priority", "a tuple of (rule name, parameters) pairs", self.priority, TypeError)
        names = []
        for spec in self.priority:
            if not (isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str) and isinstance(spec[1], Mapping)):
                _fail(owner, "priority", "a tuple of (rule name, parameters) pairs", spec, TypeError)
            problem = priority_rule_problem(*spec)
            if problem is not None:
                raise ValueError(f"{owner}.priority: {problem}")
            names.append(spec[0])
        if len(set(names)) != len(names):
            _fail(owner, "priority", "rules that do not repeat", names)
        _check_choice(owner, "new_leads_order", self.new_leads_order, NEW_LEADS_ORDERS)
        _check_choice(owner, "inbound_order", self.inbound_order, INBOUND_ORDERS)
        if not isinstance(self.cadence, CadenceRules):
            _fail(owner, "cadence", "a CadenceRules", self.cadence, TypeError)
        if not isinstance(self.distribution, DistributionRules):
            _fail(owner, "distribution", "a DistributionRules", self.distribution, TypeError)
        _check_names(owner, "sources", self.sources, tuple)
        if not isinstance(self.expiry_minutes, Mapping):
            _fail(owner, "expiry_minutes", "a mapping of source -> minutes or None", self.expiry_minutes, TypeError)
        for source, minutes in self.expiry_minutes.items():
            _check_number(owner, f"expiry_minutes[{source!r}]", minutes, strict=True, optional=True)
        if self.sources:
            self._check_known_sources()

    def _check_known_sources(self) -> None:
        """Every source the configuration names is one of ``sources`` (a misspelt one would be ignored)."""
        known = set(self.sources)
        named = [("expiry_minutes", s) for s in self.expiry_minutes]
        named += [("distribution.inbound_sources", s) for s in sorted(self.distribution.inbound_sources)]
        for rule, params in self.priority:
            named += [(f"priority {rule!r} weights", s) for s in params.get("weights", {}) or {}]
        for where, source in named:
            if source not in known:
                _fail("EngineConfig", where, f"a source in sources {list(self.sources)}", source)
