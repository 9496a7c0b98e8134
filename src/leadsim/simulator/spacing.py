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
from leadsim.simulator.engine_config import fixed_spacing


def gap_provider(scenario: Scenario, keys: Sequence[int]) -> GapProvider | None:
    """The engine's gap provider for this scenario's random spacing, or None if every gap is fixed.

    Args:
        scenario: a validated scenario.
        keys: per lead id, its 64-bit luck key (:func:`streams.lead_keys`).
    """
    entries = scenario.policy.cadence.spacing_minutes
    fixed = fixed_spacing(entries)  # the engine asks only where this is None
    samplers: list[Sampler | None] = [None if f is not None else sampler(e) for e, f in zip(entries, fixed)]
    if all(s is None for s in samplers):
        return None
    return _provider(samplers, keys)


def _provider(samplers: list[Sampler | None], keys: Sequence[int]) -> GapProvider:
    golden, mask, slots, to_unit = streams._GOLDEN, streams._MASK, streams._SLOTS, streams._TO_UNIT32
    slot = streams.SLOT_SPACING

    def gap(lead_id: int, attempt: int, index: int) -> float:
        draw = samplers[index]
        assert draw is not None  # the engine asks only for random entries
        # streams.uniform_pair(keys[lead_id], attempt, slot)[0], inlined (once per follow-up
        # attempt): the same arithmetic, so the same bits (tests/test_random_spacing.py).
        z = (keys[lead_id] + (attempt * slots + slot + 1) * golden) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        return draw(((z >> 32) + 0.5) * to_unit)

    return gap
