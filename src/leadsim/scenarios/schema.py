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
import re
import zoneinfo
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_hhmm(text: str) -> int:
    """Parse "HH:MM" (00:00 to 24:00) into minutes after midnight.

    Args:
        text: the time of day, e.g. "08:30"; "24:00" means the end of the day.

    Returns:
        Minutes after midnight, 0 to 1440.

    Raises:
        ValueError: if the text is not a time of day.
    """
    match = _HHMM.match(text.strip())
    if not match:
        raise ValueError(f"must be a time of day 'HH:MM', got {text!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    total = hours * 60 + minutes
    if minutes >= 60 or total > 1440:
        raise ValueError(f"must be a time of day between 00:00 and 24:00, got {text!r}")
    return total


def parse_interval(text: str) -> tuple[int, int]:
    """Parse "HH:MM-HH:MM" into (start, end) minutes after midnight, start < end.

    Raises:
        ValueError: if malformed or if the interval ends before it starts.
    """
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f"must be an interval 'HH:MM-HH:MM', got {text!r}")
    start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
    if end <= start:
        raise ValueError(f"must end after it starts, got {text!r}")
    return start, end


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

    model_config = ConfigDict(extra="forbid", frozen=True)


Probability = Annotated[float, Field(gt=0.0, lt=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]


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


def check_timezone(value: str) -> str:
    """Return the zone name if it is a known IANA time zone, else raise ValueError."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"must be an IANA time zone such as 'America/Chicago', got {value!r}")
    return value


class RunConfig(Strict):
    """How long to simulate and with which seed."""

    warmup_days: NonNegative = Field(
        7, description="Days simulated before measuring; leads created in them are not counted."
    )
    days: Positive = Field(28, description="Measured window in days: these leads are counted.")
    drain_days: NonNegative = Field(
        14,
        description="Days after the window during which counted leads are followed; leads still "
        "open at its end are counted as censored.",
    )
    seed: int = Field(1, ge=0, description="Root seed; same seed, same numbers.")
    replications: int = Field(1, ge=1, description="Independent replications (seeds spawned).")
    sample_minutes: Positive = Field(
        15, description="Interval at which the due-lead backlog is sampled."
    )


# ---------------------------------------------------------------- sources


class Volume(Strict):
    """Expected lead volume: give exactly one of per_day or per_week."""

    per_day: NonNegative | None = Field(None, description="Expected leads per day.")
    per_week: NonNegative | None = Field(None, description="Expected leads per week.")

    @model_validator(mode="after")
    def _one_of(self) -> "Volume":
        if (self.per_day is None) == (self.per_week is None):
            raise ValueError("give exactly one of per_day or per_week")
        return self

    @property
    def daily(self) -> float:
        """Expected leads per day."""
        return self.per_day if self.per_day is not None else self.per_week / 7.0  # type: ignore[operator]


class ProfileWeights(Strict):
    """Relative arrival intensity over the hour of week (floor local time)."""

    hours: list[NonNegative] = Field(
        description="24 relative weights, one per hour of day (00 to 23).",
        min_length=24,
        max_length=24,
    )
    weekdays: dict[str, NonNegative] = Field(
        default_factory=lambda: {d: 1.0 for d in WEEKDAYS},
        description="Relative weight per weekday (mon..sun); missing days weigh 0.",
    )

    @field_validator("weekdays")
    @classmethod
    def _day_names(cls, value: dict[str, float]) -> dict[str, float]:
        for key in value:
            if key not in WEEKDAYS:
                raise ValueError(f"unknown weekday {key!r}; use {WEEKDAYS}")
        return value


NamedProfile = Literal["flat", "office_hours", "extended_hours", "business_days"]


class BetaQuality(Strict):
    """Lead quality drawn from Beta(a, b)."""

    beta: tuple[Positive, Positive] = Field(description="The two shape parameters [a, b].")


class FixedQuality(Strict):
    """Every lead has the same quality."""

    fixed: Probability = Field(description="The quality of every lead.")


class Batch(Strict):
    """A batch of leads dumped at once (a tradeshow list upload)."""

    day: NonNegative = Field(description="Day (from the calendar start) of the upload.")
    at: str = Field("09:00", description="Floor local time of the upload, 'HH:MM'.")
    count: int = Field(ge=0, description="Number of leads in the batch.")

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
    profile: NamedProfile | ProfileWeights = Field(
        "office_hours",
        description="Arrival profile over the hour of week: a named profile (flat, office_hours, "
        "extended_hours, business_days) or explicit weights.",
    )
    batches: list[Batch] = Field(default_factory=list, description="Batch uploads (batch).")
    quality: BetaQuality | FixedQuality = Field(
        default_factory=lambda: BetaQuality(beta=(2.0, 5.0)),
        description="Latent lead quality in (0, 1); scales qualification odds by "
        "quality / mean quality and is what cherry-picking reps look at.",
    )
    timezones: dict[str, Positive] | None = Field(
        None, description="Mix of the leads' local time zones (weights); default: the floor's."
    )
    expiry_hours: Positive | None = Field(
        None, description="A lead not yet contacted is closed as expired this long after creation."
    )
    patience_seconds: Positive = Field(
        45, description="How long an inbound caller waits for a rep (inbound_call only)."
    )
    value_per_conversion: NonNegative = Field(0, description="Revenue per converted lead.")
    cost_per_lead: NonNegative = Field(0, description="Acquisition cost per lead.")

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
    def _kind_fields(self) -> "Source":
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
    def _consistent(self) -> "Shift":
        parse_days(self.days)
        start, end = parse_hhmm(self.start), parse_hhmm(self.end)
        if end <= start:
            raise ValueError(f"shift must end after it starts, got {self.start}-{self.end}")
        for text in ([self.lunch] if self.lunch else []) + list(self.breaks):
            b_start, b_end = parse_interval(text)
            if b_start < start or b_end > end:
                raise ValueError(f"break {text!r} must lie inside the shift {self.start}-{self.end}")
        return self


class FixedDist(Strict):
    """A constant duration in minutes."""

    fixed: NonNegative = Field(description="The duration, minutes.")


class ExponentialDist(Strict):
    """Exponentially distributed minutes."""

    class Params(Strict):
        mean: Positive = Field(description="Mean, minutes.")

    exponential: Params


class LognormalDist(Strict):
    """Lognormally distributed minutes, given by the mean and standard deviation of the minutes."""

    class Params(Strict):
        mean: Positive = Field(description="Mean, minutes.")
        sd: Positive = Field(description="Standard deviation, minutes.")

    lognormal: Params


Duration = Union[FixedDist, ExponentialDist, LognormalDist]


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


class Team(Strict):
    """A team of reps: headcount, shifts, handle times, skill and what it works."""

    name: str = Field(description="Unique team name.", min_length=1)
    headcount: int = Field(ge=0, description="Number of reps.")
    shifts: list[Shift] = Field(
        default_factory=lambda: [Shift()], description="Weekly shifts (floor local time)."
    )
    shrinkage: float = Field(
        0.0, ge=0.0, lt=1.0,
        description="Share of working time lost to meetings and admin (one block a day per rep).",
    )
    handle_minutes: HandleTimes = Field(default_factory=HandleTimes)
    skill: Positive = Field(1.0, description="Multiplier on the odds of closing.")
    sources: list[str] | None = Field(
        None, description="Sources this team works; default: all sources."
    )
    behaviour: Literal["engine"] = Field(
        "engine", description="How reps choose work: 'engine' follows the engine's policy."
    )


# ---------------------------------------------------------------- contact and conversion


class AgeDecay(Strict):
    """Odds multiplier by lead age: floor + (1 - floor) * 0.5 ** (age / half_life)."""

    half_life_minutes: Positive = Field(30, description="Age at which the decaying part halves.")
    floor_odds: float = Field(0.25, gt=0.0, le=1.0, description="Multiplier for very old leads.")


class ContactModel(Strict):
    """Logistic contact model: logit p = logit(base[source]) + sum of log odds ratios."""

    base: dict[str, Probability] = Field(
        description="Probability of reaching a live person on the first attempt of a fresh lead, "
        "per source."
    )
    attempt_odds: list[Positive] = Field(
        default_factory=lambda: [1.0],
        description="Odds ratio by attempt number (1st, 2nd, ...); the last value repeats.",
    )
    age_decay: AgeDecay | None = Field(default_factory=AgeDecay, description="Odds by lead age.")
    hour_odds: dict[int, Positive] = Field(
        default_factory=dict, description="Odds ratio by the lead's local hour of day (0-23)."
    )
    weekday_odds: dict[str, Positive] = Field(
        default_factory=dict, description="Odds ratio by the lead's local weekday (mon..sun)."
    )
    voicemail_share: float = Field(
        0.4, ge=0.0, le=1.0, description="Share of unreached attempts that hit voicemail."
    )
    busy_share: float = Field(
        0.05, ge=0.0, le=1.0, description="Share of unreached attempts that are busy."
    )
    bad_number_rate: float = Field(
        0.0, ge=0.0, lt=1.0,
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
        for key in value:
            if key not in WEEKDAYS:
                raise ValueError(f"unknown weekday {key!r}; use {WEEKDAYS}")
        return value

    @model_validator(mode="after")
    def _shares(self) -> "ContactModel":
        if self.voicemail_share + self.busy_share > 1.0:
            raise ValueError("voicemail_share + busy_share must be <= 1")
        return self


class SpeedDecay(Strict):
    """Qualify-odds multiplier by minutes to first contact: floor + (1-floor) * 0.5 ** (t/half_life)."""

    half_life_minutes: Positive = Field(5, description="Delay at which the decaying part halves.")
    floor: float = Field(0.2, gt=0.0, le=1.0, description="Multiplier for very late contact.")


class ConversionModel(Strict):
    """Given a contact: qualify, then close, with odds scaled by speed, quality, skill, email."""

    qualify: dict[str, Probability] = Field(description="P(qualify | contact) per source.")
    close: dict[str, Probability] = Field(description="P(close | qualified) per source.")
    speed_decay: SpeedDecay | None = Field(default_factory=SpeedDecay)
    attempt_odds: list[Positive] = Field(
        default_factory=lambda: [1.0],
        description="Close-odds ratio by the attempt number of the contact; the last repeats.",
    )
    email_day1_lift: Positive = Field(
        1.0, description="Close-odds ratio when an email went out in the lead's first 24 hours."
    )


# ---------------------------------------------------------------- policy


class CallingWindow(Strict):
    """Hours in which a lead may be called."""

    start: str = Field("08:00", description="Window opens, 'HH:MM'.")
    end: str = Field("20:00", description="Window closes, 'HH:MM' ('24:00' = midnight).")
    clock: Literal["lead_local_time", "floor_time"] = Field(
        "lead_local_time", alias="in", description="Whose clock the window is read in."
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _order(self) -> "CallingWindow":
        if parse_hhmm(self.end) <= parse_hhmm(self.start):
            raise ValueError(f"calling window must end after it starts, got {self.start}-{self.end}")
        return self


class Step(Strict):
    """A non-call step executed without rep time after a given attempt."""

    after_attempt: int = Field(ge=0, description="Send after this attempt ends (0: on arrival).")
    channel: Literal["email", "sms"] = Field(description="Channel of the step.")


class Cadence(Strict):
    """How often, how far apart and when a lead is called."""

    call_target: int = Field(6, ge=1, description="Attempts before an unreached lead is exhausted.")
    spacing_minutes: list[NonNegative] = Field(
        default_factory=lambda: [0.0, 10.0, 120.0, 1440.0, 2880.0, 4320.0],
        description="Minimum wait before attempt k (k = 1, 2, ...), from creation for the first "
        "and from the end of the previous attempt after; the last value repeats.",
    )
    calling_window: CallingWindow = Field(default_factory=CallingWindow)
    max_attempts_per_day: int | None = Field(
        None, ge=1, description="Cap on attempts per lead per local day."
    )
    steps: list[Step] = Field(default_factory=list, description="Email/SMS steps.")
    nurture_after_days: Positive | None = Field(
        None, description="An open lead is handed to nurture this many days after creation."
    )
    callback_delay_minutes: NonNegative = Field(
        0, description="Delay before a missed inbound call is due as a callback."
    )


PriorityName = Literal["callbacks", "new_leads", "due_followups"]


class Policy(Strict):
    """The engine's rules: how leads are distributed, ranked and paced."""

    distribution: Literal["shared_pool"] = Field(
        "shared_pool", description="shared_pool: every eligible rep pulls the best due lead."
    )
    priority: list[PriorityName] = Field(
        default_factory=lambda: ["callbacks", "new_leads", "due_followups"],
        description="Priority tiers in order; a lead is in the first tier it matches.",
        min_length=1,
    )
    new_leads_order: Literal["oldest_first", "newest_first"] = Field(
        "oldest_first", description="Order within the new-leads tier."
    )
    cadence: Cadence = Field(default_factory=Cadence)

    @field_validator("priority")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"priority tiers must not repeat, got {value}")
        return value


