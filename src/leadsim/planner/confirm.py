"""Confirming the best plans on fresh luck, so a lucky trial is never reported as the best.

During the search every trial runs only R replications, and the best of many
noisy means is biased upward (the winner's curse). When the budget is spent,
the top K plans -- and the base scenario, "today" -- are run again on C *fresh*
replications: root seed ``seed + 1`` (the confirm seed), replications ``0..C-1``,
the same for every plan (common random numbers). The answer is the plan with
the best confirmed mean among those whose confirmed means meet every
constraint; it is compared with the runner-up and with today by paired 95%
intervals (:func:`leadsim.planner.compare.paired_difference`). The winner is
*significantly* better than the runner-up when that interval excludes zero.

Because confirmation uses a plain root seed and replications from 0, the
winning scenario written with ``run.seed`` = confirm seed and
``run.replications`` = C (``best.yaml``) reproduces the confirmed numbers
exactly under ``leadsim run``.

With several objectives there is no single winner: the confirmed plans of the
Pareto front are reported, each with its interval.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadsim.planner.compare import Difference, paired_difference
from leadsim.planner.goals import constraint_values, violation
from leadsim.planner.optimize import OptimizeConfig, info, plan_scenario
from leadsim.planner.parallel import Interrupted
from leadsim.planner.replicate import RepSummary, run_grid
from leadsim.planner.stats import Summary, summarize

#: Headline metrics reported for every confirmed plan beside the objectives and constraints.
HEADLINE = ("conversions", "profit", "cost", "speed_to_first_attempt_p50_min", "rep_occupancy")


def confirm_seed(seed: int) -> int:
    """The root seed of confirmation: fresh luck, independent of the search's replications."""
    return seed + 1


@dataclass(frozen=True)
class Candidate:
    """A plan picked from the search for confirmation."""

    number: int
    levers: dict[str, Any]
    search_values: list[float]
    search_feasible: bool


def _key(levers: dict[str, Any]) -> str:
    return json.dumps(levers, sort_keys=True, default=str)


def pick_candidates(config: OptimizeConfig, trials: Sequence[Any], k: int) -> list[Candidate]:
    """The plans to confirm: the K best distinct feasible plans (or, with none feasible, the K closest).

    With several objectives: the feasible trials on the Pareto front (non-dominated), up to K,
    in the order of the first objective.

    Args:
        config: the question.
        trials: the study's trials (FrozenTrial).
        k: how many.
    """
    from optuna.trial import TrialState

    done = [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None]
    seen: dict[str, Any] = {}
    for t in done:  # the first trial of each distinct plan (re-runs repeat the same numbers)
        seen.setdefault(_key(t.user_attrs.get("levers", t.params)), t)
    unique = list(seen.values())
    feasible = [t for t in unique if info(t).get("feasible", True)]
    first = config.objectives[0]
    if not feasible:
        def means(t):
            return info(t).get("metrics", {})
        pool = sorted(unique, key=lambda t: (violation(config.constraints, {m: (v if v is not None else math.nan)
                                                                            for m, v in means(t).items()}),
                                             -first.sign * t.values[0], t.number))
    elif len(config.objectives) == 1:
        pool = sorted(feasible, key=lambda t: (-first.sign * t.values[0], t.number))
    else:
        pool = sorted(_front(config, feasible), key=lambda t: (-first.sign * t.values[0], t.number))
    return [Candidate(t.number, dict(t.user_attrs.get("levers", t.params)), list(t.values),
                      bool(info(t).get("feasible", True))) for t in pool[:k]]


def _front(config: OptimizeConfig, trials: Sequence[Any]) -> list[Any]:
    """Non-dominated trials (every objective turned into 'larger is better')."""
    signs = [o.sign for o in config.objectives]
    points = [[s * v for s, v in zip(signs, t.values)] for t in trials]

    def dominated(i: int) -> bool:
        return any(all(a >= b for a, b in zip(points[j], points[i])) and points[j] != points[i]
                   for j in range(len(points)) if j != i)

    return [t for i, t in enumerate(trials) if not dominated(i)]


@dataclass(frozen=True)
class Confirmed:
    """A plan (or today's scenario) re-run on the confirmation replications.

    Attributes:
        label: ``today`` or ``trial N``.
        number: the trial number (None for today).
        levers: the plan's lever values (empty for today).
        summaries: mean and 95% interval of each reported metric.
        reps: per-replication values of each reported metric.
        feasible: every constraint met by the confirmed mean.
    """

    label: str
    number: int | None
    levers: dict[str, Any]
    summaries: dict[str, Summary]
    reps: dict[str, list[float]]
    feasible: bool


@dataclass
class Confirmation:
    """The outcome of confirmation.

    Attributes:
        seed: the confirm seed.
        replications: C.
        today: the base scenario on the same replications.
        plans: the confirmed candidates, best first (feasible before infeasible).
        winner: the answer (None if no confirmed plan is feasible, or for several objectives).
        runner_up: the next best feasible plan (None if there is none).
        vs_runner_up: paired difference winner - runner-up on each objective.
        vs_today: paired difference winner - today on every reported metric.
        binding: constraints that stopped better plans in the search (metric -> how many).
        interrupted: Ctrl-C cut confirmation short (then only what finished is reported).
    """

    seed: int
    replications: int
    today: Confirmed | None
    plans: list[Confirmed]
    winner: Confirmed | None = None
    runner_up: Confirmed | None = None
    vs_runner_up: dict[str, Difference] = field(default_factory=dict)
    vs_today: dict[str, Difference] = field(default_factory=dict)
    binding: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False


