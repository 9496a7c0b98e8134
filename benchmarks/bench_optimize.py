"""Benchmarks of ``leadsim optimize``: search quality, and what a trial costs in storage.

1. Search quality (default). A space small enough to search exhaustively --
   headcount 4..14 x call target 1..8 x 3 spacings (first gap 10, 60 or 240
   minutes, growth 2) = 264 plans on the baseline, objective profit -- is
   evaluated at every point with the same replications and seeds a search uses
   (R = 4, seed 1). Then the default sampler (TPE) and, for reference, the
   random sampler search it with 10 sampler seeds each. A trial's value is the
   exhaustive table's value at that plan: with common random numbers a plan's
   replications give the same numbers whenever they run, so this is exactly
   what a search that simulated would see (``--verify N`` re-simulates N random
   plans to show it). Reported: the share of the grid within 1% of the optimum
   (what a random pick achieves by chance) and the trials each sampler needs to
   reach within 1% of the optimum, as counts and as shares of the grid.

2. ``--storage``: overhead per trial of the SQLite file (the embedded default),
   Optuna's journal file and PostgreSQL (``--postgres URL``), measured as the
   time of the ask-run-tell loop with a trial that simulates nothing, minus the
   same loop on in-memory storage; beside it, the simulation time of one trial
   of the baseline (R = 4, one process).

3. ``--kill``: how long a new writer waits after a writer holding the storage's
   lock is killed with ``kill -9`` (SQLite, journal file).

Run from the repository root inside the virtualenv, e.g.::

    python benchmarks/bench_optimize.py --jobs 2            # ~4 minutes on 2 cores; caches the table
    python benchmarks/bench_optimize.py --storage --postgres postgresql://postgres@/postgres?host=/tmp/pg
    python benchmarks/bench_optimize.py --kill
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from leadsim.planner.goals import parse_objectives
from leadsim.planner.optimize import OptimizeConfig, make_sampler
from leadsim.planner.space import space_from_params

PARAMS = ["teams.sdr.headcount=4..14", "policy.cadence.call_target=1..8",
          "spacing.first_gap_minutes=10,60,240", "spacing.growth=2"]
SEEDS = tuple(range(1, 11))
ROUNDS = 3
CACHE = ROOT / "runs" / "bench_optimize_grid.json"  # runs/ is not in version control


def config(sampler: str = "tpe", sampler_seed: int = 1, replications: int = 4) -> OptimizeConfig:
    return OptimizeConfig("baseline", (), space_from_params(PARAMS), tuple(parse_objectives(["profit"])),
                          replications=replications, seed=1, sampler=sampler, sampler_seed=sampler_seed)


def _key(values: dict[str, Any]) -> str:
    return json.dumps([values[p.split("=")[0]] for p in PARAMS[:3]])


def exhaustive(jobs: int, replications: int) -> dict[str, float]:
    """Profit (mean over R replications, seed 1) at every plan of the grid, cached on disk."""
    if CACHE.exists():
        cached = json.loads(CACHE.read_text())
        if cached["replications"] == replications:
            return cached["table"]
    from leadsim.planner.replicate import run_grid
    from leadsim.planner.space import overrides_for
    from leadsim.planner.stats import summarize
    from leadsim.scenarios.loader import load_scenario

    cfg = config(replications=replications)
    base = load_scenario("baseline")
    CACHE.parent.mkdir(exist_ok=True)
    plans = [{"teams.sdr.headcount": h, "policy.cadence.call_target": c, "spacing.first_gap_minutes": g,
              "spacing.growth": 2} for h in range(4, 15) for c in range(1, 9) for g in (10, 60, 240)]
    scenarios = [load_scenario("baseline", overrides_for(cfg.space, p, base)) for p in plans]
    started = time.perf_counter()
    grid = run_grid(scenarios, range(replications), 1, jobs=jobs)
    seconds = time.perf_counter() - started
    table = {_key(p): summarize([r.metrics["profit"] for r in runs]).mean for p, runs in zip(plans, grid)}
    CACHE.write_text(json.dumps({"replications": replications, "seconds": seconds, "table": table}))
    print(f"exhaustive grid: {len(plans)} plans x {replications} replications in {seconds:.0f} s")
    return table


def search(table: dict[str, float], sampler: str, seed: int, budget: int) -> list[float]:
    """Values of the trials leadsim's own search loop runs, with plans looked up in the exhaustive table.

    This is ``leadsim optimize``'s loop (``run_study``: repeats of a plan are not run
    again, and the next plan is explored at random), only the simulation of a plan is
    replaced by its row of the table -- the very numbers the simulation returns.
    """
    import optuna

    import leadsim.planner.optimize as opt

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cfg = config(sampler, seed)
    study = optuna.create_study(direction="maximize", sampler=make_sampler(cfg))

    def lookup(config: Any, base: Any, values: dict[str, Any], jobs: int, progress: Any = None) -> Any:
        value = table[_key(values)]
        return opt.TrialResult({"profit": value}, {"profit": [value]}, [value], [])

    simulate, opt.run_plan = opt.run_plan, lookup  # type: ignore[assignment]
    try:
        opt.run_study(cfg, study, None, budget)
    finally:
        opt.run_plan = simulate  # type: ignore[assignment]
    return [t.values[0] for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]


def trials_to_within(values: list[float], optimum: float, tolerance: float = 0.01) -> int | None:
    """1-based index of the first trial within ``tolerance`` of the optimum (None if never)."""
    for i, v in enumerate(values, start=1):
        if v >= optimum - tolerance * abs(optimum):
            return i
    return None


def quality(jobs: int, replications: int, verify: int) -> None:
    table = exhaustive(jobs, replications)
    values = list(table.values())
    optimum = max(values)
    best = [k for k, v in table.items() if v == optimum]
    near = sum(1 for v in values if v >= optimum - 0.01 * abs(optimum))
    n = len(values)
    print(f"space: headcount 4..14 x call target 1..8 x first gap {{10, 60, 240}} min (growth 2) = {n} plans; "
          f"objective profit, R = {replications}, seed 1")
    print(f"exhaustive optimum: profit {optimum:,.0f} at [headcount, call target, first gap] = {', '.join(best)}")
    print(f"plans within 1% of the optimum: {near} of {n} ({near / n:.1%}) -- what a random pick hits by chance")
    if verify:
        _verify(table, verify, replications)
    print()
    print("| sampler | sampler seeds | trials to within 1% (each seed) | mean | share of grid (mean) | worst |")
    print("| --- | --- | --- | --- | --- | --- |")
    for sampler in ("tpe", "random"):
        counts = []
        for seed in SEEDS:
            found = trials_to_within(search(table, sampler, seed, n), optimum)
            counts.append(found if found is not None else n)
        mean = statistics.mean(counts)
        print(f"| {sampler} | {', '.join(map(str, SEEDS))} | {', '.join(map(str, counts))} | {mean:.1f} | "
              f"{mean / n:.1%} | {max(counts)} ({max(counts) / n:.1%}) |")


def _verify(table: dict[str, float], count: int, replications: int) -> None:
    import random

    from leadsim.planner.optimize import run_plan
    from leadsim.scenarios.loader import load_scenario

    cfg = config(replications=replications)
    base = load_scenario("baseline")
    rng = random.Random(7)
    for key in rng.sample(sorted(table), count):
        h, c, g = json.loads(key)
        plan = {"teams.sdr.headcount": h, "policy.cadence.call_target": c, "spacing.first_gap_minutes": g,
                "spacing.growth": 2}
        value = run_plan(cfg, base, plan, jobs=1).means["profit"]
        assert value == table[key], (key, value, table[key])
    print(f"verified: {count} plans re-simulated give exactly the table's values")


# ---------------------------------------------------------------- storage overhead


def storage_overhead(trials: int, postgres: str | None) -> None:
    import optuna

    import leadsim.planner.optimize as opt
    from leadsim.planner.study_store import open_storage, parse_storage
    from leadsim.scenarios.loader import load_scenario

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cfg = config("random")
    base = load_scenario("baseline")
    started = time.perf_counter()
    real = opt.run_plan(cfg, base, {"teams.sdr.headcount": 10, "policy.cadence.call_target": 6,
                                    "spacing.first_gap_minutes": 60, "spacing.growth": 2}, jobs=1)
    simulate = time.perf_counter() - started
    opt.run_plan = lambda *args, **kwargs: real  # type: ignore[assignment]  # a trial that simulates nothing

    def per_trial(storage: Any) -> float:
        study = optuna.create_study(storage=storage, sampler=make_sampler(cfg), direction="maximize",
                                    study_name=f"bench-{time.time_ns()}")
        tick = time.perf_counter()
        opt.run_study(cfg, study, base, trials, jobs=1)
        return (time.perf_counter() - tick) / trials

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        kinds = {"in-memory (no storage)": lambda i: optuna.storages.InMemoryStorage(),
                 "SQLite file (default)": lambda i: open_storage(parse_storage(None, folder / str(i))),
                 "journal file": lambda i: open_storage(parse_storage(f"journal:{folder / str(i) / 'j.log'}", folder))}
        if postgres:
            kinds["PostgreSQL (local socket)"] = lambda i: open_storage(parse_storage(postgres, folder))
        # Rounds alternate the storages, so a busy moment of the machine does not land on one of them.
        rounds: dict[str, list[float]] = {name: [] for name in kinds}
        for i in range(ROUNDS):
            for name, make in kinds.items():
                rounds[name].append(per_trial(make(i)))
        results = {name: statistics.median(values) for name, values in rounds.items()}
    memory = results.pop("in-memory (no storage)")
    print(f"ask-run-tell loop, {trials} trials, random sampler, a trial that simulates nothing, median of "
          f"{ROUNDS} alternating rounds; "
          f"in-memory storage: {memory * 1000:.1f} ms per trial")
    print(f"one trial of the baseline (R = 4, 28 days, one process): {simulate * 1000:,.0f} ms")
    print()
    print("| storage | loop per trial | storage overhead per trial | overhead / simulation |")
    print("| --- | --- | --- | --- |")
    for name, seconds in results.items():
        overhead = seconds - memory
        print(f"| {name} | {seconds * 1000:.1f} ms | {overhead * 1000:.1f} ms | {overhead / simulate:.1%} |")


# ---------------------------------------------------------------- kill -9


_HOLD = """
import sqlite3, sys, time
kind, path = sys.argv[1], sys.argv[2]
if kind == "sqlite":
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO t VALUES (1)")
else:
    from optuna.storages.journal import JournalFileSymlinkLock
    JournalFileSymlinkLock(path).acquire()
