"""Round-trip coverage of leadsim calibrate: simulate with known parameters, calibrate, count.

For each seed, ``leadsim run`` simulates a scenario (default: the bundled
baseline, one replication) and writes leads.csv and attempts.csv; ``calibrate``
fits them; every known parameter that has a fitted 95% interval is checked
(see leadsim.calibration.truth for what "known" means for relative and merged
quantities). Prints the coverage per parameter group and overall; nominal is 95%.

    PYTHONPATH=src python benchmarks/bench_calibrate_roundtrip.py --seeds 10
"""

from __future__ import annotations

import argparse
import collections
import tempfile
from pathlib import Path

from leadsim.calibration.command import calibrate
from leadsim.calibration.truth import arrival_estimates, coverage, known_values
from leadsim.outputs.logs import write_attempts_csv, write_leads_csv
from leadsim.scenarios.loader import load_scenario
from leadsim.simulator.run import simulate


def one_seed(scenario_name: str, seed: int, folder: Path) -> list[dict]:
    scenario = load_scenario(scenario_name, [f"run.seed={seed}"])
    result = simulate(scenario, seed, 0)
    start, zone = scenario.calendar.start, scenario.calendar.timezone
    write_leads_csv(result, folder / "leads.csv", start, zone)
    write_attempts_csv(result, folder / "attempts.csv", start, zone)
    out = calibrate(leads=folder / "leads.csv", activities=folder / "attempts.csv", base=scenario_name,
                    out=folder / "cal")
    estimates = dict(out.estimates)
    estimates.update(arrival_estimates(out.fit))
    return coverage(estimates, known_values(scenario, out.fit))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1)
    args = parser.parse_args()
    groups: dict[str, list[bool]] = collections.defaultdict(list)
    misses: collections.Counter[str] = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            folder = Path(tmp) / f"s{seed}"
            folder.mkdir()
            rows = one_seed(args.scenario, seed, folder)
            for row in rows:
                group = ".".join(row["parameter"].split(".")[:2])
                groups[group].append(row["covered"])
                if not row["covered"]:
                    misses[row["parameter"]] += 1
            inside = sum(r["covered"] for r in rows)
            print(f"seed {seed}: {inside}/{len(rows)} known values inside their 95% intervals", flush=True)
    total = [c for v in groups.values() for c in v]
    print(f"\n{'group':<32} {'checks':>7} {'covered':>8}")
    for group, flags in sorted(groups.items()):
        print(f"{group:<32} {len(flags):>7} {sum(flags) / len(flags):>8.1%}")
    print(f"{'ALL':<32} {len(total):>7} {sum(total) / len(total):>8.1%}   (nominal 95%)")
    if misses:
        print("\nmost often missed:", ", ".join(f"{k} ({v})" for k, v in misses.most_common(8)))


if __name__ == "__main__":
    main()
