"""Collects what happens during a run into columns, then freezes them into a RunResult."""

from __future__ import annotations

import math
from array import array

import numpy as np

from leadsim.engine.types import Dial
from leadsim.simulator.physics import AttemptDraw
from leadsim.simulator.results import (
    CHANNELS,
    LEAD_STATUSES,
    OUTCOMES,
    AttemptLog,
    BacklogSamples,
    LeadLog,
)

NAN = math.nan
_STATUS = {name: i for i, name in enumerate(LEAD_STATUSES)}
_OUTCOME = {name: i for i, name in enumerate(OUTCOMES)}
_CHANNEL = {name: i for i, name in enumerate(CHANNELS)}
_STEP_OUTCOME = _OUTCOME[""]
_CHUNK = 1 << 16
_ROW_DTYPES = (np.int64, np.int32, np.float64, np.float64, np.int8, np.int8, np.int16, np.int32)


def _filled(code: str, value: float | int, n: int) -> array:
    return array(code, [value]) * n


class Recorder:
    """Per-lead columns (preallocated: every lead is known before the run) and per-activity rows.

    Columns are typed ``array.array`` buffers, not lists: item access is as fast,
    and a lead or an activity costs a few dozen bytes instead of a few hundred
    (boxed floats and tuples), which is what keeps a million-lead run in memory.

    Args:
        source, created, quality, timezone, inbound, keys: per lead id, from the arrival draw.
    """

    def __init__(
        self,
        source: list[int],
        created: list[float],
        quality: list[float],
        timezone: list[int],
        inbound: list[bool],
        keys: list[int],
    ) -> None:
        n = len(created)
        self.source = array("h", source)
        self.created = array("d", created)
        self.quality = array("d", quality)
        self.timezone = array("h", timezone)
        self.inbound = array("b", inbound)
        self.key = array("Q", keys)
        self.answered_live = _filled("b", 0, n)
        self.first_attempt = _filled("d", NAN, n)
        self.first_contact = _filled("d", NAN, n)
        self.contact_attempt = _filled("h", 0, n)
        self.attempts = _filled("h", 0, n)
        self.attempts_day1 = _filled("h", 0, n)
        self.status = _filled("b", 0, n)
        self.closed_at = _filled("d", NAN, n)
        self.qualified = _filled("b", 0, n)
        self.converted = _filled("b", 0, n)
        self.rep = _filled("i", -1, n)
        # Activity rows (lead, rep, start, duration, outcome, channel, attempt, owner):
        # one tuple append on the hot path; every _CHUNK rows are packed into numpy
        # columns so memory stays at ~40 bytes a row however long the run.
        self.rows: list[tuple[int, int, float, float, int, int, int, int]] = []
        self.chunks: list[tuple[np.ndarray, ...]] = []
        self.s_time: list[float] = []
        self.s_due: list[int] = []
        self.s_new: list[int] = []

    def attempt_started(self, lead: int, rep: int, now: float, draw: AttemptDraw, dial: Dial) -> None:
        """Record a call attempt (its outcome is drawn when it starts)."""
        rows = self.rows
        rows.append((lead, rep, now, draw.minutes, _OUTCOME[draw.outcome], 0, dial.attempt, -1 if dial.owner is None else dial.owner))
        if len(rows) >= _CHUNK:
            self._pack()
        self.attempts[lead] += 1
        if now - self.created[lead] < 1440.0:
            self.attempts_day1[lead] += 1
        if dial.attempt == 1:
            self.first_attempt[lead] = now
            if dial.live:
                self.answered_live[lead] = True
        if draw.reached:
            self.first_contact[lead] = now
            self.contact_attempt[lead] = dial.attempt
            self.qualified[lead] = draw.qualified
            self.converted[lead] = draw.converted
            self.rep[lead] = rep

    def step(self, lead: int, channel: str, at: float) -> None:
        """Record a non-call step (no rep time)."""
        self.rows.append((lead, -1, at, 0.0, _STEP_OUTCOME, _CHANNEL[channel], 0, -1))
        if len(self.rows) >= _CHUNK:
            self._pack()

    def _pack(self) -> None:
        """Move the pending activity rows into typed numpy columns."""
        if self.rows:
            columns = list(zip(*self.rows))
            self.chunks.append(tuple(np.asarray(c, dtype=d) for c, d in zip(columns, _ROW_DTYPES)))
            self.rows = []

    def lead_closed(self, lead: int, status: str, at: float) -> None:
        """Record a lead leaving the cadence (censored leads keep closed_at NaN)."""
        self.status[lead] = _STATUS[status]
        if status != "censored":
            self.closed_at[lead] = at

    def backlog(self, t: float, due: int, new: int) -> None:
        """Record a backlog sample."""
        self.s_time.append(t)
        self.s_due.append(due)
        self.s_new.append(new)

    def lead_log(self) -> LeadLog:
        """Freeze the per-lead columns (numpy views of the buffers, then copies with final dtypes)."""
        col = _column
        return LeadLog(
            source=col(self.source, np.int16),
            created=col(self.created, np.float64),
            timezone=col(self.timezone, np.int16),
            quality=col(self.quality, np.float64),
            inbound=col(self.inbound, np.int8).astype(bool),
            answered_live=col(self.answered_live, np.int8).astype(bool),
            first_attempt=col(self.first_attempt, np.float64),
            first_contact=col(self.first_contact, np.float64),
            contact_attempt=col(self.contact_attempt, np.int16),
            attempts=col(self.attempts, np.int16),
            attempts_day1=col(self.attempts_day1, np.int16),
            status=col(self.status, np.int8),
            closed_at=col(self.closed_at, np.float64),
            qualified=col(self.qualified, np.int8).astype(bool),
            converted=col(self.converted, np.int8).astype(bool),
            rep=col(self.rep, np.int32),
        )

    def attempt_log(self) -> AttemptLog:
        """Freeze the activity rows, ordered by start time (steps interleave with calls)."""
        self._pack()
        if self.chunks:
            cols = [np.concatenate([chunk[i] for chunk in self.chunks]) for i in range(len(_ROW_DTYPES))]
        else:
            cols = [np.zeros(0, dtype=d) for d in _ROW_DTYPES]
        lead, rep, start, duration, outcome, channel, attempt, owner = cols
        order = np.argsort(start, kind="stable")
        return AttemptLog(
            lead=lead[order],
            rep=rep[order],
            start=start[order],
            duration=duration[order],
            outcome=outcome[order],
            channel=channel[order],
            attempt=attempt[order],
            owner=owner[order],
        )

    def backlog_samples(self) -> BacklogSamples:
        """Freeze the backlog samples."""
        return BacklogSamples(
            time=np.asarray(self.s_time, dtype=np.float64),
            due=np.asarray(self.s_due, dtype=np.int32),
            new=np.asarray(self.s_new, dtype=np.int32),
        )


def _column(buffer: array, dtype: type) -> np.ndarray:
    """A numpy copy of an array.array buffer with the given dtype (itemsizes match by construction)."""
    if len(buffer) == 0:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(buffer, dtype=dtype).copy()
