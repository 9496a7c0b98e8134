"""Fitted-vs-observed plots (PNG) from fit.json: the data are computed by the fits, drawn here."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_fits(fit: dict[str, Any], folder: Path) -> list[Path]:
    """Draw one PNG per fit that has observed and fitted values; return the files written."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    fits = fit.get("fits", {})
    written = []
    arrivals = {name: a for name, a in fits.get("arrivals", {}).items() if a.get("mean_arrivals_per_hour_of_day")}
    if arrivals:
        fig, ax = plt.subplots(figsize=(8, 4))
        for name, entry in arrivals.items():
            rows = entry["mean_arrivals_per_hour_of_day"]
            hours = sorted(int(h) for h in rows)
            line = ax.plot(hours, [rows[str(h)]["observed"] for h in hours], "o", label=f"{name} observed")
            ax.plot(hours, [rows[str(h)]["fitted"] for h in hours], "-", color=line[0].get_color(),
                    label=f"{name} fitted")
        ax.set(xlabel="floor-local hour of day", ylabel="mean arrivals per hour", title="Arrivals")
        ax.legend(fontsize=7)
        written.append(_save(fig, folder / "fit_arrivals.png"))
    contact = fits.get("contact", {}).get("calibration_by_attempt")
    if contact:
        fig, ax = plt.subplots(figsize=(6, 4))
        k = [r["attempt"] for r in contact]
        ax.plot(k, [r["observed"] for r in contact], "o", label="observed")
        ax.plot(k, [r["fitted"] for r in contact], "-", label="fitted (mean over the calls)")
        ax.set(xlabel="attempt number", ylabel="contact rate", title="Contact by attempt")
        ax.legend()
        written.append(_save(fig, folder / "fit_contact.png"))
    handles = {n: e for n, e in fits.get("handle_times", {}).items() if e.get("quantiles")}
    inbound = fits.get("inbound", {})
    if inbound.get("handle_minutes", {}).get("quantiles"):
        handles["inbound service"] = inbound["handle_minutes"]
    curves = inbound.get("patience", {}).get("survival_curves")
    if curves:
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.step(curves["seconds"], curves["kaplan_meier"], where="post", label="Kaplan-Meier (observed)")
        for name in ("exponential", "weibull"):
            ax.plot(curves["seconds"], curves[name], "-", label=f"{name} fit")
        ax.set(xlabel="seconds waited", ylabel="share of callers still willing to wait",
               title="Patience (answered waits censored)")
        ax.legend()
        written.append(_save(fig, folder / "fit_patience.png"))
    if handles:
        fig, ax = plt.subplots(figsize=(6, 5))
        top = 0.0
        for name, entry in handles.items():
            q = entry["quantiles"]
            ax.plot(q["written_lognormal"], q["observed"], "o-", label=name, markersize=3)
            top = max(top, max(q["observed"]), max(q["written_lognormal"]))
        ax.plot([0, top], [0, top], "k--", linewidth=0.8)
        ax.set(xlabel="written lognormal quantile (min)", ylabel="observed quantile (min)",
               title="Handle times: Q-Q, 5%..95%")
        ax.legend()
        written.append(_save(fig, folder / "fit_handle_times.png"))
    curve = [r for r in fits.get("conversion", {}).get("speed_curve", []) if r.get("fitted_qualified_share") is not None]
    if curve:
        fig, ax = plt.subplots(figsize=(6, 4))
        labels = [f"{r['minutes_from']:g}-{r['minutes_to']:g}" if r["minutes_to"] else f">{r['minutes_from']:g}"
                  for r in curve]
        x = range(len(curve))
        obs = [r["qualified_share"]["estimate"] for r in curve]
        err = [[o - r["qualified_share"]["ci95"][0] for o, r in zip(obs, curve)],
               [r["qualified_share"]["ci95"][1] - o for o, r in zip(obs, curve)]]
        ax.errorbar(x, obs, yerr=err, fmt="o", label="observed (95% CI)")
        ax.plot(x, [r["fitted_qualified_share"] for r in curve], "-", label="fitted")
        ax.set_xticks(list(x), labels, rotation=30, fontsize=7)
        ax.set(xlabel="minutes from creation to first contact", ylabel="qualified share of contacts",
               title="Conversion vs speed to first contact")
        ax.legend()
        written.append(_save(fig, folder / "fit_speed_curve.png"))
    return written


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
