"""Never simulate the same plan twice: duplicate proposals become exploration.

On a space of integer levers and choices, a model-based sampler (TPE) soon
proposes plans it has already tried; with common random numbers a repeat gives
exactly the same numbers, so running it again wastes a trial, and the sampler,
having learnt nothing, tends to propose it again and again. ``leadsim optimize``
therefore records such a proposal as a FAIL trial marked ``duplicate_of`` (not
run, not counted towards ``--trials``) and asks the next plan from a seeded
random sampler instead -- one exploration step -- before handing back to the
chosen sampler. When every plan of a finite space has been tried, the search
stops: there is nothing left to learn.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from leadsim.planner.space import Space

#: User attribute of a proposal that repeated an earlier plan.
DUPLICATE_ATTR = "duplicate_of"
#: Give up after this many duplicate proposals in a row (a sampler that cannot leave a corner).
MAX_DUPLICATES_IN_A_ROW = 200


def space_size(space: Space) -> int | None:
    """Number of distinct plans of the space, None if a lever is continuous."""
    size = 1
    for lever in space.searched:
        if lever.kind == "choice":
            size *= len(lever.choices)
        elif lever.step is None:
            return None
        else:
            size *= math.floor((lever.high - lever.low) / lever.step + 1e-9) + 1
    return size


def _key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def _tried(trials: Sequence[Any]) -> list[Any]:
    """Trials whose plan has been run or is running (not the dead, not earlier duplicates)."""
    return [t for t in trials if t.state.name in ("COMPLETE", "RUNNING")
            or (t.state.name == "FAIL" and "error" in t.user_attrs)]


def duplicate_of(trials: Sequence[Any], trial: Any) -> int | None:
    """The earlier trial (among the study's ``trials``) with the same plan as ``trial``, if any."""
    key = _key(trial.params)
    return next((int(t.number) for t in _tried(trials) if t.number != trial.number and _key(t.params) == key), None)


def exhausted(trials: Sequence[Any], space: Space) -> bool:
    """Whether every plan of a finite space has been tried (by the study's ``trials``)."""
    size = space_size(space)
    return size is not None and len({_key(t.params) for t in _tried(trials)}) >= size


def ask(study: Any, dists: dict[str, Any], explore: bool, seed: int) -> Any:
    """Ask the next trial: from the study's sampler, or (``explore``) from a seeded random sampler."""
    import warnings

    import optuna

    with warnings.catch_warnings():
        # We beat the heartbeat ourselves (study_store.heartbeat), outside Study.optimize.
        warnings.filterwarnings("ignore", message="Heartbeat of storage")
        if not explore:
            return study.ask(dists)
        chosen = study.sampler
        study.sampler = optuna.samplers.RandomSampler(seed=(seed * 7919 + len(study.get_trials(deepcopy=False)))
                                                      % 2**32)
        try:
            return study.ask(dists)
        finally:
            study.sampler = chosen