print("locked", flush=True)
time.sleep(600)
"""


def kill_test() -> None:
    import sqlite3

    from optuna.storages.journal import JournalFileBackend

    with tempfile.TemporaryDirectory() as tmp:
        db, journal = Path(tmp) / "study.db", Path(tmp) / "journal.log"
        sqlite3.connect(db).execute("CREATE TABLE t (x INTEGER)").connection.commit()
        backend = JournalFileBackend(str(journal))
        script = Path(tmp) / "hold.py"
        script.write_text(_HOLD)
        print("| storage | a writer holding the lock is killed -9; the next write waits |")
        print("| --- | --- |")
        for kind, path in (("sqlite", db), ("journal", journal)):
            proc = subprocess.Popen([sys.executable, str(script), kind, str(path)], stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
            proc.kill()
            proc.wait()
            tick = time.perf_counter()
            if kind == "sqlite":
                writer = sqlite3.connect(db, timeout=120, isolation_level=None)
                writer.execute("BEGIN IMMEDIATE")
                writer.execute("INSERT INTO t VALUES (2)")
                writer.execute("COMMIT")
            else:
                backend.append_logs([{"op_code": 0, "worker_id": "bench", "study_name": "x", "directions": [1]}])
            print(f"| {kind} | {time.perf_counter() - tick:.2f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1, help="processes for the exhaustive grid")
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--verify", type=int, default=3, help="plans re-simulated to check the table")
    parser.add_argument("--storage", action="store_true", help="measure storage overhead per trial")
    parser.add_argument("--trials", type=int, default=60, help="trials per storage in --storage")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL for --storage")
    parser.add_argument("--kill", action="store_true", help="measure the wait after a kill -9 of a lock holder")
    args = parser.parse_args()
    if args.storage:
        storage_overhead(args.trials, args.postgres)
    elif args.kill:
        kill_test()
    else:
        quality(args.jobs, args.replications, args.verify)


if __name__ == "__main__":
    main()
