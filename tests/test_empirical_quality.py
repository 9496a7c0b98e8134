"""Lead quality from a table (``quality: {empirical: ...}``): draws, mean, prefix stability, bad tables."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from leadsim.cli import main
from leadsim.engine import FloorCalendar
from leadsim.scenarios.schema import Source
from leadsim.simulator.arrivals import generate

CAL = FloorCalendar(dt.date(2026, 1, 5), "UTC")


def web(quality: dict) -> Source:
    return Source.model_validate({"name": "web", "volume": {"per_day": 2000}, "profile": "flat",
                                  "quality": quality})


def test_a_discrete_table_draws_its_values_in_proportion() -> None:
    table = {"empirical": {"values": [0.1, 0.5, 0.9], "probabilities": [2, 1, 1]}}
    drawn = generate(web(table), CAL, 7 * 1440.0, ["UTC"], seed=3, replication=0)
    values, counts = np.unique(drawn.quality, return_counts=True)
    assert values.tolist() == pytest.approx([0.1, 0.5, 0.9])
    shares = counts / counts.sum()
    n = counts.sum()
    for share, expected in zip(shares, (0.5, 0.25, 0.25)):
        # 4.5 standard errors: a real bug (wrong weights, off-by-one bins) is far outside.
        assert abs(share - expected) < 4.5 * np.sqrt(expected * (1 - expected) / n)
    assert drawn.mean_quality == pytest.approx((2 * 0.1 + 0.5 + 0.9) / 4)


def test_quantiles_interpolate_between_the_points() -> None:
    table = {"empirical": {"values": [0.2, 0.4, 0.8], "quantiles": [0, 0.5, 1]}}
    drawn = generate(web(table), CAL, 7 * 1440.0, ["UTC"], seed=3, replication=0)
    assert drawn.quality.min() >= 0.2 and drawn.quality.max() <= 0.8
    assert np.median(drawn.quality) == pytest.approx(0.4, abs=0.02)
    # Trapezoids: 0.5 * 0.3 + 0.5 * 0.6.
    assert drawn.mean_quality == pytest.approx(0.45)


def test_a_lead_keeps_its_quality_whatever_the_run_length() -> None:
    table = {"empirical": {"values": [0.1, 0.5, 0.9], "probabilities": [1, 1, 1]}}
    short = generate(web(table), CAL, 3 * 1440.0, ["UTC"], seed=5, replication=0)
    long = generate(web(table), CAL, 9 * 1440.0, ["UTC"], seed=5, replication=0)
    assert np.array_equal(long.quality[: short.quality.size], short.quality)


@pytest.mark.parametrize("table, rule", [
    ({"values": [0.2, 1.5], "probabilities": [1, 1]}, "less than"),
    ({"values": [0.2, 0.4], "probabilities": [1]}, "same length"),
    ({"values": [0.2, 0.4]}, "exactly one"),
    ({"values": [0.4, 0.2], "quantiles": [0, 1]}, "must not decrease"),
])
def test_a_bad_quality_table_is_refused(table: dict, rule: str) -> None:
    with pytest.raises(ValidationError, match=rule):
        web({"empirical": table})


def test_a_run_with_a_quality_table_and_a_bad_one_from_the_cli(tmp_path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["run", "baseline", "--days", "2", "--out", str(tmp_path / "ok"), "--set",
                              "sources.web_form.quality={empirical: {values: [0.2, 0.6], probabilities: [1, 3]}}"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(main, ["validate", "baseline", "--set",
                               "sources.web_form.quality={empirical: {values: [0.2, 0.6], probabilities: [1]}}"])
    assert bad.exit_code == 2
    assert "quality" in bad.output and "Traceback" not in bad.output
