"""Training and holdout periods: split the history by lead creation date, back-test out of sample.

The split is by cohort: a lead belongs to the period in which it was created, with
all its activities (a lead created on the last training day keeps its later calls).
The out-of-sample scenario is the calibrated one with the holdout period's own
calendar, length and arrivals (volume, profile, batches: a planner knows next
month's lead plan) and the training period's behaviour for everything else
(contact, conversion, handle times, practice). Staffing is the base's in both:
the scenario has no staffing table yet (issue "Model a real floor").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from leadsim.calibration.fits_arrivals import local_days
from leadsim.scenarios.errors import ScenarioError


def subset(leads: pd.DataFrame, acts: pd.DataFrame, keep: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leads in ``keep`` and their activities, with activity lead indices renumbered."""
    new_index = np.cumsum(keep) - 1
    mine = keep[acts["lead"].to_numpy()]
    sub_acts = acts[mine].copy()
    sub_acts["lead"] = new_index[sub_acts["lead"].to_numpy()]
    return leads[keep].reset_index(drop=True), sub_acts.reset_index(drop=True)


def split_by_creation(leads: pd.DataFrame, acts: pd.DataFrame, zone: str, train_until: dt.date,
                      holdout_from: dt.date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                                      dict[str, Any]]:
    """(training leads, training activities, holdout leads, holdout activities, a description).

    Training: leads created before ``train_until`` (floor-local date); holdout: leads created
    on or after ``holdout_from``. Leads in between (if ``holdout_from`` is later) are unused.

    Raises:
        ScenarioError: if either period has no leads, or the holdout starts before training ends.
    """
    if holdout_from < train_until:
        raise ScenarioError(None, "--holdout-from", f"must not be before --train-until ({train_until})",
                            str(holdout_from))
    days = local_days(leads["created"], zone).to_numpy()
    train = np.asarray(days < train_until)
    hold = np.asarray(days >= holdout_from)
    for name, mask, flag in (("training", train, "--train-until"), ("holdout", hold, "--holdout-from")):
        if not mask.any():
            raise ScenarioError(None, flag, f"the {name} period has no leads (the leads span "
                                f"{days.min()} to {days.max()})", str(train_until if name == "training" else holdout_from))
    train_leads, train_acts = subset(leads, acts, train)
    hold_leads, hold_acts = subset(leads, acts, hold)
    info = {"by": "lead creation date (floor-local); a lead keeps all its activities",
            "training": {"until": str(train_until), "leads": int(train.sum()), "activities": len(train_acts)},
            "holdout": {"from": str(holdout_from), "leads": int(hold.sum()), "activities": len(hold_acts)},
            "unused_leads": int((~train & ~hold).sum())}
    return train_leads, train_acts, hold_leads, hold_acts, info


def split_calls(calls: pd.DataFrame, zone: str, train_until: dt.date,
                holdout_from: dt.date) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(training calls, holdout calls, a description), split by the call's floor-local arrival date.

    Raises:
        ScenarioError: if either period has no calls, or the holdout starts before training ends.
    """
    if holdout_from < train_until:
        raise ScenarioError(None, "--holdout-from", f"must not be before --train-until ({train_until})",
                            str(holdout_from))
    days = local_days(calls["arrived"], zone).to_numpy()
    train = np.asarray(days < train_until)
    hold = np.asarray(days >= holdout_from)
    for name, mask, flag, value in (("training", train, "--train-until", train_until),
                                    ("holdout", hold, "--holdout-from", holdout_from)):
        if not mask.any():
            raise ScenarioError(None, flag, f"the {name} period has no calls (the calls span "
                                f"{days.min()} to {days.max()})", str(value))
    info = {"by": "call arrival date (floor-local)",
            "training": {"until": str(train_until), "calls": int(train.sum())},
            "holdout": {"from": str(holdout_from), "calls": int(hold.sum())},
            "unused_calls": int((~train & ~hold).sum())}
    return (calls[train].reset_index(drop=True), calls[hold].reset_index(drop=True), info)
