"""Calibration fits: unit checks on synthetic data with known answers, the round trip, the CLI.

The round trip simulates the bundled baseline (known parameters), writes its logs
as ``leadsim run`` does, calibrates them, and checks that the known values lie in
the fitted 95% intervals. The coverage across seeds is measured by
benchmarks/bench_calibrate_roundtrip.py (94.0% of 851 checks over seeds 1-10);
here one seed must have at least 85% of its known values inside, and every
calibrated scenario must load and run.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from leadsim.calibration.command import calibrate
from leadsim.calibration.estimates import FitLog, proportion
from leadsim.calibration.fits_contact import fit_contact
from leadsim.calibration.fits_handle import fit_durations
from leadsim.calibration.fits_inbound import fit_patience, kaplan_meier
from leadsim.calibration.truth import arrival_estimates, coverage, known_values
from leadsim.cli import main
from leadsim.outputs.logs import write_attempts_csv, write_leads_csv
from leadsim.scenarios.loader import load_scenario
from leadsim.simulator.run import simulate

# ---------------------------------------------------------------- unit fits


def test_handle_time_family_chosen_by_likelihood():
    rng = np.random.default_rng(3)
    gamma = rng.gamma(2.0, 3.0, size=4000)
    entry = fit_durations(gamma, "talk", FitLog())
    assert entry["best"] == "gamma"
    assert entry["mean_minutes"]["ci95"][0] <= 6.0 <= entry["mean_minutes"]["ci95"][1]
    assert entry["written"]["lognormal"]["mean"] == pytest.approx(gamma.mean(), rel=1e-6)
    lognormal = rng.lognormal(1.0, 0.5, size=4000)
    assert fit_durations(lognormal, "talk", FitLog())["best"] == "lognormal"
    assert fit_durations(np.full(50, 1.8), "busy", FitLog())["written"] == {"fixed": 1.8}


def test_a_gamma_best_fit_is_written_as_a_gamma_that_reproduces_the_data():
    from leadsim.calibration.inbound import handle_form
    from leadsim.scenarios.schema import GammaDist
    from leadsim.simulator.distributions import sampler

    rng = np.random.default_rng(5)
    minutes = rng.gamma(2.0, 3.0, size=4000)  # mean 6, sd 4.24
    entry = fit_durations(minutes, "talk", FitLog())
    assert entry["best"] == "gamma"
    form = handle_form(entry)
    assert form is not None and set(form) == {"gamma"}
    assert form["gamma"]["mean"] == pytest.approx(minutes.mean(), rel=1e-6)
    assert form["gamma"]["sd"] == pytest.approx(minutes.std(ddof=1), rel=1e-3)
    # The written form is a valid scenario duration, and drawing from it gives back the data's
    # distribution: quantiles within sampling error of the sample's (4000 draws each side).
    draw = sampler(GammaDist.model_validate(form))
    u = (np.arange(4000) + 0.5) / 4000
    drawn = np.array([draw(x) for x in u])
    for q in (0.1, 0.5, 0.9):
        assert np.quantile(drawn, q) == pytest.approx(np.quantile(minutes, q), rel=0.06)


def test_a_gamma_duration_is_validated_and_has_its_mean():
    from pydantic import ValidationError

    from leadsim.scenarios.schema import GammaDist
    from leadsim.simulator.distributions import mean, sampler

    dist = GammaDist.model_validate({"gamma": {"mean": 7.0, "sd": 5.0}})
    assert mean(dist) == 7.0
    draw = sampler(dist)
    u = (np.arange(20000) + 0.5) / 20000  # a deterministic quadrature of the inverse CDF
    assert np.mean([draw(x) for x in u]) == pytest.approx(7.0, rel=1e-3)
    with pytest.raises(ValidationError, match="shape"):
        GammaDist.model_validate({"gamma": {"mean": 0.01, "sd": 1000.0}})


def test_handle_time_too_few_rows_kept_from_base():
    log = FitLog()
    assert fit_durations(np.ones(5), "busy", log)["written"] is None
    assert "kept from the base" in log.warnings[0]


def test_wilson_interval():
    e = proportion(0, 50)
    assert e.value == 0 and e.low == 0 and 0 < e.high < 0.1
    assert proportion(0, 0).n == 0 and math.isnan(proportion(0, 0).value)


def _synthetic_attempts(n_leads: int, seed: int) -> pd.DataFrame:
    """Attempts drawn from the scenario's contact model with known parameters."""
    rng = np.random.default_rng(seed)
    base = {"a": 0.4, "b": 0.2}
    attempt_odds = [1.0, 0.7, 0.5]
    rows = []
    for lead in range(n_leads):
        source = "a" if lead % 2 else "b"
        age = 0.0
        for k in range(1, 4):
            age += rng.exponential(60.0) if k > 1 else rng.exponential(5.0)
            hour, weekday = int(rng.integers(8, 18)), int(rng.integers(0, 5))
            odds = base[source] / (1 - base[source]) * attempt_odds[k - 1]
            odds *= 0.3 + 0.7 * 0.5 ** (age / 20.0)
            odds *= 1.5 if hour == 16 else 1.0
            reached = rng.random() < odds / (1 + odds)
            rows.append({"lead": lead, "source": source, "k": k, "age_min": age, "hour": hour,
                         "weekday": weekday, "outcome": "contact" if reached else "no_answer",
                         "reached": reached, "after_reach": False})
            if reached:
                break
    return pd.DataFrame(rows)


