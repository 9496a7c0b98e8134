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

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml
from pydantic import ValidationError

from leadsim.scenarios.errors import NO_VALUE, Problem, ScenarioError
from leadsim.scenarios.paths import Applied, Loc, apply_override, describe_shape, shapes_at
from leadsim.scenarios.schema import Scenario

#: Folder of the scenarios shipped with leadsim (package data).
LIBRARY = Path(__file__).parent / "library"

# ---------------------------------------------------------------- YAML dialect

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """YAML 1.1 safe loading with two traps removed.

    * Base-60 numbers: plain YAML 1.1 reads ``end: 17:00`` as the integer 1020
      (but ``08:00`` as a string). Times of day are everywhere in a scenario, so
      ``HH:MM`` is always a string here.
    * Duplicate keys: plain YAML keeps the last one silently; here it is an error,
      like any other key that would be ignored.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            # Keys merged in with "<<: *anchor" may be overridden on purpose; skip them.
            if key_node.tag == _MERGE or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first given on line {first})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# PyYAML's own int and float patterns, minus their sexagesimal (base-60) branches.
_Loader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
        r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _yaml_problem(file: str | None, exc: yaml.YAMLError) -> ScenarioError:
    """A ScenarioError for YAML that does not parse, with its line and column."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    rule = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    if mark is None:
        return ScenarioError(file, None, rule)
    return ScenarioError(file, None, rule, line=mark.line + 1, column=mark.column + 1)


def parse_yaml_value(text: str) -> Any:
    """Parse one ``--set`` value with the scenario YAML dialect.

    Raises:
        ScenarioError: if it is not valid YAML (no file named).
    """
    try:
        return _fresh(yaml.load(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        raise _yaml_problem(None, exc) from None


def _fresh(obj: Any) -> Any:
    """Copy mappings and lists so that no two places share one object.

    YAML anchors (``&h`` ... ``*h``) make several keys point at one dict; an
    override of one of them must not change the others.
    """
    if isinstance(obj, dict):
        return {key: _fresh(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_fresh(value) for value in obj]
    return obj


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
    """Read one YAML file whose top level must be a mapping."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(file, None, f"cannot read file: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        reason = "file not found" if isinstance(exc, FileNotFoundError) else \
            f"cannot read file: {exc.strerror or exc}"
        raise ScenarioError(file, None, reason) from None
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_problem(file, exc) from None
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(file, None, f"the top level must be a mapping of sections "
                            f"(name:, calendar:, sources:, ...), got {got}")
    return _Document(_fresh(data), node)


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
    merged = _fresh(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = _fresh(value)
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
                 "model_attributes_type", "is_instance_of"}


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
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _to_scenario_error(exc: ValidationError, data: dict[str, Any], file: str,
                       node: yaml.Node | None, applied: Sequence[Applied]) -> ScenarioError:
    """Convert a pydantic ValidationError into a ScenarioError with one problem per error."""
    problems = []
    for loc, error in _collapse(exc.errors(), data):
        # A missing field has no value of its own (pydantic gives the parent); nor
        # does a rule about the scenario as a whole.
        value = NO_VALUE if error["type"] == "missing" or not loc else error["input"]
        # Blame an override only for errors on its own path (not the scenario-wide rules).
        sources = [a.text for a in applied
                   if loc and (a.loc[: len(loc)] == loc or loc[: len(a.loc)] == a.loc)]
        note = "from --set " + ", ".join(sources) if sources else None
        line = None if sources else _line_of(node, loc, error["type"] == "missing")
        path = ".".join(str(s) for s in loc) or None
        problems.append(Problem(file, path, _rule(error), value, line=line, note=note))
    return ScenarioError(problems=problems)


# ---------------------------------------------------------------- public API


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load, resolve and validate a scenario file.

    Args:
        path: a YAML file, or the bare name of a bundled scenario (``baseline``).
        overrides: ``dotted.path=value`` strings applied after ``extends:`` is
            resolved, in order (see :mod:`leadsim.scenarios.paths`).

    Returns:
        The validated scenario; its ``extends`` is None (already applied).

    Raises:
        ScenarioError: for any bad input, naming file, field path, rule and value.
    """
    file_path = resolve_scenario_path(path)
    file = str(file_path)
    document = _read_document(file_path)
    data = _resolve_extends(file_path, document.data, [file_path])
    applied = [apply_override(data, text, file, parse_yaml_value) for text in overrides]
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _to_scenario_error(exc, data, file, document.node, applied) from None


def resolved_yaml(scenario: Scenario) -> str:
    """The fully resolved scenario as YAML, e.g. for ``scenario.resolved.yaml``.

    Every default is written out, so the file alone reproduces the run; loading
    it again gives an equal Scenario.
    """
    data = scenario.model_dump(mode="json", by_alias=True)
    header = f"# Scenario {scenario.name!r} fully resolved by leadsim (extends and --set applied).\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (what ``leadsim schema`` prints)."""
    return Scenario.model_json_schema(by_alias=True)
