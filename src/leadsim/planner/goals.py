"""What ``leadsim optimize`` aims at: objectives, constraints, and the space checked against a scenario.

* ``--objective METRIC`` names any metric of metrics.json. Its direction is the
  natural one (more conversions, profit, contact; less cost, waiting, speed
  minutes), or set it with a prefix: ``max:METRIC`` / ``min:METRIC``. Several
  objectives make a multi-objective search with a Pareto front.
* ``--constraint "METRIC<=VALUE"`` (or ``>=``) uses the ``staff --target``
  syntax. A plan is *feasible* when the mean of each constraint's metric over
  the trial's replications meets it (the rule ``staff`` uses). Optuna gets the
  constraint values ``c`` with ``c <= 0`` meaning met, so infeasible trials are
  recorded as such, never penalised into the objective.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from leadsim.planner.space import (
    Space,
    lever_values,
    optuna_choices,
    overrides_for,
    shift_lever,
)
from leadsim.planner.specs import SpecError, check_metric
from leadsim.planner.staffing import Target, parse_target
from leadsim.scenarios.errors import ScenarioError

#: Metrics where less is better; every other metric is maximised unless told otherwise.
LOWER_IS_BETTER = frozenset({
    "speed_to_first_attempt_mean_min", "speed_to_first_attempt_p50_min", "speed_to_first_attempt_p90_min",
    "speed_to_first_contact_mean_min", "speed_to_first_contact_p50_min", "speed_to_first_contact_p90_min",
    "share_never_attempted", "share_waited", "share_called_once", "attempts_to_contact",
    "backlog_due_mean", "backlog_new_mean", "share_censored", "cost", "cost_per_conversion",
})

#: Violation given to Optuna for a constraint whose metric is undefined (NaN) in a trial.
UNDEFINED_VIOLATION = 1e12


@dataclass(frozen=True)
class Objective:
    """A metric to maximise or minimise."""

    metric: str
    direction: str  # "maximize" or "minimize"

    @property
    def sign(self) -> int:
        """+1 when larger is better, -1 when smaller is."""
        return 1 if self.direction == "maximize" else -1

    def better(self, a: float, b: float) -> bool:
        """Whether value ``a`` is strictly better than ``b``."""
        return a * self.sign > b * self.sign

    def __str__(self) -> str:
        return f"{'max' if self.sign > 0 else 'min'}:{self.metric}"


def parse_objective(text: str) -> Objective:
    """Parse ``METRIC``, ``max:METRIC`` or ``min:METRIC``.

    Raises:
        SpecError: for an unknown metric or prefix.
    """
    raw = text.strip()
    prefix, sep, rest = raw.partition(":")
    if sep:
        if prefix.strip().lower() not in ("max", "min"):
            raise SpecError(f"--objective {text!r}: expected METRIC, max:METRIC or min:METRIC")
        metric = check_metric(rest.strip(), f"--objective {text!r}")
        return Objective(metric, "maximize" if prefix.strip().lower() == "max" else "minimize")
    metric = check_metric(raw, f"--objective {text!r}")
    return Objective(metric, "minimize" if metric in LOWER_IS_BETTER else "maximize")


def parse_objectives(texts: Sequence[str]) -> list[Objective]:
    """Parse every ``--objective`` (default: maximise conversions); a metric may appear once.

    Raises:
        SpecError: for a bad or repeated objective.
    """
    objectives = [parse_objective(t) for t in texts] or [Objective("conversions", "maximize")]
    metrics = [o.metric for o in objectives]
    for metric in metrics:
        if metrics.count(metric) > 1:
            raise SpecError(f"--objective: {metric} is given twice")
    return objectives


def parse_constraint(text: str) -> Target:
    """Parse ``METRIC<=VALUE`` / ``METRIC>=VALUE`` (the ``staff --target`` syntax).

    Raises:
        SpecError: the ``--target`` message, worded for ``--constraint``.
    """
    try:
        return parse_target(text)
    except SpecError as exc:
        raise SpecError(str(exc).replace("--target", "--constraint", 1)) from None


def constraint_values(constraints: Sequence[Target], means: dict[str, float]) -> list[float]:
    """Optuna's constraint values: ``<= 0`` when met (the mean is on the right side of the limit)."""
    out = []
    for c in constraints:
        x = means.get(c.metric, math.nan)
        if x is None or not math.isfinite(x):
            out.append(UNDEFINED_VIOLATION)
        else:
            out.append(float(c.value - x) if c.op == ">=" else float(x - c.value))
    return out


def violation(constraints: Sequence[Target], means: dict[str, float]) -> float:
    """How far a plan is from feasible: the sum of violations, each relative to its limit's size."""
    total = 0.0
    for c, v in zip(constraints, constraint_values(constraints, means)):
        if v > 0:
            total += v / max(abs(c.value), 1e-9)
    return total


# ---------------------------------------------------------------- the space against a scenario


