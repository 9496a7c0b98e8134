"""leadsim's shared vocabulary: the names the scenario language and the engine must agree on.

Priority rule names and their parameters, distribution modes, call outcomes,
lead statuses, channels, stages and the "HH:MM" time-of-day format are defined
here, once. The scenario schema (:mod:`leadsim.scenarios.schema`) builds its
allowed values from this module; the engine (:mod:`leadsim.engine`) checks its
configuration against it and uses its constants; the simulator's log codes are
derived from it. A test (``tests/test_vocabulary.py``) checks that the engine's
rule registry and the schema agree with it.

This module imports only the standard library and nothing from leadsim, so
both sides can import it without importing each other (``scenarios`` uses none
of ``engine``/``simulator``/``planner``, and the engine stands alone).

The ``Literal`` types are the source of truth (type checkers see the names);
the tuples next to them are the same names at run time (``typing.get_args``).

To add a priority rule: add its name to :data:`PriorityName` and its
parameters to :data:`RULE_PARAMS` here, then write the rule class in
:mod:`leadsim.engine.priority` and register it in its ``RULES``.
To add a distribution mode: add it to :data:`DistributionMode` here, then give
it a meaning in :mod:`leadsim.engine.distribution` (``Distribution._place``)
and in :class:`leadsim.engine.config.DistributionRules` (its fields and checks).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Final, Literal, get_args

# ---------------------------------------------------------------- priority rules

#: Names of the priority rules (a scenario's ``policy.priority``; the engine's ``RULES``).
PriorityName = Literal["callbacks", "new_leads", "due_followups", "source_weights", "lead_score", "fifo"]
PRIORITY_RULE_NAMES: Final[tuple[PriorityName, ...]] = get_args(PriorityName)

#: The priority a policy has when it names none (scenario and engine alike).
DEFAULT_PRIORITY: Final[tuple[PriorityName, ...]] = ("callbacks", "new_leads", "due_followups")

#: Orders of the ``new_leads`` rule (also ``policy.new_leads_order``).
NewLeadsOrder = Literal["oldest_first", "newest_first"]
NEW_LEADS_ORDERS: Final[tuple[NewLeadsOrder, ...]] = get_args(NewLeadsOrder)

#: Orders of the ``due_followups`` rule.
FollowupOrder = Literal["overdue", "attempt_number"]
FOLLOWUP_ORDERS: Final[tuple[FollowupOrder, ...]] = get_args(FollowupOrder)

#: Kinds of rule parameter, checked by :func:`priority_rule_problem`.
CHOICE, NUMBER, NON_NEGATIVE, WEIGHTS = "choice", "number", "non_negative", "weights"

#: Parameters each priority rule takes: name -> (kind, allowed values for a choice).
#: ``number``: any finite number; ``non_negative``: a finite number >= 0;
#: ``weights``: a mapping of source name -> finite number.
RULE_PARAMS: Final[dict[str, dict[str, tuple[str, tuple[str, ...]]]]] = {
    "callbacks": {},
    "new_leads": {"order": (CHOICE, NEW_LEADS_ORDERS)},
    "due_followups": {"by": (CHOICE, FOLLOWUP_ORDERS)},
    "source_weights": {"weights": (WEIGHTS, ()), "default": (NUMBER, ()), "aging_per_hour": (NON_NEGATIVE, ())},
    "lead_score": {"aging_per_hour": (NON_NEGATIVE, ())},
    "fifo": {},
}


def _is_number(value: object) -> bool:
    """A finite int or float, not a bool (True is not a number of anything)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def priority_rule_problem(name: str, params: Mapping[str, object]) -> str | None:
    """What is wrong with a priority rule and its parameters, or None if nothing is.

    The message names the rule, the parameter, what is allowed and the value received.
    Both the scenario schema and the engine's configuration use this check.

    Args:
        name: the rule's name.
        params: its parameters.
    """
    if name not in RULE_PARAMS:
        return f"unknown priority rule {name!r}; known rules are {list(PRIORITY_RULE_NAMES)}"
    allowed = RULE_PARAMS[name]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        return f"priority rule {name!r} has no parameter(s) {unknown}; it takes {sorted(allowed)}"
    for key, value in params.items():
        kind, choices = allowed[key]
        if kind == CHOICE and value not in choices:
            return f"priority rule {name!r}: {key} must be one of {choices}, got {value!r}"
        if kind == NUMBER and not _is_number(value):
            return f"priority rule {name!r}: {key} must be a finite number, got {value!r}"
        if kind == NON_NEGATIVE and not (_is_number(value) and value >= 0):  # type: ignore[operator]
            return f"priority rule {name!r}: {key} must be a number >= 0, got {value!r}"
        if kind == WEIGHTS and not (
            isinstance(value, Mapping) and all(isinstance(k, str) and _is_number(v) for k, v in value.items())
        ):
            return f"priority rule {name!r}: {key} must map source names to finite numbers, got {value!r}"
    return None


# ---------------------------------------------------------------- distribution

#: Who may call which lead (a scenario's ``policy.distribution.mode``).
DistributionMode = Literal["shared_pool", "round_robin", "owner_recycle", "incoming_call_group"]
DISTRIBUTION_MODES: Final[tuple[DistributionMode, ...]] = get_args(DistributionMode)
SHARED_POOL: Final = "shared_pool"  # the default mode
ROUND_ROBIN: Final = "round_robin"
OWNER_RECYCLE: Final = "owner_recycle"
INCOMING_CALL_GROUP: Final = "incoming_call_group"
#: Modes in which each lead is owned by one rep (the only ones a human team can work in).
OWNED_MODES: Final[frozenset[str]] = frozenset({ROUND_ROBIN, OWNER_RECYCLE})

