"""Issue 11, item 1: the verdict lines of run, compare and staff (pure functions, hand-made inputs)."""

from __future__ import annotations

import re

import pytest

from leadsim.outputs import verdict as v
from leadsim.planner.compare import Comparison, Variant, paired_difference
from leadsim.planner.staffing import Candidate, ErlangAnswer, StaffingAnswer, Target


def _doc(replications: int, conversions: tuple[float, float | None, float | None]) -> dict:
    mean, low, high = conversions
    def entry(m, lo=None, hi=None, unit=""):
        return {"mean": m, "ci_low": lo, "ci_high": hi, "unit": unit}
    return {"scenario": "baseline", "seed": 1, "replications": replications, "metrics": {
        "leads": entry(2510.0), "conversions": entry(mean, low, high),
        "profit": entry(22115.0, 20000.0 if low else None, 24000.0 if low else None),
        "speed_to_first_attempt_p50_min": entry(16.86), "share_first_attempt_within_5_min": entry(0.426),
        "share_never_attempted": entry(0.058)}}


def test_run_verdict_one_replication_says_the_noise() -> None:
    hours = v.OffHours(share_of_leads=0.35, share_waiting_over_8h=0.58, median_wait_min=806.0,
                       office_median_wait_min=0.2)
    lines = v.run_verdict(_doc(1, (109.0, None, None)), 28, 10, "USD", hours, width=200)
    assert lines[0] == "baseline: 4 measured weeks, 10 reps, 1 replication (seed 1)"
    assert lines[1] == "  2,510 leads, 109 conversions, profit 5,529 USD per week (22,115 USD over the window)"
    assert lines[2] == "  median first call 17 min; 43% called within 5 min; 6% never called"
    assert lines[3].startswith("  58% of off-hours leads (35% of all) wait over 8 h for a first call "
                               "(median 13.4 h; on shift: under a minute)")
    # 109 +- 2 sqrt(109) = 88.1 .. 129.9
    assert "1 replication: one draw of luck, no interval" in lines[4] and "88-130" in lines[4]


def test_run_verdict_with_intervals_and_width() -> None:
    lines = v.run_verdict(_doc(10, (109.0, 100.0, 118.0)), 9, 1, width=60)
    text = "\n".join(lines)
    assert lines[0].startswith("baseline: 9 measured days, 1 rep, 10 replications")
    assert "109 conversions (95%: 100 to 118)" in text.replace("\n    ", " ")
    # profit per week: 22,115 / (9/7) = 17,201; its interval likewise.
    assert "profit 17,201 per week (95%: 15,556 to 18,667)" in text.replace("\n    ", " ")
    assert "one draw of luck" not in text
    assert all(len(line) <= 60 for line in lines), lines


def _comparison(pairs: dict[str, tuple[list[float], list[float]]]) -> Comparison:
    return Comparison("baseline", 5, 1, [Variant("faster", {m: paired_difference(b, w) for m, (b, w) in pairs.items()})])


def test_compare_verdict_is_direction_aware() -> None:
    base = [10.0, 12.0, 11.0, 9.0, 13.0]
    comparison = _comparison({
        "conversions": (base, [x + 3 + 0.1 * i for i, x in enumerate(base)]),  # up: better
        "profit": (base, [x - 5 + 0.1 * i for i, x in enumerate(base)]),  # down: worse
        "speed_to_first_attempt_p50_min": (base, [x - 2 + 0.1 * i for i, x in enumerate(base)]),  # down: better
        "contact_rate": ([0.5, 0.4, 0.6, 0.5, 0.5], [0.51, 0.39, 0.6, 0.52, 0.48]),  # straddles 0
    })
    lines = v.compare_verdict(comparison, 28, width=100)
    verdicts = {line.split("  ")[1].strip(): line for line in lines if line.startswith("  ") and line.strip()}
    assert verdicts["conversions"].endswith(" better")
    assert verdicts["profit"].endswith(" worse")
    assert verdicts["median first call"].endswith(" better")
    assert verdicts["contact rate"].endswith("no detectable difference")
    assert "4 measured weeks each" in lines[0]
    assert all(len(line) <= 100 for line in lines)


