"""The trainer's backends, as the registry knows them and as workers load them."""

from __future__ import annotations

import importlib

import pytest

from services.common.catalogue.jobs import TRAINING_BACKENDS
from services.trainer.backends import DEFAULT_BACKENDS


def test_the_trainer_runs_every_backend_the_registry_queues_jobs_for() -> None:
    assert sorted(DEFAULT_BACKENDS) == sorted(TRAINING_BACKENDS)


@pytest.mark.parametrize("name", sorted(DEFAULT_BACKENDS))
def test_every_default_backend_has_a_factory(name: str) -> None:
    # Workers import backends lazily; this catches a moved module before a job does.
    module_name, _, factory_name = DEFAULT_BACKENDS[name].partition(":")
    factory = getattr(importlib.import_module(module_name), factory_name)
    assert callable(factory)
