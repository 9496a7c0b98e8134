"""The figures of docs/contact-centre.md are what the commands shown beside them produce."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leadsim.planner.staffing import find_headcount, parse_target, scale_loader
from leadsim.scenarios.loader import load_scenario
from leadsim.simulator.metrics import compute_all
from leadsim.simulator.run import simulate

PAGE = Path(__file__).resolve().parents[1] / "docs" / "contact-centre.md"


def figures(command: str) -> list[list[str]]:
    """The rows of the table after ``<!-- figures: COMMAND -->``."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"<!-- figures: {command} -->")
    rows = []
    for line in lines[start + 3:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    assert rows, command
    return rows


def shown(name: str, value: float) -> str:
    """A metric as the page shows it (as the run table prints it)."""
    if name.startswith(("calls_offered", "calls_answered", "calls_abandoned")):
        return f"{value:,.0f}"
    if name.endswith(("_seconds", "per_agent_hour")):
        return f"{value:.2f}"
    return f"{value:.1%}"


def test_one_week_figures() -> None:
    metrics = compute_all(simulate(load_scenario("contact_centre")))["metrics"]
    for name, value in figures("leadsim run contact_centre"):
        assert shown(name, metrics[name]) == value, name


def test_the_scenario_is_what_the_page_says() -> None:
    scenario = load_scenario("contact_centre")
    assert scenario.contact is None and scenario.conversion is None
    (source,) = scenario.sources
    assert source.kind == "inbound_call" and source.abandonment.then == "lost"
    assert scenario.teams[0].staffing is not None


@pytest.mark.slow
def test_staff_scales_the_roster_to_meet_80_20() -> None:
    rows = figures('leadsim staff contact_centre --target "service_level>=0.8" -r 3')
    answer = find_headcount(scale_loader("contact_centre", [], 0), parse_target("service_level>=0.8"), "agents",
                            100, 1, 200, 3, 1, 1)
    assert answer.by_mean == 104
    by_level = {c.headcount: c for c in answer.candidates}
    for level, mean, interval in rows:
        c = by_level[int(level)]
        low, high = (float(x.strip(" %")) / 100 for x in interval.strip("[]").split(","))
        assert f"{c.mean:.1%}" == mean
        assert (f"{c.ci_low:.1%}", f"{c.ci_high:.1%}") == (f"{low:.1%}", f"{high:.1%}")
    assert re.search(r"\*\*104%\*\*", PAGE.read_text(encoding="utf-8"))
