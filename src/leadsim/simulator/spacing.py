"""Random spacing: the simulator's gap provider for the engine.

A ``policy.cadence.spacing_minutes`` entry may be a distribution. The engine
draws nothing (it sees a None entry and asks its host), so the simulator answers
with :func:`gap_provider`: the gap before attempt ``k`` of lead ``j`` is the
inverse CDF of the entry's distribution at the uniform
``uniform_pair(key_j, k, SLOT_SPACING)[0]`` -- a counter-based draw from the
lead's own luck key. So the same lead waits the same gap before its k-th attempt
in every scenario run with the same seed, whatever the policy does (common random
numbers), and no draw depends on the order in which events are processed.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadsim.engine.core import GapProvider
from leadsim.scenarios.schema import Scenario
from leadsim.simulator import streams
from leadsim.simulator.distributions import Sampler, sampler


def gap_provider(scenario: Scenario, keys: Sequence[int]) -> GapProvider | None:
    """The engine's gap provider for this scenario's random spacing, or None if every gap is fixed.

    Args:
        scenario: a validated scenario.
        keys: per lead id, its 64-bit luck key (:func:`streams.lead_keys`).
    """
    entries = scenario.policy.cadence.spacing_minutes
    samplers: list[Sampler | None] = [None if isinstance(e, (int, float)) else sampler(e) for e in entries]
    if all(s is None for s in samplers):
        return None
    uniform_pair, slot = streams.uniform_pair, streams.SLOT_SPACING

    def gap(lead_id: int, attempt: int, index: int) -> float:
        draw = samplers[index]
        assert draw is not None  # the engine asks only for random entries
        return draw(uniform_pair(keys[lead_id], attempt, slot)[0])

    return gap
