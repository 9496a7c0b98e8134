"""Checking and creating a run folder before anything is simulated.

:func:`check_out_path` refuses, without touching the disk, a folder that can
never be right: an empty path, one inside leadsim's own source tree, one on a
virtual file system (``/proc``, ``/sys``), a name longer than the file system
allows. :func:`prepare_run_dir` then creates the folder (or a new default
``runs/<timestamp>-<name>/``) and writes and removes a probe file in it, so
a folder that cannot be written is refused before the work, not after. Every
problem raises :class:`RunFolderError` with the reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

from leadsim.outputs.runlock import RunFolderError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

#: Virtual file systems that cannot hold a run folder.
_VIRTUAL_FS = {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs", "tracefs",
               "securityfs", "configfs", "pstore", "bpf", "efivarfs", "fusectl", "mqueue",
               "binfmt_misc", "autofs", "rpc_pipefs", "nsfs"}

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
        remove_created(created)
        name_max = _name_max(path.parent)
        long = next((p.name for p in missing if len(p.name.encode("utf-8")) > name_max), None)
        if long is not None:
            raise RunFolderError(f"{label}: the folder name {_shorten(long)!r} is {len(long.encode())} "
                                 f"bytes; the file system allows at most {name_max}") from None
        raise RunFolderError(f"{label}: cannot create {path}: {_os_reason(exc)}") from None
    if not path.is_dir():
        raise RunFolderError(f"{label}: {path} exists and is not a folder")
    return created


def remove_created(created: Sequence[Path]) -> None:
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
        remove_created(created)
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
            remove_created(created)
            raise RunFolderError(f"{label}: cannot create {candidate}: {_os_reason(exc)}") from None
    created.append(candidate)
    _probe(candidate, label, created)
    return candidate, created
