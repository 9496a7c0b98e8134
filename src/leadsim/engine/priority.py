"""Priority rules: which due lead a rep should call first.

A policy's ``priority`` is an ordered list of rule names. A lead belongs to the
tier of the first rule that matches it (leads no rule matches form a last tier);
within a tier the rule's ``order_key`` decides, smaller first; remaining ties are
broken by lead id, so the order is deterministic.

A rule is a small object with one signature::

    matches(lead: LeadState) -> bool
    order_key(lead: LeadState) -> float

Add a rule by writing such a class and registering it in :data:`RULES`; its name
and parameters are declared once, in :data:`leadsim.vocabulary.RULE_PARAMS` (which
the scenario schema reads too), and ``tests/test_vocabulary.py`` checks that the
two agree.

The engine ranks a lead each time it becomes due, so it does not loop over the
rules with :func:`rank` but calls one function built by :func:`compile_rank`: a
chain of closures, one per rule, each doing its rule's test and key inline (no
method dispatch). A rule may supply that closure with ``compile(tier, rest)``;
rules without one are chained through their ``matches`` and ``order_key``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from leadsim.engine.state import LeadState
from leadsim.vocabulary import FOLLOWUP_ORDERS, NEW_LEADS_ORDERS, priority_rule_problem

#: A compiled ranking: lead -> (tier, order key as a tuple), as :func:`rank` returns.
Ranker = Callable[[LeadState], "tuple[int, tuple]"]


class PriorityRule(Protocol):
    """The signature every priority rule implements."""

    name: str

    def matches(self, lead: LeadState) -> bool:
        """True if the lead belongs to this rule's tier."""

    def order_key(self, lead: LeadState) -> float | tuple:
        """Order inside the tier: smaller is called first (all keys of one rule comparable)."""


class Callbacks:
    """Missed inbound calls to return, earliest due first."""

    name = "callbacks"

    def matches(self, lead: LeadState) -> bool:
        return lead.callback

    def order_key(self, lead: LeadState) -> float:
        return lead.due

    def compile(self, tier: int, rest: Ranker) -> Ranker:
        def rank_callbacks(lead: LeadState) -> tuple[int, tuple]:
            if lead.callback:
                return tier, (lead.due,)
            return rest(lead)

        return rank_callbacks


class NewLeads:
    """Leads never attempted; ``order``: oldest_first (FIFO) or newest_first (speed to lead)."""

    name = "new_leads"
    attempted = False  # matches never-attempted leads only (see compile_rank)

    def __init__(self, order: str = "oldest_first") -> None:
        if order not in NEW_LEADS_ORDERS:
            raise ValueError(f"new_leads order must be one of {NEW_LEADS_ORDERS}, got {order!r}")
        self._sign = 1.0 if order == "oldest_first" else -1.0

    def matches(self, lead: LeadState) -> bool:
        return lead.attempts == 0

    def order_key(self, lead: LeadState) -> float:
        return self._sign * lead.created_at

    def compile(self, tier: int, rest: Ranker) -> Ranker:
        sign = self._sign

        def rank_new(lead: LeadState) -> tuple[int, tuple]:
            if lead.attempts == 0:
                return tier, (sign * lead.created_at,)
            return rest(lead)

        return rank_new


class DueFollowups:
    """Leads already attempted; ``by``: overdue (longest overdue first) or attempt_number
    (fewest attempts first, then longest overdue)."""

    name = "due_followups"
    attempted = True  # matches attempted leads only (see compile_rank)

    def __init__(self, by: str = "overdue") -> None:
        if by not in FOLLOWUP_ORDERS:
            raise ValueError(f"due_followups by must be one of {FOLLOWUP_ORDERS}, got {by!r}")
        self._by_attempt = by == "attempt_number"

    def matches(self, lead: LeadState) -> bool:
        return lead.attempts > 0

    def order_key(self, lead: LeadState) -> float | tuple[int, float]:
        return (lead.attempts, lead.due) if self._by_attempt else lead.due

    def compile(self, tier: int, rest: Ranker) -> Ranker:
        if self._by_attempt:

            def rank_followup_by_attempt(lead: LeadState) -> tuple[int, tuple]:
                if lead.attempts > 0:
                    return tier, (lead.attempts, lead.due)
                return rest(lead)

            return rank_followup_by_attempt

        def rank_followup(lead: LeadState) -> tuple[int, tuple]:
            if lead.attempts > 0:
                return tier, (lead.due,)
            return rest(lead)

        return rank_followup


