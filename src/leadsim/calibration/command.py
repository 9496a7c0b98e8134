"""``leadsim calibrate``: read the logs, fit, write calibrated.yaml, fit.json and quarantine.csv.

The CLI only parses options and calls :func:`calibrate`. Partial data is
normal: with leads only, arrivals (and raw conversion rates) are fitted; with
activities too, handle times, the contact and conversion models and the
practice; everything not fitted comes from the base scenario, and both the YAML
header and fit.json say which is which.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from leadsim.calibration import fits_arrivals as arr
from leadsim.calibration.attempts import call_table
from leadsim.calibration.backtest import backtest as run_backtest
from leadsim.calibration.backtest import history_metrics
from leadsim.calibration.colmap import load_column_map
from leadsim.calibration.estimates import Estimate, FitLog, mean_interval
from leadsim.calibration.fits_contact import fit_contact, live_inbound_mask
from leadsim.calibration.fits_conversion import fit_conversion
from leadsim.calibration.fits_handle import fit_durations, fit_handle_times
from leadsim.calibration.fits_inbound import fit_inbound, weekday_counts
from leadsim.calibration.fits_practice import fit_practice
from leadsim.calibration.holdout import split_by_creation, split_calls
from leadsim.calibration.inbound import (
    INBOUND_METRICS,
    daily_wait_interval,
    fit_capacity,
    handle_form,
    history_inbound,
    simulated_inbound,
    write_inbound,
)
from leadsim.calibration.plots import plot_fits
from leadsim.calibration.reader import (
    Progress,
    Quarantine,
    ReadContext,
    read_activities,
    read_leads,
)
from leadsim.calibration.reader_calls import read_calls
from leadsim.calibration.writer import (
    Calibrated,
    estimates_comment,
    header_lines,
    prob,
    ratio,
    start,
    to_yaml,
    validate,
)
from leadsim.scenarios.errors import ScenarioError
from leadsim.scenarios.loader import load_scenario
from leadsim.scenarios.schema import MAX_HANDLE_MINUTES, Scenario
from leadsim.simulator.arrivals import NAMED_PROFILES
from leadsim.simulator.distributions import mean as distribution_mean


@dataclass
class CalibrationResult:
    """What a calibration produced: the scenario, the fit document and the files written."""

    scenario: Scenario
    fit: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)
    estimates: dict[str, Estimate] = field(default_factory=dict)


def calibrate(leads: str | Path | None = None, activities: str | Path | None = None,
              calls: str | Path | None = None, column_map: str | Path | None = None,
              preset: str | None = None, base: str | Path | None = None,
              out: str | Path = "calibrated", progress: Progress | None = None,
              backtest_replications: int = 0, train_until: dt.date | None = None,
              holdout_from: dt.date | None = None, capacity_factor: bool = True) -> CalibrationResult:
    """Calibrate a scenario from historical logs.

    Args:
        leads, activities, calls: log files (at least one).
        column_map, preset: how to read them (default: the canonical schema).
        base: scenario supplying everything not fitted (default: bundled ``baseline``).
        out: folder to write calibrated.yaml, fit.json and quarantine.csv into.
        progress: called after every chunk read (and every back-test replication).
        backtest_replications: replications of the calibrated scenario for backtest.json
            (0: no back-test; needs leads and activities).
        train_until: fit on leads created before this floor-local date only, and back-test
            out of sample on leads created from ``holdout_from`` (default: the same date).
        holdout_from: first day of the holdout period.
        capacity_factor: for an inbound-only floor, fit the team's staffing_scale to the history's
            mean wait (a named capacity factor, written with its interval and back-tested).

    Raises:
        ScenarioError: bad options, unreadable files, a bad column map or base (exit 2).
    """
    if leads is None and activities is None and calls is None:
        raise ScenarioError(None, "--leads/--activities/--calls", "give at least one log file")
    cmap = load_column_map(column_map, preset)
    # A calls log alone describes a contact centre: an inbound-only floor is written on the bundled
    # contact_centre scenario unless --base says otherwise.
    inbound_only = calls is not None and leads is None and activities is None
    base_name = str(base) if base is not None else ("contact_centre" if inbound_only else "baseline")
    base_scenario = load_scenario(base_name)
    floor_zone = base_scenario.calendar.timezone if base is not None or cmap.timezone is None else cmap.timezone
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    quarantine = Quarantine(folder / "quarantine.csv")
    # Timestamps without an offset are read in the map's zone, else the floor of an explicit --base;
    # with neither, they are quarantined rather than guessed.
    ctx = ReadContext(cmap, floor_zone, quarantine, progress,
                      naive_fallback=base_scenario.calendar.timezone if base is not None else None)
    log = FitLog()
    fit: dict[str, Any] = {"inputs": {"leads": _s(leads), "activities": _s(activities), "calls": _s(calls),
                                      "column_map": _s(column_map) or (f"preset:{preset}" if preset else "canonical"),
                                      "base": base_name, "floor_timezone": floor_zone},
                           "read": {}, "fits": {}}
    doc = start(base_scenario)
    doc.data["name"] = f"{base_scenario.name}-calibrated"
    doc.data["description"] = "Calibrated from historical logs by leadsim calibrate"
    estimates: dict[str, Estimate] = {}
    try:
        lead_table = acts = call_log = None
        if leads is not None:
            lead_table, summary = read_leads(Path(leads), ctx)
            fit["read"]["leads"] = summary.as_dict()
        if activities is not None:
            acts, summary = read_activities(Path(activities), ctx, lead_table)
            fit["read"]["activities"] = summary.as_dict()
        if calls is not None:
            call_log, summary = read_calls(Path(calls), ctx)
            fit["read"]["calls"] = summary.as_dict()
    finally:
        quarantine.close()
    holdout = None
    hold_calls = None
    if inbound_only and call_log is not None and (train_until is not None or holdout_from is not None):
        if train_until is None:
            raise ScenarioError(None, "--train-until", "a holdout back-test needs --train-until")
        call_log, hold_calls, fit["split"] = split_calls(call_log, floor_zone, train_until,
                                                         holdout_from or train_until)
    elif train_until is not None or holdout_from is not None:
        if lead_table is None or acts is None or train_until is None:
            raise ScenarioError(None, "--train-until", "a holdout back-test needs --leads, --activities and "
                                "--train-until")
        lead_table, acts, hold_leads, hold_acts, fit["split"] = split_by_creation(
            lead_table, acts, floor_zone, train_until, holdout_from or train_until)
        holdout = (hold_leads, hold_acts)
    if lead_table is not None and len(lead_table):
        _arrivals(lead_table, acts, base_scenario, floor_zone, doc, fit, log)
    elif lead_table is not None:
        log.warning("the leads file has no usable rows: arrivals kept from the base scenario")
    if acts is not None and lead_table is not None and len(acts):
        estimates.update(_outbound(lead_table, acts, base_scenario, floor_zone, doc, fit, log))
    elif acts is not None and len(acts):
        estimates.update(_handle_only(acts, doc, fit, log))
        log.warning("activities without a leads file: only handle times and attempts per lead are fitted "
                 "(contact and conversion need each lead's creation time and source)")
    fit_in: dict[str, Any] = {}
    if call_log is not None:
        fit_in = fit_inbound(call_log, floor_zone, log)
        fit["fits"]["inbound"] = fit_in
        if inbound_only and len(call_log):
            estimates.update(write_inbound(doc, call_log, fit_in, floor_zone, log))
            if capacity_factor:
                wait = history_inbound(call_log, fit_in, floor_zone)["wait_mean_seconds"]
                # Fitted on the training period replayed with its own per-date volume (as the holdout
                # is), so the factor measures the agents' availability, not day-to-day volume luck.
                replay, _ = _replay_inbound(doc, call_log, floor_zone)
                factor = fit_capacity(replay, wait, daily_wait_interval(call_log, floor_zone, wait), log, progress)
                if factor is not None:
                    doc.put(("teams", 0, "staffing_scale"), replay.data["teams"][0]["staffing_scale"],
                            replay.comments[("teams", 0, "staffing_scale")], "teams.agents.staffing_scale "
                            "(capacity factor)")
                    estimates["capacity_factor"] = factor
                    fit_in["capacity_factor"] = factor.as_dict()
        elif len(call_log):
            log.warning("calls beside leads/activities: the inbound fits are in fit.json only (a mixed "
                        "inbound and outbound floor is not written by calibrate yet)")
    fit["warnings"], fit["notes"] = log.warnings, log.notes
    fit["provenance"] = {"fitted": sorted(set(doc.fitted)),
                         "from_base": f"every other value of {base_name!r}"}
    fit["quarantine"] = {"file": str(folder / "quarantine.csv"),
                         "rows": sum(quarantine.counts.values())}
    scenario = validate(doc)
    inputs = {"leads": _s(leads), "activities": _s(activities), "calls": _s(calls)}
    yaml_path = folder / "calibrated.yaml"
    yaml_path.write_text(to_yaml(doc, header_lines(inputs, base_name, doc)), encoding="utf-8")
    fit_path = folder / "fit.json"
    fit_path.write_text(json.dumps(_jsonable(fit), indent=2, allow_nan=False), encoding="utf-8")
    files = {"calibrated": yaml_path, "fit": fit_path, "quarantine": folder / "quarantine.csv"}
    for png in plot_fits(_jsonable(fit), folder):
        files[png.stem] = png
    if backtest_replications > 0 and inbound_only and call_log is not None and len(call_log):
        tick = (lambda done, total: progress("back-test replications", done)) if progress else None
        report: dict[str, Any] = {"in_sample": run_backtest(scenario, history_inbound(call_log, fit_in, floor_zone),
                                            backtest_replications, tick, INBOUND_METRICS, simulated_inbound),
                  "out_of_sample": None}
        if hold_calls is not None:
            report["out_of_sample"] = _holdout_inbound(doc, hold_calls, floor_zone, backtest_replications, tick)
        files["backtest"] = folder / "backtest.json"
        files["backtest"].write_text(json.dumps(_jsonable(report), indent=2, allow_nan=False), encoding="utf-8")
    elif backtest_replications > 0 and lead_table is not None and acts is not None and len(lead_table):
        tick = (lambda done, total: progress("back-test replications", done)) if progress else None
        history = history_metrics(lead_table, acts, fit["days"]["first"], float(fit["days"]["span"]), floor_zone)
        report = {"in_sample": run_backtest(scenario, history, backtest_replications, tick),
                                  "out_of_sample": None}
        if holdout is not None:
            report["out_of_sample"] = _holdout_backtest(doc, holdout, base_scenario, floor_zone,
                                                        backtest_replications, tick)
        files["backtest"] = folder / "backtest.json"
        files["backtest"].write_text(json.dumps(_jsonable(report), indent=2, allow_nan=False), encoding="utf-8")
    return CalibrationResult(scenario, fit, files, estimates)


def _holdout_backtest(doc: Calibrated, holdout: tuple[pd.DataFrame, pd.DataFrame], base: Scenario, zone: str,
                      replications: int, tick: Any) -> dict[str, Any]:
    """The calibrated scenario with the holdout's own calendar and arrivals, against the holdout's history."""
    leads, acts = holdout
    hold_doc = Calibrated(copy.deepcopy(doc.data))
    hold_fit: dict[str, Any] = {"fits": {}}
    hold_log = FitLog()
    _arrivals(leads, acts, base, zone, hold_doc, hold_fit, hold_log)
    scenario = validate(hold_doc)
    history = history_metrics(leads, acts, hold_fit["days"]["first"], float(hold_fit["days"]["span"]), zone)
    report = run_backtest(scenario, history, replications, tick)
    report.update(kind="out-of-sample", days=hold_fit["days"], warnings=hold_log.warnings,
                  from_holdout="calendar, run.days, sources' volume, profile and batches (the holdout's own lead plan)",
                  from_training="contact, conversion, handle times and practice; staffing from the base")
    return report


def _replay_inbound(doc: Calibrated, calls: pd.DataFrame, zone: str) -> tuple[Calibrated, dict[str, Any]]:
    """The calibrated floor replaying a period of the log: its calendar, per-date volume and rosters.

    Patience, abandonment, handle times and the capacity factor stay the calibrated ones.
    """
    period_log = FitLog()
    period_fit = fit_inbound(calls, zone, period_log)
    own = Calibrated(copy.deepcopy(doc.data))
    write_inbound(own, calls, period_fit, zone, period_log, holdout=True)
    replay = Calibrated(copy.deepcopy(doc.data))
    replay.data["calendar"] = own.data["calendar"]
    replay.data["run"] = own.data["run"]
    src, own_src = replay.data["sources"][0], own.data["sources"][0]
    for key in ("volume", "profile", "date_factors"):
        src[key] = own_src.get(key)
    src["day_variance_ratio"] = 1.0
    replay.data["teams"][0]["staffing"] = own.data["teams"][0]["staffing"]
    period_fit["_log"] = period_log
    return replay, period_fit


def _holdout_inbound(doc: Calibrated, calls: pd.DataFrame, zone: str, replications: int,
                     tick: Any) -> dict[str, Any]:
    """The calibrated floor with the holdout's own calendar, volume and rosters, against the holdout's log."""
    hold_doc, hold_fit = _replay_inbound(doc, calls, zone)
    hold_log = hold_fit["_log"]
    scenario = validate(hold_doc)
    report = run_backtest(scenario, history_inbound(calls, hold_fit, zone), replications, tick,
                          INBOUND_METRICS, simulated_inbound)
    report.update(kind="out-of-sample", days=hold_fit["days"], warnings=hold_log.warnings,
                  from_holdout="calendar, run.days, the calls' volume per date and hour of week "
                  "(date_factors, profile; no extra day-to-day dispersion) and the agents' staffing "
                  "(weekly table and per-date rosters): the holdout's own, as the log shows them",
                  from_training="patience distribution, abandonment outcome, handle times and the "
                  "capacity factor (staffing_scale)")
    return report


def _s(path: str | Path | None) -> str | None:
    return str(path) if path is not None else None


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items() if not str(k).startswith("_")}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return obj


# ---------------------------------------------------------------- arrivals


def _arrivals(leads: pd.DataFrame, acts: pd.DataFrame | None, base: Scenario, zone: str,
              doc: Calibrated, fit: dict[str, Any], log: FitLog) -> None:
    days = arr.local_days(leads["created"], zone)
    first, last = days.min(), days.max()
    counts = arr.day_counts(days, first, last)
    if acts is not None and len(acts):
        counts = counts + arr.day_counts(arr.local_days(acts["started"], zone), first, last).reindex(counts.index, fill_value=0)
    gaps = arr.find_gaps(counts)
    excluded = {dt.date.fromisoformat(g["first"]) + dt.timedelta(days=k) for g in gaps for k in range(g["days"])}
    span = (last - first).days + 1
    fit["days"] = {"first": str(first), "last": str(last), "span": span, "gaps": gaps,
                   "days_used_for_arrivals": span - len(excluded)}
    for g in gaps:
        log.warning(f"no rows at all from {g['first']} to {g['last']} ({g['days']} day(s), about "
                 f"{g['expected_rows']:.0f} rows expected): treated as missing data, not zero demand; "
                 "those days are left out of the arrival fits")
    doc.put(("calendar", "start"), str(first), "first day of the history", "calendar.start")
    doc.put(("calendar", "timezone"), zone, None, "calendar.timezone")
    doc.put(("run", "warmup_days"), 0, "the simulation starts where the history starts", "run.warmup_days")
    doc.put(("run", "days"), span, f"the history spans {span} days", "run.days")
    base_sources = {s["name"]: s for s in doc.data["sources"]}
    template = next((s for s in doc.data["sources"] if s.get("kind", "stream") == "stream"), doc.data["sources"][0])
    new_sources: list[dict[str, Any]] = []
    doc.data["sources"] = new_sources  # filled in the loop; doc.put addresses it by index
    fits: dict[str, Any] = {}
    for name in sorted(leads["source"].astype(str).unique()):
        created = leads["created"][leads["source"].astype(str).to_numpy() == name]
        f = arr.fit_source(name, created, zone, first, last, excluded, first, log)
        fits[name] = f.as_dict()
        src = dict(base_sources.get(name) or {**template, "name": name, "kind": "stream"})
        if name not in base_sources:
            log.warning(f"source {name!r} is not in the base scenario: its quality, time zones, expiry and "
                     f"money come from base source {template['name']!r}")
        i = len(new_sources)
        new_sources.append(src)
        if f.kind == "batch":
            src.update(kind="batch", volume=None)
            doc.put(("sources", i, "batches"), [{k: b[k] for k in ("day", "at", "count")} for b in f.batches],
                    f"{len(f.batches)} upload(s) recognised in the leads' creation times", f"sources.{name}.batches")
            continue
        if f.volume_per_day is None:
            continue
        if src.get("kind") == "batch":
            src.update(kind="stream", batches=[])
        doc.put(("sources", i, "volume"), {"per_day": round(f.volume_per_day.value, 4)}, None,
                f"sources.{name}.volume")
        doc.comments[("sources", i, "volume", "per_day")] = f.volume_per_day.comment()
        ratio_d, n_days = f.dispersion.get("daily_variance_to_mean", math.nan), int(f.dispersion.get("days", 0))
        if math.isfinite(ratio_d) and ratio_d > 1.5 and n_days >= 14:
            low, high = (ratio_d * n_days / float(chi2.ppf(q, n_days)) for q in (0.975, 0.025))
            doc.put(("sources", i, "day_variance_ratio"), round(min(ratio_d, 1000.0), 4),
                    f"fitted {ratio_d:.3g}, 95% CI [{low:.3g}, {high:.3g}] (chi-square), n={n_days} days",
                    f"sources.{name}.day_variance_ratio")
        hours = f.hours
        comment = "Poisson GLM hour x weekday weights; intervals in fit.json"
        if f.date_only:
            hours = _base_hours(src.get("profile"))
            comment = "weekday weights fitted (Poisson GLM); hours from the base (the log has dates only)"
        doc.put(("sources", i, "profile"), {"hours": hours, "weekdays": f.weekdays}, comment,
                f"sources.{name}.profile")
        for day, e in f.weekday_estimates.items():
            doc.comments[("sources", i, "profile", "weekdays", day)] = e.comment(3)
    dropped = sorted(set(base_sources) - set(fits))
    if dropped:
        log.warning(f"base sources {dropped} have no leads in the history: left out of the calibrated scenario")
        for section in (("contact", "base"), ("conversion", "qualify"), ("conversion", "close")):
            table = doc.data[section[0]][section[1]]
            for name in dropped:
                table.pop(name, None)
    for name in fits:
        for section in (("contact", "base"), ("conversion", "qualify"), ("conversion", "close")):
            table = doc.data[section[0]][section[1]]
            if name not in table:
                table[name] = table.get(template["name"], 0.3) if table else 0.3
    for team in doc.data["teams"]:
        if team.get("sources"):
            team["sources"] = [s for s in team["sources"] if s in fits] or None
    fit["fits"]["arrivals"] = fits


# ---------------------------------------------------------------- outbound


def _handle(doc: Calibrated, fields: dict[str, Any]) -> dict[str, Estimate]:
    estimates: dict[str, Estimate] = {}
    for t in range(len(doc.data["teams"])):
        for name, entry in fields.items():
            if entry.get("written") is None:
                continue
            m = entry["mean_minutes"]
            est = Estimate(m["estimate"], m["ci95"][0], m["ci95"][1], m["n"], m["method"])
            estimates[f"handle_minutes.{name}.mean"] = est
            written = handle_form(entry) or entry["written"]
            if "lognormal" in written:
                written["lognormal"]["mean"] = min(written["lognormal"]["mean"], MAX_HANDLE_MINUTES)
            doc.put(("teams", t, "handle_minutes", name), written,
                    f"mean {est.comment(4)}; best family {entry.get('best')}", f"teams.*.handle_minutes.{name}")
        doc.put(("teams", t, "handle_minutes", "wrap"), {"fixed": 0.0},
                "after-call work is not logged separately: included in each outcome's time",
                "teams.*.handle_minutes.wrap")
    return estimates


def _handle_only(acts: pd.DataFrame, doc: Calibrated, fit: dict[str, Any], log: FitLog) -> dict[str, Estimate]:
    calls = acts[acts["channel"] == "call"]
    fields = fit_handle_times(calls["outcome"].astype(str).to_numpy(), calls["duration"].to_numpy(), log)
    fit["fits"]["handle_times"] = fields
    per_lead = calls.groupby("lead").size()
    fit["fits"]["practice"] = {"attempts_per_lead": {"mean": float(per_lead.mean()) if len(per_lead) else None}}
    return _handle(doc, fields)


def _outbound(leads: pd.DataFrame, acts: pd.DataFrame, base: Scenario, zone: str, doc: Calibrated,
              fit: dict[str, Any], log: FitLog) -> dict[str, Estimate]:
    table = call_table(leads, acts, zone)
    estimates: dict[str, Estimate] = {}
    fields = fit_handle_times(table["outcome"].to_numpy(), table["duration"].to_numpy(), log)
    fit["fits"]["handle_times"] = fields
    estimates.update(_handle(doc, fields))
    fit["fits"]["talk_by_source"] = _talk_by_source(table, log)
    _handle_by_source(table, fit["fits"]["talk_by_source"], doc, log)
    # A patience distribution (issue "model a real floor") is read at its mean: the live-answer test
    # below only needs a typical wait, not the caller-by-caller draw.
    patience = {s.name: (float(s.patience_seconds) if isinstance(s.patience_seconds, (int, float))
                         else distribution_mean(s.patience_seconds))
                for s in base.sources if s.kind == "inbound_call"}
    live = live_inbound_mask(table, patience)
    if patience:
        log.note(f"sources {sorted(patience)} are inbound lines in the base scenario: a first call within "
                 "their patience of creation is a live answer, left out of the contact model")
    contact = fit_contact(table, live, log)
    fit["fits"]["contact"] = contact
    est: dict[str, Estimate] = contact["_estimates"]
    _unidentified(contact, est, log)
    estimates.update(est)
    for key in ("bad_number_rate", "voicemail_share", "busy_share"):
        e = est[f"contact.{key}"]
        if e.n:
            doc.put(("contact", key), round(min(max(e.value, 0.0), 0.999999), 6), e.comment(), f"contact.{key}")
    sc = contact.get("scenario")
    if sc:
        for s, v in sc["base"].items():
            if s in doc.data["contact"]["base"]:
                doc.put(("contact", "base", s), prob(v), est[f"contact.base.{s}"].comment(), f"contact.base.{s}")
        doc.put(("contact", "attempt_odds"), [ratio(v) for v in sc["attempt_odds"]],
                estimates_comment([(f"k{a}", est[f"contact.attempt_odds.{a}"])
                                   for a in range(2, len(sc["attempt_odds"]) + 1)]), "contact.attempt_odds")
        doc.put(("contact", "age_decay"), {"half_life_minutes": round(min(max(sc["age_decay"]["half_life_minutes"], 1e-3), 5e6), 4),
                                           "floor_odds": round(min(max(sc["age_decay"]["floor_odds"], 1e-6), 1.0), 6)},
                None, "contact.age_decay")
        for key in ("half_life_minutes", "floor_odds"):
            doc.comments[("contact", "age_decay", key)] = est[f"contact.age_decay.{key}"].comment()
        doc.put(("contact", "hour_odds"), {h: ratio(v) for h, v in sc["hour_odds"].items()},
                f"relative to local hour {contact['reference']['hour']} (odds 1)",
                "contact.hour_odds")
        doc.put(("contact", "weekday_odds"), {d: ratio(v) for d, v in sc["weekday_odds"].items()},
                f"relative to {contact['reference']['weekday']} (odds 1)", "contact.weekday_odds")
        for h in sc["hour_odds"]:
            doc.comments[("contact", "hour_odds", h)] = est[f"contact.hour_odds.{h}"].comment(3)
        for d in sc["weekday_odds"]:
            doc.comments[("contact", "weekday_odds", d)] = est[f"contact.weekday_odds.{d}"].comment(3)
        doc.notes.append(f"contact.base is P(contact) at the reference local hour {contact['reference']['hour']} "
                         f"and weekday {contact['reference']['weekday']}")
    qualities = {s.name: s.quality for s in base.sources}
    for s in doc.data["sources"]:
        qualities.setdefault(s["name"], base.sources[0].quality)
    conv = fit_conversion(table, qualities, float(base.teams[0].skill), log)
    fit["fits"]["conversion"] = conv
    cest: dict[str, Estimate] = conv["_estimates"]
    for key in [k for k, e in cest.items() if not (np.isfinite(e.low) and np.isfinite(e.high))]:
        log.warning(f"{key}: no finite interval (not identified by these data); kept from the base scenario")
        del cest[key]
    estimates.update(cest)
    for key, e in cest.items():
        path = tuple(key.split("."))
        if path[1] in ("qualify", "close"):
            if path[2] in doc.data["conversion"][path[1]]:
                doc.put(path, prob(e.value), e.comment(), key)
        elif path[1] == "speed_decay":
            value = round(min(max(e.value, 1e-3), 5e6), 4) if path[2] == "half_life_minutes" else \
                round(min(max(e.value, 1e-6), 1.0), 6)
            if doc.data["conversion"].get("speed_decay") is None:
                doc.data["conversion"]["speed_decay"] = {}
            doc.put(path, value, e.comment(), key)
        elif path[1] == "email_day1_lift":
            doc.put(path, ratio(e.value), e.comment(), key)
    if len(base.teams) > 1:
        log.warning(f"the base has {len(base.teams)} teams: every team gets the same fitted handle times; "
                 "close odds assume the first team's skill")
    practice = fit_practice(table, int(table["lead"].nunique()), log)
    fit["fits"]["practice"] = practice
    estimates.update(practice["_estimates"])
    for key, value in practice["scenario"].items():
        doc.put(("policy", "cadence", key), value, f"observed practice ({practice.get('call_target_basis', '')})"
                if key == "call_target" else "observed practice; see fit.json practice", f"policy.cadence.{key}")
    fit["fits"]["staffing"] = _staffing(acts, zone)
    log.note("staffing (reps active per hour of week) is measured in fit.json but not written for an "
             "outbound floor (calibrate writes a staffing table for inbound-only call logs only); "
             "headcount and shifts come from the base")
    return estimates


def _base_hours(profile: Any) -> list[float]:
    """The 24 hourly weights of a base source's profile (a name or explicit weights)."""
    if isinstance(profile, dict) and "hours" in profile:
        return [float(h) for h in profile["hours"]]
    return list(NAMED_PROFILES.get(profile if isinstance(profile, str) else "office_hours", NAMED_PROFILES["flat"])[0])


