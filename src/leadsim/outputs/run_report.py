"""What ``leadsim run`` writes beside its metrics for people: verdict.txt, reps.csv, plot data, plots.

Drawing the PNGs costs about as long as simulating the baseline (matplotlib),
so ``run`` keeps only the plots' data (``plot_data.json``, computed in
milliseconds) unless ``--plots`` asks for the pictures now; ``leadsim report``
draws them from that data later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leadsim.outputs.atomic import write_text_atomic
from leadsim.outputs.verdict import (
    FALLBACK_WIDTH,
    OffHours,
    run_verdict,
    terminal_width,
)


def scenario_currency(scenario: Any) -> str:
    """The scenario's currency name or code, or "" when it names none (``economics.currency``)."""
    return str(getattr(getattr(scenario, "economics", None), "currency", "") or "")


def verdict_for(scenario: Any, doc: dict[str, Any], off_hours: OffHours | None, width: int) -> list[str]:
    """:func:`leadsim.outputs.verdict.run_verdict` for a resolved scenario's run."""
    return run_verdict(doc, float(scenario.run.days), sum(team.headcount for team in scenario.teams),
                       scenario_currency(scenario), off_hours, width)


def write_run_extras(folder: Path, scenario: Any, doc: dict[str, Any], first: Any | None,
                     draw_plots: bool, report_for: Path | None = None) -> list[str]:
    """Write verdict.txt and, with replication 0's logs, reps.csv, plot_data.json (and the plots).

    Args:
        folder: the run folder's staging folder.
        scenario: the resolved Scenario.
        doc: the metrics.json document.
        first: the RunResult of replication 0 (None if it did not finish: no logs, no plots).
        draw_plots: draw the PNGs into plots/ now.
        report_for: also write report.html, for this run folder (``folder`` being its staging
            folder, already holding metrics.json and scenario.resolved.yaml); None: no report.

    Returns:
        The verdict's lines at the terminal's width (verdict.txt has them at 100 columns).
    """
    from leadsim.outputs.runfolder import write_json

    off_hours = None
    if first is not None:
        from leadsim.outputs.run_plots import write_reps_csv, write_run_plots
        from leadsim.outputs.run_plots_data import (
            BUNDLE_NAME,
            bundle_off_hours,
            plot_bundle,
        )

        bundle = plot_bundle(first, scenario)
        write_json(bundle, folder / BUNDLE_NAME)
        write_reps_csv(folder, first)
        off_hours = bundle_off_hours(bundle)
        if draw_plots:
            write_run_plots(folder, bundle)
    write_text_atomic(folder / "verdict.txt",
                      "\n".join(verdict_for(scenario, doc, off_hours, FALLBACK_WIDTH)) + "\n")
    if report_for is not None:
        from leadsim.outputs.report_html import build_report

        write_text_atomic(folder / "report.html", build_report(folder, report_for))
    return verdict_for(scenario, doc, off_hours, terminal_width())
