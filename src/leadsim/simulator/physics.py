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
lead has the same luck on its k-th attempt in every scenario.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Callable, NamedTuple

from leadsim.engine.calendar import FloorCalendar
from leadsim.scenarios.schema import (
    WEEKDAYS,
    Duration,
    ExponentialDist,
    FixedDist,
    HandleTimes,
    Scenario,
)
from leadsim.simulator import streams

_inv_cdf = NormalDist().inv_cdf
_TINY = 2.0**-54


def _odds(p: float) -> float:
    return p / (1.0 - p)


def sampler(dist: Duration) -> Callable[[float], float]:
    """A function turning a uniform in [0, 1) into a duration in minutes (inverse CDF)."""
    if isinstance(dist, FixedDist):
        value = float(dist.fixed)
        return lambda u: value
    if isinstance(dist, ExponentialDist):
        mean = float(dist.exponential.mean)
        return lambda u: -mean * math.log1p(-u)
    mean, sd = float(dist.lognormal.mean), float(dist.lognormal.sd)
    sigma2 = math.log1p((sd / mean) ** 2)
    mu, sigma = math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)
    return lambda u: math.exp(mu + sigma * _inv_cdf(u + _TINY if u <= 0.0 else u))


class AttemptDraw(NamedTuple):
    """The simulated outcome of one attempt: engine outcome, rep minutes, flags.

    A NamedTuple rather than a frozen dataclass: equally immutable, three times
    cheaper to create, and one is created per attempt.
    """

    outcome: str
    minutes: float
    reached: bool
    qualified: bool
    converted: bool


class TeamTimes:
    """Handle-time samplers of one team, by outcome."""

    def __init__(self, handle: HandleTimes) -> None:
        self.no_answer = sampler(handle.no_answer)
        self.voicemail = sampler(handle.voicemail)
        self.busy = sampler(handle.busy)
        self.bad_number = sampler(handle.bad_number)
        self.talk = sampler(handle.talk)
        self.wrap = sampler(handle.wrap)


class Physics:
    """Draws attempt outcomes for a scenario.

    Args:
        scenario: the validated scenario.
        calendar: floor calendar, for the lead's local hour and weekday.
        mean_quality: per source index, the mean of its quality distribution.
    """

    def __init__(self, scenario: Scenario, calendar: FloorCalendar, mean_quality: list[float]) -> None:
        contact, conv = scenario.contact, scenario.conversion
        names = [s.name for s in scenario.sources]
        self.calendar = calendar
        self.base_odds = [_odds(contact.base[n]) for n in names]
        self.qualify_odds = [_odds(conv.qualify[n]) for n in names]
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
        self.skill = [t.skill for t in scenario.teams]

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
        key: int,
        source: int,
        zone: str,
        quality: float,
        created: float,
        attempt: int,
        live: bool,
        steps_sent: tuple[float, ...],
        team: int,
        now: float,
    ) -> AttemptDraw:
        """Draw what happens when a rep of ``team`` dials (or answers) a lead at ``now``."""
        pair = streams.uniform_pair
        times = self.teams[team]
        handle_u, wrap_u = pair(key, attempt, streams.SLOT_HANDLE)
        wrap = times.wrap(wrap_u)
        if not live:
            if self.bad_number_rate > 0 and pair(key, 0, streams.SLOT_BAD_NUMBER)[0] < self.bad_number_rate:
                return AttemptDraw("bad_number", times.bad_number(handle_u) + wrap, False, False, False)
            if self.by_clock:
                _, hour, weekday = self.calendar.day_hour_weekday(now, zone)
            else:
                hour, weekday = 0, 0  # every hour and weekday has odds 1
            p = self.contact_probability(source, attempt, now - created, hour, weekday)
            u_reach, u_kind = pair(key, attempt, streams.SLOT_CONTACT)
            if u_reach >= p:
                if u_kind < self.voicemail_share:
                    return AttemptDraw("voicemail", times.voicemail(handle_u) + wrap, False, False, False)
                if u_kind < self.voicemail_share + self.busy_share:
                    return AttemptDraw("busy", times.busy(handle_u) + wrap, False, False, False)
                return AttemptDraw("no_answer", times.no_answer(handle_u) + wrap, False, False, False)
        minutes = times.talk(handle_u) + wrap
        u_qualify, u_close = pair(key, attempt, streams.SLOT_CONVERSION)
        if u_qualify >= self.qualify_probability(source, now - created, quality):
            return AttemptDraw("contact", minutes, True, False, False)
        emailed = any(t <= now and t - created <= 1440.0 for t in steps_sent)
        closed = u_close < self.close_probability(source, team, attempt, emailed)
        return AttemptDraw("converted" if closed else "qualified", minutes, True, True, closed)