class Economics(Strict):
    """Money: what reps cost."""

    rep_cost_per_hour: NonNegative = Field(0, description="Cost per rep per scheduled hour.")


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
    contact: ContactModel
    conversion: ConversionModel
    policy: Policy = Field(default_factory=Policy)
    economics: Economics = Field(default_factory=Economics)

    @model_validator(mode="after")
    def _cross_refs(self) -> "Scenario":
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique, got duplicates {dupes}")
        teams = [t.name for t in self.teams]
        if len(set(teams)) != len(teams):
            raise ValueError(f"team names must be unique, got {teams}")
        known = set(names)
        for section, table in (
            ("contact.base", self.contact.base),
            ("conversion.qualify", self.conversion.qualify),
            ("conversion.close", self.conversion.close),
        ):
            missing = sorted(known - set(table))
            extra = sorted(set(table) - known)
            if missing:
                raise ValueError(f"{section} needs a value for every source; missing {missing}")
            if extra:
                raise ValueError(f"{section} names unknown sources {extra}; sources are {names}")
        for team in self.teams:
            for src in team.sources or []:
                if src not in known:
                    raise ValueError(f"team {team.name!r} works unknown source {src!r}; sources are {names}")
        return self

    def source_index(self) -> dict[str, int]:
        """Map source name to its position in ``sources``."""
        return {s.name: i for i, s in enumerate(self.sources)}
