"""The ``leadsim`` command line: thin click commands over the library.

Errors are handled in one place, :class:`LeadsimGroup`: any
:class:`~leadsim.scenarios.errors.ScenarioError` raised by any command is
printed as ``Error: ...`` on stderr with exit status 2 and no traceback (click's
own usage errors already exit with 2). Commands just let it propagate.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, Sequence, TypeVar

import click

from leadsim import __version__
from leadsim.scenarios.errors import ScenarioError
from leadsim.scenarios.loader import load_scenario, scenario_json_schema
from leadsim.scenarios.schema import Scenario

F = TypeVar("F", bound=Callable[..., Any])


class BadInput(click.ClickException):
    """Bad user input (a scenario, an override): click prints ``Error: ...``, exits 2."""

    exit_code = 2


class LeadsimGroup(click.Group):
    """The command group; turns ScenarioError from any command into exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScenarioError as exc:
            raise BadInput(str(exc)) from None


# ---------------------------------------------------------------- shared options
# Every command that reads a scenario takes the same argument and --set option.


def scenario_argument(func: F) -> F:
    """Decorator: the SCENARIO argument (a YAML file or a bundled scenario's name)."""
    return click.argument("scenario", metavar="SCENARIO")(func)


def set_option(func: F) -> F:
    """Decorator: the repeatable ``--set dotted.path=value`` option, passed as ``overrides``."""
    return click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="PATH=VALUE",
        help="Override one scenario field, e.g. --set teams.sdr.headcount=12 or "
        "--set sources.web_form.volume.per_day=80 (value read as YAML; repeatable).",
    )(func)


def load(scenario: str, overrides: Sequence[str] = ()) -> Scenario:
    """Load a scenario for a command (errors reach :class:`LeadsimGroup`)."""
    return load_scenario(scenario, overrides)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ---------------------------------------------------------------- commands


@click.group(cls=LeadsimGroup)
@click.version_option(__version__, prog_name="leadsim")
def main() -> None:
    """leadsim: simulate and plan sales lead response.

    A scenario is a YAML file (see `leadsim schema`) or the name of a bundled
    one, e.g. `baseline`.
    """


@main.command()
@scenario_argument
@set_option
def validate(scenario: str, overrides: tuple[str, ...]) -> None:
    """Check a scenario file (with its extends: and any --set) and summarise it."""
    resolved = load(scenario, overrides)
    reps = sum(team.headcount for team in resolved.teams)
    click.echo(
        f"OK: {resolved.name} ({_count(len(resolved.sources), 'source')}, "
        f"{_count(len(resolved.teams), 'team')}, {_count(reps, 'rep')})"
    )


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (every field, documented)."""
    click.echo(json.dumps(scenario_json_schema(), indent=2))


# ---------------------------------------------------------------- run


def jobs_option(func: F) -> F:
    """Decorator: ``--jobs N`` worker processes (default: all cores); results never depend on it."""
    return click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=None,
        help="Worker processes for replications (default: all cores). Results are identical for any value.",
    )(func)


def _progress(total: int, label: str) -> Any:
    """A progress bar with ETA on stderr (stdout stays clean for --json)."""
    return click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True, show_pos=True)


@main.command()
@scenario_argument
@click.option("--days", type=click.FloatRange(min=0, min_open=True), default=None, help="Measured window in days (run.days).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Root seed (run.seed).")
@click.option("--replications", "-r", type=click.IntRange(min=1), default=None, help="Replications (run.replications).")
@set_option
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Run folder (default: runs/<timestamp>-<scenario>/).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics.json document instead of the table.")
@jobs_option
def run(
    scenario: str,
    days: float | None,
    seed: int | None,
    replications: int | None,
    overrides: tuple[str, ...],
    out: str | None,
    as_json: bool,
    jobs: int | None,
) -> None:
    """Simulate a scenario and report speed to lead, penetration, contact and conversions.

    Writes metrics.json, leads.csv, attempts.csv, backlog.csv (the logs of
    replication 0) and scenario.resolved.yaml to the run folder.
    """
    from leadsim.outputs.runfolder import make_run_dir, write_run_folder
    from leadsim.outputs.table import format_summary
    from leadsim.planner.replicate import aggregate, run_replications
    from leadsim.scenarios.loader import resolved_yaml

    extra = [f"run.{key}={value}" for key, value in (("days", days), ("seed", seed), ("replications", replications)) if value is not None]
    resolved = load(scenario, tuple(overrides) + tuple(extra))
    reps = resolved.run.replications
    workers = min(jobs or os.cpu_count() or 1, reps)
    with _progress(reps, f"{resolved.name}: replications") as bar:
        last = [0]

        def advance(done: int) -> None:
            bar.update(done - last[0])
            last[0] = done

        results = run_replications(resolved, reps, resolved.run.seed, jobs=workers, progress=advance)
    doc = aggregate(results, resolved.name, resolved.run.seed)
    folder = make_run_dir(out, resolved.name)
    write_run_folder(folder, resolved, doc, results[0], resolved_yaml(resolved))
    if as_json:
        click.echo(json.dumps(doc, indent=2, allow_nan=False))
    else:
        click.echo(format_summary(doc))
        click.echo(f"\nResults written to {folder}/")
