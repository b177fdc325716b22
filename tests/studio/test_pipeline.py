"""The pipeline's steps on fake stage stubs: what each job calls, with what, and what it keeps."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from expertmusic.lyrics.v1 import lyrics_pb2
from expertmusic.music.v1 import music_pb2
from expertmusic.pitch.v1 import pitch_pb2
from expertmusic.studio.v1 import studio_pb2
from expertmusic.synth.v1 import synth_pb2

from services.common.artifacts import LocalArtifactStore
from services.common.audio import encode_wav
from services.common.cancellation import WorkCancelledError
from services.common.convert import lyrics_to_proto
from services.common.errors import InvalidInputError, PreconditionError, UnavailableError
from services.common.settings import Settings
from services.lyrics.pronunciation import rhymes_with
from services.lyrics.server import request_from_proto
from services.lyrics.text import words_of
from services.lyrics.writer import check_request, write_lyrics
from services.studio.pipeline import StageStubs, VocalsPipeline
from services.studio.takes import TakeStore

RECORDING = encode_wav([0.0] * 800, 8000)
WAV = b"RIFF....WAVEfake"


def hummed_melody() -> music_pb2.Melody:
    """Two phrases: notes 0-2, a rest, notes 3-4."""
    notes = [(0.0, 60), (0.5, 62), (1.0, 64), (2.5, 65), (3.0, 67)]
    return music_pb2.Melody(
        notes=[music_pb2.Note(onset_s=t, duration_s=0.5, midi_pitch=p) for t, p in notes],
        phrases=[
            music_pb2.Phrase(first_note_index=0, note_count=3, onset_s=0.0, duration_s=1.5),
            music_pb2.Phrase(first_note_index=3, note_count=2, onset_s=2.5, duration_s=1.0),
        ],
        duration_s=4.0,
        engine="swift",
    )


def one_syllable_per_note(melody: music_pb2.Melody, word: str) -> music_pb2.Lyrics:
    lines = []
    for index, phrase in enumerate(melody.phrases):
        notes = range(phrase.first_note_index, phrase.first_note_index + phrase.note_count)
        lines.append(
            music_pb2.LyricLine(
                text=" ".join(word for _ in notes),
                phrase_index=index,
                syllables=[
                    music_pb2.Syllable(text=word, note_index=n, starts_word=True) for n in notes
                ],
            )
        )
    return music_pb2.Lyrics(lines=lines, provider="local")


class Finished:
    """A call that has already answered, as a gRPC future reports it."""

    def __init__(self, handle: Callable[..., Any], request: Any, timeout: float) -> None:
        self._failure: Exception | None = None
        try:
            self._answer = handle(request, timeout)
        except Exception as failure:  # a failed call raises from result(), as gRPC's does
            self._failure = failure

    def result(self, timeout: float | None = None) -> Any:
        if self._failure is not None:
            raise self._failure
        return self._answer

    def cancel(self) -> bool:
        return False


class Unary:
    """A fake unary method: called as gRPC stubs are, directly or through ``.future``."""

    def __init__(self, handle: Callable[..., Any]) -> None:
        self._handle = handle

    def __call__(self, request: Any, timeout: float, wait_for_ready: bool = True) -> Any:
        return self._handle(request, timeout)

    def future(self, request: Any, timeout: float, wait_for_ready: bool = True) -> Any:
        assert not wait_for_ready, "a stage call must not wait for its service again"
        return Finished(self._handle, request, timeout)


class FakePitch:
    def __init__(self) -> None:
        self.calls = 0
        self.timeouts_s: list[float] = []
        self.warnings: list[str] = []  # what the pitch service says of the recording
        self.ExtractMelody = Unary(self._extract)

    def _extract(self, requests: Iterator[Any], timeout: float) -> Any:
        self.calls += 1
        self.timeouts_s.append(timeout)
        list(requests)
        melody = hummed_melody()
        melody.warnings.extend(self.warnings)
        return pitch_pb2.ExtractMelodyResponse(melody=melody)


class FakeLyrics:
    """Writes "la" on every note, or the user's words one word per note."""

    def __init__(self) -> None:
        self.requests: list[lyrics_pb2.WriteLyricsRequest] = []
        self.checks: list[lyrics_pb2.WriteLyricsRequest] = []  # validate_only requests
        self.WriteLyrics = Unary(self._write)

    def _write(self, request: lyrics_pb2.WriteLyricsRequest, timeout: float) -> Any:
        if request.validate_only:
            self.checks.append(request)
            return music_pb2.Lyrics()
        self.requests.append(request)
        if not request.user_lyrics:
            return one_syllable_per_note(request.melody, "la")
        words = request.user_lyrics.split()
        if len(words) != len(request.melody.notes):
            raise AssertionError("the fake fits one word per note")
        return music_pb2.Lyrics(
            lines=[
                music_pb2.LyricLine(
                    text=request.user_lyrics,
                    syllables=[
                        music_pb2.Syllable(text=w, note_index=i, starts_word=True)
                        for i, w in enumerate(words)
                    ],
                )
            ],
            provider="local",
        )


