"""The one YAML reader for user files: the scenario dialect, with hard limits.

Every YAML file leadsim reads from a user (a scenario, each file it
``extends:``, a ``--set`` value, and any other YAML input such as a search
space) goes through :func:`load_yaml_file` or :func:`load_yaml_text`. They
refuse, with a :class:`~leadsim.scenarios.errors.ScenarioError` naming the
file, the rule and the value, instead of running out of memory or stack:

* a file larger than :data:`MAX_FILE_BYTES` -- at most that many bytes plus
  one are ever read, so ``/dev/zero`` or a huge log is refused at once;
* a document with more than :data:`MAX_NODES` values once its aliases are
  expanded (a "billion laughs" alias bomb is 0.5 KB of text but 10^9 values);
  an alias inside the section it refers to (a cycle) is refused too;
* lists and mappings nested deeper than :data:`MAX_DEPTH` levels (which would
  otherwise end in a RecursionError).

The limits are far above any real scenario (the bundled ones are at most 6 KB,
320 values and 7 levels deep; tests/test_hardening_parsing.py checks it). The dialect itself is YAML 1.1 safe loading with
two traps removed (see :class:`ScenarioYamlLoader`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from leadsim.scenarios.errors import ScenarioError

#: Largest YAML file read, in bytes (1 MiB).
MAX_FILE_BYTES = 1_048_576
#: Most values (scalars, lists and mappings) in one document, aliases expanded.
MAX_NODES = 100_000
#: Deepest nesting of lists and mappings in one document (scalars do not count).
MAX_DEPTH = 50

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"


class YamlLimitError(yaml.YAMLError):
    """A document broke one of the limits; ``rule`` and ``value`` say which, ``mark`` where."""

    def __init__(self, rule: str, value: object, mark: Any) -> None:
        super().__init__(rule)
        self.rule = rule
        self.value = value
        self.mark = mark


class ScenarioYamlLoader(yaml.SafeLoader):
    """YAML 1.1 safe loading with two traps removed and three limits added.

    * Base-60 numbers: plain YAML 1.1 reads ``end: 17:00`` as the integer 1020
      (but ``08:00`` as a string). Times of day are everywhere in a scenario, so
      ``HH:MM`` is always a string here.
    * Duplicate keys: plain YAML keeps the last one silently; here it is an error,
      like any other key that would be ignored.
    * Limits: depth and alias-expanded size are checked while the node tree is
      composed, before anything is constructed or copied.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        # Expanded size of every finished node, by id (nodes stay alive in the tree).
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._sizes:
                raise YamlLimitError(
                    "an alias may not refer to a section that contains it (a cycle)",
                    f"*{event.anchor}", event.start_mark)
            return super().compose_node(parent, index)
        # Depth counts lists and mappings (a scalar inside 50 of them is fine).
        step = 0 if self.check_event(yaml.ScalarEvent) else 1
        self._depth += step
        if self._depth > MAX_DEPTH:
            raise YamlLimitError(f"nesting deeper than {MAX_DEPTH} levels (the limit)",
                                 self._depth, self.peek_event().start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= step
        if node is None:
            return None
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(self._sizes[id(child)] for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            size += sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
        if size > MAX_NODES:
            raise YamlLimitError(
                f"more than {MAX_NODES:,} values once aliases are expanded (the limit; "
                "an alias bomb?)", f"at least {size:,} values", node.start_mark)
        self._sizes[id(node)] = size
        return node

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


ScenarioYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# PyYAML's own int and float patterns, minus their sexagesimal (base-60) branches.
ScenarioYamlLoader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
ScenarioYamlLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
        r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def yaml_problem(file: str | None, exc: yaml.YAMLError) -> ScenarioError:
    """A ScenarioError for YAML that does not parse or breaks a limit, with its line and column."""
    mark = getattr(exc, "problem_mark", None)
    if isinstance(exc, YamlLimitError):
        rule, value, mark = exc.rule, exc.value, exc.mark
    else:
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        rule, value = f"YAML syntax error: {problem}" + (f" ({context})" if context else ""), None
    extra: dict[str, Any] = {} if value is None else {"value": value}
    if mark is None:
        return ScenarioError(file, None, rule, **extra)
    return ScenarioError(file, None, rule, line=mark.line + 1, column=mark.column + 1, **extra)


def fresh(obj: Any) -> Any:
    """Copy mappings and lists so that no two places share one object.

    YAML anchors (``&h`` ... ``*h``) make several keys point at one dict; an
    override of one of them must not change the others. Bounded by the limits.
    """
    if isinstance(obj, dict):
        return {key: fresh(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [fresh(value) for value in obj]
    return obj


def load_yaml_text(text: str, file: str | None) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML document with the scenario dialect and the limits.

    Args:
        text: the YAML text.
        file: where it came from, for messages (None for a command-line value).

    Returns:
        (the data, with no shared sub-objects; its node tree for locating errors).

    Raises:
        ScenarioError: for a syntax error or a broken limit.
    """
    try:
        loader = ScenarioYamlLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise yaml_problem(file, exc) from None
    return fresh(data), node


def read_capped(path: Path, what: str = "file") -> str:
    """Read a UTF-8 text file of at most :data:`MAX_FILE_BYTES` bytes (reading no more than that + 1).

    Raises:
        ScenarioError: if it cannot be read, is not UTF-8 or is too large.
    """
    file = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = "file not found" if isinstance(exc, FileNotFoundError) else \
            f"cannot read {what}: {exc.strerror or exc}"
        raise ScenarioError(file, None, reason) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(file, None, f"{what} larger than {MAX_FILE_BYTES:,} bytes (1 MiB, the limit)",
                            f"more than {MAX_FILE_BYTES:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(file, None, f"cannot read {what}: not UTF-8 text ({exc.reason})") from None


def load_yaml_file(path: Path, what: str = "file") -> tuple[Any, yaml.Node | None]:
    """Read and parse one YAML file within the limits (see :func:`load_yaml_text`)."""
    return load_yaml_text(read_capped(path, what), str(path))
