"""The catalogue's tables: datasets, training jobs and their events, models.

Types both SQLite and PostgreSQL accept: TEXT ids made by the application, times as Unix
seconds (DOUBLE PRECISION), JSON as TEXT, flags as INTEGER 0/1.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: Unix seconds, DOUBLE PRECISION on both engines.
SECONDS: sa.Double[float] = sa.Double()


def upgrade() -> None:
    # A prepared training set: chunks and captions under artifact_prefix.
    op.create_table(
        "datasets",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("instrument", sa.Text, nullable=False, server_default=""),
        sa.Column("caption", sa.Text, nullable=False, server_default=""),
        sa.Column("artifact_prefix", sa.Text, nullable=False),
        sa.Column("chunk_count", sa.Integer, nullable=False),
        sa.Column("total_duration_s", SECONDS, nullable=False),
        sa.Column("sample_rate_hz", sa.Integer, nullable=False),
        sa.Column("source_filename", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", SECONDS, nullable=False),
        sa.CheckConstraint("chunk_count >= 0"),
        sa.CheckConstraint("total_duration_s >= 0"),
        sa.CheckConstraint("sample_rate_hz > 0"),
    )
    # The queue and history of training runs. A worker owns a running job while its
    # lease (lease_owner, lease_expires_at) is fresh; an expired lease makes it
    # claimable again.
    op.create_table(
        "training_jobs",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("dataset_id", sa.Text, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("model_name", sa.Text, nullable=False),
        sa.Column("base_model", sa.Text, nullable=False, server_default=""),
        sa.Column("instrument", sa.Text, nullable=False, server_default=""),
        sa.Column("backend", sa.Text, nullable=False),
        sa.Column("hyperparameters", sa.Text, nullable=False, server_default="{}"),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("step", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total_steps", sa.Integer, nullable=False, server_default="0"),
        sa.Column("loss", SECONDS),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("cancel_requested", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.Text),
        sa.Column("lease_expires_at", SECONDS),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("result_model_id", sa.Text),
        sa.Column("created_at", SECONDS, nullable=False),
        sa.Column("updated_at", SECONDS, nullable=False),
        sa.Column("started_at", SECONDS),
        sa.Column("finished_at", SECONDS),
        sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')"),
        sa.CheckConstraint("max_attempts > 0"),
    )
    op.create_index("training_jobs_by_status", "training_jobs", ["status", "created_at"])
    # Progress history of a job, in order (seq counts from 1 per job).
    op.create_table(
        "job_events",
        sa.Column(
            "job_id",
            sa.Text,
            sa.ForeignKey("training_jobs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("created_at", SECONDS, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("total_steps", sa.Integer, nullable=False),
        sa.Column("loss", SECONDS),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
    )
    # Base models (from the seed) and the fine-tuned models that training produced.
    op.create_table(
        "models",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("engine", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("instrument", sa.Text, nullable=False, server_default=""),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("dataset_id", sa.Text, sa.ForeignKey("datasets.id", ondelete="SET NULL")),
        sa.Column("job_id", sa.Text, sa.ForeignKey("training_jobs.id", ondelete="SET NULL")),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", SECONDS, nullable=False),
        sa.CheckConstraint("kind IN ('base', 'fine_tuned')"),
        sa.CheckConstraint("engine IN ('replicate', 'local')"),
        sa.CheckConstraint("status IN ('ready', 'archived')"),
    )


def downgrade() -> None:
    for table in ("models", "job_events", "training_jobs", "datasets"):
        op.drop_table(table)
