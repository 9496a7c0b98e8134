"""CPU time of whole command-line invocations, optionally against another source tree.

Each command runs in a fresh interpreter (``python -m leadsim ...``); the CPU time
is the child's user + system time (``resource.getrusage(RUSAGE_CHILDREN)``), so
start-up and imports count, as a user feels them. With ``--before PATH`` (e.g. a
``git worktree`` of main) the same commands run against ``PATH/src`` too,
interleaved with this tree's, so both sides see the same machine load; the
median of ``--repeat`` runs is reported, with the load average.

Usage::

    git worktree add --detach ../before main
    python benchmarks/bench_cli.py --before ../before --repeat 5
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMANDS: list[tuple[str, list[str]]] = [
    ("leadsim --help", ["--help"]),
    ("leadsim validate baseline", ["validate", "baseline"]),
    ("leadsim run baseline", ["run", "baseline", "--out", "{out}"]),
]


def run_once(src: Path, args: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one ``python -m leadsim`` run against ``src``."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = [a.replace("{out}", str(Path(tmp) / "run")) for a in args]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        subprocess.run([sys.executable, "-m", "leadsim", *argv], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(src)})
        wall = time.perf_counter() - wall
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout to compare with (its src/ is used)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command and side (median reported)")
    args = parser.parse_args(argv)
    sides = {"this tree": HERE.parent / "src"}
    if args.before is not None:
        sides = {"before": args.before.resolve() / "src", **sides}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(args.repeat):
        for label, cmd in COMMANDS:
            for side, src in sides.items():
                samples.setdefault((label, side), []).append(run_once(src, cmd))
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"median of {args.repeat}, interleaved")
    print("| command | " + " | ".join(f"{s} CPU s | {s} wall s" for s in sides) + (" | CPU after/before |" if len(sides) > 1 else " |"))
    print("|---|" + "---:|---:|" * len(sides) + ("---:|" if len(sides) > 1 else ""))
    for label, _ in COMMANDS:
        cells, cpus = [], []
        for side in sides:
            got = samples[(label, side)]
            cpu = statistics.median(c for c, _ in got)
            cpus.append(cpu)
            cells.append(f"{cpu:.2f} | {statistics.median(w for _, w in got):.2f}")
        ratio = f" | {cpus[-1] / cpus[0]:.2f} |" if len(sides) > 1 else " |"
        print(f"| `{label}` | " + " | ".join(cells) + ratio)


if __name__ == "__main__":
    main(sys.argv[1:])
