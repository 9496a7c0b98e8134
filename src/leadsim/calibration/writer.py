"""Write the calibrated scenario: the base scenario with the fitted values put in, commented.

Every fitted value carries a YAML comment with its estimate, 95% interval and
sample size; the header lists what was fitted and says that everything else
comes from the base scenario. The document is validated with the scenario
schema before it is written, so ``calibrated.yaml`` is runnable as it is.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import yaml

from leadsim.calibration.estimates import Estimate
from leadsim.scenarios.schema import MAX_RATIO, Scenario

Path_ = tuple[Any, ...]
_P_MIN, _P_MAX = 1e-6, 1 - 1e-6


@dataclass
class Calibrated:
    """The calibrated scenario document, its comments and the provenance of its values."""

    data: dict[str, Any]
    comments: dict[Path_, str] = field(default_factory=dict)
    fitted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def put(self, path: Path_, value: Any, comment: str | None, label: str | None = None) -> None:
        """Set a value at a path (creating mappings on the way), with a comment."""
        node = self.data
        for key in path[:-1]:
            node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
        node[path[-1]] = value
        if comment:
            self.comments[path] = comment
        self.fitted.append(label or ".".join(str(p) for p in path))


def prob(x: float) -> float:
    """A probability kept strictly inside (0, 1), rounded for reading."""
    return round(min(max(float(x), _P_MIN), _P_MAX), 6)


def ratio(x: float) -> float:
    """An odds ratio kept inside the schema's range, rounded for reading."""
    return round(min(max(float(x), 1e-6), MAX_RATIO), 6)


def start(base: Scenario) -> Calibrated:
    """A calibrated document initialised as a deep copy of the resolved base scenario."""
    return Calibrated(copy.deepcopy(base.model_dump(mode="json", by_alias=True)))


def estimates_comment(items: list[tuple[str, Estimate]]) -> str:
    """One comment for a list or mapping of fitted values."""
    return "; ".join(f"{label}: {e.comment(3).removeprefix('fitted ')}" for label, e in items)


def validate(doc: Calibrated) -> Scenario:
    """Validate the document with the scenario schema (a failure here is a calibration bug)."""
    return Scenario.model_validate(doc.data)


# ---------------------------------------------------------------- YAML with comments


def _scalar(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _is_flat(value: Any) -> bool:
    if isinstance(value, dict):
        return not value
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list)) for v in value)
    return True


def _emit(obj: dict[str, Any], indent: int, path: Path_, comments: dict[Path_, str],
          lines: list[str], first_prefix: str | None = None) -> None:
    pad = " " * indent
    for i, (key, value) in enumerate(obj.items()):
        here = path + (key,)
        lead = (first_prefix if (i == 0 and first_prefix is not None) else pad)
        comment = comments.get(here)
        tail = f"  # {comment}" if comment else ""
        if _is_flat(value):
            lines.append(f"{lead}{_scalar(key)}: {_scalar(value)}{tail}")
        elif isinstance(value, dict):
            lines.append(f"{lead}{_scalar(key)}:{tail}")
            _emit(value, indent + 2, here, comments, lines)
        else:
            lines.append(f"{lead}{_scalar(key)}:{tail}")
            for j, item in enumerate(value):
                if isinstance(item, dict) and item:
                    _emit(item, indent + 4, here + (j,), comments, lines, first_prefix=" " * (indent + 2) + "- ")
                else:
                    lines.append(f"{pad}  - {_scalar(item)}")


def to_yaml(doc: Calibrated, header: list[str]) -> str:
    """The calibrated scenario as commented YAML."""
    lines = [f"# {h}" if h else "#" for h in header]
    _emit(doc.data, 0, (), doc.comments, lines)
    return "\n".join(lines) + "\n"


def header_lines(inputs: dict[str, str | None], base_name: str, doc: Calibrated) -> list[str]:
    """The explanatory header: inputs, what was fitted, what comes from the base."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = [f"Calibrated by `leadsim calibrate` on {now} from:"]
    head += [f"  {kind}: {path}" for kind, path in inputs.items() if path]
    head += ["", "Fitted from the logs (each with a comment: estimate, 95% interval, sample size):"]
    head += [f"  - {label}" for label in sorted(set(doc.fitted))]
    head += ["", f"Everything else comes from the base scenario {base_name!r} unchanged."]
    for note in doc.notes:
        head.append(f"Note: {note}")
    head.append("Details, fit statistics and warnings: fit.json beside this file.")
    return head


def finite(x: float) -> bool:
    """Whether a number is finite (a fit may leave NaN)."""
    return isinstance(x, (int, float)) and math.isfinite(x)
