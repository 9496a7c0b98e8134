"""Regression test: small seeded runs write byte-identical leads.csv and attempts.csv.

Speed work on the hot path (engine, floor, physics, recorder) and on the CSV
writers must not change a single byte of what a run writes where the model does
not change. The digests below are the sha256 of the files written by
``write_leads_csv`` / ``write_attempts_csv`` for each case:

- ``baseline`` and ``contact_centre``: computed on main at 67a839f (before the
  random-spacing and speed branch) and unchanged by it;
- ``baseline`` with random spacing: computed when random spacing landed.

If a change is *meant* to alter results (a model change), regenerate the digest
and say why in the commit. The digests also depend on the float formatting of
numpy/pandas (pinned by the environment): a library upgrade that fails this test
needs a look, not a blind update.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from leadsim.outputs.logs import write_attempts_csv, write_leads_csv
from leadsim.scenarios.loader import load_scenario
from leadsim.simulator.run import simulate

RANDOM_SPACING = "policy.cadence.spacing_minutes=[0, {exponential: {mean: 30}}, {lognormal: {mean: 1440, sd: 700}}]"

CASES = {
    "baseline": (
        "baseline", ("run.days=7", "run.drain_days=3"),
        "29ea744256300a13ba28a2b7d43600d210324f277074294a8948ba19dfa39db5",
        "aa3f40796754172e1d329bcc7869c1b7b3023fa78b6724672a316ca51074b536",
    ),
    "contact_centre": (
        "contact_centre", ("run.days=2",),
        "90183b81a4ea8a36d87fe4a5bb25de4d516596378393fcf2ad654e72fdd1cc63",
        "8ca0aa1cec9a78c979587c0f3bdf52f20ae35a2a295935e5c907eecfa5182726",
    ),
    "baseline_random_spacing": (
        "baseline", ("run.days=7", "run.drain_days=3", RANDOM_SPACING),
        "68c9a1eabdffc48c28b14d162d1417f6acc9857b1083879109ed60050cedb266",
        "e7ccf43b1eed70c97e1d12a81bd6a230b3082a0e039011a1dc566e81dee57f1e",
    ),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", sorted(CASES))
def test_regression_logs_are_byte_identical(case: str, tmp_path: Path) -> None:
    name, overrides, leads_digest, attempts_digest = CASES[case]
    scenario = load_scenario(name, list(overrides))
    result = simulate(scenario)
    start, zone = scenario.calendar.start, scenario.calendar.timezone
    leads = write_leads_csv(result, tmp_path / "leads.csv", start, zone)
    attempts = write_attempts_csv(result, tmp_path / "attempts.csv", start, zone)
    assert len(result.attempts) > 1000  # a run that exercises the hot path
    assert _sha256(leads) == leads_digest, f"{case}: leads.csv changed"
    assert _sha256(attempts) == attempts_digest, f"{case}: attempts.csv changed"
