"""Sweeps: the --param syntax, grid points, plot data and a small real sweep."""

from __future__ import annotations

import math

import pytest

from leadsim.outputs.plots import draw_sweep, sweep_plot_data
from leadsim.planner.specs import SpecError
from leadsim.planner.sweep import (
    check_params,
    grid_points,
    load_points,
    parse_param,
    point_overrides,
    run_sweep,
)
from leadsim.scenarios.errors import ScenarioError

#: erlang_c, shortened: a 2-hour warm-up, half a day measured (a few hundredths of a second).
FAST_MMC = ["run.warmup_days=0.1", "run.days=0.5", "run.drain_days=0.05"]


@pytest.mark.parametrize(
    "text,path,values",
    [
        ("teams.sdr.headcount=6..10", "teams.sdr.headcount", (6, 7, 8, 9, 10)),
        ("teams.sdr.headcount=6..16:5", "teams.sdr.headcount", (6, 11, 16)),
        ("teams.sdr.headcount=6..15:4", "teams.sdr.headcount", (6, 10, 14)),  # HI not on a step
        ("a.b=0.1..0.3:0.1", "a.b", (0.1, 0.2, 0.3)),  # no 0.30000000000000004
        ("a.b=-2..2:2", "a.b", (-2, 0, 2)),
        ("a.b = 1..2", "a.b", (1, 2)),
        ("policy.distribution=shared_pool,round_robin", "policy.distribution",
         ("shared_pool", "round_robin")),
        ("a.b=1,2.5,4", "a.b", (1, 2.5, 4)),
    ],
)
def test_good_params(text: str, path: str, values: tuple) -> None:
    param = parse_param(text)
    assert param.path == path and param.values == values
    assert all(type(v) is type(e) for v, e in zip(param.values, values))


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("teams.sdr.headcount", "expected PATH=LO..HI[:STEP]"),
        ("=1..3", "expected PATH=LO..HI[:STEP]"),
        ("a..b=1..3", "expected PATH=LO..HI[:STEP]"),
        ("a=6-16", "neither a range nor a list"),
        ("a=6", "neither a range nor a list"),
        ("a=6..", "malformed range"),
        ("a=..6", "malformed range"),
        ("a=1..3:", "malformed range"),
        ("a=1..2..3", "malformed range"),
        ("a=x..9", "LO 'x' is not a number"),
        ("a=1..9:two", "STEP 'two' is not a number"),
        ("a=9..1", "LO (9) is above HI (1)"),
        ("a=1..9:0", "STEP must be > 0"),
        ("a=1..9:-1", "STEP must be > 0"),
        ("a=0.5..0.9", "needs a step"),
        ("a=1..100000", "at most"),
        ("a=1,1", "repeats"),
        ("a=1,,2", "neither a range nor a list"),
    ],
)
def test_bad_params(text: str, fragment: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_param(text)
    assert fragment in str(info.value) and repr(text) in str(info.value)


def test_grid_rules() -> None:
    a, b = parse_param("x=1..3"), parse_param("y=10,20")
    check_params([a, b])
    assert grid_points([a, b]) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
    assert point_overrides([a, b], (2, 1)) == ["x=3", "y=20"]
    with pytest.raises(SpecError, match="one or two"):
        check_params([a, b, parse_param("z=1..2")])
    with pytest.raises(SpecError, match="given twice"):
        check_params([a, parse_param("x=5..6")])
    with pytest.raises(SpecError, match="grid points"):
        check_params([parse_param("x=1..100"), parse_param("y=1..100")])


def test_unknown_path_is_reported_as_a_param() -> None:
    with pytest.raises(ScenarioError) as info:
        load_points("erlang_c", [], [parse_param("teams.0.headcunt=1..2")])
    text = str(info.value)
    assert "teams.0.headcunt" in text and "--param" in text and "--set" not in text


def test_out_of_range_value_is_caught_before_running() -> None:
    with pytest.raises(ScenarioError, match="headcount"):
        load_points("erlang_c", [], [parse_param("teams.0.headcount=-1..2")])


# ---------------------------------------------------------------- plot data


ROWS_1D = [
    {"h": 1, "replications": 3, "m": 0.5, "m_ci_low": 0.4, "m_ci_high": 0.6},
    {"h": 2, "replications": 3, "m": 0.7, "m_ci_low": None, "m_ci_high": None},
]


def test_line_plot_data() -> None:
    data = sweep_plot_data(ROWS_1D, ["h"], "m")
    assert data["kind"] == "line" and data["x"] == [1, 2] and data["mean"] == [0.5, 0.7]
    assert data["low"][0] == 0.4 and math.isnan(data["low"][1])


def test_heatmap_data() -> None:
    rows = [{"a": a, "b": b, "replications": 2, "m": 10 * a + b, "m_ci_low": 10 * a + b - 1,
             "m_ci_high": 10 * a + b + 1} for a in (1, 2, 3) for b in (5, 6)]
    data = sweep_plot_data(rows, ["a", "b"], "m")
    assert data["kind"] == "heatmap" and data["y"] == [1, 2, 3] and data["x"] == [5, 6]
    assert data["mean"][2][1] == 36 and data["half"][0][0] == 1.0


def test_draw_writes_png(tmp_path) -> None:
    path = draw_sweep(ROWS_1D, ["h"], ["m"], tmp_path / "one.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = [{"a": a, "b": b, "replications": 1, "m": a * len(b), "m_ci_low": None, "m_ci_high": None}
            for a in (1, 2) for b in ("x", "yy")]
    assert draw_sweep(rows, ["a", "b"], ["m", "m"], tmp_path / "two.png").stat().st_size > 1000


# ---------------------------------------------------------------- a real sweep


def test_more_reps_wait_less() -> None:
    params = [parse_param("teams.0.headcount=5..7")]
    points = load_points("erlang_c", FAST_MMC, params)
    result = run_sweep(points, params, replications=3, seed=5, jobs=1)
    rows = result.rows()
    assert [r["teams.0.headcount"] for r in rows] == [5, 6, 7]
    waits = [r["speed_to_first_attempt_mean_min"] for r in rows]
    assert waits[0] > waits[1] > waits[2]
    # Same seeds at every point: the same leads arrive.
    assert len({r["leads"] for r in rows}) == 1
    assert all(r["replications"] == 3 and r["leads_ci_low"] is not None for r in rows)
