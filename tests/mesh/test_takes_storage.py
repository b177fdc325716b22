"""Where takes live: they survive a restart, go to S3 when configured, leave no temp files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.encoding import encode
from tests.support.hums import C_MAJOR_SCALE_WITH_REST, synthesize_hum
from tests.support.mesh import Mesh, running_mesh
from tests.support.rest import http
from tests.support.s3 import TEST_CREDENTIALS, running_s3_server, s3_client

SAMPLE_RATE_HZ = 22_050
PIPELINE = ["pitch", "lyrics", "synth", "studio"]


@pytest.fixture(scope="module")
def hum_wav() -> bytes:
    return encode(synthesize_hum(C_MAJOR_SCALE_WITH_REST, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, "wav")


def files_under(directory: Path) -> set[Path]:
    return {path for path in directory.rglob("*") if path.is_file()}


def make_take(mesh: Mesh, hum_wav: bytes) -> dict:
    status, _, body = http(
        mesh, "POST", "/melody-to-vocals", body=hum_wav, headers={"Content-Type": "audio/wav"}
    )
    assert status == 200, body[:300]
    return dict(json.loads(body))


def test_a_take_survives_a_restart_of_the_mesh(tmp_path: Path, hum_wav: bytes) -> None:
    with running_mesh(PIPELINE, tmp_path) as mesh:
        take = make_take(mesh, hum_wav)
        _, _, audio_before = http(mesh, "GET", f"/v1/takes/{take['take_id']}/audio")

    with running_mesh(PIPELINE, tmp_path) as restarted:
        status, _, body = http(restarted, "GET", f"/v1/takes/{take['take_id']}")
        assert status == 200
        assert json.loads(body)["lyrics"] == take["lyrics"]
        status, _, audio_after = http(restarted, "GET", f"/v1/takes/{take['take_id']}/audio")
        assert status == 200 and audio_after == audio_before


def test_takes_go_to_s3_and_requests_leave_no_temporary_files(
    tmp_path: Path, hum_wav: bytes
) -> None:
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    with running_s3_server() as endpoint_url:
        s3 = s3_client(endpoint_url)
        s3.create_bucket(Bucket="takes")  # type: ignore[attr-defined]
        environment = TEST_CREDENTIALS | {
            "S3_ENDPOINT_URL": endpoint_url,
            "S3_BUCKET": "takes",
            "TMPDIR": str(temp_dir),
            "GATEWAY_CONFIG_DIR": str(tmp_path / "gateway"),
        }
        with running_mesh(PIPELINE, tmp_path / "data", environment) as mesh:
            # Libraries drop files of their own at start-up; requests must add none.
            temp_files_at_start = files_under(temp_dir)
            take = make_take(mesh, hum_wav)
            listed = s3.list_objects_v2(Bucket="takes", Prefix="takes/")  # type: ignore[attr-defined]
            keys = {item["Key"] for item in listed.get("Contents", [])}
            assert keys == {
                f"takes/{take['take_id']}/take.json",
                f"takes/{take['take_id']}/vocals.wav",
                f"takes/{take['take_id']}/recording",
            }
            status, _, recording = http(mesh, "GET", f"/v1/takes/{take['take_id']}/recording")
            assert (status, recording) == (200, hum_wav)
            status, headers, audio = http(mesh, "GET", f"/v1/takes/{take['take_id']}/audio")
            assert status == 200 and headers["content-type"] == "audio/wav"
            assert audio.startswith(b"RIFF")
            assert not (tmp_path / "data" / "artifacts" / "takes").exists()
            assert files_under(temp_dir) == temp_files_at_start

            # Deleting the take removes every object of it from the bucket.
            status, _, body = http(mesh, "DELETE", f"/v1/takes/{take['take_id']}")
            assert status == 200, body[:300]
            listed = s3.list_objects_v2(Bucket="takes", Prefix="takes/")  # type: ignore[attr-defined]
            assert listed.get("Contents", []) == []
            assert http(mesh, "GET", f"/v1/takes/{take['take_id']}/recording")[0] == 404
