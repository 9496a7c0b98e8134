"""Search spaces for ``leadsim optimize``: levers, their ranges, and how a trial becomes a scenario.

A *lever* is a scenario field the optimiser may change, named by the same
dotted path as ``--set`` (``teams.sdr.headcount``, ``policy.cadence.call_target``,
``policy.distribution.mode``), with a range or a list of choices. A space is a
small YAML file::

    space: baseline                 # marks the file as a search space (and names it)
    description: staffing, call target and spacing for the baseline floor
    levers:
      teams.sdr.headcount: {int: [4, 14]}
      policy.cadence.call_target: {int: [1, 8]}
      spacing.first_gap_minutes: {float: [2, 240], log: true}
      spacing.growth: {float: [1, 12]}
      policy.distribution.mode: {choice: [shared_pool, round_robin]}
    spacing: {first_attempt_minutes: 0, max_gap_minutes: 4320}

or, for quick use, ``--param`` options in the ``sweep`` syntax: ``PATH=LO..HI``
(whole numbers: an integer lever; decimals: a continuous one), ``PATH=LO..HI:STEP``,
``PATH=LO..HI:log`` (log scale), ``PATH=V1,V2,...`` (choices).

Lever forms: ``{int: [LO, HI]}`` / ``{float: [LO, HI]}`` (optional ``step:`` or
``log: true``), ``{choice: [A, B, ...]}`` (any YAML values, lists too) and
``{fixed: VALUE}`` (held, not searched).

Two kinds of lever are *interpretable* stand-ins for fields that are awkward
to search directly:

* **Spacing** -- ``spacing.first_gap_minutes`` (g) and ``spacing.growth`` (r)
  expand into ``policy.cadence.spacing_minutes`` for the trial's call target n:
  ``[first_attempt_minutes, g, g*r, g*r^2, ...]`` (n values), each gap capped at
  ``max_gap_minutes``. Growth 1 means evenly spaced calls; growth 3 triples every gap.
* **Headcount per shift** -- ``teams.T.shifts.I.headcount`` (I = 0, 1, ...) for a
  team T with several shifts. All reps of a team work all its shifts, so the
  team is split into one team per shift: shift 0 keeps the name T, shift I is
  team ``T_shift<I+1>`` with T's settings and only that shift. Every shift of
  T needs such a lever (``{fixed: N}`` holds one).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leadsim.planner.specs import SpecError, parse_decimal, split_param, split_range
from leadsim.scenarios.errors import ScenarioError

#: The lever names that stand for the spacing schedule.
FIRST_GAP = "spacing.first_gap_minutes"
GROWTH = "spacing.growth"
SPACING_LEVERS = (FIRST_GAP, GROWTH)
#: Fixed settings of the spacing expansion (the ``spacing:`` section of a space file).
SPACING_DEFAULTS = {"first_attempt_minutes": 0.0, "max_gap_minutes": 10080.0}

_FORMS = "a lever is {int: [LO, HI]}, {float: [LO, HI]} (optional step: or log: true), " \
         "{choice: [A, B, ...]} or {fixed: VALUE}"
_PARAM_FORMS = "expected PATH=LO..HI, PATH=LO..HI:STEP, PATH=LO..HI:log or PATH=V1,V2,... " \
               "(e.g. teams.sdr.headcount=4..14 or policy.distribution.mode=shared_pool,round_robin)"
_KINDS = ("int", "float", "choice", "fixed")


@dataclass(frozen=True)
class Lever:
    """One searched (or held) field.

    Attributes:
        path: the dotted scenario path, or a spacing / headcount-per-shift lever name.
        kind: ``int``, ``float``, ``choice`` or ``fixed``.
        low: smallest value (int/float).
        high: largest value (int/float).
        step: grid step (int/float), None for continuous floats.
        log: sample on a log scale.
        choices: the values (choice), or the one value (fixed).
    """

    path: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    step: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    def describe(self) -> str:
        """The lever's range in the space-file syntax, e.g. ``{int: [4, 14]}``."""
        if self.kind in ("int", "float"):
            low, high = _num(self.low, self.kind), _num(self.high, self.kind)
            extra = ", log: true" if self.log else (f", step: {_num(self.step, self.kind)}"
                                                    if self.step not in (None, 1) else "")
            return f"{{{self.kind}: [{low}, {high}]{extra}}}"
        if self.kind == "fixed":
            return f"{{fixed: {json.dumps(self.choices[0])}}}"
        return "{choice: " + json.dumps(list(self.choices)) + "}"

    def as_json(self) -> dict[str, Any]:
        """The lever as a JSON document (study.json)."""
        if self.kind in ("int", "float"):
            return {"path": self.path, "kind": self.kind, "low": _num(self.low, self.kind),
                    "high": _num(self.high, self.kind), "step": self.step, "log": self.log}
        return {"path": self.path, "kind": self.kind, "choices": list(self.choices)}


