"""Test inputs: settings pointing at fake providers, and melodies of given shapes."""

from __future__ import annotations

from services.common.music import Melody, Note, Phrase
from services.common.settings import Settings
from tests.support.fake_llm import FakeLLMServer


def settings_for(
    anthropic: FakeLLMServer | None = None,
    openai: FakeLLMServer | None = None,
    **overrides: object,
) -> Settings:
    """Settings with only the given fake providers configured and quick retries."""
    values: dict[str, object] = {
        "anthropic_api_key": "test-anthropic-key" if anthropic else "",
        "anthropic_base_url": anthropic.base_url if anthropic else "",
        "anthropic_model": "claude-test",
        "openai_api_key": "test-openai-key" if openai else "",
        "openai_base_url": openai.base_url if openai else "",
        "openai_model": "gpt-test",
        "lyrics_retry_attempts": 3,
        "lyrics_retry_base_delay_s": 0.01,
        "lyrics_retry_max_delay_s": 0.05,
        "lyrics_llm_call_timeout_s": 2.0,
        "lyrics_default_provider": "auto",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def melody_of(
    phrase_lengths: list[int],
    *,
    note_s: float = 0.25,
    gap_s: float = 0.5,
    long_notes: frozenset[int] = frozenset(),
    tempo_bpm: float = 0.0,
) -> Melody:
    """A melody with phrases of the given note counts; notes in ``long_notes`` (global
    indices) last three times as long as the others."""
    notes: list[Note] = []
    phrases: list[Phrase] = []
    time_s = 0.0
    for length in phrase_lengths:
        first, onset_s = len(notes), time_s
        for _ in range(length):
            duration_s = note_s * (3 if len(notes) in long_notes else 1)
            notes.append(
                Note(onset_s=time_s, duration_s=duration_s, midi_pitch=60 + len(notes) % 12)
            )
            time_s += duration_s
        phrases.append(Phrase(first, length, onset_s, time_s - onset_s))
        time_s += gap_s
    return Melody(
        notes=notes, phrases=phrases, duration_s=time_s, engine="test", tempo_bpm=tempo_bpm
    )
