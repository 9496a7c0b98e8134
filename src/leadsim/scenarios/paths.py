"""Dotted field paths into a scenario: walking the schema, and ``--set`` overrides.

A path such as ``sources.web_form.volume.per_day`` is walked through the raw
(not yet validated) scenario mapping and, in step, through the pydantic model
classes, so that an override can set a key the YAML file left out (the schema
defines it) while an unknown key is an error (the schema does not).

Path semantics, one segment at a time:

* in a mapping, a segment is a key; it is legal if a schema model at that point
  has that field (by name or by alias, e.g. ``in`` for the calling window), or
  if the field is a ``dict`` (any key), e.g. ``contact.base.web_form``;
* in a list, a segment is an integer index (``sources.0``) or the ``name`` of an
  item (``sources.web_form``, ``teams.sdr``);
* missing mappings along the way are created (``policy.cadence.call_target=3``
  works when the file has no ``policy`` section), as are ``null`` ones;
* the value after ``=`` is parsed as YAML: ``3`` is an int, ``[0, 10]`` a list,
  ``{fixed: 1}`` a mapping, ``null`` None, ``"08:00"`` (or 08:00) a string.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import (
    Annotated,
    Any,
    Literal,
    NamedTuple,
    Union,
    get_args,
    get_origin,
)

from pydantic import BaseModel

from leadsim.scenarios.errors import ScenarioError, show_value
from leadsim.scenarios.schema import Scenario

#: Stands for "anything goes here" (an ``Any`` or untyped field).
_ANY = object()

#: Path segments: a mapping key or a list index.
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class _ListOf:
    """A list (or tuple) field whose items have the given annotation."""

    item: Any


@dataclass(frozen=True)
class _DictOf:
    """A dict field: any key, values with the given annotation."""

    value: Any


def candidates(annotation: Any) -> list[Any]:
    """Flatten an annotation into the shapes a value may take.

    ``Optional``/``Union`` give one entry per member (``None`` dropped),
    ``Annotated`` is unwrapped, lists and tuples become ``_ListOf``, dicts
    ``_DictOf``; model classes, ``Literal`` and scalar types stay as they are.

    Args:
        annotation: a field annotation from a pydantic model.

    Returns:
        The possible shapes, in declaration order.
    """
    origin = get_origin(annotation)
    if annotation is Any:
        return [_ANY]
    if origin is Annotated:
        return candidates(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        out: list[Any] = []
        for member in get_args(annotation):
            if member is not type(None):
                out.extend(candidates(member))
        return out
    if origin in (list, tuple, set, frozenset):
        items = [a for a in get_args(annotation) if a is not Ellipsis]
        return [_ListOf(Union[tuple(items)] if items else Any)]
    if origin is dict:
        args = get_args(annotation)
        return [_DictOf(args[1] if len(args) == 2 else Any)]
    return [annotation]


def _is_model(shape: Any) -> bool:
    return isinstance(shape, type) and issubclass(shape, BaseModel)


def _field_annotation(model: type[BaseModel], key: str) -> Any | None:
    """The annotation of ``model``'s field called ``key`` (by name or alias), else None."""
    for name, info in model.model_fields.items():
        if key == name or key == info.alias:
            return info.annotation
    return None


def _model_keys(model: type[BaseModel]) -> list[str]:
    """The keys a user writes for ``model``: aliases where they exist, else names."""
    return [info.alias or name for name, info in model.model_fields.items()]


def key_shapes(shapes: Sequence[Any], key: str) -> tuple[bool, list[Any]]:
    """Step from mapping shapes into ``key``.

    Returns:
        (legal, shapes of the value under ``key``); legal is False if no
        shape has such a key.
    """
    legal, out = False, []
    for shape in shapes:
        if shape is _ANY:
            legal = True
            out.append(_ANY)
        elif isinstance(shape, _DictOf):
            legal = True
            out.extend(candidates(shape.value))
        elif _is_model(shape):
            annotation = _field_annotation(shape, key)
            if annotation is not None:
                legal = True
                out.extend(candidates(annotation))
    return legal, out


def item_shapes(shapes: Sequence[Any]) -> list[Any]:
    """Shapes of the items of the list shapes among ``shapes``."""
    out: list[Any] = []
    for shape in shapes:
        if shape is _ANY:
            out.append(_ANY)
        elif isinstance(shape, _ListOf):
            out.extend(candidates(shape.item))
    return out


def shapes_at(loc: Loc) -> list[Any]:
    """The schema shapes of the value at ``loc`` (indices for lists), [] if unknown."""
    shapes: list[Any] = [Scenario]
    for segment in loc:
        if isinstance(segment, int):
            shapes = item_shapes(shapes)
        else:
            shapes = key_shapes(shapes, segment)[1]
        if not shapes:
            return []
    return shapes


def describe_shape(shape: Any) -> str:
    """A short user-facing description of one allowed form, e.g. ``{lognormal}``."""
    if _is_model(shape):
        return "{" + ", ".join(_model_keys(shape)) + "}"
    if get_origin(shape) is Literal:
        return " | ".join(repr(v) for v in get_args(shape))
    if isinstance(shape, _ListOf):
        return "a list"
    if isinstance(shape, _DictOf):
        return "a mapping"
    return getattr(shape, "__name__", str(shape))


# ---------------------------------------------------------------- overrides


class Override(NamedTuple):
    """An override and the option it came from (``--set``, ``--vary``, ``--param``), for messages.

    A plain string passed where overrides are expected means ``Override(text, "--set")``.
    """

    text: str
    origin: str = "--set"


def as_override(item: str | Override) -> Override:
    """An Override from a plain ``--set`` string or an Override."""
    return item if isinstance(item, Override) else Override(item)


