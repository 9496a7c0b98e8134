"""Inbound calibration: calls.csv from a run, the inbound-only scenario, the round trip, the back-tests.

The round trip simulates a small contact centre with known arrivals, handle times
and Weibull patience, writes its calls.csv (the canonical inbound schema), calibrates
from it and checks that the known values fall inside the fitted 95% intervals.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from click.testing import CliRunner

from leadsim.calibration.command import calibrate
from leadsim.calibration.estimates import FitLog
from leadsim.calibration.inbound import dispersion, staffing_grid, week_table
from leadsim.cli import main
from leadsim.outputs.logs import calls_frame, write_calls_csv
from leadsim.scenarios.loader import load_scenario
from leadsim.simulator.results import OFFER_ABANDONED, OFFER_ANSWERED
from leadsim.simulator.run import simulate

#: The known floor: 300 calls a day (flat over 06:00-22:00), 4-minute lognormal talk, Weibull patience.
TRUTH = {"per_day": 300.0, "talk_mean": 4.0, "shape": 0.8, "scale": 90.0}


def _scenario(tmp_path: Path, seed: int, days: int = 14) -> Path:
    hours = [0.0] * 6 + [1.0] * 16 + [0.0] * 2
    staff = [0] * 6 + [4] * 16 + [0] * 2
    doc = {
        "name": "tiny_centre", "description": "round-trip floor",
        "calendar": {"start": "2026-03-02", "timezone": "Europe/London"},
        "run": {"warmup_days": 0, "days": days, "drain_days": 0, "seed": seed},
        "sources": [{"name": "calls", "kind": "inbound_call", "volume": {"per_day": TRUTH["per_day"]},
                     "profile": {"by_weekday": {d: hours for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}},
                     "patience_seconds": {"weibull": {"shape": TRUTH["shape"], "scale": TRUTH["scale"]}},
                     "abandonment": "lost", "quality": {"fixed": 0.5}}],
        "teams": [{"name": "agents",
                   "staffing": {"by_weekday": {d: staff for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}},
                   "handle_minutes": {"talk": {"lognormal": {"mean": TRUTH["talk_mean"], "sd": 3.0}},
                                      "wrap": {"fixed": 0.0}}}],
        "policy": {"cadence": {"calling_window": {"start": "00:00", "end": "24:00", "in": "floor_time"}}},
    }
    path = tmp_path / f"tiny_{seed}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def _calls_log(tmp_path: Path, seed: int, days: int = 14) -> Path:
    scenario = load_scenario(str(_scenario(tmp_path, seed, days)))
    result = simulate(scenario, scenario.run.seed, 0)
    return write_calls_csv(result, tmp_path / f"calls_{seed}.csv", scenario.calendar.start,
                           scenario.calendar.timezone)


def test_calls_frame_is_the_canonical_inbound_schema(tmp_path):
    scenario = load_scenario(str(_scenario(tmp_path, 3, days=3)))
    result = simulate(scenario, scenario.run.seed, 0)
    frame = calls_frame(result, scenario.calendar.start, scenario.calendar.timezone)
    assert list(frame.columns[:7]) == ["call_id", "arrived_at", "answered_at", "ended_at", "outcome",
                                      "agent_id", "line"]
    offers = result.offers
    assert offers is not None and len(frame) == len(offers)
    assert (frame["outcome"] == "answered").sum() == int((offers.answered == OFFER_ANSWERED).sum())
    assert (frame["outcome"] == "abandoned").sum() == int((offers.answered == OFFER_ABANDONED).sum())
    answered = frame[frame["outcome"] == "answered"]
    stamps = {c: pd.to_datetime(answered[c], format="ISO8601") for c in ("arrived_at", "answered_at", "ended_at")}
    assert (stamps["arrived_at"] <= stamps["answered_at"]).all()
    assert (stamps["answered_at"] < stamps["ended_at"]).all()
    assert (answered["agent_id"] != "").all()
    assert (frame.loc[frame["outcome"] == "abandoned", "answered_at"] == "").all()
    # the answered call's rep time is the lead's first attempt, which starts at the answer
    att = result.attempts
    first = att.attempt == 1
    start_of = dict(zip(att.lead[first].tolist(), att.start[first].tolist(), strict=True))
    ok = offers.answered == OFFER_ANSWERED
    for lead, at in zip(offers.lead[ok].tolist(), (offers.offered + offers.waited)[ok].tolist(), strict=True):
        assert abs(start_of[lead] - at) < 1e-9


def test_run_folder_has_calls_csv_for_an_inbound_floor(tmp_path):
    """The run folder writer (what `leadsim run` calls) writes and registers calls.csv.

    Called directly rather than through `leadsim run`: on main at the time of writing, `run` on a
    staffing-table team stops in the run plots' data (outputs/run_plots_data.scheduled_minutes).
    """
    from leadsim.outputs.runfolder import OUTPUT_NAMES, write_run_folder

    scenario = load_scenario(str(_scenario(tmp_path, 1, days=1)))
    result = simulate(scenario, scenario.run.seed, 0)
    written = write_run_folder(tmp_path, scenario, {"metrics": {}}, result, "name: x\n")
    assert tmp_path / "calls.csv" in written and "calls.csv" in OUTPUT_NAMES
    calls = pd.read_csv(tmp_path / "calls.csv", keep_default_na=False)
    assert len(calls) > 100 and set(calls["outcome"]) <= {"answered", "abandoned", "other"}


def test_inbound_only_scenario_is_written_with_its_fields(tmp_path):
    log = _calls_log(tmp_path, 5)
    result = calibrate(calls=log, out=tmp_path / "cal", capacity_factor=False)
    sc = result.scenario
    assert sc.contact is None and sc.conversion is None
    (src,) = sc.sources
    assert src.kind == "inbound_call" and src.abandonment.then == "lost"
    assert src.patience_seconds.weibull.shape > 0  # type: ignore[union-attr]
    (team,) = sc.teams
    assert team.staffing is not None and len(team.staffing.dates) == 14
    week = team.staffing.values()
    assert max(week[6:22]) > 3 and max(week[:5]) == 0  # agents on duty only 06:00-22:00
    assert (tmp_path / "cal" / "fit_patience.png").stat().st_size > 0
    curves = result.fit["fits"]["inbound"]["patience"]["survival_curves"]
    assert len(curves["seconds"]) == len(curves["kaplan_meier"]) == len(curves["weibull"]) > 10
    assert abs(curves["weibull"][len(curves["weibull"]) // 2] - curves["kaplan_meier"][len(curves["weibull"]) // 2]) < 0.1
    text = (tmp_path / "cal" / "calibrated.yaml").read_text(encoding="utf-8")
    assert "day_variance_ratio" in text and "95% CI" in text and "abandonment" in text
    # runnable as it is
    rerun = load_scenario(str(tmp_path / "cal" / "calibrated.yaml"))
    assert rerun.sources[0].volume is not None


def test_round_trip_known_values_inside_intervals(tmp_path):
    """Across seeds, the known per-day volume, talk mean and patience shape/scale are covered."""
    hits, total = 0, 0
    for seed in range(1, 7):
        result = calibrate(calls=_calls_log(tmp_path, seed), out=tmp_path / f"cal{seed}", capacity_factor=False)
        est = result.estimates
        checks = [("volume.per_day", TRUTH["per_day"]), ("handle.talk.mean_minutes", TRUTH["talk_mean"]),
                  ("patience.weibull.shape", TRUTH["shape"]), ("patience.weibull.scale", TRUTH["scale"])]
        for key, truth in checks:
            total += 1
            hits += est[key].covers(truth)
    # nominal 95%: 24 checks; at most 4 misses (binomial P(>4 misses) < 0.01 at the nominal rate)
    assert hits >= total - 4, f"{hits}/{total} covered"


def test_inbound_back_test_in_and_out_of_sample(tmp_path):
    log = _calls_log(tmp_path, 2)
    result = calibrate(calls=log, out=tmp_path / "cal", backtest_replications=3,
                       train_until=dt.date(2026, 3, 9), holdout_from=dt.date(2026, 3, 9))
    report = json.loads(result.files["backtest"].read_text(encoding="utf-8"))
    for side in ("in_sample", "out_of_sample"):
        rows = report[side]["metrics"]
        assert {"service_level", "asa_seconds", "abandonment_rate", "wait_mean_seconds", "rep_occupancy"} <= set(rows)
        for row in rows.values():
            assert row["difference"] == row["simulated_mean"] - row["history"]
            assert isinstance(row["history_inside_prediction"], bool)
        # the floor is the same in both periods: the volume is recovered within 10%
        assert abs(rows["calls_offered_per_day"]["relative_error"]) < 0.1
    out = report["out_of_sample"]
    assert "staffing" in out["from_holdout"] and "patience" in out["from_training"]
    assert result.fit["split"]["training"]["calls"] > 0 and result.fit["split"]["holdout"]["calls"] > 0


def test_capacity_factor_is_one_on_a_floor_that_works_as_measured(tmp_path):
    """On simulated data the agents are exactly as available as their sessions say: factor about 1."""
    seen: list[str] = []
    result = calibrate(calls=_calls_log(tmp_path, 8), out=tmp_path / "cal",
                       progress=lambda kind, done: seen.append(kind))
    assert "back-test simulations fitting the capacity factor" in seen  # long work shows progress
    est = result.estimates["capacity_factor"]
    assert est.low <= est.value <= est.high
    assert 0.85 <= est.value <= 1.15 and est.low < 1.1 and est.high > 0.9
    assert result.scenario.teams[0].staffing_scale == round(est.value, 4)
    assert "capacity factor" in (tmp_path / "cal" / "calibrated.yaml").read_text(encoding="utf-8")


def test_holdout_without_calls_in_it_is_exit_2(tmp_path):
    log = _calls_log(tmp_path, 4, days=3)
    res = CliRunner().invoke(main, ["calibrate", "--calls", str(log), "--train-until", "2026-03-04",
                                    "--holdout-from", "2026-04-01", "--out", str(tmp_path / "c")])
    assert res.exit_code == 2 and "--holdout-from" in res.output and "no calls" in res.output


def test_staffing_from_agent_sessions():
    z = "UTC"
    t0 = pd.Timestamp("2026-03-02 09:00", tz=z)

    def row(agent, start_min, end_min):
        return {"agent": agent, "outcome": "answered", "answered": t0 + pd.Timedelta(minutes=start_min),
                "ended": t0 + pd.Timedelta(minutes=end_min)}
    # agent a: 09:00-10:30 with short gaps (one session); agent b: 09:00-09:10, then 11:00-11:10 (two)
    calls = pd.DataFrame([row("a", 0, 20), row("a", 30, 50), row("a", 70, 90),
                          row("b", 0, 10), row("b", 120, 130)])
    grid = staffing_grid(calls, z, dt.date(2026, 3, 2), dt.date(2026, 3, 2))
    assert grid.loc[dt.date(2026, 3, 2), 9] == 1.0 + 10 / 60
    assert grid.loc[dt.date(2026, 3, 2), 10] == 0.5
    assert grid.loc[dt.date(2026, 3, 2), 11] == 10 / 60
    week = week_table(grid, [dt.date(2026, 3, 2)])
    assert week[9] == grid.loc[dt.date(2026, 3, 2), 9] and week[24 + 9] == week[9]  # unseen days: the mean day


def test_dispersion_poisson_and_overdispersed():
    rng = np.random.default_rng(0)
    weekday = np.arange(70) % 7
    poisson = rng.poisson(200, 70).astype(float)
    est = dispersion(poisson, weekday)
    assert est.covers(1.0)
    gamma = rng.poisson(200 * rng.gamma(1 / 0.05, 0.05, 70)).astype(float)  # variance/mean = 1 + 200 * 0.05 = 11
    est2 = dispersion(gamma, weekday)
    assert est2.low > 3 and est2.covers(11.0)
    assert FitLog().warnings == []


def test_handle_by_source_written_when_sources_differ():
    from leadsim.calibration.command import _handle_by_source, _talk_by_source
    from leadsim.calibration.writer import start, validate

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"reached": np.ones(400, bool), "source": ["web_form"] * 200 + ["tradeshow"] * 200,
                          "duration": np.r_[rng.lognormal(np.log(100), 0.5, 200),
                                            rng.lognormal(np.log(350), 0.5, 200)]})
    log = FitLog()
    doc = start(load_scenario("baseline"))
    _handle_by_source(table, _talk_by_source(table, log), doc, log)
    by_source = validate(doc).teams[0].handle_by_source
    assert set(by_source) == {"web_form", "tradeshow"}
    same = table.assign(source=["web_form", "tradeshow"] * 200)
    doc2 = start(load_scenario("baseline"))
    _handle_by_source(same, _talk_by_source(same, FitLog()), doc2, FitLog())
    assert not validate(doc2).teams[0].handle_by_source


def test_calls_beside_leads_stay_in_fit_json(tmp_path):
    scenario = load_scenario(str(_scenario(tmp_path, 6, days=3)))
    result = simulate(scenario, scenario.run.seed, 0)
    from leadsim.outputs.logs import write_leads_csv

    leads = write_leads_csv(result, tmp_path / "leads.csv", scenario.calendar.start, scenario.calendar.timezone)
    calls = write_calls_csv(result, tmp_path / "calls.csv", scenario.calendar.start, scenario.calendar.timezone)
    out = calibrate(leads=leads, calls=calls, out=tmp_path / "cal", base="baseline")
    assert "inbound" in out.fit["fits"] and any("mixed inbound and outbound" in w for w in out.fit["warnings"])
    assert out.scenario.teams[0].staffing is None  # the base's headcount and shifts, not a measured table
