"""The ``leadsim`` command line: thin click commands over the library.

Errors are handled in one place, :class:`LeadsimGroup`: any
:class:`~leadsim.scenarios.errors.ScenarioError` raised by any command is
printed as ``Error: ...`` on stderr with exit status 2 and no traceback (click's
own usage errors already exit with 2). Commands just let it propagate.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from typing import Any, Callable, Iterator, NoReturn, Sequence, TypeVar

import click

from leadsim import __version__
from leadsim.planner.specs import SpecError
from leadsim.scenarios.errors import ScenarioError
from leadsim.scenarios.loader import load_scenario, scenario_json_schema
from leadsim.scenarios.schema import (
    MAX_DAYS,
    MAX_HEADCOUNT,
    MAX_REPLICATIONS,
    MAX_SEED,
    Scenario,
)

F = TypeVar("F", bound=Callable[..., Any])


class BadInput(click.ClickException):
    """Bad user input (a scenario, an override): click prints ``Error: ...``, exits 2."""

    exit_code = 2


class LeadsimGroup(click.Group):
    """The command group; turns ScenarioError or SpecError from any command into exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ScenarioError, SpecError) as exc:
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


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that also refuses ``inf`` and ``nan`` (which pass click's own range check)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


#: Most worker processes (--jobs).
MAX_JOBS = 256

#: The --days option of every simulating command: a finite window of at most MAX_DAYS days.
DAYS_TYPE = FiniteFloatRange(min=0, max=MAX_DAYS, min_open=True)
SEED_TYPE = click.IntRange(min=0, max=MAX_SEED)
REPLICATIONS_TYPE = click.IntRange(min=1, max=MAX_REPLICATIONS)


def force_option(func: F) -> F:
    """Decorator: ``--force`` runs work beyond the work-estimate limits (see planner/estimate.py)."""
    return click.option("--force", is_flag=True,
                        help="Simulate even when the work estimate is beyond the limit "
                        "(docs/planning.md, 'How big a job may be').")(func)


def check_work(scenarios: Sequence[Scenario], replications: int, force: bool, what: str,
               evaluations: int = 1) -> list[str]:
    """Refuse too much work (exit 2) and print each window warning once on stderr; return them."""
    from leadsim.planner.estimate import check_work as check
    from leadsim.planner.estimate import window_warnings

    check(scenarios, replications, force, what, evaluations)
    warnings: list[str] = []
    for scenario in scenarios:
        for text in window_warnings(scenario):
            if text not in warnings:
                warnings.append(text)
                click.echo(f"Warning: {scenario.name}: {text}", err=True)
    return warnings


def load(scenario: str, overrides: Sequence[Any] = ()) -> Scenario:
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
    from leadsim.planner.estimate import load_warnings

    resolved = load(scenario, overrides)
    reps = sum(team.rep_count for team in resolved.teams)
    click.echo(
        f"OK: {resolved.name} ({_count(len(resolved.sources), 'source')}, "
        f"{_count(len(resolved.teams), 'team')}, {_count(reps, 'rep')})"
    )
    for text in load_warnings(resolved):  # warm-up advice (run prints it too)
        click.echo(f"Warning: {resolved.name}: {text}", err=True)


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (every field, documented)."""
    click.echo(json.dumps(scenario_json_schema(), indent=2))


# ---------------------------------------------------------------- run


def jobs_option(func: F) -> F:
    """Decorator: ``--jobs N`` worker processes (default: all cores); results never depend on it."""
    return click.option(
        "--jobs",
        type=click.IntRange(min=1, max=MAX_JOBS),
        default=None,
        help="Worker processes for replications (default: all cores). Results are identical for any value.",
    )(func)


def _progress(total: int, label: str) -> Any:
    """A progress bar with ETA on stderr (stdout stays clean for --json)."""
    return click.progressbar(length=total, label=label, file=sys.stderr, show_eta=True, show_pos=True)


# ---------------------------------------------------------------- planning plumbing

#: Replications per scenario for compare, sweep and staff unless -r says otherwise.
PLANNING_REPLICATIONS = 10

#: Metrics in the sweep table and plot unless --metric says otherwise.
SWEEP_METRICS = ("share_first_attempt_within_5_min", "speed_to_first_attempt_p50_min",
                 "contact_rate", "conversion_rate", "rep_occupancy", "profit")


@contextlib.contextmanager
def _reporter(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """The planners' Reporter: a click progress bar on stderr, fed "done so far" counts."""
    with _progress(total, label) as bar:
        last = [0]

        def advance(done: int) -> None:
            bar.update(done - last[0])
            last[0] = done

        yield advance


def _workers(jobs: int | None) -> int:
    return jobs or os.cpu_count() or 1


def _interrupted(what: str, folder: Any | None) -> NoReturn:
    """Report an interrupted job on stderr and exit with 130 (the shell's code for Ctrl-C)."""
    where = f"; partial results written to {folder}/" if folder is not None else "; nothing written"
    click.echo(f"\nInterrupted: {what}{where}", err=True)
    raise click.exceptions.Exit(130)


def precision_options(func: F) -> F:
    """Decorator: ``--precision METRIC=HALFWIDTH`` and ``--max-replications N``."""
    func = click.option("--max-replications", type=click.IntRange(min=2, max=MAX_REPLICATIONS), default=200, show_default=True,
                        help="With --precision: never run more replications than this.")(func)
    return click.option(
        "--precision", default=None, metavar="METRIC=HALFWIDTH",
        help="Add replications in batches until the 95% interval of METRIC has at most this "
        "half-width, e.g. conversion_rate=0.005 (compare: of the paired difference).")(func)


def planning_options(func: F) -> F:
    """Decorator: the options compare, sweep and staff share."""
    for option in reversed((
        click.option("--replications", "-r", type=REPLICATIONS_TYPE, default=PLANNING_REPLICATIONS,
                     show_default=True, help="Replications per scenario (the same seeds for all)."),
        click.option("--seed", type=SEED_TYPE, default=None, help="Root seed (default: run.seed)."),
        click.option("--days", type=DAYS_TYPE, default=None,
                     help="Measured window in days (run.days)."),
        set_option,
        click.option("--out", type=click.Path(file_okay=False), default=None,
                     help="Run folder (default: runs/<timestamp>-<name>/)."),
        click.option("--json", "as_json", is_flag=True, help="Print the JSON document instead of the table."),
        jobs_option,
        force_option,
    )):
        func = option(func)
    return func


def _planning_overrides(overrides: Sequence[str], days: float | None) -> tuple[str, ...]:
    return tuple(overrides) + ((f"run.days={days}",) if days is not None else ())


def _metrics(names: Sequence[str], default: Sequence[str] | None) -> list[str] | None:
    from leadsim.planner.specs import check_metric

    return [check_metric(n, "--metric") for n in names] if names else (list(default) if default else None)


# ---------------------------------------------------------------- run


@main.command()
@scenario_argument
@click.option("--days", type=DAYS_TYPE, default=None, help="Measured window in days (run.days).")
@click.option("--seed", type=SEED_TYPE, default=None, help="Root seed (run.seed).")
@click.option("--replications", "-r", type=REPLICATIONS_TYPE, default=None, help="Replications (run.replications).")
@set_option
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Run folder (default: runs/<timestamp>-<scenario>/).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics.json document instead of the table.")
@jobs_option
@force_option
@precision_options
def run(
    scenario: str,
    days: float | None,
    seed: int | None,
    replications: int | None,
    overrides: tuple[str, ...],
    out: str | None,
    as_json: bool,
    jobs: int | None,
    precision: str | None,
    max_replications: int,
    force: bool,
) -> None:
    """Simulate a scenario and report speed to lead, penetration, contact and conversions.

    Writes metrics.json, leads.csv, attempts.csv, backlog.csv (the logs of
    replication 0) and scenario.resolved.yaml to the run folder. Ctrl-C keeps
    the finished replications (exit status 130).
    """
    from leadsim.outputs.runfolder import make_run_dir, write_json, write_run_folder
    from leadsim.outputs.table import format_summary
    from leadsim.planner.parallel import Interrupted
    from leadsim.planner.precision import check_maximum, metric_half_width, parse_precision, run_until_precise
    from leadsim.planner.replicate import aggregate_summaries, run_grid
    from leadsim.scenarios.loader import resolved_yaml

    target = parse_precision(precision) if precision else None
    extra = [f"run.{key}={value}" for key, value in (("days", days), ("seed", seed), ("replications", replications)) if value is not None]
    resolved = load(scenario, tuple(overrides) + tuple(extra))
    reps, root = resolved.run.replications, resolved.run.seed
    warnings = check_work([resolved], reps if target is None else max(reps, max_replications), force, "run")
    label = f"{resolved.name}: replications"
    outcome, stopped = None, None
    try:
        if target is None:
            with _reporter(label, reps) as bar:
                runs = run_grid([resolved], range(reps), root, jobs=_workers(jobs), progress=bar, keep_first=True)[0]
        else:
            check_maximum(reps, max_replications)
            grid, outcome = run_until_precise([resolved], root, target, metric_half_width(target.metric), reps,
                                              max_replications, _workers(jobs), _reporter, label, keep_first=True)
            runs = grid[0]
    except Interrupted as stop:
        runs, stopped = stop.done[0], stop
        if not runs:
            _interrupted("no replication had finished", None)
    doc = aggregate_summaries(runs, resolved.name, root)
    if outcome is not None:
        doc["precision"] = {"metric": outcome.target.metric, "target_half_width": outcome.target.half_width,
                            "half_width": outcome.half_width, "reached": outcome.reached}
    if stopped is not None:
        doc.update(interrupted=True, replications_requested=stopped.total)
    if warnings:
        doc["warnings"] = warnings
    folder = make_run_dir(out, resolved.name)
    first = runs[0].result
    if first is not None:
        write_run_folder(folder, resolved, doc, first, resolved_yaml(resolved))
    else:  # replication 0 did not finish: no logs to write
        write_json(doc, folder / "metrics.json")
        (folder / "scenario.resolved.yaml").write_text(resolved_yaml(resolved), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(doc, indent=2, allow_nan=False))
    else:
        click.echo(format_summary(doc))
        if outcome is not None:
            click.echo(f"\n{outcome.describe()}")
        click.echo(f"\nResults written to {folder}/")
    if outcome is not None and as_json:
        click.echo(outcome.describe(), err=True)
    if stopped is not None:
        _interrupted(f"{len(runs)} of {stopped.total} replications finished", folder)


# ---------------------------------------------------------------- compare


@main.command()
@click.argument("base", metavar="BASE")
@click.argument("whatifs", nargs=-1, metavar="[WHATIF...]")
@click.option("--vary", multiple=True, metavar="[SCENARIO:]PATH=VALUE",
              help="Add a what-if: a scenario with this one change, e.g. --vary teams.sdr.headcount=12 (BASE, "
              "or the what-if that has the path) or --vary incoming_call_group:teams.closers.skill=1.0 "
              "(repeatable).")
@planning_options
@precision_options
@click.option("--metric", "metrics", multiple=True, help="Show only these metrics in the table (repeatable).")
def compare(base: str, whatifs: tuple[str, ...], vary: tuple[str, ...], replications: int, seed: int | None,
            days: float | None, overrides: tuple[str, ...], out: str | None, as_json: bool, jobs: int | None,
            force: bool, precision: str | None, max_replications: int, metrics: tuple[str, ...]) -> None:
    """Compare what-ifs with a base, paired by replication (common random numbers).

    Every scenario runs the same replications with the same seed; the table
    shows, per metric, each what-if's value, its difference from the base with
    a 95% paired interval, and whether it is significant. Writes compare.json,
    compare.csv and metrics/<scenario>.json to the run folder.
    """
    from pathlib import Path

    from leadsim.outputs.planning_files import write_compare
    from leadsim.outputs.planning_tables import format_compare
    from leadsim.outputs.runfolder import make_run_dir
    from leadsim.planner.compare import plan_variations, run_compare, unique_names
    from leadsim.planner.parallel import Interrupted
    from leadsim.planner.precision import check_maximum, parse_precision
    from leadsim.planner.replicate import aggregate_summaries
    from leadsim.scenarios.loader import load_raw, override_applies
    from leadsim.scenarios.paths import Override

    if not whatifs and not vary:
        raise click.UsageError("give at least one WHATIF file or --vary PATH=VALUE")
    target = parse_precision(precision) if precision else None
    if target is not None:
        check_maximum(replications, max_replications)
    shown = _metrics(metrics, None)
    common = _planning_overrides(overrides, days)
    files = (base, *whatifs)
    scenarios = [load(f, common) for f in files]
    given = unique_names([s.name for s in scenarios], [Path(p).stem for p in files])
    keys = [(n, f, Path(f).stem, s.name) for n, f, s in zip(given, files, scenarios)]
    variations = plan_variations(vary, keys, lambda i, text: override_applies(load_raw(files[i])[1], text))
    scenarios += [load(files[v.scenario], common + (Override(v.override, "--vary"),)) for v in variations]
    names = unique_names(given + [v.label for v in variations], given + [v.label for v in variations])
    root = scenarios[0].run.seed if seed is None else seed
    check_work(scenarios, replications if target is None else max(replications, max_replications), force,
               "compare")
    try:
        comparison, grid = run_compare(scenarios, names, replications, root, _workers(jobs), _reporter,
                                       target, max_replications)
    except Interrupted as stop:
        partial = stop.done
        if partial is None:
            _interrupted("no complete pair of replications", None)
        folder = make_run_dir(out, f"compare-{names[0]}")
        write_compare(folder, partial, {})
        click.echo(json.dumps(partial.as_json(), indent=2) if as_json else format_compare(partial, shown))
        _interrupted(f"{partial.replications} complete pairs of replications", folder)
    folder = make_run_dir(out, f"compare-{names[0]}")
    write_compare(folder, comparison, {n: aggregate_summaries(g, n, root) for n, g in zip(names, grid)})
    if as_json:
        click.echo(json.dumps(comparison.as_json(), indent=2, allow_nan=False))
    else:
        click.echo(format_compare(comparison, shown))
        if comparison.precision is not None:
            click.echo(f"\n{comparison.precision.describe()} (widest paired interval over the what-ifs)")
        click.echo(f"\nResults written to {folder}/")


# ---------------------------------------------------------------- sweep


@main.command()
@scenario_argument
@click.option("--param", "params", multiple=True, required=True, metavar="PATH=LO..HI[:STEP]",
              help="A field to sweep, e.g. teams.sdr.headcount=6..16 or policy.cadence.call_target=2..8:2 "
              "(or PATH=V1,V2,...). Give one or two.")
@planning_options
@click.option("--metric", "metrics", multiple=True,
              help=f"Metrics for the table and plot (repeatable; default: {', '.join(SWEEP_METRICS)}).")
def sweep(scenario: str, params: tuple[str, ...], replications: int, seed: int | None, days: float | None,
          overrides: tuple[str, ...], out: str | None, as_json: bool, jobs: int | None, force: bool,
          metrics: tuple[str, ...]) -> None:
    """Run a grid over one or two scenario fields, every point replicated with the same seeds.

    Prints a table (mean ± 95% half-width) and writes sweep.csv (every metric,
    with intervals) and sweep.png (a line plot with interval bands for one
    parameter, heat maps for two) to the run folder.
    """
    from leadsim.outputs.planning_files import write_sweep
    from leadsim.outputs.planning_tables import format_sweep
    from leadsim.outputs.runfolder import make_run_dir
    from leadsim.planner.parallel import Interrupted
    from leadsim.planner.sweep import check_params, load_points, parse_param, run_sweep

    parsed = [parse_param(p) for p in params]
    check_params(parsed)
    shown = _metrics(metrics, SWEEP_METRICS) or list(SWEEP_METRICS)
    points = load_points(scenario, _planning_overrides(overrides, days), parsed)
    root = points[0].run.seed if seed is None else seed
    check_work(points, replications, force, "sweep")
    stopped = False
    try:
        result = run_sweep(points, parsed, replications, root, _workers(jobs), _reporter)
    except Interrupted as stop:
        result, stopped = stop.done, True
    rows, paths = result.rows(), [p.path for p in parsed]
    folder = make_run_dir(out, f"sweep-{points[0].name}")
    write_sweep(folder, rows, paths, shown, f"{points[0].name}: {replications} replications per point, seed {root}")
    if as_json:
        doc = {"scenario": points[0].name, "params": paths, "replications": replications, "seed": root,
               "points": rows}
        click.echo(json.dumps(doc, indent=2, allow_nan=False))
    else:
        click.echo(format_sweep(rows, paths, shown, replications, root))
        click.echo(f"\nResults written to {folder}/")
    if stopped:
        _interrupted(f"{sum(len(r) for r in result.runs)} of {len(rows) * replications} runs finished", folder)


# ---------------------------------------------------------------- staff


@main.command()
@scenario_argument
@click.option("--target", required=True, metavar='"METRIC>=VALUE"',
              help='The service target, e.g. "share_first_attempt_within_5_min>=0.9" or '
              '"speed_to_first_attempt_p90_min<=60".')
@click.option("--team", default=None, help="The team to staff (default: the first).")
@click.option("--min", "low", type=click.IntRange(min=1, max=MAX_HEADCOUNT), default=1, show_default=True,
              help="Smallest headcount.")
@click.option("--max", "high", type=click.IntRange(min=1, max=MAX_HEADCOUNT), default=200, show_default=True,
              help="Largest headcount.")
@planning_options
def staff(scenario: str, target: str, team: str | None, low: int, high: int, replications: int,
          seed: int | None, days: float | None, overrides: tuple[str, ...], out: str | None,
          as_json: bool, jobs: int | None, force: bool) -> None:
    """Find the smallest headcount that meets a target, beside what Erlang C says.

    The answer is the smallest headcount whose mean over the replications meets
    the target (shown with its 95% interval); the smallest headcount whose
    interval meets it too is reported as well. Writes staff.json and staff.csv.
    """
    from leadsim.outputs.planning_files import staffing_doc, write_staffing
    from leadsim.outputs.planning_tables import format_staffing
    from leadsim.outputs.runfolder import make_run_dir
    from leadsim.planner.parallel import Interrupted
    from leadsim.planner.staffing import (
        add_erlang,
        find_headcount,
        headcount_loader,
        parse_target,
        scale_loader,
        search_evaluations,
        team_index,
    )

    goal = parse_target(target)
    if low > high:
        raise click.BadParameter(f"--min {low} is above --max {high}", param_hint="--min")
    common = _planning_overrides(overrides, days)
    resolved = load(scenario, common)
    index = team_index(resolved, team)
    chosen = resolved.teams[index]
    root = resolved.run.seed if seed is None else seed
    # A team staffed by a table is staffed in whole percents of its table (staffing_scale).
    by_table = chosen.staffing is not None
    loader = (scale_loader if by_table else headcount_loader)(scenario, common, index)
    start = round(chosen.staffing_scale * 100) if by_table else int(chosen.headcount or 1)
    check_work([loader(high)], replications, force, "staff", search_evaluations(low, high))
    stopped = False
    try:
        answer = find_headcount(loader, goal, chosen.name, min(max(start, low), high),
                                low, high, replications, root, _workers(jobs), _reporter)
    except Interrupted as stop:
        answer, stopped = stop.done, True
    add_erlang(answer, resolved)
    folder = make_run_dir(out, f"staff-{resolved.name}")
    write_staffing(folder, answer, resolved.name)
    if as_json:
        click.echo(json.dumps(staffing_doc(answer, resolved.name), indent=2, allow_nan=False))
    else:
        click.echo(format_staffing(answer, resolved.name))
        if by_table:
            click.echo(f"\nTeam {chosen.name!r} is staffed by a table: each headcount above is a staffing_scale "
                       "in percent of its table (100 = the table as written).")
        click.echo(f"\nResults written to {folder}/")
    if stopped:
        _interrupted(f"{len(answer.candidates)} headcounts evaluated", folder)
