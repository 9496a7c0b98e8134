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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import numpy as np

from leadsim.outputs.atomic import atomic_path, clean_temporaries, write_text_atomic
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

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

#: Files and folders leadsim writes into a run folder. A new run removes these (and
#: only these) from a folder a previous run used, so two runs never mix.
OUTPUT_NAMES: set[str] = {
    "metrics.json", "leads.csv", "attempts.csv", "backlog.csv", "scenario.resolved.yaml",
    "compare.json", "compare.csv", "metrics", "sweep.json", "sweep.csv", "sweep.png",
    "staff.json", "staff.csv",
}

#: Each command's manifest: written last, so its presence means the folder is complete
#: (or, with ``"interrupted": true`` inside, completely written partial results).
MANIFESTS: set[str] = {"metrics.json", "compare.json", "sweep.json", "staff.json"}

#: Marks a folder leadsim has used (only such folders have old outputs removed).
MARKER_NAME = ".leadsim-run"
_STAGING_PREFIX = ".staging-"

#: Virtual file systems that cannot hold a run folder.
_VIRTUAL_FS = {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs", "tracefs",
               "securityfs", "configfs", "pstore", "bpf", "efivarfs", "fusectl", "mqueue",
               "binfmt_misc", "autofs", "rpc_pipefs", "nsfs"}


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


def _safe_name(name: str) -> str:
    """A scenario name made safe for a folder name (no separators, no spaces)."""
    cleaned = _UNSAFE.sub("-", name).strip("-.")
    return cleaned or "scenario"


