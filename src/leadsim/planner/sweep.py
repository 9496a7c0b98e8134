"""Parameter sweeps: a grid over one or two scenario fields, every point replicated.

``--param PATH=LO..HI[:STEP]`` names a scenario field with the same dotted path
as ``--set`` (``teams.sdr.headcount``, ``policy.cadence.call_target``,
``sources.web_form.volume.per_day``) and a range of values:

* ``6..16`` -- integers 6, 7, ..., 16 (step 1);
* ``6..16:2`` -- 6, 8, ..., 16 (HI is included when the steps land on it);
* ``0.5..0.9:0.1`` -- decimals need a step;
* ``a,b,c`` -- an explicit list (values read as YAML, e.g.
  ``policy.distribution=shared_pool,round_robin``).

Every point runs the same replications with the same seed, so neighbouring
points differ by the parameter's effect, not by luck (common random numbers),
and curves come out smooth.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, Overflow, localcontext
from typing import Any

from leadsim.planner.parallel import Interrupted, Reporter, null_reporter
from leadsim.planner.replicate import RepSummary, run_grid
from leadsim.planner.specs import SpecError, parse_decimal, split_param, split_range
from leadsim.planner.stats import summarize
from leadsim.simulator.metrics import METRIC_NAMES

#: At most this many values per parameter, and grid points in all.
MAX_VALUES = 200
MAX_POINTS = 400
#: Range ends and steps are at most this large in magnitude (every bounded scenario field fits).
MAX_MAGNITUDE = Decimal("1e15")

_FORMS = "expected PATH=LO..HI[:STEP] (e.g. teams.sdr.headcount=6..16 or " \
         "policy.cadence.call_target=2..8:2) or PATH=V1,V2,... (a list of values)"


@dataclass(frozen=True)
class SweepParam:
    """One swept field.

    Attributes:
        path: the dotted scenario path (as for ``--set``).
        values: the values, as numbers where they are numbers.
        texts: each value as it is written into a ``--set`` override.
    """

    path: str
    values: tuple[Any, ...]
    texts: tuple[str, ...]




def _too_large(value: Decimal) -> bool:
    # copy_abs and comparison never round, so 1e999999999 cannot overflow here.
    return value.copy_abs() > MAX_MAGNITUDE


def _how_many(lo: Decimal, hi: Decimal, step: Decimal) -> tuple[int | None, str]:
    """The number of values of the range (None if beyond counting) and how to show it."""
    with localcontext() as ctx:
        ctx.traps[Overflow] = False  # huge ends or a tiny STEP give Infinity instead of raising
        ctx.traps[InvalidOperation] = False
        steps = (hi - lo) / step
    if not steps.is_finite():
        return None, "more than 1e+999999"
    count = int(steps) + 1
    return count, (f"{count:,}" if count < 10**15 else f"{Decimal(count):.3e}")


def _range_values(lo_text: str, hi_text: str, step_text: str | None, typed: str) -> list[Decimal]:
    lo = parse_decimal(lo_text, typed, "LO", _FORMS)
    hi = parse_decimal(hi_text, typed, "HI", _FORMS)
    if step_text is None:
        integral = all(v.copy_abs() <= MAX_MAGNITUDE and v == v.to_integral_value() for v in (lo, hi))
        if not integral and not (_too_large(lo) or _too_large(hi)):
            raise SpecError(f"--param {typed!r}: a range of decimals needs a step, "
                            f"e.g. {lo_text}..{hi_text}:0.1")
        step = Decimal(1)
    else:
        step = parse_decimal(step_text, typed, "STEP", _FORMS)
        if step <= 0:
            raise SpecError(f"--param {typed!r}: STEP must be > 0 (got {step_text.strip()})")
    if lo > hi:
        raise SpecError(f"--param {typed!r}: LO ({lo_text.strip()}) is above HI ({hi_text.strip()})")
    count, shown = _how_many(lo, hi, step)
    for what, text, value in (("LO", lo_text, lo), ("HI", hi_text, hi), ("STEP", step_text, step)):
        if _too_large(value):
            raise SpecError(f"--param {typed!r}: {what} {str(text).strip()!r} is out of range (at most "
                            f"{MAX_MAGNITUDE:.0e} in magnitude; no scenario field goes that far); the "
                            f"range would take {shown} values (points), at most {MAX_VALUES} per parameter")
    if count is None or count > MAX_VALUES:
        raise SpecError(f"--param {typed!r}: would take {shown} values (points); at most {MAX_VALUES} "
                        "per parameter -- use a larger STEP")
    return [lo + i * step for i in range(count)]


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def parse_param(text: str) -> SweepParam:
    """Parse one ``--param`` (see the module docstring for the forms).

    Raises:
        SpecError: for a missing ``=`` or path, a malformed range, a step that is
            not > 0, LO above HI, or too many values.
    """
    path, spec = split_param(text, _FORMS)
    if ".." in spec:
        lo, hi, step = split_range(text, spec, _FORMS)
        numbers = _range_values(lo, hi, step, text)
        values = tuple(_number(v) for v in numbers)
        return SweepParam(path, values, tuple(str(v) for v in values))
    items = [item.strip() for item in spec.split(",")]
    if len(items) < 2 or any(not item for item in items):
        raise SpecError(f"--param {text!r}: {spec!r} is neither a range nor a list of "
                        f"two or more values; {_FORMS}")
    if len(set(items)) != len(items):
        raise SpecError(f"--param {text!r}: the list repeats a value")
    if len(items) > MAX_VALUES:
        raise SpecError(f"--param {text!r}: {len(items)} values; at most {MAX_VALUES} per parameter")
    return SweepParam(path, tuple(_list_value(item) for item in items), tuple(items))


def _list_value(text: str) -> Any:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite() or _too_large(value):
        return text  # not converted (1e999999999 has a billion digits); the schema refuses it
    return _number(value)


def check_params(params: Sequence[SweepParam]) -> None:
    """A sweep takes one or two distinct parameters and at most :data:`MAX_POINTS` points.

    Raises:
        SpecError: otherwise.
    """
    if not 1 <= len(params) <= 2:
        raise SpecError(f"--param: a sweep takes one or two parameters, got {len(params)}")
    if len(params) == 2 and params[0].path == params[1].path:
        raise SpecError(f"--param: {params[0].path} is given twice")
    points = math.prod(len(p.values) for p in params)
    if points > MAX_POINTS:
        raise SpecError(f"--param: {points} grid points; at most {MAX_POINTS}")


def grid_points(params: Sequence[SweepParam]) -> list[tuple[int, ...]]:
    """Index tuples of every grid point, the first parameter varying slowest."""
    return list(itertools.product(*(range(len(p.values)) for p in params)))


def point_overrides(params: Sequence[SweepParam], point: tuple[int, ...]) -> list[str]:
    """The ``--set`` overrides that make one grid point."""
    return [f"{p.path}={p.texts[i]}" for p, i in zip(params, point)]


@dataclass(frozen=True)
class SweepResult:
    """A finished (or interrupted) sweep.

    Attributes:
        params: the swept parameters.
        points: index tuples of the grid points.
        runs: each point's replication summaries (fewer than asked if interrupted).
        replications: replications asked for per point.
        seed: root seed.
        interrupted: whether Ctrl-C cut it short.
    """

    params: list[SweepParam]
    points: list[tuple[int, ...]]
    runs: list[list[RepSummary]]
    replications: int
    seed: int
    interrupted: bool = False

    def rows(self, metrics: Sequence[str] = METRIC_NAMES) -> list[dict[str, Any]]:
        """One row per point: parameter values, ``replications``, and for each
        metric its mean, ``<metric>_ci_low`` and ``<metric>_ci_high`` (None if undefined)."""
        table = []
        for point, runs in zip(self.points, self.runs):
            row: dict[str, Any] = {p.path: p.values[i] for p, i in zip(self.params, point)}
            row["replications"] = len(runs)
            for name in metrics:
                s = summarize([r.metrics[name] for r in runs])
                row[name] = _clean(s.mean)
                row[f"{name}_ci_low"] = _clean(s.ci_low)
                row[f"{name}_ci_high"] = _clean(s.ci_high)
            table.append(row)
        return table


def _clean(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def run_sweep(
    scenarios: Sequence[Any],
    params: Sequence[SweepParam],
    replications: int,
    seed: int,
    jobs: int = 1,
    reporter: Reporter = null_reporter,
) -> SweepResult:
    """Run every grid point's replications (common random numbers across points).

    Args:
        scenarios: one resolved scenario per grid point, in :func:`grid_points` order.
        params: the swept parameters.
        replications: replications per point.
        seed: root seed.
        jobs: worker processes.
        reporter: progress display.

    Returns:
        The sweep.

    Raises:
        Interrupted: on Ctrl-C; ``done`` is a SweepResult with what finished.
    """
    points = grid_points(params)
    if len(points) != len(scenarios):
        raise ValueError(f"{len(points)} grid points but {len(scenarios)} scenarios")
    label = f"sweep {len(points)} points x {replications} replications"
    try:
        with reporter(label, len(points) * replications) as bar:
            runs = run_grid(scenarios, range(replications), seed, jobs=jobs, progress=bar)
    except Interrupted as stop:
        partial = SweepResult(list(params), points, stop.done, replications, int(seed), True)
        raise Interrupted(partial, stop.total) from None
    return SweepResult(list(params), points, runs, replications, int(seed))


def load_points(path: str, overrides: Sequence[str], params: Sequence[SweepParam]) -> list[Any]:
    """Load and validate the scenario of every grid point (before anything runs).

    Args:
        path: the scenario file (or bundled name).
        overrides: the command's ``--set`` overrides, applied before the point's own.
        params: the swept parameters.

    Raises:
        ScenarioError: if a point is not a valid scenario (an unknown path, a value
            out of range); the message names the ``--param`` that made it.
    """
    from leadsim.scenarios.loader import load_scenario
    from leadsim.scenarios.paths import Override

    return [load_scenario(path, [*overrides, *(Override(t, "--param") for t in point_overrides(params, point))])
            for point in grid_points(params)]
