"""In-process CLI calls for the tests: run ``leadsim`` through click's CliRunner and check the exit."""

from __future__ import annotations

from click.testing import CliRunner, Result

from leadsim.cli import main


def invoke(*args: str) -> Result:
    """Run ``leadsim ARGS`` in-process."""
    return CliRunner().invoke(main, list(args))


def ok(*args: str) -> Result:
    """Run ``leadsim ARGS``; it must exit 0."""
    result = invoke(*args)
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return result


def bad(*args: str) -> Result:
    """Run ``leadsim ARGS``; it must refuse with exit 2 and one ``Error:`` message, no traceback."""
    result = invoke(*args)
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output and "Error: " in result.stderr
    return result
