"""Custom instruments as a user trains them through Envoy: dataset, job, model, generation."""

from __future__ import annotations

import io
import json
import time

import numpy as np
import pytest
import soundfile

from tests.support.encoding import encode
from tests.support.instruments import clarinet_like_profile, play, random_melody
from tests.support.mesh import Mesh
from tests.support.rest import http, http_json, post_json

SAMPLE_RATE_HZ = 32_000
#: A model small enough to train in seconds on two busy cores (see tests/trainer).
TINY_MODEL = {
    "hidden_size": 64,
    "gru_size": 64,
    "n_harmonics": 30,
    "n_noise_bands": 33,
    "mlp_layers": 1,
    "steps": 60,
    "batch_size": 8,
    "crop_frames": 32,
    "report_every": 10,
    "checkpoint_every": 30,
    "threads": 1,
}


@pytest.fixture(scope="module")
def dataset(mesh: Mesh) -> dict:
    notes = random_melody(np.random.default_rng(3), 40.0)
    recording = play(notes, clarinet_like_profile(30), SAMPLE_RATE_HZ, seed=3)
    status, _, body = http(
        mesh,
        "POST",
        "/v1/datasets?name=test-clarinet&instrument=clarinet",
        body=encode(recording, SAMPLE_RATE_HZ, "flac"),
        headers={"Content-Type": "audio/flac"},
    )
    assert status == 200, body[:300]
    return json.loads(body)["dataset"]


def wait_for(mesh: Mesh, job_id: str, timeout_s: float = 240) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _, reply = http_json(mesh, "GET", f"/v1/trainingJobs/{job_id}")
        job = reply["training_job"]
        if job["status"] not in ("TRAINING_JOB_STATUS_QUEUED", "TRAINING_JOB_STATUS_RUNNING"):
            return job
        time.sleep(0.5)
    raise TimeoutError(f"job {job_id} still {job['status']} after {timeout_s} s")


def test_an_uploaded_recording_becomes_a_prepared_dataset(mesh: Mesh, dataset: dict) -> None:
    assert dataset["chunk_count"] >= 2  # 40 s in chunks of at most 30 s
    status, reply = http_json(mesh, "GET", f"/v1/datasets/{dataset['id']}")
    assert status == 200 and reply["dataset"]["name"] == "test-clarinet"


def test_train_a_local_instrument_then_hum_it_on_that_instrument(mesh: Mesh, dataset: dict) -> None:
    status, reply = post_json(
        mesh,
        "/v1/trainingJobs",
        {
            "dataset_id": dataset["id"],
            "model_name": "test-clarinet",
            "backend": "local",
            "instrument": "clarinet",
            "hyperparameters": TINY_MODEL,
        },
    )
    assert status == 200, reply
    job = wait_for(mesh, reply["training_job"]["id"])
    assert job["status"] == "TRAINING_JOB_STATUS_SUCCEEDED", job
    assert job["step"] == TINY_MODEL["steps"]
    status, _, watched = http(mesh, "GET", f"/v1/trainingJobs/{job['id']}:watch")
    assert status == 200
    last = json.loads(watched.decode().strip().splitlines()[-1])["training_job"]
    assert last["status"] == "TRAINING_JOB_STATUS_SUCCEEDED"

    _, models = http_json(mesh, "GET", "/v1/models")
    trained = [model for model in models["models"] if model["name"] == "test-clarinet"]
    assert len(trained) == 1
    assert trained[0]["id"] == job["result_model_id"]
    assert trained[0]["job_id"] == job["id"]
    assert trained[0]["dataset_id"] == dataset["id"]

    notes = [
        {"onset_s": 0.1 + 0.5 * i, "duration_s": 0.45, "midi_pitch": pitch}
        for i, pitch in enumerate([60, 62, 64, 65, 67])
    ]
    status, headers, body = http(
        mesh,
        "POST",
        "/v1/music:generate",
        body=json.dumps({"model": "test-clarinet", "notes": notes}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 200, body[:300]
    assert headers["content-type"] == "audio/wav"
    samples, sample_rate_hz = soundfile.read(io.BytesIO(body))
    assert len(samples) / sample_rate_hz >= 2.5
    assert np.max(np.abs(samples)) > 0.01


def test_a_queued_job_can_be_cancelled(mesh: Mesh, dataset: dict) -> None:
    _, reply = post_json(
        mesh,
        "/v1/trainingJobs",
        {
            "dataset_id": dataset["id"],
            "model_name": "cancelled-clarinet",
            "backend": "local",
            "hyperparameters": TINY_MODEL | {"steps": 100_000},
        },
    )
    job_id = reply["training_job"]["id"]
    status, cancelled = post_json(mesh, f"/v1/trainingJobs/{job_id}:cancel", {})
    assert cancelled["training_job"]["cancel_requested"] or cancelled["training_job"]["status"] == (
        "TRAINING_JOB_STATUS_CANCELLED"
    )
    assert status == 200
    assert wait_for(mesh, job_id)["status"] == "TRAINING_JOB_STATUS_CANCELLED"


@pytest.mark.parametrize(
    ("payload", "expected_status", "expected_words"),
    [
        ({"model": "no-such-model", "notes": []}, 404, "no-such-model"),
        ({"model": "musicgen-local", "prompt": "lofi"}, 400, "MUSICGEN_MODEL_DIR"),
        ({"model": "melody", "prompt": "lofi"}, 400, "REPLICATE_API_TOKEN"),
    ],
)
def test_generating_with_an_unavailable_model_says_why(
    mesh: Mesh, payload: dict, expected_status: int, expected_words: str
) -> None:
    status, error = post_json(mesh, "/v1/music:generate", payload)
    assert status == expected_status, error
    assert expected_words in error["message"]


def test_training_sets_larger_than_a_hum_upload_go_through_rest(mesh: Mesh) -> None:
    notes = random_melody(np.random.default_rng(5), 170.0)
    recording = play(notes, clarinet_like_profile(30), 44_100, seed=5)
    wav = encode(recording, 44_100, "wav")
    assert len(wav) > 12 * 1024 * 1024  # over the 10 MB limit of hums
    status, _, body = http(
        mesh,
        "POST",
        "/v1/datasets?name=long-clarinet",
        body=wav,
        headers={"Content-Type": "audio/wav"},
    )
    assert status == 200, body[:300]
    assert json.loads(body)["dataset"]["chunk_count"] >= 6
