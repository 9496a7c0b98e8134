"""What ``leadsim optimize`` says: the trial rows, study.json, best.yaml, and the verdict in plain words.

Everything here reads results (Optuna's frozen trials, the confirmation) and
never runs a simulation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from leadsim.outputs.planning_tables import format_diff
from leadsim.outputs.runfolder import jsonable
from leadsim.outputs.table import format_value
from leadsim.simulator.metrics import METRICS_BY_NAME

if TYPE_CHECKING:
    from leadsim.planner.compare import Difference
    from leadsim.planner.confirm import Confirmation, Confirmed
    from leadsim.planner.optimize import OptimizeConfig


def info(trial: Any) -> dict[str, Any]:
    """A trial's user attributes with its result unpacked (``leadsim.planner.optimize.info``)."""
    from leadsim.planner.optimize import info as unpack

    return unpack(trial)


def _unit(metric: str) -> str:
    return METRICS_BY_NAME[metric].unit if metric in METRICS_BY_NAME else ""


def _fmt(value: float | None, metric: str) -> str:
    return format_value(value, _unit(metric))


# ---------------------------------------------------------------- levers in words


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def describe_levers(levers: dict[str, Any]) -> str:
    """A plan in words: ``9 reps (sdr), 6 calls, first gap 5 min x3 growth, shared_pool``."""
    parts = []
    for path, value in levers.items():
        segments = path.split(".")
        if path == "spacing.growth":
            continue
        if path == "spacing.first_gap_minutes":
            growth = levers.get("spacing.growth")
            parts.append(f"first gap {_num(value)} min ×{_num(growth)} growth")
        elif len(segments) == 3 and segments[0] == "teams" and segments[2] == "headcount":
            parts.append(f"{value} reps ({segments[1]})")
        elif len(segments) == 5 and segments[2] == "shifts" and segments[4] == "headcount":
            parts.append(f"{value} reps on {segments[1]} shift {int(segments[3]) + 1}")
        elif path == "policy.cadence.call_target":
            parts.append(f"{value} call{'s' if value != 1 else ''}")
        elif path == "policy.distribution.mode":
            parts.append(str(value))
        elif path == "policy.priority":
            parts.append("priority " + " > ".join(str(r) for r in value) if isinstance(value, list) else str(value))
        else:
            parts.append(f"{segments[-1]} {_num(value)}")
    return ", ".join(parts)


# ---------------------------------------------------------------- trials.csv


def trial_rows(config: OptimizeConfig, trials: Sequence[Any]) -> list[dict[str, Any]]:
    """One row per trial: number, state, levers, objective(s), constraint metrics, feasible, duration."""
    rows = []
    paths = [lever.path for lever in config.space.levers]
    for t in trials:
        attrs = info(t)
        levers = attrs.get("levers", t.params)
        metrics = attrs.get("metrics", {})
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name}
        for path in paths:
            value = levers.get(path)
            row[path] = value if not isinstance(value, (list, dict)) else str(value)
        for o in config.objectives:
            row[o.metric] = metrics.get(o.metric)
        for i, c in enumerate(config.constraints):
            row[c.metric] = metrics.get(c.metric)
            values = attrs.get("constraints")
            row[f"meets {c}"] = None if not values else bool(values[i] <= 0)
        row["feasible"] = attrs.get("feasible")
        row["seconds"] = attrs.get("seconds")
        row["retry_of"] = attrs.get("retry_of")
        worker = attrs.get("worker") or {}
        row["worker"] = f"{worker.get('host')}:{worker.get('pid')}" if worker else None
        row["note"] = attrs.get("error") or (f"repeats trial {attrs['duplicate_of']}: not run, not counted"
                                            if "duplicate_of" in attrs else None) or \
            ("one trial too many (another worker took the last one): not run" if attrs.get("surplus") else None)
        rows.append(row)
    return rows


def tally(trials: Sequence[Any]) -> dict[str, int]:
    """Counts of the study's trials: finished (what --trials counts), complete, failed, infeasible, ..."""
    from leadsim.planner.optimize import counted

    states = [t.state.name for t in trials]
    return {
        "finished": sum(1 for t in trials if counted(t)),
        "complete": states.count("COMPLETE"),
        "infeasible": sum(1 for t in trials if t.state.name == "COMPLETE" and info(t).get("feasible") is False),
        "failed": states.count("FAIL"),
        "failed_by_plan": sum(1 for t in trials if t.state.name == "FAIL" and "error" in t.user_attrs),
        "running": states.count("RUNNING"),
        "waiting": states.count("WAITING"),
    }


