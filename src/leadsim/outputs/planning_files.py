"""Files the planners write into a run folder.

* compare: ``compare.json`` (the documented ``--json`` document), ``compare.csv``
  (one row per what-if and metric, with the unpaired interval and the
  narrowing ratio too) and ``metrics/<scenario>.json`` (each scenario's own
  metrics.json document).
* sweep: ``sweep.csv`` (one row per grid point), ``sweep.png`` and
  ``sweep.json`` (the ``--json`` document).
* staff: ``staff.json`` and ``staff.csv`` (one row per evaluated headcount).

Every file is written atomically, and each command's JSON document (its
manifest) is written last. Partial results of an interrupted command say so in
every file: the JSON documents carry ``"interrupted": true`` and the
replications asked for; CSV rows carry a ``partial`` column (sweep: a point
with fewer replications than asked; compare: every row of an interrupted run).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadsim.outputs.atomic import atomic_open
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
    with atomic_open(path, "w", newline="") as handle:
        if rows:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell(v) for k, v in row.items()})
    return path


def compare_rows(comparison: Comparison) -> list[dict[str, Any]]:
    """One row per (what-if, metric), with paired and unpaired intervals.

    ``partial`` is true in every row of an interrupted comparison.
    """
    rows = []
    for variant in comparison.variants:
        for name, d in variant.metrics.items():
            rows.append({
                "variant": variant.name, "metric": name, "base": d.base, "value": d.value,
                "diff": d.diff, "ci_low": d.ci_low, "ci_high": d.ci_high,
                "significant": d.significant, "unpaired_ci_low": d.unpaired_low,
                "unpaired_ci_high": d.unpaired_high, "narrowing": d.narrowing, "pairs": d.pairs,
                "partial": comparison.interrupted,
            })
    return rows


def compare_doc(comparison: Comparison, requested: int | None = None) -> dict[str, Any]:
    """The compare document (``--json`` and compare.json).

    Args:
        comparison: the comparison (possibly interrupted).
        requested: replications asked for per scenario; written, with
            ``"interrupted": true``, when the comparison was interrupted.
    """
    doc = comparison.as_json()
    if comparison.interrupted:
        doc["interrupted"] = True
        doc["replications_requested"] = requested
    return jsonable(doc)


def interrupted_doc(doc: dict[str, Any], requested: int) -> dict[str, Any]:
    """A metrics.json document marked as the partial result of an interrupted run."""
    return {**doc, "interrupted": True, "replications_requested": requested}


def metrics_file_name(name: str) -> str:
    """``metrics/<name>.json``'s file name for a scenario's display name."""
    return f"{_UNSAFE.sub('_', name)}.json"


def write_compare(folder: Path, comparison: Comparison | None, docs: dict[str, dict[str, Any]],
                  requested: int | None = None, empty: dict[str, Any] | None = None) -> list[Path]:
    """Write metrics/<name>.json, compare.csv, then compare.json (the manifest) into ``folder``.

    Args:
        folder: the folder to write into.
        comparison: the comparison; None if not one pair of replications finished.
        docs: each scenario's metrics.json document, by display name.
        requested: replications asked for (written into an interrupted comparison's files).
        empty: the compare.json document to write when ``comparison`` is None.
    """
    written = []
    if docs:
        (folder / "metrics").mkdir(exist_ok=True)
    for name, doc in docs.items():
        written.append(write_json(doc, folder / "metrics" / metrics_file_name(name)))
    if comparison is not None:
        written.append(write_csv(compare_rows(comparison), folder / "compare.csv"))
        written.append(write_json(compare_doc(comparison, requested), folder / "compare.json"))
    elif empty is not None:
        written.append(write_json(empty, folder / "compare.json"))
    return written


def mark_partial_points(rows: Sequence[dict[str, Any]], requested: int) -> list[dict[str, Any]]:
    """The sweep table with a ``partial`` column: true where a point has fewer replications than asked."""
    return [{**row, "partial": int(row["replications"]) < requested} for row in rows]


def sweep_doc(scenario: str, params: Sequence[str], requested: int, seed: int,
              rows: Sequence[dict[str, Any]], interrupted: bool = False) -> dict[str, Any]:
    """The sweep document (``--json`` and sweep.json); ``rows`` from :func:`mark_partial_points`.

    ``replications`` is what was asked for per point; each point carries its own
    ``replications`` (what finished) and ``partial``.
    """
    doc: dict[str, Any] = {"scenario": scenario, "params": list(params), "replications": requested,
                           "seed": seed, "points": list(rows)}
    if interrupted:
        doc["interrupted"] = True
    return jsonable(doc)


def write_sweep(folder: Path, rows: Sequence[dict[str, Any]], params: Sequence[str],
                metrics: Sequence[str], title: str, doc: dict[str, Any] | None = None) -> list[Path]:
    """Write sweep.csv (every metric), sweep.png (the chosen metrics), then sweep.json into ``folder``.

    Args:
        folder: the folder to write into.
        rows: the sweep table (with ``partial``, see :func:`mark_partial_points`).
        params: the swept parameter paths.
        metrics: the metrics to plot.
        title: the plot's title.
        doc: the sweep document (see :func:`sweep_doc`), written last as sweep.json.
    """
    from leadsim.outputs.plots import draw_sweep

    written = [write_csv(rows, folder / "sweep.csv"),
               draw_sweep(rows, params, metrics, folder / "sweep.png", title=title)]
    if doc is not None:
        written.append(write_json(doc, folder / "sweep.json"))
    return written


def staffing_doc(answer: StaffingAnswer, scenario: str) -> dict[str, Any]:
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
             "meets": c.meets, "meets_confidently": c.meets_confidently, **c.extras, "floor": c.floor}
            for c in answer.candidates
        ],
        "erlang_c": None if erlang is None else {
            "reps_on_duty": erlang.servers, "arrival_rate_per_min": erlang.arrival_rate_per_min,
            "handle_min": erlang.handle_min, "reason": erlang.reason,
        },
        "explanation": answer.explanation,
        "interrupted": answer.interrupted,
    })


def write_staffing(folder: Path, answer: StaffingAnswer, scenario: str) -> list[Path]:
    """Write staff.csv, then staff.json (the manifest), into ``folder``."""
    doc = staffing_doc(answer, scenario)
    rows = [{k: v for k, v in c.items() if k != "floor"} | c["floor"] for c in doc["evaluated"]]
    # staff.json, the manifest, last.
    return [write_csv(rows, folder / "staff.csv"), write_json(doc, folder / "staff.json")]
