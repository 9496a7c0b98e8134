"""Draw a run's plots (matplotlib, Agg backend) from :mod:`leadsim.outputs.run_plots_data`.

:func:`write_run_plots` writes, into a run folder's ``plots/``, one PNG per
picture a manager reads (:data:`PLOTS`, each with the one sentence the HTML
report shows under it); :func:`write_reps_csv` writes ``reps.csv`` (per rep,
team and floor). Every file is written atomically; the caller writes into the staging
folder of :func:`leadsim.outputs.runfolder.staged_outputs`.

Colours: "bad" (slow, long waits, abandoned) is red-ish on every plot, and
every colour bar is labelled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from leadsim.outputs import run_plots_data as data
from leadsim.outputs.atomic import atomic_path

#: Subfolder of the run folder that holds the plots.
PLOTS_DIR = "plots"

#: Each plot's file and the sentence that says what to look at (report.html and docs use them).
PLOTS: dict[str, str] = {
    "speed_to_first_attempt.png": "How fast leads get their first call: the share of leads called within "
    "a given time; read the marks at 1, 5 and 60 minutes and 24 hours - the higher, the better.",
    "wait_by_hour_of_week.png": "When leads arrive (rows: weekday, columns: hour) and how long they wait for "
    "a first call (colour: median wait); dark cells are leads that sit waiting, usually outside office hours.",
    "funnel.png": "Each source's leads going through the stages: attempted, contacted, qualified, converted - "
    "a big drop shows where leads are lost.",
    "by_attempt.png": "Contacts and conversions reached by the k-th call: where the curves flatten, more "
    "calls stop paying.",
    "backlog.png": "Leads due for a call and waiting for a rep, over the whole run (the measured window "
    "shaded): a backlog that never empties means too few reps.",
    "occupancy_by_weekday_hour.png": "How busy the reps on shift are at each hour of the week (time on calls "
    "/ time available): dark hours are stretched, pale hours have reps waiting for work.",
    "inbound_by_hour.png": "Inbound calls by hour of the day, answered live vs abandoned: abandoned calls "
    "are customers who hung up waiting.",
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90, bbox_inches="tight")
    _pyplot().close(fig)
    return path


def _minutes_label(value: float) -> str:
    return f"{value / 1440:g} d" if value >= 1440 else (f"{value / 60:g} h" if value >= 60 else f"{value:g} min")


def draw_speed(curve: pd.DataFrame, title: str) -> Any:
    """The cumulative speed-to-first-attempt curve with the 1/5/60 min and 24 h marks."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(curve["minutes"], curve["share"] * 100, color="tab:blue")
    for mark in data.SPEED_MARKS:
        share = float(np.interp(mark, curve["minutes"], curve["share"])) * 100
        ax.axvline(mark, color="grey", linestyle=":", linewidth=0.8)
        ax.annotate(f"{_minutes_label(mark)}: {share:.0f}%", (mark, share), textcoords="offset points",
                    xytext=(4, -12), fontsize=8)
        ax.plot([mark], [share], "o", color="tab:blue", markersize=4)
    ax.set_xscale("log")
    ax.set_ylim(0, 100)
    ax.set_xlabel("time from lead creation to first call (log scale)")
    ax.set_ylabel("leads called by then (% of all leads)")
    ticks = [0.1, 1, 5, 60, 240, 1440, 4 * 1440, 14 * 1440]
    ax.set_xticks(ticks, [_minutes_label(t) for t in ticks])
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    return fig