def reported_metrics(config: OptimizeConfig) -> list[str]:
    """Objectives, constraints, then the headline metrics, each once."""
    out = list(config.metrics)
    for name in HEADLINE:
        if name not in out:
            out.append(name)
    return out


def _confirmed(config: OptimizeConfig, label: str, number: int | None, levers: dict[str, Any],
               runs: Sequence[RepSummary]) -> Confirmed:
    names = reported_metrics(config)
    reps = {m: [float(r.metrics[m]) for r in runs] for m in names}
    summaries = {m: summarize(v) for m, v in reps.items()}
    means = {m: (s.mean if s.mean is not None else math.nan) for m, s in summaries.items()}
    feasible = all(c <= 0 for c in constraint_values(config.constraints, means))
    return Confirmed(label, number, levers, summaries, reps, feasible)


def _rank_key(config: OptimizeConfig, plan: Confirmed) -> tuple[bool, float]:
    first = config.objectives[0]
    mean = plan.summaries[first.metric].mean
    return (not plan.feasible, -first.sign * mean if mean is not None else math.inf)


def binding_constraints(config: OptimizeConfig, trials: Sequence[Any], winner_value: float,
                        confirmed: Sequence[Confirmed] = (), winner: Confirmed | None = None) -> dict[str, int]:
    """For each constraint, how many plans better than the winner broke it.

    A plan counts when its search mean beats the winner's search mean and broke the
    constraint in the search, or when its confirmed mean beats the winner's confirmed
    mean and broke it on confirmation. Each plan counts once per constraint.
    """
    from optuna.trial import TrialState

    first = config.objectives[0]
    broke: dict[str, set[int]] = {}
    for t in trials:
        if t.state != TrialState.COMPLETE or t.values is None or info(t).get("feasible", True):
            continue
        if not first.better(t.values[0], winner_value):
            continue
        for c, v in zip(config.constraints, info(t).get("constraints", ())):
            if v > 0:
                broke.setdefault(str(c), set()).add(t.number)
    best = None if winner is None else winner.summaries[first.metric].mean
    for plan in confirmed:
        mean = plan.summaries[first.metric].mean
        if plan.feasible or plan.number is None or best is None or mean is None or not first.better(mean, best):
            continue
        for c in config.constraints:
            if not c.met(plan.summaries[c.metric].mean):
                broke.setdefault(str(c), set()).add(plan.number)
    return {c: len(numbers) for c, numbers in broke.items()}


def confirm(config: OptimizeConfig, base: Any, trials: Sequence[Any], k: int, replications: int,
            jobs: int = 1, progress: Callable[[int], None] | None = None,
            candidates: list[Candidate] | None = None) -> Confirmation:
    """Re-run today's scenario and the top K plans on C fresh replications and pick the answer.

    Args:
        config: the question.
        base: the base Scenario ("today").
        trials: the study's trials.
        k: how many plans to confirm.
        replications: C, replications per plan.
        jobs: worker processes.
        progress: called with the number of runs finished.
        candidates: the plans (default :func:`pick_candidates`).

    Raises:
        Interrupted: on Ctrl-C; ``done`` is the Confirmation of the complete pairs (or None).
    """
    picks = candidates if candidates is not None else pick_candidates(config, trials, k)
    seed = confirm_seed(config.seed)
    scenarios = [base] + [plan_scenario(config, base, c.levers) for c in picks]
    interrupted = False
    try:
        grid = run_grid(scenarios, range(replications), seed, jobs=jobs, progress=progress)
    except Interrupted as stop:
        grid, interrupted = stop.done, True
        n = min(len(g) for g in grid)
        if n < 2:
            raise Interrupted(None, stop.total) from None
        grid = [g[:n] for g in grid]
    today = _confirmed(config, "today", None, {}, grid[0])
    plans = [_confirmed(config, f"trial {c.number}", c.number, c.levers, runs) for c, runs in zip(picks, grid[1:])]
    plans.sort(key=lambda p: _rank_key(config, p))
    result = Confirmation(seed, len(grid[0]), today, plans, interrupted=interrupted)
    if len(config.objectives) == 1:
        feasible = [p for p in plans if p.feasible]
        result.winner = feasible[0] if feasible else None
        result.runner_up = feasible[1] if len(feasible) > 1 else None
    elif plans and plans[0].feasible:
        result.winner = None
    if result.winner is not None:
        w = result.winner
        names = reported_metrics(config)
        result.vs_today = {m: paired_difference(today.reps[m], w.reps[m]) for m in names}
        if result.runner_up is not None:
            r = result.runner_up
            result.vs_runner_up = {o.metric: paired_difference(r.reps[o.metric], w.reps[o.metric])
                                   for o in config.objectives}
        search = next((c.search_values[0] for c in picks if c.number == w.number), math.nan)
        result.binding = binding_constraints(config, trials, search, plans, w)
    if interrupted:
        raise Interrupted(result, len(scenarios) * replications)
    return result
