"""The lyrics and synth stages on their own, through Envoy, as a REST client uses them."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.support.encoding import encode
from tests.support.fake_llm import FakeLLMServer
from tests.support.hums import C_MAJOR_SCALE_WITH_REST, synthesize_hum
from tests.support.mesh import Mesh, running_mesh
from tests.support.rest import http, post_json

SAMPLE_RATE_HZ = 22_050


@pytest.fixture(scope="module")
def melody(mesh: Mesh) -> dict:
    wav = encode(synthesize_hum(C_MAJOR_SCALE_WITH_REST, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, "wav")
    status, _, body = http(
        mesh, "POST", "/v1/melody:extract", body=wav, headers={"Content-Type": "audio/wav"}
    )
    assert status == 200
    return json.loads(body)["melody"]


def test_lyrics_for_an_extracted_melody_fit_every_note(mesh: Mesh, melody: dict) -> None:
    status, lyrics = post_json(
        mesh,
        "/v1/lyrics:write",
        {"melody": melody, "theme": "night trains", "rhyme_scheme": "AA", "seed": 5},
    )
    assert status == 200, lyrics
    assert [len(line["syllables"]) for line in lyrics["lines"]] == [4, 4]
    assert lyrics["provider"] == "local"
    assert lyrics["fit"]["syllable_match_rate"] == 1.0
    assert all(s["phonemes"] for line in lyrics["lines"] for s in line["syllables"])


def test_lyrics_refuse_other_languages_clearly(mesh: Mesh, melody: dict) -> None:
    status, error = post_json(mesh, "/v1/lyrics:write", {"melody": melody, "language": "fr"})
    assert status == 400
    assert "English" in error["message"]


def test_voices_are_listed_with_ranges_and_licences(mesh: Mesh) -> None:
    status, _, body = http(mesh, "GET", "/v1/voices")
    assert status == 200
    voices = {voice["voice_id"]: voice for voice in json.loads(body)["voices"]}
    assert {"joe", "slt", "joe-high", "festival"} <= set(voices)
    assert voices["joe"]["available"] is True
    assert voices["joe"]["lowest_midi"] < voices["joe"]["highest_midi"]
    assert voices["joe"]["licence"]
    # The measured ranges (services/synth/voice_ranges.json): the woman's is higher.
    assert voices["slt"]["highest_midi"] > voices["joe"]["highest_midi"]
    assert "EST-2003" in voices["slt"]["licence"]
    assert voices["bark-speaker-6"]["available"] is False
    assert "REPLICATE_API_TOKEN" in voices["bark-speaker-6"]["unavailable_reason"]


def test_a_replicate_engine_on_a_server_without_a_token_is_a_400_saying_what_to_set(
    mesh: Mesh, melody: dict
) -> None:
    _, lyrics = post_json(mesh, "/v1/lyrics:write", {"melody": melody, "seed": 1})
    status, error = post_json(
        mesh, "/v1/vocals:sing", {"melody": melody, "lyrics": lyrics, "engine": "bark"}
    )
    assert status == 400, error
    assert "'bark' runs on Replicate, which is not configured on this server" in error["message"]

    wav = encode(synthesize_hum(C_MAJOR_SCALE_WITH_REST, SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, "wav")
    status, _, reply = http(
        mesh,
        "POST",
        "/melody-to-vocals?synth_engine=musicgen-melody",
        body=wav,
        headers={"Content-Type": "audio/wav"},
    )
    assert status == 400, reply
    assert "set REPLICATE_API_TOKEN" in json.loads(reply)["message"]


def test_the_answer_of_lyrics_write_is_sung_as_it_is_by_vocals_sing(
    mesh: Mesh, melody: dict
) -> None:
    _, lyrics = post_json(mesh, "/v1/lyrics:write", {"melody": melody, "seed": 1})
    status, headers, body = http(
        mesh,
        "POST",
        "/v1/vocals:sing",
        body=json.dumps({"melody": melody, "lyrics": lyrics, "voice_id": "joe"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert status == 200, body[:300]
    assert headers["content-type"] == "audio/wav"
    samples, sample_rate_hz = soundfile.read(io.BytesIO(body))
    last_note = melody["notes"][-1]
    assert len(samples) / sample_rate_hz >= last_note["onset_s"] + last_note["duration_s"] - 0.5
    assert np.max(np.abs(samples)) > 0.05


def test_vocals_sing_takes_the_voice_by_the_name_melody_to_vocals_gives_it(
    mesh: Mesh, melody: dict
) -> None:
    _, lyrics = post_json(mesh, "/v1/lyrics:write", {"melody": melody, "seed": 1})

    def sample_rate_hz(**voice: str) -> int:
        status, _, body = http(
            mesh,
            "POST",
            "/v1/vocals:sing",
            body=json.dumps({"melody": melody, "lyrics": lyrics, **voice}).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert status == 200, body[:300]
        return int(soundfile.info(io.BytesIO(body)).samplerate)

    # slt sings at 24 kHz, joe at 22.05 kHz: the voice asked for is the one heard.
    assert sample_rate_hz(voice="slt") == sample_rate_hz(voice_id="slt") == 24_000
    assert sample_rate_hz(voice="joe") == 22_050
    status, reply = post_json(
        mesh,
        "/v1/vocals:sing",
        {"melody": melody, "lyrics": lyrics, "voice": "slt", "voice_id": "joe"},
    )
    assert status == 400
    assert "the voice is given twice" in reply["message"]


def test_vocals_sing_sings_the_words_it_is_given(mesh: Mesh, melody: dict) -> None:
    # The same notes with two different texts must not sound the same: the words are read.
    def sung(word: str) -> np.ndarray:
        lines = [
            {
                "syllables": [
                    {"text": word, "note_index": note_index, "starts_word": True}
                    for note_index in range(
                        phrase["first_note_index"] or 0,
                        (phrase["first_note_index"] or 0) + phrase["note_count"],
                    )
                ]
            }
            for phrase in melody["phrases"]
        ]
        status, _, body = http(
            mesh,
            "POST",
            "/v1/vocals:sing",
            body=json.dumps({"melody": melody, "lyrics": {"lines": lines}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert status == 200, body[:300]
        samples, _ = soundfile.read(io.BytesIO(body))
        return np.asarray(samples)

    moon, see = sung("moon"), sung("see")
    size = min(moon.size, see.size)
    assert np.abs(moon[:size] - see[:size]).mean() > 0.01


def test_sing_refuses_a_syllable_on_a_missing_note(mesh: Mesh, melody: dict) -> None:
    status, error = post_json(
        mesh,
        "/v1/vocals:sing",
        {
            "melody": melody,
            "lyrics": {"lines": [{"syllables": [{"text": "la", "note_index": 99}]}]},
        },
    )
    assert status == 400
    assert "99" in error["message"]


@pytest.fixture(scope="module")
def mesh_with_failing_claude(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """A mesh whose Claude (a fake server) answers HTTP 500 to everything."""
    data_dir = Path(tmp_path_factory.mktemp("claude-down"))
    with (
        FakeLLMServer("anthropic") as claude,
        running_mesh(
            ["pitch", "lyrics", "synth", "studio"],
            data_dir,
            {
                "ANTHROPIC_API_KEY": "sk-ant-test",
                "ANTHROPIC_BASE_URL": claude.base_url,
                "LYRICS_RETRY_BASE_DELAY_S": "0.01",
            },
        ) as mesh,
    ):
        yield mesh


def test_failing_claude_falls_back_to_local_and_health_shows_it_degraded(
    mesh_with_failing_claude: Mesh,
) -> None:
    mesh = mesh_with_failing_claude
    status, _, body = http(mesh, "GET", "/health")
    assert json.loads(body)["providers"]["anthropic"]["status"] == "configured"

    status, lyrics = post_json(
        mesh,
        "/v1/lyrics:write",
        {"syllable_plan": {"syllables_per_line": [4, 4]}, "provider": "auto"},
    )
    assert status == 200, lyrics
    assert lyrics["provider"] == "local"
    assert any("anthropic" in warning for warning in lyrics["warnings"])

    status, _, body = http(mesh, "GET", "/health")
    health = json.loads(body)
    assert status == 200
    assert health["status"] == "degraded"
    assert health["providers"]["anthropic"]["status"] == "degraded"
