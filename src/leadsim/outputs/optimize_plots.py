"""Plots of an optimisation study: history, lever importances, slice/contour, Pareto front.

As for the other plots, the data of each figure is computed first by a pure
function over the trial rows (``optimize_report.trial_rows``), then drawn.

* ``history.png`` -- every finished trial's objective, feasible and infeasible
  marked apart, with the best feasible value so far as a step line.
* ``importance.png`` -- how much each lever explains the objective (Optuna's
  default importance evaluator over the complete trials).
* ``slice.png`` -- the objective against each of the two most important levers,
  and (when both are numeric) the two together, coloured by the objective.
* ``pareto.png`` -- with several objectives: the first two, the feasible Pareto front marked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def history_data(rows: Sequence[dict[str, Any]], metric: str, maximize: bool) -> dict[str, Any]:
    """Trial numbers, values, feasibility and the best feasible value so far (NaN before the first)."""
    done = [r for r in rows if r["state"] == "COMPLETE" and _finite(r.get(metric))]
    best, running = [], math.nan
    for r in done:
        if r.get("feasible") is not False:
            v = float(r[metric])
            if not math.isfinite(running) or (v > running if maximize else v < running):
                running = v
        best.append(running)
    return {"metric": metric, "trial": [r["trial"] for r in done], "value": [float(r[metric]) for r in done],
            "feasible": [r.get("feasible") is not False for r in done], "best": best}


def importance_data(study: Any, paths: Sequence[str], index: int = 0, seed: int = 0) -> dict[str, float]:
    """Importance of each searched lever for objective ``index`` (empty if it cannot be computed yet)."""
    import warnings

    import optuna
    from optuna.trial import TrialState

    done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    if len(done) < 3 or not paths:
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = optuna.importance.get_param_importances(
                study, params=list(paths), target=lambda t: t.values[index], normalize=True)
    except Exception:  # too few distinct values, one lever...: nothing to rank
        return {}
    return {k: float(v) for k, v in found.items()}


def top_levers(importances: dict[str, float], paths: Sequence[str], n: int = 2) -> list[str]:
    """The n most important levers (in space order when there are no importances)."""
    ranked = sorted(importances, key=lambda p: -importances[p]) if importances else list(paths)
    return ranked[:n]


def slice_data(rows: Sequence[dict[str, Any]], metric: str, levers: Sequence[str]) -> dict[str, Any]:
    """The objective against each lever, for the complete trials."""
    done = [r for r in rows if r["state"] == "COMPLETE" and _finite(r.get(metric))]
    return {"metric": metric, "levers": list(levers),
            "x": {p: [r.get(p) for r in done] for p in levers},
            "value": [float(r[metric]) for r in done],
            "feasible": [r.get("feasible") is not False for r in done]}


def pareto_data(rows: Sequence[dict[str, Any]], metrics: Sequence[str], signs: Sequence[int]) -> dict[str, Any]:
    """First two objectives of every complete trial, and which feasible ones are non-dominated."""
    done = [r for r in rows if r["state"] == "COMPLETE" and all(_finite(r.get(m)) for m in metrics)]
    points = [[s * float(r[m]) for s, m in zip(signs, metrics)] for r in done]
    feasible = [r.get("feasible") is not False for r in done]
    front = []
    for i, p in enumerate(points):
        dominated = any(feasible[j] and j != i and all(a >= b for a, b in zip(points[j], p)) and points[j] != p
                        for j in range(len(points)))
        front.append(feasible[i] and not dominated)
    return {"metrics": list(metrics[:2]), "x": [float(r[metrics[0]]) for r in done],
            "y": [float(r[metrics[1]]) for r in done], "feasible": feasible, "front": front,
            "trial": [r["trial"] for r in done]}


# ---------------------------------------------------------------- drawing


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _positions(values: Sequence[Any]) -> tuple[list[float], list[str] | None]:
    if all(_finite(v) for v in values):
        return [float(v) for v in values], None
    labels = sorted({str(v) for v in values})
    return [float(labels.index(str(v))) for v in values], labels


def draw_history(data: dict[str, Any], path: Path, title: str) -> Path:
    """Draw history.png."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    try:
        ok = [i for i, f in enumerate(data["feasible"]) if f]
        bad = [i for i, f in enumerate(data["feasible"]) if not f]
        ax.scatter([data["trial"][i] for i in ok], [data["value"][i] for i in ok], s=14, label="feasible")
        ax.scatter([data["trial"][i] for i in bad], [data["value"][i] for i in bad], s=14, marker="x",
                   color="grey", label="infeasible")
        ax.step(data["trial"], data["best"], where="post", color="C3", label="best feasible so far")
        ax.set_xlabel("trial")
        ax.set_ylabel(data["metric"])
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path