def test_contact_model_recovers_known_parameters():
    table = _synthetic_attempts(6000, 11)
    fit = fit_contact(table, np.zeros(len(table), dtype=bool), FitLog())
    est = fit["_estimates"]
    ref_h = fit["reference"]["hour"]
    shift = 1.5 if ref_h == 16 else 1.0
    for source, p in (("a", 0.4), ("b", 0.2)):
        odds = p / (1 - p) * shift
        assert est[f"contact.base.{source}"].covers(odds / (1 + odds)), est[f"contact.base.{source}"]
    assert est["contact.attempt_odds.2"].covers(0.7)
    assert est["contact.attempt_odds.3"].covers(0.5)
    assert est["contact.age_decay.half_life_minutes"].covers(20.0)
    assert est["contact.age_decay.floor_odds"].covers(0.3)
    assert est[f"contact.hour_odds.{16 if ref_h != 16 else 9}"].covers(1.5 if ref_h != 16 else 1 / 1.5)
    # the goodness-of-fit table: fitted and observed contact rates per attempt agree
    for row in fit["calibration_by_attempt"]:
        assert row["fitted"] == pytest.approx(row["observed"], abs=0.02)


def test_contact_model_pools_sparse_cells_with_a_warning():
    table = _synthetic_attempts(400, 5)
    table.loc[table.index[:3], "hour"] = 3  # three calls at 03:00
    log = FitLog()
    fit = fit_contact(table, np.zeros(len(table), dtype=bool), log)
    assert any("local hours [3]" in w and "pooled" in w for w in log.warnings)
    assert "contact.hour_odds.3" not in fit["_estimates"]


def test_kaplan_meier_by_hand():
    rows = kaplan_meier(np.array([1.0, 2.0, 2.0, 3.0, 4.0]), np.array([True, True, False, True, False]))
    assert [r["survival"] for r in rows] == [0.8, 0.6, 0.3]


def test_patience_fit_with_censoring_recovers_weibull():
    rng = np.random.default_rng(2)
    patience = 60.0 * rng.weibull(1.5, size=5000)
    wait = rng.exponential(40.0, size=5000)
    abandoned = patience < wait
    observed = np.where(abandoned, patience, wait)
    fit = fit_patience(observed, abandoned, FitLog())
    shape, _, scale = fit["fits"]["weibull"]["params"]
    assert fit["best"] == "weibull"
    assert shape == pytest.approx(1.5, rel=0.1) and scale == pytest.approx(60.0, rel=0.1)
    naive_mean = observed[abandoned].mean()  # ignoring censoring is badly biased
    assert fit["fits"]["weibull"]["mean_seconds"] > 1.3 * naive_mean


# ---------------------------------------------------------------- round trip


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("roundtrip")
    scenario = load_scenario("baseline")
    result = simulate(scenario, 1, 0)
    write_leads_csv(result, folder / "leads.csv", scenario.calendar.start, scenario.calendar.timezone)
    write_attempts_csv(result, folder / "attempts.csv", scenario.calendar.start, scenario.calendar.timezone)
    return folder, scenario


@pytest.fixture(scope="module")
def calibrated(simulated):
    folder, _ = simulated
    return calibrate(leads=folder / "leads.csv", activities=folder / "attempts.csv", base="baseline",
                     out=folder / "cal")


