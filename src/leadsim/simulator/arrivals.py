"""Lead arrivals: a non-homogeneous Poisson process over the hour of week, and batches.

The intensity is piecewise constant on the floor's local hours, so the process
is generated exactly: a Poisson count per elapsed hour, uniform times within it.
The hourly rate is the source's weekly volume spread over its hour-of-week
profile, times its factor for the date (``date_factors``; ``holiday_factor`` on
calendar holidays), times -- with ``day_variance_ratio`` r > 1 -- a gamma factor
drawn per local day with mean 1 and shape m / (r - 1), m the day's expected
count, so that the day's count is gamma-Poisson with variance r x m.
All of a run's arrivals are drawn up front (vectorised), which also fixes each
lead's index within its source before the simulation starts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadsim.engine.calendar import FloorCalendar
from leadsim.scenarios.schema import (
    WEEKDAYS,
    BetaQuality,
    EmpiricalQuality,
    ProfileTable,
    ProfileWeights,
    Source,
)
from leadsim.simulator import distributions, streams
from leadsim.vocabulary import parse_hhmm

_OFFICE = [0.2] * 7 + [0.6] + [1.0] * 10 + [0.6, 0.45, 0.4, 0.35, 0.3, 0.25]
_EXTENDED = [0.15] * 6 + [0.4, 0.7] + [1.0] * 12 + [0.7, 0.5, 0.35, 0.2]

#: Named profiles: (24 hourly weights, 7 weekday weights Monday first).
NAMED_PROFILES: dict[str, tuple[list[float], list[float]]] = {
    "flat": ([1.0] * 24, [1.0] * 7),
    # Mostly office hours on weekdays, with evening and weekend trickle.
    "office_hours": (_OFFICE, [1.0, 1.0, 1.0, 1.0, 0.9, 0.35, 0.3]),
    # Consumer-style: long days, busy weekends.
    "extended_hours": (_EXTENDED, [1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.7]),
    # Only weekdays 08:00-18:00.
    "business_days": ([0.0] * 8 + [1.0] * 10 + [0.0] * 6, [1.0] * 5 + [0.0, 0.0]),
}


@dataclass(frozen=True)
class SourceArrivals:
    """The leads one source produces in a run, in order of creation."""

    times: np.ndarray  # float64 floor minutes, sorted
    quality: np.ndarray  # float64 in (0, 1)
    timezone: np.ndarray  # int16 index into the run's zone list
    mean_quality: float


def hour_of_week_weights(profile: str | ProfileWeights | ProfileTable) -> np.ndarray:
    """168 relative weights, Monday 00:00 first."""
    if isinstance(profile, ProfileTable):
        return np.asarray(profile.values(), dtype=float)
    if isinstance(profile, str):
        hours, days = NAMED_PROFILES[profile]
    else:
        hours = list(profile.hours)
        days = [profile.weekdays.get(d, 0.0) for d in WEEKDAYS]
    return np.outer(np.asarray(days, float), np.asarray(hours, float)).ravel()


def _hourly_rates(source: Source, calendar: FloorCalendar, hours: int, holidays: frozenset = frozenset(),
                  day_rng: np.random.Generator | None = None) -> np.ndarray:
    """Expected arrivals in each elapsed hour [h, h+1) of the run (see the module docstring)."""
    weights = hour_of_week_weights(source.profile)
    total = weights.sum()
    if total <= 0 or source.volume is None:
        return np.zeros(hours)
    per_week = source.volume.daily * 7.0
    how = np.empty(hours, dtype=np.int64)
    day_of = np.empty(hours, dtype=np.int64)
    zone = calendar.timezone
    for h in range(hours):
        day, hour, weekday = calendar.day_hour_weekday(h * 60.0 + 30.0, zone)
        how[h] = weekday * 24 + hour
        day_of[h] = day
    rates = per_week * weights[how] / total
    factors = source.date_factors
    scaled = bool(factors) or (source.holiday_factor != 1.0 and holidays)
    if not scaled and source.day_variance_ratio == 1.0:
        return rates  # the plain profile: no per-day work (and no extra draws)
    first, last = int(day_of.min()), int(day_of.max())
    by_day = np.ones(last - first + 1)
    for d in range(first, last + 1):
        date = calendar.date_of_day(d)
        if date in factors:
            by_day[d - first] = factors[date]
        elif date in holidays:
            by_day[d - first] = source.holiday_factor
    rates = rates * by_day[day_of - first]
    ratio = source.day_variance_ratio
    if ratio > 1.0 and day_rng is not None:
        expected = np.bincount(day_of - first, weights=rates, minlength=by_day.size)
        # Drawn for every day in order, so the factors of the first N days do not
        # depend on the run's length. A day with no expected arrivals keeps factor 1.
        shape = np.where(expected > 0, expected / (ratio - 1.0), 1.0)
        gamma = day_rng.gamma(shape, 1.0 / shape)
        rates = rates * np.where(expected > 0, gamma, 1.0)[day_of - first]
    return rates


def _stream_times(source: Source, calendar: FloorCalendar, end: float, counts_rng: np.random.Generator,
                  offsets_rng: np.random.Generator, holidays: frozenset = frozenset(),
                  day_rng: np.random.Generator | None = None) -> np.ndarray:
    """Poisson counts per hour and uniform times inside each hour.

    Counts and offsets come from two separate streams, each consumed in hour order,
    so the leads of the first N hours are the same whatever the run's length (a
    longer drain or window adds leads at the end, it does not reshuffle them).
    """
    hours = int(np.ceil(end / 60.0))
    rates = _hourly_rates(source, calendar, hours, holidays, day_rng)
    counts = counts_rng.poisson(rates)
    starts = np.repeat(np.arange(hours, dtype=float) * 60.0, counts)
    # Sorting within an hour keeps the prefix property: offsets are drawn in hour order.
    times = np.sort(starts + offsets_rng.random(starts.size) * 60.0)
    return times[times < end]


def _batch_times(source: Source, calendar: FloorCalendar, end: float) -> np.ndarray:
    out: list[np.ndarray] = []
    for batch in source.batches:
        local = float(np.floor(batch.day)) * 1440.0 + parse_hhmm(batch.at)
        t = calendar.to_floor(local, calendar.timezone)
        if t < end:
            out.append(np.full(batch.count, t))
    return np.sort(np.concatenate(out)) if out else np.zeros(0)


def generate(
    source: Source,
    calendar: FloorCalendar,
    end: float,
    zones: list[str],
    seed: int,
    replication: int,
    holidays: frozenset = frozenset(),
) -> SourceArrivals:
    """Draw a source's leads for a run of ``end`` floor minutes.

    Args:
        source: the source.
        calendar: the floor calendar (the profile is read in floor local time).
        end: the run's end, floor minutes.
        zones: the run's list of zone names; the leads' zones index into it.
        seed: root seed.
        replication: replication index.
        holidays: the calendar's holidays (``holiday_factor`` applies on them).
    """
    key = streams.name_key(source.name)
    if source.kind == "batch":
        times = _batch_times(source, calendar, end)
    else:
        times = _stream_times(
            source,
            calendar,
            end,
            streams.generator(seed, replication, streams.ARRIVALS, key, 0),
            streams.generator(seed, replication, streams.ARRIVALS, key, 1),
            holidays,
            # Its own stream: a source without over-dispersion draws nothing from it.
            streams.generator(seed, replication, streams.ARRIVALS, key, 2) if source.day_variance_ratio > 1.0 else None,
        )
    # One stream per attribute, so lead j's quality and zone do not depend on how
    # many leads the run has (the same prefix property as the arrival times).
    quality_rng = streams.generator(seed, replication, streams.ATTRIBUTES, key, 0)
    zone_rng = streams.generator(seed, replication, streams.ATTRIBUTES, key, 1)
    if isinstance(source.quality, BetaQuality):
        a, b = source.quality.beta
        quality = quality_rng.beta(a, b, size=times.size)
        mean_quality = a / (a + b)
    elif isinstance(source.quality, EmpiricalQuality):
        quality, mean_quality = _empirical_quality(source.quality, quality_rng.random(times.size))
    else:
        quality = np.full(times.size, source.quality.fixed)
        mean_quality = source.quality.fixed
    mix = source.timezones or {calendar.timezone: 1.0}
    names = list(mix)
    probs = np.asarray([mix[n] for n in names], float)
    picks = zone_rng.choice(len(names), size=times.size, p=probs / probs.sum())
    index = np.asarray([zones.index(n) for n in names], dtype=np.int16)
    return SourceArrivals(times, np.clip(quality, 1e-9, 1 - 1e-9), index[picks], float(mean_quality))


def _empirical_quality(dist: EmpiricalQuality, u: np.ndarray) -> tuple[np.ndarray, float]:
    """Qualities for uniforms ``u`` (inverse CDF, vectorised) and the table's mean quality.

    One uniform per lead from the attribute stream keeps lead j's quality independent of
    how many leads the run has, as for the Beta form.
    """
    values = np.asarray(dist.empirical.values, dtype=float)
    if dist.empirical.probabilities is not None:
        weights = np.asarray(dist.empirical.probabilities, dtype=float)
        cumulative = np.cumsum(weights) / weights.sum()
        picks = np.minimum(np.searchsorted(cumulative, u, side="right"), values.size - 1)
        return values[picks], float(np.dot(values, weights) / weights.sum())
    quantiles = np.asarray(dist.empirical.quantiles, dtype=float)
    return np.interp(u, quantiles, values), float(distributions.mean(dist))
