"""The current practice, as observed: attempts per lead, spacing, share never called twice.

Written as the scenario's cadence: ``call_target`` is the 95th percentile of calls
made to leads that were never reached (those ran the whole cadence), the
spacing before attempt k is the 10th percentile of observed gaps (the policy is
a minimum wait; queues only add to it), ``max_attempts_per_day`` is the most
calls any lead got in one local day. When about half the leads that missed on
the first call are never called again, that is the human baseline the field
reports (reps give up early): fit.json then carries the observed give-up
distribution in the form of ``behaviour.human.gives_up_after``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from leadsim.calibration.estimates import Estimate, FitLog, proportion
from leadsim.scenarios.schema import MAX_ATTEMPTS, MAX_MINUTES

#: Share of unreached-after-one-call leads never called again above which practice looks human.
HUMAN_SHARE = 0.3
MIN_GAPS = 20


def fit_practice(table: pd.DataFrame, called_leads: int, log: FitLog) -> dict[str, Any]:
    """Summarise the practice from the attempt table.

    Args:
        table: the attempt table.
        called_leads: leads with at least one call.
        log: warnings and notes.
    """
    per_lead = table.groupby("lead").agg(calls=("k", "max"), reached=("reached", "max"))
    first_missed = table[(table["k"] == 1).to_numpy() & ~table["reached"].to_numpy()
                         & (table["outcome"] != "bad_number").to_numpy()]["lead"]
    once = per_lead.loc[first_missed, "calls"] == 1
    never_twice = proportion(int(once.sum()), int(once.size))
    unreached = per_lead[~per_lead["reached"]]["calls"]
    out: dict[str, Any] = {
        "leads_called": int(called_leads),
        "attempts_per_lead": {"mean": round(float(per_lead["calls"].mean()), 4) if len(per_lead) else None,
                              "distribution": {int(k): int(v) for k, v in per_lead["calls"].value_counts().sort_index().items()}},
        "share_never_called_twice": never_twice.as_dict(),
    }
    estimates: dict[str, Estimate] = {"practice.share_never_called_twice": never_twice}
    scenario: dict[str, Any] = {}
    if len(unreached):
        target = int(min(max(np.ceil(np.quantile(unreached, 0.95)), 1), MAX_ATTEMPTS))
        scenario["call_target"] = target
        out["call_target_basis"] = f"95th percentile of calls to {len(unreached)} never-reached leads"
    spacing = []
    gaps_out = []
    order = table.sort_values(["lead", "k"])
    start_min = order["started_ns"].to_numpy() / 6e10
    end_min = start_min + order["duration"].to_numpy() / 60.0
    lead = order["lead"].to_numpy()
    same = np.r_[False, lead[1:] == lead[:-1]]
    gap = np.where(same, start_min - np.r_[np.nan, end_min[:-1]], order["age_min"].to_numpy())
    k = order["k"].to_numpy()
    for a in range(1, int(k.max(initial=0)) + 1):
        g = gap[(k == a) & np.isfinite(gap)]
        if g.size < MIN_GAPS:
            if g.size:
                log.warning(f"practice: only {g.size} observed gaps before attempt {a}; spacing from there on "
                         "repeats the last well-observed value")
            break
        p10 = float(np.clip(np.quantile(g, 0.10), 0.0, MAX_MINUTES))
        spacing.append(round(p10, 3))
        gaps_out.append({"attempt": a, "n": int(g.size), "p10": round(p10, 3),
                         "median": round(float(np.median(g)), 3), "p90": round(float(np.quantile(g, 0.9)), 3)})
    if spacing:
        scenario["spacing_minutes"] = spacing
    out["gaps_minutes"] = gaps_out
    day = (table["started_ns"].to_numpy() // (86_400 * 10**9))  # UTC day: a cap proxy
    per_day = pd.Series(1, index=pd.MultiIndex.from_arrays([table["lead"].to_numpy(), day])).groupby(level=[0, 1]).sum()
    if len(per_day):
        scenario["max_attempts_per_day"] = int(min(per_day.max(), MAX_ATTEMPTS))
    if "call_target" in scenario and len(table):
        out["penetration_percent"] = round(100.0 * float(per_lead["calls"].mean()) / scenario["call_target"], 2)
    human = never_twice.n >= 30 and never_twice.value > HUMAN_SHARE
    out["looks_human"] = bool(human)
    if human:
        dist = unreached.value_counts(normalize=True).sort_index()
        out["gives_up_after_choices"] = {int(k): round(float(v), 4) for k, v in dist.items()}
        log.warning(f"practice: {never_twice.value:.0%} of leads missed on the first call were never called "
                 "again, as reps without a cadence do; fit.json gives the observed give-up distribution "
                 "(behaviour.human.gives_up_after); the calibrated cadence keeps the observed target")
    out["scenario"] = scenario
    out["estimates"] = {k: e.as_dict() for k, e in estimates.items()}
    out["_estimates"] = estimates
    return out