def _num(value: float | None, kind: str) -> int | float | None:
    if value is None:
        return None
    return int(value) if kind == "int" else float(value)


@dataclass(frozen=True)
class Space:
    """A search space: levers and the fixed settings of the spacing expansion.

    Attributes:
        name: the space's name.
        levers: the levers, in file order.
        spacing: ``first_attempt_minutes`` and ``max_gap_minutes``.
        file: where it came from (a space file, or ``--param``).
        description: free text.
    """

    name: str
    levers: tuple[Lever, ...]
    spacing: dict[str, float] = field(default_factory=lambda: dict(SPACING_DEFAULTS))
    file: str = "--param"
    description: str = ""

    @property
    def searched(self) -> tuple[Lever, ...]:
        """The levers the optimiser varies (not the fixed ones)."""
        return tuple(lever for lever in self.levers if lever.kind != "fixed")

    def as_json(self) -> dict[str, Any]:
        """The space as a JSON document (study.json, and the study's fingerprint)."""
        return {"name": self.name, "file": self.file, "levers": [lv.as_json() for lv in self.levers],
                "spacing": dict(self.spacing)}


# ---------------------------------------------------------------- lever specs


def _fail(file: str, where: str, rule: str, value: Any = None, line: int | None = None) -> ScenarioError:
    if value is None:
        return ScenarioError(file, where, rule, line=line)
    return ScenarioError(file, where, rule, value, line=line)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _range_lever(path: str, kind: str, spec: dict[str, Any], file: str, where: str,
                 line: int | None) -> Lever:
    bounds = spec[kind]
    if not isinstance(bounds, list) or len(bounds) != 2 or not all(_is_number(b) for b in bounds):
        raise _fail(file, f"{where}.{kind}", "must be a list of two numbers [LO, HI]", bounds, line)
    low, high = bounds
    if kind == "int" and not all(float(b).is_integer() for b in bounds):
        raise _fail(file, f"{where}.int", "an int lever needs whole numbers (use float: for decimals)",
                    bounds, line)
    if low > high:
        raise _fail(file, f"{where}.{kind}", f"LO ({low}) must not be above HI ({high})", bounds, line)
    step, log = spec.get("step"), spec.get("log", False)
    if not isinstance(log, bool):
        raise _fail(file, f"{where}.log", "must be true or false", log, line)
    if step is not None:
        if not _is_number(step) or step <= 0 or (kind == "int" and not float(step).is_integer()):
            raise _fail(file, f"{where}.step", f"must be a {'whole ' if kind == 'int' else ''}number > 0",
                        step, line)
        if log and not (kind == "int" and step == 1):
            raise _fail(file, where, "step and log: true do not go together (Optuna samples a log "
                        "scale without a step)", spec, line)
    if log and low <= 0:
        raise _fail(file, f"{where}.{kind}", "a log-scale lever needs LO > 0", bounds, line)
    if kind == "int":
        return Lever(path, "int", float(int(low)), float(int(high)), float(int(step or 1)), log)
    return Lever(path, "float", float(low), float(high), None if step is None else float(step), log)


