"""The base MusicGen versions on Replicate, exactly as the seed's models/registry.json
lists them. created_at is the seed document's date, 2025-10-18 00:00 UTC.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEED_DATE_S = 1760745600.0
BASE_MODELS = [
    (
        "small",
        "meta/musicgen:b05b1dff1d8c6dc63d14b0cdb42135378dcb87f6373b0d3d341ede46e59e2b38",
        "MusicGen small (300M parameters), text to music",
    ),
    (
        "medium",
        "meta/musicgen:7a76a8258b23fae65c5a22debb8841d1d7e816b75c2f24218cd2bd8573787906",
        "MusicGen medium (1.5B parameters), text to music",
    ),
    (
        "melody",
        "meta/musicgen:671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb",
        "MusicGen melody (1.5B parameters), text and melody to music",
    ),
    (
        "large",
        "meta/musicgen:7be0f12c54a8d033a0fbd14418c9af98962da9a86f5ff7811f9b3b17a1c0f1fc",
        "MusicGen large (3.3B parameters), text to music",
    ),
]
models = sa.table(
    "models",
    *(
        sa.column(name)
        for name in (
            "id",
            "name",
            "kind",
            "engine",
            "version",
            "instrument",
            "description",
            "status",
            "created_at",
        )
    ),
)


def upgrade() -> None:
    op.bulk_insert(
        models,
        [
            {
                "id": f"mdl_base_{name}",
                "name": name,
                "kind": "base",
                "engine": "replicate",
                "version": version,
                "instrument": "",
                "description": description,
                "status": "ready",
                "created_at": SEED_DATE_S,
            }
            for name, version, description in BASE_MODELS
        ],
    )


def downgrade() -> None:
    op.execute(models.delete().where(models.c.kind == "base"))