def _talk_by_source(table: pd.DataFrame, log: FitLog) -> dict[str, Any]:
    """Mean talk time (reached calls) per source, to show where sources differ (not written)."""
    talk = table[table["reached"].to_numpy()]
    out: dict[str, Any] = {str(s): mean_interval(talk["duration"].to_numpy()[(talk["source"] == s).to_numpy()] / 60.0).as_dict()
           for s in sorted(talk["source"].unique())}
    intervals = [(v["ci95"][0], v["ci95"][1]) for v in out.values() if v["n"] >= 30 and v["ci95"][0] is not None]
    if intervals and max(lo for lo, _ in intervals) > min(hi for _, hi in intervals):
        log.warning("talk time differs between sources (fit.json talk_by_source): written per source as "
                    "each team's handle_by_source")
        out["_differ"] = True
    return out


def _handle_by_source(table: pd.DataFrame, by_source: dict[str, Any], doc: Calibrated, log: FitLog) -> None:
    """Talk time per source (teams' handle_by_source) when the sources' talk times differ."""
    if not by_source.pop("_differ", False):
        return
    talk = table[table["reached"].to_numpy()]
    minutes = talk["duration"].to_numpy(dtype=float) / 60.0
    for name, summary in by_source.items():
        if summary["n"] < 30:
            log.warning(f"handle_by_source: source {name!r} has {summary['n']} reached calls (< 30): "
                        "pooled into the team's talk time")
            continue
        entry = fit_durations(minutes[(talk["source"] == name).to_numpy()], f"talk of {name}", log)
        form = handle_form(entry)
        if form is None:
            continue
        m = entry["mean_minutes"]
        est = Estimate(m["estimate"], m["ci95"][0], m["ci95"][1], m["n"], m["method"])
        for t in range(len(doc.data["teams"])):
            doc.put(("teams", t, "handle_by_source", name), {"talk": form},
                    f"talk mean {est.comment(4)}; best family {entry.get('best')}",
                    f"teams.*.handle_by_source.{name}.talk")


