"""The engine stands alone: a live-floor host can import it without the scenario language.

``import leadsim.engine`` in a fresh interpreter must load none of the heavy or
simulation-only libraries, and no leadsim package besides the engine and the
shared vocabulary. A static check of the source backs this up (an import inside
a function would escape the run-time check until that function runs), and the
same static check keeps the vocabulary free of leadsim imports and the scenario
language free of the engine, simulator and planner.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "leadsim"
FORBIDDEN = ("pydantic", "yaml", "simpy", "numpy", "pandas", "scipy", "optuna", "matplotlib", "click")


def _modules_after_import(module: str) -> list[str]:
    """sys.modules of a fresh interpreter right after ``import module``."""
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    return json.loads(out.stdout)


def test_importing_the_engine_loads_no_heavy_library() -> None:
    loaded = _modules_after_import("leadsim.engine")
    assert "leadsim.engine.core" in loaded  # the import really happened
    heavy = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    assert heavy == [], f"import leadsim.engine loaded {heavy}"


def test_importing_the_engine_loads_only_the_engine_and_the_vocabulary() -> None:
    loaded = _modules_after_import("leadsim.engine")
    ours = sorted(m for m in loaded if m.startswith("leadsim"))
    others = [m for m in ours if m not in ("leadsim", "leadsim.vocabulary") and not m.startswith("leadsim.engine")]
    assert others == [], f"import leadsim.engine loaded {others}"


def test_the_vocabulary_loads_nothing_but_the_standard_library() -> None:
    loaded = _modules_after_import("leadsim.vocabulary")
    assert "leadsim.vocabulary" in loaded
    heavy = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    ours = sorted(m for m in loaded if m.startswith("leadsim.") and m != "leadsim.vocabulary")
    assert heavy == [] and ours == []


def _imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, anywhere in it (functions and TYPE_CHECKING included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _files(package: str) -> list[Path]:
    root = PACKAGE / package
    return sorted(root.rglob("*.py")) if root.is_dir() else [PACKAGE / f"{package}.py"]


@pytest.mark.parametrize("path", _files("engine"), ids=lambda p: p.name)
def test_engine_sources_import_only_the_standard_library_the_engine_and_the_vocabulary(path: Path) -> None:
    bad = sorted(
        name
        for name in _imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
        or (name.startswith("leadsim") and not (name.startswith("leadsim.engine") or name in ("leadsim", "leadsim.vocabulary")))
    )
    assert bad == [], f"{path.name} imports {bad}"


def test_the_vocabulary_imports_nothing_from_leadsim() -> None:
    bad = sorted(n for n in _imported_modules(PACKAGE / "vocabulary.py") if n.startswith("leadsim") or n.split(".")[0] in FORBIDDEN)
    assert bad == []


@pytest.mark.parametrize("path", _files("scenarios"), ids=lambda p: p.name)
def test_the_scenario_language_uses_none_of_engine_simulator_planner(path: Path) -> None:
    bad = sorted(
        n for n in _imported_modules(path)
        if n.split(".")[:2] in (["leadsim", "engine"], ["leadsim", "simulator"], ["leadsim", "planner"], ["leadsim", "cli"])
    )
    assert bad == [], f"scenarios/{path.name} imports {bad}"