def lever_from_spec(path: str, spec: Any, file: str, line: int | None = None) -> Lever:
    """Read one lever from its space-file mapping.

    Args:
        path: the lever's path (the key in ``levers:``).
        spec: the mapping, e.g. ``{"int": [4, 14]}``.
        file: the space file, for messages.
        line: the key's line in the file, for messages.

    Raises:
        ScenarioError: naming the file, ``levers.PATH``, the rule and the value.
    """
    where = f"levers.{path}"
    if not path or any(not part for part in path.split(".")):
        raise _fail(file, where, "a lever's path is a dotted scenario path such as teams.sdr.headcount",
                    path, line)
    if not isinstance(spec, dict):
        raise _fail(file, where, _FORMS, spec, line)
    kinds = [k for k in _KINDS if k in spec]
    if len(kinds) != 1:
        raise _fail(file, where, _FORMS, spec, line)
    kind = kinds[0]
    allowed = {kind, "step", "log"} if kind in ("int", "float") else {kind}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise _fail(file, where, f"unknown key(s) {unknown}; {_FORMS}", spec, line)
    if kind in ("int", "float"):
        return _range_lever(path, kind, spec, file, where, line)
    if kind == "fixed":
        return Lever(path, "fixed", choices=(spec["fixed"],))
    values = spec["choice"]
    if not isinstance(values, list) or not values:
        raise _fail(file, f"{where}.choice", "must be a non-empty list of values", values, line)
    texts = [json.dumps(v, sort_keys=True) for v in values]
    if len(set(texts)) != len(texts):
        raise _fail(file, f"{where}.choice", "the list repeats a value", values, line)
    return Lever(path, "choice", choices=tuple(values))


# ---------------------------------------------------------------- --param




def parse_param(text: str) -> Lever:
    """Parse one ``--param`` into a lever (see the module docstring for the forms).

    Raises:
        SpecError: with the text typed and the expected forms.
    """
    from leadsim.scenarios.loader import parse_yaml_value

    path, spec = split_param(text, _PARAM_FORMS)
    if ".." in spec:
        lo, hi, tail = split_range(text, spec, _PARAM_FORMS)
        low, high = parse_decimal(lo, text, "LO", _PARAM_FORMS), parse_decimal(hi, text, "HI", _PARAM_FORMS)
        if low > high:
            raise SpecError(f"--param {text!r}: LO ({lo.strip()}) is above HI ({hi.strip()})")
        log = tail is not None and tail.strip().lower() == "log"
        step = None if tail is None or log else parse_decimal(tail, text, "STEP", _PARAM_FORMS)
        if step is not None and step <= 0:
            raise SpecError(f"--param {text!r}: STEP must be > 0 (got {str(tail).strip()})")
        whole = all(v == v.to_integral_value() for v in (low, high) + ((step,) if step is not None else ()))
        if log and low <= 0:
            raise SpecError(f"--param {text!r}: a log scale needs LO > 0")
        if whole and (step is not None or "." not in lo + hi):
            return Lever(path, "int", float(low), float(high), float(step or 1), bool(log))
        return Lever(path, "float", float(low), float(high), None if step is None else float(step), bool(log))
    items = [item.strip() for item in spec.split(",")]
    if any(not item for item in items):
        raise SpecError(f"--param {text!r}: an empty value in {spec!r}; {_PARAM_FORMS}")
    if len(set(items)) != len(items):
        raise SpecError(f"--param {text!r}: the list repeats a value")
    try:
        values = tuple(parse_yaml_value(item) for item in items)
    except ScenarioError as exc:
        raise SpecError(f"--param {text!r}: {exc.rule}") from None
    return Lever(path, "choice" if len(values) > 1 else "fixed", choices=values)