# ---------------------------------------------------------------- study.json


def _plan_doc(plan: Confirmed | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {"label": plan.label, "trial": plan.number, "levers": plan.levers, "feasible": plan.feasible,
            "metrics": {m: {"mean": s.mean, "ci_low": s.ci_low, "ci_high": s.ci_high, "n": s.n}
                        for m, s in plan.summaries.items()}}


def _diffs(diffs: dict[str, Difference]) -> dict[str, Any]:
    return {m: d.as_json() for m, d in diffs.items()}


def study_doc(config: OptimizeConfig, info: dict[str, Any], trials: Sequence[Any],
              confirmation: Confirmation | None, verdict: str) -> dict[str, Any]:
    """The study.json contract.

    Args:
        config: the question.
        info: ``study``, ``storage``, ``scenario`` (base name), ``trials_requested``,
            ``confirm``, ``interrupted`` and other facts of the run.
        trials: the study's trials.
        confirmation: the confirmation (None if it did not run).
        verdict: the verdict text.
    """
    conf = confirmation
    doc: dict[str, Any] = {
        **info,
        "space": config.space.as_json(),
        "objectives": [{"metric": o.metric, "direction": o.direction} for o in config.objectives],
        "constraints": [{"metric": c.metric, "op": c.op, "value": c.value} for c in config.constraints],
        "replications": config.replications,
        "seed": config.seed,
        "sampler": config.sampler,
        "sampler_seed": config.sampler_seed,
        "trials": tally(trials),
        "confirmation": None if conf is None else {
            "seed": conf.seed, "replications": conf.replications,
            "today": _plan_doc(conf.today), "plans": [_plan_doc(p) for p in conf.plans],
            "interrupted": conf.interrupted,
        },
        "best": _plan_doc(conf.winner) if conf is not None else None,
        "runner_up": _plan_doc(conf.runner_up) if conf is not None else None,
        "vs_runner_up": _diffs(conf.vs_runner_up) if conf is not None else {},
        "significant_vs_runner_up": (None if conf is None or not conf.vs_runner_up else
                                     conf.vs_runner_up[config.objectives[0].metric].significant),
        "vs_today": _diffs(conf.vs_today) if conf is not None else {},
        "binding_constraints": conf.binding if conf is not None else {},
        "verdict": verdict,
    }
    return jsonable(doc)


# ---------------------------------------------------------------- the verdict


def _interval(s: Any, metric: str) -> str:
    if s.ci_low is None or s.ci_high is None:
        return ""
    return f" [{_fmt(s.ci_low, metric)}, {_fmt(s.ci_high, metric)}]"


def _diff_text(d: Difference, metric: str) -> str:
    unit = _unit(metric)
    interval = "" if d.ci_low is None or d.ci_high is None else \
        f" [{format_diff(d.ci_low, unit)}, {format_diff(d.ci_high, unit)}]"
    return f"{format_diff(d.diff, unit)}{interval}"


def _search_best(config: OptimizeConfig, trials: Sequence[Any]) -> str:
    """The best feasible trial of the search, in words (before any confirmation)."""
    first = config.objectives[0]
    done = [t for t in trials if t.state.name == "COMPLETE" and t.values is not None
            and info(t).get("feasible", True)]
    if not done:
        return " No feasible plan in the search so far."
    best = max(done, key=lambda t: (first.sign * t.values[0], -t.number))
    return (f" Best feasible plan of the search so far (trial {best.number}, {config.replications} replications, "
            f"not confirmed): {describe_levers(best.user_attrs.get('levers', best.params))}; {first.metric} "
            f"{_fmt(best.values[0], first.metric)}.")


def verdict(config: OptimizeConfig, confirmation: Confirmation | None, trials: Sequence[Any],
            requested: int, unconfirmed: str = "run the same command again to finish") -> str:
    """The answer in plain words (a few sentences).

    Args:
        config: the question.
        confirmation: the confirmation (None: not run).
        trials: the study's trials.
        requested: ``--trials``.
        unconfirmed: why there is no confirmation, when there is none.
    """
    counts = tally(trials)
    head = (f"{counts['finished']} of {requested} trials finished ({counts['infeasible']} infeasible"
            f"{', ' + str(counts['failed_by_plan']) + ' failed' if counts['failed_by_plan'] else ''}).")
    conf = confirmation
    if conf is None:
        return head + _search_best(config, trials) + f" Not confirmed: {unconfirmed}."
    if not conf.plans:
        return head + " No trial finished, so there is no plan to recommend."
    first = config.objectives[0]
    m = first.metric
    how = (f"Confirmed on {conf.replications} fresh replications (seed {conf.seed}), "
           "the same for every plan and for today.")
    if len(config.objectives) > 1:
        front = [p for p in conf.plans if p.feasible]
        if not front:
            return f"{head} No feasible plan on the Pareto front after confirmation. {how}"
        lines = [f"{head} Pareto front ({len(front)} feasible plans, confirmed): {how}"]
        for p in front:
            values = "; ".join(f"{o.metric} {_fmt(p.summaries[o.metric].mean, o.metric)}"
                               f"{_interval(p.summaries[o.metric], o.metric)}" for o in config.objectives)
            lines.append(f"  {p.label}: {describe_levers(p.levers)} -> {values}")
        return "\n".join(lines)
    w = conf.winner
    if w is None:
        closest = conf.plans[0]
        broken = [str(c) for c in config.constraints
                  if not c.met(closest.summaries[c.metric].mean)]
        return (f"{head} No feasible plan was found. The closest, {closest.label} "
                f"({describe_levers(closest.levers)}), still misses {', '.join(broken) or 'a constraint'}: "
                + ", ".join(f"{c.metric} {_fmt(closest.summaries[c.metric].mean, c.metric)}"
                            for c in config.constraints) + f". {how}")
    s = w.summaries[m]
    today = conf.today.summaries[m] if conf.today is not None else None
    text = (f"{head} Best feasible plan ({w.label}): {describe_levers(w.levers)}. "
            f"{m.replace('_', ' ').capitalize()} {_fmt(s.mean, m)}{_interval(s, m)}")
    if today is not None and m in conf.vs_today:
        text += f" vs {_fmt(today.mean, m)} today ({_diff_text(conf.vs_today[m], m)})"
    text += "."
    if conf.binding:
        binds = ", ".join(f"{c} ({n} better plan{'s' if n != 1 else ''} broke it)" for c, n in conf.binding.items())
        text += f" The constraint{'s' if len(conf.binding) > 1 else ''} {binds} bind{'s' if len(conf.binding) == 1 else ''}."
    elif config.constraints:
        text += " No constraint binds (no better plan was infeasible)."
    r = conf.runner_up
    if r is not None and m in conf.vs_runner_up:
        d = conf.vs_runner_up[m]
        sig = {True: "is significantly worse", False: "is not significantly worse",
               None: "cannot be told apart (too few replications)"}[d.significant]
        text += (f" Runner-up ({r.label}: {describe_levers(r.levers)}) {sig}: "
                 f"winner minus runner-up {_diff_text(d, m)}.")
    elif r is None:
        text += " No other feasible plan was confirmed, so there is no runner-up to compare."
    if conf.interrupted:
        text += " (Confirmation was interrupted: intervals use the replications that finished.)"
    return f"{text} {how}"


def format_trials_table(config: OptimizeConfig, confirmation: Confirmation) -> str:
    """The confirmed plans as a small table: label, levers, objective mean and interval, feasible."""
    lines = []
    m = config.objectives[0].metric
    plans = ([confirmation.today] if confirmation.today is not None else []) + confirmation.plans
    lines.append(f"  {'plan':<10} {m:>14}  {'95% interval':<24} {'feasible':<9} levers")
    for p in plans:
        s = p.summaries[m]
        interval = "" if s.ci_low is None or s.ci_high is None else f"[{_fmt(s.ci_low, m)}, {_fmt(s.ci_high, m)}]"
        lines.append(f"  {p.label:<10} {_fmt(s.mean, m):>14}  {interval:<24} {'yes' if p.feasible else 'no':<9} "
                     f"{describe_levers(p.levers) or '(the scenario as it is)'}")
    return "\n".join(lines)


def best_yaml(resolved: str, levers: dict[str, Any], command: str, label: str, seed: int, replications: int) -> str:
    """best.yaml: the winning scenario, resolved, with a header saying what it is and how to check it."""
    header = [
        f"# best.yaml: the plan leadsim optimize confirmed as best ({label}).",
        f"# Levers: {describe_levers(levers)}",
        f"# run.seed ({seed}) and run.replications ({replications}) are the confirmation's, so",
        "#   leadsim run best.yaml",
        "# reproduces the confirmed numbers exactly.",
        f"# Found by: {command}",
    ]
    return "\n".join(header) + "\n" + resolved


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)
