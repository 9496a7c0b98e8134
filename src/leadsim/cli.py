"""The ``leadsim`` command line: thin click commands over the library.

Errors are handled in one place, :class:`LeadsimGroup`: any
:class:`~leadsim.scenarios.errors.ScenarioError` (or planner SpecError, or
RunFolderError) raised by any command is printed as ``Error: ...`` on stderr
with exit status 2 and no traceback (click's own usage errors already exit
with 2). Commands just let it propagate.

Signals are handled in one place too: while a command runs, Ctrl-C, SIGTERM
and SIGHUP raise a KeyboardInterrupt (:mod:`leadsim.interrupts`); commands
keep finished work, and any interruption they do not handle (while loading,
while writing) exits with 128 + the signal's number (130, 143, 129), never
click's "Aborted!".

A command that writes a run folder claims it with :func:`claim_folder` BEFORE
simulating (checked, created, locked) and writes it inside
:func:`writing_results` (staged, published in one go, signals deferred).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from leadsim import __version__, interrupts
from leadsim.outputs.runlock import RunFolderError
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
    """The command group: bad input exits 2; a signal exits 128 + its number (see the module docstring)."""

    def invoke(self, ctx: click.Context) -> Any:
        with interrupts.handling_signals():
            try:
                return super().invoke(ctx)
            except (ScenarioError, SpecError, RunFolderError) as exc:
                raise BadInput(str(exc)) from None
            except KeyboardInterrupt:
                # Outside the replication loop (loading, writing): nothing more to keep.
                signum = interrupts.received()
                how = "" if signum is None else f" by {interrupts.signal_name(signum)}"
                click.echo(f"\nInterrupted{how}.", err=True)
                raise click.exceptions.Exit(interrupts.exit_status()) from None


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


@click.group(cls=LeadsimGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


# ---------------------------------------------------------------- calibrate


@main.command()
@click.option("--leads", type=click.Path(dir_okay=False), default=None, help="Leads log (CSV).")
@click.option("--activities", type=click.Path(dir_okay=False), default=None, help="Activity (call) log (CSV).")
@click.option("--calls", type=click.Path(dir_okay=False), default=None, help="Inbound call log (CSV).")
@click.option("--map", "column_map", type=click.Path(dir_okay=False), default=None,
              help="Column map (YAML) translating an export into the canonical schema.")
@click.option("--preset", default=None, help="A shipped column map: salesforce_tasks, hubspot_calls, dialer_cdr.")
@click.option("--base", default=None, help="Scenario supplying everything not fitted (default: baseline).")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder (default: runs/<timestamp>-calibrate/).")
@click.option("--backtest", "backtest_replications", type=click.IntRange(min=0, max=MAX_REPLICATIONS), default=5,
              show_default=True, help="Replications of the calibrated scenario for backtest.json (0: none).")
@click.option("--train-until", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Fit on leads created before this date; back-test out of sample on the rest.")
@click.option("--holdout-from", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day of the holdout period (default: --train-until).")
@click.option("--json", "as_json", is_flag=True, help="Print fit.json instead of the summary.")
def calibrate(leads: str | None, activities: str | None, calls: str | None, column_map: str | None,
              preset: str | None, base: str | None, out: str | None, backtest_replications: int,
              train_until: Any, holdout_from: Any, as_json: bool) -> None:
    """Fit a scenario to historical logs: writes calibrated.yaml, fit.json and quarantine.csv.

    Every row is used or written to quarantine.csv with its reason; every fitted
    value is commented with its estimate, 95% interval and sample size; values
    not fitted come from --base. With leads and activities, backtest.json sets
    the calibrated scenario's simulated metrics beside the history's. See
    docs/calibrate.md.
    """
    from leadsim.calibration.command import calibrate as run_calibration
    from leadsim.calibration.report import format_backtest, format_summary
    from leadsim.outputs.runfolder import make_run_dir

    if not (leads or activities or calls):
        raise BadInput("give at least one of --leads, --activities, --calls")
    folder = make_run_dir(out, "calibrate")

    def progress(kind: str, done: int) -> None:
        click.echo(f"{kind}: {done} done" if kind.startswith("back-test") else f"reading {kind}: {done:,} rows",
                   err=True)

    try:
        result = run_calibration(leads, activities, calls, column_map, preset, base, folder, progress,
                                 backtest_replications, train_until.date() if train_until else None,
                                 holdout_from.date() if holdout_from else None)
    except KeyboardInterrupt:
        _interrupted("calibration stopped (quarantine.csv may be partial)", folder)
    if as_json:
        click.echo(result.files["fit"].read_text(encoding="utf-8"))
    else:
        click.echo(format_summary(result.fit))
        if "backtest" in result.files:
            click.echo("\n" + format_backtest(json.loads(result.files["backtest"].read_text(encoding="utf-8"))))
        click.echo(f"\nResults written to {folder}/")


# ---------------------------------------------------------------- run


def jobs_option(func: F) -> F:
    """Decorator: ``--jobs N`` worker processes (default: all cores); results never depend on it."""
    return click.option(
        "--jobs",
        type=click.IntRange(min=1, max=MAX_JOBS),
        default=None,
        help="Worker processes for replications (default: all cores). Results are identical for any value.",
    )(func)


# ---------------------------------------------------------------- planning plumbing

#: Replications per scenario for compare, sweep and staff unless -r says otherwise.
PLANNING_REPLICATIONS = 10

#: Metrics in the sweep table and plot unless --metric says otherwise.
SWEEP_METRICS = ("share_first_attempt_within_5_min", "speed_to_first_attempt_p50_min",
                 "contact_rate", "conversion_rate", "rep_occupancy", "profit")


@contextlib.contextmanager
def _reporter(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """The planners' Reporter on stderr (stdout stays clean for --json): a bar on a
    terminal, plain "label done/total (pct), ETA" lines otherwise."""
    from leadsim.outputs.progress import stderr_reporter

    with stderr_reporter(label, total, stream=sys.stderr) as advance:
        yield advance


def _workers(jobs: int | None) -> int:
    return jobs or os.cpu_count() or 1


def claim_folder(out: str | None, name: str) -> Path:
    """Check, create and lock the run folder BEFORE simulating; exit 2 if it cannot be used.

    Every command that writes a run folder calls this first. The lock is
    released (and a folder this call created but nothing was written into is
    removed) when the command ends, however it ends.

    Args:
        out: ``--out`` (None: ``runs/<timestamp>-<name>/``).
        name: names the default folder (e.g. the scenario's name).

    Returns:
        The folder, to pass to :func:`writing_results`.
    """
    from leadsim.outputs.runfolder import claim_run_dir

    claimed = claim_run_dir(out, name)
    click.get_current_context().call_on_close(claimed.release)
    return claimed.path


def _finishing_notice(signum: int) -> None:
    click.echo(f"\n{interrupts.signal_name(signum)}: finishing writing the results "
               "(send it again to stop at once)", err=True)


@contextlib.contextmanager
def writing_results(folder: Path) -> Iterator[Path]:
    """Write a command's files: yields a staging folder, published into ``folder`` at the end.

    A signal during the writing is honoured once the files are written (a
    second one stops at once, leaving the previous results in place); a
    failure to write is reported as ``Error:`` with exit status 2.
    """
    from leadsim.outputs.runfolder import staged_outputs

    with interrupts.deferred(_finishing_notice):
        try:
            with staged_outputs(folder) as stage:
                yield stage
        except OSError as exc:
            raise RunFolderError(f"cannot write the results into {folder}/: {exc.strerror or exc}") from None


def _interrupted(what: str, folder: Any | None) -> NoReturn:
    """Report an interrupted job on stderr and exit with 128 + the signal (130 for Ctrl-C, 143 SIGTERM)."""
    where = f"; partial results written to {folder}/" if folder is not None else "; nothing written"
    click.echo(f"\nInterrupted: {what}{where}", err=True)
    raise click.exceptions.Exit(interrupts.exit_status())


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
@click.option("--plots", "draw_plots", is_flag=True,
              help="Also draw the run's plots (PNG) into plots/ now; `leadsim report` draws them otherwise.")
@click.option("--report", "make_report", is_flag=True,
              help="Also write report.html (as `leadsim report RUN_DIR` does).")
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
    draw_plots: bool,
    make_report: bool,
) -> None:
    """Simulate a scenario and report speed to lead, penetration, contact and conversions.

    Prints a verdict (the period, leads, conversions, profit per week, speed to
    lead, off-hours waits), then the full table. Writes metrics.json, leads.csv,
    attempts.csv, backlog.csv (the logs of replication 0), reps.csv (per rep
    and team), plot_data.json, verdict.txt and scenario.resolved.yaml to the run
    folder (with --plots, the PNG plots in plots/ too; with --report, or later
    with `leadsim report RUN_DIR`, report.html). Ctrl-C keeps the finished replications (exit status
    130; SIGTERM: 143).
    """
    from leadsim.outputs.run_report import write_run_extras
    from leadsim.outputs.runfolder import write_run_folder
    from leadsim.outputs.table import format_summary
    from leadsim.planner.parallel import Interrupted
    from leadsim.planner.precision import (
        check_maximum,
        metric_half_width,
        parse_precision,
        run_until_precise,
    )
    from leadsim.planner.replicate import aggregate_summaries, run_grid
    from leadsim.scenarios.loader import resolved_yaml

    target = parse_precision(precision) if precision else None
    extra = [f"run.{key}={value}" for key, value in (("days", days), ("seed", seed), ("replications", replications)) if value is not None]
    resolved = load(scenario, tuple(overrides) + tuple(extra))
    reps, root = resolved.run.replications, resolved.run.seed
    warnings = check_work([resolved], reps if target is None else max(reps, max_replications), force, "run")
    label = f"{resolved.name}: replications"
    outcome, stopped = None, None
    folder = claim_folder(out, resolved.name)
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
    with writing_results(folder) as stage:
        # Without replication 0 (interrupted before it finished) there are no logs to write.
        write_run_folder(stage, resolved, doc, runs[0].result, resolved_yaml(resolved))
        verdict = write_run_extras(stage, resolved, doc, runs[0].result, draw_plots,
                                   folder if make_report else None)
    if as_json:
        click.echo(json.dumps(doc, indent=2, allow_nan=False))
    else:
        click.echo("\n".join(verdict) + "\n")
        click.echo(format_summary(doc))
        if outcome is not None:
            click.echo(f"\n{outcome.describe()}")
        click.echo(f"\nResults written to {folder}/")
    if outcome is not None and as_json:
        click.echo(outcome.describe(), err=True)
    if stopped is not None:
        _interrupted(f"{len(runs)} of {stopped.total} replications finished", folder)


# ---------------------------------------------------------------- report


@main.command()
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False, path_type=Path))
def report(run_dir: Path) -> None:
    """Write report.html into a `leadsim run` folder: one self-contained file to forward.

    The verdict first, then the plots (one sentence each), the key figures, the
    reps' results, the scenario as run, the seed, the leadsim version and the
    command that reproduces the run. Images are embedded; nothing is fetched.
    """
    from leadsim.outputs.atomic import write_text_atomic
    from leadsim.outputs.report_html import ReportError, build_report

    if not run_dir.is_dir():
        raise BadInput(f"{run_dir}/: no such folder (give a folder `leadsim run` wrote)")
    folder = claim_folder(str(run_dir), run_dir.name)
    try:
        text = build_report(folder)
    except ReportError as exc:
        raise BadInput(str(exc)) from None
    with interrupts.deferred(_finishing_notice):
        try:
            path = write_text_atomic(folder / "report.html", text)
        except OSError as exc:
            raise RunFolderError(f"cannot write {folder}/report.html: {exc.strerror or exc}") from None
    click.echo(f"Report written to {path}")


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
@click.option("--metric", "metrics", multiple=True,
              help="Show the full table for only these metrics (repeatable; implies --all).")
@click.option("--all", "show_all", is_flag=True, help="Also print the full table: every metric of every what-if.")
def compare(base: str, whatifs: tuple[str, ...], vary: tuple[str, ...], replications: int, seed: int | None,
            days: float | None, overrides: tuple[str, ...], out: str | None, as_json: bool, jobs: int | None,
            force: bool, precision: str | None, max_replications: int, metrics: tuple[str, ...],
            show_all: bool) -> None:
    """Compare what-ifs with a base, paired by replication (common random numbers).

    Every scenario runs the same replications with the same seed. Prints, per
    what-if, the headline metrics (conversions, profit, median first call,
    contact rate) with the paired 95% interval of the difference and a verdict
    (better / worse / no detectable difference); --all adds the full table
    (every metric, significance, unpaired widths). Writes compare.json,
    compare.csv and metrics/<scenario>.json (every metric) to the run folder.
    """
    from pathlib import Path

    from leadsim.outputs.planning_files import (
        compare_doc,
        interrupted_doc,
        write_compare,
    )
    from leadsim.outputs.planning_tables import format_compare
    from leadsim.outputs.verdict import compare_verdict, terminal_width
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
    folder = claim_folder(out, f"compare-{names[0]}")
    try:
        comparison, grid = run_compare(scenarios, names, replications, root, _workers(jobs), _reporter,
                                       target, max_replications)
    except Interrupted as stop:
        partial, requested = stop.done, stop.total
        docs = {n: interrupted_doc(aggregate_summaries(g, n, root), requested)
                for n, g in zip(names, stop.grid or []) if g}
        if partial is None and not docs:
            _interrupted("no replication had finished", None)
        empty = {"base": names[0], "replications": 0, "seed": root, "variants": [], "interrupted": True,
                 "replications_requested": requested}
        with writing_results(folder) as stage:
            write_compare(stage, partial, docs, requested, empty)
        if partial is None:
            _interrupted("no complete pair of replications (each scenario's finished ones are in metrics/)",
                         folder)
        click.echo(json.dumps(compare_doc(partial, requested), indent=2) if as_json
                   else "\n".join(compare_verdict(partial, scenarios[0].run.days, terminal_width()))
                   + ("\n\n" + format_compare(partial, shown) if show_all or shown else ""))
        _interrupted(f"{partial.replications} complete pairs of replications", folder)
    with writing_results(folder) as stage:
        write_compare(stage, comparison, {n: aggregate_summaries(g, n, root) for n, g in zip(names, grid)})
    if as_json:
        click.echo(json.dumps(comparison.as_json(), indent=2, allow_nan=False))
    else:
        click.echo("\n".join(compare_verdict(comparison, scenarios[0].run.days, terminal_width())))
        if show_all or shown:
            click.echo("\n" + format_compare(comparison, shown))
        else:
            click.echo("\n(every metric: --all, compare.csv, compare.json)")
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
    from leadsim.outputs.planning_files import (
        mark_partial_points,
        sweep_doc,
        write_sweep,
    )
    from leadsim.outputs.planning_tables import format_sweep, sweep_title
    from leadsim.outputs.verdict import sweep_verdict, terminal_width
    from leadsim.planner.parallel import Interrupted
    from leadsim.planner.sweep import check_params, load_points, parse_param, run_sweep

    parsed = [parse_param(p) for p in params]
    check_params(parsed)
    shown = _metrics(metrics, SWEEP_METRICS) or list(SWEEP_METRICS)
    points = load_points(scenario, _planning_overrides(overrides, days), parsed)
    root = points[0].run.seed if seed is None else seed
    check_work(points, replications, force, "sweep")
    folder = claim_folder(out, f"sweep-{points[0].name}")
    stopped = False
    try:
        result = run_sweep(points, parsed, replications, root, _workers(jobs), _reporter)
    except Interrupted as stop:
        result, stopped = stop.done, True
    rows, paths = mark_partial_points(result.rows(), replications), [p.path for p in parsed]
    doc = sweep_doc(points[0].name, paths, replications, root, rows, interrupted=stopped)
    with writing_results(folder) as stage:
        write_sweep(stage, rows, paths, shown, sweep_title(points[0].name, rows, replications, root), doc)
    if as_json:
        click.echo(json.dumps(doc, indent=2, allow_nan=False))
    else:
        click.echo("\n".join(sweep_verdict(rows, paths, shown, replications, root, points[0].run.days,
                                           terminal_width())) + "\n")
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
    from leadsim.outputs.run_report import scenario_currency
    from leadsim.outputs.verdict import staff_verdict, terminal_width
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
    folder = claim_folder(out, f"staff-{resolved.name}")
    stopped = False
    try:
        answer = find_headcount(loader, goal, chosen.name, min(max(start, low), high),
                                low, high, replications, root, _workers(jobs), _reporter)
    except Interrupted as stop:
        answer, stopped = stop.done, True
    with writing_results(folder) as stage:
        add_erlang(answer, resolved)  # inside: a signal now waits until the results are written
        write_staffing(stage, answer, resolved.name)
    if as_json:
        click.echo(json.dumps(staffing_doc(answer, resolved.name), indent=2, allow_nan=False))
    else:
        click.echo("\n".join(staff_verdict(answer, resolved.name, resolved.run.days, scenario_currency(resolved),
                                           terminal_width())))
        if by_table:
            click.echo(f"\nTeam {chosen.name!r} is staffed by a table: each headcount above is a staffing_scale "
                       "in percent of its table (100 = the table as written).")
        click.echo(f"\nResults written to {folder}/")
    if stopped:
        _interrupted(f"{len(answer.candidates)} headcounts evaluated", folder)


# ---------------------------------------------------------------- optimize


@main.command()
@scenario_argument
@click.option("--space", "space_file", default=None, metavar="FILE",
              help="A search-space YAML file, or a bundled space's name (baseline -> scenarios/space_baseline.yaml).")
@click.option("--param", "params", multiple=True, metavar="PATH=LO..HI",
              help="A lever in the sweep syntax instead of --space: PATH=LO..HI[:STEP|:log] or PATH=V1,V2,... "
              "(repeatable), e.g. teams.sdr.headcount=4..14.")
@click.option("--trials", "n_trials", type=click.IntRange(min=1), default=40, show_default=True,
              help="Finished trials the study should hold in all (a re-run resumes up to this number).")
@click.option("--objective", "objectives", multiple=True, metavar="[max:|min:]METRIC",
              help="Metric to optimise (default conversions; repeat for a Pareto front).")
@click.option("--constraint", "constraints", multiple=True, metavar='"METRIC<=VALUE"',
              help='A constraint on a plan\'s mean, e.g. "speed_to_first_attempt_p50_min<=5" (repeatable).')
@click.option("--replications", "-r", type=click.IntRange(min=1), default=4, show_default=True,
              help="Replications per trial (the same seeds for every trial).")
@click.option("--confirm", "confirm_k", type=click.IntRange(min=0), default=3, show_default=True,
              help="Re-run the best K plans on fresh replications and compare them (0: skip).")
@click.option("--confirm-replications", type=click.IntRange(min=2), default=20, show_default=True,
              help="Replications per plan when confirming.")
@click.option("--sampler", type=click.Choice(["tpe", "cmaes", "random", "grid", "nsga2"]), default="tpe",
              show_default=True, help="Optuna sampler.")
@click.option("--storage", default=None, metavar="URL",
              help="Study storage: default study.db (SQLite) in the run folder; sqlite:///PATH, journal:PATH or "
              "postgresql://USER:PASSWORD@HOST/DB to share one study between workers and machines.")
@click.option("--study", "study_name", default=None, help="Study name (default: derived from the question).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Root seed of the replications (run.seed).")
@click.option("--sampler-seed", type=click.IntRange(min=0), default=None, help="Sampler seed (default: --seed).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Stop starting new trials after this long.")
@click.option("--days", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Measured window in days (run.days).")
@set_option
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Run folder (default: runs/optimize-<scenario>-<study>/, so the same command resumes).")
@click.option("--json", "as_json", is_flag=True, help="Print study.json instead of the verdict.")
@jobs_option
def optimize(scenario: str, space_file: str | None, params: tuple[str, ...], n_trials: int,
             objectives: tuple[str, ...], constraints: tuple[str, ...], replications: int, confirm_k: int,
             confirm_replications: int, sampler: str, storage: str | None, study_name: str | None,
             seed: int | None, sampler_seed: int | None, timeout: float | None, days: float | None,
             overrides: tuple[str, ...], out: str | None, as_json: bool, jobs: int | None) -> None:
    """Search the levers of a scenario with Optuna for the best feasible plan, and say how sure it is.

    Each trial runs R replications on the same seeds as every other trial; the
    top K plans are then confirmed on fresh replications with paired 95%
    intervals against the runner-up and today. Writes study.db, trials.csv,
    study.json, best.yaml and plots to the run folder. Re-running the same
    command resumes the study (after Ctrl-C, exit 130, or a crash).
    """
    from pathlib import Path

    from leadsim.outputs.optimize_files import (
        TrialProgress,
        best_text,
        safe_name,
        write_optimize_folder,
    )
    from leadsim.outputs.optimize_report import format_trials_table, verdict
    from leadsim.outputs.runfolder import make_run_dir
    from leadsim.planner import optimize as opt
    from leadsim.planner.confirm import confirm
    from leadsim.planner.goals import check_space, parse_constraint, parse_objectives
    from leadsim.planner.parallel import Interrupted
    from leadsim.planner.space import space_from_params
    from leadsim.planner.space_file import load_space
    from leadsim.planner.study_store import open_storage, parse_storage
    from leadsim.scenarios.loader import resolved_yaml

    if bool(space_file) == bool(params):
        raise click.UsageError("give the levers with --space FILE or with --param PATH=LO..HI (not both)")
    space = load_space(space_file) if space_file else space_from_params(params)
    goals, limits = parse_objectives(objectives), [parse_constraint(c) for c in constraints]
    common = _planning_overrides(overrides, days)
    base = check_space(space, scenario, common)
    root = base.run.seed if seed is None else seed
    config = opt.OptimizeConfig(scenario, common, space, tuple(goals), tuple(limits), replications, root, sampler,
                                root if sampler_seed is None else sampler_seed)
    base_yaml = resolved_yaml(base)
    name = study_name or opt.default_study_name(config.question(base_yaml))
    folder = make_run_dir(out or Path("runs") / f"optimize-{safe_name(base.name)}-{safe_name(name)}", base.name)
    spec = parse_storage(storage, folder)
    study = opt.open_study(config, open_storage(spec), name, base_yaml, alone=storage is None)
    command = " ".join(["leadsim optimize", scenario, f"--space {space_file}" if space_file else
                        " ".join(f"--param {p}" for p in params), f"--trials {n_trials}", f"-r {replications}",
                        *(f"--objective {o}" for o in goals), *(f"--constraint '{c.metric}{c.op}{c.value:g}'"
                                                               for c in limits),
                        f"--seed {root}", *(f"--set {o}" for o in overrides), f"--days {days}" if days else "",
                        f"--out {folder}"])
    info = {"study": name, "storage": spec.shown, "storage_kind": spec.kind, "scenario": base.name,
            "scenario_file": scenario, "overrides": list(common),
            "base": {"name": base.name, "file": scenario, "overrides": list(common),
                     "sha1": config.question(base_yaml)["base_sha1"]}, "trials_requested": n_trials,
            "confirm": confirm_k, "command": " ".join(command.split()), "interrupted": False}
    progress = TrialProgress(config)
    try:
        opt.run_study(config, study, base, n_trials, _workers(jobs), timeout, progress)
    except Interrupted:
        progress.close()
        trials = study.get_trials(deepcopy=False)
        write_optimize_folder(folder, config, study, trials, None, {**info, "interrupted": True},
                              verdict(config, None, trials, n_trials), None)
        _interrupted(f"{sum(1 for t in trials if opt.counted(t))} of {n_trials} trials finished (resume with the "
                     "same command)", folder)
    progress.close()
    trials = study.get_trials(deepcopy=False)
    result, best, stopped = None, None, False
    if confirm_k:
        try:
            with _reporter(f"confirm: {confirm_k} plans + today x {confirm_replications} replications",
                           (confirm_k + 1) * confirm_replications) as bar:
                result = confirm(config, base, trials, confirm_k, confirm_replications, _workers(jobs), bar)
        except Interrupted as stop:
            result, stopped = stop.done, True
    if result is not None and result.winner is not None:
        winner = opt.plan_scenario(config, base, result.winner.levers)
        winner = winner.model_copy(update={"run": winner.run.model_copy(
            update={"seed": result.seed, "replications": result.replications})})
        best = best_text(resolved_yaml(winner), result.winner.levers, info["command"], result.winner.label,
                         result.seed, result.replications)
    finished = sum(1 for t in trials if opt.counted(t))
    why = "--confirm 0" if not confirm_k else "the study stopped early (--timeout or an exhausted grid)" \
        if finished < n_trials else "run the same command again to finish"
    text = verdict(config, result, trials, n_trials, why)
    write_optimize_folder(folder, config, study, trials, result, {**info, "interrupted": stopped}, text, best)
    if as_json:
        click.echo((folder / "study.json").read_text(encoding="utf-8").rstrip())
    else:
        if result is not None:
            click.echo(format_trials_table(config, result) + "\n")
        click.echo(text)
        click.echo(f"\nResults written to {folder}/")
    if stopped:
        _interrupted("confirmation stopped early", folder)