def _as_lever_error(exc: ScenarioError, space: Space, path: str, value: Any) -> ScenarioError:
    """Re-label a scenario problem caused by a lever's value as a problem of the space."""
    problems = []
    for problem in exc.problems:
        rule = problem.rule.replace("--set path", "lever path").replace("--set", "lever")
        where = f" at {problem.path}" if problem.path and problem.path != path else ""
        rule = f"the scenario rejects this lever's value{where}: {rule}"
        problems.append(dataclasses.replace(problem, file=space.file, path=f"levers.{path}", rule=rule,
                                            value=value, note=None, line=None))
    return ScenarioError(problems=problems)


def _values_to_check(space: Space) -> list[tuple[str, dict[str, Any]]]:
    """(lever, a full set of lever values) for every extreme value of every lever."""
    center: dict[str, Any] = {}
    for lever in space.levers:
        if lever.kind in ("choice", "fixed"):
            center[lever.path] = lever.choices[0]
        elif lever.kind == "int":
            center[lever.path] = int(lever.low)
        else:
            center[lever.path] = float(lever.low)
    cases: list[tuple[str, dict[str, Any]]] = [("", center)]
    for lever in space.levers:
        if lever.kind == "choice":
            options: Sequence[Any] = lever.choices
        elif lever.kind == "int":
            options = (int(lever.low), int(lever.high))
        elif lever.kind == "float":
            options = (float(lever.low), float(lever.high))
        else:
            continue
        for option in options:
            cases.append((lever.path, dict(center, **{lever.path: option})))
    return cases


def _check_shift_levers(space: Space, base: Any) -> None:
    teams = {t.name: t for t in base.teams}
    by_team: dict[str, set[int]] = {}
    for lever in space.levers:
        split = shift_lever(lever.path)
        if split is None:
            continue
        name, index = split
        where = f"levers.{lever.path}"
        if name not in teams:
            raise ScenarioError(space.file, where, f"no team named {name!r}; teams are {sorted(teams)}", name)
        if index >= len(teams[name].shifts):
            raise ScenarioError(space.file, where, f"team {name!r} has {len(teams[name].shifts)} shift(s), "
                                f"numbered 0..{len(teams[name].shifts) - 1}", index)
        by_team.setdefault(name, set()).add(index)
    dist = base.policy.distribution
    for name, indices in by_team.items():
        missing = sorted(set(range(len(teams[name].shifts))) - indices)
        first = f"levers.teams.{name}.shifts.{min(indices)}.headcount"
        if missing:
            raise ScenarioError(space.file, first, f"headcount per shift needs a lever for every shift of "
                                f"team {name!r}; missing shifts {missing} (use {{fixed: N}} to hold one)")
        if any(lv.path == f"teams.{name}.headcount" for lv in space.levers):
            raise ScenarioError(space.file, f"levers.teams.{name}.headcount", "a team's headcount and its "
                                "headcount per shift cannot both be levers")
        if name in (dist.group, dist.handoff):
            raise ScenarioError(space.file, first, f"team {name!r} is named by policy.distribution; a team "
                                "split into one team per shift cannot keep that role")


def check_space(space: Space, scenario: str, overrides: Sequence[str] = ()) -> Any:
    """Check every lever against the scenario before anything runs.

    Each lever's extreme values (LO and HI, or every choice) are applied to the
    base scenario and validated by the scenario's own rules, so an unknown path
    or a value the scenario forbids is reported now, naming the space file and
    the lever, not in the middle of a search.

    Args:
        space: the space.
        scenario: the scenario file or bundled name.
        overrides: the command's own ``--set`` overrides.

    Returns:
        The base Scenario (with the overrides, without levers).

    Raises:
        ScenarioError: naming the space file, ``levers.PATH``, the rule and the value.
    """
    from leadsim.scenarios.loader import load_scenario

    base = load_scenario(scenario, overrides)
    _check_shift_levers(space, base)
    checked: set[str] = set()
    for path, values in _values_to_check(space):
        texts = overrides_for(space, values, base)
        key = "\n".join(texts)
        if key in checked:
            continue
        checked.add(key)
        try:
            load_scenario(scenario, [*overrides, *texts])
        except ScenarioError as exc:
            culprit = path or _culprit(exc, space)
            raise _as_lever_error(exc, space, culprit, values.get(culprit)) from None
    for lever in space.levers:  # Optuna's categorical values must be storable
        if lever.kind == "choice":
            optuna_choices(lever)
    return base


def _culprit(exc: ScenarioError, space: Space) -> str:
    """The lever whose override a problem names (for the first, all-levers-at-LO check)."""
    for problem in exc.problems:
        for lever in space.levers:
            if lever.path in (problem.note or "") or (problem.path or "").startswith(lever.path):
                return lever.path
    return space.levers[0].path


__all__ = [
    "Objective",
    "Target",
    "check_space",
    "constraint_values",
    "lever_values",
    "parse_constraint",
    "parse_objective",
    "parse_objectives",
    "violation",
]
