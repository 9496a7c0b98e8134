"""docs/engine.md cannot rot: its example runs, and it names the whole public API.

The first ```python block of docs/engine.md is a complete, hand-driven day on
the floor full of ``assert`` statements; it is executed here as it stands in
the page. The page must also mention every public method of :class:`Engine`
and every field of the values that cross the engine's boundary, so a new
method or field cannot land undocumented.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from leadsim.engine import AttemptResult, Dial, Engine, LeadClosed, NewLead, RepView, StepSent
from leadsim.engine.types import CALL_OUTCOMES, CLOSE_STATUSES

ENGINE_MD = Path(__file__).resolve().parents[1] / "docs" / "engine.md"
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def python_blocks() -> list[str]:
    """Every ```python block of docs/engine.md, in page order."""
    return _BLOCK.findall(ENGINE_MD.read_text(encoding="utf-8"))


def test_first_python_block_runs() -> None:
    blocks = python_blocks()
    assert blocks, "docs/engine.md has no ```python block"
    source = blocks[0]
    assert "assert" in source, "the example should check what it shows"
    namespace: dict[str, object] = {"__name__": "docs_engine_example"}
    # Compiled under the page's name so a failure points at the docs, not at this test.
    exec(compile(source, str(ENGINE_MD), "exec"), namespace)
    # It really ran to the end: the engine it built exists and closed every lead.
    engine = namespace.get("engine")
    assert isinstance(engine, Engine)
    assert engine.open_leads() == 0


def test_every_python_block_compiles() -> None:
    for i, source in enumerate(python_blocks()):
        compile(source, f"{ENGINE_MD}#block{i}", "exec")


def test_every_public_engine_method_is_documented() -> None:
    text = ENGINE_MD.read_text(encoding="utf-8")
    public = [name for name in dir(Engine) if not name.startswith("_") and callable(getattr(Engine, name))]
    missing = [name for name in public if f"`{name}(" not in text and f"{name}(" not in text]
    assert not missing, f"docs/engine.md does not describe Engine.{missing}"


@pytest.mark.parametrize("value", [NewLead, RepView, Dial, AttemptResult, LeadClosed, StepSent])
def test_every_boundary_field_is_documented(value: type) -> None:
    text = ENGINE_MD.read_text(encoding="utf-8")
    fields = (
        [f.name for f in dataclasses.fields(value)] if dataclasses.is_dataclass(value) else list(value._fields)
    )
    missing = [name for name in fields if f"`{name}`" not in text]
    assert not missing, f"docs/engine.md does not describe {value.__name__} fields {missing}"


def test_outcomes_and_statuses_are_documented() -> None:
    text = ENGINE_MD.read_text(encoding="utf-8")
    missing = [name for name in sorted(CALL_OUTCOMES) + list(CLOSE_STATUSES) if f"`{name}`" not in text]
    assert not missing, f"docs/engine.md does not name {missing}"


def test_every_engine_class_the_page_names_is_importable_from_leadsim_engine() -> None:
    """The page says everything it describes is importable from ``leadsim.engine``."""
    import leadsim.engine
    from leadsim.engine import calendar, config, core, priority, state, types

    text = ENGINE_MD.read_text(encoding="utf-8")
    named = set(re.findall(r"`([A-Z][A-Za-z]+)[(`]", text))
    # Not engine/distribution.py: its Distribution mixin is named in the page but internal.
    modules = (calendar, config, core, priority, state, types)
    engine_classes = {
        n for n in named
        if any(isinstance(getattr(m, n, None), type) and getattr(m, n).__module__ == m.__name__ for m in modules)
    }
    assert {"EngineConfig", "CadenceRules", "DistributionRules", "LeadState"} <= engine_classes
    missing = sorted(n for n in engine_classes if not hasattr(leadsim.engine, n) or n not in leadsim.engine.__all__)
    assert not missing, f"docs/engine.md names {missing}, not exported by leadsim.engine"

