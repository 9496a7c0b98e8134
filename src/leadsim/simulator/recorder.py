"""Collects what happens during a run into columns, then freezes them into a RunResult."""

from __future__ import annotations

import math
from array import array

import numpy as np

from leadsim.simulator.results import (
    CHANNELS,
    LEAD_STATUSES,
    OUTCOMES,
    AttemptLog,
    BacklogSamples,
    LeadLog,
    OfferLog,
)
from leadsim.vocabulary import QUALIFIED_OUTCOMES, REACHED_OUTCOMES

NAN = math.nan
_STATUS = {name: i for i, name in enumerate(LEAD_STATUSES)}
_OUTCOME = {name: i for i, name in enumerate(OUTCOMES)}
_CHANNEL = {name: i for i, name in enumerate(CHANNELS)}
_STEP_OUTCOME = _OUTCOME[""]
_CALL_CHANNEL = _CHANNEL["call"]
# Lookup tables by outcome code: reached a person; and qualified (given reached).
_REACHED = np.isin(np.arange(len(OUTCOMES)), [_OUTCOME[name] for name in REACHED_OUTCOMES])
_QUALIFIED = np.isin(np.arange(len(OUTCOMES)), [_OUTCOME[name] for name in QUALIFIED_OUTCOMES])
_CHUNK = 1 << 16
_ROW_DTYPES = (np.int64, np.int32, np.float64, np.float64, np.int8, np.int8, np.int16, np.int32)
# One record per row: numpy converts a list of row tuples into it in one C loop,
# about twice as fast as transposing the rows and converting each column.
_ROW_RECORD = np.dtype([(f"c{i}", d) for i, d in enumerate(_ROW_DTYPES)])
_ROW_NAMES: tuple[str, ...] = tuple(f"c{i}" for i in range(len(_ROW_DTYPES)))  # the record's field names


def _filled(code: str, value: float | int, n: int) -> array:
    return array(code, [value]) * n


