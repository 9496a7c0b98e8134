"""``report.html`` for a run folder: one self-contained file a manager can forward.

Everything is inside the file: the plots as base64 PNG ``data:`` URIs, the
styles inline, no script, no font, no link to anything outside, so it opens
offline, in a mail attachment or on a phone, and prints (each plot kept on
one page). In order: the verdict, the plots with one sentence each, the key
figures, the reps' results, the scenario as run, and how to reproduce it
(seed, leadsim version, command).

It reads only the run folder (``leadsim run`` wrote it): metrics.json,
verdict.txt, plot_data.json, reps.csv, scenario.resolved.yaml and, when
``run --plots`` drew them, plots/*.png (otherwise the plots are drawn from
plot_data.json).
"""

from __future__ import annotations

import base64
import csv
import html
import json
from pathlib import Path
from typing import Any

from leadsim import __version__
from leadsim.outputs.table import format_value, unit_label

#: The figures shown in the report's "Key figures" table, in order.
KEY_METRICS: tuple[str, ...] = (
    "leads", "conversions", "conversion_rate", "speed_to_first_attempt_p50_min",
    "share_first_attempt_within_5_min", "share_first_attempt_within_24_h", "share_never_attempted",
    "contact_rate", "attempts_per_lead", "rep_occupancy", "activities_per_rep_day",
    "inbound_answered_rate", "revenue", "cost", "profit", "cost_per_conversion",
)

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0 auto;
       max-width: 980px; padding: 12px; color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 0.85em; white-space: pre-wrap; }
