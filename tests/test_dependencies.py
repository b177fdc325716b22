"""Each service's image installs its own extra of pyproject.toml, and nothing more: these
tests resolve each extra against the packages' own metadata (what pip would install) and
check it against what the service's modules import when they load."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
#: What each deployable runs on: a package of ours -> its extra.
IMAGES = {
    "services/pitch": "pitch",
    "services/lyrics": "lyrics",
    "services/synth": "synth",
    "services/registry": "registry",
    "services/trainer": "trainer",
    "services/generation": "generation",
    "services/studio": "studio",
    "services/web": "web",
    "gateway": "gateway",
    "cli": "cli",
    "expert_music": "library",
}
#: Our own top-level packages and the generated stubs (copied into every image).
OURS = {"services", "gateway", "cli", "expert_music", "expertmusic"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def own_requirements(extras: frozenset[str]) -> list[Requirement]:
    """The project's core requirements plus those of ``extras``, self-references expanded."""
    found = [Requirement(text) for text in PROJECT["dependencies"]]
    todo, seen = list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in PROJECT["optional-dependencies"][extra]:
            requirement = Requirement(text)
            if canonical(requirement.name) == canonical(PROJECT["name"]):
                todo.extend(requirement.extras)
            else:
                found.append(requirement)
    return found


@cache
def installs(*extras: str) -> frozenset[str]:
    """Every distribution pip installs for the extras (canonical names), resolved through
    the installed packages' metadata (``make install`` installs every extra)."""
    names: set[str] = set()
    todo: list[Requirement] = own_requirements(frozenset(extras))
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        requirement = todo.pop()
        name = canonical(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        names.add(name)
        for text in metadata.requires(name) or []:
            dependency = Requirement(text)
            environments = [{"extra": ""}, *({"extra": e} for e in requirement.extras)]
            if dependency.marker is None or any(
                dependency.marker.evaluate(environment) for environment in environments
            ):
                todo.append(dependency)
    return frozenset(names)


def module_file(module: str) -> Path | None:
    path = REPO / Path(*module.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.exists():
            return candidate
    return None


def load_time_imports(path: Path) -> Iterator[str]:
    """Modules imported when ``path`` loads: module level, not inside functions (deferred
    imports are optional features, e.g. the crepe engines) nor ``if TYPE_CHECKING``."""
    statements = list(ast.parse(path.read_text()).body)
    while statements:
        node = statements.pop()
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Try):
            statements.extend([*node.body, *node.orelse, *node.finalbody])
        elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            statements.extend([*node.body, *node.orelse])


def third_party_imports(package: str) -> dict[str, str]:
    """Top-level third-party module -> a file of ours that imports it at load time,
    following our own modules' imports."""
    todo = sorted((REPO / package).rglob("*.py"))
    seen: set[Path] = set()
    found: dict[str, str] = {}
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for module in load_time_imports(path):
            top = module.split(".")[0]
            if top in OURS:
                target = module_file(module)
                if target is not None:
                    todo.append(target)
            elif top not in sys.stdlib_module_names:
                found.setdefault(top, str(path.relative_to(REPO)))
    return found


def test_the_pitch_image_has_no_torch_unless_its_crepe_extra_is_installed() -> None:
    assert "torch" not in installs("pitch")
    assert "torch" in installs("pitch", "crepe")


def test_the_lyrics_image_has_no_audio_stack() -> None:
    # (onnxruntime comes with piper-tts, whose wheel carries espeak-ng's rules.)
    audio_stack = {"av", "soundfile", "soxr", "librosa", "scipy", "torch", "numba"}
    assert not audio_stack & installs("lyrics")


def test_only_the_trainer_and_generation_carry_torch_and_only_generation_transformers() -> None:
    with_torch = {extra for extra in IMAGES.values() if "torch" in installs(extra)}
    assert with_torch == {"trainer", "generation"}
    assert {extra for extra in IMAGES.values() if "transformers" in installs(extra)} == {
        "generation"
    }


def test_the_library_and_the_cli_install_what_transcription_lyrics_and_singing_need() -> None:
    # The library runs the three services' domain code in process.
    assert installs("library") >= installs("pitch") | installs("lyrics") | installs("synth")
    assert installs("cli") >= installs("library")
    assert "torch" not in installs("cli")


@cache
def distributions_by_module() -> dict[str, list[str]]:
    return dict(metadata.packages_distributions())


@pytest.mark.parametrize("package", sorted(IMAGES))
def test_everything_a_service_imports_as_it_loads_is_in_its_extra(package: str) -> None:
    by_module = distributions_by_module()
    extra = IMAGES[package]
    missing = {
        module: importer
        for module, importer in third_party_imports(package).items()
        if not {canonical(name) for name in by_module.get(module, [module])} & installs(extra)
    }
    assert missing == {}, f"add to the {extra!r} extra (module: the file importing it)"