class RealLyrics:
    """The lyrics service's own domain behind a fake stub: its words, warnings and
    refusals (INVALID_ARGUMENT), as the server sends them."""

    def __init__(self) -> None:
        self.requests: list[lyrics_pb2.WriteLyricsRequest] = []
        self.WriteLyrics = Unary(self._write)

    def _write(self, request: lyrics_pb2.WriteLyricsRequest, timeout: float) -> Any:
        try:
            if request.validate_only:
                check_request(request_from_proto(request), Settings())
                return music_pb2.Lyrics()
            self.requests.append(request)
            return lyrics_to_proto(write_lyrics(request_from_proto(request), Settings()))
        except ValueError as refused:
            raise Failed(grpc.StatusCode.INVALID_ARGUMENT, str(refused)) from None


class FakeSynth:
    #: The voices the fake has, as ListVoices answers them.
    VOICES = (
        ("joe", "local"),
        ("joe-high", "local"),
        ("slt", "local"),
        ("festival", "local"),
        ("bark", "bark"),
    )

    def __init__(self) -> None:
        self.requests: list[synth_pb2.SingRequest] = []
        self.voice_lists = 0
        self.reachable = True
        self.ListVoices = Unary(self._list_voices)

    def _list_voices(self, request: synth_pb2.ListVoicesRequest, timeout: float) -> Any:
        self.voice_lists += 1
        if not self.reachable:
            raise Failed(grpc.StatusCode.UNAVAILABLE, "connection refused")
        return synth_pb2.ListVoicesResponse(
            voices=[
                synth_pb2.Voice(
                    voice_id=v,
                    engine=e,
                    available=e == "local",
                    unavailable_reason="" if e == "local" else "REPLICATE_API_TOKEN is not set",
                )
                for v, e in self.VOICES
            ]
        )

    def Sing(
        self, request: synth_pb2.SingRequest, timeout: float, wait_for_ready: bool = True
    ) -> Iterator[Any]:
        assert not wait_for_ready, "a stage call must not wait for its service again"
        self.requests.append(request)
        shift = request.options.transpose_semitones
        if request.options.range_policy != synth_pb2.RANGE_POLICY_KEEP:
            shift -= 12  # the fake voice sings an octave down
        yield synth_pb2.SingResponse(audio=synth_pb2.AudioChunk(data=WAV))
        yield synth_pb2.SingResponse(
            summary=synth_pb2.SingSummary(
                duration_s=4.0,
                sample_rate_hz=22050,
                engine="local",
                # Like the real synth, "" and "auto" are resolved to a voice.
                voice_id=request.voice_id if request.voice_id not in ("", "auto") else "joe",
                applied_transpose_semitones=shift,
                voice_reason=(
                    "voice auto: joe holds 5 of 5 notes as hummed"
                    if request.voice_id in ("", "auto")
                    else f"voice {request.voice_id} as asked"
                ),
                transposition_reason=f"moved by {shift}",
            )
        )


class Connected:
    """A channel-ready future of a stage whose service is up, or comes up after
    ``after_s`` (a restart)."""

    def __init__(self, after_s: float = 0.0) -> None:
        self._ready_at = time.monotonic() + after_s

    def result(self, timeout: float | None = None) -> None:
        wait_s = self._ready_at - time.monotonic()
        if wait_s > (timeout or 0.0):
            time.sleep(timeout or 0.0)
            raise grpc.FutureTimeoutError()
        time.sleep(max(wait_s, 0.0))

    def cancel(self) -> bool:
        return False


class Readiness:
    """``StageStubs.ready``: every stage connected, unless told otherwise."""

    def __init__(self) -> None:
        self.futures: dict[str, Callable[[], Any]] = {}

    def __call__(self, stage: str) -> Any:
        return self.futures.get(stage, Connected)()


@pytest.fixture
def stages() -> tuple[FakePitch, FakeLyrics, FakeSynth]:
    return FakePitch(), FakeLyrics(), FakeSynth()


@pytest.fixture
def readiness() -> Readiness:
    return Readiness()


#: How long the pipeline waits for a stage that is not reachable, in these tests.
RESTART_WAIT_S = 0.5


def pipeline_on(
    data_dir: Path,
    stages: tuple[FakePitch, FakeLyrics, FakeSynth],
    readiness: Readiness,
    restart_wait_s: float = RESTART_WAIT_S,
) -> VocalsPipeline:
    pitch, lyrics, synth = stages
    takes = TakeStore(LocalArtifactStore(data_dir), time_to_live_s=600)
    stubs = StageStubs(pitch=pitch, lyrics=lyrics, synth=synth, ready=readiness)  # type: ignore[arg-type]
    return VocalsPipeline(stubs, takes, Settings(studio_restart_wait_s=restart_wait_s))


@pytest.fixture
def pipeline(
    tmp_path: Path, stages: tuple[FakePitch, FakeLyrics, FakeSynth], readiness: Readiness
) -> VocalsPipeline:
    return pipeline_on(tmp_path, stages, readiness)


@pytest.fixture
def lyricist_pipeline(tmp_path: Path, readiness: Readiness) -> VocalsPipeline:
    """A pipeline whose lyrics stage is the lyrics service's own domain (RealLyrics)."""
    stages = (FakePitch(), RealLyrics(), FakeSynth())
    return pipeline_on(tmp_path, stages, readiness)  # type: ignore[arg-type]


