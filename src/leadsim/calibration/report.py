"""The text summary ``leadsim calibrate`` prints (computed from fit.json, so it is testable)."""

from __future__ import annotations

from typing import Any


def format_summary(fit: dict[str, Any]) -> str:
    """Rows read, used and quarantined per log; gaps; what was fitted; warnings."""
    lines = ["ROWS"]
    for kind, summary in fit.get("read", {}).items():
        lines.append(f"  {kind:<11} read {summary['rows_read']:>10,}  used {summary['rows_used']:>10,}  "
                     f"quarantined {summary['rows_quarantined']:>8,}")
        for reason, n in summary["quarantined_by_reason"].items():
            lines.append(f"      {n:>8,}  {reason}")
        for note, n in summary.get("notes", {}).items():
            if n:
                lines.append(f"      {n:>8,}  {note.replace('_', ' ')}")
    days = fit.get("days")
    if days:
        lines.append(f"\nDAYS  {days['first']} .. {days['last']} ({days['span']} days, "
                     f"{len(days['gaps'])} gap(s) of missing days)")
        for gap in days["gaps"]:
            lines.append(f"  missing: {gap['first']} .. {gap['last']} ({gap['days']} days; left out of the fits)")
    prov = fit.get("provenance", {})
    fitted = prov.get("fitted", [])
    lines.append(f"\nFITTED ({len(fitted)} values; everything else from the base scenario "
                 f"{fit.get('inputs', {}).get('base')!r})")
    lines += [f"  {label}" for label in fitted]
    if fit.get("warnings"):
        lines.append("\nWARNINGS")
        lines += [f"  - {w}" for w in fit["warnings"]]
    if fit.get("notes"):
        lines.append("\nNOTES")
        lines += [f"  - {n}" for n in fit["notes"]]
    return "\n".join(lines)


def format_backtest(doc: dict[str, Any]) -> str:
    """The back-test tables (in sample, and out of sample with a holdout)."""
    parts = [_backtest_table(doc["in_sample"])]
    if doc.get("out_of_sample"):
        parts.append(_backtest_table(doc["out_of_sample"]))
    return "\n\n".join(parts)


def _backtest_table(doc: dict[str, Any]) -> str:
    """One back-test table: history, simulated mean and prediction interval, relative error."""
    lines = [f"BACK-TEST ({doc['kind']}, {doc['replications']} replications)",
             f"  {'metric':<34} {'history':>9} {'simulated':>10} {'95% prediction':>22} {'rel.err':>8}  inside"]
    for name, row in doc["metrics"].items():
        lo, hi = row["simulated_prediction95"]
        rel = row["relative_error"]
        inside = {True: "yes", False: "NO", None: "-"}[row["history_inside_prediction"]]
        lines.append(f"  {name:<34} {row['history']:>9.4g} {row['simulated_mean']:>10.4g} "
                     f"{f'[{lo:.4g}, {hi:.4g}]':>22} {f'{rel:+.1%}' if rel is not None else '-':>8}  {inside}")
    return "\n".join(lines)
