"""``python -m leadsim ...``: the same as the ``leadsim`` command."""

from __future__ import annotations


def main() -> None:
    """Run the command line; a signal while it is still starting exits quietly with 128 + its number."""
    import signal
    import sys

    def _early(signum: int, frame: object) -> None:
        # Importing the command line takes a moment (pydantic, numpy); nothing to keep yet.
        raise SystemExit(128 + signum)

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name) and signal.getsignal(getattr(signal, name)) is not signal.SIG_IGN:
            signal.signal(getattr(signal, name), _early)
    from leadsim.cli import main as cli

    sys.exit(cli(prog_name="leadsim"))


if __name__ == "__main__":
    main()
