"""``leadsim optimize``: an Optuna study over a scenario's levers, trial by trial.

Each trial is one plan (a value for every lever). It runs replications
``0..R-1`` with the study's root seed -- the same replications and seeds as
every other trial (common random numbers), so trials are compared on the same
luck -- and reports the mean of each objective metric over them. Constraints
go to Optuna as constraint values (``<= 0``: met), so an infeasible plan is
recorded as infeasible with its true objective, never penalised.

The loop is Optuna's ask-and-tell: it asks a plan, runs it, tells the result.
``--trials N`` is the number of *finished* trials the study should hold; a
worker stops asking when finished plus running trials reach N, so several
workers (processes, or machines sharing PostgreSQL) on one study end with
exactly N. Trials that died with their worker are failed and re-queued
(:mod:`leadsim.planner.study_store`) and do not count.

``--jobs J`` runs a trial's replications in J processes; the trials and their
numbers do not depend on J. The same seed, the same storage kind and the same
history give the same trials.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadsim.planner import explore
from leadsim.planner.goals import Objective, constraint_values
from leadsim.planner.parallel import Interrupted
from leadsim.planner.replicate import RepSummary, run_grid
from leadsim.planner.space import Space, lever_values, optuna_choices, overrides_for
from leadsim.planner.specs import SpecError
from leadsim.planner.staffing import Target
from leadsim.planner.stats import summarize
from leadsim.planner.study_store import (
    RETRY_ATTR,
    WORKER_ATTR,
    heartbeat,
    recover_dead_trials,
    requeue,
    worker_identity,
)
from leadsim.scenarios.errors import ScenarioError

SAMPLERS = ("tpe", "cmaes", "random", "grid", "nsga2")
#: Study user attribute holding what the study answers (checked when a run resumes it).
QUESTION_ATTR = "leadsim"
#: Trial user attribute holding a finished trial's results (see :func:`info`).
RESULT_ATTR = "result"


@dataclass(frozen=True)
class OptimizeConfig:
    """What a study answers: the same config, the same study.

    Attributes:
        scenario: the scenario file or bundled name, as given.
        overrides: ``--set`` overrides (and ``run.days``) applied to the base.
        space: the levers.
        objectives: one or more.
        constraints: the constraints (may be empty).
        replications: replications per trial (R).
        seed: root seed of the replications.
        sampler: ``tpe``, ``cmaes``, ``random``, ``grid`` or ``nsga2``.
        sampler_seed: the sampler's seed.
    """

    scenario: str
    overrides: tuple[str, ...]
    space: Space
    objectives: tuple[Objective, ...]
    constraints: tuple[Target, ...] = ()
    replications: int = 4
    seed: int = 1
    sampler: str = "tpe"
    sampler_seed: int = 1

    @property
    def metrics(self) -> list[str]:
        """Objective then constraint metrics, each once."""
        out: list[str] = []
        for name in [o.metric for o in self.objectives] + [c.metric for c in self.constraints]:
            if name not in out:
                out.append(name)
        return out

    def question(self, base_yaml: str) -> dict[str, Any]:
        """The study's fingerprint: what must not change for a run to resume it."""
        space = {k: v for k, v in self.space.as_json().items() if k != "file"}
        return {
            "base_sha1": hashlib.sha1(base_yaml.encode("utf-8")).hexdigest(),
            "space": space,
            "objectives": [str(o) for o in self.objectives],
            "constraints": [str(c) for c in self.constraints],
            "replications": self.replications,
            "seed": self.seed,
        }


def default_study_name(question: dict[str, Any]) -> str:
    """A study name derived from the question, so the same command finds the same study."""
    digest = hashlib.sha1(json.dumps(question, sort_keys=True).encode("utf-8")).hexdigest()
    return f"s{digest[:8]}"


# ---------------------------------------------------------------- Optuna pieces