pre.verdict { font-size: 1em; background: #eef4fb; border-left: 4px solid #2a6fb0; }
figure { margin: 1.2em 0; page-break-inside: avoid; break-inside: avoid; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.95em; color: #333; margin-top: 0.3em; }
table { border-collapse: collapse; font-size: 0.9em; display: block; overflow-x: auto; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.total td { font-weight: bold; }
.muted { color: #666; font-size: 0.9em; }
@media print { body { max-width: none; } pre { white-space: pre-wrap; } h2 { page-break-after: avoid; } }
"""


class ReportError(ValueError):
    """The folder is not a finished ``leadsim run`` folder (the message says what is missing)."""


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path.parent}/ is not a finished `leadsim run` folder: {path.name} is missing") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot be read as JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ReportError(f"{path}: expected a JSON object, got {type(doc).__name__}")
    return doc


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def plot_images(folder: Path) -> dict[str, bytes]:
    """The run's plots as PNG bytes: plots/*.png when ``run --plots`` drew them, else drawn now."""
    from leadsim.outputs.run_plots import PLOTS, PLOTS_DIR, render_pngs
    from leadsim.outputs.run_plots_data import BUNDLE_NAME

    drawn = folder / PLOTS_DIR
    if drawn.is_dir() and any(drawn.glob("*.png")):
        return {name: (drawn / name).read_bytes() for name in PLOTS if (drawn / name).is_file()}
    if not (folder / BUNDLE_NAME).is_file():
        return {}  # an interrupted run without replication 0: no logs, no plots
    return render_pngs(_read_json(folder / BUNDLE_NAME))


def _key_table(doc: dict[str, Any]) -> str:
    metrics = doc.get("metrics", {})
    show_ci = int(doc.get("replications", 1)) > 1
    head = "<tr><th>figure</th><th>value</th>" + ("<th>95% interval</th>" if show_ci else "") + "<th>unit</th></tr>"
    rows = []
    for name in KEY_METRICS:
        entry = metrics.get(name)
        if not entry:
            continue
        unit = entry.get("unit", "")
        cells = [html.escape(name.replace("_", " ")), format_value(entry.get("mean"), unit)]
        if show_ci:
            low, high = entry.get("ci_low"), entry.get("ci_high")
            cells.append("" if low is None or high is None else
                         f"{format_value(low, unit)} to {format_value(high, unit)}")
        cells.append(html.escape(unit_label(name, unit)))
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _reps_table(path: Path) -> str:
    if not path.is_file():
        return '<p class="muted">No reps.csv in this folder.</p>'
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = ("rep", "team", "attempts", "contacts", "conversions", "occupancy", "activities_per_day")
    out = ["<table><tr>" + "".join(f"<th>{c.replace('_', ' ')}</th>" for c in columns) + "</tr>"]
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column, "")
            if column == "occupancy" and value not in ("", "nan"):
                value = f"{float(value):.0%}"
            elif column == "activities_per_day" and value not in ("", "nan"):
                value = f"{float(value):.1f}"
            cells.append(f"<td>{html.escape(value)}</td>")
        total = ' class="total"' if "total" in row.get("rep", "") else ""
        out.append(f"<tr{total}>" + "".join(cells) + "</tr>")
    return "".join(out) + "</table>"


def reproduce_command(folder: Path, doc: dict[str, Any]) -> str:
    """The command that re-runs this run exactly (the resolved scenario holds every override)."""
    return (f"leadsim run {folder / 'scenario.resolved.yaml'} --seed {doc.get('seed')} "
            f"-r {doc.get('replications')} --out {folder}-again")


def build_report(folder: Path, shown: Path | None = None) -> str:
    """The report.html text for a run folder.

    Args:
        folder: a folder ``leadsim run`` wrote (or its staging folder, before publishing).
        shown: the run folder's name in the reproducing command (default ``folder``).

    Returns:
        The HTML document.

    Raises:
        ReportError: metrics.json is missing or unreadable (not a finished run folder).
    """
    from leadsim.outputs.run_plots import PLOTS
    from leadsim.outputs.run_plots_data import BUNDLE_NAME

    doc = _read_json(folder / "metrics.json")
    meta = _read_json(folder / BUNDLE_NAME).get("meta", {}) if (folder / BUNDLE_NAME).is_file() else {}
    verdict_path = folder / "verdict.txt"
    verdict = verdict_path.read_text(encoding="utf-8").rstrip() if verdict_path.is_file() else \
        "(no verdict.txt in this folder)"
    scenario_path = folder / "scenario.resolved.yaml"
    scenario = scenario_path.read_text(encoding="utf-8") if scenario_path.is_file() else "(missing)"
    name = html.escape(str(doc.get("scenario", "?")))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>leadsim report: {name}</title><style>{_CSS}</style></head><body>",
        f"<h1>leadsim report: {name}</h1>",
        (f'<p class="muted">seed {doc.get("seed")}, {doc.get("replications")} replication(s); '
        "plots show replication 0.</p>"),
        "<h2>Verdict</h2>",
        f'<pre class="verdict">{html.escape(verdict)}</pre>',
    ]
    if doc.get("interrupted"):
        parts.append("<p><strong>Interrupted run:</strong> only the finished replications are counted.</p>")
    images = plot_images(folder)
    parts.append("<h2>Plots</h2>")
    if not images:
        parts.append('<p class="muted">No plots: this folder has no plot_data.json (replication 0 did not '
                     "finish, or an older leadsim wrote it); run <code>leadsim run</code> again to get them.</p>")
    for file_name, png in images.items():
        sentence = PLOTS.get(file_name, "")
        parts.append(f"<figure>{_img(png, file_name)}<figcaption>{html.escape(sentence)}</figcaption></figure>")
    parts += ["<h2>Key figures</h2>", _key_table(doc),
              "<h2>Reps and teams</h2>",
              ('<p class="muted">Calls and contacts started in the measured window, conversions credited to the '
              "rep who made the contact, occupancy = time on calls / time available (replication 0).</p>"),
              _reps_table(folder / "reps.csv"),
              "<h2>Scenario as run</h2>", f"<pre>{html.escape(scenario)}</pre>",
              "<h2>Reproduce</h2>",
              (f"<p>Seed {doc.get('seed')}; run with leadsim {html.escape(str(meta.get('leadsim_version', '?')))}; "
              f"this report made by leadsim {html.escape(__version__)}. The same command gives the same "
              "numbers:</p>"),
              f"<pre>{html.escape(reproduce_command(shown or folder, doc))}</pre>",
              "</body></html>"]
    return "\n".join(parts) + "\n"
