"""Peak-memory helpers for the benchmarks.

Peak resident memory is a per-process high-water mark: it never goes down, so
measuring 10k, 100k and 1M leads one after another in one process would
report the largest run three times. :func:`measure` therefore runs each call
in a fresh interpreter (multiprocessing "spawn" context) and reports that
process's own peak.

Example::

    from memory import measure
    from plain_simpy_retrial import run_plain_simpy

    for n in (10_000, 100_000, 1_000_000):
        result, peak_mb = measure(run_plain_simpy, n)
        print(n, result["attempts_per_second"], peak_mb)

The peak includes the interpreter and imported libraries (tens of MB for
numpy + SimPy), so compare runs by their growth with the number of leads,
not by the absolute figure of one run.
"""

from __future__ import annotations

import importlib
import importlib.util
import multiprocessing
import resource
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["measure", "peak_rss_mb"]

_PROC_STATUS = Path("/proc/self/status")


def peak_rss_mb() -> float:
    """Peak resident set size of the current process, in MB (2**20 bytes).

    On Linux this reads ``VmHWM`` from ``/proc/self/status``, the high-water
    mark of the current process image. ``resource.getrusage().ru_maxrss`` is
    the fallback elsewhere, but it is not used on Linux because the kernel
    folds the pre-``exec`` memory into it: a spawned child of a parent that
    had reached 800 MB reports 800 MB there, whatever it uses itself.
    ``ru_maxrss`` is in kilobytes on Linux and in bytes on macOS.

    Returns:
        The peak resident memory so far, in MB.
    """
    try:
        for line in _PROC_STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # value is in kB
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024.0


def _load_function(module_name: str, module_file: str | None, qualname: str) -> Callable[..., Any]:
    """Find a function in a fresh interpreter, by module name or file path.

    Benchmark scripts are often run as ``__main__`` or loaded with importlib
    from a path outside ``sys.path``; a spawned child cannot import those by
    name, so it falls back to loading the file under a private module name
    (which also keeps the script's ``if __name__ == "__main__"`` block from
    running).

    Args:
        module_name: ``fn.__module__`` in the parent.
        module_file: The module's source file in the parent, if any.
        qualname: ``fn.__qualname__``.

    Returns:
        The function object.

    Raises:
        ImportError: If the module can be found neither by name nor by file.
    """
    module: ModuleType | None = None
    if module_name != "__main__":
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            module = None
    if module is None:
        if module_file is None:
            raise ImportError(f"cannot locate module {module_name!r} in the child process")
        private_name = f"_measured_{Path(module_file).stem}"
        spec = importlib.util.spec_from_file_location(private_name, module_file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {module_file!r} in the child process")
        module = importlib.util.module_from_spec(spec)
        # Registered before exec so dataclasses/pickle inside it can find it.
        sys.modules[private_name] = module
        spec.loader.exec_module(module)
    target: Any = module
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _child(
    conn: Connection,
    module_name: str,
    module_file: str | None,
    qualname: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    """Child-process entry point: run the function, send back result and peak.

    Args:
        conn: Write end of the pipe to the parent.
        module_name: Module of the function.
        module_file: Source file of that module.
        qualname: Qualified name of the function.
        args: Positional arguments.
        kwargs: Keyword arguments.
    """
    try:
        fn = _load_function(module_name, module_file, qualname)
        result = fn(*args, **kwargs)
        conn.send(("ok", result, peak_rss_mb()))
    except BaseException:  # report everything, including SystemExit, to the parent
        conn.send(("error", traceback.format_exc(), peak_rss_mb()))
    finally:
        conn.close()


def measure(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """Run ``fn(*args, **kwargs)`` in a fresh subprocess and report its peak memory.

    The "spawn" start method gives a clean interpreter (no memory inherited
    from this process, unlike "fork"), so the peak belongs to this one call.

    Args:
        fn: A module-level function. The child finds it again by module name
            or, failing that, by the module's file, so lambdas and closures do
            not work. The main script must be a file (spawn re-imports it),
            not ``python -`` or an interactive session.
        *args: Positional arguments for ``fn``; must be picklable.
        **kwargs: Keyword arguments for ``fn``; must be picklable.

    Returns:
        ``(result, peak_rss_mb)``: what ``fn`` returned (must be picklable)
        and the child's peak resident memory in MB.

    Raises:
        RuntimeError: If ``fn`` raised in the child (the child's traceback is
            in the message) or the child died without answering (e.g. killed
            for running out of memory).
    """
    module = sys.modules.get(fn.__module__)
    module_file = getattr(module, "__file__", None)
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_child,
        args=(sender, fn.__module__, module_file, fn.__qualname__, args, kwargs),
    )
    # The child unpickles ``_child`` by importing this module by name; spawn
    # hands it our sys.path, so make sure this file's folder is on it while
    # starting (benchmarks/ is a plain folder, often loaded by path).
    here = str(Path(__file__).resolve().parent)
    added = here not in sys.path
    if added:
        sys.path.append(here)
    try:
        process.start()
    finally:
        if added:
            sys.path.remove(here)
    # Close our copy of the write end so recv() sees EOF if the child dies.
    sender.close()
    try:
        status, payload, peak = receiver.recv()
    except EOFError:
        process.join()
        raise RuntimeError(
            f"{fn.__qualname__} died in its subprocess without a result "
            f"(exit code {process.exitcode}; see its stderr above, or it was killed, "
            "e.g. for running out of memory)"
        ) from None
    finally:
        receiver.close()
    process.join()
    if status != "ok":
        raise RuntimeError(f"{fn.__qualname__} failed in its subprocess:\n{payload}")
    return payload, peak
