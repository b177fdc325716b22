"""Training backends by name, imported only when a worker first needs one.

A backend module provides a factory ``create_backend(settings, artifacts)`` that returns a
:class:`~services.trainer.base.TrainingBackend`. Importing lazily keeps torch
(the local backend) out of processes that only queue jobs, and lets a worker start even
when one backend's dependencies are missing: only that backend's jobs fail, with a reason.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping

from services.common.artifacts import ArtifactStore
from services.common.errors import InvalidInputError, PreconditionError
from services.common.settings import Settings
from services.trainer.base import TrainingBackend

BackendFactory = Callable[[Settings, ArtifactStore], TrainingBackend]

#: name -> "module:factory" of the backends every worker knows.
DEFAULT_BACKENDS: dict[str, str] = {
    "local": "services.trainer.ddsp.train:create_backend",
    "replicate": "services.trainer.replicate_backend:create_backend",
}


def parse_backend_option(option: str) -> tuple[str, str]:
    """``"name=package.module:factory"`` -> (name, "package.module:factory")."""
    name, separator, target = option.partition("=")
    module, colon, factory = target.partition(":")
    if not separator or not colon or not name or not module or not factory:
        raise InvalidInputError(f"expected NAME=MODULE:FACTORY, got {option!r}")
    return name, target


class BackendRegistry:
    """Creates each named backend once, on first use."""

    def __init__(self, targets: Mapping[str, str] = DEFAULT_BACKENDS) -> None:
        self._targets = dict(targets)
        self._instances: dict[str, TrainingBackend] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return sorted(self._targets)

    def create(self, name: str, settings: Settings, artifacts: ArtifactStore) -> TrainingBackend:
        """The backend called ``name``.

        Raises:
            InvalidInputError: No backend has that name.
            PreconditionError: Its module or factory cannot be loaded here.
        """
        with self._lock:
            if name in self._instances:
                return self._instances[name]
            target = self._targets.get(name)
            if target is None:
                raise InvalidInputError(
                    f"unknown training backend {name!r}; known: {', '.join(self.names())}"
                )
            module_name, _, factory_name = target.partition(":")
            try:
                factory: BackendFactory = getattr(
                    importlib.import_module(module_name), factory_name
                )
            except (ImportError, AttributeError) as error:
                raise PreconditionError(
                    f"training backend {name!r} is not available on this worker: {error}"
                ) from error
            backend = factory(settings, artifacts)
            self._instances[name] = backend
            return backend
