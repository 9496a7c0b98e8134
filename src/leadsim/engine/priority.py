"""Priority rules: which due lead a rep should call first.

A policy's ``priority`` is an ordered list of rule names. A lead belongs to the
tier of the first rule that matches it (leads no rule matches form a last tier);
within a tier the rule's ``order_key`` decides, smaller first; remaining ties are
broken by lead id, so the order is deterministic.

A rule is a small object with one signature::

    matches(lead: LeadState) -> bool
    order_key(lead: LeadState) -> float

Add a rule by writing such a class and registering it in :data:`RULES`.
"""

from __future__ import annotations

from typing import Callable, Protocol

from leadsim.engine.state import LeadState


class PriorityRule(Protocol):
    """The signature every priority rule implements."""

    name: str

    def matches(self, lead: LeadState) -> bool:
        """True if the lead belongs to this rule's tier."""

    def order_key(self, lead: LeadState) -> float:
        """Order inside the tier: smaller is called first."""


class Callbacks:
    """Missed inbound calls to return, earliest due first."""

    name = "callbacks"

    def matches(self, lead: LeadState) -> bool:
        return lead.callback

    def order_key(self, lead: LeadState) -> float:
        return lead.due


class NewLeads:
    """Leads never attempted; oldest first (FIFO) or newest first (speed to lead)."""

    name = "new_leads"

    def __init__(self, order: str = "oldest_first") -> None:
        if order not in ("oldest_first", "newest_first"):
            raise ValueError(f"new_leads order must be oldest_first or newest_first, got {order!r}")
        self._sign = 1.0 if order == "oldest_first" else -1.0

    def matches(self, lead: LeadState) -> bool:
        return lead.attempts == 0

    def order_key(self, lead: LeadState) -> float:
        return self._sign * lead.created_at


class DueFollowups:
    """Leads already attempted whose next attempt is due, longest overdue first."""

    name = "due_followups"

    def matches(self, lead: LeadState) -> bool:
        return lead.attempts > 0

    def order_key(self, lead: LeadState) -> float:
        return lead.due


#: Rule constructors by name; each takes the policy's ``new_leads_order``.
RULES: dict[str, Callable[[str], PriorityRule]] = {
    "callbacks": lambda order: Callbacks(),
    "new_leads": lambda order: NewLeads(order),
    "due_followups": lambda order: DueFollowups(),
}


def build_rules(names: tuple[str, ...], new_leads_order: str = "oldest_first") -> list[PriorityRule]:
    """Instantiate the named rules in order.

    Raises:
        ValueError: on an unknown rule name.
    """
    unknown = [n for n in names if n not in RULES]
    if unknown:
        raise ValueError(f"unknown priority rule(s) {unknown}; known rules are {sorted(RULES)}")
    return [RULES[n](new_leads_order) for n in names]


def rank(rules: list[PriorityRule], lead: LeadState) -> tuple[int, float]:
    """(tier, order key) of a lead under the rules."""
    for tier, rule in enumerate(rules):
        if rule.matches(lead):
            return tier, rule.order_key(lead)
    return len(rules), lead.due
