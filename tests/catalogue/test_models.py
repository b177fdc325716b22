"""The model catalogue: the seed's base models and the seed's GET /models shape."""

from __future__ import annotations

import pytest

from services.common.catalogue.db import Database
from services.common.catalogue.models import Engine, ModelKind, ModelRepository
from services.common.errors import InvalidInputError, NotFoundError, PreconditionError

#: The seed document's models/registry.json "base" entries, verbatim.
SEED_BASE_MODELS = {
    "small": "meta/musicgen:b05b1dff1d8c6dc63d14b0cdb42135378dcb87f6373b0d3d341ede46e59e2b38",
    "medium": "meta/musicgen:7a76a8258b23fae65c5a22debb8841d1d7e816b75c2f24218cd2bd8573787906",
    "melody": "meta/musicgen:671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb",
    "large": "meta/musicgen:7be0f12c54a8d033a0fbd14418c9af98962da9a86f5ff7811f9b3b17a1c0f1fc",
}


def test_a_new_registry_lists_the_seeds_base_models(database: Database) -> None:
    summary = ModelRepository(database).summary()
    assert summary.as_dict() == {"base": SEED_BASE_MODELS, "fine_tuned": {}}


def test_base_models_run_on_replicate(database: Database) -> None:
    models = ModelRepository(database).list_models(ModelKind.BASE)
    assert {model.name for model in models} == set(SEED_BASE_MODELS)
    assert {model.engine for model in models} == {Engine.REPLICATE}
    assert all(model.dataset_id is None and model.job_id is None for model in models)


def test_a_model_is_found_by_id_and_by_name(database: Database) -> None:
    repository = ModelRepository(database)
    melody = repository.get_by_name("melody")
    assert repository.get(melody.id) == melody
    assert melody.version == SEED_BASE_MODELS["melody"]


def test_unknown_models_are_not_found(database: Database) -> None:
    repository = ModelRepository(database)
    with pytest.raises(NotFoundError):
        repository.get("mdl_0000000000000000")
    with pytest.raises(NotFoundError):
        repository.get_by_name("telecaster")


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "mdl_x' OR '1'='1", "", "ds_123"])
def test_malformed_model_ids_are_refused(database: Database, bad_id: str) -> None:
    with pytest.raises(InvalidInputError):
        ModelRepository(database).get(bad_id)


def test_base_models_cannot_be_deleted(database: Database) -> None:
    repository = ModelRepository(database)
    with pytest.raises(PreconditionError):
        repository.delete(repository.get_by_name("large").id)
    assert "large" in repository.summary().base