def _name_max(folder: Path) -> int:
    """The longest file name (bytes) the file system holding ``folder`` allows."""
    probe = folder
    while not os.path.exists(probe) and probe != probe.parent:
        probe = probe.parent
    try:
        return int(os.pathconf(probe, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def default_folder_name(scenario_name: str, now: dt.datetime | None = None, limit: int = 255) -> str:
    """``<YYYYmmdd-HHMMSS>-<safe name>``, shortened to fit a file name of ``limit`` bytes.

    A long scenario name is cut and given a short hash of the whole name, so
    two long names that share a prefix still get different folders; room is
    left for the ``-2``, ``-3`` suffix of a taken name.
    """
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    safe = _safe_name(scenario_name)
    room = max(limit - len(stamp) - 1 - 6, 24)  # 6: a "-NNNNN" suffix
    if len(safe) > room:
        digest = hashlib.sha1(safe.encode("utf-8")).hexdigest()[:8]
        safe = f"{safe[:room - 9].rstrip('-.')}-{digest}"
    return f"{stamp}-{safe}"


def _package_roots() -> list[Path]:
    """leadsim's own source tree: the package folder, and ``src/`` in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    roots = [package]
    if package.parent.name == "src":
        roots.append(package.parent)
    return roots


def _absolute(path: Path) -> Path:
    """``path`` made absolute with symlinks of its existing part resolved (it may not exist yet)."""
    path = Path(os.path.abspath(path))
    existing, rest = path, []
    while not os.path.exists(existing) and existing != existing.parent:
        rest.append(existing.name)
        existing = existing.parent
    return existing.resolve().joinpath(*reversed(rest))


def _fs_type(path: Path) -> str | None:
    """The type of the file system ``path`` is on (Linux, from /proc/self/mountinfo), or None."""
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None
    best, kind = -1, None
    text = str(path)
    for line in lines:
        left, sep, right = line.partition(" - ")
        parts = left.split()
        if not sep or len(parts) < 5 or not right.split():
            continue
        mount = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), parts[4])
        inside = text == mount or text.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > best:
            best, kind = len(mount), right.split()[0]
    return kind


def check_out_path(out: str | Path) -> Path:
    """Refuse a run folder that can never be right, without touching the disk.

    Args:
        out: the folder asked for (``--out``).

    Returns:
        ``out`` as a Path.

    Raises:
        RunFolderError: for an empty path, a folder inside leadsim's own
            source tree, or one on a virtual file system such as /proc or /sys.
    """
    if str(out).strip() == "":
        raise RunFolderError("--out '': the run folder path is empty; give a folder, e.g. --out runs/mine")
    if "\0" in str(out):
        raise RunFolderError(f"--out {str(out)!r}: a path cannot contain a NUL character")
    path = Path(out)
    where = _absolute(path)
    for root in _package_roots():
        if where == root or root in where.parents:
            raise RunFolderError(f"--out {_shorten(str(out))!r}: {where} is inside leadsim's own source tree "
                                 f"({root}); results never go there, choose another folder")
    name_max = _name_max(where)
    long = next((part for part in where.parts if len(part.encode("utf-8")) > name_max), None)
    if long is not None:
        raise RunFolderError(f"--out {_shorten(str(out))!r}: the folder name {_shorten(long)!r} is "
                             f"{len(long.encode('utf-8'))} bytes; the file system allows at most {name_max}")
    kind = _fs_type(where)
    if kind in _VIRTUAL_FS:
        raise RunFolderError(f"--out {_shorten(str(out))!r}: {where} is on a virtual '{kind}' file system, "
                             "which cannot hold files; choose a folder on a disk")
    return path


def _shorten(text: str, keep: int = 60) -> str:
    return text if len(text) <= keep else f"{text[:keep // 2]}...{text[-keep // 2:]}"


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _create(path: Path, label: str) -> list[Path]:
    """Create ``path`` and its missing parents; return those created (outermost first)."""
    missing = []
    probe = path
    while not os.path.exists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    if probe.exists() and not probe.is_dir() and missing:
        raise RunFolderError(f"{label}: {probe} is a file, not a folder, so {path} cannot be created")
    created = []
    try:
        for folder in reversed(missing):
            folder.mkdir()
            created.append(folder)
    except FileExistsError:
        if not path.is_dir():
            raise RunFolderError(f"{label}: {path} exists and is not a folder") from None
    except OSError as exc:
        _remove_created(created)
        name_max = _name_max(path.parent)
        long = next((p.name for p in missing if len(p.name.encode("utf-8")) > name_max), None)
        if long is not None:
            raise RunFolderError(f"{label}: the folder name {_shorten(long)!r} is {len(long.encode())} "
                                 f"bytes; the file system allows at most {name_max}") from None
        raise RunFolderError(f"{label}: cannot create {path}: {_os_reason(exc)}") from None
    if not path.is_dir():
        raise RunFolderError(f"{label}: {path} exists and is not a folder")
    return created


def _remove_created(created: Sequence[Path]) -> None:
    """Remove folders this process created, innermost first, if they are empty."""
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _probe(path: Path, label: str, created: Sequence[Path]) -> None:
    """Create, write and remove a small file in ``path``: the folder is really writable."""
    probe = path / f".leadsim-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, b"leadsim\n")
        finally:
            os.close(fd)
        probe.unlink()
    except OSError as exc:
        with contextlib.suppress(OSError):
            probe.unlink()
        _remove_created(created)
        raise RunFolderError(f"{label}: cannot write into {path}/: {_os_reason(exc)}") from None


def prepare_run_dir(out: str | Path | None, scenario_name: str, base: Path = Path("runs"),
                    now: dt.datetime | None = None) -> tuple[Path, list[Path]]:
    """Check, create and probe a run folder (no lock; see :func:`claim_run_dir`).

    Args:
        out: the folder the user chose (``--out``), created if missing and
            reused if it exists; None picks ``base/<YYYYmmdd-HHMMSS>-<name>/``
            (a new folder: "-2", "-3", ... is appended to a taken name).
        scenario_name: the scenario's name (made filesystem-safe and short enough).
        base: parent of default run folders.
        now: the timestamp to use (default: the local time now).

    Returns:
        The folder, and the folders this call created (removed again by
        :meth:`RunFolder.release` if nothing was written into them).

    Raises:
        RunFolderError: if the folder cannot hold the results; the message says why.
    """
    if out is not None:
        path = check_out_path(out)
        label = f"--out {_shorten(str(out))!r}"
        created = _create(path, label)
        _probe(path, label, created)
        return path, created
    check_out_path(base)
    label = f"run folder {base}/"
    created = _create(base, label)
    stem = default_folder_name(scenario_name, now, _name_max(base))
    candidate, suffix = base / stem, 1
    while True:
        try:
            # mkdir without exist_ok is the atomic "claim": two processes cannot both win.
            candidate.mkdir()
            break
        except FileExistsError:
            suffix += 1
            candidate = base / f"{stem}-{suffix}"
        except OSError as exc:
            _remove_created(created)
            raise RunFolderError(f"{label}: cannot create {candidate}: {_os_reason(exc)}") from None
    created.append(candidate)
    _probe(candidate, label, created)
    return candidate, created


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
        _remove_created(self.created)  # rmdir: only folders left empty go

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
        _remove_created(created)
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
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)
    return Path(path)


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
    from leadsim.outputs.logs import write_attempts_csv, write_leads_csv

    written = []
    if first is not None:
        start, zone = scenario.calendar.start, scenario.calendar.timezone
        written += [write_leads_csv(first, folder / "leads.csv", start, zone),
                    write_attempts_csv(first, folder / "attempts.csv", start, zone),
                    write_backlog_csv(first, folder / "backlog.csv", start, zone)]
    written.append(write_text_atomic(folder / "scenario.resolved.yaml", resolved))
    written.append(write_json(doc, folder / "metrics.json"))
    return written