def test_round_trip_known_values_inside_intervals(simulated, calibrated):
    _, scenario = simulated
    estimates = dict(calibrated.estimates)
    estimates.update(arrival_estimates(calibrated.fit))
    rows = coverage(estimates, known_values(scenario, calibrated.fit))
    groups = {".".join(r["parameter"].split(".")[:2]) for r in rows}
    # every kind of known value the issue names is checked
    for group in ("contact.base", "contact.attempt_odds", "conversion.qualify", "conversion.close",
                  "handle_minutes.talk", "arrivals.web_form"):
        assert group in groups
    assert len(rows) >= 60
    share = sum(r["covered"] for r in rows) / len(rows)
    assert share >= 0.85, [r for r in rows if not r["covered"]]
    # and nothing is wildly off: every estimate is within 3 interval half-widths of the truth
    for r in rows:
        half = (r["high"] - r["low"]) / 2
        assert abs(r["estimate"] - r["truth"]) <= 3 * half + 1e-9, r


def test_round_trip_writes_a_runnable_commented_scenario(calibrated):
    text = calibrated.files["calibrated"].read_text(encoding="utf-8")
    assert "# fitted" in text and "95% CI" in text and "n=" in text
    assert "Everything else comes from the base scenario 'baseline'" in text
    reloaded = load_scenario(str(calibrated.files["calibrated"]))
    assert reloaded == calibrated.scenario
    assert reloaded.sources[[s.name for s in reloaded.sources].index("tradeshow")].kind == "batch"
    assert reloaded.teams[0].handle_minutes.wrap.fixed == 0.0  # type: ignore[union-attr]
    fit = json.loads(calibrated.files["fit"].read_text(encoding="utf-8"))
    assert fit["read"]["leads"]["rows_quarantined"] == 0
    assert "policy.cadence.call_target" in fit["provenance"]["fitted"]
    assert fit["fits"]["practice"]["scenario"]["call_target"] == 6
    result = simulate(reloaded.model_copy(update={"run": reloaded.run.model_copy(update={"days": 7.0})}), 1, 0)
    assert len(result.leads) > 100


def test_leads_only_fits_arrivals_and_says_the_rest_is_base(simulated, tmp_path):
    folder, _ = simulated
    result = calibrate(leads=folder / "leads.csv", base="baseline", out=tmp_path)
    fitted = result.fit["provenance"]["fitted"]
    assert "sources.web_form.volume" in fitted
    assert not any(f.startswith("contact.") for f in fitted)
    assert result.scenario.contact == load_scenario("baseline").contact


# ---------------------------------------------------------------- CLI


def test_cli_calibrate_end_to_end(simulated, tmp_path):
    folder, _ = simulated
    out = tmp_path / "cal"
    res = CliRunner().invoke(main, ["calibrate", "--leads", str(folder / "leads.csv"), "--activities",
                                    str(folder / "attempts.csv"), "--base", "baseline", "--out", str(out),
                                    "--backtest", "3"])
    assert res.exit_code == 0, res.output
    assert "FITTED" in res.output and "contact.base.web_form" in res.output
    assert "BACK-TEST (in-sample, 3 replications)" in res.output
    backtest = json.loads((out / "backtest.json").read_text(encoding="utf-8"))
    rows = backtest["in_sample"]["metrics"]
    assert backtest["out_of_sample"] is None
    assert set(rows) >= {"contact_rate", "attempts_per_lead", "conversion_rate", "speed_to_first_attempt_p50_min"}
    # the calibrated scenario reproduces the history it was fitted to
    assert rows["contact_rate"]["history_inside_prediction"] is True
    assert abs(rows["attempts_per_lead"]["relative_error"]) < 0.1
    assert "reading activities:" in res.output  # progress (stderr is mixed in by CliRunner)
    assert "back-test replications: 3 done" in res.output
    for name in ("calibrated.yaml", "fit.json", "quarantine.csv", "backtest.json", "fit_arrivals.png",
                 "fit_contact.png", "fit_handle_times.png", "fit_speed_curve.png"):
        assert (out / name).exists(), name
    run = CliRunner().invoke(main, ["run", str(out / "calibrated.yaml"), "--days", "3", "--out", str(tmp_path / "r")])
    assert run.exit_code == 0, run.output


