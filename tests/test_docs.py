"""The docs cannot silently drift from the code.

docs/scenarios.md documents every model of the scenario schema in a table
preceded by a marker ``<!-- fields: ModelName -->``. These tests walk the
schema from :class:`Scenario` and check that every model reachable from it has
such a table, that the table lists exactly the model's fields (by the key a
user writes, so ``in`` for the calling window's clock), that "required" is
written exactly for the fields without a default, and that a default written as
YAML in backticks equals the schema's default.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from leadsim.scenarios import schema
from leadsim.scenarios.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS_MD = ROOT / "docs" / "scenarios.md"
GETTING_STARTED_MD = ROOT / "docs" / "getting-started.md"

#: The models the brief names explicitly; they must always be documented.
CORE_MODELS = ("Scenario", "Source", "Team", "Shift", "ContactModel", "ConversionModel",
               "Cadence", "CallingWindow")

_MARKER = re.compile(r"<!--\s*fields:\s*([\w.]+)\s*-->")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_CODE = re.compile(r"`([^`]+)`")


# ---------------------------------------------------------------- the schema side


def _models_in(annotation: object) -> list[type[BaseModel]]:
    """The pydantic models inside a field annotation (through Optional, list, dict, Union...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def reachable_models() -> dict[str, type[BaseModel]]:
    """Every model a scenario file can contain, by qualified name, from Scenario down."""
    seen: dict[str, type[BaseModel]] = {}

    def walk(model: type[BaseModel]) -> None:
        if model.__qualname__ in seen:
            return
        seen[model.__qualname__] = model
        for info in model.model_fields.values():
            for sub in _models_in(info.annotation):
                walk(sub)

    walk(Scenario)
    return seen


MODELS = reachable_models()


def user_keys(model: type[BaseModel]) -> dict[str, str]:
    """Key written in YAML -> attribute name (aliases where they exist)."""
    return {info.alias or name: name for name, info in model.model_fields.items()}


# ---------------------------------------------------------------- the docs side


def documented_tables(text: str) -> dict[str, dict[str, dict[str, str]]]:
    """Model name -> {field -> {column header -> cell text}} from the marked tables."""
    tables: dict[str, dict[str, dict[str, str]]] = {}
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = _MARKER.search(line)
        if not match:
            continue
        name = match.group(1)
        assert name not in tables, f"docs/scenarios.md documents {name} twice"
        rows = []
        for row in lines[index + 1:]:
            if not row.startswith("|"):
                break
            rows.append([cell.strip() for cell in _CELL_SPLIT.split(row)[1:-1]])
        assert len(rows) >= 3, f"the table after the {name} marker has no rows"
        header, body = rows[0], rows[2:]
        fields: dict[str, dict[str, str]] = {}
        for cells in body:
            key = cells[0].strip("`")
            assert key not in fields, f"{name}.{key} is listed twice"
            fields[key] = dict(zip(header, cells))
        tables[name] = fields
    return tables


@pytest.fixture(scope="module")
def scenarios_md() -> str:
    return SCENARIOS_MD.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tables(scenarios_md: str) -> dict[str, dict[str, dict[str, str]]]:
    return documented_tables(scenarios_md)


# ---------------------------------------------------------------- tests


def test_core_models_are_reachable_from_scenario() -> None:
    # Guards the walk itself: if it found nothing, the tests below would pass vacuously.
    for name in CORE_MODELS:
        assert name in MODELS, name
    assert len(MODELS) >= 20


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_is_documented_with_exactly_its_fields(
        name: str, tables: dict[str, dict[str, dict[str, str]]]) -> None:
    assert name in tables, f"docs/scenarios.md has no '<!-- fields: {name} -->' table"
    in_code = set(user_keys(MODELS[name]))
    in_docs = set(tables[name])
    assert not in_code - in_docs, f"{name}: fields missing from docs/scenarios.md: {sorted(in_code - in_docs)}"
    assert not in_docs - in_code, f"{name}: documented fields that do not exist: {sorted(in_docs - in_code)}"


def test_no_table_documents_a_model_that_does_not_exist(
        tables: dict[str, dict[str, dict[str, str]]]) -> None:
    stale = sorted(set(tables) - set(MODELS))
    assert not stale, f"docs/scenarios.md documents unknown models {stale}"


@pytest.mark.parametrize("name", CORE_MODELS)
def test_core_model_fields_appear_in_the_reference(name: str, scenarios_md: str) -> None:
    """The brief's explicit promise, checked on the raw text as well as the tables."""
    for key in user_keys(getattr(schema, name)):
        assert f"`{key}`" in scenarios_md, f"{name}.{key} is not in docs/scenarios.md"


def test_top_level_sections_have_their_own_heading(scenarios_md: str) -> None:
    headings = {line.lstrip("#").strip() for line in scenarios_md.splitlines()
                if line.startswith("## ")}
    for key, info in Scenario.model_fields.items():
        if _models_in(info.annotation):
            assert key in headings, f"no '## {key}' section in docs/scenarios.md"


def _documented_default(cell: str) -> object:
    """The first backticked YAML value of a default cell (None if there is none)."""
    match = _CODE.search(cell)
    return None if match is None else yaml.safe_load(match.group(1))


def _default_cases() -> list[tuple[str, str]]:
    return [(model, key) for model, cls in sorted(MODELS.items()) for key in user_keys(cls)]


@pytest.mark.parametrize(("model", "key"), _default_cases())
def test_documented_defaults_match_the_schema(
        model: str, key: str, tables: dict[str, dict[str, dict[str, str]]]) -> None:
    cls = MODELS[model]
    row = tables.get(model, {}).get(key)
    if row is None:
        pytest.fail(f"{model}.{key} is not documented")
    cell = row["default"]
    info = cls.model_fields[user_keys(cls)[key]]
    if info.is_required():
        assert cell == "required", f"{model}.{key} has no default; the docs say {cell!r}"
        return
    assert cell != "required", f"{model}.{key} has a default; the docs say it is required"
    if not _CODE.search(cell):
        return  # a prose default ("see there"): a section documented field by field
    written = _documented_default(cell)
    default = info.get_default(call_default_factory=True)
    try:
        value = TypeAdapter(info.annotation).validate_python(written)
    except ValidationError:
        # Shorthands accepted by a model-level validator (distribution: shared_pool).
        value = getattr(cls.model_validate({key: written}), user_keys(cls)[key])
    assert value == default, f"{model}.{key}: docs say {written!r}, the schema's default is {default!r}"


def test_reference_points_to_the_json_schema_command(scenarios_md: str) -> None:
    assert "leadsim schema" in scenarios_md


def test_getting_started_links_the_references() -> None:
    text = GETTING_STARTED_MD.read_text(encoding="utf-8")
    for link in ("metrics.md", "scenarios.md"):
        assert f"]({link}" in text, link
    for term in ("speed to lead", "penetration", "contact rate", "conversion rate", "extends:",
                 "--set", "--replications", "erlang_c", "leads.csv", "attempts.csv",
                 "metrics.json", "scenario.resolved.yaml", "backlog.csv"):
        assert term in text.lower(), term
    # The log schema it documents is the canonical one (DESIGN.md, "Historical logs").
    for column in ("lead_id", "created_at", "source", "timezone", "value", "converted_at",
                   "rep_id", "started_at", "channel", "outcome", "duration_seconds"):
        assert f"| `{column}` |" in text, column


# ---------------------------------------------------------------- README and links


def _quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    run, test = commands
    assert "pip install -e ." in run and run.endswith("leadsim run scenarios/baseline.yaml"), run
    test_command = "pip install -e '.[test]' && python -m pytest"
    assert test.endswith(test_command), test
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in [line.strip() for line in ci.splitlines()], ".ci/run drifted from README"


@pytest.mark.parametrize("page", ["README.md", "docs/getting-started.md", "docs/scenarios.md",
                                  "docs/metrics.md"])
def test_local_links_resolve(page: str) -> None:
    path = ROOT / page
    text = path.read_text(encoding="utf-8")
    for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)]*))?\)", text):
        if "://" in target:
            continue
        linked = path.parent / target if target else path
        assert linked.exists(), f"{page} links to missing {target}"
        if anchor and linked.suffix == ".md":
            assert anchor in _anchors(linked), f"{page} links to missing anchor {target}#{anchor}"


def _anchors(page: Path) -> set[str]:
    """GitHub-style heading anchors of a Markdown page."""
    slugs = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            slugs.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return slugs


def test_getting_started_table_excerpt_is_what_run_baseline_prints(tmp_path: Path) -> None:
    """Every metric line quoted in getting-started's table excerpt, verbatim, from `leadsim run baseline`.

    A regression check of quoted figures (the docs once quoted 2,341 leads / 94 conversions after the
    model had moved on to 2,510 / 109): regenerate the excerpt from the command when the model changes.
    """
    from click.testing import CliRunner

    from leadsim.cli import main

    page = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    block = re.search(r"```\n(scenario baseline  seed 1  replications 1\n.*?)```", page, re.S)
    assert block, "the table excerpt is missing from getting-started.md"
    quoted = [line for line in block.group(1).splitlines() if re.match(r"^  [a-z]\w+\s", line)]
    assert len(quoted) >= 10
    result = CliRunner().invoke(main, ["run", "baseline", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    printed = set(result.output.splitlines())
    assert [line for line in quoted if line not in printed] == []