def draw_wait_heatmap(frame: pd.DataFrame, title: str) -> Any:
    """Median wait by arrival weekday x hour, log colour scale, long waits dark."""
    from matplotlib.colors import LogNorm

    plt = _pyplot()
    grid = frame.pivot(index="weekday", columns="hour", values="median_wait_min").to_numpy()
    counts = frame.pivot(index="weekday", columns="hour", values="leads").to_numpy()
    shown = np.where(counts > 0, np.maximum(grid, 0.5), np.nan)
    fig, ax = plt.subplots(figsize=(9, 3.6))
    top = np.nanmax(shown) if np.isfinite(shown).any() else 1.0
    import matplotlib

    # No lead arrived then: grey, not the near-white of "called at once".
    cmap = matplotlib.colormaps["Reds"].with_extremes(bad="#d9d9d9")
    image = ax.imshow(shown, aspect="auto", cmap=cmap, norm=LogNorm(vmin=0.5, vmax=max(top, 1.0)))
    ax.set_yticks(range(7), list(data.WEEKDAYS))
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("hour the lead arrived (floor local time); grey: no lead arrived then")
    bar = fig.colorbar(image, ax=ax)
    bar.set_label("median minutes to first call (log)")
    ax.set_title(title, fontsize=10)
    return fig


_STAGES = ("leads", "attempted", "contacted", "qualified", "converted")