def test_cli_calibrate_json(simulated, tmp_path):
    folder, _ = simulated
    res = CliRunner().invoke(main, ["calibrate", "--leads", str(folder / "leads.csv"), "--out", str(tmp_path),
                                    "--json", "--backtest", "0"])
    assert res.exit_code == 0
    doc = json.loads(res.output[res.output.index("{"):])
    assert doc["read"]["leads"]["rows_used"] > 0


@pytest.mark.parametrize(("args", "message"), [
    ([], "give at least one of --leads"),
    (["--leads", "missing.csv"], "file not found"),
    (["--leads", "L", "--preset", "oracle"], "unknown preset"),
    (["--leads", "L", "--preset", "dialer_cdr", "--map", "M"], "not both"),
    (["--leads", "L", "--map", "M"], "timezone: must be an IANA time zone"),
    (["--leads", "E"], "empty leads file"),
])
def test_cli_calibrate_bad_input_exits_2(tmp_path, args, message):
    (tmp_path / "M").write_text("timezone: Mars/Olympus\n", encoding="utf-8")
    (tmp_path / "L").write_text("lead_id,created_at,source\nA,2026-01-05T08:00:00-06:00,web\n", encoding="utf-8")
    (tmp_path / "E").write_text("", encoding="utf-8")
    args = [str(tmp_path / a) if a in ("L", "M", "E") else a for a in args]
    res = CliRunner().invoke(main, ["calibrate", *args, "--out", str(tmp_path / "out"), "--backtest", "0"])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output


def test_patience_ignores_callers_who_left_before_the_queue():
    log = FitLog()
    wait = np.r_[np.zeros(500), np.full(200, 30.0), np.full(300, 90.0)]
    abandoned = np.r_[np.ones(500, bool), np.ones(200, bool), np.zeros(300, bool)]
    fit = fit_patience(wait, abandoned, log)
    assert fit["abandoned_before_queue"] == 500 and fit["abandoned"] == 200
    assert any("left before the queue" in n for n in log.notes)


def test_backtest_metrics_mean_the_same_on_both_sides():
    from leadsim.calibration.backtest import outbound_metrics

    created = np.array([0.0, 10.0, 20.0])
    m = outbound_metrics(created, np.array([0, 0, 1]), np.array([2.0, 30.0, 40.0]),
                         np.array(["no_answer", "converted", "voicemail"]), 1.0)
    assert m["contact_rate"] == pytest.approx(1 / 3) and m["conversion_rate"] == pytest.approx(1 / 3)
    assert m["attempts_per_lead"] == 1.0 and m["share_never_attempted"] == pytest.approx(1 / 3)
    assert m["share_called_once"] == 0.5 and m["speed_to_first_attempt_p50_min"] == 16.0
    assert m["share_first_attempt_within_5_min"] == pytest.approx(1 / 3)


def test_date_only_leads_across_a_midnight_dst_change(tmp_path):
    """Dates without times in a zone whose DST began at midnight: no crash, no fake batches."""
    rng = np.random.default_rng(4)
    rows = ["mql_id,first_contact_date,origin"]
    day0 = pd.Timestamp("2017-09-25")
    for d in range(42):
        for i in range(int(rng.poisson(20))):
            rows.append(f"m{d}-{i},{(day0 + pd.Timedelta(days=d)).date()},organic")
    (tmp_path / "mql.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text(
        "timezone: America/Sao_Paulo\ndate_format: '%Y-%m-%d'\n"
        "leads: {columns: {lead_id: mql_id, created_at: first_contact_date, source: origin}}\n", encoding="utf-8")
    result = calibrate(leads=tmp_path / "mql.csv", column_map=tmp_path / "map.yaml", out=tmp_path / "out")
    assert result.fit["read"]["leads"]["rows_quarantined"] == 0
    arrivals = result.fit["fits"]["arrivals"]["organic"]
    assert arrivals["date_only_timestamps"] and arrivals["kind"] == "stream" and arrivals["batches"] == []
    lo, hi = arrivals["volume_per_day"]["ci95"]
    assert lo <= 20.0 <= hi
    assert any("dates without a time of day" in w for w in result.fit["warnings"])


