"""The one exception for bad scenario input, and the problems it carries.

Every way a scenario can be wrong (a missing file, YAML that does not parse, a
value the schema rejects, an unknown ``--set`` path, an ``extends:`` cycle)
becomes a :class:`ScenarioError`. Each problem names the file, the dotted
field path, the rule that was broken and the value received, so the CLI can
print it on one line and exit with status 2 without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class _NoValue:
    """Marker for "no value to show" (a missing field, an unreadable file).

    ``None`` cannot play this role: ``null`` is a value a user can write.
    """

    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __reduce__(self) -> str:
        # Unpickles to the module-level singleton, so ``is NO_VALUE`` keeps working.
        return "NO_VALUE"


NO_VALUE = _NoValue()

#: Longest rendering of a received value; whole sections are cut, not dumped.
_MAX_VALUE_CHARS = 80


def show_value(value: object) -> str:
    """Render a received value for a one-line message, shortened if long.

    Args:
        value: what the user gave.

    Returns:
        ``repr`` of the value, cut to about 80 characters.
    """
    text = repr(value).replace("\n", " ")
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario.

    Attributes:
        file: the scenario file concerned, as the user named it (None if none).
        path: dotted field path such as ``teams.0.headcount`` (None if the
            problem is with the file as a whole).
        rule: the rule that was broken, in words.
        value: the value received, or ``NO_VALUE`` when there is none to show.
        line: 1-based line in ``file`` where the problem is, if known.
        column: 1-based column in ``file``, if known.
        note: extra context, e.g. which ``--set`` override supplied the value.
    """

    file: str | None
    path: str | None
    rule: str
    value: object = NO_VALUE
    line: int | None = None
    column: int | None = None
    note: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file is not None:
            # file:line:column is what editors and terminals know how to jump to.
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        if self.path:
            parts.append(self.path)
        parts.append(self.rule)
        text = ": ".join(parts)
        if self.value is not NO_VALUE:
            text += f" (got {show_value(self.value)})"
        if self.note:
            text += f" [{self.note}]"
        return text


class ScenarioError(Exception):
    """Bad scenario input: one or several :class:`Problem`.

    The attributes ``file``, ``path``, ``rule`` and ``value`` describe the first
    problem (the common single-problem case); ``problems`` holds them all.
    ``str()`` gives one line per problem.

    Example:
        >>> str(ScenarioError("x.yaml", "teams.0.headcount", "must be >= 0", -1))
        'x.yaml: teams.0.headcount: must be >= 0 (got -1)'
    """

    def __init__(
        self,
        file: str | None = None,
        path: str | None = None,
        rule: str = "",
        value: object = NO_VALUE,
        *,
        line: int | None = None,
        column: int | None = None,
        note: str | None = None,
        problems: Iterable[Problem] | None = None,
    ) -> None:
        """Build from one problem's fields, or from ``problems`` (then the rest is ignored).

        Raises:
            ValueError: if ``problems`` is given but empty.
        """
        if problems is not None:
            items = tuple(problems)
            if not items:
                raise ValueError("a ScenarioError needs at least one problem")
        else:
            items = (Problem(file, path, rule, value, line, column, note),)
        self.problems: tuple[Problem, ...] = items
        super().__init__(str(self))

    @property
    def file(self) -> str | None:
        """File of the first problem."""
        return self.problems[0].file

    @property
    def path(self) -> str | None:
        """Dotted field path of the first problem."""
        return self.problems[0].path

    @property
    def rule(self) -> str:
        """Rule broken by the first problem."""
        return self.problems[0].rule

    @property
    def value(self) -> object:
        """Value received by the first problem (``NO_VALUE`` if none)."""
        return self.problems[0].value

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)

    def __reduce__(self) -> tuple[object, ...]:
        # The default reduce would call __init__(message); rebuild from the problems
        # instead so the error survives being sent back from a worker process.
        return (_rebuild, (self.problems,))


def _rebuild(problems: tuple[Problem, ...]) -> ScenarioError:
    return ScenarioError(problems=problems)