def test_judge_identical_and_single() -> None:
    same = paired_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert v.judge(same, True) == "no difference"
    assert v.judge(paired_difference([1.0], [2.0]), True) == "no interval"


@pytest.mark.parametrize("width", [60, 80, 100])
def test_fit_wraps_long_lines(width: int) -> None:
    long = "  " + " ".join(["word"] * 60)
    out = v.fit([long, "short"], width)
    assert all(len(line) <= width for line in out) and out[-1] == "short"
    assert " ".join(" ".join(out[:-1]).split()) == " ".join(long.split())


def test_staff_verdict_table_marks_the_answer() -> None:
    target = Target("share_first_attempt_within_5_min", ">=", 0.9)
    cands = [Candidate(h, m, m - 0.02, m + 0.02, m >= 0.9, m - 0.02 >= 0.9, {},
                       {"cost": 1000.0 * h, "conversions": 10.0 + h, "profit": 500.0 - 10 * h})
             for h, m in ((4, 0.8), (5, 0.91), (6, 0.95))]
    answer = StaffingAnswer(target, "sdr", 10, 1, 1, 20, cands, by_mean=5, by_interval=6,
                            erlang=ErlangAnswer(4, 0.5, 3.0))
    lines = v.staff_verdict(answer, "baseline", 28, "USD", width=100)
    assert lines[0].startswith("baseline: 5 reps in team sdr meet share_first_attempt_within_5_min >= 90.0%")
    assert "with 95% confidence: 6" in " ".join(lines)
    rows = [line for line in lines if re.match(r"^\s+\d+\s", line)]
    assert len(rows) == 3 and rows[1].endswith("<- answer") and rows[0].endswith("misses")
    assert "91.0% (89.0% to 93.0%)" in rows[1] and "5,000" in rows[1] and "15" in rows[1] and "450" in rows[1]
    assert [r["answer"] for r in v.staffing_rows(answer)] == [False, True, False]
    erlang = " ".join(line.strip() for line in lines[lines.index(next(x for x in lines if x.startswith("Erlang"))):])
    assert erlang.startswith("Erlang C says 4 on duty (against 5 simulated), assuming steady arrivals")
    assert all(len(line) <= 100 for line in lines)


def test_sweep_verdict_names_best_and_worst_by_direction() -> None:
    rows = [{"teams.sdr.headcount": h, "replications": 3,
             "profit": p, "profit_ci_low": p - 10, "profit_ci_high": p + 10,
             "speed_to_first_attempt_p50_min": s, "rep_occupancy": o}
            for h, p, s, o in ((4, 300.0, 40.0, 0.7), (8, 500.0, 12.0, 0.4), (12, 100.0, 5.0, 0.3))]
    params = ["teams.sdr.headcount"]
    lines = v.sweep_verdict(rows, params, ["profit", "speed_to_first_attempt_p50_min", "rep_occupancy"], 3, 1, 28,
                            width=200)
    assert lines[0] == ("sweep over teams.sdr.headcount: 3 points, 3 replications per point, "
                        "4 measured weeks each, seed 1")
    assert lines[1] == "  profit: best 500 (95%: 490 to 510) at headcount=8; worst 100 at headcount=12"
    assert lines[2] == "  speed_to_first_attempt_p50_min: best 5.0 min at headcount=12; worst 40.0 min at headcount=4"
    assert lines[3] == "  rep_occupancy: highest 70.0% at headcount=4; lowest 30.0% at headcount=12"
    interrupted = [dict(row, replications=2) for row in rows]
    assert v.sweep_verdict(interrupted, params, ["profit"], 3, 1, width=200)[0] == (
        "sweep over teams.sdr.headcount: 3 points, 2 of 3 replications per point (interrupted: 3 partial points "
        "marked *), seed 1")
    assert v.higher_is_better("share_first_attempt_within_5_min") is True
    assert v.higher_is_better("share_waited") is False and v.higher_is_better("attempts") is None
