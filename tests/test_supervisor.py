"""`make up` runs the registry, the trainers and generation as processes of their own."""

from __future__ import annotations

import sys

from services.common.settings import Settings
from services.supervisor import child_commands


def test_every_service_the_trainers_and_the_gateway_are_separate_processes() -> None:
    children = child_commands(Settings(training_workers=2))

    commands = {child.name: child.command for child in children}
    assert commands["registry"] == [sys.executable, "-m", "services.registry"]
    assert commands["generation"] == [sys.executable, "-m", "services.generation"]
    assert (
        commands["trainer-1"]
        == commands["trainer-2"]
        == [
            sys.executable,
            "-m",
            "services.trainer",
        ]
    )
    assert children[-1].name == "gateway"  # last: it routes to the others


def test_no_trainer_runs_without_the_registry_whose_queue_it_serves() -> None:
    settings = Settings(mesh_services=["pitch", "studio"], training_workers=2)

    assert [child.name for child in child_commands(settings)] == ["pitch", "studio", "gateway"]
