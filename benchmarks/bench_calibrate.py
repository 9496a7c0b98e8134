"""Speed and peak memory of calibration's readers at 1M and 5M activity rows.

Writes a synthetic leads log and activity log in the canonical schema (one lead
per three activities, a few bad rows mixed in), then reads and validates them
with leadsim's streaming readers in a fresh process each (benchmarks/memory.py),
and prints rows per second and the peak resident memory. The fits run on the
compact tables the readers return (see --fit).

    PYTHONPATH=src python benchmarks/bench_calibrate.py --rows 1000000 5000000

The peak includes the interpreter, numpy, pandas, scipy and statsmodels (about
150 MB); compare sizes by the growth.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from memory import measure

OUTCOMES = np.array(["no_answer", "voicemail", "busy", "contact", "qualified", "converted"])


def write_logs(folder: Path, rows: int, seed: int = 1) -> tuple[Path, Path]:
    """Synthetic leads.csv and activities.csv with ``rows`` activities (written in chunks)."""
    rng = np.random.default_rng(seed)
    leads_n = rows // 3
    start = pd.Timestamp("2026-01-05T00:00:00", tz="America/Chicago")
    created = np.sort(rng.uniform(0, 90 * 86400, leads_n))
    leads = pd.DataFrame({
        "lead_id": np.arange(leads_n), "created_at": (start + pd.to_timedelta(created, unit="s")).strftime("%Y-%m-%dT%H:%M:%S%z"),
        "source": rng.choice(["web_form", "partner"], leads_n), "timezone": "America/Chicago"})
    leads["created_at"] = leads["created_at"].str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True)
    leads_path, acts_path = folder / "leads.csv", folder / "activities.csv"
    leads.to_csv(leads_path, index=False)
    with open(acts_path, "w", encoding="utf-8") as handle:
        handle.write("lead_id,rep_id,started_at,channel,outcome,duration_seconds\n")
        chunk = 500_000
        for first in range(0, rows, chunk):
            n = min(chunk, rows - first)
            lead = rng.integers(0, leads_n, n)
            when = created[lead] + rng.exponential(3600.0, n)
            frame = pd.DataFrame({
                "lead_id": lead, "rep_id": "rep" + pd.Series(rng.integers(0, 50, n)).astype(str),
                "started_at": (start + pd.to_timedelta(when, unit="s")).strftime("%Y-%m-%dT%H:%M:%S%z"),
                "channel": "call", "outcome": OUTCOMES[rng.integers(0, 6, n)],
                "duration_seconds": np.round(rng.lognormal(4.0, 0.8, n), 1)})
            frame["started_at"] = frame["started_at"].str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True)
            frame.loc[frame.index[::100_000], "duration_seconds"] = -1.0  # a few bad rows
            frame.to_csv(handle, index=False, header=False)
    return leads_path, acts_path


def read_only(leads_path: str, acts_path: str, fit: bool) -> dict:
    """Read (and optionally fit) in this process; return rows and seconds."""
    from leadsim.calibration.colmap import ColumnMap
    from leadsim.calibration.reader import (
        Quarantine,
        ReadContext,
        read_activities,
        read_leads,
    )

    t0 = time.perf_counter()
    ctx = ReadContext(ColumnMap(), "America/Chicago", Quarantine(Path(acts_path).with_name("quarantine.csv")))
    leads, _ = read_leads(Path(leads_path), ctx)
    t1 = time.perf_counter()
    acts, summary = read_activities(Path(acts_path), ctx, leads)
    ctx.quarantine.close()
    t2 = time.perf_counter()
    out = {"lead_rows": len(leads), "activity_rows": summary.rows_read, "used": summary.rows_used,
           "quarantined": sum(summary.quarantined.values()), "read_leads_s": t1 - t0, "read_activities_s": t2 - t1,
           "table_mb": float(acts.memory_usage(deep=True).sum()) / 2**20}
    if fit:
        from leadsim.calibration.attempts import call_table
        from leadsim.calibration.estimates import FitLog
        from leadsim.calibration.fits_contact import fit_contact
        from leadsim.calibration.fits_handle import fit_handle_times

        table = call_table(leads, acts, "America/Chicago")
        log = FitLog()
        fit_handle_times(table["outcome"].to_numpy(), table["duration"].to_numpy(), log)
        fit_contact(table, np.zeros(len(table), dtype=bool), log)
        out["fit_s"] = time.perf_counter() - t2
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--fit", action="store_true", help="Also run the handle-time and contact fits.")
    args = parser.parse_args()
    print(f"{'activity rows':>14} {'read s':>8} {'rows/s':>10} {'peak MB':>8} {'table MB':>9} {'quarantined':>11}"
          + (f" {'fit s':>7}" if args.fit else ""))
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            leads_path, acts_path = write_logs(Path(tmp), rows)
            result, peak = measure(read_only, str(leads_path), str(acts_path), args.fit)
            seconds = result["read_activities_s"]
            line = (f"{result['activity_rows']:>14,} {seconds:>8.1f} {result['activity_rows'] / seconds:>10,.0f} "
                    f"{peak:>8.0f} {result['table_mb']:>9.0f} {result['quarantined']:>11,}")
            if args.fit:
                line += f" {result['fit_s']:>7.1f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
