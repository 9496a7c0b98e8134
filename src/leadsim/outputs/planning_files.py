"""Files the planners write into a run folder.

* compare: ``compare.json`` (the documented ``--json`` document), ``compare.csv``
  (one row per what-if and metric, with the unpaired interval and the
  narrowing ratio too) and ``metrics/<scenario>.json`` (each scenario's own
  metrics.json document).
* sweep: ``sweep.csv`` (one row per grid point) and ``sweep.png``.
* staff: ``staff.json`` and ``staff.csv`` (one row per evaluated headcount).
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from leadsim.outputs.runfolder import jsonable, write_json

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

if TYPE_CHECKING:
    from leadsim.planner.compare import Comparison
    from leadsim.planner.staffing import StaffingAnswer


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return "inf" if math.isinf(value) else ""
    return value


def write_csv(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """Write dict rows as CSV (columns from the first row; None as empty)."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        if rows:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell(v) for k, v in row.items()})
    return path


def compare_rows(comparison: "Comparison") -> list[dict[str, Any]]:
    """One row per (what-if, metric), with paired and unpaired intervals."""
    rows = []
    for variant in comparison.variants:
        for name, d in variant.metrics.items():
            rows.append({
                "variant": variant.name, "metric": name, "base": d.base, "value": d.value,
                "diff": d.diff, "ci_low": d.ci_low, "ci_high": d.ci_high,
                "significant": d.significant, "unpaired_ci_low": d.unpaired_low,
                "unpaired_ci_high": d.unpaired_high, "narrowing": d.narrowing, "pairs": d.pairs,
            })
    return rows


def write_compare(folder: Path, comparison: "Comparison", docs: dict[str, dict[str, Any]]) -> list[Path]:
    """Write compare.json, compare.csv and metrics/<name>.json into ``folder``."""
    written = [write_json(comparison.as_json(), folder / "compare.json"),
               write_csv(compare_rows(comparison), folder / "compare.csv")]
    (folder / "metrics").mkdir(exist_ok=True)
    for name, doc in docs.items():
        written.append(write_json(doc, folder / "metrics" / f"{_UNSAFE.sub('_', name)}.json"))
    return written


def write_sweep(folder: Path, rows: Sequence[dict[str, Any]], params: Sequence[str],
                metrics: Sequence[str], title: str) -> list[Path]:
    """Write sweep.csv (every metric) and sweep.png (the chosen metrics) into ``folder``."""
    from leadsim.outputs.plots import draw_sweep

    return [write_csv(rows, folder / "sweep.csv"),
            draw_sweep(rows, params, metrics, folder / "sweep.png", title=title)]


def staffing_doc(answer: "StaffingAnswer", scenario: str) -> dict[str, Any]:
    """The staffing answer as a JSON document."""
    erlang = answer.erlang
    return jsonable({
        "scenario": scenario,
        "team": answer.team,
        "target": {"metric": answer.target.metric, "op": answer.target.op, "value": answer.target.value},
        "rule": "smallest headcount whose mean over replications meets the target",
        "replications": answer.replications,
        "seed": answer.seed,
        "headcount": answer.by_mean,
        "headcount_95pct_confident": answer.by_interval,
        "evaluated": [
            {"headcount": c.headcount, "mean": c.mean, "ci_low": c.ci_low, "ci_high": c.ci_high,
             "meets": c.meets, "meets_confidently": c.meets_confidently, "floor": c.floor}
            for c in answer.candidates
        ],
        "erlang_c": None if erlang is None else {
            "reps_on_duty": erlang.servers, "arrival_rate_per_min": erlang.arrival_rate_per_min,
            "handle_min": erlang.handle_min, "reason": erlang.reason,
        },
        "explanation": answer.explanation,
        "interrupted": answer.interrupted,
    })


def write_staffing(folder: Path, answer: "StaffingAnswer", scenario: str) -> list[Path]:
    """Write staff.json and staff.csv into ``folder``."""
    doc = staffing_doc(answer, scenario)
    rows = [{k: v for k, v in c.items() if k != "floor"} | c["floor"] for c in doc["evaluated"]]
    return [write_json(doc, folder / "staff.json"), write_csv(rows, folder / "staff.csv")]
