"""A snappy command line: heavy libraries load only in the commands that use them.

``import leadsim.cli`` in a fresh interpreter must not load scipy.stats, pandas,
matplotlib or optuna (together over a second of CPU at every start, even for
``--help``); and the Student t quantile that confidence intervals use must
equal ``scipy.stats.t.ppf`` bit for bit, so no reported interval moves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from leadsim.planner.stats import t_quantile

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("scipy.stats", "pandas", "matplotlib", "optuna")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library() -> None:
    loaded = _modules_after("import leadsim.cli")
    assert "leadsim.cli" in loaded  # the import really happened
    heavy = sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == [], f"import leadsim.cli loaded {heavy}"


def test_a_confidence_interval_does_not_need_scipy_stats() -> None:
    loaded = _modules_after(
        "from leadsim.planner.stats import summarize\n"
        "s = summarize([1.0, 2.0, 4.0])\n"
        "assert s.ci_low is not None and s.ci_low < s.mean < s.ci_high\n"
    )
    assert "leadsim.planner.stats" in loaded
    assert "scipy.stats" not in loaded


@settings(max_examples=200, deadline=None)
@given(p=st.floats(0.5, 0.9999), df=st.one_of(st.integers(1, 10_000), st.floats(0.5, 1e5)))
def test_the_t_quantile_equals_scipy_stats_bit_for_bit(p: float, df: float) -> None:
    from scipy import stats

    assert t_quantile(p, df) == float(stats.t.ppf(p, df=df))
