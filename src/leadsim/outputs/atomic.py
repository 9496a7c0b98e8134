"""Write files so that a reader never sees half of one.

Every file leadsim writes goes first to a temporary name in the same folder
(``.<name>.<pid>.tmp``) and is then renamed into place with :func:`os.replace`,
which is atomic on POSIX and Windows when both names are in one folder: a
process killed while writing (even with ``kill -9``) leaves at most a hidden
temporary file behind, never a truncated file under the real name.
Leftover temporaries are removed the next time the folder is claimed (see
:mod:`leadsim.outputs.runfolder`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

#: Temporary files end with this; ``clean_temporaries`` removes them.
TMP_SUFFIX = ".tmp"


def temporary_name(path: Path) -> Path:
    """The temporary name used while ``path`` is being written (same folder, hidden)."""
    return path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one step.

    For writers that want a file name (``DataFrame.to_csv``, ``Figure.savefig``).
    If the block raises (or is interrupted), the temporary file is removed and
    ``path`` is left as it was.

    Args:
        path: the file to produce.

    Yields:
        The temporary path to write to.
    """
    final = Path(path)
    tmp = temporary_name(final)
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; on success it replaces ``path`` in one step.

    Args:
        path: the file to produce.
        mode: ``"w"`` or ``"wb"`` (text mode defaults to UTF-8).
        **kwargs: passed to :func:`open` (e.g. ``newline=""`` for CSV).
    """
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with atomic_open(path, "w") as handle:
        handle.write(text)
    return Path(path)


def clean_temporaries(folder: Path) -> list[Path]:
    """Remove temporary files left in ``folder`` (and its direct subfolders) by killed writers.

    Only call this while holding the folder's lock: a live writer's temporary
    file would be removed under it.

    Returns:
        The files removed.
    """
    removed = []
    # The folder and its direct subfolders (metrics/) only: --out may be a big, busy folder.
    places = [folder, *(d for d in folder.iterdir() if d.is_dir() and not d.is_symlink())]
    for tmp in (t for place in places for t in place.glob(f".*{TMP_SUFFIX}")):
        if tmp.is_file():
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed
