"""Plots of planner results (matplotlib, Agg backend: no display needed).

Each plot is made in two steps: a pure function computes the plot data from
the results (testable without looking at pixels), then a drawing function
turns that data into a PNG.

* Sweep over one parameter: one panel per metric, the mean as a line with its
  95% interval as a shaded band.
* Sweep over two parameters: one heat map per metric (first parameter down,
  second across), each cell annotated with its mean (and the interval's
  half-width when the grid is small enough to read it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from leadsim.outputs.atomic import atomic_path
from leadsim.simulator.metrics import METRICS_BY_NAME

#: Annotate heat-map cells with the half-width when the grid has at most this many cells.
_ANNOTATE_HALF_MAX_CELLS = 36
_ANNOTATE_MAX_CELLS = 150


def _num(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _distinct(values: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def sweep_plot_data(rows: Sequence[dict[str, Any]], params: Sequence[str], metric: str) -> dict[str, Any]:
    """The numbers one sweep panel shows.

    Args:
        rows: the sweep table (``SweepResult.rows()``): one dict per grid point.
        params: the swept parameter paths (one or two), in ``--param`` order.
        metric: the metric to show.

    Returns:
        For one parameter: ``{"kind": "line", "metric", "xlabel", "x", "mean",
        "low", "high"}`` (lists; NaN where undefined; ``x`` in grid order).
        For two: ``{"kind": "heatmap", "metric", "ylabel", "xlabel", "y", "x",
        "mean", "half"}`` with ``mean[i][j]`` the value at y[i], x[j] and
        ``half`` the interval's half-width there.

    Raises:
        ValueError: for other than one or two parameters.
    """
    if len(params) == 1:
        (p,) = params
        return {
            "kind": "line", "metric": metric, "xlabel": p,
            "x": [row[p] for row in rows],
            "mean": [_num(row.get(metric)) for row in rows],
            "low": [_num(row.get(f"{metric}_ci_low")) for row in rows],
            "high": [_num(row.get(f"{metric}_ci_high")) for row in rows],
            "partial": [bool(row.get("partial", False)) for row in rows],
        }
    if len(params) == 2:
        py, px = params
        ys, xs = _distinct([r[py] for r in rows]), _distinct([r[px] for r in rows])
        mean = [[math.nan] * len(xs) for _ in ys]
        half = [[math.nan] * len(xs) for _ in ys]
        partial = [[False] * len(xs) for _ in ys]
        for row in rows:
            i, j = ys.index(row[py]), xs.index(row[px])
            mean[i][j] = _num(row.get(metric))
            half[i][j] = (_num(row.get(f"{metric}_ci_high")) - _num(row.get(f"{metric}_ci_low"))) / 2
            partial[i][j] = bool(row.get("partial", False))
        return {"kind": "heatmap", "metric": metric, "ylabel": py, "xlabel": px,
                "y": ys, "x": xs, "mean": mean, "half": half, "partial": partial}
    raise ValueError(f"a sweep plot shows one or two parameters, got {len(params)}")


def _label(metric: str) -> str:
    unit = METRICS_BY_NAME[metric].unit if metric in METRICS_BY_NAME else ""
    return f"{metric} ({unit})" if unit else metric


def _short(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _positions(values: Sequence[Any]) -> tuple[list[float], list[str] | None]:
    """Numeric axis positions; categorical values get 0, 1, ... and tick labels."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return [float(v) for v in values], None
    return [float(i) for i in range(len(values))], [str(v) for v in values]


def _draw_line(ax: Any, data: dict[str, Any]) -> None:
    x, ticks = _positions(data["x"])
    ax.fill_between(x, data["low"], data["high"], alpha=0.25, linewidth=0, label="95% interval")
    ax.plot(x, data["mean"], marker="o", markersize=3, label="mean")
    partial = [i for i, p in enumerate(data.get("partial", [])) if p]
    if partial:  # an interrupted sweep: these points have fewer replications than asked
        ax.plot([x[i] for i in partial], [data["mean"][i] for i in partial], linestyle="none",
                marker="x", markersize=7, color="red", label="partial (fewer replications)")
        ax.legend(fontsize=6)
    if ticks is not None:
        ax.set_xticks(x, ticks, rotation=30, ha="right")
    ax.set_xlabel(data["xlabel"])
    ax.set_title(_label(data["metric"]), fontsize=9)
    ax.grid(alpha=0.3)


def _draw_heatmap(ax: Any, fig: Any, data: dict[str, Any]) -> None:
    import numpy as np

    grid = np.asarray(data["mean"], dtype=float)
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    fig.colorbar(image, ax=ax, shrink=0.85)
    labels = [str(v) for v in data["x"]]
    long = max((len(t) for t in labels), default=0) > 5
    ax.set_xticks(range(len(labels)), labels, rotation=30 if long else 0, ha="right" if long else "center")
    ax.set_yticks(range(len(data["y"])), [str(v) for v in data["y"]])
    ax.set_xlabel(data["xlabel"])
    ax.set_ylabel(data["ylabel"])
    ax.set_title(_label(data["metric"]), fontsize=9)
    cells = grid.size
    marks = data.get("partial")
    if cells <= _ANNOTATE_MAX_CELLS:
        finite = grid[np.isfinite(grid)]
        middle = float(finite.mean()) if finite.size else 0.0
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                # "*": a partial cell (an interrupted sweep: fewer replications than asked).
                text = _short(grid[i, j]) + ("*" if marks and marks[i][j] else "")
                if cells <= _ANNOTATE_HALF_MAX_CELLS and math.isfinite(data["half"][i][j]):
                    text += f"\n±{_short(data['half'][i][j])}"
                color = "black" if math.isfinite(grid[i, j]) and grid[i, j] > middle else "white"
                ax.text(j, i, text, ha="center", va="center", fontsize=6, color=color)


def draw_sweep(rows: Sequence[dict[str, Any]], params: Sequence[str], metrics: Sequence[str],
               path: str | Path, title: str = "") -> Path:
    """Draw a sweep's panels (one per metric) into a PNG file.

    Args:
        rows: the sweep table.
        params: the swept parameter paths (one or two).
        metrics: the metrics to show, one panel each.
        path: the PNG to write.
        title: figure title.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [sweep_plot_data(rows, params, m) for m in metrics]
    cols = min(3, len(panels)) or 1
    lines = math.ceil(len(panels) / cols) or 1
    width = 4.2 if len(params) == 1 else 5.0
    fig, axes = plt.subplots(lines, cols, figsize=(width * cols, 3.4 * lines), squeeze=False)
    try:
        for ax, data in zip(axes.flat, panels):
            if data["kind"] == "line":
                _draw_line(ax, data)
            else:
                _draw_heatmap(ax, fig, data)
        for ax in list(axes.flat)[len(panels):]:
            ax.set_visible(False)
        if title:
            fig.suptitle(title, fontsize=10)
        fig.tight_layout()
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png")
    finally:
        plt.close(fig)
    return Path(path)
