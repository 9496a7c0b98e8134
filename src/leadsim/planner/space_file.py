"""Reading search-space files (the format is described in :mod:`leadsim.planner.space`)."""

from __future__ import annotations

from pathlib import Path

import yaml

from leadsim.planner.space import (
    SPACING_DEFAULTS,
    Space,
    _is_number,
    check_structure,
    lever_from_spec,
)
from leadsim.scenarios.errors import ScenarioError


def _key_lines(node: yaml.Node | None, section: str) -> dict[str, int]:
    """1-based line of every key under a top-level section of a YAML document."""
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == section and isinstance(value, yaml.MappingNode):
            for sub, _ in value.value:
                if isinstance(sub, yaml.ScalarNode):
                    lines[sub.value] = sub.start_mark.line + 1
    return lines


def resolve_space_path(path: str | Path) -> Path:
    """A space file: an existing path, or the bare name of a bundled space (``baseline`` means
    ``scenarios/space_baseline.yaml``).

    Raises:
        ScenarioError: if neither exists.
    """
    from leadsim.scenarios.loader import LIBRARY

    candidate = Path(path)
    if candidate.exists():
        return candidate
    text = str(path)
    if "/" not in text and "\\" not in text:
        stem = text.removesuffix(".yaml")
        for name in (f"{stem}.yaml", f"space_{stem}.yaml"):
            if (LIBRARY / name).exists() and name.startswith("space_"):
                return LIBRARY / name
        known = ", ".join(sorted(p.stem.removeprefix("space_") for p in LIBRARY.glob("space_*.yaml")))
        raise ScenarioError(text, None, f"space file not found (nor a bundled space; those are: {known})")
    raise ScenarioError(text, None, "space file not found")


def load_space(path: str | Path) -> Space:
    """Read and check a space file (its structure; see :func:`check_space` for the scenario side).

    Raises:
        ScenarioError: naming the file, the field, the rule and the value.
    """
    file_path = resolve_space_path(path)
    file = str(file_path)
    try:
        text = file_path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ScenarioError(file, None, f"cannot read file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(file, None, f"cannot read file: not UTF-8 text ({exc.reason})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        rule = f"YAML syntax error: {getattr(exc, 'problem', None) or exc}"
        raise ScenarioError(file, None, rule, line=None if mark is None else mark.line + 1) from None
    if not isinstance(data, dict):
        raise ScenarioError(file, None, "a space file is a mapping with space:, levers: and optionally "
                            "description: and spacing:", data)
    if "space" not in data:
        hint = " (this looks like a scenario, not a search space)" if "sources" in data else ""
        raise ScenarioError(file, "space", f"required: the space's name{hint}")
    unknown = sorted(set(data) - {"space", "description", "levers", "spacing"})
    if unknown:
        raise ScenarioError(file, unknown[0], "unknown section; a space file has space, description, "
                            "levers and spacing", data[unknown[0]])
    levers_data = data.get("levers")
    if not isinstance(levers_data, dict) or not levers_data:
        raise ScenarioError(file, "levers", "must be a mapping of at least one lever "
                            "(PATH: {int: [LO, HI]} ...)", levers_data)
    lines = _key_lines(node, "levers")
    levers = tuple(lever_from_spec(str(k), v, file, lines.get(str(k))) for k, v in levers_data.items())
    spacing = dict(SPACING_DEFAULTS)
    extra = data.get("spacing") or {}
    if not isinstance(extra, dict):
        raise ScenarioError(file, "spacing", "must be a mapping {first_attempt_minutes, max_gap_minutes}", extra)
    for key, value in extra.items():
        if key not in SPACING_DEFAULTS:
            raise ScenarioError(file, f"spacing.{key}", f"unknown key; known keys are {sorted(SPACING_DEFAULTS)}",
                                value)
        if not _is_number(value) or value < 0:
            raise ScenarioError(file, f"spacing.{key}", "must be a number of minutes >= 0", value)
        spacing[key] = float(value)
    space = Space(str(data["space"]), levers, spacing, file, str(data.get("description") or ""))
    check_structure(space)
    return space


