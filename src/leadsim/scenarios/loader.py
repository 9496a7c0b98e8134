"""Load a scenario: read YAML, resolve ``extends:``, apply ``--set``, validate.

The steps, in order:

1. find the file (a path, or the bare name of a bundled scenario such as
   ``baseline``);
2. read it as YAML; the top level must be a mapping;
3. if it says ``extends: other.yaml`` (relative to this file), load that file
   the same way and deep-merge this one over it: mappings merge key by key,
   lists and scalars (``null`` included) replace; a cycle is an error;
4. apply each ``--set dotted.path=value`` (see :mod:`leadsim.scenarios.paths`);
5. validate with the pydantic :class:`~leadsim.scenarios.schema.Scenario`.

Every failure is a :class:`~leadsim.scenarios.errors.ScenarioError`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from leadsim.scenarios.errors import NO_VALUE, Problem, ScenarioError
from leadsim.scenarios.paths import (
    Applied,
    Loc,
    Override,
    apply_override,
    as_override,
    describe_shape,
    shapes_at,
)
from leadsim.scenarios.safe_yaml import fresh, load_yaml_file, load_yaml_text
from leadsim.scenarios.schema import Scenario

#: Folder of the scenarios shipped with leadsim (package data).
LIBRARY = Path(__file__).parent / "library"

# ---------------------------------------------------------------- YAML

#: Longest chain of ``extends:`` files (a what-if of a what-if of ...).
MAX_EXTENDS_DEPTH = 20


def parse_yaml_value(text: str) -> Any:
    """Parse one ``--set`` value with the scenario YAML dialect (and its limits).

    Raises:
        ScenarioError: if it is not valid YAML (no file named).
    """
    return load_yaml_text(text, None)[0]


# ---------------------------------------------------------------- files


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped with leadsim (``baseline``, ``erlang_c``, ...)."""
    # space_*.yaml are search spaces for `leadsim optimize`, not scenarios.
    return sorted(p.stem for p in LIBRARY.glob("*.yaml") if not p.stem.startswith("space_"))


def resolve_scenario_path(path: str | Path) -> Path:
    """Find a scenario file: an existing path, or the bare name of a bundled scenario.

    ``baseline`` (or ``baseline.yaml``) means the bundled ``library/baseline.yaml``
    when no such file exists in the current folder.

    Raises:
        ScenarioError: if neither exists.
    """
    candidate = Path(path)
    if candidate.exists():
        return candidate
    text = str(path)
    if "/" not in text and "\\" not in text:
        name = text if text.endswith((".yaml", ".yml")) else f"{text}.yaml"
        bundled = LIBRARY / name
        if bundled.exists():
            return bundled
        known = ", ".join(bundled_scenarios())
        raise ScenarioError(text, None, f"file not found (nor a bundled scenario; those are: {known})")
    raise ScenarioError(text, None, "file not found")


@dataclass(frozen=True)
class _Document:
    """A parsed scenario file: its data and, for locating errors, its YAML node tree."""

    data: dict[str, Any]
    node: yaml.Node | None