def test_cli_calibrate_ctrl_c_exits_130(monkeypatch, tmp_path):
    from leadsim.calibration import command

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "calibrate", interrupted)
    (tmp_path / "L").write_text("lead_id,created_at,source\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["calibrate", "--leads", str(tmp_path / "L"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 130 and "Interrupted: calibration stopped" in res.output


def test_presets_read_their_documented_exports(tmp_path):
    """Each preset reads a small export with exactly the columns it documents."""
    sf_leads = tmp_path / "Lead.csv"
    sf_leads.write_text("Id,CreatedDate,LeadSource,ConvertedDate\n"
                        "00Q1,2026-01-05T14:00:00.000Z,Web,\n00Q2,2026-01-05T15:00:00.000Z,Web,2026-01-07T15:00:00.000Z\n",
                        encoding="utf-8")
    sf_tasks = tmp_path / "Task.csv"
    sf_tasks.write_text("WhoId,OwnerId,CreatedDate,TaskSubtype,CallDisposition,CallDurationInSeconds\n"
                        "00Q1,005A,2026-01-05T14:05:00.000Z,Call,Left Voicemail,40\n"
                        "00Q2,005A,2026-01-05T15:01:00.000Z,Call,Connected,300\n"
                        "00Q2,005A,2026-01-05T15:20:00.000Z,Email,,\n", encoding="utf-8")
    hub = tmp_path / "calls.csv"
    hub.write_text("Associated Contact IDs,Activity assigned to,Activity date,Call outcome,Call duration\n"
                   "101,Ann,2026-01-05 09:00,No answer,15000\n101,Ann,2026-01-05 11:00,Connected,240000\n",
                   encoding="utf-8")
    cdr = tmp_path / "vicidial_log.csv"
    cdr.write_text("lead_id,user,call_date,status,length_in_sec\n7,agent1,2026-01-05 09:00:00,NA,20\n"
                   "7,agent1,2026-01-05 10:00:00,SALE,600\n", encoding="utf-8")
    runs = [("salesforce_tasks", {"leads": sf_leads, "activities": sf_tasks}, 3),
            ("hubspot_calls", {"activities": hub}, 2),
            ("dialer_cdr", {"activities": cdr}, 2)]
    for preset, files, used in runs:
        result = calibrate(preset=preset, base="baseline", out=tmp_path / preset, **files)
        summary = result.fit["read"]["activities"]
        assert summary["rows_used"] == used and summary["rows_quarantined"] == 0, (preset, summary)


def test_cli_holdout_backtest_out_of_sample(simulated, tmp_path):
    folder, _ = simulated
    out = tmp_path / "cal"
    res = CliRunner().invoke(main, ["calibrate", "--leads", str(folder / "leads.csv"), "--activities",
                                    str(folder / "attempts.csv"), "--base", "baseline", "--out", str(out),
                                    "--backtest", "3", "--train-until", "2026-02-02"])
    assert res.exit_code == 0, res.output
    assert "BACK-TEST (out-of-sample, 3 replications)" in res.output
    fit = json.loads((out / "fit.json").read_text(encoding="utf-8"))
    split = fit["split"]
    assert split["training"]["leads"] + split["holdout"]["leads"] == fit["read"]["leads"]["rows_used"]
    assert fit["days"]["last"] == "2026-02-01"  # fitted on the training period only
    backtest = json.loads((out / "backtest.json").read_text(encoding="utf-8"))
    oos = backtest["out_of_sample"]
    assert oos["days"]["first"] == "2026-02-02"
    # the holdout's own volume is used (it differs from the training period's)
    assert oos["metrics"]["leads_per_day"]["history"] != backtest["in_sample"]["metrics"]["leads_per_day"]["history"]
    assert oos["metrics"]["contact_rate"]["history_inside_prediction"] is True


@pytest.mark.parametrize(("args", "message"), [
    (["--train-until", "2030-01-01"], "the holdout period has no leads"),
    (["--train-until", "2020-01-01"], "the training period has no leads"),
    (["--train-until", "2026-02-02", "--holdout-from", "2026-01-20"], "must not be before --train-until"),
])
def test_cli_holdout_bad_dates_exit_2(simulated, tmp_path, args, message):
    folder, _ = simulated
    res = CliRunner().invoke(main, ["calibrate", "--leads", str(folder / "leads.csv"), "--activities",
                                    str(folder / "attempts.csv"), "--out", str(tmp_path), "--backtest", "0", *args])
    assert res.exit_code == 2 and message in res.output, res.output
