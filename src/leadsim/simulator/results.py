"""What one simulated replication leaves behind: columnar logs, rep time and backlog samples.

The simulator fills these; metrics, the log writers and the planner read them.
Columns are numpy arrays (one entry per lead or per attempt) so that a million
leads cost a few tens of megabytes and metrics are vectorised.

Codes are small integers; the tuples below give their names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from leadsim import vocabulary

#: Final state of a lead (``LeadLog.status``): ``open`` (code 0), then the close
#: statuses of :data:`leadsim.vocabulary.CLOSE_STATUSES` in their order (codes 1..10:
#: converted, contacted, exhausted, expired, nurture, bad_number, censored, stopped,
#: dropped, abandoned). ``open`` never appears after a finished run: a lead still open when the
#: drain ends is ``censored``.
LEAD_STATUSES: tuple[str, ...] = vocabulary.LEAD_STATUSES

#: Outcome of an activity (``AttemptLog.outcome``): the call outcomes of
#: :data:`leadsim.vocabulary.CALL_OUTCOMES` in their order (codes 0..6: no_answer,
#: voicemail, busy, bad_number, contact, qualified, converted), then ``""`` (code 7)
#: for a non-call step (email/sms), which has no outcome.
OUTCOMES: tuple[str, ...] = (*vocabulary.CALL_OUTCOMES, "")

#: Channel of an activity (``AttemptLog.channel``): call, email, sms.
CHANNELS: tuple[str, ...] = vocabulary.CHANNELS


@dataclass(frozen=True)
class LeadLog:
    """One entry per lead, indexed by lead id (0..n-1, in order of creation).

    Times are floor minutes since the calendar start; NaN where a thing never happened.
    """

    source: np.ndarray  # int16: index into Scenario.sources
    created: np.ndarray  # float64
    timezone: np.ndarray  # int16: index into RunResult.timezones
    quality: np.ndarray  # float64: latent quality in (0, 1)
    inbound: np.ndarray  # bool: arrived as a live inbound call
    answered_live: np.ndarray  # bool: that call was answered by a rep within patience
    first_attempt: np.ndarray  # float64: start of the first call attempt (answer time for inbound)
    first_contact: np.ndarray  # float64: start of the attempt that reached the lead
    contact_attempt: np.ndarray  # int16: attempt number of the contact, 0 if none
    attempts: np.ndarray  # int16: call attempts made
    attempts_day1: np.ndarray  # int16: call attempts started within 24 h of creation
    status: np.ndarray  # int8: index into LEAD_STATUSES
    closed_at: np.ndarray  # float64: when the lead left the cadence; NaN if censored
    qualified: np.ndarray  # bool
    converted: np.ndarray  # bool
    rep: np.ndarray  # int32: rep credited (who made the contact), -1 if none

    def __len__(self) -> int:
        return int(self.created.shape[0])


@dataclass(frozen=True)
class AttemptLog:
    """One entry per activity (calls and non-call steps), in order of start."""

    lead: np.ndarray  # int64: lead id
    rep: np.ndarray  # int32: rep id, -1 for non-call steps
    start: np.ndarray  # float64: floor minutes
    duration: np.ndarray  # float64: minutes of rep time (talk or ring + wrap); 0 for steps
    outcome: np.ndarray  # int8: index into OUTCOMES
    channel: np.ndarray  # int8: index into CHANNELS
    attempt: np.ndarray  # int16: call attempt number on the lead (1, 2, ...); 0 for steps
    owner: np.ndarray | None = None  # int32: the lead's owner when called, -1 in a pool or for steps

    def __len__(self) -> int:
        return int(self.start.shape[0])


@dataclass(frozen=True)
class RepLog:
    """Per rep: identity and time accounting restricted to the measured window."""

    team: np.ndarray  # int16: index into Scenario.teams
    available_minutes: np.ndarray  # float64: scheduled working time in the window (after breaks, shrinkage)
    busy_minutes: np.ndarray  # float64: time on attempts in the window
    scheduled_hours: np.ndarray  # float64: paid shift hours in the window (incl. lunch/breaks/shrinkage)
    shift_days: np.ndarray  # int32: days in the window on which the rep had a shift
    wrap_minutes: np.ndarray | None = None  # float64: of busy_minutes, wrap-up (after-call work); None: unknown


@dataclass(frozen=True)
class BacklogSamples:
    """The engine's queue sampled every ``run.sample_minutes`` (whole run, all leads)."""

    time: np.ndarray  # float64
    due: np.ndarray  # int32: leads due now and not being called (all tiers, incl. live callers)
    new: np.ndarray  # int32: leads due that have never been attempted


#: How an offered inbound call ended (``OfferLog.answered``).
OFFER_ABANDONED, OFFER_ANSWERED, OFFER_WAITING = 0, 1, -1


@dataclass(frozen=True)
class OfferLog:
    """One entry per offered inbound call (a live caller ringing; each redial is a new offer),
    in order of the call's end (answer or hang-up); callers still waiting at the end last."""

    lead: np.ndarray  # int64: the caller's lead id (source: LeadLog.source[lead])
    offered: np.ndarray  # float64: floor minute the caller started to wait
    waited: np.ndarray  # float64: minutes until answered or hung up; NaN if still waiting at the end
    answered: np.ndarray  # int8: OFFER_ANSWERED, OFFER_ABANDONED or OFFER_WAITING (run ended)
    offer: np.ndarray  # int16: 0 for the first ring, k for the k-th redial

    def __len__(self) -> int:
        return int(self.offered.shape[0])


def empty_offers() -> OfferLog:
    """An offer log without entries (a run without inbound callers)."""
    return OfferLog(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, np.int8), np.zeros(0, np.int16))


@dataclass(frozen=True)
class RunResult:
    """Everything one replication produced.

    Attributes:
        scenario_name: the scenario's name.
        replication: replication index (0-based).
        seed: the root seed of the run (replication r uses SeedSequence(seed, spawn_key=(r,))).
        window: (start, end) of the measured window, floor minutes. Leads created in it are counted.
        end: when the simulation stopped (window end + drain).
        source_names: names of the sources, by index.
        team_names: names of the teams, by index.
        timezones: time-zone names, by index (``LeadLog.timezone``).
        call_target: the cadence's call target (for penetration).
        leads, attempts, reps, backlog: the logs.
        offers: the inbound calls offered (None when built by hand without one: no calls).
        service_level_seconds: per source, its service-level threshold T in seconds.
        events: number of simulation events processed (for benchmarks).
    """

    scenario_name: str
    replication: int
    seed: int
    window: tuple[float, float]
    end: float
    source_names: tuple[str, ...]
    team_names: tuple[str, ...]
    timezones: tuple[str, ...]
    call_target: int
    leads: LeadLog
    attempts: AttemptLog
    reps: RepLog
    backlog: BacklogSamples
    source_values: tuple[float, ...] = field(default=())  # value_per_conversion per source
    source_costs: tuple[float, ...] = field(default=())  # cost_per_lead per source
    rep_cost_per_hour: float = 0.0
    offers: OfferLog | None = None
    service_level_seconds: tuple[float, ...] = field(default=())


def counted_leads(result: RunResult) -> np.ndarray:
    """Bool per lead: the lead is *counted* (created in the measured window ``[start, end)``).

    Warm-up leads and leads created during the drain are simulated but never
    counted; every metric, log column and planner figure uses this one mask.
    """
    created = result.leads.created
    start, end = result.window
    return (created >= start) & (created < end)
