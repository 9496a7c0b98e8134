"""The run folder of ``leadsim optimize``, and its progress display.

Files: ``study.db`` (the study itself, unless ``--storage`` puts it elsewhere),
``trials.csv`` (one row per trial), ``study.json`` (the contract),
``best.yaml`` (the winning scenario, runnable as it is), ``history.png``,
``importance.png``, ``slice.png`` and, with several objectives, ``pareto.png``.
Several workers may share one folder: every file is written to a private
temporary name and moved into place in one step.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from leadsim.outputs import optimize_plots as plots
from leadsim.outputs.optimize_report import best_yaml, study_doc, trial_rows
from leadsim.outputs.planning_files import write_csv
from leadsim.outputs.table import format_value
from leadsim.simulator.metrics import METRICS_BY_NAME

if TYPE_CHECKING:
    from leadsim.planner.confirm import Confirmation
    from leadsim.planner.optimize import OptimizeConfig, TrialEvent


def _atomic(path: Path, write: Any) -> Path:
    """Write through a temporary file private to this process, then move it into place."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    write(tmp)
    os.replace(tmp, path)
    return path


def write_optimize_folder(folder: Path, config: OptimizeConfig, study: Any, trials: Sequence[Any],
                          confirmation: Confirmation | None, info: dict[str, Any], verdict: str,
                          best: str | None) -> list[Path]:
    """Write trials.csv, study.json, the plots and (when there is a winner) best.yaml.

    Args:
        folder: the run folder.
        config: the question.
        study: the Optuna study (for lever importances).
        trials: its trials.
        confirmation: the confirmation, if it ran.
        info: run facts for study.json (see ``optimize_report.study_doc``).
        verdict: the verdict text.
        best: best.yaml's text (None: no winner, and any old best.yaml is removed).
    """
    rows = trial_rows(config, trials)
    doc = study_doc(config, info, trials, confirmation, verdict)
    written = [
        _atomic(folder / "trials.csv", lambda p: write_csv(rows, p)),
        _atomic(folder / "study.json", lambda p: p.write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n",
                                                              encoding="utf-8")),
    ]
    if best is not None:
        written.append(_atomic(folder / "best.yaml", lambda p: p.write_text(best, encoding="utf-8")))
    elif (folder / "best.yaml").exists():
        (folder / "best.yaml").unlink()
    written += draw_all(folder, config, study, rows)
    return written


def draw_all(folder: Path, config: OptimizeConfig, study: Any, rows: Sequence[dict[str, Any]]) -> list[Path]:
    """Draw history.png, importance.png, slice.png and (several objectives) pareto.png."""
    first = config.objectives[0]
    title = f"{config.scenario}: {first}"
    paths = [lever.path for lever in config.space.searched]
    importances = plots.importance_data(study, paths, seed=config.sampler_seed)
    out = [
        _atomic(folder / "history.png", lambda p: plots.draw_history(
            plots.history_data(rows, first.metric, first.sign > 0), Path(p), title)),
        _atomic(folder / "importance.png", lambda p: plots.draw_importance(importances, Path(p), title)),
        _atomic(folder / "slice.png", lambda p: plots.draw_slice(
            plots.slice_data(rows, first.metric, plots.top_levers(importances, paths)), Path(p), title)),
    ]
    if len(config.objectives) > 1:
        metrics = [o.metric for o in config.objectives]
        out.append(_atomic(folder / "pareto.png", lambda p: plots.draw_pareto(
            plots.pareto_data(rows, metrics, [o.sign for o in config.objectives]), Path(p), title)))
    return out


def best_text(resolved: str, levers: dict[str, Any], command: str, label: str, seed: int, replications: int) -> str:
    """best.yaml's text (see ``optimize_report.best_yaml``)."""
    return best_yaml(resolved, levers, command, label, seed, replications)


# ---------------------------------------------------------------- progress


def _short(value: float | None, metric: str) -> str:
    unit = METRICS_BY_NAME[metric].unit if metric in METRICS_BY_NAME else ""
    return format_value(value, unit)


def _clock(seconds: float) -> str:
    seconds = max(round(seconds), 0)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class TrialProgress:
    """Progress of a study on stderr: trials done of N, the best feasible value so far, ETA.

    On a terminal, one line redrawn in place with a bar; otherwise (a log, a pipe)
    one line per started and finished trial, so scripts and tests can follow it.
    """

    def __init__(self, config: OptimizeConfig, stream: IO[str] | None = None) -> None:
        self.config = config
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.best: float | None = None
        self.best_trial: int | None = None
        self.started = time.monotonic()
        self.first_done: int | None = None
        self.mine = 0

    def _eta(self, done: int, total: int) -> str:
        if self.mine == 0:
            return "--:--:--"
        rate = (time.monotonic() - self.started) / self.mine
        return _clock(rate * max(total - done, 0))

    def __call__(self, event: TrialEvent) -> None:
        """Show one event."""
        first = self.config.objectives[0]
        if event.kind == "finished":
            self.mine += 1
            if event.values is not None and event.feasible:
                number = event.values[0]
                if self.best is None or first.better(number, self.best):
                    self.best, self.best_trial = number, event.number
        best = "none yet" if self.best is None else \
            f"{_short(self.best, first.metric)} (trial {self.best_trial})"
        if event.kind == "started":
            if self.tty:
                return
            retry = f" (re-run of trial {event.retry_of})" if event.retry_of is not None else ""
            self.stream.write(f"trial {event.number} started{retry}\n")
        else:
            value = "failed" if event.values is None else \
                f"{first.metric} {_short(event.values[0], first.metric)}" + \
                ("" if event.feasible else " (infeasible)")
            line = (f"trials {event.finished}/{event.total}: trial {event.number} {value}; "
                    f"best feasible {best}; ETA {self._eta(event.finished, event.total)}")
            if self.tty:
                width = 20
                filled = int(width * min(event.finished, event.total) / max(event.total, 1))
                self.stream.write("\r\x1b[K[" + "#" * filled + "-" * (width - filled) + "] " + line)
            else:
                self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the in-place line on a terminal."""
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def safe_name(name: str) -> str:
    """A name made safe for a folder name (letters, digits, ``._-``)."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "study"
