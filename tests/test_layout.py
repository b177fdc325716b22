"""The layout the README's architecture promises: each service is its own package that
imports no other service's package, only the shared library (``services.common``), so it
can ship in an image of its own."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVICES = REPO / "services"
SHARED = "common"


def service_packages() -> list[str]:
    return sorted(
        path.name
        for path in SERVICES.iterdir()
        if (path / "__init__.py").exists() and path.name != SHARED
    )


def imported_modules(path: Path) -> Iterator[str]:
    """Every module a file imports, at any depth (deferred imports included)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def crossings(directory: Path, allowed: set[str]) -> list[tuple[str, str]]:
    """(file, module) for every import of a ``services.<name>`` package not in allowed."""
    found = []
    for path in sorted(directory.rglob("*.py")):
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "services" and len(parts) > 1 and parts[1] not in allowed:
                found.append((str(path.relative_to(REPO)), module))
    return found


def test_the_split_services_are_packages_of_their_own() -> None:
    assert {"registry", "trainer", "generation"} <= set(service_packages())


def test_no_service_imports_another_services_package() -> None:
    for name in service_packages():
        assert crossings(SERVICES / name, {name, SHARED}) == [], name


def test_the_shared_library_imports_no_service() -> None:
    assert crossings(SERVICES / SHARED, {SHARED}) == []


def test_the_gateway_and_the_cli_use_only_the_shared_library() -> None:
    for directory in ("gateway", "cli"):
        assert crossings(REPO / directory, {SHARED}) == [], directory


def test_the_readmes_architecture_names_every_service_and_no_other() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    described = {
        match.group(1) for match in re.finditer(r"^\| \*\*(\w+)\*\* \|", section, re.MULTILINE)
    }
    assert described == set(service_packages())
