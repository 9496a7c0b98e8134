"""The engine ranks leads with compiled closures; :func:`rank` is their plain specification.

For any rule list (every rule of the vocabulary, with parameters) and any lead,
``compile_rank(rules)(lead) == rank(rules, lead)``; and the ``attempted``-specialised
rankers agree with it on the leads they are used for.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from leadsim.engine.config import CallRules
from leadsim.engine.priority import build_rules, compile_rank, rank
from leadsim.engine.state import LeadState
from leadsim.vocabulary import FOLLOWUP_ORDERS, NEW_LEADS_ORDERS, PRIORITY_RULE_NAMES

SOURCES = ("web", "phone", "show")
RULES = CallRules()


def _params(name: str) -> st.SearchStrategy[dict]:
    weights = st.dictionaries(st.sampled_from(SOURCES), st.floats(-5, 5), max_size=3)
    aging = st.floats(0, 3)
    return {
        "new_leads": st.fixed_dictionaries({}, optional={"order": st.sampled_from(NEW_LEADS_ORDERS)}),
        "due_followups": st.fixed_dictionaries({}, optional={"by": st.sampled_from(FOLLOWUP_ORDERS)}),
        "source_weights": st.fixed_dictionaries(
            {}, optional={"weights": weights, "default": st.floats(-5, 5), "aging_per_hour": aging}
        ),
        "lead_score": st.fixed_dictionaries({}, optional={"aging_per_hour": aging}),
    }.get(name, st.just({}))


rule_lists = st.lists(st.sampled_from(PRIORITY_RULE_NAMES), unique=True, min_size=1).flatmap(
    lambda names: st.tuples(*[st.tuples(st.just(n), _params(n)) for n in names])
)


@st.composite
def leads(draw: st.DrawFn) -> LeadState:
    lead = LeadState(
        draw(st.integers(0, 1000)),
        draw(st.sampled_from(SOURCES)),
        draw(st.floats(0, 10_000)),
        "America/Chicago",
        draw(st.floats(0, 1)),
        RULES,
    )
    lead.attempts = draw(st.integers(0, 8))
    lead.callback = draw(st.booleans())
    lead.due = lead.created_at + draw(st.floats(0, 5_000))
    return lead


@given(rule_lists, st.lists(leads(), min_size=1, max_size=10), st.sampled_from(NEW_LEADS_ORDERS))
def test_compiled_ranking_equals_the_specification(specs: tuple, sample: list[LeadState], order: str) -> None:
    rules = build_rules(specs, order)
    full = compile_rank(rules)
    new, followup = compile_rank(rules, attempted=False), compile_rank(rules, attempted=True)
    for lead in sample:
        expected = rank(rules, lead)
        assert full(lead) == expected
        assert (followup if lead.attempts > 0 else new)(lead) == expected