def distributions(space: Space) -> dict[str, Any]:
    """Optuna distributions of the searched levers."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, Any] = {}
    for lever in space.searched:
        if lever.kind == "int":
            out[lever.path] = IntDistribution(int(lever.low), int(lever.high), log=lever.log,
                                              step=int(lever.step or 1))
        elif lever.kind == "float":
            out[lever.path] = FloatDistribution(lever.low, lever.high, log=lever.log, step=lever.step)
        else:
            out[lever.path] = CategoricalDistribution(optuna_choices(lever))
    return out


def grid_values(space: Space) -> dict[str, list[Any]]:
    """Every value of every searched lever, for the grid sampler.

    Raises:
        SpecError: for a float lever without a step.
    """
    grid: dict[str, list[Any]] = {}
    for lever in space.searched:
        if lever.kind == "choice":
            grid[lever.path] = list(optuna_choices(lever))
        elif lever.step is None:
            raise SpecError(f"--sampler grid: lever {lever.path} is continuous; give it a step "
                            "(step: in the space file, LO..HI:STEP with --param)")
        else:
            count = math.floor((lever.high - lever.low) / lever.step + 1e-9) + 1
            values = [lever.low + i * lever.step for i in range(count)]
            grid[lever.path] = [int(v) for v in values] if lever.kind == "int" else values
    return grid


def _seed_offset(study: Any) -> int:
    """How this worker's sampler seed differs from ``--sampler-seed``.

    0 for a new study (so the same seed gives the same trials); the number of
    trials already there for a resumed one; plus the process id when another
    worker is running trials right now, so two workers never propose the same
    sequence of plans.
    """
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    busy = any(t.state == TrialState.RUNNING for t in trials)
    return len(trials) + (os.getpid() if busy else 0)


def make_sampler(config: OptimizeConfig, offset: int = 0) -> Any:
    """The Optuna sampler ``--sampler`` names, seeded with ``sampler_seed``.

    Constraint values are set on each trial (``Trial.set_constraint``): TPE and
    NSGA-II use them to prefer feasible plans; random, grid and CMA-ES sample
    without them, and infeasible trials are recorded as such all the same.

    Raises:
        SpecError: for an unknown sampler, or one that cannot search this space.
    """
    import optuna

    seed = (config.sampler_seed + offset) % 2**32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if config.sampler == "tpe":
            # 64 candidates per step instead of 24: a steadier search on small discrete spaces (benchmarks/README.md)
            return optuna.samplers.TPESampler(seed=seed, multivariate=True, n_ei_candidates=64)
        if config.sampler == "nsga2":
            return optuna.samplers.NSGAIISampler(seed=seed)
        if config.sampler == "random":
            return optuna.samplers.RandomSampler(seed=seed)
        if config.sampler == "grid":
            return optuna.samplers.GridSampler(grid_values(config.space), seed=seed)
        if config.sampler == "cmaes":
            if len(config.objectives) > 1:
                raise SpecError("--sampler cmaes searches one objective; use tpe or nsga2 for several")
            return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    raise SpecError(f"--sampler {config.sampler!r}: use one of {', '.join(SAMPLERS)}")


def _changed(question: dict[str, Any], stored: dict[str, Any]) -> str:
    return ", ".join(sorted(k for k in question if question[k] != stored.get(k))) or "nothing"


def open_study(config: OptimizeConfig, storage: Any, study_name: str, base_yaml: str,
               alone: bool = False) -> Any:
    """Create the study, or load it and check it answers the same question.

    Args:
        config: the question.
        storage: the Optuna storage.
        study_name: the study's name.
        base_yaml: the resolved base scenario (part of the question).
        alone: the storage is a run folder's own file, which holds one study: a
            different question there is an error, not a second study beside the first.

    Raises:
        ScenarioError: if the stored study was made for another scenario, space,
            objectives, constraints, replications or seed (exit status 2).
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    question = config.question(base_yaml)
    if alone:
        for other in optuna.get_all_study_summaries(storage, include_best_trial=False):
            if other.study_name != study_name:
                raise ScenarioError(None, "--out", f"this run folder holds study {other.study_name!r}, made for a "
                                    f"different question (changed: {_changed(question, other.user_attrs.get(QUESTION_ATTR, {}))}); "
                                    "use another --out (or the same options to resume it)", study_name)
    directions: list[Any] = [o.direction for o in config.objectives]
    study = optuna.create_study(storage=storage, study_name=study_name, sampler=make_sampler(config),
                                directions=directions, load_if_exists=True)
    if [d.name.lower() for d in study.directions] != directions:
        raise ScenarioError(None, "--study", f"study {study_name!r} exists with other objective directions "
                            f"({[d.name.lower() for d in study.directions]}); use another --study or --out",
                            study_name)
    study.sampler = make_sampler(config, _seed_offset(study))
    stored = study.user_attrs.get(QUESTION_ATTR)
    if stored is None:
        study.set_user_attr(QUESTION_ATTR, question)
        study.set_user_attr("scenario", config.scenario)
    elif stored != question:
        raise ScenarioError(None, "--study", f"study {study_name!r} was started for a different question "
                            f"(changed: {_changed(question, stored)}); resume it with the same scenario, space, "
                            "objectives, constraints, replications and seed, or use another --study / --out",
                            study_name)
    return study


# ---------------------------------------------------------------- one trial


