"""Replications per second of the baseline scenario with 1 and 2 worker processes.

Runs the same replications of ``scenarios/baseline.yaml`` (its full 7 + 28 + 14
days) the way ``leadsim run -r R --jobs J`` does (simulate, then compute every
metric in the worker), for J = 1 and J = 2, and prints replications per second,
the speed-up and whether the two produced bit-identical metrics.

The wall time includes starting the worker pool, as a user would experience
it. Numbers depend on the machine and on what else it is doing: run it on an
idle machine (the script prints the load average before it starts).

Usage::

    python benchmarks/bench_replications.py            # 16 replications
    python benchmarks/bench_replications.py 32 --jobs 1 2 4
"""

from __future__ import annotations

import argparse
import json
import os
import time

from leadsim.planner.replicate import aggregate_summaries, run_grid
from leadsim.scenarios.loader import load_scenario


def measure(replications: int, jobs: int, seed: int = 1) -> tuple[float, str]:
    """Run the baseline's replications with ``jobs`` workers.

    Returns:
        (replications per second, the metrics document as JSON text).
    """
    scenario = load_scenario("baseline")
    start = time.perf_counter()
    runs = run_grid([scenario], range(replications), seed, jobs=jobs)[0]
    elapsed = time.perf_counter() - start
    doc = aggregate_summaries(runs, scenario.name, seed)
    return replications / elapsed, json.dumps(doc, sort_keys=True)


def main() -> None:
    """Command line: replications and the job counts to compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("replications", type=int, nargs="?", default=16)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1, help="Take the best of this many timings.")
    args = parser.parse_args()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"baseline, {args.replications} replications; {os.cpu_count()} cores; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    rates: dict[int, float] = {}
    docs: dict[int, str] = {}
    for jobs in args.jobs:
        best = 0.0
        for _ in range(args.repeat):
            rate, docs[jobs] = measure(args.replications, jobs)
            best = max(best, rate)
        rates[jobs] = best
        print(f"  jobs {jobs}: {best:6.2f} replications/s")
    first = args.jobs[0]
    for jobs in args.jobs[1:]:
        same = "identical" if docs[jobs] == docs[first] else "DIFFERENT (a bug!)"
        print(f"  speed-up {jobs} vs {first} jobs: {rates[jobs] / rates[first]:.2f}x; metrics {same}")


if __name__ == "__main__":
    main()