def draw_importance(importances: dict[str, float], path: Path, title: str) -> Path:
    """Draw importance.png (a note instead of bars when there are too few trials)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 0.5 * max(len(importances), 3) + 1.2))
    try:
        if importances:
            names = sorted(importances, key=lambda p: importances[p])
            ax.barh(names, [importances[n] for n in names])
            ax.set_xlabel("importance (share of the objective's variation explained)")
        else:
            ax.text(0.5, 0.5, "too few complete trials to rank the levers", ha="center", va="center")
            ax.set_axis_off()
        ax.set_title(title, fontsize=9)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path


def draw_slice(data: dict[str, Any], path: Path, title: str) -> Path:
    """Draw slice.png: one panel per lever, and the pair coloured by the objective."""
    plt = _pyplot()
    levers = data["levers"]
    panels = len(levers) + (1 if len(levers) == 2 else 0)
    fig, axes = plt.subplots(1, max(panels, 1), figsize=(4.2 * max(panels, 1), 3.6), squeeze=False)
    try:
        colors = ["C0" if f else "grey" for f in data["feasible"]]
        for ax, lever in zip(axes.flat, levers):
            x, ticks = _positions(data["x"][lever])
            ax.scatter(x, data["value"], s=12, c=colors)
            if ticks is not None:
                ax.set_xticks(range(len(ticks)), ticks, rotation=30, ha="right", fontsize=7)
            ax.set_xlabel(lever, fontsize=8)
            ax.set_ylabel(data["metric"], fontsize=8)
            ax.grid(alpha=0.3)
        if len(levers) == 2:
            ax = axes.flat[2]
            x, xt = _positions(data["x"][levers[0]])
            y, yt = _positions(data["x"][levers[1]])
            image = ax.scatter(x, y, c=data["value"], cmap="viridis", s=22)
            if xt is None and yt is None and len(set(zip(x, y))) >= 4:
                try:
                    ax.tricontourf(x, y, data["value"], levels=12, cmap="viridis", alpha=0.35)
                except Exception:  # collinear points: the scatter alone says it
                    pass
            fig.colorbar(image, ax=ax, shrink=0.85, label=data["metric"])
            if xt is not None:
                ax.set_xticks(range(len(xt)), xt, rotation=30, ha="right", fontsize=7)
            if yt is not None:
                ax.set_yticks(range(len(yt)), yt, fontsize=7)
            ax.set_xlabel(levers[0], fontsize=8)
            ax.set_ylabel(levers[1], fontsize=8)
        fig.suptitle(title, fontsize=9)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path


def draw_pareto(data: dict[str, Any], path: Path, title: str) -> Path:
    """Draw pareto.png."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    try:
        kinds = (("front", "C3", "o", "Pareto front (feasible)"), ("other", "C0", "o", "feasible"),
                 ("bad", "grey", "x", "infeasible"))
        for kind, color, marker, label in kinds:
            idx = [i for i in range(len(data["x"]))
                   if (kind == "front" and data["front"][i])
                   or (kind == "other" and data["feasible"][i] and not data["front"][i])
                   or (kind == "bad" and not data["feasible"][i])]
            ax.scatter([data["x"][i] for i in idx], [data["y"][i] for i in idx], c=color, marker=marker,
                       s=18, label=label)
        ax.set_xlabel(data["metrics"][0])
        ax.set_ylabel(data["metrics"][1])
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path