def space_from_params(params: Sequence[str]) -> Space:
    """A space from ``--param`` options.

    Raises:
        SpecError: for a malformed option; ScenarioError for a structural problem.
    """
    levers = tuple(parse_param(p) for p in params)
    space = Space("params", levers)
    check_structure(space)
    return space


# ---------------------------------------------------------------- structure


def shift_lever(path: str) -> tuple[str, int] | None:
    """``(team, shift index)`` if ``path`` is a headcount-per-shift lever ``teams.T.shifts.I.headcount``."""
    parts = path.split(".")
    if len(parts) == 5 and parts[0] == "teams" and parts[2] == "shifts" and parts[4] == "headcount" \
            and parts[3].isdigit():
        return parts[1], int(parts[3])
    return None


def check_structure(space: Space) -> None:
    """Rules that need no scenario: unique paths, spacing levers in pairs and with sane ranges.

    Raises:
        ScenarioError: naming the space file and the lever.
    """
    paths = [lever.path for lever in space.levers]
    for path in paths:
        if paths.count(path) > 1:
            raise ScenarioError(space.file, f"levers.{path}", "the lever is given twice", path)
    given = [p for p in SPACING_LEVERS if p in paths]
    if len(given) == 1:
        missing = next(p for p in SPACING_LEVERS if p not in paths)
        raise ScenarioError(space.file, f"levers.{given[0]}", f"spacing levers come in pairs: give {missing} "
                            "too (use {fixed: VALUE} to hold it)", given[0])
    for lever in space.levers:
        if lever.path.startswith("spacing.") and lever.path not in SPACING_LEVERS:
            raise ScenarioError(space.file, f"levers.{lever.path}", f"unknown spacing lever; the spacing "
                                f"levers are {', '.join(SPACING_LEVERS)}", lever.path)
        if lever.path in SPACING_LEVERS and "policy.cadence.spacing_minutes" in paths:
            raise ScenarioError(space.file, f"levers.{lever.path}", "spacing levers and a "
                                "policy.cadence.spacing_minutes lever cannot be combined", lever.path)
        values = lever.choices if lever.kind in ("choice", "fixed") else (lever.low, lever.high)
        if lever.path == FIRST_GAP and any(not _is_number(v) or v < 0 for v in values):
            raise ScenarioError(space.file, f"levers.{lever.path}", "the first gap is minutes >= 0",
                                list(values))
        if lever.path == GROWTH and any(not _is_number(v) or v < 1 for v in values):
            raise ScenarioError(space.file, f"levers.{lever.path}", "growth is a factor >= 1 (1: even "
                                "spacing; 2: every gap twice the one before)", list(values))
        if shift_lever(lever.path) is not None and (lever.kind == "float" or any(
                not isinstance(v, int) or isinstance(v, bool) for v in lever.choices)):
            raise ScenarioError(space.file, f"levers.{lever.path}", "a headcount per shift is a whole "
                                "number ({int: [LO, HI]}, a choice of integers or fixed)", lever.describe())


# ---------------------------------------------------------------- values -> overrides


def spacing_minutes(first_gap: float, growth: float, call_target: int, first_attempt: float = 0.0,
                    max_gap: float = SPACING_DEFAULTS["max_gap_minutes"]) -> list[float]:
    """Expand the interpretable spacing levers into ``spacing_minutes`` for ``call_target`` calls.

    Returns:
        ``[first_attempt, g, g*r, g*r^2, ...]`` with ``call_target`` values, every gap
        capped at ``max_gap`` and rounded to 0.1 minute.

    Example:
        >>> spacing_minutes(5, 3, 5)
        [0.0, 5.0, 15.0, 45.0, 135.0]
    """
    gaps = [float(first_attempt)]
    for k in range(max(call_target, 1) - 1):
        gaps.append(round(min(first_gap * growth ** k, max_gap), 1))
    return gaps


