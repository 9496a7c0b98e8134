"""Collects what happens during a run into columns, then freezes them into a RunResult."""

from __future__ import annotations

import math

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


class Recorder:
    """Per-lead columns (preallocated: every lead is known before the run) and per-attempt rows.

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
        self.source = source
        self.created = created
        self.quality = quality
        self.timezone = timezone
        self.inbound = inbound
        self.key = keys
        self.answered_live = [False] * n
        self.first_attempt = [NAN] * n
        self.first_contact = [NAN] * n
        self.contact_attempt = [0] * n
        self.attempts = [0] * n
        self.attempts_day1 = [0] * n
        self.status = [0] * n
        self.closed_at = [NAN] * n
        self.qualified = [False] * n
        self.converted = [False] * n
        self.rep = [-1] * n
        # Activity rows (lead, rep, start, duration, outcome, channel, attempt):
        # one tuple per row, a single append on the hot path; columns are made at the end.
        self.rows: list[tuple[int, int, float, float, int, int, int]] = []
        self.s_time: list[float] = []
        self.s_due: list[int] = []
        self.s_new: list[int] = []

    def attempt_started(self, lead: int, rep: int, now: float, draw: AttemptDraw, dial: Dial) -> None:
        """Record a call attempt (its outcome is drawn when it starts)."""
        self.rows.append((lead, rep, now, draw.minutes, _OUTCOME[draw.outcome], 0, dial.attempt))
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
        self.rows.append((lead, -1, at, 0.0, _STEP_OUTCOME, _CHANNEL[channel], 0))

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
        """Freeze the per-lead columns."""
        return LeadLog(
            source=np.asarray(self.source, dtype=np.int16),
            created=np.asarray(self.created, dtype=np.float64),
            timezone=np.asarray(self.timezone, dtype=np.int16),
            quality=np.asarray(self.quality, dtype=np.float64),
            inbound=np.asarray(self.inbound, dtype=bool),
            answered_live=np.asarray(self.answered_live, dtype=bool),
            first_attempt=np.asarray(self.first_attempt, dtype=np.float64),
            first_contact=np.asarray(self.first_contact, dtype=np.float64),
            contact_attempt=np.asarray(self.contact_attempt, dtype=np.int16),
            attempts=np.asarray(self.attempts, dtype=np.int16),
            attempts_day1=np.asarray(self.attempts_day1, dtype=np.int16),
            status=np.asarray(self.status, dtype=np.int8),
            closed_at=np.asarray(self.closed_at, dtype=np.float64),
            qualified=np.asarray(self.qualified, dtype=bool),
            converted=np.asarray(self.converted, dtype=bool),
            rep=np.asarray(self.rep, dtype=np.int32),
        )

    def attempt_log(self) -> AttemptLog:
        """Freeze the activity rows, ordered by start time (steps interleave with calls)."""
        if self.rows:
            lead, rep, start, duration, outcome, channel, attempt = (list(c) for c in zip(*self.rows))
        else:
            lead, rep, start, duration, outcome, channel, attempt = [], [], [], [], [], [], []
        start_a = np.asarray(start, dtype=np.float64)
        order = np.argsort(start_a, kind="stable")
        return AttemptLog(
            lead=np.asarray(lead, dtype=np.int64)[order],
            rep=np.asarray(rep, dtype=np.int32)[order],
            start=start_a[order],
            duration=np.asarray(duration, dtype=np.float64)[order],
            outcome=np.asarray(outcome, dtype=np.int8)[order],
            channel=np.asarray(channel, dtype=np.int8)[order],
            attempt=np.asarray(attempt, dtype=np.int16)[order],
        )

    def backlog_samples(self) -> BacklogSamples:
        """Freeze the backlog samples."""
        return BacklogSamples(
            time=np.asarray(self.s_time, dtype=np.float64),
            due=np.asarray(self.s_due, dtype=np.int32),
            new=np.asarray(self.s_new, dtype=np.int32),
        )
