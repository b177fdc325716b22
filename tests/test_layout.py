"""The layout the README's architecture promises: each service is its own package that
imports no other service's package, only the shared library (``services.common``), so it
can ship in an image of its own; the library (``expert_music``) runs the services' domain
code in process and never their gRPC side."""

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


def test_no_service_imports_the_library_the_cli_or_the_gateway() -> None:
    outside = {"expert_music", "cli", "gateway"}
    found = [
        (str(path.relative_to(REPO)), module)
        for path in sorted(SERVICES.rglob("*.py"))
        for module in imported_modules(path)
        if module.split(".")[0] in outside
    ]
    assert found == []


def module_path(module: str) -> Path | None:
    path = REPO / Path(*module.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.exists():
            return candidate
    return None


def imported_names(path: Path) -> Iterator[str]:
    """As :func:`imported_modules`, plus ``a.b.c`` for ``from a.b import c`` (c may be a
    module)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def reachable_modules(start: Path) -> dict[str, str]:
    """Every module imported (at any depth) by ``start`` and by each of our own modules
    it reaches, following ours: module -> the file that imports it."""
    todo, seen, found = [start], set[Path](), dict[str, str]()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_names(path):
            target = module_path(name)
            if name.split(".")[0] in {"services", "expert_music"}:
                if target is None:
                    continue  # a function or class, not a module
                todo.append(target)
            found.setdefault(name, str(path.relative_to(REPO)))
    return found


def test_the_library_runs_the_domain_code_and_none_of_the_grpc_side() -> None:
    reached = reachable_modules(REPO / "expert_music" / "__init__.py")

    assert {"services.pitch.melody", "services.lyrics.writer", "services.synth.render"} <= set(
        reached
    )
    grpc_side = {
        module: importer
        for module, importer in reached.items()
        if module.split(".")[0] == "expertmusic"  # the protobuf stubs
        or module.endswith(".server")  # servicers and the server bootstrap
        or module.split(".")[:2] in (["services", "studio"], ["services", "registry"])
    }
    assert grpc_side == {}


def test_the_shared_library_imports_no_service() -> None:
    assert crossings(SERVICES / SHARED, {SHARED}) == []


def test_the_gateway_uses_only_the_shared_library_and_the_cli_the_library() -> None:
    assert crossings(REPO / "gateway", {SHARED}) == []
    assert crossings(REPO / "cli", {SHARED}) == []
    assert "expert_music" in set(imported_modules(REPO / "cli" / "main.py"))  # its jobs in process


def test_the_readmes_architecture_names_every_service_and_no_other() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    described = {
        match.group(1) for match in re.finditer(r"^\| \*\*(\w+)\*\* \|", section, re.MULTILINE)
    }
    assert described == set(service_packages())