class Recorder:
    """Per-lead columns (preallocated: every lead is known before the run) and per-activity rows.

    Columns are typed ``array.array`` buffers, not lists: item access is as fast,
    and a lead or an activity costs a few dozen bytes instead of a few hundred
    (boxed floats and tuples), which is what keeps a million-lead run in memory.

    A call only appends its activity row: the per-lead columns that follow from
    the calls (attempts, first attempt, first contact and its outcome, ...) are
    derived from the rows with numpy when the log is frozen (:meth:`lead_log`),
    which is cheaper than updating them call by call.

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
        self.status = _filled("b", 0, n)
        self.closed_at = _filled("d", NAN, n)
        # Activity rows (lead, rep, start, duration, outcome, channel, attempt, owner):
        # one tuple append on the hot path; every _CHUNK rows are packed into a numpy
        # record array so memory stays at ~40 bytes a row however long the run.
        self.rows: list[tuple[int, int, float, float, int, int, int, int]] = []
        self.chunks: list[np.ndarray] = []
        # Offered inbound calls: (lead, offered at, waited, answered code, offer number).
        self.offers: list[tuple[int, float, float, int, int]] = []
        self.s_time: list[float] = []
        self.s_due: list[int] = []
        self.s_new: list[int] = []

    def attempt_started(
        self, lead: int, rep: int, now: float, outcome: str, minutes: float, attempt: int, live: bool, owner: int | None
    ) -> None:
        """Record a call attempt (its outcome is drawn when it starts).

        Args:
            lead, rep, now: who called whom, when.
            outcome, minutes: the drawn outcome and the rep's minutes.
            attempt, live, owner: the dial's attempt number, whether it answers an
                inbound caller on the line, and the lead's owner (or None).
        """
        rows = self.rows
        rows.append((lead, rep, now, minutes, _OUTCOME[outcome], 0, attempt, -1 if owner is None else owner))
        if len(rows) >= _CHUNK:
            self._pack()
        if live:  # answering an inbound caller on the line (always its first attempt)
            self.answered_live[lead] = True

    def offer_ended(self, lead: int, offered: float, waited: float, answered: int, offer: int) -> None:
        """Record how an offered inbound call ended (see :class:`OfferLog`)."""
        self.offers.append((lead, offered, waited, answered, offer))

    def offer_log(self) -> OfferLog:
        """Freeze the offered calls."""
        rows = self.offers
        return OfferLog(
            lead=np.asarray([r[0] for r in rows], dtype=np.int64),
            offered=np.asarray([r[1] for r in rows], dtype=np.float64),
            waited=np.asarray([r[2] for r in rows], dtype=np.float64),
            answered=np.asarray([r[3] for r in rows], dtype=np.int8),
            offer=np.asarray([r[4] for r in rows], dtype=np.int16),
        )

    def step(self, lead: int, channel: str, at: float) -> None:
        """Record a non-call step (no rep time)."""
        self.rows.append((lead, -1, at, 0.0, _STEP_OUTCOME, _CHANNEL[channel], 0, -1))
        if len(self.rows) >= _CHUNK:
            self._pack()

    def _pack(self) -> None:
        """Move the pending activity rows into typed numpy columns."""
        if self.rows:
            self.chunks.append(np.array(self.rows, dtype=_ROW_RECORD))
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

    def _activities(self) -> np.ndarray:
        """Every activity row so far, as one record array (in the order they were recorded)."""
        self._pack()
        if len(self.chunks) != 1:  # one chunk: the table (lead_log and attempt_log both read it)
            self.chunks = [np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=_ROW_RECORD)]
        return self.chunks[0]

    def lead_log(self) -> LeadLog:
        """Freeze the per-lead columns (numpy copies of the buffers with final dtypes, and the
        columns derived from the call rows)."""
        col = _column
        n = len(self.created)
        created = col(self.created, np.float64)
        rows = self._activities()
        is_call = rows["c5"] == _CALL_CHANNEL
        lead, rep_ids, start, outcome, attempt = (rows[name][is_call] for name in ("c0", "c1", "c2", "c4", "c6"))
        attempts = np.bincount(lead, minlength=n).astype(np.int16)
        day1 = start - created[lead] < 1440.0
        attempts_day1 = np.bincount(lead[day1], minlength=n).astype(np.int16)
        first_attempt = np.full(n, NAN)
        first = attempt == 1
        first_attempt[lead[first]] = start[first]
        # A lead is reached at most once (reaching it closes it): its reaching call
        # gives the contact columns. A call still under way when the run ends has not
        # reached anyone yet (its lead is censored), whatever its drawn outcome.
        status = col(self.status, np.int8)
        ended_reached = (status == _STATUS["converted"]) | (status == _STATUS["contacted"])
        reached = _REACHED[outcome] & ended_reached[lead]
        who = lead[reached]
        first_contact = np.full(n, NAN)
        first_contact[who] = start[reached]
        contact_attempt = np.zeros(n, dtype=np.int16)
        contact_attempt[who] = attempt[reached]
        qualified = np.zeros(n, dtype=bool)
        qualified[who] = _QUALIFIED[outcome[reached]]
        converted = np.zeros(n, dtype=bool)
        converted[who] = outcome[reached] == _OUTCOME["converted"]
        rep = np.full(n, -1, dtype=np.int32)
        rep[who] = rep_ids[reached]
        return LeadLog(
            source=col(self.source, np.int16),
            created=created,
            timezone=col(self.timezone, np.int16),
            quality=col(self.quality, np.float64),
            inbound=col(self.inbound, np.int8).astype(bool),
            answered_live=col(self.answered_live, np.int8).astype(bool),
            first_attempt=first_attempt,
            first_contact=first_contact,
            contact_attempt=contact_attempt,
            attempts=attempts,
            attempts_day1=attempts_day1,
            status=status,
            closed_at=col(self.closed_at, np.float64),
            qualified=qualified,
            converted=converted,
            rep=rep,
        )

    def attempt_log(self) -> AttemptLog:
        """Freeze the activity rows, ordered by start time (steps interleave with calls)."""
        table = self._activities()
        start = table["c2"]
        if start.size < 2 or bool((start[1:] >= start[:-1]).all()):
            # Rows are recorded as simulated time advances, so they are normally in
            # order already and a stable sort would be the identity: just copy.
            lead, rep, start, duration, outcome, channel, attempt, owner = (
                np.ascontiguousarray(table[name]) for name in _ROW_NAMES
            )
        else:
            order = np.argsort(start, kind="stable")
            lead, rep, start, duration, outcome, channel, attempt, owner = (table[name][order] for name in _ROW_NAMES)
        return AttemptLog(
            lead=lead,
            rep=rep,
            start=start,
            duration=duration,
            outcome=outcome,
            channel=channel,
            attempt=attempt,
            owner=owner,
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
