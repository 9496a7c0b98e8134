"""The scenario language: pydantic models for every section of a scenario file.

A scenario is validated once, here, at the edge. Every model forbids unknown
fields, so a misspelt key is an error rather than a silently ignored setting.
Every field carries a description; ``leadsim schema`` prints them as JSON Schema.

Units: times of day are "HH:MM" strings in the stated clock (the floor's or the
lead's local time); durations carry their unit in the field name
(``_minutes``, ``_hours``, ``_days``, ``_seconds``); money is in the scenario's
currency; probabilities are in (0, 1) unless stated.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from itertools import pairwise
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The names the engine must agree on, and "HH:MM" parsing, are defined once in
# leadsim.vocabulary (parse_hhmm and parse_interval are re-exported from here).
from leadsim.vocabulary import (
    CALLBACK,
    DEFAULT_PRIORITY,
    FIFO_ORDER,
    INCOMING_CALL_GROUP,
    OWNED_MODES,
    OWNER_RECYCLE,
    SHARED_POOL,
    STAGES,
    AbandonAction,
    DistributionMode,
    InboundOrder,
    NewLeadsOrder,
    PriorityName,
    RuleOutcome,
    SpacingClock,
    Stage,
    StepChannel,
    WindowClock,
    parse_hhmm,
    parse_interval,
    priority_rule_problem,
)

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

def parse_days(text: str) -> tuple[int, ...]:
    """Parse a weekday set such as "mon-fri", "sat", "mon,wed,fri" or "mon-sun".

    Returns:
        Sorted weekday numbers, Monday = 0.

    Raises:
        ValueError: on an unknown day name.
    """
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        if "-" in part:
            first, last = part.split("-", 1)
            if first not in WEEKDAYS or last not in WEEKDAYS:
                raise ValueError(f"unknown weekday range {part!r}; use names from {WEEKDAYS}")
            i, j = WEEKDAYS.index(first), WEEKDAYS.index(last)
            span = range(i, j + 1) if i <= j else list(range(i, 7)) + list(range(0, j + 1))
            days.update(span)
        else:
            if part not in WEEKDAYS:
                raise ValueError(f"unknown weekday {part!r}; use names from {WEEKDAYS}")
            days.add(WEEKDAYS.index(part))
    return tuple(sorted(days))


class Strict(BaseModel):
    """Base model: unknown fields are errors, instances are immutable."""

    # allow_inf_nan=False: no number anywhere in a scenario may be .inf or .nan.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# ---------------------------------------------------------------- bounded numbers
# Every number in a scenario is finite, within a generous documented range, and of
# its own type: strict=True refuses booleans (true is not 1 rep) and quoted numbers;
# an int is accepted where a float is expected, not the other way round. The bounds
# are documented in docs/scenarios.md (checked by tests/test_hardening_bounds.py) and
# appear in the JSON Schema (`leadsim schema`). Whether a valid scenario is also
# *affordable* to simulate is a separate check: leadsim.simulator.estimate.

#: Longest warm-up, measured window or drain, and latest day anywhere (about ten years).
MAX_DAYS = 3660
#: Longest span in minutes (spacing, half-lives, retries): MAX_DAYS of them.
MAX_MINUTES = MAX_DAYS * 1440
#: Longest span in hours (expiry): MAX_DAYS of them.
MAX_HOURS = MAX_DAYS * 24
#: Longest handle time, and largest handle-time standard deviation: a day per call.
MAX_HANDLE_MINUTES = 1440
#: Longest inbound caller patience: a day.
MAX_PATIENCE_SECONDS = 86_400
#: Largest expected volume of one source, leads per day (per_week: 7 times this).
MAX_LEADS_PER_DAY = 1_000_000
#: Largest batch upload.
MAX_BATCH_LEADS = 10_000_000
#: Largest team.
MAX_HEADCOUNT = 10_000
#: Largest call target, cap or attempt number.
MAX_ATTEMPTS = 1_000
#: Most replications.
MAX_REPLICATIONS = 10_000
#: Largest root seed (fits a signed 64-bit integer).
MAX_SEED = 2**63 - 1
#: Largest odds ratio, relative weight or Beta shape parameter.
MAX_RATIO = 1e6
#: Largest amount of money (per lead, per conversion, per rep hour).
MAX_MONEY = 1e12
#: Range of calendar.start (a run then ends at the latest around 2230).
EARLIEST_START, LATEST_START = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
#: Backlog sampling interval: at least a minute, at most a week.
MIN_SAMPLE_MINUTES, MAX_SAMPLE_MINUTES = 1, 10_080

Probability = Annotated[float, Field(strict=True, gt=0.0, lt=1.0)]
Share = Annotated[float, Field(strict=True, ge=0.0, le=1.0)]
Days = Annotated[float, Field(strict=True, ge=0.0, le=MAX_DAYS)]
PositiveDays = Annotated[float, Field(strict=True, gt=0.0, le=MAX_DAYS)]
Minutes = Annotated[float, Field(strict=True, ge=0.0, le=MAX_MINUTES)]
PositiveMinutes = Annotated[float, Field(strict=True, gt=0.0, le=MAX_MINUTES)]
PositiveHours = Annotated[float, Field(strict=True, gt=0.0, le=MAX_HOURS)]
HandleMinutes = Annotated[float, Field(strict=True, ge=0.0, le=MAX_HANDLE_MINUTES)]
PositiveHandleMinutes = Annotated[float, Field(strict=True, gt=0.0, le=MAX_HANDLE_MINUTES)]
PatienceSeconds = Annotated[float, Field(strict=True, gt=0.0, le=MAX_PATIENCE_SECONDS)]
LeadsPerDay = Annotated[float, Field(strict=True, ge=0.0, le=MAX_LEADS_PER_DAY)]
LeadsPerWeek = Annotated[float, Field(strict=True, ge=0.0, le=7 * MAX_LEADS_PER_DAY)]
Ratio = Annotated[float, Field(strict=True, gt=0.0, le=MAX_RATIO)]
Weight = Annotated[float, Field(strict=True, ge=0.0, le=MAX_RATIO)]
Money = Annotated[float, Field(strict=True, ge=0.0, le=MAX_MONEY)]
Headcount = Annotated[int, Field(strict=True, ge=0, le=MAX_HEADCOUNT)]
BatchLeads = Annotated[int, Field(strict=True, ge=0, le=MAX_BATCH_LEADS)]
Attempts = Annotated[int, Field(strict=True, ge=1, le=MAX_ATTEMPTS)]
AttemptNumber = Annotated[int, Field(strict=True, ge=0, le=MAX_ATTEMPTS)]
#: A patience value that may be zero (an empirical table's entries).
PatienceValue = Annotated[float, Field(strict=True, ge=0.0, le=MAX_PATIENCE_SECONDS)]
#: Largest Weibull shape (beyond it a Weibull is a fixed value in all but name).
MAX_WEIBULL_SHAPE = 100.0
WeibullShape = Annotated[float, Field(strict=True, gt=0.0, le=MAX_WEIBULL_SHAPE)]
#: Most entries of an empirical distribution table.
MAX_EMPIRICAL_POINTS = 10_000
#: Longest service-level threshold (an hour).
MAX_SERVICE_LEVEL_SECONDS = 3600
ServiceLevelSeconds = Annotated[float, Field(strict=True, ge=0.0, le=MAX_SERVICE_LEVEL_SECONDS)]
#: Most redials of one abandoned caller.
MAX_REDIALS = 100
#: A number parameter of a priority rule (a source weight, an aging rate): |x| <= MAX_RATIO.
RuleNumber = Annotated[float, Field(strict=True, ge=-MAX_RATIO, le=MAX_RATIO)]


# ---------------------------------------------------------------- calendar, run


class Calendar(Strict):
    """The sales floor's calendar: day 0 starts at 00:00 of ``start`` in ``timezone``."""

    start: dt.date = Field(description="First day of the simulation (day 0), a real date.")
    timezone: str = Field("America/Chicago", description="IANA time zone of the sales floor.")
    holidays: list[dt.date] = Field(
        default_factory=list, description="Dates on which no shift is worked."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("start")
    @classmethod
    def _start_range(cls, value: dt.date) -> dt.date:
        # A run may last 3 x MAX_DAYS; beyond these years the calendar arithmetic overflows.
        if not EARLIEST_START <= value <= LATEST_START:
            raise ValueError(f"must be a date from {EARLIEST_START} to {LATEST_START}")
        return value


def check_weekday_keys(value: dict[str, float]) -> dict[str, float]:
    """Return the mapping if every key is a weekday name (mon..sun), else raise ValueError."""
    for key in value:
        if key not in WEEKDAYS:
            raise ValueError(f"unknown weekday {key!r}; use {WEEKDAYS}")
    return value


def check_timezone(value: str) -> str:
    """Return the zone name if it is a known IANA time zone, else raise ValueError."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"must be an IANA time zone such as 'America/Chicago', got {value!r}") from None
    return value


class RunConfig(Strict):
    """How long to simulate and with which seed."""

    warmup_days: Days = Field(
        7, description="Days simulated before measuring; leads created in them are not counted."
    )
    days: PositiveDays = Field(28, description="Measured window in days: these leads are counted.")
    drain_days: Days = Field(
        14,
        description="Days after the window during which counted leads are followed; leads still "
        "open at its end are counted as censored.",
    )
    seed: int = Field(1, strict=True, ge=0, le=MAX_SEED, description="Root seed; same seed, same numbers.")
    replications: int = Field(1, strict=True, ge=1, le=MAX_REPLICATIONS, description="Independent replications (seeds spawned).")
    sample_minutes: float = Field(
        15, strict=True, ge=MIN_SAMPLE_MINUTES, le=MAX_SAMPLE_MINUTES,
        description="Interval at which the due-lead backlog is sampled."
    )


# ---------------------------------------------------------------- distributions


def check_empirical(values: list[float], probabilities: list[float] | None,
                    quantiles: list[float] | None) -> None:
    """Check an empirical distribution table (shared by every unit it is given in).

    Raises:
        ValueError: naming the rule and the values received.
    """
    if (probabilities is None) == (quantiles is None):
        raise ValueError("give values with exactly one of probabilities (a discrete table) or "
                         "quantiles (cumulative probabilities, interpolated linearly)")
    other = probabilities if probabilities is not None else quantiles
    name = "probabilities" if probabilities is not None else "quantiles"
    assert other is not None
    if len(other) != len(values):
        raise ValueError(f"values and {name} must have the same length, got {len(values)} and {len(other)}")
    if probabilities is not None:
        if sum(probabilities) <= 0:
            raise ValueError(f"probabilities must not all be zero, got {probabilities}")
        return
    assert quantiles is not None
    if len(quantiles) < 2 or quantiles[0] != 0.0 or quantiles[-1] != 1.0:
        raise ValueError(f"quantiles must run from 0 to 1 (at least two points), got {quantiles}")
    if any(b <= a for a, b in pairwise(quantiles)):
        raise ValueError(f"quantiles must increase strictly, got {quantiles}")
    if any(b < a for a, b in pairwise(values)):
        raise ValueError(f"values must not decrease along the quantiles, got {values}")


class FixedDist(Strict):
    """A constant duration in minutes."""

    fixed: HandleMinutes = Field(description="The duration, minutes.")


class ExponentialDist(Strict):
    """Exponentially distributed minutes."""

    class Params(Strict):
        mean: PositiveHandleMinutes = Field(description="Mean, minutes.")

    exponential: Params


class LognormalDist(Strict):
    """Lognormally distributed minutes, given by the mean and standard deviation of the minutes."""

    class Params(Strict):
        mean: PositiveHandleMinutes = Field(description="Mean, minutes.")
        sd: PositiveHandleMinutes = Field(description="Standard deviation, minutes.")

    lognormal: Params


class WeibullDist(Strict):
    """Weibull distributed minutes: P(X > x) = exp(-(x / scale) ** shape)."""

    class Params(Strict):
        shape: WeibullShape = Field(description="Shape k (< 1: hazard falls with time; 1: exponential).")
        scale: PositiveHandleMinutes = Field(description="Scale, minutes (the 63rd percentile).")

    weibull: Params


class GammaDist(Strict):
    """Gamma distributed minutes, given by the mean and standard deviation of the minutes.

    Handle times in real logs are often closer to a gamma than to a lognormal (a lighter
    right tail); calibration writes this form when it fits best by likelihood.
    """

    class Params(Strict):
        mean: PositiveHandleMinutes = Field(description="Mean, minutes.")
        sd: PositiveHandleMinutes = Field(description="Standard deviation, minutes.")

        @model_validator(mode="after")
        def _shape(self) -> GammaDist.Params:
            # shape = (mean / sd)^2: keep the inverse CDF well conditioned.
            shape = (self.mean / self.sd) ** 2
            if not 1e-3 <= shape <= 1e4:
                raise ValueError(f"(mean / sd)^2 is the gamma's shape and must lie in [0.001, 10000], "
                                 f"got {shape:.6g} (mean {self.mean}, sd {self.sd})")
            return self

    gamma: Params


class EmpiricalDist(Strict):
    """An empirical distribution of minutes: a discrete table or interpolated quantiles."""

    class Params(Strict):
        values: list[HandleMinutes] = Field(
            min_length=1, max_length=MAX_EMPIRICAL_POINTS,
            description="Durations, minutes (non-decreasing when quantiles are given).")
        probabilities: list[Weight] | None = Field(
            None, description="Relative weight of each value (a discrete distribution).")
        quantiles: list[Share] | None = Field(
            None, description="Cumulative probability at each value, 0 first and 1 last; "
            "durations in between are interpolated linearly.")

        @model_validator(mode="after")
        def _table(self) -> EmpiricalDist.Params:
            check_empirical(self.values, self.probabilities, self.quantiles)
            return self

    empirical: Params


Duration = FixedDist | ExponentialDist | LognormalDist | GammaDist | WeibullDist | EmpiricalDist


class PatienceFixed(Strict):
    """Every caller waits the same number of seconds."""

    fixed: PatienceSeconds = Field(description="Patience, seconds.")


class PatienceExponential(Strict):
    """Exponential patience (what Erlang A assumes)."""

    class Params(Strict):
        mean: PatienceSeconds = Field(description="Mean patience, seconds.")

    exponential: Params


class PatienceLognormal(Strict):
    """Lognormal patience, given by the mean and standard deviation in seconds."""

    class Params(Strict):
        mean: PatienceSeconds = Field(description="Mean, seconds.")
        sd: PatienceSeconds = Field(description="Standard deviation, seconds.")

    lognormal: Params


class PatienceWeibull(Strict):
    """Weibull patience: P(patience > x) = exp(-(x / scale) ** shape)."""

    class Params(Strict):
        shape: WeibullShape = Field(description="Shape k (< 1: callers who waited long hang up less readily).")
        scale: PatienceSeconds = Field(description="Scale, seconds (the 63rd percentile).")

    weibull: Params


class PatienceEmpirical(Strict):
    """An empirical patience distribution in seconds: a discrete table or interpolated quantiles."""

    class Params(Strict):
        values: list[PatienceValue] = Field(
            min_length=1, max_length=MAX_EMPIRICAL_POINTS,
            description="Patience values, seconds (non-decreasing when quantiles are given).")
        probabilities: list[Weight] | None = Field(
            None, description="Relative weight of each value (a discrete distribution).")
        quantiles: list[Share] | None = Field(
            None, description="Cumulative probability at each value, 0 first and 1 last; "
            "values in between are interpolated linearly.")

        @model_validator(mode="after")
        def _table(self) -> PatienceEmpirical.Params:
            check_empirical(self.values, self.probabilities, self.quantiles)
            return self

    empirical: Params


PatienceDist = PatienceFixed | PatienceExponential | PatienceLognormal | PatienceWeibull | PatienceEmpirical


class SpacingFixed(Strict):
    """A constant gap between attempts, minutes (the same as a bare number)."""

    fixed: Minutes = Field(description="The gap, minutes.")


class SpacingExponential(Strict):
    """Exponentially distributed gaps (the textbook retrial queue's spacing)."""

    class Params(Strict):
        mean: PositiveMinutes = Field(description="Mean gap, minutes.")

    exponential: Params


class SpacingLognormal(Strict):
    """Lognormally distributed gaps, given by the mean and standard deviation in minutes."""

    class Params(Strict):
        mean: PositiveMinutes = Field(description="Mean gap, minutes.")
        sd: PositiveMinutes = Field(description="Standard deviation, minutes.")

    lognormal: Params


class SpacingWeibull(Strict):
    """Weibull distributed gaps: P(gap > x) = exp(-(x / scale) ** shape)."""

    class Params(Strict):
        shape: WeibullShape = Field(description="Shape k (1: exponential).")
        scale: PositiveMinutes = Field(description="Scale, minutes (the 63rd percentile).")

    weibull: Params


class SpacingEmpirical(Strict):
    """An empirical gap distribution in minutes: a discrete table or interpolated quantiles."""

    class Params(Strict):
        values: list[Minutes] = Field(
            min_length=1, max_length=MAX_EMPIRICAL_POINTS,
            description="Gaps, minutes (non-decreasing when quantiles are given).")
        probabilities: list[Weight] | None = Field(
            None, description="Relative weight of each value (a discrete distribution).")
        quantiles: list[Share] | None = Field(
            None, description="Cumulative probability at each value, 0 first and 1 last; "
            "gaps in between are interpolated linearly.")

        @model_validator(mode="after")
        def _table(self) -> SpacingEmpirical.Params:
            check_empirical(self.values, self.probabilities, self.quantiles)
            return self

    empirical: Params


#: A gap of the spacing schedule drawn at random, per lead and per attempt (see
#: leadsim.simulator.spacing): the same forms as handle times, bounded as spacing.
SpacingDist = SpacingFixed | SpacingExponential | SpacingLognormal | SpacingWeibull | SpacingEmpirical


class Abandonment(Strict):
    """What happens after an inbound caller hangs up unanswered."""

    then: AbandonAction = Field(
        CALLBACK,
        description="callback: the lead is due as a callback (callback_delay_minutes later); "
        "lost: the caller is gone (lead status 'abandoned'); retry: the caller redials after "
        "retry_delay_minutes with probability retry_probability, else is lost.",
    )
    retry_probability: Share = Field(
        0.5, description="retry: chance that a caller who hung up rings again (each time).")
    retry_delay_minutes: Duration = Field(
        default_factory=lambda: ExponentialDist(exponential={"mean": 10.0}),
        description="retry: time from hanging up to ringing again (a distribution, minutes).",
    )
    max_redials: int = Field(
        3, strict=True, ge=1, le=MAX_REDIALS,
        description="retry: redials after which a caller who hangs up again is lost.")


# ---------------------------------------------------------------- hour-of-week tables

#: Hours in a week.
HOURS_OF_WEEK = 168
#: Largest number of reps on duty in one hour of a staffing table.
StaffCount = Annotated[float, Field(strict=True, ge=0.0, le=MAX_HEADCOUNT)]
#: Largest staffing_scale.
MAX_STAFFING_SCALE = 100.0
#: Largest per-date volume factor or holiday factor.
MAX_VOLUME_FACTOR = 1000.0
VolumeFactor = Annotated[float, Field(strict=True, ge=0.0, le=MAX_VOLUME_FACTOR)]
#: Largest variance-to-mean ratio of a day's arrivals.
MAX_DISPERSION = 1000.0


def check_week_table(hour_of_week: list[float] | None, by_weekday: dict[str, list[float]] | None,
                     what: str) -> None:
    """Check an hour-of-week table given as 168 values or as weekday -> 24 values.

    Raises:
        ValueError: naming the rule and the values received.
    """
    if (hour_of_week is None) == (by_weekday is None):
        raise ValueError(f"give {what} either as hour_of_week (168 values, Monday 00:00 first) or as "
                         "by_weekday (mon..sun -> 24 values), exactly one of the two")
    if hour_of_week is not None:
        if len(hour_of_week) != HOURS_OF_WEEK:
            raise ValueError(f"hour_of_week needs exactly {HOURS_OF_WEEK} values (Monday 00:00 first), "
                             f"got {len(hour_of_week)}")
        values = list(hour_of_week)
    else:
        assert by_weekday is not None
        check_weekday_keys(by_weekday)  # type: ignore[arg-type]
        for day, hours in by_weekday.items():
            if len(hours) != 24:
                raise ValueError(f"by_weekday.{day} needs exactly 24 values (00:00 to 23:00), got {len(hours)}")
        values = [v for hours in by_weekday.values() for v in hours]
    if not any(v > 0 for v in values):
        raise ValueError(f"{what} is zero in every hour of the week")


def week_values(hour_of_week: list[float] | None, by_weekday: dict[str, list[float]] | None) -> list[float]:
    """The 168 values (Monday 00:00 first) of a checked hour-of-week table; a day left out is 0."""
    if hour_of_week is not None:
        return [float(v) for v in hour_of_week]
    table = by_weekday or {}
    return [float(v) for day in WEEKDAYS for v in table.get(day, [0.0] * 24)]


class ProfileTable(Strict):
    """Arrival intensity per hour of week (floor local time), as a table of relative rates."""

    hour_of_week: list[Weight] | None = Field(
        None, description="168 relative rates, Monday 00:00-01:00 first, Sunday 23:00 last.")
    by_weekday: dict[str, list[Weight]] | None = Field(
        None, description="Per weekday (mon..sun), 24 relative rates (00:00 to 23:00); a day left out is 0.")

    @model_validator(mode="after")
    def _shape(self) -> ProfileTable:
        check_week_table(self.hour_of_week, self.by_weekday, "the arrival profile")
        return self

    def values(self) -> list[float]:
        """The 168 relative rates, Monday 00:00 first."""
        return week_values(self.hour_of_week, self.by_weekday)


class StaffingTable(Strict):
    """Reps on duty per hour of week (floor local time), with optional rosters for given dates."""

    hour_of_week: list[StaffCount] | None = Field(
        None, description="168 counts of reps on duty, Monday 00:00-01:00 first.")
    by_weekday: dict[str, list[StaffCount]] | None = Field(
        None, description="Per weekday (mon..sun), 24 counts of reps on duty (00:00 to 23:00); a day "
        "left out has nobody.")
    dates: dict[dt.date, list[StaffCount]] = Field(
        default_factory=dict,
        description="Rosters for given dates (24 counts each) that replace the weekly pattern on "
        "that date (also on a holiday).")

    @model_validator(mode="after")
    def _shape(self) -> StaffingTable:
        check_week_table(self.hour_of_week, self.by_weekday, "the staffing table")
        for day, hours in self.dates.items():
            if len(hours) != 24:
                raise ValueError(f"dates.{day} needs exactly 24 values (00:00 to 23:00), got {len(hours)}")
        return self

    def values(self) -> list[float]:
        """The 168 weekly counts, Monday 00:00 first."""
        return week_values(self.hour_of_week, self.by_weekday)


# ---------------------------------------------------------------- sources


class Volume(Strict):
    """Expected lead volume: give exactly one of per_day or per_week."""

    per_day: LeadsPerDay | None = Field(None, description="Expected leads per day.")
    per_week: LeadsPerWeek | None = Field(None, description="Expected leads per week.")

    @model_validator(mode="after")
    def _one_of(self) -> Volume:
        if (self.per_day is None) == (self.per_week is None):
            raise ValueError("give exactly one of per_day or per_week")
        return self

    @property
    def daily(self) -> float:
        """Expected leads per day."""
        return self.per_day if self.per_day is not None else self.per_week / 7.0  # type: ignore[operator]


class ProfileWeights(Strict):
    """Relative arrival intensity over the hour of week (floor local time)."""

    hours: list[Weight] = Field(
        description="24 relative weights, one per hour of day (00 to 23).",
        min_length=24,
        max_length=24,
    )
    weekdays: dict[str, Weight] = Field(
        default_factory=lambda: {d: 1.0 for d in WEEKDAYS},
        description="Relative weight per weekday (mon..sun); missing days weigh 0.",
    )

    @field_validator("weekdays")
    @classmethod
    def _day_names(cls, value: dict[str, float]) -> dict[str, float]:
        return check_weekday_keys(value)


NamedProfile = Literal["flat", "office_hours", "extended_hours", "business_days"]


class BetaQuality(Strict):
    """Lead quality drawn from Beta(a, b)."""

    beta: tuple[Ratio, Ratio] = Field(description="The two shape parameters [a, b].")


class FixedQuality(Strict):
    """Every lead has the same quality."""

    fixed: Probability = Field(description="The quality of every lead.")


class EmpiricalQuality(Strict):
    """Lead quality from a table: a discrete distribution or interpolated quantiles (e.g. a CRM score)."""

    class Params(Strict):
        values: list[Probability] = Field(
            min_length=1, max_length=MAX_EMPIRICAL_POINTS,
            description="Quality values in (0, 1) (non-decreasing when quantiles are given).")
        probabilities: list[Weight] | None = Field(
            None, description="Relative weight of each value (a discrete distribution).")
        quantiles: list[Share] | None = Field(
            None, description="Cumulative probability at each value, 0 first and 1 last; "
            "qualities in between are interpolated linearly.")

        @model_validator(mode="after")
        def _table(self) -> EmpiricalQuality.Params:
            check_empirical(self.values, self.probabilities, self.quantiles)
            return self

    empirical: Params


class Batch(Strict):
    """A batch of leads dumped at once (a tradeshow list upload)."""

    day: Days = Field(description="Day (from the calendar start) of the upload.")
    at: str = Field("09:00", description="Floor local time of the upload, 'HH:MM'.")
    count: BatchLeads = Field(description="Number of leads in the batch.")

    @field_validator("at")
    @classmethod
    def _time(cls, value: str) -> str:
        parse_hhmm(value)
        return value


SourceKind = Literal["stream", "inbound_call", "batch"]


class Source(Strict):
    """A lead source: where leads come from, how many, how good and what they are worth."""

    name: str = Field(description="Unique source name, e.g. web_form.", min_length=1)
    kind: SourceKind = Field(
        "stream",
        description="stream: Poisson arrivals over the hour of week; inbound_call: a live caller "
        "who needs a free rep within patience_seconds, else becomes a callback lead; batch: "
        "leads arrive in batches.",
    )
    volume: Volume | None = Field(None, description="Expected volume (stream, inbound_call).")
    profile: NamedProfile | ProfileWeights | ProfileTable = Field(
        "office_hours",
        description="Arrival profile over the hour of week: a named profile (flat, office_hours, "
        "extended_hours, business_days), hour and weekday weights, or a table of 168 hourly rates.",
    )
    date_factors: dict[dt.date, VolumeFactor] = Field(
        default_factory=dict,
        description="Multipliers of the expected volume on given dates (a month-end peak, a "
        "campaign day), floor local dates.",
    )
    holiday_factor: VolumeFactor = Field(
        1.0, description="Multiplier of the expected volume on calendar holidays (0: no arrivals).")
    day_variance_ratio: float = Field(
        1.0, strict=True, ge=1.0, le=MAX_DISPERSION,
        description="Variance-to-mean ratio of a day's arrival count (stream, inbound_call): 1 is "
        "Poisson; above 1 each day's rate is scaled by a gamma factor of mean 1 (gamma-Poisson).",
    )
    batches: list[Batch] = Field(default_factory=list, description="Batch uploads (batch).")
    quality: BetaQuality | FixedQuality | EmpiricalQuality = Field(
        default_factory=lambda: BetaQuality(beta=(2.0, 5.0)),
        description="Latent lead quality in (0, 1); scales qualification odds by "
        "quality / mean quality and is what cherry-picking reps look at.",
    )
    timezones: dict[str, Ratio] | None = Field(
        None, description="Mix of the leads' local time zones (weights); default: the floor's."
    )
    expiry_hours: PositiveHours | None = Field(
        None, description="A lead not yet contacted is closed as expired this long after creation."
    )
    patience_seconds: PatienceSeconds | PatienceDist = Field(
        45,
        description="How long an inbound caller waits for a rep before hanging up (inbound_call "
        "only), seconds: a number (every caller the same) or a distribution (fixed, exponential, "
        "lognormal, weibull, empirical), drawn per caller and per call from its own luck.",
    )
    abandonment: Abandonment = Field(
        default_factory=Abandonment,
        description="What a caller who hung up unanswered does next (inbound_call only): "
        "callback | lost | retry; a bare name is accepted (abandonment: lost).",
    )
    service_level_seconds: ServiceLevelSeconds = Field(
        20, description="Service-level threshold T (inbound_call only): a call answered within "
        "T seconds of ringing counts toward service_level."
    )
    inbound: bool | None = Field(
        None,
        description="Whether leads of this source are inbound (the incoming call group owns "
        "them); default: true for inbound_call sources.",
    )
    value_per_conversion: Money = Field(0, description="Revenue per converted lead.")
    cost_per_lead: Money = Field(0, description="Acquisition cost per lead.")

    @field_validator("abandonment", mode="before")
    @classmethod
    def _bare_action(cls, value: object) -> object:
        return {"then": value} if isinstance(value, str) else value

    @field_validator("timezones")
    @classmethod
    def _zones(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None:
            if not value:
                raise ValueError("must name at least one time zone")
            for zone in value:
                check_timezone(zone)
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> Source:
        if self.kind == "batch":
            if not self.batches:
                raise ValueError("a batch source needs at least one entry in batches")
        elif self.volume is None:
            raise ValueError(f"a {self.kind} source needs a volume (per_day or per_week)")
        return self


# ---------------------------------------------------------------- teams


class Shift(Strict):
    """A weekly shift in floor local time, with lunch and breaks."""

    days: str = Field("mon-fri", description="Weekdays worked: 'mon-fri', 'sat,sun', 'mon-sun'.")
    start: str = Field("08:00", description="Shift start, 'HH:MM'.")
    end: str = Field("17:00", description="Shift end, 'HH:MM' ('24:00' = midnight).")
    lunch: str | None = Field(None, description="Lunch break 'HH:MM-HH:MM' inside the shift.")
    breaks: list[str] = Field(default_factory=list, description="Other breaks 'HH:MM-HH:MM'.")

    @model_validator(mode="after")
    def _consistent(self) -> Shift:
        parse_days(self.days)
        start, end = parse_hhmm(self.start), parse_hhmm(self.end)
        if end <= start:
            raise ValueError(f"shift must end after it starts, got {self.start}-{self.end}")
        for text in ([self.lunch] if self.lunch else []) + list(self.breaks):
            b_start, b_end = parse_interval(text)
            if b_start < start or b_end > end:
                raise ValueError(f"break {text!r} must lie inside the shift {self.start}-{self.end}")
        return self


class HandleTimes(Strict):
    """Rep time per attempt by outcome, plus wrap-up after every call (minutes)."""

    no_answer: Duration = Field(
        default_factory=lambda: LognormalDist(lognormal={"mean": 0.6, "sd": 0.2}),
        description="Ringing out with no answer.",
    )
    voicemail: Duration = Field(
        default_factory=lambda: LognormalDist(lognormal={"mean": 1.2, "sd": 0.4}),
        description="Reaching voicemail and leaving a message.",
    )
    busy: Duration = Field(
        default_factory=lambda: FixedDist(fixed=0.3), description="A busy signal."
    )
    bad_number: Duration = Field(
        default_factory=lambda: FixedDist(fixed=0.3), description="A disconnected number."
    )
    talk: Duration = Field(
        default_factory=lambda: LognormalDist(lognormal={"mean": 7.0, "sd": 5.0}),
        description="Talking to a reached lead (and answering an inbound call).",
    )
    wrap: Duration = Field(
        default_factory=lambda: FixedDist(fixed=1.5), description="Wrap-up after every attempt."
    )


class HandleOverrides(Strict):
    """Handle times of one source on a team; a field left out (null) is the team's."""

    no_answer: Duration | None = Field(None, description="Ringing out with no answer.")
    voicemail: Duration | None = Field(None, description="Reaching voicemail.")
    busy: Duration | None = Field(None, description="A busy signal.")
    bad_number: Duration | None = Field(None, description="A disconnected number.")
    talk: Duration | None = Field(None, description="Talking to a reached lead or an inbound caller.")
    wrap: Duration | None = Field(None, description="Wrap-up after every attempt.")


class GiveUp(Strict):
    """How many calls a rep makes before giving up on a lead: a distribution over counts."""

    fixed: Attempts | None = Field(None, description="Always this many calls.")
    choices: dict[int, Ratio] | None = Field(
        None, description="Weights over call counts, e.g. {2: 0.3, 3: 0.5, 4: 0.2}."
    )

    @model_validator(mode="after")
    def _one_of(self) -> GiveUp:
        if (self.fixed is None) == (self.choices is None):
            raise ValueError("give exactly one of fixed or choices")
        if self.choices is not None and any(not 1 <= k <= MAX_ATTEMPTS for k in self.choices):
            raise ValueError(f"call counts must be 1..{MAX_ATTEMPTS}, got {sorted(self.choices)}")
        return self


class HumanRules(Strict):
    """What salespeople do unaided (the field's numbers: most give up by the 3rd call)."""

    gives_up_after: GiveUp = Field(
        default_factory=lambda: GiveUp(choices={1: 0.25, 2: 0.25, 3: 0.35, 4: 0.1, 6: 0.05}),
        description="Calls a rep makes on a lead before dropping it (drawn per lead). The "
        "default puts about half of leads at no second call and most at 3 or fewer.",
    )
    cherry_pick: Share = Field(
        0.3,
        description="Chance that a free rep calls the best-looking (highest quality) lead it "
        "owns instead of the next one due.",
    )


class HumanBehaviour(Strict):
    """A team that behaves as people do without an engine.

    Reps own the leads routed to their team (round-robin, no cover when away), work
    their own list in order of due time (new leads get no priority: they are called
    when the rep is free), give up after a drawn number of calls, and sometimes
    cherry-pick the best-looking lead. The cadence's windows, caps and spacing still
    apply (the dialer enforces them).
    """

    human: HumanRules = Field(default_factory=HumanRules)


class Team(Strict):
    """A team of reps: headcount, shifts, handle times, skill and what it works."""

    name: str = Field(description="Unique team name.", min_length=1)
    headcount: Headcount | None = Field(
        None, description="Number of reps, each working every shift in shifts (give this or staffing).")
    shifts: list[Shift] = Field(
        default_factory=lambda: [Shift()], description="Weekly shifts (floor local time)."
    )
    staffing: StaffingTable | None = Field(
        None, description="Reps on duty per hour of week instead of headcount and shifts (give this "
        "or headcount).")
    staffing_scale: float = Field(
        1.0, strict=True, ge=0.0, le=MAX_STAFFING_SCALE,
        description="Multiplier of every count of the staffing table (rounded to whole reps, half up): "
        "what --set, sweep and staff vary on a table-staffed team.",
    )
    shrinkage: float = Field(
        0.0, strict=True, ge=0.0, lt=1.0,
        description="Share of working time lost to meetings and admin (one block a day per rep).",
    )
    handle_minutes: HandleTimes = Field(default_factory=HandleTimes)
    handle_by_source: dict[str, HandleOverrides] = Field(
        default_factory=dict,
        description="Handle times by source on this team (e.g. {billing: {talk: {lognormal: {mean: 6, "
        "sd: 4}}}}); what a source leaves out is the team's handle_minutes.",
    )

    def handle_for(self, source: str) -> HandleTimes:
        """The handle times this team has on a source's leads."""
        overrides = self.handle_by_source.get(source)
        if overrides is None:
            return self.handle_minutes
        changes = {k: v for k, v in overrides if v is not None}
        return self.handle_minutes.model_copy(update=changes)
    skill: Ratio = Field(1.0, description="Multiplier on the odds of closing.")
    sources: list[str] | None = Field(
        None, description="Sources this team works; default: all sources."
    )
    stages: list[Stage] = Field(
        default_factory=lambda: list(STAGES),
        description="Which attempts the team makes: 'first' (never-attempted leads, live "
        "callers and callbacks) and/or 'followup' (later attempts).",
        min_length=1,
    )
    behaviour: Literal["engine"] | HumanBehaviour = Field(
        "engine",
        description="How reps choose work: 'engine' follows the engine's policy; "
        "{human: {...}} behaves as salespeople do without one (owns its leads, gives up "
        "early, cherry-picks).",
    )

    @model_validator(mode="after")
    def _one_way_to_staff(self) -> Team:
        if (self.headcount is None) == (self.staffing is None):
            raise ValueError("give either headcount (with shifts) or a staffing table, exactly one of the two")
        return self

    def on_duty(self, counts: list[float]) -> list[int]:
        """Whole reps on duty for table counts, after staffing_scale (rounded half up)."""
        return [math.floor(c * self.staffing_scale + 0.5) for c in counts]

    @property
    def rep_count(self) -> int:
        """How many reps the team has: its headcount, or the most a staffing table puts on duty."""
        if self.staffing is None:
            return int(self.headcount or 0)
        counts = self.staffing.values() + [v for hours in self.staffing.dates.values() for v in hours]
        return max(self.on_duty(counts))


# ---------------------------------------------------------------- contact and conversion


class AgeDecay(Strict):
    """Odds multiplier by lead age: floor + (1 - floor) * 0.5 ** (age / half_life)."""

    half_life_minutes: PositiveMinutes = Field(30, description="Age at which the decaying part halves.")
    floor_odds: float = Field(0.25, strict=True, gt=0.0, le=1.0, description="Multiplier for very old leads.")


class ContactModel(Strict):
    """Logistic contact model: logit p = logit(base[source]) + sum of log odds ratios."""

    base: dict[str, Probability] = Field(
        description="Probability of reaching a live person on the first attempt of a fresh lead, "
        "per source."
    )
    attempt_odds: list[Ratio] = Field(
        default_factory=lambda: [1.0],
        description="Odds ratio by attempt number (1st, 2nd, ...); the last value repeats.",
    )
    age_decay: AgeDecay | None = Field(default_factory=AgeDecay, description="Odds by lead age.")
    hour_odds: dict[int, Ratio] = Field(
        default_factory=dict, description="Odds ratio by the lead's local hour of day (0-23)."
    )
    weekday_odds: dict[str, Ratio] = Field(
        default_factory=dict, description="Odds ratio by the lead's local weekday (mon..sun)."
    )
    voicemail_share: Share = Field(
        0.4, description="Share of unreached attempts that hit voicemail."
    )
    busy_share: Share = Field(
        0.05, description="Share of unreached attempts that are busy."
    )
    bad_number_rate: float = Field(
        0.0, strict=True, ge=0.0, lt=1.0,
        description="Share of leads with a bad number: their first attempt ends the lead.",
    )

    @field_validator("hour_odds")
    @classmethod
    def _hours(cls, value: dict[int, float]) -> dict[int, float]:
        for hour in value:
            if not 0 <= hour <= 23:
                raise ValueError(f"hour must be 0..23, got {hour}")
        return value

    @field_validator("weekday_odds")
    @classmethod
    def _weekdays(cls, value: dict[str, float]) -> dict[str, float]:
        return check_weekday_keys(value)

    @model_validator(mode="after")
    def _shares(self) -> ContactModel:
        if self.voicemail_share + self.busy_share > 1.0:
            raise ValueError("voicemail_share + busy_share must be <= 1")
        return self


class SpeedDecay(Strict):
    """Qualify-odds multiplier by minutes to first contact: floor + (1-floor) * 0.5 ** (t/half_life)."""

    half_life_minutes: PositiveMinutes = Field(5, description="Delay at which the decaying part halves.")
    floor: float = Field(0.2, strict=True, gt=0.0, le=1.0, description="Multiplier for very late contact.")


class ConversionModel(Strict):
    """Given a contact: qualify, then close, with odds scaled by speed, quality, skill, email."""

    qualify: dict[str, Probability] = Field(description="P(qualify | contact) per source.")
    close: dict[str, Probability] = Field(description="P(close | qualified) per source.")
    speed_decay: SpeedDecay | None = Field(default_factory=SpeedDecay)
    attempt_odds: list[Ratio] = Field(
        default_factory=lambda: [1.0],
        description="Close-odds ratio by the attempt number of the contact; the last repeats.",
    )
    email_day1_lift: Ratio = Field(
        1.0, description="Close-odds ratio when an email went out in the lead's first 24 hours."
    )


# ---------------------------------------------------------------- policy


class CallingWindow(Strict):
    """Hours in which a lead may be called."""

    start: str = Field("08:00", description="Window opens, 'HH:MM'.")
    end: str = Field("20:00", description="Window closes, 'HH:MM' ('24:00' = midnight).")
    clock: WindowClock = Field(
        "lead_local_time", alias="in", description="Whose clock the window is read in."
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _order(self) -> CallingWindow:
        if parse_hhmm(self.end) <= parse_hhmm(self.start):
            raise ValueError(f"calling window must end after it starts, got {self.start}-{self.end}")
        return self


class Step(Strict):
    """A non-call step executed without rep time after a given attempt."""

    after_attempt: AttemptNumber = Field(description="Send after this attempt ends (0: on arrival).")
    channel: StepChannel = Field(description="Channel of the step.")


class OutcomeRule(Strict):
    """What an attempt's outcome does to the cadence (as dialers' per-status recycle rules)."""

    retry_minutes: Minutes | None = Field(
        None, description="Retry after this many minutes instead of the spacing schedule."
    )
    counts: bool = Field(True, description="Whether the attempt counts toward the call target.")
    stop: bool = Field(False, description="End the lead's cadence (status 'stopped').")


class RegionRules(Strict):
    """Overrides for leads in one time zone (a state's or country's calling rules)."""

    calling_window: CallingWindow | None = Field(None, description="The window for these leads.")
    max_attempts_per_day: Attempts | None = Field(None, description="Daily cap for these leads.")
    max_attempts_per_24h: Attempts | None = Field(
        None, description="Rolling 24-hour cap for these leads."
    )


class Cadence(Strict):
    """How often, how far apart and when a lead is called."""

    call_target: Attempts = Field(6, description="Attempts before an unreached lead is exhausted.")
    spacing_minutes: list[Minutes | SpacingDist] = Field(
        default_factory=lambda: list[float | SpacingDist]([0.0, 10.0, 120.0, 1440.0, 2880.0, 4320.0]),
        description="Minimum wait before attempt k (k = 1, 2, ...), from creation for the first "
        "and from the end of the previous attempt after; the last value repeats. An entry may be "
        "a distribution ({exponential: {mean: 60}}, lognormal, weibull, empirical, fixed): the gap "
        "is then drawn per lead and per attempt.",
    )
    calling_window: CallingWindow = Field(default_factory=CallingWindow)
    max_attempts_per_day: Attempts | None = Field(
        None, description="Cap on attempts per lead per local day."
    )
    max_attempts_per_24h: Attempts | None = Field(
        None, description="Cap on attempts per lead in any rolling 24 hours."
    )
    spacing_in: SpacingClock = Field(
        "wall_clock",
        description="Count spacing in wall-clock minutes, or only in minutes inside the lead's "
        "calling window (the overnight gap does not count).",
    )
    outcomes: dict[RuleOutcome, OutcomeRule] = Field(
        default_factory=dict,
        description="Per-outcome rules, e.g. {busy: {retry_minutes: 15, counts: false}}. "
        "Reached leads and bad numbers always end the cadence.",
    )
    regions: dict[str, RegionRules] = Field(
        default_factory=dict,
        description="Overrides by the lead's time zone, e.g. {America/New_York: "
        "{max_attempts_per_24h: 3}}.",
    )
    steps: list[Step] = Field(default_factory=list, description="Email/SMS steps.")
    nurture_after_days: PositiveDays | None = Field(
        None, description="An open lead is handed to nurture this many days after creation."
    )
    callback_delay_minutes: Minutes = Field(
        0, description="Delay before a missed inbound call is due as a callback."
    )

    @field_validator("regions")
    @classmethod
    def _region_zones(cls, value: dict[str, RegionRules]) -> dict[str, RegionRules]:
        for zone in value:
            check_timezone(zone)
        return value


PriorityRuleSpec = Union[PriorityName, dict[PriorityName, dict[str, str | RuleNumber | dict[str, RuleNumber]]]]



class Distribution(Strict):
    """Who may call which lead."""

    mode: DistributionMode = Field(
        SHARED_POOL,
        description="shared_pool: every eligible rep pulls the best due lead; round_robin: each "
        "new lead is owned by the next rep in turn and only its owner calls it; owner_recycle: "
        "round-robin ownership, recycled to the shared pool after recycle_after_days or "
        "recycle_after_attempts without conversion; incoming_call_group: the group team owns "
        "inbound leads for group_days, then they pass to the handoff team.",
    )
    recycle_after_days: PositiveDays | None = Field(
        None, description="owner_recycle: days after creation at which an open lead is recycled."
    )
    recycle_after_attempts: Attempts | None = Field(
        None, description="owner_recycle: owner attempts after which a lead is recycled."
    )
    group: str | None = Field(None, description="incoming_call_group: the senior closers' team.")
    group_days: PositiveDays = Field(14, description="incoming_call_group: days the group owns a lead.")
    handoff: str | None = Field(
        None, description="incoming_call_group: the team that gets the lead afterwards (default: any team)."
    )

    @model_validator(mode="after")
    def _mode_fields(self) -> Distribution:
        if self.mode == OWNER_RECYCLE and self.recycle_after_days is None and self.recycle_after_attempts is None:
            raise ValueError("owner_recycle needs recycle_after_days or recycle_after_attempts")
        if self.mode == INCOMING_CALL_GROUP and not self.group:
            raise ValueError("incoming_call_group needs the name of the group team in 'group'")
        return self


class Policy(Strict):
    """The engine's rules: how leads are distributed, ranked and paced."""

    distribution: Distribution = Field(
        default_factory=Distribution,
        description="Distribution mode and its parameters; a bare mode name is accepted "
        "(distribution: round_robin).",
    )
    priority: list[PriorityRuleSpec] = Field(
        default_factory=lambda: list[PriorityRuleSpec](DEFAULT_PRIORITY),
        description="Priority rules in order; a lead is in the tier of the first rule it "
        "matches. A rule is a name or {name: {parameters}} (see docs/policies.md).",
        min_length=1,
    )
    new_leads_order: NewLeadsOrder = Field(
        "oldest_first", description="Default order of the new_leads rule."
    )
    inbound_order: InboundOrder = Field(
        FIFO_ORDER,
        description="Which live caller a free rep answers when several wait: fifo (the longest "
        "waiting, over every inbound source the rep works) or source_priority (strict priority "
        "by the order sources are listed: a caller of a later source waits while an earlier "
        "source has one).",
    )
    cadence: Cadence = Field(default_factory=Cadence)

    @field_validator("distribution", mode="before")
    @classmethod
    def _bare_mode(cls, value: object) -> object:
        return {"mode": value} if isinstance(value, str) else value

    @field_validator("priority")
    @classmethod
    def _unique(cls, value: list) -> list:
        names = [r if isinstance(r, str) else next(iter(r), "") for r in value]
        for rule in value:
            if isinstance(rule, dict) and len(rule) != 1:
                raise ValueError(f"a parametrised rule is a mapping with one name, got {rule}")
        if len(set(names)) != len(names):
            raise ValueError(f"priority rules must not repeat, got {names}")
        return value

    @field_validator("priority")
    @classmethod
    def _rule_params(cls, value: list) -> list:
        for rule in value:
            if isinstance(rule, str):
                continue
            problem = priority_rule_problem(*next(iter(rule.items())))
            if problem is not None:
                raise ValueError(problem)
        return value

    def rule_specs(self) -> list[tuple[str, dict]]:
        """The priority rules as (name, parameters) pairs."""
        return [(r, {}) if isinstance(r, str) else next(iter(r.items())) for r in self.priority]


class Economics(Strict):
    """Money: what reps cost."""

    rep_cost_per_hour: Money = Field(0, description="Cost per rep per scheduled hour.")


# ---------------------------------------------------------------- scenario


class Scenario(Strict):
    """A whole scenario: one sales floor, its leads, its people and its rules."""

    name: str = Field(description="Scenario name.", min_length=1)
    description: str = Field("", description="What the scenario represents.")
    extends: str | None = Field(
        None, description="Another scenario file (relative to this one) that this one overrides."
    )
    calendar: Calendar
    run: RunConfig = Field(default_factory=RunConfig)
    sources: list[Source] = Field(min_length=1)
    teams: list[Team] = Field(min_length=1)
    contact: ContactModel | None = Field(
        None,
        description="The contact model of outbound calls. May be left out only when nothing is ever "
        "called out: every source an inbound_call whose callers are not called back (abandonment "
        "lost or retry); every answered live call is then a contact.",
    )
    conversion: ConversionModel | None = Field(
        None, description="The conversion model. Left out: nobody qualifies or converts (a contact "
        "centre that measures service, not sales).",
    )
    policy: Policy = Field(default_factory=Policy)
    economics: Economics = Field(default_factory=Economics)

    @model_validator(mode="after")
    def _cross_refs(self) -> Scenario:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique, got duplicates {dupes}")
        teams = [t.name for t in self.teams]
        if len(set(teams)) != len(teams):
            raise ValueError(f"team names must be unique, got {teams}")
        known = set(names)
        if self.contact is None:
            outbound = [s.name for s in self.sources
                        if s.kind != "inbound_call" or s.abandonment.then == CALLBACK]
            if outbound:
                raise ValueError(
                    f"contact may be left out only on an inbound-only floor; sources {outbound} need "
                    "outbound calls (a stream or batch source, or callers called back after hanging up: "
                    "give them abandonment lost or retry, or give a contact model)")
        tables: list[tuple[str, dict[str, float]]] = []
        if self.contact is not None:
            tables.append(("contact.base", self.contact.base))
        if self.conversion is not None:
            tables += [("conversion.qualify", self.conversion.qualify), ("conversion.close", self.conversion.close)]
        for section, table in tables:
            missing = sorted(known - set(table))
            extra = sorted(set(table) - known)
            if missing:
                raise ValueError(f"{section} needs a value for every source; missing {missing}")
            if extra:
                raise ValueError(f"{section} names unknown sources {extra}; sources are {names}")
        dist = self.policy.distribution
        humans = [t.name for t in self.teams if t.behaviour != "engine"]
        if humans and dist.mode not in OWNED_MODES:
            raise ValueError(
                f"teams {humans} behave as humans, who own their leads: policy.distribution must be "
                f"round_robin or owner_recycle, got {dist.mode!r}"
            )
        for role, team_name in (("group", dist.group), ("handoff", dist.handoff)):
            if team_name is not None and team_name not in teams:
                raise ValueError(f"policy.distribution.{role} names unknown team {team_name!r}; teams are {teams}")
        for team in self.teams:
            for src in team.handle_by_source:
                if src not in known:
                    raise ValueError(f"team {team.name!r} has handle times for unknown source {src!r}; "
                                     f"sources are {names}")
            for src in team.sources or []:
                if src not in known:
                    raise ValueError(f"team {team.name!r} works unknown source {src!r}; sources are {names}")
        for rule, params in self.policy.rule_specs():
            weights = params.get("weights")
            for src in weights if isinstance(weights, dict) else ():
                if src not in known:
                    raise ValueError(f"priority rule {rule!r} weighs unknown source {src!r}; sources are {names}")
        return self

    def is_inbound(self, source: Source) -> bool:
        """Whether a source's leads count as inbound."""
        return source.inbound if source.inbound is not None else source.kind == "inbound_call"

    def source_index(self) -> dict[str, int]:
        """Map source name to its position in ``sources``."""
        return {s.name: i for i, s in enumerate(self.sources)}
