"""The run folder: where a command's results go (never into the source tree).

A command that simulates for minutes must know before it starts that it can
save what it computes, and must never leave a folder that looks complete but
is not. So, in order:

1. :func:`claim_run_dir` (before simulating): refuse an empty ``--out``, a
   folder inside leadsim's own source tree or on a virtual file system
   (``/proc``, ``/sys``); create the folder, write and remove a probe file in
   it, and lock it (:mod:`leadsim.outputs.runlock`). Any problem raises
   :class:`RunFolderError` (the command line exits 2) with the reason.
2. :func:`staged_outputs` (after simulating): the command writes its files
   into a hidden staging folder; when every file is written they are moved
   into the run folder, the previous run's files having been removed first and
   the manifest (``metrics.json``, ``compare.json``, ...) moved last. A folder
   therefore never mixes two runs' files, and a run killed while writing
   leaves no manifest beside a partial set of files.
3. Every single file is also written atomically (:mod:`leadsim.outputs.atomic`).

The checks and the creation of the folder live in :mod:`leadsim.outputs.outdir`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np

from leadsim.outputs.atomic import clean_temporaries, write_text_atomic
from leadsim.outputs.outdir import (
    check_out_path,
    default_folder_name,
    prepare_run_dir,
    remove_created,
)
from leadsim.outputs.runlock import (
    LOCK_NAME,
    RunFolderBusy,
    RunFolderError,
    RunLock,
    acquire_run_lock,
)

__all__ = [
    "MANIFESTS",
    "OUTPUT_NAMES",
    "RunFolder",
    "RunFolderBusy",
    "RunFolderError",
    "check_out_path",
    "claim_run_dir",
    "default_folder_name",
    "make_run_dir",
    "prepare_run_dir",
    "register_outputs",
    "staged_outputs",
    "write_json",
    "write_run_folder",
]

#: Files and folders leadsim writes into a run folder. A new run removes these (and
#: only these) from a folder a previous run used, so two runs never mix.
OUTPUT_NAMES: set[str] = {
    "metrics.json", "leads.csv", "attempts.csv", "calls.csv", "backlog.csv", "scenario.resolved.yaml",
    "compare.json", "compare.csv", "metrics", "sweep.json", "sweep.csv", "sweep.png",
    "staff.json", "staff.csv",
    # a run's plot data, plots, per-rep table, verdict and HTML report (outputs/run_plots*.py, report_html.py)
    "plot_data.json", "plots", "reps.csv", "verdict.txt", "report.html",
}

#: Each command's manifest: written last, so its presence means the folder is complete
#: (or, with ``"interrupted": true`` inside, completely written partial results).
MANIFESTS: set[str] = {"metrics.json", "compare.json", "sweep.json", "staff.json"}

#: Marks a folder leadsim has used (only such folders have old outputs removed).
MARKER_NAME = ".leadsim-run"
_STAGING_PREFIX = ".staging-"


def register_outputs(*names: str, manifest: str | None = None) -> None:
    """Declare more run-folder outputs (e.g. a new command's files).

    Args:
        *names: file or folder names the command writes into its run folder.
            Do NOT register anything a rerun must keep (an Optuna storage that
            a later run resumes from): registered names are removed when a new
            run publishes into the folder.
        manifest: the command's manifest file (written last; also registered).
    """
    OUTPUT_NAMES.update(names)
    if manifest is not None:
        OUTPUT_NAMES.add(manifest)
        MANIFESTS.add(manifest)


def make_run_dir(out: str | Path | None, scenario_name: str, base: Path = Path("runs"),
                 now: dt.datetime | None = None) -> Path:
    """Create and return a run folder (checked as :func:`prepare_run_dir` does; no lock)."""
    return prepare_run_dir(out, scenario_name, base, now)[0]


@dataclass
class RunFolder:
    """A claimed (checked, created and locked) run folder.

    Attributes:
        path: the folder.
        lock: its lock, held until :meth:`release`.
        created: folders created by the claim (removed on release if still empty).
    """

    path: Path
    lock: RunLock
    created: list[Path] = field(default_factory=list)

    def release(self) -> None:
        """Unlock the folder; remove it again if this run created it and wrote nothing."""
        self.lock.release()
        remove_created(self.created)  # rmdir: only folders left empty go

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def claim_run_dir(out: str | Path | None, scenario_name: str, base: Path = Path("runs"),
                  now: dt.datetime | None = None, command: str = "") -> RunFolder:
    """Check, create, probe and lock a run folder: call it BEFORE simulating.

    Args:
        out: ``--out`` (None: a new default folder under ``base``).
        scenario_name: names the default folder.
        base: parent of default run folders.
        now: timestamp for the default folder's name.
        command: shown to another process refused by the lock.

    Returns:
        The claimed folder; call :meth:`RunFolder.release` (or use ``with``) when done.

    Raises:
        RunFolderError: the folder cannot be used (empty path, source tree,
            virtual file system, not creatable or writable, name too long).
        RunFolderBusy: another live leadsim process holds the folder.
    """
    path, created = prepare_run_dir(out, scenario_name, base, now)
    try:
        lock = acquire_run_lock(path, command)
    except RunFolderError:
        remove_created(created)
        raise
    _clean_leftovers(path)
    return RunFolder(path, lock, created)


def _clean_leftovers(folder: Path) -> None:
    """Remove what killed runs left behind (we hold the lock, so nobody else is writing)."""
    clean_temporaries(folder)
    for leftover in folder.glob(f"{_STAGING_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for stray in folder.glob(f"{LOCK_NAME}.*.new"):
        with contextlib.suppress(OSError):
            stray.unlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _publish(stage: Path, folder: Path) -> list[Path]:
    """Move the staged files into ``folder``: old outputs out (manifests first), manifests in last."""
    if (folder / MARKER_NAME).exists():
        old = [folder / n for n in OUTPUT_NAMES if (folder / n).exists() or (folder / n).is_symlink()]
        # A manifest goes first: from here on the folder no longer claims to be complete.
        for path in sorted(old, key=lambda p: p.name not in MANIFESTS):
            _remove(path)
    new = sorted(stage.iterdir(), key=lambda p: (p.name in MANIFESTS, p.name))
    moved = []
    for item in new:
        target = folder / item.name
        if item.is_dir() and target.is_dir() and not target.is_symlink():
            # A folder of the user's own (not a previous run's): add our files to it.
            for inner in sorted(item.iterdir()):
                os.replace(inner, target / inner.name)
        else:
            os.replace(item, target)
        moved.append(target)
    return moved


@contextlib.contextmanager
def staged_outputs(folder: Path) -> Iterator[Path]:
    """Write a run's files into a staging folder, then publish them into ``folder``.

    Use while holding the folder's lock (:func:`claim_run_dir`). On success
    the previous run's outputs (:data:`OUTPUT_NAMES`) are removed, manifests
    first, and the new files are moved in, manifests last. If the block fails
    or is interrupted, the staging folder is removed and ``folder`` keeps the
    previous run's files untouched.

    Yields:
        The staging folder to write the files into.
    """
    stage = folder / f"{_STAGING_PREFIX}{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        yield stage
        marker = {"writer": "leadsim", "pid": os.getpid(), "files": sorted(p.name for p in stage.iterdir())}
        write_text_atomic(folder / MARKER_NAME, json.dumps(marker) + "\n")
        _publish(stage, folder)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def publish_marker_exists(folder: Path) -> bool:
    """Whether leadsim has published results into ``folder`` before."""
    return (folder / MARKER_NAME).exists()


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
    # Replaced in one step so a reader never sees half a metrics.json.
    return write_text_atomic(path, json.dumps(jsonable(doc), indent=2, allow_nan=False) + "\n")


def write_backlog_csv(result: Any, path: str | Path, calendar_start: dt.date, timezone: str) -> Path:
    """Write the sampled backlog of due leads over time (one row per sample).

    Args:
        result: a RunResult.
        path: the CSV file.
        calendar_start: the scenario's day 0.
        timezone: the floor's zone (timestamps are written in it).
    """
    from leadsim.outputs.logs import format_timestamps, write_csv_columns

    samples = result.backlog
    columns = {
        "at": format_timestamps(samples.time, calendar_start, timezone),
        "minute": samples.time,
        "due_leads": samples.due,
        "due_new_leads": samples.new,
    }
    return write_csv_columns(columns, path)  # as pandas' to_csv wrote it, without importing pandas


def write_run_folder(folder: Path, scenario: Any, doc: dict[str, Any], first: Any | None,
                     resolved: str) -> list[Path]:
    """Write a run's files: leads.csv, attempts.csv, backlog.csv, scenario.resolved.yaml, metrics.json.

    The logs are those of the first replication (replication 0): one run's worth of
    leads and attempts in the canonical log schema, ready for calibration.
    metrics.json, the manifest, is written last.

    Args:
        folder: the folder to write into (a run folder, or its staging folder).
        scenario: the resolved Scenario.
        doc: the metrics.json document.
        first: the RunResult of replication 0, or None if it did not finish
            (an interrupted run): then no logs are written.
        resolved: the resolved scenario as YAML text.

    Returns:
        The files written.
    """
    from leadsim.outputs.logs import write_attempts_csv, write_calls_csv, write_leads_csv

    written = []
    if first is not None:
        start, zone = scenario.calendar.start, scenario.calendar.timezone
        written += [write_leads_csv(first, folder / "leads.csv", start, zone),
                    write_attempts_csv(first, folder / "attempts.csv", start, zone),
                    write_backlog_csv(first, folder / "backlog.csv", start, zone)]
        if first.offers is not None and len(first.offers):
            written.append(write_calls_csv(first, folder / "calls.csv", start, zone))
    written.append(write_text_atomic(folder / "scenario.resolved.yaml", resolved))
    written.append(write_json(doc, folder / "metrics.json"))
    return written
