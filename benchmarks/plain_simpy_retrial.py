"""A plain-SimPy model of the retrial workload: the speed yardstick for leadsim.

The workload (issue 2, "Must show"): ``reps`` interchangeable reps; leads
arrive as a Poisson process; each attempt holds a rep for an exponential
handle time (mean 5 minutes) and reaches the lead with probability 0.3; a lead
not reached is tried again 60 minutes after the end of the attempt, up to 6
attempts in all; reps serve waiting attempts first come, first served.

It is written the way a competent SimPy user would write it -- one process per
lead and a ``simpy.Resource`` for the reps -- without leadsim's engine or
metrics, so "attempts per second" here is what a straightforward hand-written
model achieves. It is deliberately not a strawman: random numbers are drawn
per lead in small vectors and converted to Python floats (numpy scalars in
SimPy's event heap are slow), and nothing is logged per attempt.

Run it directly to print the figures for 10,000 leads::

    python benchmarks/plain_simpy_retrial.py [N_LEADS]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

__all__ = ["arrival_rate_for_load", "expected_attempts", "run_plain_simpy"]


def expected_attempts(contact_prob: float, max_attempts: int) -> float:
    """Expected attempts per lead when every attempt connects independently.

    A lead gets attempt ``k + 1`` iff its first ``k`` attempts all failed, so

        E[A] = sum_{k=0}^{max_attempts-1} (1 - p)^k.

    Args:
        contact_prob: Probability ``p`` that one attempt reaches the lead.
        max_attempts: Call target (attempt cap) per lead.

    Returns:
        The mean number of attempts per lead (2.94117 for p = 0.3, 6 attempts).
    """
    return sum((1.0 - contact_prob) ** k for k in range(max_attempts))


def arrival_rate_for_load(
    load: float,
    reps: int,
    handle_mean: float,
    contact_prob: float,
    max_attempts: int,
) -> float:
    """Lead arrival rate (per minute) that offers ``load`` to the reps.

    Retries count as work: each lead brings ``E[A]`` attempts of mean length
    ``handle_mean``, so the offered load per rep is
    ``lambda * handle_mean * E[A] / reps``; solving for ``lambda`` gives

        lambda = load * reps / (handle_mean * E[A]).

    Args:
        load: Target utilisation of the reps, in (0, 1).
        reps: Number of reps.
        handle_mean: Mean handle time per attempt, minutes.
        contact_prob: Probability that one attempt reaches the lead.
        max_attempts: Attempt cap per lead.

    Returns:
        Arrivals per minute.
    """
    return load * reps / (handle_mean * expected_attempts(contact_prob, max_attempts))


def run_plain_simpy(
    n_leads: int,
    reps: int = 20,
    load: float = 0.85,
    seed: int = 1,
    *,
    contact_prob: float = 0.3,
    max_attempts: int = 6,
    handle_mean: float = 5.0,
    spacing_minutes: float = 60.0,
    spacing: str = "fixed",
    return_waits: bool = False,
) -> dict[str, Any]:
    """Simulate ``n_leads`` leads of the retrial workload in plain SimPy.

    The run starts empty and lasts until every lead has finished its cadence
    (contacted, or ``max_attempts`` attempts made), so every lead is counted.

    Args:
        n_leads: Number of leads to generate (>= 1).
        reps: Number of reps (the ``simpy.Resource`` capacity).
        load: Offered load per rep including retries, in (0, 1); sets the
            arrival rate via :func:`arrival_rate_for_load`.
        seed: Seed for ``numpy.random.default_rng``.
        contact_prob: Probability that one attempt reaches the lead.
        max_attempts: Attempt cap per lead (1 turns the model into M/M/c for
            the first attempt).
        handle_mean: Mean of the exponential handle time, minutes.
        spacing_minutes: Wait from the end of a failed attempt to the next
            request for a rep (with ``spacing="exponential"``: its mean).
        spacing: ``"fixed"`` (every gap is ``spacing_minutes``) or
            ``"exponential"`` (each gap drawn per lead and attempt, the
            textbook retrial queue).
        return_waits: If true, also return ``first_waits``: a float array of
            each lead's first-attempt wait, in arrival order (for statistics).

    Returns:
        A dict with ``leads``, ``attempts``, ``contacts``,
        ``simulated_minutes`` (clock at the end), ``wall_seconds`` (time spent
        in the simulation itself, setup excluded), ``attempts_per_second``,
        ``mean_first_wait_minutes`` (mean time from arrival until a rep
        starts the first attempt), ``arrival_rate_per_minute`` and
        ``rep_utilisation`` (busy rep-minutes / (reps * simulated minutes));
        plus ``first_waits`` if ``return_waits`` is set.

    Raises:
        ValueError: On a non-positive count, a load outside (0, 1) or a
            contact probability outside (0, 1].
    """
    if n_leads < 1 or reps < 1 or max_attempts < 1:
        raise ValueError(
            f"n_leads, reps and max_attempts must be >= 1, got {n_leads}, {reps}, {max_attempts}"
        )
    if not 0.0 < load < 1.0:
        raise ValueError(f"load must be in (0, 1) for a stable queue, got {load}")
    if not 0.0 < contact_prob <= 1.0:
        raise ValueError(f"contact_prob must be in (0, 1], got {contact_prob}")
    if spacing not in ("fixed", "exponential"):
        raise ValueError(f"spacing must be 'fixed' or 'exponential', got {spacing!r}")
    random_gaps = spacing == "exponential"

    rng = np.random.default_rng(seed)
    lam = arrival_rate_for_load(load, reps, handle_mean, contact_prob, max_attempts)
    # One vector for all inter-arrival gaps: n floats is cheap even at 1M leads.
    gaps = rng.exponential(1.0 / lam, n_leads).tolist()

    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=reps)
    first_waits = np.empty(n_leads)
    fixed_waits = [spacing_minutes] * max_attempts
    # Mutable counters shared by all lead processes (a closure cannot rebind ints).
    tally = {"attempts": 0, "contacts": 0, "busy": 0.0}

    def lead(index: int, handles: list[float], luck: list[float], waits: list[float]) -> Generator[Any, Any, None]:
        """One lead's life: request a rep, talk, retry after spacing if not reached."""
        created = env.now
        for attempt in range(max_attempts):
            with pool.request() as request:
                yield request
                if attempt == 0:
                    first_waits[index] = env.now - created
                yield env.timeout(handles[attempt])
            tally["attempts"] += 1
            tally["busy"] += handles[attempt]
            if luck[attempt] < contact_prob:
                tally["contacts"] += 1
                return
            if attempt + 1 < max_attempts:
                yield env.timeout(waits[attempt])

    def arrivals() -> Generator[Any, Any, None]:
        """Poisson source: start one lead process per arrival."""
        for index in range(n_leads):
            yield env.timeout(gaps[index])
            # Per-lead draws (handle time and contact luck for every possible
            # attempt): a lead's luck does not depend on what other leads did,
            # and tolist() keeps numpy scalars out of SimPy's event heap.
            handles = rng.exponential(handle_mean, max_attempts).tolist()
            luck = rng.random(max_attempts).tolist()
            waits = rng.exponential(spacing_minutes, max_attempts).tolist() if random_gaps else fixed_waits
            env.process(lead(index, handles, luck, waits))

    env.process(arrivals())
    started = time.perf_counter()
    env.run()
    wall = time.perf_counter() - started

    result: dict[str, Any] = {
        "leads": n_leads,
        "reps": reps,
        "load": load,
        "attempts": tally["attempts"],
        "contacts": tally["contacts"],
        "simulated_minutes": env.now,
        "wall_seconds": wall,
        "attempts_per_second": tally["attempts"] / wall if wall > 0 else float("inf"),
        "mean_first_wait_minutes": float(first_waits.mean()),
        "arrival_rate_per_minute": lam,
        "rep_utilisation": tally["busy"] / (reps * env.now),
    }
    if return_waits:
        result["first_waits"] = first_waits
    return result


def _main(argv: list[str]) -> None:
    """Print the benchmark figures for ``argv[0]`` leads (default 10,000)."""
    n_leads = int(argv[0]) if argv else 10_000
    result = run_plain_simpy(n_leads)
    print(f"plain SimPy retrial model, {n_leads:,} leads, 20 reps, load 0.85")
    for key in (
        "attempts",
        "contacts",
        "simulated_minutes",
        "wall_seconds",
        "attempts_per_second",
        "mean_first_wait_minutes",
        "rep_utilisation",
    ):
        value = result[key]
        print(f"  {key:<26} {value:,.3f}" if isinstance(value, float) else f"  {key:<26} {value:,}")


if __name__ == "__main__":
    _main(sys.argv[1:])