@dataclass(frozen=True)
class TrialResult:
    """What one plan's replications gave.

    Attributes:
        means: every metric's mean over the replications (NaN where undefined).
        reps: per-replication values of the objective and constraint metrics.
        values: objective values (None if one is undefined).
        constraints: Optuna's constraint values (``<= 0``: met).
    """

    means: dict[str, float]
    reps: dict[str, list[float]]
    values: list[float] | None
    constraints: list[float]

    @property
    def feasible(self) -> bool:
        """All constraints met."""
        return all(c <= 0 for c in self.constraints)


def _mean(values: Sequence[float]) -> float:
    m = summarize(list(values)).mean
    return math.nan if m is None else m


def summarize_runs(config: OptimizeConfig, runs: Sequence[RepSummary]) -> TrialResult:
    """Reduce a plan's replications to its TrialResult."""
    means = {name: _mean([r.metrics[name] for r in runs]) for name in runs[0].metrics}
    reps = {name: [float(r.metrics[name]) for r in runs] for name in config.metrics}
    values = [means[o.metric] for o in config.objectives]
    ok = all(math.isfinite(v) for v in values)
    return TrialResult(means, reps, values if ok else None, constraint_values(config.constraints, means))


def plan_scenario(config: OptimizeConfig, base: Any, values: dict[str, Any]) -> Any:
    """The validated scenario of a plan (base + --set + levers)."""
    from leadsim.scenarios.loader import load_scenario

    return load_scenario(config.scenario, [*config.overrides, *overrides_for(config.space, values, base)])


def run_plan(config: OptimizeConfig, base: Any, values: dict[str, Any], jobs: int,
             progress: Callable[[int], None] | None = None) -> TrialResult:
    """Run one plan's R replications on the study's seeds.

    Raises:
        ScenarioError: if this combination of levers is not a valid scenario.
        Interrupted: on Ctrl-C.
    """
    scenario = plan_scenario(config, base, values)
    runs = run_grid([scenario], range(config.replications), config.seed, jobs=jobs, progress=progress)[0]
    return summarize_runs(config, runs)


# ---------------------------------------------------------------- the loop


@dataclass
class TrialEvent:
    """A progress event: a trial started or finished."""

    kind: str  # "started" or "finished"
    number: int
    finished: int  # finished trials in the study (all workers)
    total: int
    values: list[float] | None = None
    feasible: bool | None = None
    state: str = ""
    levers: dict[str, Any] = field(default_factory=dict)
    retry_of: int | None = None


