"""Streaming, validating reader for inbound call logs (one row per offered call).

Same machinery as :mod:`leadsim.calibration.reader` (chunks, quarantine with
reasons, compact columns); the rules are the call log's own: arrived <= answered
<= ended, an answered call has an answer time and an abandoned one has none,
one row per call id. For exports with the date and the time of day in separate
columns, a time more than 12 hours before the arrival is after midnight (the
next day), and clocks that disagree by up to ``clock_skew_seconds`` are
corrected; both are counted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from leadsim.calibration import canonical
from leadsim.calibration.reader import (
    ReadContext,
    ReadSummary,
    _chunks,
    _first,
    _reject,
    _SeenHashes,
    _stamps,
    crosses_midnight,
)
from leadsim.calibration.timeparse import parse_timestamps


def read_calls(path: Path, ctx: ReadContext) -> tuple[pd.DataFrame, ReadSummary]:
    """Read and validate an inbound call log (one row per offered call).

    Returns:
        (calls: ``call_id``, ``arrived``, ``answered``, ``ended`` (UTC), ``outcome``,
        ``agent``, ``line`` (categories), ``wait`` and ``service`` seconds; the summary).
    """
    file, kind = str(path), "calls"
    summary = ReadSummary(kind, file)
    seen = _SeenHashes()
    parts: list[pd.DataFrame] = []
    crossing = rolled = skewed = 0
    fmt, zone, declared = ctx.cmap.date_format, ctx.naive_zone, ctx.cmap.timezone
    for chunk in _chunks(path, kind, ctx, summary):
        f = chunk.frame
        reasons = np.full(len(f), "", dtype=object)
        _first(reasons, f["call_id"] == "", "empty call_id")
        stamps = {}
        for col in ("arrived_at", "answered_at", "ended_at"):
            stamps[col], why = parse_timestamps(f[col], fmt, zone, declared, col)
            reasons = np.where((reasons == "") & (why != ""), why, reasons)
        if ctx.cmap.calls.date_column is not None:
            # The date is the call's arrival date: a time of day more than 12 hours before
            # the arrival is after midnight (the next day), not a call that ended before it began.
            for col in ("answered_at", "ended_at"):
                back = (stamps[col] < stamps["arrived_at"] - pd.Timedelta(hours=12)).to_numpy()
                stamps[col] = stamps[col].where(~back, stamps[col] + pd.Timedelta(days=1))
                rolled += int(back.sum())
        skew = pd.Timedelta(seconds=ctx.cmap.clock_skew_seconds)
        if skew > pd.Timedelta(0):
            for col, before in (("answered_at", "arrived_at"), ("ended_at", "answered_at"), ("ended_at", "arrived_at")):
                early = ((stamps[col] < stamps[before]) & (stamps[col] >= stamps[before] - skew)).to_numpy()
                stamps[col] = stamps[col].where(~early, stamps[before])
                skewed += int(early.sum())
        arrived, answered, ended = stamps["arrived_at"], stamps["answered_at"], stamps["ended_at"]
        _first(reasons, arrived.isna().to_numpy(), "empty arrived_at")
        _first(reasons, ended.isna().to_numpy(), "empty ended_at")
        outcome = f["outcome"].str.lower()
        _first(reasons, ~outcome.isin(canonical.CALL_OUTCOMES).to_numpy(), "unknown outcome")
        is_answered = (outcome == "answered").to_numpy()
        _first(reasons, is_answered & answered.isna().to_numpy(), "answered call without answered_at")
        _first(reasons, (outcome == "abandoned").to_numpy() & answered.notna().to_numpy(),
               "abandoned call with an answered_at")
        _first(reasons, (answered < arrived).to_numpy() | (ended < answered).to_numpy() | (ended < arrived).to_numpy(),
               "timestamps out of order (arrived <= answered <= ended)")
        total = (ended - arrived).dt.total_seconds().to_numpy()
        _first(reasons, total > ctx.cmap.max_duration_seconds, f"absurd duration (over {ctx.cmap.max_duration_seconds:g} s)")
        dups = np.zeros(len(f), dtype=bool)
        ok = reasons == ""
        dups[ok] = seen.duplicates(pd.util.hash_pandas_object(f["call_id"], index=False).to_numpy()[ok])
        _first(reasons, dups, "duplicate call_id (first occurrence kept)")
        keep = _reject(ctx, kind, file, chunk, reasons)
        crossing += int(crosses_midnight(arrived[keep], total[keep], ctx.floor_zone).sum())
        wait_end = answered.where(answered.notna(), ended)
        parts.append(pd.DataFrame({
            "call_id": f["call_id"][keep].to_numpy(dtype=object),
            "arrived": _stamps(arrived[keep]), "answered": _stamps(answered[keep]),
            "ended": _stamps(ended[keep]),
            "outcome": pd.Categorical(outcome[keep], categories=canonical.CALL_OUTCOMES),
            "agent": pd.Categorical(f["agent_id"][keep]),
            "line": pd.Categorical(f["line"][keep] if "line" in f else [""] * int(keep.sum())),
            "wait": (wait_end - arrived).dt.total_seconds()[keep].to_numpy(),
            "service": (ended - answered).dt.total_seconds()[keep].to_numpy(),
        }))
    calls = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["call_id", "arrived", "answered", "ended", "outcome", "agent", "line", "wait", "service"])
    for col in ("arrived", "answered", "ended"):
        calls[col] = pd.to_datetime(calls[col], utc=True)
    for col in ("agent", "line"):
        calls[col] = calls[col].astype("category")
    summary.rows_used = len(calls)
    summary.quarantined = ctx.quarantine.by_kind(kind)
    summary.notes["calls_crossing_midnight_used"] = crossing
    summary.notes["times_after_midnight_moved_to_next_day"] = rolled
    summary.notes["clock_skew_corrected"] = skewed
    return calls, summary