def draw_funnel(frame: pd.DataFrame, title: str) -> Any:
    """Per source, the count of counted leads at each stage (bars, labelled)."""
    plt = _pyplot()
    sources = frame[frame["source"] != "all"]
    fig, axes = plt.subplots(1, max(len(sources), 1), figsize=(3.2 * max(len(sources), 1), 3.4), squeeze=False)
    for ax, (_, row) in zip(axes[0], sources.iterrows()):
        values = [int(row[s]) for s in _STAGES]
        bars = ax.barh(list(_STAGES)[::-1], values[::-1], color="tab:blue")
        for bar, value in zip(bars, values[::-1]):
            share = f" ({value / values[0]:.0%})" if values[0] else ""
            ax.annotate(f"{value:,}{share}", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                        xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        ax.set_xlim(0, max(values[0], 1) * 1.5)
        ax.set_title(str(row["source"]), fontsize=9)
        ax.set_xlabel("leads")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def draw_by_attempt(frame: pd.DataFrame, title: str) -> Any:
    """Cumulative contacts and conversions by the attempt that reached the lead."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    if len(frame):
        ax.plot(frame["attempt"], frame["contacts"], "o-", label="contacts (leads reached)")
        right = ax.twinx()
        right.plot(frame["attempt"], frame["conversions"], "s-", color="tab:green", label="conversions")
        right.set_ylabel("conversions, cumulative")
        right.set_ylim(0, max(int(frame["conversions"].max()), 1) * 1.1)
        lines = ax.get_lines() + right.get_lines()
        ax.legend(lines, [line.get_label() for line in lines], loc="lower right", fontsize=8)
    ax.set_xlabel("attempt number (the k-th call)")
    ax.set_ylabel("contacts, cumulative")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    return fig


def draw_backlog(frame: pd.DataFrame, title: str) -> Any:
    """Due leads and due never-called leads over time, the measured window shaded."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(frame["day"], frame["due"], label="due leads waiting", linewidth=0.8)
    ax.plot(frame["day"], frame["new"], label="of which never called", linewidth=0.8)
    window = frame[frame["in_window"]]
    if len(window):
        ax.axvspan(float(window["day"].min()), float(window["day"].max()), color="grey", alpha=0.12,
                   label="measured window")
    ax.set_xlabel("day of the run")
    ax.set_ylabel("leads")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    return fig


def draw_occupancy_heatmap(frame: pd.DataFrame, title: str) -> Any:
    """Rep occupancy by weekday x hour (0-100%), grey where nobody was scheduled."""
    import matplotlib

    plt = _pyplot()
    grid = frame.pivot(index="weekday", columns="hour", values="occupancy").to_numpy() * 100
    fig, ax = plt.subplots(figsize=(9, 3.6))
    cmap = matplotlib.colormaps["Blues"].with_extremes(bad="#d9d9d9")
    image = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", cmap=cmap, vmin=0, vmax=100)
    ax.set_yticks(range(7), list(data.WEEKDAYS))
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("hour (floor local time); grey: nobody scheduled")
    bar = fig.colorbar(image, ax=ax)
    bar.set_label("occupancy: time on calls / time available (%)")
    ax.set_title(title, fontsize=10)
    return fig


def draw_inbound(frame: pd.DataFrame, title: str) -> Any:
    """Inbound calls by hour of the day, answered (blue) and abandoned (red), stacked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.bar(frame["hour"], frame["answered"], color="tab:blue", label="answered live")
    ax.bar(frame["hour"], frame["abandoned"], bottom=frame["answered"], color="tab:red", label="abandoned")
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("hour the call came in (floor local time)")
    ax.set_ylabel("inbound calls")
    ax.set_ylim(0, max(float((frame["answered"] + frame["abandoned"]).max()), 1.0) * 1.3)
    share = ax.twinx()
    share.plot(frame["hour"], frame["answered_share"] * 100, "o-", color="black", markersize=3,
               label="answered live (% of calls that hour)")
    share.set_ylim(0, 130)
    share.set_ylabel("answered live (%)")
    handles = ax.get_legend_handles_labels()[0] + share.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="upper left")
    ax.set_title(title, fontsize=10)
    return fig


def figures(bundle: dict[str, Any]) -> dict[str, Any]:
    """The run's figures from its plot data, by file name (inbound_by_hour.png only with inbound calls).

    Args:
        bundle: :func:`leadsim.outputs.run_plots_data.plot_bundle` (or its JSON read back).
    """
    frames = data.bundle_frames(bundle)
    meta = bundle.get("meta", {})
    tag = f"{meta.get('scenario', '?')}, replication {meta.get('replication', 0)} of seed {meta.get('seed', '?')}"
    out = {
        "speed_to_first_attempt.png": lambda: draw_speed(frames["speed_curve"], f"Speed to first call ({tag})"),
        "wait_by_hour_of_week.png": lambda: draw_wait_heatmap(frames["wait_by_hour_of_week"],
                                                              f"Wait for a first call by arrival time ({tag})"),
        "funnel.png": lambda: draw_funnel(frames["funnel"], f"Funnel per source ({tag})"),
        "by_attempt.png": lambda: draw_by_attempt(frames["by_attempt"], f"How many calls pay ({tag})"),
        "backlog.png": lambda: draw_backlog(frames["backlog"], f"Backlog of due leads ({tag})"),
        "occupancy_by_weekday_hour.png": lambda: draw_occupancy_heatmap(
            frames["occupancy_by_weekday_hour"], f"Rep occupancy by weekday and hour ({tag})"),
    }
    inbound = frames["inbound_by_hour"]
    if int(inbound["answered"].sum() + inbound["abandoned"].sum()) > 0:
        out["inbound_by_hour.png"] = lambda: draw_inbound(inbound, f"Inbound calls by hour ({tag})")
    return out


def render_pngs(bundle: dict[str, Any]) -> dict[str, bytes]:
    """Every run plot as PNG bytes, by file name, in :data:`PLOTS` order (for report.html)."""
    import io

    pngs = {}
    for name, make in figures(bundle).items():
        fig = make()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
        _pyplot().close(fig)
        pngs[name] = buffer.getvalue()
    return pngs


def write_run_plots(folder: Path, bundle: dict[str, Any]) -> list[Path]:
    """Draw the run's plots into ``folder/plots/`` from its plot data (atomically, file by file).

    Returns:
        The PNG files written.
    """
    out = folder / PLOTS_DIR
    out.mkdir(exist_ok=True)
    return [_save(make(), out / name) for name, make in figures(bundle).items()]


def write_reps_csv(folder: Path, result: Any) -> Path:
    """Write ``reps.csv`` (per rep, per team and the floor; :func:`run_plots_data.rep_table`) into ``folder``."""
    path = folder / "reps.csv"
    with atomic_path(path) as tmp:
        data.rep_table(result).to_csv(tmp, index=False, float_format="%.6g")
    return path