def final_take(events: Iterator[studio_pb2.MelodyToVocalsResponse]) -> studio_pb2.Take:
    kinds = []
    take = studio_pb2.Take()
    for event in events:
        kinds.append(event.WhichOneof("event"))
        if event.HasField("take"):
            take = event.take
    assert kinds[0] == "melody" and kinds[-1] == "take"
    return take


def no_deadline() -> float | None:
    return None


def new_take(pipeline: VocalsPipeline) -> studio_pb2.Take:
    return final_take(pipeline.run(RECORDING, studio_pb2.VocalsOptions(), no_deadline))


def test_a_new_take_runs_every_stage_and_keeps_its_recording(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    take = new_take(pipeline)
    pitch, lyrics, synth = stages
    assert (pitch.calls, len(lyrics.requests), len(synth.requests)) == (1, 1, 1)
    assert take.applied_transpose_semitones == -12
    assert set(take.timings_s) == {"pitch", "lyrics", "synth", "store", "total"}
    assert take.recording_url.endswith(f"/v1/takes/{take.take_id}/recording")


def test_what_the_recording_told_is_among_the_takes_warnings(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    quiet = "the recording is very quiet (its loudest moment is -45 dBFS), so it was amplified"
    stages[0].warnings = [quiet]

    take = new_take(pipeline)

    assert list(take.warnings) == [quiet]


def test_replacing_a_line_fits_only_that_line_and_transcribes_nothing(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    take = new_take(pipeline)
    pitch, lyrics, _ = stages
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.line_texts[1] = "fly high"
    revised = final_take(pipeline.revise(request, no_deadline))

    assert pitch.calls == 1
    fitted = lyrics.requests[-1]
    assert [n.midi_pitch for n in fitted.melody.notes] == [65, 67]  # the second phrase only
    assert fitted.user_lyrics == "fly high"
    assert [s.text for line in revised.lyrics.lines for s in line.syllables] == [
        "la",
        "la",
        "la",
        "fly",
        "high",
    ]
    assert [s.note_index for s in revised.lyrics.lines[1].syllables] == [3, 4]
    assert [line.rhyme_label for line in revised.lyrics.lines] == [
        line.rhyme_label for line in take.lyrics.lines
    ]
    assert revised.parent_take_id == take.take_id
    assert revised.lyrics.provider == "user"
    assert "pitch" not in revised.timings_s


def test_a_replaced_lines_warnings_and_refusals_name_it_by_its_place_counted_from_1(
    lyricist_pipeline: VocalsPipeline,
) -> None:
    pipeline = lyricist_pipeline
    take = new_take(pipeline)
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.line_texts[1] = "friend"  # the second line: two notes, one syllable

    revised = final_take(pipeline.revise(request, no_deadline))
    assert list(revised.warnings) == [
        "line 2: the line has 1 syllable for 2 notes, so syllables are held (melisma): "
        "'friend' over 2 notes"
    ]

    request.line_texts[1] = "hello my friend"
    with pytest.raises(
        InvalidInputError,
        match=r"^line 2: the line \('hello my friend'\) has 4 syllables but its phrase has 2 notes",
    ):
        next(pipeline.revise(request, no_deadline))


def without_note(melody: music_pb2.Melody, index: int) -> music_pb2.Melody:
    """The melody with one note deleted and its phrases left out, as a client sends it."""
    edited = music_pb2.Melody()
    edited.CopyFrom(melody)
    del edited.notes[index]
    del edited.phrases[:]
    return edited


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_a_deleted_note_under_the_lyricists_words_gets_a_new_line_from_the_lyricist(
    lyricist_pipeline: VocalsPipeline, seed: int
) -> None:
    pipeline = lyricist_pipeline
    options = studio_pb2.VocalsOptions(theme="harbour", seed=seed)
    take = final_take(pipeline.run(RECORDING, options, no_deadline))
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.melody.CopyFrom(without_note(take.melody, 2))  # line 1: three notes, now two

    revised = final_take(pipeline.revise(request, no_deadline))

    first, second = revised.lyrics.lines
    assert [s.note_index for s in first.syllables] == [0, 1]
    assert first.text != take.lyrics.lines[0].text
    assert second.text == take.lyrics.lines[1].text  # the untouched line stays
    assert [s.note_index for s in second.syllables] == [2, 3]
    assert revised.lyrics.provider == take.lyrics.provider  # still the lyricist's words
    assert revised.warnings[0].startswith(
        "line 1: the lyricist wrote new words for its edited notes: the old ones did not fit"
    )
    assert "Shorten the line" not in revised.warnings[0]  # nothing is left to shorten
    # The new line still answers its rhyme group's kept line (AABB: lines 1 and 2).
    assert first.rhyme_label == second.rhyme_label == "A"
    assert rhymes_with(words_of(first.text)[-1], words_of(second.text)[-1])


def test_a_line_the_lyricist_writes_again_avoids_the_other_lines_ends(tmp_path: Path) -> None:
    lyrics = RealLyrics()
    pipeline = pipeline_on(tmp_path, (FakePitch(), lyrics, FakeSynth()), Readiness())  # type: ignore[arg-type]
    take = final_take(pipeline.run(RECORDING, studio_pb2.VocalsOptions(seed=3), no_deadline))
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.melody.CopyFrom(without_note(take.melody, 2))

    final_take(pipeline.revise(request, no_deadline))

    rewrite = lyrics.requests[-1]
    assert rewrite.rhyme_with  # the kept line of its group
    # Every line's end, the replaced one's too (new words need not end as it did).
    assert set(rewrite.avoid_end_words) == {
        " ".join(line.text.split()[-3:]) for line in take.lyrics.lines
    }


def test_a_note_deleted_without_phrases_keeps_its_phrase_across_the_gap_it_leaves(
    lyricist_pipeline: VocalsPipeline,
) -> None:
    pipeline = lyricist_pipeline
    take = final_take(pipeline.run(RECORDING, studio_pb2.VocalsOptions(seed=3), no_deadline))
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    # The middle note of line 1 leaves a 0.5 s rest, which would start a phrase in a new
    # recording; in an edit the two notes stay the phrase they were.
    request.melody.CopyFrom(without_note(take.melody, 1))

    revised = final_take(pipeline.revise(request, no_deadline))

    assert [[s.note_index for s in line.syllables] for line in revised.lyrics.lines] == [
        [0, 1],
        [2, 3],
    ]
    assert revised.lyrics.lines[1].text == take.lyrics.lines[1].text
    assert revised.warnings[0].startswith("line 1: the lyricist wrote new words")


def test_a_note_added_alone_in_a_rest_joins_the_nearer_line_and_the_other_keeps_its_words(
    lyricist_pipeline: VocalsPipeline,
) -> None:
    pipeline = lyricist_pipeline
    take = final_take(pipeline.run(RECORDING, studio_pb2.VocalsOptions(seed=3), no_deadline))
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.melody.CopyFrom(take.melody)
    del request.melody.phrases[:]
    # In the rest between the lines (1.5 s to 2.5 s), nearer the second: its pickup.
    request.melody.notes.insert(3, music_pb2.Note(onset_s=2.1, duration_s=0.3, midi_pitch=64))

    revised = final_take(pipeline.revise(request, no_deadline))

    assert [(p.first_note_index, p.note_count) for p in revised.melody.phrases] == [(0, 3), (3, 3)]
    assert revised.lyrics.lines[0].text == take.lyrics.lines[0].text
    assert revised.lyrics.lines[0].syllables == take.lyrics.lines[0].syllables
    assert revised.lyrics.lines[1].syllables[0].note_index == 3


def test_notes_added_after_a_rest_get_a_line_of_their_own_and_the_others_keep_their_words(
    lyricist_pipeline: VocalsPipeline,
) -> None:
    pipeline = lyricist_pipeline
    options = studio_pb2.VocalsOptions(theme="harbour", seed=5)
    take = final_take(pipeline.run(RECORDING, options, no_deadline))
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.melody.CopyFrom(take.melody)
    del request.melody.phrases[:]
    for onset_s, pitch in ((5.0, 64), (5.5, 62), (6.0, 60)):  # a new phrase at the end
        request.melody.notes.append(
            music_pb2.Note(onset_s=onset_s, duration_s=0.4, midi_pitch=pitch)
        )
    request.melody.duration_s = 6.5

    revised = final_take(pipeline.revise(request, no_deadline))

    old_lines, new_lines = take.lyrics.lines, revised.lyrics.lines
    assert [line.text for line in new_lines[:2]] == [line.text for line in old_lines]
    assert [s.note_index for s in new_lines[2].syllables] == [5, 6, 7]
    ends = [words_of(line.text)[-1].lower() for line in new_lines]
    assert len(set(ends)) == 3, ends  # the new line ends where no other does
    assert "line 3: the lyricist wrote words for the added notes" in revised.warnings


def test_after_the_user_replaced_one_line_the_lyricists_other_lines_may_still_be_rewritten(
    lyricist_pipeline: VocalsPipeline,
) -> None:
    pipeline = lyricist_pipeline
    take = final_take(pipeline.run(RECORDING, studio_pb2.VocalsOptions(seed=4), no_deadline))
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.line_texts[0] = "one two three"
    replaced = final_take(pipeline.revise(request, no_deadline))
    assert [line.user_written for line in replaced.lyrics.lines] == [True, False]

    request = studio_pb2.ReviseTakeRequest(take_id=replaced.take_id)
    request.melody.CopyFrom(without_note(replaced.melody, 4))  # line 2: two notes, now one
    revised = final_take(pipeline.revise(request, no_deadline))

    assert revised.lyrics.lines[0].text == "one two three"
    assert [s.note_index for s in revised.lyrics.lines[1].syllables] == [3]
    assert revised.warnings[0].startswith("line 2: the lyricist wrote new words")


def test_a_deleted_note_under_the_users_own_words_is_refused_naming_the_line(
    lyricist_pipeline: VocalsPipeline,
) -> None:
    pipeline = lyricist_pipeline
    options = studio_pb2.VocalsOptions(user_lyrics="one two three\nfour five")
    take = final_take(pipeline.run(RECORDING, options, no_deadline))
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.melody.CopyFrom(without_note(take.melody, 4))  # line 2: two notes, now one

    with pytest.raises(InvalidInputError, match=r"^line 2: the line \('four five'\) has 2 sy"):
        next(pipeline.revise(request, no_deadline))


def test_new_words_keep_their_lines_place_in_the_rhyme_scheme(
    lyricist_pipeline: VocalsPipeline,
) -> None:
    pipeline = lyricist_pipeline
    options = studio_pb2.VocalsOptions(rhyme_scheme="ABAB", seed=2)
    take = final_take(pipeline.run(RECORDING, options, no_deadline))
    assert [line.rhyme_label for line in take.lyrics.lines] == ["A", "B"]
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.line_texts[1] = "fly high"  # fitted alone, as a song of one line ("A")

    revised = final_take(pipeline.revise(request, no_deadline))

    assert [line.rhyme_label for line in revised.lyrics.lines] == ["A", "B"]


def test_a_moved_note_sings_again_with_the_same_words_and_transposition(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    take = new_take(pipeline)
    _, lyrics, synth = stages
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.melody.CopyFrom(take.melody)
    request.melody.notes[1].midi_pitch += 2
    revised = final_take(pipeline.revise(request, no_deadline))

    assert len(lyrics.requests) == 1  # the words stayed on their notes
    sung = synth.requests[-1]
    assert sung.melody.notes[1].midi_pitch == 64
    assert sung.options.range_policy == synth_pb2.RANGE_POLICY_KEEP
    assert sung.options.transpose_semitones == take.applied_transpose_semitones
    assert revised.lyrics == take.lyrics
    assert revised.melody.engine == "edited"


def test_a_new_transposition_moves_from_the_takes_own(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    take = new_take(pipeline)
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.options.transpose_semitones = 3
    revised = final_take(pipeline.revise(request, no_deadline))
    assert revised.applied_transpose_semitones == take.applied_transpose_semitones + 3
    assert revised.options.transpose_semitones == 3


def test_another_voice_is_fitted_to_its_own_range(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    take = new_take(pipeline)
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.options.voice = "festival"
    final_take(pipeline.revise(request, no_deadline))
    sung = stages[2].requests[-1]
    assert sung.voice_id == "festival"
    assert sung.options.range_policy == synth_pb2.RANGE_POLICY_UNSPECIFIED


def test_an_unknown_voice_is_refused_before_the_recording_is_transcribed(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    # Once transcribed, a streaming call has answered 200: the refusal would be an
    # error event at the end of it instead of a 400.
    with pytest.raises(
        InvalidInputError,
        match=r"^unknown voice 'jo' for engine 'local'; valid voices: festival, joe, joe-high, "
        r"slt, auto$",
    ):
        next(pipeline.run(RECORDING, studio_pb2.VocalsOptions(voice="jo"), no_deadline))
    with pytest.raises(InvalidInputError, match=r"^unknown synth engine 'vocaloid'; choose one"):
        next(
            pipeline.run(RECORDING, studio_pb2.VocalsOptions(synth_engine="vocaloid"), no_deadline)
        )
    with pytest.raises(
        PreconditionError,
        match=r"^synth engine 'bark' cannot sing here: REPLICATE_API_TOKEN is not set",
    ):
        options = studio_pb2.VocalsOptions(synth_engine="bark", voice="auto")
        next(pipeline.run(RECORDING, options, no_deadline))

    assert stages[0].calls == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (studio_pb2.VocalsOptions(rhyme_scheme="QQ1"), "rhyme scheme"),
        (studio_pb2.VocalsOptions(lyrics_provider="nonsense"), "unknown provider 'nonsense'"),
        (studio_pb2.VocalsOptions(lyrics_provider="anthropic"), "not configured"),
        (studio_pb2.VocalsOptions(mood="m" * 61), "the mood may have at most 60 characters"),
        (studio_pb2.VocalsOptions(user_lyrics="Привет"), "a word that cannot be sung: 'Привет'"),
        (studio_pb2.VocalsOptions(transpose_semitones=25), "within -24..24, not 25"),
    ],
)
def test_options_the_lyricist_or_synth_would_refuse_are_refused_before_transcription(
    tmp_path: Path, options: studio_pb2.VocalsOptions, message: str
) -> None:
    # QA: each was refused only after 5-8 s of transcription, a streaming call then
    # answering 200 and ending with an error event.
    pitch = FakePitch()
    pipeline = pipeline_on(tmp_path, (pitch, RealLyrics(), FakeSynth()), Readiness())  # type: ignore[arg-type]

    with pytest.raises(InvalidInputError, match=re.escape(message)):
        next(pipeline.run(RECORDING, options, no_deadline))
    assert pitch.calls == 0


class UncheckingLyrics(FakeLyrics):
    """A lyrics service that cannot answer a check (an older version, or one too slow)."""

    def _write(self, request: lyrics_pb2.WriteLyricsRequest, timeout: float) -> Any:
        if request.validate_only:
            raise Failed(grpc.StatusCode.UNIMPLEMENTED, "validate_only")
        return super()._write(request, timeout)


def test_a_lyrics_service_that_cannot_check_the_options_leaves_them_to_the_lyrics_stage(
    tmp_path: Path,
) -> None:
    lyrics = UncheckingLyrics()
    pipeline = pipeline_on(tmp_path, (FakePitch(), lyrics, FakeSynth()), Readiness())

    final_take(pipeline.run(RECORDING, studio_pb2.VocalsOptions(), no_deadline))
    assert len(lyrics.requests) == 1


def test_a_revision_to_an_unknown_voice_is_refused_before_its_first_event(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    take = new_take(pipeline)
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.options.voice = "jo"

    with pytest.raises(InvalidInputError, match=r"^unknown voice 'jo' for engine 'local'"):
        next(pipeline.revise(request, no_deadline))
    request.options.voice = ""
    request.options.transpose_semitones = -30
    with pytest.raises(InvalidInputError, match=r"within -24..24, not -30$"):
        next(pipeline.revise(request, no_deadline))
    assert len(stages[2].requests) == 1


def test_a_synth_that_cannot_list_its_voices_checks_the_voice_itself(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    stages[2].reachable = False

    take = final_take(
        pipeline.run(RECORDING, studio_pb2.VocalsOptions(voice="festival"), no_deadline)
    )

    assert take.engines["voice"] == "festival"


def test_a_bad_edit_fails_before_anything_is_sung(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    take = new_take(pipeline)
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.melody.CopyFrom(take.melody)
    request.melody.notes[2].onset_s = 0.8  # starts while note 1 still sounds
    with pytest.raises(InvalidInputError, match="overlap"):
        next(pipeline.revise(request, no_deadline))
    assert len(stages[2].requests) == 1


# ---- how long a job may take, and a caller who leaves ----


class Pending:
    """A call that never answers until it is cancelled."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()

    def result(self, timeout: float | None = None) -> Any:
        if self.cancelled.wait(timeout):
            raise grpc.FutureCancelledError()
        raise grpc.FutureTimeoutError()

    def cancel(self) -> bool:
        self.cancelled.set()
        return True


class Failed(grpc.RpcError, grpc.Call):
    """The status a call ends with: by default, that of a deadline that passed."""

    def __init__(
        self,
        code: grpc.StatusCode = grpc.StatusCode.DEADLINE_EXCEEDED,
        details: str = "Deadline Exceeded",
    ) -> None:
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def initial_metadata(self) -> Any:
        return ()

    def trailing_metadata(self) -> Any:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> float:
        return 0.0

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Any) -> bool:
        return False


def with_timeout(timeout_s: float) -> studio_pb2.VocalsOptions:
    return studio_pb2.VocalsOptions(timeout_s=timeout_s)


def test_a_job_given_its_own_time_lets_the_pitch_stage_use_it(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    final_take(pipeline.run(RECORDING, with_timeout(200.0), no_deadline))
    final_take(pipeline.run(RECORDING, studio_pb2.VocalsOptions(), no_deadline))

    long_job, default_job = stages[0].timeouts_s
    assert 195.0 < long_job <= 200.0
    assert default_job == Settings().pitch_timeout_s


def test_a_callers_shorter_deadline_still_ends_the_job(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    final_take(pipeline.run(RECORDING, with_timeout(200.0), lambda: 12.0))

    assert stages[0].timeouts_s == [12.0]


@pytest.mark.parametrize("timeout_s", [-1.0, 10_000.0])
def test_a_job_time_outside_the_gateways_is_refused(
    pipeline: VocalsPipeline, timeout_s: float
) -> None:
    with pytest.raises(InvalidInputError, match="timeout_s must be between 0 and 330"):
        next(pipeline.run(RECORDING, with_timeout(timeout_s), no_deadline))


def test_a_caller_who_leaves_cancels_the_stage_in_flight_and_nothing_after_it(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    pitch, lyrics, synth = stages
    in_flight = Pending()
    pitch.ExtractMelody.future = lambda *call, **options: in_flight  # type: ignore[method-assign]
    caller_left = threading.Event()
    threading.Timer(0.2, caller_left.set).start()

    with pytest.raises(WorkCancelledError):
        next(
            pipeline.run(RECORDING, studio_pb2.VocalsOptions(), no_deadline, cancelled=caller_left)
        )

    assert in_flight.cancelled.is_set()
    assert (lyrics.requests, synth.requests) == ([], [])


def test_a_stage_out_of_time_says_how_to_give_the_job_more(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    def late(requests: Any, timeout: float) -> Any:
        raise Failed()

    stages[0].ExtractMelody = Unary(late)

    with pytest.raises(TimeoutError, match=r"pitch stage did not finish.*\(30 s\).*timeout_s"):
        next(pipeline.run(RECORDING, studio_pb2.VocalsOptions(), no_deadline))


def test_a_stage_cut_short_by_the_callers_deadline_does_not_blame_a_slow_engine(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    def late(requests: Any, timeout: float) -> Any:
        raise Failed()

    stages[0].ExtractMelody = Unary(late)

    with pytest.raises(TimeoutError) as refused:
        next(pipeline.run(RECORDING, studio_pb2.VocalsOptions(), lambda: 12.0))
    assert str(refused.value) == "the pitch stage did not finish in the time it had (12 s)"


# ---- a stage's service that is down ----


class NeverConnected(Pending):
    """The channel-ready future of a service that stays down."""


def test_a_pitch_service_that_stays_down_fails_the_take_as_unavailable_naming_it(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth], readiness: Readiness
) -> None:
    readiness.futures["pitch"] = NeverConnected

    with pytest.raises(UnavailableError, match=r"^the pitch service is not reachable \(waited"):
        next(pipeline.run(RECORDING, studio_pb2.VocalsOptions(), no_deadline))
    assert stages[0].calls == 0  # never sent, so never left waiting for the stage's timeout


@pytest.mark.parametrize("stage", ["lyrics", "synth"])
def test_a_later_stage_that_stays_down_fails_the_take_naming_it(
    pipeline: VocalsPipeline,
    stages: tuple[FakePitch, FakeLyrics, FakeSynth],
    readiness: Readiness,
    stage: str,
) -> None:
    readiness.futures[stage] = NeverConnected

    with pytest.raises(UnavailableError, match=f"^the {stage} service is not reachable"):
        list(pipeline.run(RECORDING, studio_pb2.VocalsOptions(), no_deadline))
    assert stages[2].requests == []


@pytest.mark.parametrize("stage", ["lyrics", "synth"])
def test_a_revision_whose_stage_stays_down_fails_naming_it(
    pipeline: VocalsPipeline,
    stages: tuple[FakePitch, FakeLyrics, FakeSynth],
    readiness: Readiness,
    stage: str,
) -> None:
    take = new_take(pipeline)
    readiness.futures[stage] = NeverConnected
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.line_texts[1] = "fly high"

    with pytest.raises(UnavailableError, match=f"^the {stage} service is not reachable"):
        list(pipeline.revise(request, no_deadline))
    assert len(stages[2].requests) == 1  # only the first take was sung


def test_a_refused_connection_is_not_reachable(
    tmp_path: Path, stages: tuple[FakePitch, FakeLyrics, FakeSynth], readiness: Readiness
) -> None:
    # A real channel to a port nothing listens on: what the studio sees of a service down.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with grpc.insecure_channel(f"127.0.0.1:{closed_port}") as down:
        readiness.futures["pitch"] = lambda: grpc.channel_ready_future(down)
        pipeline = pipeline_on(tmp_path, stages, readiness)
        with pytest.raises(UnavailableError, match="the pitch service is not reachable"):
            next(pipeline.run(RECORDING, studio_pb2.VocalsOptions(), no_deadline))


def test_a_stage_back_within_the_restart_wait_costs_the_take_nothing(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth], readiness: Readiness
) -> None:
    readiness.futures["synth"] = lambda: Connected(after_s=RESTART_WAIT_S / 2)

    take = new_take(pipeline)

    assert take.take_id and len(stages[2].requests) == 1


def test_a_caller_who_leaves_while_a_stage_restarts_stops_waiting(
    tmp_path: Path, stages: tuple[FakePitch, FakeLyrics, FakeSynth], readiness: Readiness
) -> None:
    pipeline = pipeline_on(tmp_path, stages, readiness, restart_wait_s=600)
    readiness.futures["pitch"] = NeverConnected
    caller_left = threading.Event()
    threading.Timer(0.2, caller_left.set).start()

    with pytest.raises(WorkCancelledError, match="waiting for the pitch service"):
        next(
            pipeline.run(RECORDING, studio_pb2.VocalsOptions(), no_deadline, cancelled=caller_left)
        )


def test_a_take_says_which_voice_sang_and_why(pipeline: VocalsPipeline) -> None:
    take = new_take(pipeline)
    assert take.engines["voice"] == "joe"
    assert take.voice_choice == "voice auto: joe holds 5 of 5 notes as hummed; moved by -12"


def test_a_revision_keeps_the_voice_auto_chose_for_its_take(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    take = final_take(pipeline.run(RECORDING, studio_pb2.VocalsOptions(voice="auto"), no_deadline))
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.options.tempo_scale = 2.0
    revised = final_take(pipeline.revise(request, no_deadline))
    sung = stages[2].requests[-1]
    # Not "auto" again: new notes could make it choose another voice.
    assert sung.voice_id == "joe"
    assert sung.options.range_policy == synth_pb2.RANGE_POLICY_KEEP
    assert revised.voice_choice.startswith(f"voice joe kept from take {take.take_id}")


def test_a_new_tempo_becomes_the_takes_own_timing_and_the_next_revision_keeps_it(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    take = new_take(pipeline)
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.options.tempo_scale = 2.0
    faster = final_take(pipeline.revise(request, no_deadline))

    onsets = [note.onset_s for note in take.melody.notes]
    assert [note.onset_s for note in faster.melody.notes] == [t / 2 for t in onsets]
    assert [note.onset_s for note in stages[2].requests[-1].melody.notes] == [t / 2 for t in onsets]
    assert stages[2].requests[-1].options.tempo_scale in (0.0, 1.0)  # the notes carry it

    request = studio_pb2.ReviseTakeRequest(take_id=faster.take_id)
    request.melody.CopyFrom(faster.melody)
    request.melody.notes[0].midi_pitch += 1
    repitched = final_take(pipeline.revise(request, no_deadline))
    assert [note.onset_s for note in repitched.melody.notes] == [t / 2 for t in onsets]


def test_a_tempo_out_of_range_is_refused_quoting_it(pipeline: VocalsPipeline) -> None:
    take = new_take(pipeline)
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.options.tempo_scale = -1.0
    with pytest.raises(InvalidInputError, match=r"tempo_scale must be within 0.25..4 .*, not -1"):
        next(pipeline.revise(request, no_deadline))


def test_a_revision_asking_for_auto_chooses_again(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    take = final_take(pipeline.run(RECORDING, studio_pb2.VocalsOptions(voice="slt"), no_deadline))
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.options.voice = "auto"
    revised = final_take(pipeline.revise(request, no_deadline))
    sung = stages[2].requests[-1]
    assert sung.voice_id == "auto"
    assert sung.options.range_policy == synth_pb2.RANGE_POLICY_UNSPECIFIED
    assert revised.voice_choice.startswith("voice auto:")


@pytest.mark.parametrize("take_voice", ["", "auto"])
def test_auto_again_on_a_take_whose_voice_was_chosen_so_changes_nothing(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth], take_voice: str
) -> None:
    # The same notes choose the same voice: nothing sung would differ.
    options = studio_pb2.VocalsOptions(voice=take_voice)
    take = final_take(pipeline.run(RECORDING, options, no_deadline))
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.options.voice = "auto"
    with pytest.raises(InvalidInputError, match="the revision changes nothing"):
        next(pipeline.revise(request, no_deadline))

    request.melody.CopyFrom(take.melody)
    request.melody.notes[0].midi_pitch += 5  # new notes may choose another voice
    final_take(pipeline.revise(request, no_deadline))
    assert stages[2].requests[-1].voice_id == "auto"


def test_a_revision_that_changes_nothing_is_refused_before_anything_runs(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    take = new_take(pipeline)
    with pytest.raises(InvalidInputError, match="the revision changes nothing"):
        next(pipeline.revise(studio_pb2.ReviseTakeRequest(take_id=take.take_id), no_deadline))
    assert len(stages[2].requests) == 1  # the take's own singing only


@pytest.mark.parametrize(
    "send_back",
    ["melody", "lyrics", "line_texts", "voice", "transpose_semitones", "tempo_scale"],
)
def test_a_revision_sending_the_takes_own_values_back_is_refused_as_changing_nothing(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth], send_back: str
) -> None:
    take = new_take(pipeline)
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    if send_back == "melody":
        request.melody.CopyFrom(take.melody)
    elif send_back == "lyrics":
        request.lyrics.CopyFrom(take.lyrics)
    elif send_back == "line_texts":
        request.line_texts[0] = take.lyrics.lines[0].text
    elif send_back == "voice":
        request.options.voice = take.engines["voice"]
    elif send_back == "transpose_semitones":
        request.options.transpose_semitones = take.options.transpose_semitones
    else:
        request.options.tempo_scale = 1.0

    with pytest.raises(InvalidInputError, match="changes nothing: its melody, words and options"):
        next(pipeline.revise(request, no_deadline))
    assert len(stages[2].requests) == 1  # nothing was sung again


def test_a_revision_asking_for_a_vibrato_is_sung_even_with_nothing_else_changed(
    pipeline: VocalsPipeline, stages: tuple[FakePitch, FakeLyrics, FakeSynth]
) -> None:
    # The take does not record the vibrato it was sung with, so one asked for may differ.
    take = new_take(pipeline)
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.options.vibrato_depth_cents = 40.0
    final_take(pipeline.revise(request, no_deadline))
    assert stages[2].requests[-1].options.vibrato_depth_cents == 40.0


def _whole_word_syllable(lyrics: lyrics_pb2.Lyrics) -> tuple[int, int]:
    """(line, syllable) of the first syllable that is a word on its own."""
    for line_number, line in enumerate(lyrics.lines):
        syllables = line.syllables
        for number, syllable in enumerate(syllables):
            alone = number + 1 == len(syllables) or syllables[number + 1].starts_word
            if syllable.starts_word and alone:
                return line_number, number
    raise AssertionError("no one-syllable word")


def _revision_respelling_a_word(
    pipeline: VocalsPipeline, text: str
) -> tuple[studio_pb2.ReviseTakeRequest, int, int]:
    """A revision of a new take sending its lyrics back with one one-syllable word's text
    replaced by ``text`` and its phonemes left as they were: (request, line, syllable)."""
    take = final_take(pipeline.run(RECORDING, studio_pb2.VocalsOptions(seed=2), no_deadline))
    request = studio_pb2.ReviseTakeRequest(take_id=take.take_id)
    request.lyrics.CopyFrom(take.lyrics)
    line, number = _whole_word_syllable(request.lyrics)
    request.lyrics.lines[line].syllables[number].text = text
    return request, line, number


def test_a_syllable_given_new_text_over_its_old_sounds_is_sung_as_the_new_word(
    lyricist_pipeline: VocalsPipeline,
) -> None:
    request, line, number = _revision_respelling_a_word(lyricist_pipeline, "dance")

    revised = final_take(lyricist_pipeline.revise(request, no_deadline))

    sung = revised.lyrics.lines[line].syllables[number]
    assert sung.text == "dance"
    assert list(sung.phonemes) == ["D", "AE1", "N", "S"]


def test_a_syllable_given_text_the_voice_cannot_say_is_refused_naming_its_line(
    lyricist_pipeline: VocalsPipeline,
) -> None:
    request, line, _ = _revision_respelling_a_word(lyricist_pipeline, "Привет")

    with pytest.raises(InvalidInputError, match=f"line {line + 1}"):
        next(lyricist_pipeline.revise(request, no_deadline))
