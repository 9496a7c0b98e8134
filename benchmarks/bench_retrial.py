"""leadsim vs a plain-SimPy model on the same retrial workload, in the same process.

Workload: 20 reps on duty around the clock, Poisson arrivals at 85% load
(retries included), contact probability 0.3 per attempt, up to 6 attempts,
60 minutes between attempts, exponential handle time with mean 5 minutes.

leadsim runs it through the real engine (shared pool, FIFO tiers, cadence,
calling window of 24 h) and collects every log the metrics need; the metrics
themselves are computed too and included in leadsim's time.

Usage::

    python benchmarks/bench_retrial.py [N_LEADS ...]     # default: 10000 100000
    python benchmarks/bench_retrial.py --memory           # peak RSS for 10k, 100k, 1M leads
"""

from __future__ import annotations

import importlib.util
import sys
import time
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


def retrial_scenario(n_leads: int, seed: int = 1) -> Any:
    """The retrial workload as a leadsim scenario sized for about ``n_leads`` leads."""
    from leadsim.scenarios.schema import Scenario

    rate = plain.arrival_rate_for_load(LOAD, REPS, HANDLE, CONTACT, ATTEMPTS)  # per minute
    days = n_leads / (rate * 1440.0)
    exp = {"exponential": {"mean": HANDLE}}
    return Scenario.model_validate(
        {
            "name": "retrial_benchmark",
            "calendar": {"start": "2026-01-05", "timezone": "UTC"},
            "run": {"warmup_days": 0, "days": days, "drain_days": 0.5, "seed": seed, "sample_minutes": 60},
            "sources": [{"name": "leads", "volume": {"per_day": rate * 1440.0}, "profile": "flat"}],
            "teams": [
                {
                    "name": "reps",
                    "headcount": REPS,
                    "shifts": [{"days": "mon-sun", "start": "00:00", "end": "24:00"}],
                    "handle_minutes": {"no_answer": exp, "voicemail": exp, "busy": exp, "bad_number": exp, "talk": exp, "wrap": {"fixed": 0}},
                }
            ],
            "contact": {"base": {"leads": CONTACT}, "age_decay": None, "voicemail_share": 0.0, "busy_share": 0.0},
            "conversion": {"qualify": {"leads": 0.5}, "close": {"leads": 0.5}, "speed_decay": None},
            "policy": {
                "priority": ["new_leads", "due_followups"],
                "cadence": {
                    "call_target": ATTEMPTS,
                    "spacing_minutes": [0, SPACING],
                    "calling_window": {"start": "00:00", "end": "24:00"},
                },
            },
        }
    )


def run_leadsim(n_leads: int, seed: int = 1) -> dict[str, float]:
    """Simulate the workload with leadsim and compute all metrics; return figures."""
    from leadsim.simulator.metrics import compute_all
    from leadsim.simulator.run import simulate

    scenario = retrial_scenario(n_leads, seed)
    start = time.perf_counter()
    result = simulate(scenario)
    compute_all(result)
    wall = time.perf_counter() - start
    calls = int((result.attempts.channel == 0).sum())
    return {"leads": len(result.leads), "attempts": calls, "wall_seconds": wall, "attempts_per_second": calls / wall}


def compare(n_leads: int) -> None:
    """Print attempts per second for both models and their ratio."""
    ours = run_leadsim(n_leads)
    theirs = plain.run_plain_simpy(n_leads, reps=REPS, load=LOAD, seed=1)
    ratio = ours["attempts_per_second"] / theirs["attempts_per_second"]
    print(
        f"{n_leads:>9,} leads | leadsim {ours['attempts_per_second']:>9,.0f} attempts/s "
        f"({ours['attempts']:,} attempts, {ours['wall_seconds']:.2f} s) | plain SimPy "
        f"{theirs['attempts_per_second']:>9,.0f} attempts/s ({theirs['attempts']:,} attempts, "
        f"{theirs['wall_seconds']:.2f} s) | ratio {ratio:.2f}"
    )


def memory() -> None:
    """Peak resident memory of a leadsim run for 10k, 100k and 1M leads (fresh process each)."""
    mem = _load("memory")
    for n in (10_000, 100_000, 1_000_000):
        figures, peak = mem.measure(run_leadsim, n)
        print(f"{n:>9,} leads | {figures['attempts']:>9,} attempts | peak RSS {peak:8.1f} MB | {peak * 1024 / n:.2f} kB per lead")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--memory"]:
        memory()
    else:
        for n in [int(a) for a in args] or [10_000, 100_000]:
            compare(n)
