"""The layout is a pipeline: recipe -> run -> artifacts -> cli, each stage used through its root.

A stage imports only the stages before it, and only what their `__init__` exports (their
modules are their own); the shared modules (errors, catalog) import no stage; the simulator
uses the shared modules (catalog, errors, keys) and nothing of the runner.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "wisdomgate"
STAGES = ("recipe", "run", "artifacts", "cli")
SHARED = ("errors", "catalog", "keys")


def imports(path: Path) -> Iterator[str]:
    """Every wisdomgate module path imported by the file."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "wisdomgate" and len(parts) > 1 else None


def files_of(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_the_stages_before_it(stage: str) -> None:
    later = set(STAGES[STAGES.index(stage) + 1 :]) | {"simulator"}
    if stage == "cli":
        later.discard("simulator")  # `serve` and `run --simulate` start it
    found = [
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in files_of(stage)
        for module in imports(path)
        if stage_of(module) in later
    ]
    assert found == []


@pytest.mark.parametrize("stage", STAGES)
def test_other_stages_use_a_stage_through_its_root(stage: str) -> None:
    found = [
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != stage
        for module in imports(path)
        if stage_of(module) == stage and module.count(".") > 1
    ]
    assert found == []


@pytest.mark.parametrize("shared", SHARED)
def test_shared_modules_import_no_stage(shared: str) -> None:
    modules = {stage_of(module) for module in imports(PACKAGE / f"{shared}.py")}
    assert modules & {*STAGES, "simulator"} == set()


def test_the_simulator_uses_only_the_catalog_and_the_errors_of_the_runtime() -> None:
    used = {
        stage_of(module)
        for path in files_of("simulator")
        for module in imports(path)
        if stage_of(module) not in (None, "simulator")
    }
    assert used <= set(SHARED)