class SourceWeights:
    """Every lead, heavier sources first; ``aging_per_hour`` adds weight per hour overdue so
    nothing starves. Key: -(weight - aging * due / 60), which orders as weight + aging x hours
    waited at any common "now" (so the key can be fixed when the lead becomes due)."""

    name = "source_weights"

    def __init__(self, weights: dict[str, float] | None = None, default: float = 1.0, aging_per_hour: float = 0.0) -> None:
        self._weights = dict(weights or {})
        self._default = float(default)
        self._aging = float(aging_per_hour)

    def matches(self, lead: LeadState) -> bool:
        return True

    def order_key(self, lead: LeadState) -> float:
        weight = self._weights.get(lead.source, self._default)
        return -(weight - self._aging * lead.due / 60.0)


class LeadScore:
    """Every lead, highest lead score first, with the same optional aging boost."""

    name = "lead_score"

    def __init__(self, aging_per_hour: float = 0.0) -> None:
        self._aging = float(aging_per_hour)

    def matches(self, lead: LeadState) -> bool:
        return True

    def order_key(self, lead: LeadState) -> float:
        return -(lead.score - self._aging * lead.due / 60.0)


class Fifo:
    """Every lead, in order of due time (what a person working a list does)."""

    name = "fifo"

    def matches(self, lead: LeadState) -> bool:
        return True

    def order_key(self, lead: LeadState) -> float:
        return lead.due

    def compile(self, tier: int, rest: Ranker) -> Ranker:
        def rank_fifo(lead: LeadState) -> tuple[int, tuple]:
            return tier, (lead.due,)

        return rank_fifo


#: Rule classes by name; parameters come from the scenario ({name: {param: value}}).
#: Names and parameters must match :data:`leadsim.vocabulary.RULE_PARAMS`.
RULES: dict[str, Callable[..., PriorityRule]] = {
    "callbacks": Callbacks,
    "new_leads": NewLeads,
    "due_followups": DueFollowups,
    "source_weights": SourceWeights,
    "lead_score": LeadScore,
    "fifo": Fifo,
}


def build_rules(specs: Sequence[tuple[str, dict]], new_leads_order: str = "oldest_first") -> list[PriorityRule]:
    """Instantiate the rules from (name, parameters) pairs, in order.

    Raises:
        ValueError: on an unknown rule name or parameter.
    """
    rules: list[PriorityRule] = []
    for name, params in specs:
        problem = priority_rule_problem(name, params)
        if problem is not None:
            raise ValueError(problem)
        if name not in RULES:
            raise ValueError(f"priority rule {name!r} is not implemented by the engine (RULES: {sorted(RULES)})")
        kwargs = dict(params)
        if name == "new_leads":
            kwargs.setdefault("order", new_leads_order)
        try:
            rules.append(RULES[name](**kwargs))
        except TypeError as exc:
            raise ValueError(f"priority rule {name!r}: bad parameters {params}: {exc}") from None
    return rules


def rank(rules: Sequence[PriorityRule], lead: LeadState) -> tuple[int, tuple]:
    """(tier, order key as a tuple) of a lead under the rules.

    Keys are normalised to tuples so that entries ranked by different rule lists
    (a human rep's own list and the shared pool) can always be compared.
    """
    for tier, rule in enumerate(rules):
        if rule.matches(lead):
            key = rule.order_key(lead)
            return tier, key if isinstance(key, tuple) else (key,)
    return len(rules), (lead.due,)


def compile_rank(rules: Sequence[PriorityRule], attempted: bool | None = None) -> Ranker:
    """A function equivalent to ``lambda lead: rank(rules, lead)``, but cheaper per call.

    Built back to front: each rule's closure returns its tier if the lead matches
    and otherwise hands the lead to the closure of the next rule; the last one
    returns the catch-all tier.

    Args:
        rules: the rules, in order.
        attempted: if given, the ranker is only used for leads with
            ``(lead.attempts > 0) == attempted``; rules that cannot match such a
            lead (their ``attempted`` attribute says the opposite) are left out of
            the chain, tiers unchanged.
    """
    last = len(rules)

    def rank_rest(lead: LeadState) -> tuple[int, tuple]:
        return last, (lead.due,)

    ranker: Ranker = rank_rest
    for tier in range(len(rules) - 1, -1, -1):
        rule = rules[tier]
        if attempted is not None and getattr(rule, "attempted", None) not in (None, attempted):
            continue
        compile_ = getattr(rule, "compile", None)
        ranker = compile_(tier, ranker) if compile_ is not None else _generic(rule, tier, ranker)
    return ranker


def _generic(rule: PriorityRule, tier: int, rest: Ranker) -> Ranker:
    """The chained closure of a rule without a ``compile`` method."""
    matches, order_key = rule.matches, rule.order_key

    def rank_rule(lead: LeadState) -> tuple[int, tuple]:
        if matches(lead):
            key = order_key(lead)
            return tier, key if isinstance(key, tuple) else (key,)
        return rest(lead)

    return rank_rule
