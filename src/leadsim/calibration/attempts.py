"""The call-attempt table the outbound fits share: one row per call, in the lead's own terms.

Joins the activities to their leads and adds what the contact and conversion
models condition on: the attempt number (calls to this lead so far), the lead's
age in minutes, the lead's local hour and weekday (its own time zone, else the
floor's), whether the call reached a person, and the lead's first email/SMS step.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadsim.calibration import canonical
from leadsim.calibration.reader import utc_ns

NS_PER_MINUTE = 60 * 10**9


def call_table(leads: pd.DataFrame, acts: pd.DataFrame, floor_zone: str) -> pd.DataFrame:
    """Build the attempt table.

    Args:
        leads: as :func:`leadsim.calibration.reader.read_leads` returns.
        acts: as :func:`leadsim.calibration.reader.read_activities` returns (with leads).
        floor_zone: zone for leads without one.

    Returns:
        Columns: lead, source, k (1-based call number), age_min, hour, weekday, outcome,
        reached, qualified, converted, duration (s), started_ns, created_ns, first_step_ns
        (the lead's first email/SMS, or a very large number), after_reach (a call after the
        lead was first reached).
    """
    calls = acts[acts["channel"] == "call"]
    steps = acts[acts["channel"] != "call"]
    started = utc_ns(calls["started"])
    order = np.lexsort((started, calls["lead"].to_numpy()))
    lead = calls["lead"].to_numpy()[order]
    started = started[order]
    created = utc_ns(leads["created"])[lead]
    outcome = np.asarray(calls["outcome"].astype(str).to_numpy())[order]
    k = pd.Series(lead).groupby(lead).cumcount().to_numpy() + 1
    reached = np.isin(outcome, list(canonical.REACHED))
    # Calls after a lead's first reach are follow-ups of a conversation, not contact attempts.
    reached_before = pd.Series(reached.astype(np.int64)).groupby(lead).cumsum().to_numpy() - reached
    table = pd.DataFrame({
        "lead": lead, "source": np.asarray(leads["source"].astype(str).to_numpy())[lead], "k": k,
        "age_min": (started - created) / NS_PER_MINUTE, "outcome": outcome, "reached": reached,
        "qualified": np.isin(outcome, list(canonical.QUALIFIED)), "converted": outcome == "converted",
        "duration": calls["duration"].to_numpy()[order], "started_ns": started, "created_ns": created,
        "after_reach": reached_before > 0,
    })
    hour = np.zeros(len(table), dtype=np.int64)
    weekday = np.zeros(len(table), dtype=np.int64)
    zones = np.asarray(leads["timezone"].astype(str).to_numpy())[lead]
    zones = np.where((zones == "") | (zones == "nan"), floor_zone, zones)
    stamps = pd.DatetimeIndex(pd.to_datetime(started, utc=True))
    for zone in np.unique(zones):
        mask = zones == zone
        local = stamps[mask].tz_convert(str(zone))
        hour[mask] = local.hour
        weekday[mask] = local.day_of_week
    table["hour"], table["weekday"] = hour, weekday
    first_step = np.full(len(leads), np.iinfo(np.int64).max, dtype=np.int64)
    if len(steps):
        step_ns = utc_ns(steps["started"])
        np.minimum.at(first_step, steps["lead"].to_numpy(), step_ns)
    table["first_step_ns"] = first_step[lead]
    return table
