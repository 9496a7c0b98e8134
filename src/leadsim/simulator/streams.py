"""Random streams: one SeedSequence per replication, spawned by purpose.

Every stream is derived from ``(seed, replication, purpose, key)``, where the key
names the thing the stream is for (a source by a stable hash of its name, a rep
by its team and index). Two scenarios run with the same seed therefore draw the
same arrivals for a source of the same name and volume, whatever else differs.

Per-lead and per-attempt luck is *counter-based*: the uniform for (lead, attempt,
slot) is a hash of a per-lead key and the counter, not the next number of a
shared generator. So lead j of a source gets the same luck on its k-th attempt
in every scenario, however the policy reorders the calls (common random numbers),
and nothing depends on the order in which events happen to be processed.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Sequence

import numpy as np

#: Purposes a stream can be spawned for.
ARRIVALS = 0
ATTRIBUTES = 1
LEAD_LUCK = 2
REPS = 3

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15

#: Slots of per-attempt luck; each slot yields a pair of uniforms (attempt 0 holds
#: per-lead draws).
SLOT_CONTACT = 0  # (reached?, which kind of no-answer)
SLOT_HANDLE = 1  # (handle time, wrap-up time)
SLOT_CONVERSION = 2  # (qualified?, closed?)
SLOT_BAD_NUMBER = 3  # on attempt 0: (bad number?, a human owner's give-up count; see run._give_up_counts)
SLOT_SPACING = 3  # on attempts >= 1: (the random gap before that attempt, unused); see simulator.spacing
_SLOTS = 4
_TO_UNIT32 = 2.0**-32


def name_key(name: str) -> int:
    """A stable 32-bit key for a name (the same in every process and run)."""
    return zlib.crc32(name.encode("utf-8"))


def seed_sequence(seed: int, replication: int, purpose: int, *key: int) -> np.random.SeedSequence:
    """The SeedSequence for one purpose (and key) of one replication."""
    return np.random.SeedSequence(entropy=seed, spawn_key=(replication, purpose, *key))


def generator(seed: int, replication: int, purpose: int, *key: int) -> np.random.Generator:
    """A numpy Generator for one purpose (and key) of one replication."""
    return np.random.Generator(np.random.PCG64(seed_sequence(seed, replication, purpose, *key)))


def mix64(z: int) -> int:
    """SplitMix64's finaliser: a bijective 64-bit hash with good avalanche."""
    z = (z + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _mix64_array(z: np.ndarray) -> np.ndarray:
    """:func:`mix64` on a uint64 array (numpy's uint64 arithmetic wraps mod 2**64)."""
    with np.errstate(over="ignore"):
        z = z + np.uint64(_GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def lead_keys(seed: int, replication: int, source_name: str, count: int) -> list[int]:
    """Per-lead 64-bit luck keys for the first ``count`` leads of a source.

    Key j is ``mix64(base ^ mix64(j))``: it depends only on the source's stream and j.
    """
    base = seed_sequence(seed, replication, LEAD_LUCK, name_key(source_name)).generate_state(1, np.uint64)[0]
    keys = _mix64_array(np.uint64(base) ^ _mix64_array(np.arange(count, dtype=np.uint64)))
    return keys.tolist()


def uniform_pair(lead_key: int, attempt: int, slot: int) -> tuple[float, float]:
    """Two uniforms in (0, 1) for (lead, attempt, slot), from the two halves of one hash.

    32 bits each is ample for a simulation (the smallest value is 2**-33), and one
    hash instead of two is a measurable share of an attempt's cost. ``mix64`` is
    inlined here because this is the hottest function of the simulator.
    """
    z = (lead_key + (attempt * _SLOTS + slot + 1) * _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    z ^= z >> 31
    return ((z >> 32) + 0.5) * _TO_UNIT32, ((z & 0xFFFFFFFF) + 0.5) * _TO_UNIT32


def offer_uniforms(lead_key: int, offer: int) -> tuple[float, float, float]:
    """Uniforms for the ``offer``-th time (0 = the first) an inbound caller rings.

    (patience, whether the caller redials after hanging up, the redial delay). Drawn
    from the caller's own key on *negative* attempt numbers (-1 - offer), counters no
    call attempt uses (attempts are numbered 1, 2, ...; 0 holds per-lead draws): so a
    caller's patience and redials are the same in every scenario with the same seed
    (common random numbers), whatever the floor does.
    """
    patience, redial = uniform_pair(lead_key, -1 - offer, 0)
    return patience, redial, uniform_pair(lead_key, -1 - offer, 1)[0]


#: Leads per block of precomputed luck (:func:`luck_block`): block ``lead >> LUCK_BLOCK_BITS``.
LUCK_BLOCK_BITS = 10
#: Floats per (lead, attempt) in a luck block: the pairs of SLOT_HANDLE, SLOT_CONTACT, SLOT_CONVERSION.
LUCK_WIDTH = 6


def luck_block(keys: Sequence[int], first: int, count: int, attempts: int) -> array:
    """:func:`uniform_pair` for many leads and attempts at once, bit for bit.

    Python's 64-bit integer arithmetic makes one ``uniform_pair`` cost about half a
    microsecond, and an attempt needs two or three; numpy computes a block of
    them for a thousand leads in well under a millisecond. The block holds, for
    leads ``first .. first + count - 1`` and attempts ``1 .. attempts``, the pairs
    of the handle, contact and conversion slots:

        block[((lead - first) * attempts + attempt - 1) * LUCK_WIDTH + j]

    with j = 0, 1 the handle pair, 2, 3 the contact pair, 4, 5 the conversion pair.
    Every operation is exact (uint64 arithmetic wraps mod 2**64 as the masks do;
    32-bit halves plus 0.5 and times 2**-32 are exact in binary64), so the values
    equal ``uniform_pair``'s. An ``array('d')``: its items read back as Python floats.
    """
    lead_keys = np.asarray(keys[first : first + count], dtype=np.uint64)
    # uniform_pair(key, a, slot) is the split of mix64(key + (a * _SLOTS + slot) * _GOLDEN).
    offsets = np.array(
        [
            [((a * _SLOTS + slot) * _GOLDEN) & _MASK for slot in (SLOT_HANDLE, SLOT_CONTACT, SLOT_CONVERSION)]
            for a in range(1, attempts + 1)
        ],
        dtype=np.uint64,
    )
    with np.errstate(over="ignore"):
        z = _mix64_array(lead_keys[:, None, None] + offsets[None, :, :])
    halves = np.empty(z.shape + (2,), dtype=np.float64)
    halves[..., 0] = (z >> np.uint64(32)).astype(np.float64)
    halves[..., 1] = (z & np.uint64(0xFFFFFFFF)).astype(np.float64)
    halves += 0.5
    halves *= _TO_UNIT32
    block = array("d")
    block.frombytes(halves.tobytes())
    return block