def _read_document(path: Path) -> _Document:
    """Read one YAML file (within the limits of :mod:`~leadsim.scenarios.safe_yaml`) whose
    top level must be a mapping."""
    data, node = load_yaml_file(path, "scenario file")
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(str(path), None, f"the top level must be a mapping of sections "
                            f"(name:, calendar:, sources:, ...), got {got}")
    return _Document(data, node)


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Merge ``over`` onto ``base``: mappings key by key; lists and scalars replace.

    Neither input is modified. ``null`` in ``over`` replaces too (it is how a
    what-if switches off, say, an expiry).

    Args:
        base: the scenario being extended.
        over: the extending scenario's own keys.

    Returns:
        A new merged mapping.
    """
    merged = fresh(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = fresh(value)
    return merged


def _resolve_extends(path: Path, data: dict[str, Any], chain: list[Path]) -> dict[str, Any]:
    """Merge ``data`` (read from ``path``) over the file it extends, recursively."""
    own = {key: value for key, value in data.items() if key != "extends"}
    target = data.get("extends")
    if target is None:
        return own
    if not isinstance(target, str) or not target.strip():
        raise ScenarioError(str(path), "extends", "must be the name of another scenario file", target)
    base_path = path.parent / target
    if not base_path.exists() and "/" not in target and "\\" not in target:
        # A what-if outside the library may extend a bundled scenario by name.
        try:
            base_path = resolve_scenario_path(target)
        except ScenarioError:
            pass
    if not base_path.exists():
        raise ScenarioError(str(path), "extends", f"file not found: {base_path}", target)
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise ScenarioError(str(path), "extends", f"more than {MAX_EXTENDS_DEPTH} files extend one "
                            "another (the limit)", target)
    seen = [p.resolve() for p in chain]
    if base_path.resolve() in seen:
        names = " -> ".join(str(p) for p in chain + [base_path])
        raise ScenarioError(str(path), "extends", f"extends cycle: {names}", target)
    base = _read_document(base_path).data
    return deep_merge(_resolve_extends(base_path, base, chain + [base_path]), own)


# ---------------------------------------------------------------- validation errors


def _line_of(node: yaml.Node | None, loc: Loc, missing: bool = False) -> int | None:
    """1-based line of the value at ``loc`` in a file's YAML node tree, if it is there.

    For a missing field (``missing``), the line of the mapping that lacks it.
    """
    if missing and loc:
        loc = loc[:-1]
    for segment in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value
                         if isinstance(k, yaml.ScalarNode) and k.value == str(segment)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(segment, int) \
                and segment < len(node.value):
            node = node.value[segment]
        elif isinstance(node, yaml.ScalarNode):
            break  # a shorthand scalar (distribution: round_robin) stands for its fields
        else:
            return None
    return None if node is None else node.start_mark.line + 1


def _navigable(data: Any, segment: Any) -> bool:
    if isinstance(data, dict):
        return segment in data
    return isinstance(data, (list, tuple)) and isinstance(segment, int) and 0 <= segment < len(data)


def _split_union(error: dict[str, Any], data: Any) -> tuple[Loc, str | None, Loc]:
    """Split an error location at its first union-member tag.

    Pydantic puts the member's name (``LognormalDist``, ``literal['flat', ...]``)
    into the location of errors inside a union. Such a segment is one the data
    cannot be walked by; a missing field is the other such segment, always last.

    Returns:
        (location before the tag, the tag or None, location after the tag).
    """
    loc = tuple(s for s in error["loc"] if s != "[key]")
    for i, segment in enumerate(loc):
        if not _navigable(data, segment):
            if i == len(loc) - 1 and error["type"] == "missing":
                break
            if _field_name(segment):
                break  # a model field under a value that a before-validator reshaped
            return loc[:i], str(segment), loc[i + 1:]
        data = data[segment]
    return loc, None, ()


_TYPE_TAGS = {"int", "str", "float", "bool", "none", "list", "dict", "tuple", "set"}


def _field_name(segment: Any) -> bool:
    """True for a snake_case field name (union tags are class names, literal[...] or type names)."""
    return isinstance(segment, str) and segment.isidentifier() and segment.islower() and segment not in _TYPE_TAGS


#: Error types saying the value has the wrong form for a union member at all.
_SHAPE_ERRORS = {"missing", "extra_forbidden", "model_type", "dict_type", "literal_error",
                 "model_attributes_type", "is_instance_of",
                 # a mapping where a number was expected (patience_seconds: 45 or {weibull: ...})
                 "float_type", "int_type"}


def _collapse(errors: list[dict[str, Any]], data: Any, prefix: Loc = ()) -> list[tuple[Loc, dict[str, Any]]]:
    """Turn pydantic errors into (clean location, error), merging union-member noise.

    For a value that matches no member of a union, pydantic reports every member's
    complaints. If exactly one member has the right form (its only errors lie
    deeper inside), its errors are the ones that matter; otherwise one error says
    which forms are allowed.
    """
    # Keep pydantic's order: a union's entry takes the place of its first member error.
    order: list[tuple[Loc, dict[str, Any] | None]] = []
    unions: dict[Loc, dict[str, list[tuple[Loc, dict[str, Any]]]]] = {}
    for error in errors:
        before, tag, after = _split_union(error, data)
        if tag is None:
            order.append((prefix + before, error))
            continue
        if before not in unions:
            order.append((before, None))
        unions.setdefault(before, {}).setdefault(tag, []).append((after, error))
    out: list[tuple[Loc, dict[str, Any]]] = []
    for loc, plain in order:
        if plain is not None:
            out.append((loc, plain))
        else:
            out.extend(_union_errors(unions[loc], data, prefix, loc))
    return out


def _union_errors(members: dict[str, list[tuple[Loc, dict[str, Any]]]], data: Any,
                  prefix: Loc, before: Loc) -> list[tuple[Loc, dict[str, Any]]]:
    """The errors that matter for a value at ``before`` that matched no union member."""
    value = _value_at(data, before)
    fitting = [m for m in members.values()
               if not any(e["type"] in _SHAPE_ERRORS and len(rest) <= 1 for rest, e in m)]
    if len(fitting) == 1:
        inner = [dict(e, loc=rest) for rest, e in fitting[0]]
        return _collapse(inner, value, prefix + before)
    forms = [describe_shape(s) for s in shapes_at(prefix + before)] or list(members)
    rule = "must be one of the forms " + " or ".join(forms)
    return [(prefix + before, {"type": "union", "msg": rule, "input": value})]


def _value_at(data: Any, loc: Loc) -> Any:
    for segment in loc:
        data = data[segment]
    return data


def _rule(error: dict[str, Any]) -> str:
    """The pydantic message without its "Value error, " style prefix."""
    message = str(error["msg"])
    if error["type"] in ("int_type", "float_type") and isinstance(error.get("input"), bool):
        return "must be a number, not true/false"
    if error["type"] == "int_type" and isinstance(error.get("input"), float):
        if not math.isfinite(error["input"]):
            return "must be a finite whole number"
        return "must be a whole number (an integer such as 12, not 12.0)"
    if error["type"] == "finite_number":
        return "must be a finite number (not .inf or .nan)"
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _to_scenario_error(exc: ValidationError, data: dict[str, Any], file: str,
                       node: yaml.Node | None, applied: Sequence[Applied]) -> ScenarioError:
    """Convert a pydantic ValidationError into a ScenarioError with one problem per error."""
    problems = []
    for loc, error in _collapse([dict(e) for e in exc.errors()], data):
        # A missing field has no value of its own (pydantic gives the parent); nor
        # does a rule about the scenario as a whole.
        value = NO_VALUE if error["type"] == "missing" or not loc else error["input"]
        # Blame an override only for errors on its own path (not the scenario-wide rules).
        sources = [a for a in applied
                   if loc and (a.loc[: len(loc)] == loc or loc[: len(a.loc)] == a.loc)]
        origins = list(dict.fromkeys(a.origin for a in sources))
        note = "; ".join(f"from {o} " + ", ".join(a.text for a in sources if a.origin == o)
                         for o in origins) or None
        line = None if sources else _line_of(node, loc, error["type"] == "missing")
        path = ".".join(str(s) for s in loc) or None
        problems.append(Problem(file, path, _rule(error), value, line=line, note=note))
    return ScenarioError(problems=problems)


# ---------------------------------------------------------------- public API


def load_raw(path: str | Path) -> tuple[Path, dict[str, Any], yaml.Node | None]:
    """Read a scenario file and resolve its ``extends:``, without validating it.

    Returns:
        (the file found, the merged mapping, the file's own YAML node tree).

    Raises:
        ScenarioError: for a missing or unreadable file, bad YAML or a bad ``extends:``.
    """
    file_path = resolve_scenario_path(path)
    document = _read_document(file_path)
    return file_path, _resolve_extends(file_path, document.data, [file_path]), document.node


def override_applies(data: dict[str, Any], override: str | Override) -> bool:
    """Whether an override's path exists in a resolved (raw) scenario mapping (``data`` is not changed)."""
    item = as_override(override)
    try:
        apply_override(fresh(data), item.text, None, parse_yaml_value, item.origin)
    except ScenarioError:
        return False
    return True


def load_scenario(path: str | Path, overrides: Sequence[str | Override] = ()) -> Scenario:
    """Load, resolve and validate a scenario file.

    Args:
        path: a YAML file, or the bare name of a bundled scenario (``baseline``).
        overrides: ``dotted.path=value`` strings (``--set``), or
            :class:`~leadsim.scenarios.paths.Override` pairs naming the option
            they came from, applied after ``extends:`` is resolved, in order
            (see :mod:`leadsim.scenarios.paths`).

    Returns:
        The validated scenario; its ``extends`` is None (already applied).

    Raises:
        ScenarioError: for any bad input, naming file, field path, rule and value.
    """
    file_path, data, node = load_raw(path)
    file = str(file_path)
    applied = [apply_override(data, o.text, file, parse_yaml_value, o.origin)
               for o in map(as_override, overrides)]
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _to_scenario_error(exc, data, file, node, applied) from None


def resolved_yaml(scenario: Scenario) -> str:
    """The fully resolved scenario as YAML, e.g. for ``scenario.resolved.yaml``.

    Every default is written out, so the file alone reproduces the run; loading
    it again gives an equal Scenario.
    """
    data = scenario.model_dump(mode="json", by_alias=True)
    header = f"# Scenario {scenario.name!r} fully resolved by leadsim (extends and --set applied).\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (what ``leadsim schema`` prints).

    Every numeric field's description ends with its range in words (e.g.
    ``Range: 0 <= x <= 3660; finite.``), the same bounds as its ``minimum`` /
    ``maximum`` keywords, so a reader of descriptions alone sees them too.
    """
    schema = Scenario.model_json_schema(by_alias=True)
    for model in schema.get("$defs", {}).values():
        _describe_bounds(model)
    _describe_bounds(schema)
    return schema


def format_bound(x: float) -> str:
    """A bound as the docs write it: ``3,660``, ``1,000,000``, ``0.5``."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:g}"


