"""Staffing: the smallest headcount that meets a service target, beside Erlang C's answer.

``leadsim staff SCENARIO --target "share_first_attempt_within_5_min>=0.9"``.

The rule (stated in every answer): a headcount **meets the target when the
mean over replications does**; the answer is the smallest such headcount. Its
95% interval is shown, and the smallest headcount whose interval's
conservative side (the lower end for ``>=``, the upper end for ``<=``) meets
the target is reported too: that one meets it "with 95% confidence".

The search assumes the metric improves (or at least does not get worse) as
reps are added -- true of speed-to-lead and waiting metrics; for a metric that
is not monotone in headcount (profit, say) use ``leadsim sweep``. From the
scenario's current headcount it steps up (or down) in doubling steps until it
brackets the answer, then bisects; every headcount it evaluated is reported.
All headcounts run the same replications with the same seed (common random
numbers), which keeps the metric's curve over headcount smooth.

Beside it, :func:`erlang_c_answer` gives the M/M/c answer for the same arrival
rate (counted leads per minute) and the mean handle time of a first attempt;
:func:`explain` says in one sentence why the two differ on this floor.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadsim.planner import queueing
from leadsim.planner.parallel import Interrupted, Reporter, null_reporter
from leadsim.planner.replicate import RepSummary, run_grid
from leadsim.planner.specs import SpecError, check_metric, parse_number
from leadsim.planner.stats import summarize

_TARGET = re.compile(r"^\s*(?P<metric>[A-Za-z0-9_]+)\s*(?P<op>>=|<=|=>|=<|>|<|==|=)\s*(?P<value>.*?)\s*$")
_FORM = 'expected "METRIC>=VALUE" or "METRIC<=VALUE", e.g. "share_first_attempt_within_5_min>=0.9"'

#: Waiting-time metrics Erlang C can answer for: name -> (threshold minutes or None, kind).
_ERLANG_METRICS: dict[str, tuple[str, float | None]] = {
    "share_first_attempt_within_1_min": ("share_within", 1.0),
    "share_first_attempt_within_5_min": ("share_within", 5.0),
    "share_first_attempt_within_60_min": ("share_within", 60.0),
    "share_waited": ("share_waited", None),
    "speed_to_first_attempt_mean_min": ("mean_wait", None),
    "speed_to_first_attempt_p50_min": ("quantile", 0.5),
    "speed_to_first_attempt_p90_min": ("quantile", 0.9),
}


@dataclass(frozen=True)
class Target:
    """A service target such as ``share_first_attempt_within_5_min >= 0.9``."""

    metric: str
    op: str  # ">=" or "<="
    value: float

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"

    def met(self, x: float | None) -> bool:
        """Whether a number meets the target (None/NaN never does)."""
        if x is None or not math.isfinite(x):
            return False
        return x >= self.value if self.op == ">=" else x <= self.value

    def conservative(self, low: float | None, high: float | None) -> float | None:
        """The interval end that must meet the target for 95% confidence."""
        return low if self.op == ">=" else high


def parse_target(text: str) -> Target:
    """Parse ``METRIC>=VALUE`` or ``METRIC<=VALUE`` (VALUE may end in %).

    Raises:
        SpecError: for another form, an unknown metric or a bad number.
    """
    match = _TARGET.match(text)
    if match is None or not match.group("value"):
        raise SpecError(f"--target {text!r}: {_FORM}")
    op = {"=>": ">=", "=<": "<="}.get(match.group("op"), match.group("op"))
    if op not in (">=", "<="):
        raise SpecError(f"--target {text!r}: use >= or <= (got {match.group('op')}); {_FORM}")
    metric = check_metric(match.group("metric"), f"--target {text!r}")
    target = Target(metric, op, parse_number(match.group("value"), "--target", text))
    _check_reachable(target, text)
    return target


def _check_reachable(target: Target, text: str) -> None:
    """Refuse a target no floor can meet (or that every floor meets) from the metric's range.

    Shares lie in [0, 1]; times, counts, rates and percentages are never negative;
    money (profit) may be anything.

    Raises:
        SpecError: for a value outside the metric's range.
    """
    from leadsim.simulator.metrics import METRICS_BY_NAME

    unit = METRICS_BY_NAME[target.metric].unit
    if unit == "currency":
        return
    low, high, what = (0.0, 1.0, "a share between 0 and 1") if unit == "share" else \
        (0.0, math.inf, f"never negative ({unit})")
    if not low <= target.value <= high:
        raise SpecError(f"--target {text!r}: {target.metric} is {what}, so a target of "
                        f"{target.value:g} can never be a real target (met by every headcount or by none)")


# ---------------------------------------------------------------- Erlang C


@dataclass(frozen=True)
class ErlangAnswer:
    """What Erlang C says for the same arrival rate and first-attempt handle time.

    Attributes:
        servers: reps on duty needed (None if Erlang C cannot answer; see ``reason``).
        arrival_rate_per_min: lambda used.
        handle_min: mean handle time used (1 / mu).
        reason: why there is no answer, if there is none.
    """

    servers: int | None
    arrival_rate_per_min: float
    handle_min: float
    reason: str | None = None


def _erlang_predicate(target: Target, lam: float, mu: float) -> Callable[[int], bool] | str:
    kind, param = _ERLANG_METRICS[target.metric]
    if kind == "share_within":
        if target.op != ">=":
            return "Erlang C staffing answers 'at least this share within the time' (>=)"
        return lambda c: queueing.mmc_wait_cdf(float(param or 0.0), c, lam, mu) >= target.value
    if kind == "share_waited":
        if target.op != "<=":
            return "share_waited is a target to stay under (<=)"
        return lambda c: queueing.erlang_c(c, lam / mu) <= target.value
    if target.op != "<=":
        return "waiting times are targets to stay under (<=)"
    if kind == "mean_wait":
        return lambda c: queueing.mmc_mean_wait(c, lam, mu) <= target.value
    return lambda c: queueing.mmc_wait_cdf(target.value, c, lam, mu) >= float(param or 0.0)


def erlang_search_cap(offered_load: float) -> int:
    """The most servers the Erlang C search tries: square-root staffing far past any real target.

    ``a + 10 sqrt(a) + 100`` servers leave a probability of waiting below 1e-20 for any
    offered load ``a``; a target not met by then (a share of exactly 1, say) is never met.
    """
    return math.floor(offered_load + 10.0 * math.sqrt(offered_load)) + 100


def erlang_c_answer(target: Target, arrival_rate_per_min: float, handle_min: float,
                    max_servers: int | None = None) -> ErlangAnswer:
    """Smallest number of always-on-duty reps that meets ``target`` in an M/M/c queue.

    The predicate is monotone in the number of servers, so the search doubles its
    step until the target is met, then bisects: O(log c) evaluations.

    Args:
        target: the target (a waiting-time metric; others get a reason instead).
        arrival_rate_per_min: lambda, leads per minute.
        handle_min: mean handle time, minutes (1 / mu).
        max_servers: give up beyond this many (default: :func:`erlang_search_cap`).
    """
    lam, handle = arrival_rate_per_min, handle_min
    if target.metric not in _ERLANG_METRICS:
        return ErlangAnswer(None, lam, handle, f"Erlang C predicts only the wait for a first "
                            f"attempt, not {target.metric}")
    if not (math.isfinite(lam) and lam > 0 and math.isfinite(handle) and handle > 0):
        return ErlangAnswer(None, lam, handle, "no arrivals or no first attempts to measure")
    predicate = _erlang_predicate(target, lam, 1.0 / handle)
    if isinstance(predicate, str):
        return ErlangAnswer(None, lam, handle, predicate)
    first = math.floor(lam * handle) + 1
    cap = erlang_search_cap(lam * handle) if max_servers is None else max_servers
    found = smallest_meeting(predicate, first, cap, first) if first <= cap else None
    if found is None:
        return ErlangAnswer(None, lam, handle, f"not met by {cap} reps")
    return ErlangAnswer(found, lam, handle)


# ---------------------------------------------------------------- the search


@dataclass(frozen=True)
class Candidate:
    """One evaluated headcount."""

    headcount: int
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    meets: bool  # the mean meets the target
    meets_confidently: bool  # the interval's conservative side meets it
    floor: dict[str, float] = field(default_factory=dict)  # mean floor facts
    extras: dict[str, float | None] = field(default_factory=dict)  # means of STAFF_EXTRAS (the staff table)


@dataclass
class StaffingAnswer:
    """The answer to ``leadsim staff``.

    Attributes:
        target: the target.
        team: the team whose headcount was varied.
        replications: replications per headcount.
        seed: root seed.
        low: smallest headcount considered.
        high: largest headcount considered.
        candidates: every evaluated headcount, by headcount.
        by_mean: smallest headcount whose mean meets the target (None if none up to ``high``).
        by_interval: smallest headcount whose conservative interval side meets it.
        erlang: the Erlang C answer (None until computed).
        explanation: why the two answers differ.
        interrupted: whether Ctrl-C cut the search short.
    """

    target: Target
    team: str
    replications: int
    seed: int
    low: int
    high: int
    candidates: list[Candidate] = field(default_factory=list)
    by_mean: int | None = None
    by_interval: int | None = None
    erlang: ErlangAnswer | None = None
    explanation: str = ""
    interrupted: bool = False

    def candidate(self, headcount: int | None) -> Candidate | None:
        """The evaluated candidate with this headcount, if any."""
        return next((c for c in self.candidates if c.headcount == headcount), None)


#: Metrics whose means every evaluated headcount keeps for the staff table (cost, conversions, profit).
STAFF_EXTRAS: tuple[str, ...] = ("cost", "conversions", "profit")


def _extras(runs: list[RepSummary]) -> dict[str, float | None]:
    return {name: summarize([r.metrics[name] for r in runs]).mean for name in STAFF_EXTRAS}


def _mean_facts(runs: list[RepSummary]) -> dict[str, float]:
    keys = runs[0].floor.keys() if runs else ()
    out = {}
    for key in keys:
        mean = summarize([r.floor[key] for r in runs]).mean
        out[key] = float("nan") if mean is None else mean
    return out


def smallest_meeting(meets: Callable[[int], bool], low: int, high: int, start: int) -> int | None:
    """Smallest h in [low, high] with ``meets(h)``, for a ``meets`` that is monotone in h.

    Doubling steps from ``start`` bracket the answer, then bisection finds it.
    """
    start = min(max(start, low), high)
    if meets(start):
        good, step = start, 1
        while good > low:
            probe = max(low, good - step)
            if not meets(probe):
                bad = probe
                break
            good, step = probe, step * 2
        else:
            return good
    else:
        bad, step = start, 1
        while True:
            if bad >= high:
                return None
            probe = min(high, bad + step)
            if meets(probe):
                good = probe
                break
            bad, step = probe, step * 2
    while good - bad > 1:
        mid = (good + bad) // 2
        if meets(mid):
            good = mid
        else:
            bad = mid
    return good


def search_evaluations(low: int, high: int) -> int:
    """Most headcounts :func:`find_headcount` evaluates in [low, high] (for the work estimate).

    Each of its two searches doubles then bisects: at most 2 log2(n) + 2 headcounts each.
    """
    n = high - low + 1
    return min(n, 2 * (2 * math.ceil(math.log2(max(n, 2))) + 2))


def find_headcount(
    scenario_for: Callable[[int], Any],
    target: Target,
    team: str,
    start: int,
    low: int,
    high: int,
    replications: int,
    seed: int,
    jobs: int = 1,
    reporter: Reporter = null_reporter,
) -> StaffingAnswer:
    """Search the smallest headcount meeting ``target`` (rule: see the module docstring).

    Args:
        scenario_for: the resolved scenario with the team at a given headcount.
        target: the service target.
        team: the team's name (for the answer).
        start: where the search starts (the scenario's current headcount).
        low: smallest headcount considered (>= 1).
        high: largest headcount considered.
        replications: replications per headcount.
        seed: root seed, the same for every headcount.
        jobs: worker processes.
        reporter: progress display (one bar per headcount).

    Returns:
        The answer, without the Erlang C part (see :func:`add_erlang`).

    Raises:
        Interrupted: on Ctrl-C; ``done`` is the answer so far (``interrupted=True``).
    """
    answer = StaffingAnswer(target, team, replications, seed, low, high)
    cache: dict[int, Candidate] = {}

    def evaluate(h: int) -> Candidate:
        if h not in cache:
            with reporter(f"headcount {h}", replications) as bar:
                runs = run_grid([scenario_for(h)], range(replications), seed, jobs=jobs, progress=bar)[0]
            s = summarize([r.metrics[target.metric] for r in runs])
            cache[h] = Candidate(h, s.mean, s.ci_low, s.ci_high, target.met(s.mean),
                                 target.met(target.conservative(s.ci_low, s.ci_high)), _mean_facts(runs),
                                 _extras(runs))
            answer.candidates = sorted(cache.values(), key=lambda c: c.headcount)
        return cache[h]

    try:
        answer.by_mean = smallest_meeting(lambda h: evaluate(h).meets, low, high, start)
        if answer.by_mean is not None:  # the interval's side cannot meet it where the mean does not
            answer.by_interval = smallest_meeting(lambda h: evaluate(h).meets_confidently, low, high,
                                                  answer.by_mean)
    except Interrupted as stop:
        answer.interrupted = True
        raise Interrupted(answer, stop.total) from None
    return answer


def add_erlang(answer: StaffingAnswer, scenario: Any) -> StaffingAnswer:
    """Fill in the Erlang C answer and the explanation, from the floor at the answer headcount.

    Args:
        answer: a finished search.
        scenario: the resolved scenario (for its arrivals and calling window).
    """
    chosen = answer.candidate(answer.by_mean) or (answer.candidates[-1] if answer.candidates else None)
    facts = chosen.floor if chosen is not None else {}
    nan = float("nan")
    answer.erlang = erlang_c_answer(answer.target, facts.get("arrival_rate_per_min", nan),
                                    facts.get("first_attempt_handle_min", nan))
    answer.explanation = explain(answer, facts, scenario)
    return answer


def _differences(facts: dict[str, float], scenario: Any) -> list[str]:
    """The ways this floor departs from Erlang C's world, in words."""
    reasons = []
    on_duty = facts.get("on_duty_share", 1.0)
    if math.isfinite(on_duty) and on_duty < 0.99:
        reasons.append(f"reps are on duty only {on_duty:.0%} of the time (shifts, lunch, breaks, "
                       "shrinkage), not around the clock")
    retry = facts.get("retry_time_share", 0.0)
    if math.isfinite(retry) and retry > 0.01:
        reasons.append(f"{retry:.0%} of call time goes to retries, which Erlang C does not count")
    window = scenario.policy.cadence.calling_window
    if (window.start, window.end) != ("00:00", "24:00"):
        whose = "their own" if getattr(window, "clock", "") == "lead_local_time" else "the floor's"
        reasons.append(f"leads are only called {window.start}-{window.end} in {whose} time")
    bursty = [s.name for s in scenario.sources
              if s.kind == "batch" or str(getattr(s, "profile", "flat")) != "flat"]
    if bursty:
        reasons.append("leads arrive in peaks (office hours, batches) rather than at a steady rate")
    return reasons


def explain(answer: StaffingAnswer, facts: dict[str, float], scenario: Any) -> str:
    """One or two sentences on why the simulated and Erlang C answers differ."""
    erlang = answer.erlang
    if erlang is None or erlang.servers is None:
        why = erlang.reason if erlang is not None else "not computed"
        return f"Erlang C gives no answer here: {why}."
    reasons = _differences(facts, scenario)
    sim = answer.by_mean
    head = (f"Erlang C assumes {erlang.servers} rep{'' if erlang.servers == 1 else 's'} on duty around the clock, one call per lead "
            f"and steady arrivals.")
    if not reasons:
        return head + " This floor makes the same assumptions, so the two answers should agree " \
                      "up to simulation noise."
    on_duty = facts.get("on_duty_share", float("nan"))
    payroll = ""
    if math.isfinite(on_duty) and 0 < on_duty < 0.99:
        payroll = (f" Having {erlang.servers} rep{'' if erlang.servers == 1 else 's'} on duty on average takes about "
                   f"{math.ceil(erlang.servers / on_duty)} on the payroll, and even that "
                   "ignores when the leads come.")
    verdict = "The simulation needs a different headcount" if sim is None or sim != erlang.servers \
        else "The two agree here, but by coincidence"
    return f"{head} {verdict} because on this floor " + "; ".join(reasons) + "." + payroll


def team_index(scenario: Any, team: str | None) -> int:
    """Index of the team to staff: the named one, or the first.

    Raises:
        SpecError: if no team has that name.
    """
    names = [t.name for t in scenario.teams]
    if team is None:
        return 0
    if team not in names:
        raise SpecError(f"--team {team!r}: no such team; the scenario's teams are {names}")
    return names.index(team)


def scale_loader(path: str, overrides: Sequence[str], index: int) -> Callable[[int], Any]:
    """For a team staffed by a table: the scenario with its table scaled to ``level`` percent.

    The search then runs over whole percents of the table (``staffing_scale`` =
    level / 100), which is how a table-staffed floor is staffed up or down.
    """
    from leadsim.scenarios.loader import load_scenario

    def scenario_for(level: int) -> Any:
        return load_scenario(path, [*overrides, f"teams.{index}.staffing_scale={level / 100.0!r}"])

    return scenario_for


def headcount_loader(path: str, overrides: Sequence[str], index: int) -> Callable[[int], Any]:
    """A function giving the scenario with team ``index`` at a headcount (loaded and validated)."""
    from leadsim.scenarios.loader import load_scenario

    def scenario_for(headcount: int) -> Any:
        return load_scenario(path, [*overrides, f"teams.{index}.headcount={headcount}"])

    return scenario_for