#: Which attempts a team makes: first attempts (and live callers, callbacks) and/or follow-ups.
Stage = Literal["first", "followup"]
STAGES: Final[tuple[Stage, ...]] = get_args(Stage)
FIRST_STAGE: Final = "first"
FOLLOWUP_STAGE: Final = "followup"

# ---------------------------------------------------------------- outcomes, statuses, channels

#: Outcomes a call attempt can end with (the canonical log vocabulary), in log-code order.
Outcome = Literal["no_answer", "voicemail", "busy", "bad_number", "contact", "qualified", "converted"]
CALL_OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)
#: Outcomes that mean a live person was reached (they end the cadence).
REACHED_OUTCOMES: Final[tuple[Outcome, ...]] = ("contact", "qualified", "converted")
#: Reached outcomes in which the lead qualified.
QUALIFIED_OUTCOMES: Final[tuple[Outcome, ...]] = ("qualified", "converted")
#: Outcomes a cadence's per-outcome rule may govern (``policy.cadence.outcomes``): the
#: others end the cadence (reached, or a bad number).
RuleOutcome = Literal["no_answer", "voicemail", "busy"]
RULE_OUTCOMES: Final[tuple[RuleOutcome, ...]] = get_args(RuleOutcome)

#: Final states a lead can leave the cadence in, in log-code order (after ``open``).
CloseStatus = Literal[
    "converted",  # reached, qualified and closed
    "contacted",  # reached, did not convert (qualified or not)
    "exhausted",  # call target reached without a contact
    "expired",  # source expiry passed before a contact
    "nurture",  # handed to nurture after nurture_after_days
    "bad_number",  # the number does not work
    "censored",  # still open when the run ended
    "stopped",  # an outcome rule stopped the cadence (e.g. do-not-call)
    "dropped",  # a human owner gave up before the call target
    "abandoned",  # an inbound caller hung up unanswered and is gone (abandonment ``lost``)
]
CLOSE_STATUSES: Final[tuple[CloseStatus, ...]] = get_args(CloseStatus)
#: A lead's status in a run's log: ``open`` (only while running), then a close status.
LEAD_STATUSES: Final[tuple[str, ...]] = ("open", *CLOSE_STATUSES)

# ---------------------------------------------------------------- inbound callers

#: What happens after an inbound caller hangs up unanswered (a source's ``abandonment.then``):
#: ``callback``: the lead is due as a callback (ownership as the distribution mode says);
#: ``lost``: the caller is gone (the lead closes with status ``abandoned``);
#: ``retry``: the caller redials after a drawn delay with a given probability (else is lost).
AbandonAction = Literal["callback", "lost", "retry"]
ABANDON_ACTIONS: Final[tuple[AbandonAction, ...]] = get_args(AbandonAction)
CALLBACK: Final = "callback"
LOST: Final = "lost"
RETRY: Final = "retry"

#: In which order free reps answer live callers waiting on several inbound sources
#: (``policy.inbound_order``): ``fifo``: longest waiting caller first, across every
#: source the rep may answer; ``source_priority``: strict priority by the order the
#: sources are listed in (a caller of a later source waits while any earlier one does).
InboundOrder = Literal["fifo", "source_priority"]
INBOUND_ORDERS: Final[tuple[InboundOrder, ...]] = get_args(InboundOrder)
FIFO_ORDER: Final = "fifo"
SOURCE_PRIORITY: Final = "source_priority"

#: Channels of an activity; steps are the non-call ones (no rep time).
Channel = Literal["call", "email", "sms"]
CHANNELS: Final[tuple[Channel, ...]] = get_args(Channel)
StepChannel = Literal["email", "sms"]
STEP_CHANNELS: Final[tuple[StepChannel, ...]] = get_args(StepChannel)

#: Whose clock a calling window is read in, and how spacing is counted.
WindowClock = Literal["lead_local_time", "floor_time"]
SpacingClock = Literal["wall_clock", "calling_time"]

# ---------------------------------------------------------------- times of day

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_hhmm(text: str) -> int:
    """Parse "HH:MM" (00:00 to 24:00) into minutes after midnight.

    Args:
        text: the time of day, e.g. "08:30"; "24:00" means the end of the day.

    Returns:
        Minutes after midnight, 0 to 1440.

    Raises:
        ValueError: if the text is not a time of day.
    """
    match = _HHMM.match(text.strip())
    if not match:
        raise ValueError(f"must be a time of day 'HH:MM', got {text!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    total = hours * 60 + minutes
    if minutes >= 60 or total > 1440:
        raise ValueError(f"must be a time of day between 00:00 and 24:00, got {text!r}")
    return total


def parse_interval(text: str) -> tuple[int, int]:
    """Parse "HH:MM-HH:MM" into (start, end) minutes after midnight, start < end.

    Raises:
        ValueError: if malformed or if the interval ends before it starts.
    """
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f"must be an interval 'HH:MM-HH:MM', got {text!r}")
    start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
    if end <= start:
        raise ValueError(f"must end after it starts, got {text!r}")
    return start, end
