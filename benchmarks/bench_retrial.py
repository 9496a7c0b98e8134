"""leadsim against plain SimPy (and Ciw) on exactly the same workloads, side by side.

Two workloads, each run by every side with the same parameters:

- **retrial** (issue 12, item 1): 20 reps on duty around the clock, Poisson
  arrivals at 85% load (retries included), contact probability 0.3 per attempt,
  up to 6 attempts, an *exponential* gap with mean 60 minutes from the end of
  an unanswered attempt to the next request (drawn per lead and attempt),
  exponential handle time with mean 5 minutes, waiting attempts served first
  come, first served, run until every lead has finished its cadence.
  leadsim runs it through the full engine (shared pool, priority ``[fifo]``:
  one tier ordered by due time, which is the order in which a plain
  ``simpy.Resource`` queues its requests), collects every log and computes
  every metric (``compute_all``); the plain-SimPy side is
  ``plain_simpy_retrial.run_plain_simpy(..., spacing="exponential")``.
- **M/M/c** (c = 20, load 0.85, exponential service with mean 5 minutes, one
  attempt per lead, first come first served): leadsim (``call_target: 1``,
  ``[fifo]``), the plain-SimPy model with ``max_attempts=1`` (a ``simpy.Resource``
  queue) and Ciw (``pip install -e .[bench]``), if installed.

The figures are units per second of **CPU time** (``time.process_time``) and of
wall time, of the whole simulation call on each side (leadsim: ``simulate`` plus
``compute_all``; plain SimPy and Ciw: building and running the model; scenario
validation excluded). The sides run in one process, interleaved, round after
round (the order rotates each round), and the median of the rounds is reported,
with the load average before and after: the machine may be shared.

Usage::

    python benchmarks/bench_retrial.py                    # retrial 100k leads, M/M/c 300k customers, 3 rounds
    python benchmarks/bench_retrial.py --leads 20000 --customers 50000 --rounds 5
    python benchmarks/bench_retrial.py --memory           # leadsim's peak RSS for 10k, 100k, 1M leads
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


plain = _load("plain_simpy_retrial")

REPS = 20
LOAD = 0.85
CONTACT = 0.3
ATTEMPTS = 6
HANDLE = 5.0
SPACING = 60.0
DRAIN_DAYS = 3.0  # after the last arrival: ample for 5 gaps of mean 60 minutes (checked: no lead censored)


def _scenario(n_leads: int, attempts: int, spacing: list[Any], seed: int) -> Any:
    from leadsim.scenarios.schema import Scenario

    rate = plain.arrival_rate_for_load(LOAD, REPS, HANDLE, CONTACT, attempts)  # per minute
    # Whole days, and no arrivals in the drain (date factor 0): the run ends when every
    # lead has finished, as the plain model's does (checked in _leadsim).
    days = max(1, round(n_leads / (rate * 1440.0)))
    start = dt.date(2026, 1, 5)
    quiet = {str(start + dt.timedelta(days=days + d)): 0.0 for d in range(int(DRAIN_DAYS) + 1)}
    exp = {"exponential": {"mean": HANDLE}}
    return Scenario.model_validate(
        {
            "name": "retrial_benchmark" if attempts > 1 else "mmc_benchmark",
            "calendar": {"start": str(start), "timezone": "UTC", "holidays": []},
            "run": {"warmup_days": 0, "days": days, "drain_days": DRAIN_DAYS, "seed": seed, "sample_minutes": 60},
            "sources": [{"name": "leads", "volume": {"per_day": rate * 1440.0}, "profile": "flat", "expiry_hours": None,
                         "date_factors": quiet}],
            "teams": [
                {
                    "name": "reps",
                    "headcount": REPS,
                    "shifts": [{"days": "mon-sun", "start": "00:00", "end": "24:00"}],
                    "shrinkage": 0,
                    "handle_minutes": {"no_answer": exp, "voicemail": exp, "busy": exp, "bad_number": exp, "talk": exp, "wrap": {"fixed": 0}},
                }
            ],
            "contact": {"base": {"leads": CONTACT}, "attempt_odds": [1.0], "age_decay": None, "voicemail_share": 0.0,
                        "busy_share": 0.0, "bad_number_rate": 0},
            "conversion": {"qualify": {"leads": 0.5}, "close": {"leads": 0.5}, "speed_decay": None},
            "policy": {
                "distribution": "shared_pool",
                "priority": ["fifo"],
                "cadence": {
                    "call_target": attempts,
                    "spacing_minutes": spacing,
                    "calling_window": {"start": "00:00", "end": "24:00", "in": "floor_time"},
                },
            },
        }
    )


def retrial_scenario(n_leads: int, seed: int = 1) -> Any:
    """The retrial workload as a leadsim scenario sized for about ``n_leads`` leads."""
    return _scenario(n_leads, ATTEMPTS, [0, {"exponential": {"mean": SPACING}}], seed)


def mmc_scenario(n_customers: int, seed: int = 1) -> Any:
    """M/M/c (c = 20, load 0.85) as a leadsim scenario: one attempt per lead."""
    return _scenario(n_customers, 1, [0], seed)


def _leadsim(scenario: Any) -> dict[str, float]:
    """Simulate with leadsim and compute every metric; count call attempts and leads."""
    from leadsim.simulator.metrics import compute_all
    from leadsim.simulator.results import LEAD_STATUSES
    from leadsim.simulator.run import simulate

    result = simulate(scenario)
    compute_all(result)
    open_or_censored = int(((result.leads.status == 0) | (result.leads.status == LEAD_STATUSES.index("censored"))).sum())
    if open_or_censored:
        raise RuntimeError(f"{open_or_censored} leads did not finish: lengthen DRAIN_DAYS")
    calls = int((result.attempts.channel == 0).sum())
    return {"leads": len(result.leads), "attempts": calls}


def _ciw_mmc(n_customers: int, seed: int = 1) -> dict[str, float]:
    """M/M/c in Ciw: Poisson arrivals for the time n_customers take on average; completed customers."""
    import ciw

    rate = LOAD * REPS / HANDLE
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=rate)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / HANDLE)],
        number_of_servers=[REPS],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(n_customers / rate)
    records = sim.get_all_records()
    return {"leads": len(records), "attempts": len(records)}


def _timed(fn: Callable[[], dict[str, float]]) -> dict[str, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    figures = fn()
    figures["cpu"] = time.process_time() - cpu
    figures["wall"] = time.perf_counter() - wall
    return figures


def sides(n_leads: int, n_customers: int) -> dict[str, dict[str, Callable[[], dict[str, float]]]]:
    """Per workload, per side: a zero-argument run (scenarios validated here, outside the timing)."""
    retrial = retrial_scenario(n_leads)
    mmc = mmc_scenario(n_customers)
    out: dict[str, dict[str, Callable[[], dict[str, float]]]] = {
        "retrial": {
            "leadsim": lambda: _leadsim(retrial),
            "plain SimPy": lambda: plain.run_plain_simpy(
                n_leads, reps=REPS, load=LOAD, seed=1, contact_prob=CONTACT, max_attempts=ATTEMPTS,
                handle_mean=HANDLE, spacing_minutes=SPACING, spacing="exponential"),
        },
        "M/M/c": {
            "leadsim": lambda: _leadsim(mmc),
            "plain SimPy": lambda: plain.run_plain_simpy(
                n_customers, reps=REPS, load=LOAD, seed=1, contact_prob=CONTACT, max_attempts=1, handle_mean=HANDLE),
        },
    }
    if importlib.util.find_spec("ciw") is not None:
        out["M/M/c"]["Ciw"] = lambda: _ciw_mmc(n_customers)
    else:
        print("Ciw is not installed (pip install -e .[bench]): its column is skipped")
    return out


def compare(n_leads: int, n_customers: int, rounds: int) -> None:
    """Run every side ``rounds`` times, interleaved, and print medians and ratios to plain SimPy."""
    runs = sides(n_leads, n_customers)
    order = [(w, s) for w, by_side in runs.items() for s in by_side]
    samples: dict[tuple[str, str], list[dict[str, float]]] = {key: [] for key in order}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    for r in range(rounds):
        rotated = order[r % len(order):] + order[: r % len(order)]
        for workload, side in rotated:
            samples[(workload, side)].append(_timed(runs[workload][side]))
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"median of {rounds} rounds; units: attempts (retrial), customers (M/M/c)")
    print("| workload | side | leads | units | CPU s | wall s | units/s CPU | units/s wall | CPU ratio to plain SimPy | wall ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for workload, by_side in runs.items():
        rates = {}
        for side in by_side:
            got = samples[(workload, side)]
            cpu = statistics.median(g["cpu"] for g in got)
            wall = statistics.median(g["wall"] for g in got)
            units = got[0]["attempts"]
            rates[side] = (units / cpu, units / wall, got[0]["leads"], units, cpu, wall)
        base_cpu, base_wall = rates["plain SimPy"][0], rates["plain SimPy"][1]
        for side, (r_cpu, r_wall, leads, units, cpu, wall) in rates.items():
            print(f"| {workload} | {side} | {leads:,.0f} | {units:,.0f} | {cpu:.2f} | {wall:.2f} | {r_cpu:,.0f} | "
                  f"{r_wall:,.0f} | {r_cpu / base_cpu:.2f} | {r_wall / base_wall:.2f} |")


def run_leadsim(n_leads: int, seed: int = 1) -> dict[str, float]:
    """The retrial workload through leadsim, timed by wall clock (for :func:`memory`)."""
    scenario = retrial_scenario(n_leads, seed)
    return _timed(lambda: _leadsim(scenario))


def memory() -> None:
    """Peak resident memory of a leadsim run for 10k, 100k and 1M leads (fresh process each)."""
    mem = _load("memory")
    for n in (10_000, 100_000, 1_000_000):
        figures, peak = mem.measure(run_leadsim, n)
        print(f"{n:>9,} leads | {figures['attempts']:>9,.0f} attempts | peak RSS {peak:8.1f} MB | {peak * 1024 / n:.2f} kB per lead")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="retrial leads (default 100,000)")
    parser.add_argument("--customers", type=int, default=300_000, help="M/M/c customers (default 300,000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds, median reported (default 3)")
    parser.add_argument("--memory", action="store_true", help="leadsim's peak RSS for 10k, 100k, 1M leads")
    args = parser.parse_args(argv)
    if args.memory:
        memory()
    else:
        compare(args.leads, args.customers, args.rounds)


if __name__ == "__main__":
    main(sys.argv[1:])