def _json_float(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def counted(trial: Any) -> bool:
    """Whether a trial counts toward ``--trials``: it finished, or failed on its own (not by dying)."""
    from optuna.trial import TrialState

    return trial.state == TrialState.COMPLETE or (trial.state == TrialState.FAIL and "error" in trial.user_attrs)


def _tally(trials: Sequence[Any]) -> tuple[int, int]:
    """(finished, running) trials."""
    return sum(1 for t in trials if counted(t)), sum(1 for t in trials if t.state.name == "RUNNING")


def _surplus(trials: Sequence[Any], trial: Any, n_trials: int) -> bool:
    """Whether a just-asked trial is one too many (another worker asked at the same moment)."""
    ahead = [t for t in trials if t.number < trial.number and (counted(t) or t.state.name == "RUNNING")]
    return len(ahead) >= n_trials


def run_study(config: OptimizeConfig, study: Any, base: Any, n_trials: int, jobs: int = 1,
              timeout: float | None = None, on_event: Callable[[TrialEvent], None] | None = None) -> int:
    """Ask, run and tell trials until the study holds ``n_trials`` finished ones.

    Args:
        config: the question.
        study: the Optuna study (:func:`open_study`).
        base: the base Scenario.
        n_trials: finished trials the study should hold in all.
        jobs: processes for a trial's replications.
        timeout: stop asking new trials after this many seconds.
        on_event: progress callback.

    Returns:
        The number of trials this call finished.

    Raises:
        Interrupted: on Ctrl-C; the running trial is failed and re-queued first.
    """
    from optuna.trial import TrialState

    dists = distributions(config.space)
    me = worker_identity()
    started = time.monotonic()
    mine, repeats = 0, 0
    inflight: Any = None  # a trial asked for and not yet told: given back on Ctrl-C
    try:
        while True:
            trials = study.get_trials(deepcopy=False)
            if recover_dead_trials(study, trials):
                trials = study.get_trials(deepcopy=False)
            finished, running = _tally(trials)
            if finished + running >= n_trials or (timeout is not None and time.monotonic() - started >= timeout):
                return mine
            if explore.exhausted(trials, config.space) or repeats >= explore.MAX_DUPLICATES_IN_A_ROW:
                return mine
            trial = inflight = explore.ask(study, dists, repeats > 0, config.sampler_seed)
            trial.set_user_attr(WORKER_ATTR, me)
            trials = study.get_trials(deepcopy=False)
            if _surplus(trials, trial, n_trials):
                trial.set_user_attr("surplus", True)  # another worker took the last trial at the same moment
                study.tell(trial, state=TrialState.FAIL)
                inflight = None
                if RETRY_ATTR in trial.user_attrs:
                    requeue(study, study.get_trials(deepcopy=False)[trial.number])
                return mine
            earlier = None if RETRY_ATTR in trial.user_attrs else explore.duplicate_of(trials, trial)
            if earlier is not None:  # a plan already tried: not run, not counted; explore instead
                trial.set_user_attr(explore.DUPLICATE_ATTR, earlier)
                study.tell(trial, state=TrialState.FAIL)
                inflight = None
                repeats += 1
                continue
            repeats = 0
            values = lever_values(config.space, trial.params)
            trial.set_user_attr("levers", values)
            if on_event is not None:
                on_event(TrialEvent("started", trial.number, finished, n_trials, levers=values,
                                    retry_of=trial.user_attrs.get(RETRY_ATTR)))
            with heartbeat(study, trial):
                outcome = _run_trial(config, base, values, jobs, trial)
            exhausted = _tell(study, trial, None if outcome is None else outcome.values)
            inflight = None
            mine += 1
            if on_event is not None:
                done = _tally(trials)[0] + 1  # as read when the trial started, plus this one
                on_event(TrialEvent("finished", trial.number, done, n_trials,
                                    values=None if outcome is None else outcome.values,
                                    feasible=None if outcome is None else outcome.feasible,
                                    state="FAIL" if outcome is None else "COMPLETE", levers=values))
            if exhausted:
                return mine
    except (Interrupted, KeyboardInterrupt):
        if inflight is not None:
            _give_back(study, inflight)
        raise Interrupted(mine, n_trials) from None


def _tell(study: Any, trial: Any, values: list[float] | None) -> bool:
    """Tell a trial's result; True when the sampler has nothing left to propose (a finished grid)."""
    from optuna.trial import TrialState

    try:
        if values is None:
            study.tell(trial, state=TrialState.FAIL)
        else:
            study.tell(trial, values)
    except RuntimeError as exc:
        # The grid sampler calls Study.stop() when the grid is done, which only works inside
        # Study.optimize; the trial is recorded all the same (Optuna saves it in a finally).
        if "Study.stop" not in str(exc):
            raise
        return True
    return False


def info(trial: Any) -> dict[str, Any]:
    """A trial's user attributes with its result unpacked: levers, worker, metrics (means), reps
    (per-replication values of the objective and constraint metrics), constraints, feasible, seconds."""
    return {**trial.user_attrs, **trial.user_attrs.get(RESULT_ATTR, {})}


def _run_trial(config: OptimizeConfig, base: Any, values: dict[str, Any], jobs: int, trial: Any) -> TrialResult | None:
    """Run a trial and record its results (one user attribute: one write); None if it failed on its own."""
    tick = time.perf_counter()
    try:
        outcome = run_plan(config, base, values, jobs)
    except ScenarioError as exc:
        trial.set_user_attr("error", f"not a valid scenario: {exc}")
        return None
    trial.set_user_attr(RESULT_ATTR, {
        "metrics": {k: _json_float(v) for k, v in outcome.means.items()},
        "reps": {k: [_json_float(x) for x in v] for k, v in outcome.reps.items()},
        "constraints": outcome.constraints, "feasible": outcome.feasible,
        "seconds": round(time.perf_counter() - tick, 3)})
    for constraint, value in zip(config.constraints, outcome.constraints):
        trial.set_constraint(str(constraint), value)
    if outcome.values is None:
        undefined = [o.metric for o, v in zip(config.objectives, [outcome.means[o.metric] for o in config.objectives])
                     if not math.isfinite(v)]
        trial.set_user_attr("error", f"objective undefined for this plan: {', '.join(undefined)}")
        return None
    return outcome


def _give_back(study: Any, trial: Any) -> None:
    """Ctrl-C during a trial: fail it and queue its levers again, so a resumed run re-runs it."""
    import contextlib

    from optuna.trial import TrialState

    with contextlib.suppress(Exception):
        study.tell(trial, state=TrialState.FAIL)
        requeue(study, study.get_trials(deepcopy=False)[trial.number])