def _unidentified(contact: dict[str, Any], est: dict[str, Estimate], log: FitLog) -> None:
    """Drop contact estimates without a finite interval from what is written (kept from the base)."""
    bad = [k for k, e in est.items() if not (np.isfinite(e.low) and np.isfinite(e.high))]
    if not bad or "scenario" not in contact:
        return
    log.warning(f"contact model: {bad} have no finite interval (not identified by these data); "
                "the whole contact curve is kept from the base scenario")
    contact.pop("scenario")


def _staffing(acts: pd.DataFrame, zone: str) -> dict[str, Any]:
    """Mean distinct reps making calls, per floor-local hour of week, over the weeks observed."""
    calls = acts[acts["channel"] == "call"]
    if not len(calls):
        return {}
    local = pd.DatetimeIndex(calls["started"]).tz_convert(zone).tz_localize(None)
    frame = pd.DataFrame({"hour": local.floor("h"), "rep": calls["rep"].astype(str).to_numpy()})
    per_hour = frame.groupby("hour")["rep"].nunique()
    idx = pd.DatetimeIndex(per_hour.index)
    how = idx.day_of_week * 24 + idx.hour
    weeks = max(1, int(np.ceil(((local.max() - local.min()).days + 1) / 7)))
    table = per_hour.groupby(how).sum() / weekday_counts(idx)[np.asarray(sorted(set(how))) // 24]
    busy = calls["duration"].astype(float).groupby(frame["hour"].to_numpy()).sum() / 3600.0
    occupancy = float(busy.sum() / per_hour.sum()) if per_hour.sum() else None
    return {"reps_active_per_hour_of_week": {int(k): round(float(v), 3) for k, v in table.items()},
            "weeks": weeks, "reps_seen": int(frame["rep"].nunique()),
            "occupancy_of_active_rep_hours": round(occupancy, 4) if occupancy is not None else None,
            "note": "a rep counts as active in an hour when it made a call in it"}