def _yaml_text(value: Any) -> str:
    """A value written so the scenario loader's YAML reads it back (JSON is YAML)."""
    return json.dumps(value)


def lever_values(space: Space, params: dict[str, Any]) -> dict[str, Any]:
    """Every lever's value for a trial: Optuna's params for searched levers, fixed values for the rest.

    A choice whose values are not plain scalars (a list of priority rules) travels
    through Optuna as its JSON text and is decoded here.
    """
    values: dict[str, Any] = {}
    for lever in space.levers:
        if lever.kind == "fixed":
            values[lever.path] = lever.choices[0]
        elif lever.kind == "choice" and not _scalar_choices(lever):
            values[lever.path] = json.loads(params[lever.path])
        else:
            values[lever.path] = params[lever.path]
    return values


def _scalar_choices(lever: Lever) -> bool:
    return all(v is None or isinstance(v, (bool, int, float, str)) for v in lever.choices)


def optuna_choices(lever: Lever) -> tuple[Any, ...]:
    """The choices as Optuna stores them: scalars as they are, anything else as JSON text."""
    if _scalar_choices(lever):
        return lever.choices
    return tuple(json.dumps(v) for v in lever.choices)


def overrides_for(space: Space, values: dict[str, Any], base: Any) -> list[str]:
    """The ``--set`` overrides that turn the base scenario into a trial's scenario.

    Args:
        space: the space.
        values: every lever's value (:func:`lever_values`).
        base: the base Scenario (for the call target when it is not a lever, and
            for the teams that headcount-per-shift levers split).

    Returns:
        Override strings, in this order: the split teams (one ``teams=[...]``),
        then the plain levers, then the expanded spacing schedule.
    """
    out: list[str] = []
    shifts: dict[str, dict[int, int]] = {}
    for path, value in values.items():
        split = shift_lever(path)
        if split is not None:
            shifts.setdefault(split[0], {})[split[1]] = int(value)
    if shifts:
        out.append("teams=" + _yaml_text(split_teams(base, shifts)))
    if any(path.startswith("policy.distribution.") for path in values):
        # A file may write the shorthand `distribution: shared_pool`; spell the section
        # out first so that a lever on one of its fields has a mapping to set.
        spelled = base.policy.distribution.model_dump(mode="json", by_alias=True, exclude_none=True)
        out.append("policy.distribution=" + _yaml_text(spelled))
    for path, value in values.items():
        if path in SPACING_LEVERS or shift_lever(path) is not None:
            continue
        out.append(f"{path}={_yaml_text(value)}")
    if FIRST_GAP in values:
        target = int(values.get("policy.cadence.call_target", base.policy.cadence.call_target))
        schedule = spacing_minutes(float(values[FIRST_GAP]), float(values[GROWTH]), target,
                                   space.spacing["first_attempt_minutes"], space.spacing["max_gap_minutes"])
        out.append(f"policy.cadence.spacing_minutes={_yaml_text(schedule)}")
    return out


def split_teams(base: Any, shifts: dict[str, dict[int, int]]) -> list[dict[str, Any]]:
    """The base's teams with each team in ``shifts`` split into one team per shift.

    Args:
        base: the base Scenario.
        shifts: team name -> {shift index: headcount}.

    Returns:
        The ``teams`` list as scenario data: shift 0 keeps the team's name, shift i
        becomes ``<team>_shift<i+1>``.
    """
    teams = []
    for team in base.teams:
        data = team.model_dump(mode="json", by_alias=True)
        if team.name not in shifts:
            teams.append(data)
            continue
        for index, shift in enumerate(data["shifts"]):
            part = dict(data, shifts=[shift], headcount=shifts[team.name][index])
            part["name"] = team.name if index == 0 else f"{team.name}_shift{index + 1}"
            teams.append(part)
    return teams
