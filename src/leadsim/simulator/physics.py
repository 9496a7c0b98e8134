"""The contact and conversion "physics": what happens when a rep dials a lead.

Contact (logistic): the odds of reaching a live person are

    odds = odds(base[source]) x attempt_odds[k] x age_factor(age) x hour_odds[h] x weekday_odds[d]

with ``age_factor = floor + (1 - floor) * 0.5 ** (age / half_life)`` and h, d the
lead's local hour and weekday. An inbound caller answered on the line is reached
by definition.

Conversion, given a contact: qualify with odds

    odds(qualify[source]) x speed_factor(minutes from creation to this contact) x quality / mean quality

then close with odds

    odds(close[source]) x team skill x conversion.attempt_odds[k] x (email_day1_lift if an email/SMS
    step went out within the lead's first 24 h, before this call)

Working in odds keeps every probability in (0, 1) whatever the multipliers.
All randomness comes from counter-based per-(lead, attempt) uniforms, so the same
lead has the same luck on its k-th attempt in every scenario. For speed they are
read from blocks precomputed with numpy (:func:`streams.luck_block`, the same
values bit for bit).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from statistics import NormalDist
from typing import NamedTuple

from leadsim.engine.calendar import FloorCalendar
from leadsim.scenarios.schema import (
    WEEKDAYS,
    ContactModel,
    ConversionModel,
    Duration,
    ExponentialDist,
    FixedDist,
    HandleTimes,
    Scenario,
)
from leadsim.simulator import streams
from leadsim.simulator.distributions import sampler
from leadsim.vocabulary import Outcome

_inv_cdf = NormalDist().inv_cdf
log1p = math.log1p
_TINY = 2.0**-54
_BLOCK_BITS = streams.LUCK_BLOCK_BITS
_BLOCK_MASK = (1 << _BLOCK_BITS) - 1
_WIDTH = streams.LUCK_WIDTH
#: Attempts per lead covered by the luck blocks (later attempts hash on the fly);
#: bounds a block's memory when the call target is large.
_MAX_LUCK_ATTEMPTS = 12


def _odds(p: float) -> float:
    return p / (1.0 - p)


class AttemptDraw(NamedTuple):
    """The simulated outcome of one attempt: engine outcome and rep minutes.

    Whether the lead was reached, qualified or converted follows from the outcome
    ("contact", "qualified", "converted"). A NamedTuple rather than a frozen
    dataclass: equally immutable, three times cheaper to create, and one is
    created per attempt. :meth:`Physics.attempt` builds it with :data:`_draw`
    (``tuple.__new__``), which skips the generated Python-level ``__new__`` and
    halves the cost again.
    """

    outcome: Outcome  # one of leadsim.vocabulary.CALL_OUTCOMES
    minutes: float


_draw = tuple.__new__  # _draw(AttemptDraw, (outcome, minutes))


class TeamTimes:
    """Handle-time samplers of one team, by outcome.

    For the commonest draws the parameters are exposed too, so that
    :meth:`Physics.attempt` can compute them in place instead of calling the
    sampler: ``wrap_fixed`` (the wrap-up time when fixed, else None) and
    ``no_answer_mean`` / ``talk_mean`` (the mean when exponential, else None).
    """

    def __init__(self, handle: HandleTimes) -> None:
        self.no_answer = sampler(handle.no_answer)
        self.voicemail = sampler(handle.voicemail)
        self.busy = sampler(handle.busy)
        self.bad_number = sampler(handle.bad_number)
        self.talk = sampler(handle.talk)
        self.wrap = sampler(handle.wrap)
        self.wrap_fixed = float(handle.wrap.fixed) if isinstance(handle.wrap, FixedDist) else None
        self.no_answer_mean = _exponential_mean(handle.no_answer)
        self.talk_mean = _exponential_mean(handle.talk)


def _exponential_mean(dist: Duration) -> float | None:
    """The mean of an exponential duration (as :func:`sampler` uses it), else None."""
    return float(dist.exponential.mean) if isinstance(dist, ExponentialDist) else None


class Physics:
    """Draws attempt outcomes for a scenario.

    Args:
        scenario: the validated scenario.
        calendar: floor calendar, for the lead's local hour and weekday.
        mean_quality: per source index, the mean of its quality distribution.
    """

    def __init__(self, scenario: Scenario, calendar: FloorCalendar, mean_quality: list[float]) -> None:
        names = [s.name for s in scenario.sources]
        # An inbound-only floor may leave out the contact model (no outbound call is ever
        # made: the defaults below are never read) and the conversion model (odds 0:
        # every answered call is a contact, nobody qualifies).
        contact = scenario.contact or ContactModel(base={n: 0.5 for n in names}, age_decay=None)
        conv = scenario.conversion or ConversionModel(qualify={n: 0.5 for n in names}, close={n: 0.5 for n in names})
        self.calendar = calendar
        self.base_odds = [_odds(contact.base[n]) for n in names]
        converts = scenario.conversion is not None
        self.qualify_odds = [_odds(conv.qualify[n]) if converts else 0.0 for n in names]
        self.close_odds = [_odds(conv.close[n]) for n in names]
        self.mean_quality = mean_quality
        self.attempt_odds = list(contact.attempt_odds)
        self.conv_attempt_odds = list(conv.attempt_odds)
        self.hour_odds = [contact.hour_odds.get(h, 1.0) for h in range(24)]
        self.weekday_odds = [contact.weekday_odds.get(d, 1.0) for d in WEEKDAYS]
        # The lead's local clock is only needed when some hour or weekday has odds != 1.
        self.by_clock = any(v != 1.0 for v in self.hour_odds + self.weekday_odds)
        self.age = contact.age_decay
        # Decay constants unpacked once: contact_probability runs on every attempt.
        self.age_floor = contact.age_decay.floor_odds if contact.age_decay else 1.0
        self.age_half_life = contact.age_decay.half_life_minutes if contact.age_decay else 0.0
        self.speed = conv.speed_decay
        self.voicemail_share = contact.voicemail_share
        self.busy_share = contact.busy_share
        self.bad_number_rate = contact.bad_number_rate
        self.email_lift = conv.email_day1_lift
        self.teams = [TeamTimes(t.handle_minutes) for t in scenario.teams]
        # Per team and source, when some team has handle times by source (else None:
        # the hot path then reads the team's times only).
        self.source_times: list[list[TeamTimes]] | None = None
        if any(t.handle_by_source for t in scenario.teams):
            self.source_times = [
                [TeamTimes(t.handle_for(n)) if n in t.handle_by_source else self.teams[i] for n in names]
                for i, t in enumerate(scenario.teams)
            ]
        self.skill = [t.skill for t in scenario.teams]
        self.unreached_share = self.voicemail_share + self.busy_share  # voicemail or busy
        # Without age decay and clock odds, P(contact) depends on the source and the
        # attempt number only: tabulate it (same arithmetic as contact_probability,
        # so the same bits). Row s, index k: attempt k of a lead of source s; the last
        # entry repeats, as the last attempt_odds value does.
        self.contact_table: list[list[float]] | None = None
        if not self.age_half_life and not self.by_clock and self.attempt_odds:
            self.contact_table = [
                [0.0] + [self.contact_probability(s, k, 0.0, 0, 0) for k in range(1, len(self.attempt_odds) + 1)]
                for s in range(len(names))
            ]
        # The leads' own attributes and precomputed luck: see use_leads.
        self.luck_attempts = min(scenario.policy.cadence.call_target, _MAX_LUCK_ATTEMPTS)
        self.lead_keys: Sequence[int] = ()
        self.lead_source: Sequence[int] = ()
        self.lead_zone: Sequence[str] = ()
        self.lead_quality: Sequence[float] = ()
        self.luck_blocks: list[array | None] = []
        self.luck_open: list[int] = []  # per block, its leads not closed yet

    def use_leads(self, keys: Sequence[int], source: Sequence[int], zone: Sequence[str], quality: Sequence[float]) -> None:
        """The run's leads, by lead id: luck key, source index, time zone and quality.

        Must be called before :meth:`attempt`, which reads a lead's attributes here
        (only those the draw needs). Per-attempt luck is read from blocks of 1,024
        consecutive lead ids, each computed on its first attempt and dropped when
        :meth:`lead_closed` has been called for all its leads; leads arrive in id
        order, so only the few blocks of recent leads are alive.
        """
        n = len(keys)
        n_blocks = (n >> _BLOCK_BITS) + 1
        self.lead_keys, self.lead_source, self.lead_zone, self.lead_quality = keys, source, zone, quality
        self.luck_blocks = [None] * n_blocks
        self.luck_open = [1 << _BLOCK_BITS] * n_blocks
        self.luck_open[-1] = n - ((n_blocks - 1) << _BLOCK_BITS)

    def lead_closed(self, lead: int) -> None:
        """The lead will not be called again: free its luck block once all its leads are done."""
        b = lead >> _BLOCK_BITS
        self.luck_open[b] -= 1
        if not self.luck_open[b]:
            self.luck_blocks[b] = None

    def _luck_block(self, b: int) -> array:
        first = b << _BLOCK_BITS
        count = min(1 << _BLOCK_BITS, len(self.lead_keys) - first)
        block = self.luck_blocks[b] = streams.luck_block(self.lead_keys, first, count, self.luck_attempts)
        return block

    def wrap_minutes(self, lead: int, attempt: int, team: int) -> float:
        """The wrap-up part of an attempt's minutes, as :meth:`attempt` drew it (same luck)."""
        times = self.teams[team] if self.source_times is None else self.source_times[team][self.lead_source[lead]]
        if times.wrap_fixed is not None:
            return times.wrap_fixed
        return times.wrap(streams.uniform_pair(self.lead_keys[lead], attempt, streams.SLOT_HANDLE)[1])

    @staticmethod
    def _pick(values: list[float], k: int) -> float:
        return values[k - 1] if k <= len(values) else values[-1]

    def contact_probability(self, source: int, attempt: int, age: float, hour: int, weekday: int) -> float:
        """P(reach a live person) for an attempt (see module docstring)."""
        by_attempt = self.attempt_odds
        odds = self.base_odds[source] * (by_attempt[attempt - 1] if attempt <= len(by_attempt) else by_attempt[-1])
        if self.age_half_life:
            floor = self.age_floor
            odds *= floor + (1.0 - floor) * 0.5 ** (age / self.age_half_life)
        if self.by_clock:
            odds *= self.hour_odds[hour] * self.weekday_odds[weekday]
        return odds / (1.0 + odds)

    def qualify_probability(self, source: int, minutes_to_contact: float, quality: float) -> float:
        """P(qualify | contact)."""
        odds = self.qualify_odds[source] * quality / self.mean_quality[source]
        if self.speed is not None:
            floor = self.speed.floor
            odds *= floor + (1.0 - floor) * 0.5 ** (minutes_to_contact / self.speed.half_life_minutes)
        return odds / (1.0 + odds)

    def close_probability(self, source: int, team: int, attempt: int, emailed_day1: bool) -> float:
        """P(close | qualified)."""
        odds = self.close_odds[source] * self.skill[team] * self._pick(self.conv_attempt_odds, attempt)
        if emailed_day1:
            odds *= self.email_lift
        return odds / (1.0 + odds)

    def attempt(
        self,
        lead: int,
        attempt: int,
        live: bool,
        created: float,
        steps_sent: tuple[float, ...],
        team: int,
        now: float,
    ) -> AttemptDraw:
        """Draw what happens when a rep of ``team`` makes attempt ``attempt`` on ``lead`` at ``now``.

        ``live``, ``created`` and ``steps_sent`` are the dial's (an inbound caller on
        the line, the lead's creation time, its non-call steps so far).

        Runs once per attempt, so the common cases are inlined: the uniforms from
        a luck block, contact odds from :attr:`contact_table` when they allow it,
        and the lead's attributes read only when the draw needs them.
        """
        by_source = self.source_times
        times = self.teams[team] if by_source is None else by_source[team][self.lead_source[lead]]
        if attempt <= self.luck_attempts:
            block = self.luck_blocks[lead >> _BLOCK_BITS]
            if block is None:
                block = self._luck_block(lead >> _BLOCK_BITS)
            i = ((lead & _BLOCK_MASK) * self.luck_attempts + attempt - 1) * _WIDTH
            handle_u, wrap_u, u_reach, u_kind = block[i], block[i + 1], block[i + 2], block[i + 3]
        else:
            block, i = None, 0
            key = self.lead_keys[lead]
            handle_u, wrap_u = streams.uniform_pair(key, attempt, streams.SLOT_HANDLE)
            u_reach, u_kind = streams.uniform_pair(key, attempt, streams.SLOT_CONTACT)
        wrap = times.wrap_fixed
        if wrap is None:
            wrap = times.wrap(wrap_u)
        source = self.lead_source[lead]
        if not live:
            if (
                self.bad_number_rate > 0
                and streams.uniform_pair(self.lead_keys[lead], 0, streams.SLOT_BAD_NUMBER)[0] < self.bad_number_rate
            ):
                return _draw(AttemptDraw, ("bad_number", times.bad_number(handle_u) + wrap))
            table = self.contact_table
            if table is not None:
                row = table[source]
                p = row[attempt] if attempt < len(row) else row[-1]
            else:
                if self.by_clock:
                    _, hour, weekday = self.calendar.day_hour_weekday(now, self.lead_zone[lead])
                else:
                    hour, weekday = 0, 0  # every hour and weekday has odds 1
                p = self.contact_probability(source, attempt, now - created, hour, weekday)
            if u_reach >= p:
                if u_kind < self.voicemail_share:
                    return _draw(AttemptDraw, ("voicemail", times.voicemail(handle_u) + wrap))
                if u_kind < self.unreached_share:
                    return _draw(AttemptDraw, ("busy", times.busy(handle_u) + wrap))
                mean = times.no_answer_mean  # the exponential sampler, inlined
                handle = -mean * log1p(-handle_u) if mean is not None else times.no_answer(handle_u)
                return _draw(AttemptDraw, ("no_answer", handle + wrap))
        mean = times.talk_mean
        minutes = (-mean * log1p(-handle_u) if mean is not None else times.talk(handle_u)) + wrap
        if block is not None:
            u_qualify, u_close = block[i + 4], block[i + 5]
        else:
            u_qualify, u_close = streams.uniform_pair(self.lead_keys[lead], attempt, streams.SLOT_CONVERSION)
        if u_qualify >= self.qualify_probability(source, now - created, self.lead_quality[lead]):
            return _draw(AttemptDraw, ("contact", minutes))
        emailed = bool(steps_sent) and any(t <= now and t - created <= 1440.0 for t in steps_sent)
        closed = u_close < self.close_probability(source, team, attempt, emailed)
        return _draw(AttemptDraw, ("converted" if closed else "qualified", minutes))
