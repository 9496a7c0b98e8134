"""The run folder: where a command's results go (never into the source tree)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(name: str) -> str:
    """A scenario name made safe for a folder name (no separators, no spaces)."""
    cleaned = _UNSAFE.sub("-", name).strip("-.")
    return cleaned or "scenario"


def make_run_dir(out: str | Path | None, scenario_name: str, base: Path = Path("runs"),
                 now: dt.datetime | None = None) -> Path:
    """Create and return the folder a run writes to.

    Args:
        out: the folder the user chose (``--out``); it is created if missing and
            reused if it exists. None picks ``base/<YYYYmmdd-HHMMSS>-<name>/``.
        scenario_name: the scenario's name (made filesystem-safe).
        base: parent of default run folders.
        now: the timestamp to use (default: the local time now).

    Returns:
        The created folder. A default folder never reuses an existing one: if the
        name is taken (two runs in the same second) "-2", "-3", ... is appended.
    """
    if out is not None:
        path = Path(out)
        path.mkdir(parents=True, exist_ok=True)
        return path
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    stem = f"{stamp}-{_safe_name(scenario_name)}"
    base.mkdir(parents=True, exist_ok=True)
    candidate, suffix = base / stem, 1
    while True:
        try:
            # mkdir without exist_ok is the atomic "claim": two processes cannot both win.
            candidate.mkdir()
            return candidate
        except FileExistsError:
            suffix += 1
            candidate = base / f"{stem}-{suffix}"


def jsonable(obj: Any) -> Any:
    """Convert a document to plain JSON types: numpy scalars to Python, NaN/inf to None."""
    if isinstance(obj, dict):
        return {str(key): jsonable(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(value) for value in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(value) for value in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    return obj


def write_json(doc: Any, path: str | Path) -> Path:
    """Write a document as indented JSON (NaN written as null), atomically.

    Args:
        doc: the document (dicts, lists, numbers, strings; numpy scalars allowed).
        path: the file to write.

    Returns:
        The path written.
    """
    path = Path(path)
    text = json.dumps(jsonable(doc), indent=2, allow_nan=False) + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    # Replace in one step so a reader never sees half a metrics.json.
    os.replace(tmp, path)
    return path


def write_backlog_csv(result: Any, path: str | Path, calendar_start: dt.date, timezone: str) -> Path:
    """Write the sampled backlog of due leads over time (one row per sample).

    Args:
        result: a RunResult.
        path: the CSV file.
        calendar_start: the scenario's day 0.
        timezone: the floor's zone (timestamps are written in it).
    """
    import pandas as pd

    from leadsim.outputs.logs import format_timestamps

    samples = result.backlog
    frame = pd.DataFrame(
        {
            "at": format_timestamps(samples.time, calendar_start, timezone),
            "minute": samples.time,
            "due_leads": samples.due,
            "due_new_leads": samples.new,
        }
    )
    frame.to_csv(path, index=False)
    return Path(path)


def write_run_folder(folder: Path, scenario: Any, doc: dict[str, Any], first: Any, resolved: str) -> list[Path]:
    """Write a run's files: metrics.json, leads.csv, attempts.csv, backlog.csv, scenario.resolved.yaml.

    The logs are those of the first replication (replication 0): one run's worth of
    leads and attempts in the canonical log schema, ready for calibration.

    Args:
        folder: the run folder (already created).
        scenario: the resolved Scenario.
        doc: the metrics.json document.
        first: the RunResult of replication 0.
        resolved: the resolved scenario as YAML text.

    Returns:
        The files written.
    """
    from leadsim.outputs.logs import write_attempts_csv, write_leads_csv

    start, zone = scenario.calendar.start, scenario.calendar.timezone
    resolved_path = folder / "scenario.resolved.yaml"
    resolved_path.write_text(resolved, encoding="utf-8")
    return [
        write_json(doc, folder / "metrics.json"),
        write_leads_csv(first, folder / "leads.csv", start, zone),
        write_attempts_csv(first, folder / "attempts.csv", start, zone),
        write_backlog_csv(first, folder / "backlog.csv", start, zone),
        resolved_path,
    ]
