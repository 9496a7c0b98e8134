"""How much a run's outputs for people cost beside the simulation (issue 11).

Times, for one replication of a scenario (default: the bundled baseline):
the simulation; the plot data (plot_data.json's frames, always written by
``leadsim run``); reps.csv; and drawing the PNGs (``leadsim run --plots``, or
``leadsim report`` later), including matplotlib's import. Prints seconds;
nothing here fails a build.

    PYTHONPATH=src python benchmarks/bench_run_plots.py [SCENARIO] [REPEATS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "baseline"
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    from leadsim.outputs.run_plots import write_reps_csv, write_run_plots
    from leadsim.outputs.run_plots_data import plot_bundle
    from leadsim.scenarios.loader import load_scenario
    from leadsim.simulator.run import simulate

    scenario = load_scenario(name)
    timings: dict[str, list[float]] = {"simulate": [], "plot data": [], "reps.csv": [], "draw PNGs": []}
    for _repeat in range(repeats):
        start = time.perf_counter()
        result = simulate(scenario, seed=1, replication=0)
        timings["simulate"].append(time.perf_counter() - start)
        start = time.perf_counter()
        bundle = plot_bundle(result, scenario)
        timings["plot data"].append(time.perf_counter() - start)
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            write_reps_csv(Path(folder), result)
            timings["reps.csv"].append(time.perf_counter() - start)
            start = time.perf_counter()  # the first repeat includes importing matplotlib
            write_run_plots(Path(folder), bundle)
            timings["draw PNGs"].append(time.perf_counter() - start)
    for what, values in timings.items():
        print(f"{what:>10}: best {min(values):.2f} s, first {values[0]:.2f} s over {repeats} repeats")


if __name__ == "__main__":
    main()
