-- The registry's tables. Written in the SQL that SQLite and PostgreSQL both accept:
-- TEXT ids made by the application, times as Unix seconds (DOUBLE PRECISION), JSON as
-- TEXT, flags as INTEGER 0/1.

-- A prepared training set: chunks and captions under artifact_prefix.
CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    instrument TEXT NOT NULL DEFAULT '',
    caption TEXT NOT NULL DEFAULT '',
    artifact_prefix TEXT NOT NULL,
    chunk_count INTEGER NOT NULL CHECK (chunk_count >= 0),
    total_duration_s DOUBLE PRECISION NOT NULL CHECK (total_duration_s >= 0),
    sample_rate_hz INTEGER NOT NULL CHECK (sample_rate_hz > 0),
    source_filename TEXT NOT NULL DEFAULT '',
    created_at DOUBLE PRECISION NOT NULL
);

-- The queue and history of training runs. A worker owns a running job while its lease
-- (lease_owner, lease_expires_at) is fresh; an expired lease makes it claimable again.
CREATE TABLE training_jobs (
    id TEXT PRIMARY KEY,
    dataset_id TEXT NOT NULL REFERENCES datasets (id),
    model_name TEXT NOT NULL,
    base_model TEXT NOT NULL DEFAULT '',
    instrument TEXT NOT NULL DEFAULT '',
    backend TEXT NOT NULL,
    hyperparameters TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    step INTEGER NOT NULL DEFAULT 0,
    total_steps INTEGER NOT NULL DEFAULT 0,
    loss DOUBLE PRECISION,
    message TEXT NOT NULL DEFAULT '',
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires_at DOUBLE PRECISION,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL CHECK (max_attempts > 0),
    result_model_id TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    started_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION
);

CREATE INDEX training_jobs_by_status ON training_jobs (status, created_at);

-- Progress history of a job, in order (seq counts from 1 per job).
CREATE TABLE job_events (
    job_id TEXT NOT NULL REFERENCES training_jobs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    status TEXT NOT NULL,
    step INTEGER NOT NULL,
    total_steps INTEGER NOT NULL,
    loss DOUBLE PRECISION,
    message TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, seq)
);

-- Base models (from the seed) and the fine-tuned models that training produced.
CREATE TABLE models (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('base', 'fine_tuned')),
    engine TEXT NOT NULL CHECK (engine IN ('replicate', 'local')),
    version TEXT NOT NULL,
    instrument TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    dataset_id TEXT REFERENCES datasets (id) ON DELETE SET NULL,
    job_id TEXT REFERENCES training_jobs (id) ON DELETE SET NULL,
    status TEXT NOT NULL CHECK (status IN ('ready', 'archived')),
    created_at DOUBLE PRECISION NOT NULL
);
