from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mesh import Mesh, running_mesh


@pytest.fixture(scope="session")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """Every service (the web studio's too), a training worker and Envoy, started by the
    real supervisor on free ports."""
    data_dir: Path = tmp_path_factory.mktemp("mesh-data")
    with running_mesh(
        ["pitch", "lyrics", "synth", "registry", "studio", "generation", "web"], data_dir
    ) as started:
        yield started