@dataclass(frozen=True)
class Applied:
    """An override that was applied: its text, the concrete location it set, its option."""

    text: str
    loc: Loc
    origin: str = "--set"


class _Walk:
    """One override being walked; builds the errors that name where it went wrong."""

    def __init__(self, text: str, file: str | None, origin: str = "--set") -> None:
        self.text = text
        self.file = file
        self.origin = origin
        self.loc: list[str | int] = []

    def fail(self, segment: str, rule: str) -> ScenarioError:
        path = ".".join([str(s) for s in self.loc] + [segment])
        return ScenarioError(self.file, path, rule.replace("--set", self.origin), self.text,
                             note=f"from {self.origin}")


def split_override(text: str, file: str | None, parse: Callable[[str], Any],
                   origin: str = "--set") -> tuple[list[str], Any]:
    """Split ``dotted.path=value`` into path segments and the parsed value.

    Args:
        text: the override as typed.
        file: the scenario file, for error messages.
        parse: turns the value text into a value (YAML).

    Raises:
        ScenarioError: if there is no ``=``, the path is empty or has an empty
            segment, or the value does not parse.
    """
    key, sep, raw = text.partition("=")
    key = key.strip()
    segments = key.split(".")
    if not sep or not key or any(not s.strip() for s in segments):
        raise ScenarioError(
            file, None, f"malformed {origin} override; expected dotted.path=value", text
        )
    try:
        value = parse(raw)
    except ScenarioError as exc:
        raise ScenarioError(file, key, f"{origin} value is not valid YAML: {exc.rule}", raw) from None
    return [s.strip() for s in segments], value


def _list_index(node: list[Any], segment: str, walk: _Walk) -> int:
    """Index of the list item ``segment`` names: an integer index or an item's ``name``."""
    if segment.isascii() and segment.isdigit():
        index = int(segment)
        if index < len(node):
            return index
        raise walk.fail(segment, f"unknown --set path; index {index} is out of range "
                        f"(the list has {len(node)} items)")
    for index, item in enumerate(node):
        if isinstance(item, dict) and item.get("name") == segment:
            return index
    if not node:
        raise walk.fail(segment, "unknown --set path; the list here is empty")
    names = [item["name"] for item in node if isinstance(item, dict) and "name" in item]
    raise walk.fail(segment, f"unknown --set path; no item named {segment!r} here; "
                    f"use an index 0..{len(node) - 1} or one of the names {names}")


def _mapping_key(node: dict[Any, Any], segment: str, shapes: list[Any], walk: _Walk) -> tuple[Any, list[Any]]:
    """The key of ``node`` that ``segment`` names, and the shapes of its value."""
    legal, child = key_shapes(shapes, segment)
    if not legal:
        # extends is resolved before overrides apply, so it is never settable here.
        known = sorted({k for s in shapes if _is_model(s) for k in _model_keys(s)} - {"extends"})
        raise walk.fail(segment, f"unknown --set path; known keys here are [{', '.join(known)}]")
    # Keys such as hour_odds' 16 are ints in the YAML but arrive as text here;
    # reuse the existing key so the override replaces it instead of duplicating it.
    for existing in node:
        if str(existing) == segment:
            return existing, child
    return segment, child


def apply_override(data: dict[str, Any], text: str, file: str | None, parse: Callable[[str], Any],
                   origin: str = "--set") -> Applied:
    """Apply one ``dotted.path=value`` override to a raw scenario mapping, in place.

    Args:
        data: the resolved (extends-merged) scenario mapping; modified.
        text: the override as typed on the command line.
        file: the scenario file, for error messages.
        parse: turns the value text into a value (YAML).
        origin: the option it came from, for error messages.

    Returns:
        What was set, with the path made concrete (list names become indices).

    Raises:
        ScenarioError: if the override is malformed or its path is unknown.
    """
    segments, value = split_override(text, file, parse, origin)
    if segments[0] == "extends":
        raise ScenarioError(file, "extends", f"extends cannot be changed with {origin}; "
                            "write a what-if file that extends this one", text)
    walk = _Walk(text, file, origin)
    node: Any = data
    shapes: list[Any] = [Scenario]
    for position, segment in enumerate(segments):
        if isinstance(node, list):
            key: Any = _list_index(node, segment, walk)
            shapes = item_shapes(shapes)
        elif isinstance(node, dict):
            key, shapes = _mapping_key(node, segment, shapes, walk)
        else:
            raise walk.fail(segment, f"unknown --set path; {_show_parent(walk)} holds a value "
                            f"({show_value(node)}), not a section with keys")
        if position == len(segments) - 1:
            node[key] = value
        else:
            current = node[key] if isinstance(node, list) else node.get(key)
            if current is None:
                # A section the file left out (or set to null): the schema allows it,
                # so start it empty and let validation fill in the defaults.
                node[key] = _empty_container(shapes, walk, str(key))
            node = node[key]
        walk.loc.append(key if isinstance(key, int) else str(key))
    return Applied(text, tuple(walk.loc), origin)


def _empty_container(shapes: list[Any], walk: _Walk, segment: str) -> dict[str, Any] | list[Any]:
    """An empty mapping (or list) to walk into where the file has nothing yet."""
    if any(s is _ANY or _is_model(s) or isinstance(s, _DictOf) for s in shapes):
        return {}
    if any(isinstance(s, _ListOf) for s in shapes):
        return []
    forms = ", ".join(describe_shape(s) for s in shapes)
    raise walk.fail(segment, f"unknown --set path; this field is a value ({forms}), "
                    "not a section with keys")


def _show_parent(walk: _Walk) -> str:
    """The path walked so far, for messages."""
    return ".".join(str(s) for s in walk.loc) or "the scenario"
