"""Coverage of the inbound round trip: how often the known values fall inside the fitted 95% intervals.

Simulates the round-trip floor of tests/test_calibrate_inbound.py (300 calls a day, 4-minute
lognormal talk, Weibull patience shape 0.8 scale 90 s, a staffing table) for many seeds, writes
each run's calls.csv, calibrates it and counts, per value, the seeds whose 95% interval covers the
truth. Prints one line per value and the overall rate (nominal: 95%).

    PYTHONPATH=src python benchmarks/bench_calibrate_inbound_coverage.py [seeds]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from leadsim.calibration.command import calibrate
from test_calibrate_inbound import TRUTH, _calls_log

CHECKS = {"volume.per_day": TRUTH["per_day"], "handle.talk.mean_minutes": TRUTH["talk_mean"],
          "patience.weibull.shape": TRUTH["shape"], "patience.weibull.scale": TRUTH["scale"]}


def main(seeds: int) -> None:
    """Run the round trip for ``seeds`` seeds and print the coverage per value and overall."""
    hits = dict.fromkeys(CHECKS, 0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for seed in range(1, seeds + 1):
            est = calibrate(calls=_calls_log(folder, seed), out=folder / f"cal{seed}",
                            capacity_factor=False).estimates
            for key, truth in CHECKS.items():
                hits[key] += est[key].covers(truth)
    for key, n in hits.items():
        print(f"{key:28s} {n}/{seeds} covered ({n / seeds:.0%})")
    total = sum(hits.values())
    print(f"{'overall':28s} {total}/{seeds * len(CHECKS)} covered ({total / (seeds * len(CHECKS)):.1%}); nominal 95%")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