def _bound_text(node: dict[str, Any]) -> str | None:
    """``0 < x <= 3660`` for a number schema with bounds, else None."""
    if node.get("type") not in ("number", "integer"):
        return None
    low = (f"{format_bound(node['minimum'])} <= " if "minimum" in node else
           f"{format_bound(node['exclusiveMinimum'])} < " if "exclusiveMinimum" in node else "")
    high = (f" <= {format_bound(node['maximum'])}" if "maximum" in node else
            f" < {format_bound(node['exclusiveMaximum'])}" if "exclusiveMaximum" in node else "")
    if not low and not high:
        return None
    kind = "an integer" if node["type"] == "integer" else "a finite number"
    return f"{low}x{high}, {kind}"


def _numbers_in(prop: dict[str, Any]) -> list[str]:
    """Range texts of a property: itself, its union members, items and mapping values."""
    found = []
    for node in [prop, *prop.get("anyOf", []), *prop.get("prefixItems", [])]:
        for sub in (node, node.get("items"), node.get("additionalProperties")):
            if isinstance(sub, dict):
                text = _bound_text(sub)
                if text and text not in found:
                    found.append(text)
    return found


def _describe_bounds(model: dict[str, Any]) -> None:
    for prop in model.get("properties", {}).values():
        ranges = _numbers_in(prop)
        if ranges:
            text = "Range: " + "; ".join(ranges) + "."
            prop["description"] = (prop.get("description", "") + " " + text).strip()
