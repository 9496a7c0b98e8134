"""Column maps: how an export's own layout translates into the canonical log schemas.

A column map is a YAML file (read with the project's capped YAML reader) such as::

    timezone: America/Chicago        # for timestamps without a UTC offset
    date_format: "%m/%d/%Y %I:%M %p" # or iso8601 (default)
    separator: ","
    encoding: utf-8
    activities:
      columns: {lead_id: WhoId, rep_id: OwnerId, started_at: CreatedDate,
                outcome: CallDisposition, duration_seconds: CallDurationInSeconds}
      constants: {channel: call}     # a column the export does not have
      values:
        outcome: {"Left Voicemail": voicemail, "Connected": contact}

Every key is validated with pydantic; a mistake is a
:class:`~leadsim.scenarios.errors.ScenarioError` naming the file, the field, the
rule and the value (the CLI prints it and exits with status 2). Presets shipped
with leadsim live in ``calibration/presets/`` and are chosen by name.
"""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from leadsim.calibration import canonical
from leadsim.scenarios.errors import NO_VALUE, Problem, ScenarioError
from leadsim.scenarios.safe_yaml import load_yaml_file
from leadsim.scenarios.schema import check_timezone

#: Folder of the shipped presets.
PRESETS = Path(__file__).parent / "presets"

#: Longest plausible single activity or call, seconds (4 hours): longer is "absurd".
DEFAULT_MAX_DURATION_SECONDS = 4 * 3600.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class KindMap(_Strict):
    """How one log kind's columns are named and coded in the export."""

    columns: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="Canonical column -> the export's column name, or a list of names whose "
        "first non-empty value is taken; unnamed columns keep their canonical name.",
    )
    join: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Canonical column -> several export columns joined with '/' (an id that is "
        "unique only together, e.g. call_id per line: {call_id: [line, call_id]}).",
    )
    empty_values: list[str] = Field(
        default_factory=list,
        description="Values that mean 'empty' in this export (e.g. '0:00:00' for a time that "
        "did not happen, 'NULL').",
    )
    date_column: str | None = Field(
        None,
        description="For exports with the date and the time of day in separate columns: the "
        "date column, prefixed (with a space) to every timestamp column; date_format then "
        "describes 'date time'. A time earlier than the row's first timestamp is taken to be "
        "after midnight (next day) and counted.",
    )
    constants: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical column -> a value for every row (a column the export lacks).",
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Canonical column -> {export value: canonical value}; values not listed "
        "are kept as they are (and checked).",
    )
    duration_unit: Literal["seconds", "milliseconds", "minutes", "hh:mm:ss"] = Field(
        "seconds", description="Unit of the duration column (activities)."
    )
    default_outcome: str | None = Field(
        None, description="Canonical outcome for values neither mapped nor canonical "
        "(default: such rows go to quarantine as unknown outcomes)."
    )


class ColumnMap(_Strict):
    """A whole column map: shared reading options and one section per log kind."""

    description: str = Field("", description="What export this map is for.")
    expects: dict[str, list[str]] = Field(
        default_factory=dict, description="Documentation: the export's columns, per kind."
    )
    timezone: str | None = Field(
        None, description="IANA zone of timestamps that carry no UTC offset (also the floor's "
        "zone when no --base says otherwise)."
    )
    date_format: str = Field(
        "iso8601", description="'iso8601' or a strptime format such as '%m/%d/%Y %H:%M'."
    )
    separator: str = Field(",", min_length=1, max_length=1, description="Field separator.")
    encoding: str = Field("utf-8", description="Text encoding of the files.")
    clock_skew_seconds: float = Field(
        0, ge=0, le=3600,
        description="Tolerance for clocks that disagree: a call answered or ended up to this many "
        "seconds before the previous step is corrected (and counted), not quarantined.",
    )
    max_duration_seconds: float = Field(
        DEFAULT_MAX_DURATION_SECONDS, gt=0, le=7 * 86400,
        description="Longer activities or calls are quarantined as absurd.",
    )
    leads: KindMap = Field(default_factory=KindMap)
    activities: KindMap = Field(default_factory=KindMap)
    calls: KindMap = Field(default_factory=KindMap)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return check_timezone(value) if value is not None else None

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown text encoding {value!r}") from None
        return value

    @field_validator("date_format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value == "iso8601":
            return value
        if "%" not in value:
            raise ValueError("must be 'iso8601' or a strptime format containing % codes")
        try:
            dt.datetime(2026, 1, 5, 8, 3, 12).strftime(value)
        except ValueError as exc:
            raise ValueError(f"not a valid strptime format: {exc}") from None
        return value

    @model_validator(mode="after")
    def _known_columns(self) -> ColumnMap:
        for kind in canonical.LOG_KINDS:
            section: KindMap = getattr(self, kind)
            known = set(canonical.columns(kind))
            for part in ("columns", "constants", "values", "join"):
                for key in getattr(section, part):
                    if key not in known:
                        raise ValueError(
                            f"{kind}.{part}: unknown canonical column {key!r}; "
                            f"{kind} columns are {sorted(known)}")
            outcomes = canonical.CALL_OUTCOMES if kind == "calls" else canonical.ACTIVITY_OUTCOMES
            for raw, mapped in section.values.get("outcome", {}).items():
                if mapped not in outcomes:
                    raise ValueError(f"{kind}.values.outcome: {raw!r} maps to {mapped!r}, "
                                     f"which is not one of {list(outcomes)}")
            for raw, mapped in section.values.get("channel", {}).items():
                if mapped not in canonical.CHANNELS:
                    raise ValueError(f"{kind}.values.channel: {raw!r} maps to {mapped!r}, "
                                     f"which is not one of {list(canonical.CHANNELS)}")
            if section.default_outcome is not None and section.default_outcome not in outcomes:
                raise ValueError(f"{kind}.default_outcome must be one of {list(outcomes)}, "
                                 f"got {section.default_outcome!r}")
        return self

    def section(self, kind: str) -> KindMap:
        """The map of one log kind."""
        return getattr(self, kind)


def presets() -> list[str]:
    """Names of the shipped presets."""
    return sorted(p.stem for p in PRESETS.glob("*.yaml"))


def _problems(exc: ValidationError, file: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or None
        rule = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        problems.append(Problem(file, loc, rule, value if loc else NO_VALUE))
    return problems


def parse_column_map(data: Any, file: str) -> ColumnMap:
    """Validate a parsed column map document.

    Raises:
        ScenarioError: naming the file, the field, the rule and the value.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(file, None, "a column map must be a mapping of settings", data)
    try:
        return ColumnMap.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems=_problems(exc, file)) from None


def load_column_map(path: str | Path | None = None, preset: str | None = None) -> ColumnMap:
    """Load a column map file, or a shipped preset by name, or the identity map.

    Raises:
        ScenarioError: for an unknown preset, an unreadable file or a bad map.
    """
    if path is not None and preset is not None:
        raise ScenarioError(None, "--map/--preset", "give a column map file or a preset, not both")
    if preset is not None:
        if preset not in presets():
            raise ScenarioError(None, "--preset", f"unknown preset; choose one of {presets()}", preset)
        path = PRESETS / f"{preset}.yaml"
    if path is None:
        return ColumnMap()
    data, _ = load_yaml_file(Path(path), "column map")
    return parse_column_map(data, str(path))
